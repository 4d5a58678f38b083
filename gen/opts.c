/* opts.c - gen's options: the upstream producer's environment knobs
 * (EPS_TARGET, WORKER_COUNT, CHAOS_MODE, the *_PROB ones), then the flags
 * over them, each value checked; anything bad exits 2 with one line. */
#include "gen.h"
#include "nw.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static double parse_prob(const char *what, const char *s)
{
	return nw_flag_double(what, s, 0, 1);
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

/* Rates of events per second. */
static double parse_eps(const char *what, const char *s)
{
	return nw_flag_double(what, s, 0, 1e9);
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
static void read_env(struct gen_opts *o)
{
	const char *v;
	if ((v = getenv("EPS_TARGET")) && *v)
		o->eps = parse_eps("EPS_TARGET", v);
	if ((v = getenv("WORKER_COUNT")) && *v)
		o->workers = (unsigned)nw_flag_count("WORKER_COUNT", v, 1, GEN_WORKERS_MAX);
	if ((v = getenv("CHAOS_MODE")) && *v)
		o->chaos = parse_bool("CHAOS_MODE", v);
	if ((v = getenv("LATENCY_SPIKE_PROB")) && *v)
		o->p_spike = parse_prob("LATENCY_SPIKE_PROB", v);
	if ((v = getenv("ERROR_RATE_PROB")) && *v)
		o->p_error = parse_prob("ERROR_RATE_PROB", v);
	if ((v = getenv("DATA_EXFIL_PROB")) && *v)
		o->p_exfil = parse_prob("DATA_EXFIL_PROB", v);
}

enum { O_EPS = 256, O_COUNT, O_DURATION, O_START, O_SEED, O_SOURCES,
       O_WORKERS, O_CHAOS, O_SPIKE, O_ERROR, O_EXFIL, O_SCENARIO, O_TRUTH,
       O_REALTIME, O_OOO, O_JITTER, O_LATE, O_LATEMAX, O_DUP, O_BAD,
       O_BADKINDS, O_HOLD, O_KAFKA, O_TOPIC, O_STATS, O_RATE,
       O_FORMAT };

/* "%s" in a help text is the list of built-in scenarios. */
static const struct nw_flag flags[] = {
	{ "eps", O_EPS, "N", "pace to N events/s of wall clock; 0 = as fast as\n"
	  "possible (env EPS_TARGET, default 5000; default 0\n"
	  "with --scenario)" },
	{ "count", O_COUNT, "N", "stop after N events" },
	{ "duration", O_DURATION, "DUR", "stop after DUR (event time when synthetic, else\n"
	  "wall clock)" },
	{ "start-time", O_START, "T", "synthetic event time from T (epoch s, or ms if\n"
	  "> 1e11), advancing at the --eps rate (5000/s when\n"
	  "--eps is 0)" },
	{ "rate", O_RATE, "N", "with --start-time: advance event time at N\n"
	  "events/s instead, whatever the pacing" },
	{ "seed", O_SEED, "N", "PRNG seed; with --start-time the output is\n"
	  "reproducible" },
	{ "sources", O_SOURCES, "N", "N distinct source addresses (default: the pool of 20)" },
	{ "workers", O_WORKERS, "N", "generator shards, each its own PRNG stream,\n"
	  "interleaved (env WORKER_COUNT, default 10)" },
	{ "chaos", O_CHAOS, "on|off", "per-event anomalies (env CHAOS_MODE, default on;\n"
	  "always off for a scenario's background)" },
	{ "latency-spike-prob", O_SPIKE, "P", "latency_ms 2000-7000 (env LATENCY_SPIKE_PROB, 0.1)" },
	{ "error-rate-prob", O_ERROR, "P", "flags RST,ACK + status 503 (env ERROR_RATE_PROB,\n"
	  "0.05)" },
	{ "data-exfil-prob", O_EXFIL, "P", "bytes_sent 10-60 MiB to 53/UDP (env\n"
	  "DATA_EXFIL_PROB, 0.02)" },
	{ "scenario", O_SCENARIO, "NAME|FILE", "attack episodes over clean background\n"
	  "(built-in: %s)" },
	{ "truth", O_TRUTH, "FILE", "write one JSON line per episode (kind, key_field,\n"
	  "key, start, end in epoch ms)" },
	{ "realtime", O_REALTIME, NULL, "with --scenario: pace by event time (1 s per second)" },
	{ "ooo-prob", O_OOO, "P", "deliver an event late by up to --ooo-jitter\n"
	  "(default 3s)" },
	{ "ooo-jitter", O_JITTER, "DUR", NULL },
	{ "late-prob", O_LATE, "P", "deliver an event 7s..--late-max (default 90s) late" },
	{ "late-max", O_LATEMAX, "DUR", NULL },
	{ "dup-prob", O_DUP, "P", "deliver an event twice (same event_id)" },
	{ "malformed-prob", O_BAD, "P", "add a malformed line; kinds from --malformed-kinds\n"
	  "(truncated,types,missing,utf8,long,empty; default\n"
	  "all)" },
	{ "malformed-kinds", O_BADKINDS, "LIST", NULL },
	{ "hold-max", O_HOLD, "N", "events held back at most for ooo/late/dup (65536)" },
	{ "kafka", O_KAFKA, "BROKERS", "produce into Kafka via kcat-src -P, keyed by src_ip" },
	{ "topic", O_TOPIC, "T", "the topic for --kafka" },
	{ "stats", O_STATS, "FILE", "counters as one JSON line, replaced every second" },
	{ "format", O_FORMAT, "F", "json (telemetry), or rfc5424 / rfc3164: syslog lines\n"
	  "of sshd, sudo, cron and firewall drops (each event\n"
	  "a netfilter line), with the log kinds of the logs\n"
	  "scenario  [json]" },
	{ NULL, 0, NULL, NULL },
};

static void parse_flags(struct gen_opts *o, int argc, char **argv)
{
	const struct nw_cli cli = {
		.head =
"usage: gen [--eps N] [--count N] [--duration DUR] [--start-time T] [--rate N]\n"
"           [--seed N] [--sources N] [--workers N] [--chaos on|off]\n"
"           [--latency-spike-prob P] [--error-rate-prob P] [--data-exfil-prob P]\n"
"           [--scenario NAME|FILE] [--truth FILE] [--realtime]\n"
"           [--ooo-prob P] [--ooo-jitter DUR] [--late-prob P] [--late-max DUR]\n"
"           [--dup-prob P] [--malformed-prob P] [--malformed-kinds LIST]\n"
"           [--hold-max N] [--kafka BROKERS --topic T] [--stats FILE]\n"
"           [--format json|rfc5424|rfc3164]\n"
"\n"
"Emits flow-telemetry events (NDJSON, the upstream producer's schema) on stdout,\n"
"or syslog lines for the log path (--format).\n"
"\n",
		.flags = flags,
		.subst = gen_scenario_names(),
	};
	int c;
	uint64_t t;

	while ((c = nw_getopt(argc, argv, &cli)) != -1) {
		switch (c) {
		case O_EPS:      o->eps = parse_eps("--eps", optarg);
		                 o->eps_set = true; break;
		case O_RATE:     o->rate = parse_eps("--rate", optarg);
		                 if (o->rate == 0)
		                         nw_usage_error("--rate must be > 0");
		                 break;
		case O_COUNT:    o->count = nw_flag_count("--count", optarg, 1, UINT64_MAX);
		                 break;
		case O_DURATION: o->duration_ms = nw_flag_duration_ms("--duration", optarg, 0);
		                 if (o->duration_ms == 0)
		                         nw_usage_error("--duration must be > 0");
		                 break;
		case O_START:
			t = nw_flag_count("--start-time", optarg, 0, 4102444800000ull);
			o->start_ms = (int64_t)(t < 100000000000ull ? t * 1000 : t);
			break;
		case O_SEED:     o->seed = nw_flag_count("--seed", optarg, 0, UINT64_MAX);
		                 o->seed_set = true; break;
		case O_SOURCES:  o->sources = nw_flag_count("--sources", optarg, 1,
		                                           GEN_MAX_SOURCES); break;
		case O_WORKERS:  o->workers = (unsigned)nw_flag_count("--workers", optarg,
		                                                     1, GEN_WORKERS_MAX); break;
		case O_CHAOS:    o->chaos = parse_bool("--chaos", optarg); break;
		case O_SPIKE:    o->p_spike = parse_prob("--latency-spike-prob", optarg); break;
		case O_ERROR:    o->p_error = parse_prob("--error-rate-prob", optarg); break;
		case O_EXFIL:    o->p_exfil = parse_prob("--data-exfil-prob", optarg); break;
		case O_SCENARIO: o->scenario = optarg; break;
		case O_TRUTH:    o->truth = optarg; break;
		case O_REALTIME: o->realtime = true; break;
		case O_OOO:      o->p_ooo = parse_prob("--ooo-prob", optarg); break;
		case O_JITTER:   o->sc.ooo_jitter_ms = nw_flag_duration_ms("--ooo-jitter", optarg, 0);
		                 break;
		case O_LATE:     o->p_late = parse_prob("--late-prob", optarg); break;
		case O_LATEMAX:  o->sc.late_max_ms = nw_flag_duration_ms("--late-max", optarg, 0); break;
		case O_DUP:      o->p_dup = parse_prob("--dup-prob", optarg); break;
		case O_BAD:      o->p_bad = parse_prob("--malformed-prob", optarg); break;
		case O_BADKINDS: o->sc.bad_kinds = parse_kinds(optarg); break;
		case O_HOLD:     o->sc.hold_max = nw_flag_count("--hold-max", optarg, 1,
		                                               1u << 22); break;
		case O_KAFKA:    o->kafka = optarg; break;
		case O_TOPIC:    o->topic = optarg; break;
		case O_STATS:    o->stats = optarg; break;
		case O_FORMAT: {   /* in enum gen_format's order */
			static const char *const fmts[] = { "json", "rfc5424", "rfc3164" };
			o->format = (enum gen_format)nw_flag_choice("--format", optarg,
			                                            fmts, 3);
			break;
		}
		}
	}
	nw_cli_no_args(argc, argv);
	if (o->sc.ooo_jitter_ms < 1)
		nw_usage_error("--ooo-jitter must be at least 1ms");
	if (o->sc.late_max_ms < o->sc.late_min_ms)
		nw_usage_error("--late-max must be at least 7s");
	if (!!o->kafka != !!o->topic)
		nw_usage_error("--kafka and --topic go together");
	if (o->truth && !o->scenario)
		nw_usage_error("--truth needs --scenario");
	if (o->rate > 0 && (o->scenario || o->start_ms < 0))
		nw_usage_error("--rate needs --start-time and no --scenario");
	if (o->realtime && !o->scenario)
		nw_usage_error("--realtime needs --scenario (use --eps otherwise)");
	if (o->realtime && o->eps_set && o->eps > 0)
		nw_usage_error("--realtime and --eps N > 0 are two pacings; pick one");
}

void gen_opts_parse(struct gen_opts *o, int argc, char **argv)
{
	*o = (struct gen_opts){
		.eps = GEN_EPS_DEFAULT, .start_ms = -1, .sources = GEN_POOL_SIZE,
		.workers = GEN_WORKERS_DEFAULT, .chaos = true,
		.p_spike = 0.1, .p_error = 0.05, .p_exfil = 0.02,
		.sc = { .ooo_jitter_ms = 3000, .late_min_ms = 7000,
		        .late_max_ms = 90000,
		        .bad_kinds = (1u << GEN_BAD_COUNT) - 1, .hold_max = 65536 },
	};
	read_env(o);
	parse_flags(o, argc, argv);
}
