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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

static struct gen_opts opt;            /* gen_opts_parse (opts.c) */

static struct stream *streams;
static size_t nstreams;
static struct gen_scenario scen;
static FILE *truth_fp;
static pid_t kafka_pid = -1;

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
		s->rng[i].s = stream_seed(idx * GEN_WORKERS_MAX + i);
	s->first_ts = -1;
}

/* Plain mode: one background stream, sharded over the workers.  Scenario
 * mode: the background plus one stream per episode. */
static void setup_streams(void)
{
	double time_rate = opt.rate > 0 ? opt.rate
	                 : opt.eps > 0 ? opt.eps : GEN_EPS_DEFAULT;

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
			nw_std.lines_out++;
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
	gen_opts_parse(&opt, argc, argv);
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
	LOG_INFO("done events=%llu lines_out=%llu bytes=%llu",
	         (unsigned long long)gen_ctr.events,
	         (unsigned long long)nw_std.lines_out,
	         (unsigned long long)gen_ctr.bytes);
	nw_stats_close();
	gen_chaos_free();
	gen_out_free();
	for (size_t i = 0; i < nstreams; i++)
		free(streams[i].rng);
	free(streams);
	gen_scenario_free(&scen);
	return rc;
}
