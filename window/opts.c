/*
 * opts.c - window's command line: the flag table (what window accepts and
 * what --help lists, both built from it by lib's toolkit, cli.h), flag
 * parsing, the checks between flags, and the aggregate list the --agg
 * flags make (see opts.h).
 */
#include "opts.h"
#include "cli.h"

#include <string.h>

enum { O_KEY = 256, O_TFIELD, O_TUNIT, O_SIZE, O_SLIDE, O_OOO, O_LATENESS,
       O_IDLE, O_AGG, O_MAXKEYS, O_LATE, O_DLQ, O_STATS, O_PARSE_ONLY, O_CKPT,
       O_MISSING };

static const struct nw_flag flags[] = {
	{ "key", O_KEY, "FIELD", "key field (dotted path); repeat for one record\n"
	  "stream per field (default src_ip); A+B joins parts,\n"
	  "F[] takes each string of an array, F@DUR gives the\n"
	  "field windows of its own size" },
	{ "time-field", O_TFIELD, "FIELD", "event timestamp field (default timestamp)" },
	{ "time-unit", O_TUNIT, "UNIT", "auto (by magnitude; strings as RFC 3339), s, ms,\n"
	  "us, ns or rfc3339 (default auto)" },
	{ "size", O_SIZE, "DUR", "window size (default 60s)" },
	{ "slide", O_SLIDE, "DUR", "window slide; equal to size for tumbling windows\n"
	  "(default 10s)" },
	{ "out-of-orderness", O_OOO, "DUR", "watermark bound (default 5s)" },
	{ "allowed-lateness", O_LATENESS, "DUR", "re-fire updated windows for events this late\n"
	  "(default 0s)" },
	{ "idle-timeout", O_IDLE, "DUR", "a partition without events for this long stops\n"
	  "holding the watermark back; when every one is\n"
	  "quiet, wall-clock advances it (default off)" },
	{ "agg", O_AGG, "SPEC", "count | sum(F) | min(F) | max(F) | avg(F) |\n"
	  "distinct(F) | NAME=count_if(F OP VALUE), OP one of\n"
	  "= != < <= > >= contains | spread_km(F), km between\n"
	  "the locations F.lat, F.lon; repeatable (default:\n"
	  "the set detect's rules need, see README)" },
	{ "max-keys", O_MAXKEYS, "N", "live keys over all key fields (default 1000000);\n"
	  "events of new keys beyond it are dead letters" },
	{ "missing-key", O_MISSING, "WHAT", "an event without one of the key fields:\n"
	  "dead-letter, or skip (counted under the keys it\n"
	  "has; with none, counted as unkeyed)  (default\n"
	  "dead-letter)" },
	{ "late", O_LATE, "FILE", "late events, one line each (\"-\": stderr)" },
	{ "dead-letter", O_DLQ, "FILE", "rejected lines as {\"reason\":…,\"line\":…}" },
	{ "stats", O_STATS, "FILE", "counters as one JSON line, replaced every second" },
	{ "checkpoint-dir", O_CKPT, "DIR", "snapshot the state at barriers, restore it at a\n"
	  "restore line (default: env NW_CHECKPOINT_DIR;\n"
	  "none: off); see docs/recovery.md" },
	/* benchmark only: parse and check events, nothing else */
	{ "parse-only", O_PARSE_ONLY, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

static const struct nw_cli cli = {
	.head =
"usage: window [--key FIELD]... [--time-field FIELD]\n"
"              [--time-unit auto|s|ms|us|ns|rfc3339] [--size DUR] [--slide DUR]\n"
"              [--out-of-orderness DUR] [--allowed-lateness DUR]\n"
"              [--idle-timeout DUR] [--agg SPEC]... [--max-keys N]\n"
"              [--missing-key dead-letter|skip]\n"
"              [--late FILE] [--dead-letter FILE] [--stats FILE]\n"
"              [--checkpoint-dir DIR] [-h|--help] [-V|--version]\n"
"\n"
"Event-time sliding windows over NDJSON telemetry on stdin; window records\n"
"on stdout.\n"
"\n",
	.flags = flags,
	.tail = "\nDUR: 250ms, 5s, 10m, 1h, 1d (a bare number is seconds).\n",
};

/* Defaults, then the flags; anything bad exits 2 with one line. */
void win_opts_parse(int argc, char **argv, struct win_opts *o)
{
	int c;

	*o = (struct win_opts){ .time_field = "timestamp", .unit = WT_AUTO,
	                    .cfg = { 60000, 10000, 5000, 0, 1000000 } };
	while ((c = nw_getopt(argc, argv, &cli)) != -1) {
		switch (c) {
		case O_KEY:
			if (o->nkeys == WIN_MAX_KEYS)
				nw_usage_error("at most %d --key flags", WIN_MAX_KEYS);
			for (int i = 0; i < o->nkeys; i++)
				if (strcmp(o->keys[i], optarg) == 0)
					nw_usage_error("--key %s given twice", optarg);
			o->keys[o->nkeys++] = optarg;
			break;
		case O_TFIELD: o->time_field = optarg; break;
		case O_CKPT: o->ckpt_dir = optarg; break;
		case O_MISSING: {
			static const char *const how[] = { "dead-letter", "skip" };
			o->skip_missing = nw_flag_choice("--missing-key", optarg, how, 2) == 1;
			break;
		}
		case O_TUNIT:
			if (win_tunit_parse(optarg, &o->unit) < 0)
				nw_usage_error("--time-unit: want auto, s, ms, us, ns or rfc3339, not \"%s\"", optarg);
			break;
		case O_SIZE: o->cfg.size = nw_flag_duration_ms("--size", optarg, 1); break;
		case O_SLIDE: o->cfg.slide = nw_flag_duration_ms("--slide", optarg, 1); break;
		case O_OOO: o->cfg.bound = nw_flag_duration_ms("--out-of-orderness", optarg, 0); break;
		case O_LATENESS: o->cfg.lateness = nw_flag_duration_ms("--allowed-lateness", optarg, 0); break;
		case O_IDLE: o->idle_ms = nw_flag_duration_ms("--idle-timeout", optarg, 1); break;
		case O_AGG:
			if (o->naggs == WIN_OPTS_MAX_AGGS - 1)
				nw_usage_error("too many --agg flags");
			o->aggspecs[o->naggs++] = optarg;
			break;
		case O_MAXKEYS:
			o->cfg.max_keys = nw_flag_count("--max-keys", optarg, 1, UINT64_MAX);
			break;
		case O_LATE: o->late_path = optarg; break;
		case O_DLQ: o->dlq_path = optarg; break;
		case O_STATS: o->stats_path = optarg; break;
		case O_PARSE_ONLY: o->parse_only = true; break;
		}
	}
	if (optind < argc)
		nw_usage_error("unexpected argument \"%s\" (window reads stdin)", argv[optind]);
	if (o->nkeys == 0)
		o->keys[o->nkeys++] = "src_ip";
	if (o->cfg.slide > o->cfg.size)
		nw_usage_error("--slide must not exceed --size");
	if (o->cfg.size > INT64_C(366) * 86400000 || o->cfg.bound > INT64_C(366) * 86400000 ||
	    o->cfg.lateness > INT64_C(366) * 86400000)
		nw_usage_error("durations over a year are not supported");
	if (o->naggs == 0)
		for (const char *const *s = win_default_aggs; *s; s++)
			o->aggspecs[o->naggs++] = *s;
}

/* The aggregate list: count first, then the flags in order. */
int win_opts_aggs(const struct win_opts *o, struct win_agg *aggs)
{
	char err[256];
	int n = 0;

	for (int i = 0; i < o->naggs; i++) {
		struct win_agg a;
		if (win_agg_parse(o->aggspecs[i], &a, err, sizeof err) < 0)
			nw_usage_error("--agg: %s", err);
		if (a.fn == WF_COUNT) {
			win_agg_free(&a);
			continue;       /* count is always there */
		}
		for (int j = 0; j < n; j++)
			if (strcmp(aggs[j].name, a.name) == 0)
				nw_usage_error("--agg: two aggregates named %s", a.name);
		if (strcmp(a.name, "count") == 0 || strcmp(a.name, "approx") == 0 ||
		    strncmp(a.name, "window_", 7) == 0 || strcmp(a.name, "key") == 0 ||
		    strcmp(a.name, "key_field") == 0 || strcmp(a.name, "type") == 0)
			nw_usage_error("--agg: the name %s is taken by the record", a.name);
		aggs[n++] = a;
	}
	return n;
}
