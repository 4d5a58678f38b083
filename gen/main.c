/*
 * gen - telemetry generator in the upstream producer's event schema.
 *
 *   gen [--eps N] [--count N] [--duration DUR] [--start-time T] [--rate N]
 *       [--seed N] [--sources N] [--workers N] [--chaos on|off]
 *       [--scenario NAME|FILE] [--truth FILE] [--realtime]
 *       [stream chaos flags] [--kafka BROKERS --topic T] [--stats FILE]
 *
 * Without --scenario it emits normal traffic with the upstream's per-event
 * anomalies (CHAOS_MODE); with --scenario it emits clean background traffic
 * plus attack episodes with known sources and spans, and --truth writes
 * those spans.  Events are merged from "streams" (the background and one per
 * episode), each with its own rate, PRNG and event clock, always taking the
 * stream whose next event is earliest, so the output is in event-time order
 * except for the stream chaos asked for.
 */
#include "gen.h"
#include "nw.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EPS_DEFAULT 5000
#define WORKERS_DEFAULT 10
#define WORKERS_MAX 1024

struct stream {
	const struct gen_episode *ep;   /* NULL: background */
	int64_t  start_ns, end_ns;      /* event time, relative to t0 */
	double   interval_ns;
	uint64_t k;                     /* events emitted so far */
	int64_t  next_ns;
	struct gen_rng *rng;            /* nrng of them, used round-robin */
	unsigned nrng;
	int64_t  first_ts, last_ts;     /* emitted span, epoch seconds */
};

static struct {
	double   eps;
	double   rate;                  /* synthetic clock, events/s; 0: eps */
	bool     eps_set;               /* --eps given (scenarios ignore the env) */
	uint64_t count;                 /* 0: no limit */
	int64_t  duration_ms;           /* 0: no limit */
	int64_t  start_ms;              /* -1: wall clock */
	uint64_t seed;
	bool     seed_set;
	uint64_t sources;
	unsigned workers;
	bool     chaos;
	double   p_spike, p_error, p_exfil;
	const char *scenario, *truth, *kafka, *topic, *stats;
	bool     realtime;
	struct gen_stream_chaos sc;
	double   p_ooo, p_late, p_dup, p_bad;
} opt = {
	.eps = EPS_DEFAULT, .start_ms = -1, .sources = GEN_POOL_SIZE,
	.workers = WORKERS_DEFAULT, .chaos = true,
	.p_spike = 0.1, .p_error = 0.05, .p_exfil = 0.02,
	.sc = { .ooo_jitter_ms = 3000, .late_min_ms = 7000, .late_max_ms = 90000,
	        .bad_kinds = (1u << GEN_BAD_COUNT) - 1, .hold_max = 65536 },
};

static struct stream *streams;
static size_t nstreams;
static struct gen_scenario scen;
static FILE *truth_fp;
static pid_t kafka_pid = -1;

static void usage(FILE *fp)
{
	fprintf(fp,
"usage: gen [--eps N] [--count N] [--duration DUR] [--start-time T] [--rate N]\n"
"           [--seed N] [--sources N] [--workers N] [--chaos on|off]\n"
"           [--latency-spike-prob P] [--error-rate-prob P] [--data-exfil-prob P]\n"
"           [--scenario NAME|FILE] [--truth FILE] [--realtime]\n"
"           [--ooo-prob P] [--ooo-jitter DUR] [--late-prob P] [--late-max DUR]\n"
"           [--dup-prob P] [--malformed-prob P] [--malformed-kinds LIST]\n"
"           [--hold-max N] [--kafka BROKERS --topic T] [--stats FILE]\n"
"\n"
"Emits flow-telemetry events (NDJSON, the upstream producer's schema) on stdout.\n"
"\n"
"  --eps N              pace to N events/s of wall clock; 0 = as fast as possible\n"
"                       (env EPS_TARGET, default 5000; default 0 with --scenario)\n"
"  --count N            stop after N events\n"
"  --duration DUR       stop after DUR (event time when synthetic, else wall clock)\n"
"  --start-time T       synthetic event time from T (epoch s, or ms if > 1e11),\n"
"                       advancing at the --eps rate (5000/s when --eps is 0)\n"
"  --rate N             with --start-time: advance event time at N events/s\n"
"                       instead, whatever the pacing\n"
"  --seed N             PRNG seed; with --start-time the output is reproducible\n"
"  --sources N          N distinct source addresses (default: the pool of 20)\n"
"  --workers N          generator shards, each its own PRNG stream, interleaved\n"
"                       (env WORKER_COUNT, default 10)\n"
"  --chaos on|off       per-event anomalies (env CHAOS_MODE, default on;\n"
"                       always off for a scenario's background)\n"
"  --latency-spike-prob P  latency_ms 2000-7000 (env LATENCY_SPIKE_PROB, 0.1)\n"
"  --error-rate-prob P     flags RST,ACK + status 503 (env ERROR_RATE_PROB, 0.05)\n"
"  --data-exfil-prob P     bytes_sent 10-60 MiB to 53/UDP (env DATA_EXFIL_PROB, 0.02)\n"
"  --scenario NAME|FILE attack episodes over clean background (built-in: %s)\n"
"  --truth FILE         write one JSON line per episode (kind, key_field, key,\n"
"                       start, end in epoch ms)\n"
"  --realtime           with --scenario: pace by event time (1 s per second)\n"
"  --ooo-prob P         deliver an event late by up to --ooo-jitter (default 3s)\n"
"  --late-prob P        deliver an event 7s..--late-max (default 90s) late\n"
"  --dup-prob P         deliver an event twice (same event_id)\n"
"  --malformed-prob P   add a malformed line; kinds from --malformed-kinds\n"
"                       (truncated,types,missing,utf8,long,empty; default all)\n"
"  --hold-max N         events held back at most for ooo/late/dup (65536)\n"
"  --kafka BROKERS      produce into Kafka via kcat-src -P, keyed by src_ip\n"
"  --topic T            the topic for --kafka\n"
"  --stats FILE         counters as one JSON line, replaced every second\n"
"  -h, --help           this text;  -V, --version  the version\n",
	        gen_scenario_names());
}

/* ---- flags and environment ------------------------------------------------- */

static double parse_prob(const char *what, const char *s)
{
	double p;
	if (nw_parse_double(s, &p) < 0 || p < 0 || p > 1)
		nw_usage_error("%s must be a probability 0..1, got \"%s\"", what, s);
	return p;
}

static bool parse_bool(const char *what, const char *s)
{
	static const char *const yes[] = { "true", "1", "on", "yes" };
	static const char *const no[] = { "false", "0", "off", "no" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return true;
		if (strcasecmp(s, no[i]) == 0)
			return false;
	}
	nw_usage_error("%s must be true/false/1/0/on/off, got \"%s\"", what, s);
}

static uint64_t parse_count(const char *what, const char *s, uint64_t lo,
                            uint64_t hi)
{
	uint64_t v;
	if (nw_parse_u64(s, &v) < 0 || v < lo || v > hi)
		nw_usage_error("%s must be an integer %llu..%llu, got \"%s\"",
		               what, (unsigned long long)lo, (unsigned long long)hi, s);
	return v;
}

static double parse_eps(const char *what, const char *s)
{
	double v;
	if (nw_parse_double(s, &v) < 0 || v < 0 || v > 1e9)
		nw_usage_error("%s must be a rate 0..1e9, got \"%s\"", what, s);
	return v;
}

static int64_t parse_dur(const char *what, const char *s)
{
	int64_t ms;
	if (nw_parse_duration_ms(s, &ms) < 0)
		nw_usage_error("%s must be a duration like 500ms, 3s, 2m, got \"%s\"",
		               what, s);
	return ms;
}

static unsigned parse_kinds(const char *s)
{
	unsigned mask = 0;
	char buf[256];

	snprintf(buf, sizeof buf, "%s", s);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		unsigned k;
		for (k = 0; k < GEN_BAD_COUNT; k++)
			if (strcmp(t, gen_bad_names[k]) == 0)
				break;
		if (k == GEN_BAD_COUNT)
			nw_usage_error("unknown malformed kind \"%s\" (truncated, "
			               "types, missing, utf8, long, empty)", t);
		mask |= 1u << k;
	}
	if (mask == 0)
		nw_usage_error("--malformed-kinds is empty");
	return mask;
}

/* The upstream producer's knobs; flags given later override them. */
static void read_env(void)
{
	const char *v;
	if ((v = getenv("EPS_TARGET")) && *v)
		opt.eps = parse_eps("EPS_TARGET", v);
	if ((v = getenv("WORKER_COUNT")) && *v)
		opt.workers = (unsigned)parse_count("WORKER_COUNT", v, 1, WORKERS_MAX);
	if ((v = getenv("CHAOS_MODE")) && *v)
		opt.chaos = parse_bool("CHAOS_MODE", v);
	if ((v = getenv("LATENCY_SPIKE_PROB")) && *v)
		opt.p_spike = parse_prob("LATENCY_SPIKE_PROB", v);
	if ((v = getenv("ERROR_RATE_PROB")) && *v)
		opt.p_error = parse_prob("ERROR_RATE_PROB", v);
	if ((v = getenv("DATA_EXFIL_PROB")) && *v)
		opt.p_exfil = parse_prob("DATA_EXFIL_PROB", v);
}

enum { O_EPS = 256, O_COUNT, O_DURATION, O_START, O_SEED, O_SOURCES,
       O_WORKERS, O_CHAOS, O_SPIKE, O_ERROR, O_EXFIL, O_SCENARIO, O_TRUTH,
       O_REALTIME, O_OOO, O_JITTER, O_LATE, O_LATEMAX, O_DUP, O_BAD,
       O_BADKINDS, O_HOLD, O_KAFKA, O_TOPIC, O_STATS, O_RATE };

static void parse_flags(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "eps", required_argument, NULL, O_EPS },
		{ "rate", required_argument, NULL, O_RATE },
		{ "count", required_argument, NULL, O_COUNT },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "start-time", required_argument, NULL, O_START },
		{ "seed", required_argument, NULL, O_SEED },
		{ "sources", required_argument, NULL, O_SOURCES },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "chaos", required_argument, NULL, O_CHAOS },
		{ "latency-spike-prob", required_argument, NULL, O_SPIKE },
		{ "error-rate-prob", required_argument, NULL, O_ERROR },
		{ "data-exfil-prob", required_argument, NULL, O_EXFIL },
		{ "scenario", required_argument, NULL, O_SCENARIO },
		{ "truth", required_argument, NULL, O_TRUTH },
		{ "realtime", no_argument, NULL, O_REALTIME },
		{ "ooo-prob", required_argument, NULL, O_OOO },
		{ "ooo-jitter", required_argument, NULL, O_JITTER },
		{ "late-prob", required_argument, NULL, O_LATE },
		{ "late-max", required_argument, NULL, O_LATEMAX },
		{ "dup-prob", required_argument, NULL, O_DUP },
		{ "malformed-prob", required_argument, NULL, O_BAD },
		{ "malformed-kinds", required_argument, NULL, O_BADKINDS },
		{ "hold-max", required_argument, NULL, O_HOLD },
		{ "kafka", required_argument, NULL, O_KAFKA },
		{ "topic", required_argument, NULL, O_TOPIC },
		{ "stats", required_argument, NULL, O_STATS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	uint64_t t;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "hV", lo, NULL)) != -1) {
		switch (c) {
		case O_EPS:      opt.eps = parse_eps("--eps", optarg);
		                 opt.eps_set = true; break;
		case O_RATE:     opt.rate = parse_eps("--rate", optarg);
		                 if (opt.rate == 0)
		                         nw_usage_error("--rate must be > 0");
		                 break;
		case O_COUNT:    opt.count = parse_count("--count", optarg, 1, UINT64_MAX);
		                 break;
		case O_DURATION: opt.duration_ms = parse_dur("--duration", optarg);
		                 if (opt.duration_ms == 0)
		                         nw_usage_error("--duration must be > 0");
		                 break;
		case O_START:
			t = parse_count("--start-time", optarg, 0, 4102444800000ull);
			opt.start_ms = (int64_t)(t < 100000000000ull ? t * 1000 : t);
			break;
		case O_SEED:     opt.seed = parse_count("--seed", optarg, 0, UINT64_MAX);
		                 opt.seed_set = true; break;
		case O_SOURCES:  opt.sources = parse_count("--sources", optarg, 1,
		                                           GEN_MAX_SOURCES); break;
		case O_WORKERS:  opt.workers = (unsigned)parse_count("--workers", optarg,
		                                                     1, WORKERS_MAX); break;
		case O_CHAOS:    opt.chaos = parse_bool("--chaos", optarg); break;
		case O_SPIKE:    opt.p_spike = parse_prob("--latency-spike-prob", optarg); break;
		case O_ERROR:    opt.p_error = parse_prob("--error-rate-prob", optarg); break;
		case O_EXFIL:    opt.p_exfil = parse_prob("--data-exfil-prob", optarg); break;
		case O_SCENARIO: opt.scenario = optarg; break;
		case O_TRUTH:    opt.truth = optarg; break;
		case O_REALTIME: opt.realtime = true; break;
		case O_OOO:      opt.p_ooo = parse_prob("--ooo-prob", optarg); break;
		case O_JITTER:   opt.sc.ooo_jitter_ms = parse_dur("--ooo-jitter", optarg);
		                 break;
		case O_LATE:     opt.p_late = parse_prob("--late-prob", optarg); break;
		case O_LATEMAX:  opt.sc.late_max_ms = parse_dur("--late-max", optarg); break;
		case O_DUP:      opt.p_dup = parse_prob("--dup-prob", optarg); break;
		case O_BAD:      opt.p_bad = parse_prob("--malformed-prob", optarg); break;
		case O_BADKINDS: opt.sc.bad_kinds = parse_kinds(optarg); break;
		case O_HOLD:     opt.sc.hold_max = parse_count("--hold-max", optarg, 1,
		                                               1u << 22); break;
		case O_KAFKA:    opt.kafka = optarg; break;
		case O_TOPIC:    opt.topic = optarg; break;
		case O_STATS:    opt.stats = optarg; break;
		case 'h':        usage(stdout); exit(0);
		case 'V':        nw_print_version(); exit(0);
		default:
			if (optopt && optopt < 256)
				nw_usage_error("unknown or incomplete flag -%c (see --help)",
				               optopt);
			nw_usage_error("unknown flag or missing value: %s (see --help)",
			               argv[optind - 1]);
		}
	}
	if (optind < argc)
		nw_usage_error("unexpected argument \"%s\" (see --help)",
		               argv[optind]);
	if (opt.sc.ooo_jitter_ms < 1)
		nw_usage_error("--ooo-jitter must be at least 1ms");
	if (opt.sc.late_max_ms < opt.sc.late_min_ms)
		nw_usage_error("--late-max must be at least 7s");
	if (!!opt.kafka != !!opt.topic)
		nw_usage_error("--kafka and --topic go together");
	if (opt.truth && !opt.scenario)
		nw_usage_error("--truth needs --scenario");
	if (opt.rate > 0 && (opt.scenario || opt.start_ms < 0))
		nw_usage_error("--rate needs --start-time and no --scenario");
	if (opt.realtime && !opt.scenario)
		nw_usage_error("--realtime needs --scenario (use --eps otherwise)");
	if (opt.realtime && opt.eps_set && opt.eps > 0)
		nw_usage_error("--realtime and --eps N > 0 are two pacings; pick one");
}

/* ---- set-up ------------------------------------------------------------------ */

/* Seeds for stream i: splitmix64 of the user's seed, so streams never share
 * a sequence. */
static uint64_t stream_seed(uint64_t i)
{
	struct gen_rng r = { opt.seed + i * 0x632be59bd9b4e019ULL };
	return gen_rng_next(&r);
}

static void stream_init(struct stream *s, const struct gen_episode *ep,
                        int64_t start_ms, int64_t dur_ms, double rate,
                        unsigned nrng, uint64_t idx)
{
	s->ep = ep;
	s->start_ns = start_ms * 1000000;
	s->end_ns = dur_ms > 0 ? s->start_ns + dur_ms * 1000000 : INT64_MAX;
	s->interval_ns = 1e9 / rate;
	s->next_ns = s->start_ns;
	s->nrng = nrng;
	s->rng = nw_xcalloc(nrng, sizeof *s->rng);
	for (unsigned i = 0; i < nrng; i++)
		s->rng[i].s = stream_seed(idx * WORKERS_MAX + i);
	s->first_ts = -1;
}

/* Plain mode: one background stream, sharded over the workers.  Scenario
 * mode: the background plus one stream per episode. */
static void setup_streams(void)
{
	double time_rate = opt.rate > 0 ? opt.rate
	                 : opt.eps > 0 ? opt.eps : EPS_DEFAULT;

	if (!opt.scenario) {
		streams = nw_xcalloc(1, sizeof *streams);
		nstreams = 1;
		stream_init(&streams[0], NULL, 0, 0, time_rate, opt.workers, 0);
		return;
	}
	streams = nw_xcalloc(scen.nep + 1, sizeof *streams);
	if (scen.bg_rate > 0)
		stream_init(&streams[nstreams++], NULL, 0, scen.bg_duration_ms,
		            scen.bg_rate, opt.workers, 0);
	for (size_t i = 0; i < scen.nep; i++) {
		const struct gen_episode *ep = &scen.ep[i];
		stream_init(&streams[nstreams++], ep, ep->at_ms, ep->duration_ms,
		            ep->rate, 1, i + 1);
	}
}

/* Feed our output to "kcat-src -P", found next to this binary or on PATH. */
static int start_kafka(void)
{
	char self[4096], path[4200];
	int fds[2];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	const char *prog = "kcat-src";

	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof path, "%s/kcat-src", self);
			if (access(path, X_OK) == 0)
				prog = path;
		}
	}
	if (pipe(fds) < 0) {
		LOG_ERROR("pipe: %s", strerror(errno));
		exit(NW_EXIT_FAIL);
	}
	kafka_pid = fork();
	if (kafka_pid < 0) {
		LOG_ERROR("fork: %s", strerror(errno));
		exit(NW_EXIT_FAIL);
	}
	if (kafka_pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execlp(prog, "kcat-src", "-P", "-b", opt.kafka, "-t", opt.topic,
		       "--key-field", "src_ip", (char *)NULL);
		LOG_ERROR("cannot run %s: %s", prog, strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	LOG_INFO("producing via %s pid=%d topic=%s", prog, (int)kafka_pid, opt.topic);
	return fds[1];
}

/* Close the pipe and wait for the producer; its failure is ours. */
static int stop_kafka(int fd)
{
	int st;
	close(fd);
	while (waitpid(kafka_pid, &st, 0) < 0)
		if (errno != EINTR)
			return NW_EXIT_FAIL;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return NW_EXIT_OK;
	LOG_ERROR("kcat-src failed status=%d", WIFEXITED(st) ? WEXITSTATUS(st)
	          : 128 + WTERMSIG(st));
	return NW_EXIT_FAIL;
}

static void write_truth(void)
{
	if (truth_fp == NULL)
		return;
	for (size_t i = 0; i < nstreams; i++) {
		const struct stream *s = &streams[i];
		char key[16];
		if (s->ep == NULL || s->first_ts < 0)
			continue;
		const struct gen_kind_desc *d = &gen_kinds[s->ep->kind];
		gen_ip_format(key, d->key_field[0] == 'd' ? s->ep->dst : s->ep->src);
		fprintf(truth_fp, "{\"kind\":\"%s\",\"key_field\":\"%s\",\"key\":\"%s\","
		        "\"start\":%lld,\"end\":%lld}\n", d->name, d->key_field, key,
		        (long long)s->first_ts * 1000, (long long)s->last_ts * 1000);
	}
	if (fclose(truth_fp) != 0)
		LOG_ERROR("cannot write --truth file: %s", strerror(errno));
	truth_fp = NULL;
}

/* Output failed and we are about to exit: keep the truth and stats, and if
 * the reader was our Kafka producer, its failure is a runtime failure. */
static void out_exit_hook(void)
{
	write_truth();
	nw_stats_close();
	if (kafka_pid > 0) {
		int st;
		while (waitpid(kafka_pid, &st, 0) < 0 && errno == EINTR)
			;
		LOG_ERROR("kcat-src went away status=%d", WIFEXITED(st) ?
		          WEXITSTATUS(st) : 128 + WTERMSIG(st));
		_exit(NW_EXIT_FAIL);
	}
}

/* ---- the loop ------------------------------------------------------------------- */

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleep until due (monotonic ns) if we are at least 1 ms ahead, flushing
 * first so the reader gets what was made so far. */
static void pace_until(int64_t due)
{
	int64_t now = mono_ns();
	if (due - now < 1000000)
		return;
	gen_out_flush();
	struct timespec ts = { (time_t)((due - now) / 1000000000),
	                       (long)((due - now) % 1000000000) };
	nanosleep(&ts, NULL);    /* EINTR: the loop looks at nw_sig_stop */
}

/* The stream whose next event is earliest (ties: lowest index), or NULL. */
static struct stream *next_stream(void)
{
	struct stream *best = NULL;
	for (size_t i = 0; i < nstreams; i++) {
		struct stream *s = &streams[i];
		if (s->next_ns < s->end_ns && (!best || s->next_ns < best->next_ns))
			best = s;
	}
	return best;
}

static void run(int64_t t0_ms, bool synthetic, double pace_eps)
{
	const bool chaos = opt.chaos && !opt.scenario;
	const bool stream_chaos = gen_chaos_active(&opt.sc);
	const struct gen_chaos_probs cp = {
		gen_prob_thresh(opt.p_spike), gen_prob_thresh(opt.p_error),
		gen_prob_thresh(opt.p_exfil),
	};
	const int64_t dur_ns = opt.duration_ms * 1000000;
	const int64_t mono0 = mono_ns();
	const bool paced = pace_eps > 0 || opt.realtime;
	int64_t last_stats = mono0;
	/* The supervisor names the stats file in the environment, not argv. */
	const bool stats_on = opt.stats || getenv("NW_STATS_FILE");
	int64_t wall_s = nw_wall_ms() / 1000;
	char line[GEN_LINE_MAX];
	struct gen_event e;
	uint64_t n = 0;

	while (!nw_sig_stop && (opt.count == 0 || n < opt.count)) {
		struct stream *s = next_stream();
		if (s == NULL)
			break;
		int64_t rel_ns = s->next_ns;
		if (dur_ns && synthetic && rel_ns >= dur_ns)
			break;
		/* Pace first, then look at the clocks: every event when paced,
		 * every 64 when running free. */
		if (pace_eps > 0)
			pace_until(mono0 + (int64_t)((double)n * 1e9 / pace_eps));
		else if (opt.realtime)
			pace_until(mono0 + rel_ns);
		if (paced || (n & 63) == 0) {
			int64_t now = mono_ns();
			if (!synthetic) {
				wall_s = nw_wall_ms() / 1000;
				if (dur_ns && now - mono0 >= dur_ns)
					break;
			}
			if (stats_on && now - last_stats >= 1000000000) {
				nw_stats_write();
				last_stats = now;
			}
		}

		struct gen_rng *r = &s->rng[s->k % s->nrng];
		int64_t ev_ms = synthetic ? t0_ms + rel_ns / 1000000 : wall_s * 1000;
		gen_event_normal(&e, r, opt.sources);
		e.ts = ev_ms / 1000;
		if (s->ep)
			gen_episode_event(s->ep, s->k, r, &e);
		else if (chaos)
			gen_event_chaos(&e, r, &cp);
		if (s->first_ts < 0)
			s->first_ts = e.ts;
		s->last_ts = e.ts;
		s->k++;
		s->next_ns = s->start_ns + (int64_t)((double)s->k * s->interval_ns);
		n++;
		gen_ctr.events++;

		if (stream_chaos) {
			size_t len = gen_event_format(line, &e);
			line[len++] = '\n';
			gen_chaos_emit(line, len, ev_ms);
		} else {
			char *p = gen_out_reserve(GEN_LINE_MAX);
			size_t len = gen_event_format(p, &e);
			p[len++] = '\n';
			gen_out_commit(len);
			gen_ctr.lines++;
		}
	}
	if (stream_chaos)
		gen_chaos_drain();
	gen_out_flush();
}

int main(int argc, char **argv)
{
	char err[300];
	int out_fd = 1, rc = NW_EXIT_OK;

	nw_log_init("gen");
	read_env();
	parse_flags(argc, argv);
	if (opt.scenario &&
	    gen_scenario_load(opt.scenario, &scen, err, sizeof err) < 0)
		nw_usage_error("bad scenario: %s", err);
	if (!opt.seed_set)
		opt.seed = (uint64_t)mono_ns() ^ ((uint64_t)getpid() << 32) ^
		           (uint64_t)nw_wall_ms();
	opt.sc.ooo = gen_prob_thresh(opt.p_ooo);
	opt.sc.late = gen_prob_thresh(opt.p_late);
	opt.sc.dup = gen_prob_thresh(opt.p_dup);
	opt.sc.bad = gen_prob_thresh(opt.p_bad);

	/* A scenario's clock is always synthetic (it starts now unless told);
	 * it is paced only when asked (--eps, --realtime). */
	bool synthetic = opt.start_ms >= 0 || opt.scenario;
	int64_t t0_ms = opt.start_ms >= 0 ? opt.start_ms : nw_wall_ms();
	double pace_eps = opt.eps;
	if (opt.scenario)
		pace_eps = opt.eps_set ? opt.eps : 0;

	if (opt.truth && (truth_fp = fopen(opt.truth, "w")) == NULL) {
		LOG_ERROR("cannot open --truth file %s: %s", opt.truth, strerror(errno));
		return NW_EXIT_FAIL;
	}
	nw_sig_init();
	nw_stats_init(opt.stats, 1000);
	nw_stats_u64("events", &gen_ctr.events);
	nw_stats_u64("lines", &gen_ctr.lines);
	nw_stats_u64("bytes", &gen_ctr.bytes);
	nw_stats_u64("out_of_order", &gen_ctr.ooo);
	nw_stats_u64("late", &gen_ctr.late);
	nw_stats_u64("duplicates", &gen_ctr.dup);
	nw_stats_u64("malformed", &gen_ctr.bad);
	nw_stats_u64("hold_overflow", &gen_ctr.forced);
	if (opt.kafka)
		out_fd = start_kafka();
	gen_out_init(out_fd);
	gen_out_on_exit(out_exit_hook);
	setup_streams();
	if (gen_chaos_active(&opt.sc))
		gen_chaos_init(&opt.sc, opt.seed, opt.sources);
	LOG_DEBUG("start seed=%llu eps=%g synthetic=%d streams=%zu",
	          (unsigned long long)opt.seed, pace_eps, synthetic, nstreams);

	run(t0_ms, synthetic, pace_eps);

	write_truth();
	if (opt.kafka)
		rc = stop_kafka(out_fd);
	LOG_INFO("done events=%llu lines=%llu bytes=%llu",
	         (unsigned long long)gen_ctr.events,
	         (unsigned long long)gen_ctr.lines, (unsigned long long)gen_ctr.bytes);
	nw_stats_close();
	gen_chaos_free();
	gen_out_free();
	for (size_t i = 0; i < nstreams; i++)
		free(streams[i].rng);
	free(streams);
	gen_scenario_free(&scen);
	return rc;
}
