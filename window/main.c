/*
 * window - event-time sliding-window aggregator.
 *
 * Reads telemetry events (NDJSON) on stdin, groups them per key in
 * epoch-aligned sliding windows with Flink's watermark semantics, and
 * writes one window record per (key field, key, window) on stdout.
 * Control lines pass through in order; bad lines go to the dead-letter
 * output, late events to the late output.  See README "### window".
 */
#include "nw.h"
#include "cli.h"
#include "stage.h"
#include "agg.h"
#include "engine.h"
#include "ckpt.h"
#include "win_ckpt.h"
#include "event.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
"usage: window [--key FIELD]... [--time-field FIELD]\n"
"              [--time-unit auto|s|ms|us|ns|rfc3339] [--size DUR] [--slide DUR]\n"
"              [--out-of-orderness DUR] [--allowed-lateness DUR]\n"
"              [--idle-timeout DUR] [--agg SPEC]... [--max-keys N]\n"
"              [--late FILE] [--dead-letter FILE] [--stats FILE]\n"
"              [-h|--help] [-V|--version]\n"
"\n"
"Event-time sliding windows over NDJSON telemetry on stdin; window records\n"
"on stdout.\n"
"\n"
"  --key FIELD             key field (dotted path); repeat for one record\n"
"                          stream per field (default src_ip)\n"
"  --time-field FIELD      event timestamp field (default timestamp)\n"
"  --time-unit UNIT        auto (by magnitude; strings as RFC 3339), s, ms,\n"
"                          us, ns or rfc3339 (default auto)\n"
"  --size DUR              window size (default 60s)\n"
"  --slide DUR             window slide; equal to size for tumbling windows\n"
"                          (default 10s)\n"
"  --out-of-orderness DUR  watermark bound (default 5s)\n"
"  --allowed-lateness DUR  re-fire updated windows for events this late\n"
"                          (default 0s)\n"
"  --idle-timeout DUR      after this long without events, let wall-clock\n"
"                          advance the watermark (default off)\n"
"  --agg SPEC              count | sum(F) | min(F) | max(F) | avg(F) |\n"
"                          distinct(F) | NAME=count_if(F OP VALUE), OP one of\n"
"                          = != < <= > >= contains; repeatable (default: the\n"
"                          set detect's rules need, see README)\n"
"  --max-keys N            live keys over all key fields (default 1000000);\n"
"                          events of new keys beyond it are dead letters\n"
"  --late FILE             late events, one line each (\"-\": stderr)\n"
"  --dead-letter FILE      rejected lines as {\"reason\":…,\"line\":…}\n"
"  --stats FILE            counters as one JSON line, replaced every second\n"
"  --checkpoint-dir DIR    snapshot the state at barriers, restore it at a\n"
"                          restore line (default: env NW_CHECKPOINT_DIR;\n"
"                          none: off); see docs/recovery.md\n"
"  -h, --help, -V, --version\n"
"\n"
"DUR: 250ms, 5s, 10m, 1h, 1d (a bare number is seconds).\n";

enum { O_KEY = 256, O_TFIELD, O_TUNIT, O_SIZE, O_SLIDE, O_OOO, O_LATENESS,
       O_IDLE, O_AGG, O_MAXKEYS, O_LATE, O_DLQ, O_STATS, O_PARSE_ONLY, O_CKPT };

static const struct option longopts[] = {
	{ "key", required_argument, NULL, O_KEY },
	{ "time-field", required_argument, NULL, O_TFIELD },
	{ "time-unit", required_argument, NULL, O_TUNIT },
	{ "size", required_argument, NULL, O_SIZE },
	{ "slide", required_argument, NULL, O_SLIDE },
	{ "out-of-orderness", required_argument, NULL, O_OOO },
	{ "allowed-lateness", required_argument, NULL, O_LATENESS },
	{ "idle-timeout", required_argument, NULL, O_IDLE },
	{ "agg", required_argument, NULL, O_AGG },
	{ "max-keys", required_argument, NULL, O_MAXKEYS },
	{ "late", required_argument, NULL, O_LATE },
	{ "dead-letter", required_argument, NULL, O_DLQ },
	{ "stats", required_argument, NULL, O_STATS },
	{ "checkpoint-dir", required_argument, NULL, O_CKPT },
	/* benchmark only: parse and check events, nothing else */
	{ "parse-only", no_argument, NULL, O_PARSE_ONLY },
	NW_CLI_STD_OPTS,
	{ NULL, 0, NULL, 0 },
};
static const struct nw_cli cli = { "", longopts, usage_text, NULL };

struct opts {
	const char *keys[WIN_MAX_KEYS];
	int nkeys;
	const char *time_field;
	enum win_tunit unit;
	struct win_cfg cfg;
	int64_t idle_ms;
	const char *aggspecs[64];
	int naggs;
	const char *late_path, *dlq_path, *stats_path, *ckpt_dir;
	bool parse_only;
};

static void parse_flags(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){ .time_field = "timestamp", .unit = WT_AUTO,
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
			if (o->naggs == 63)
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
static int build_aggs(const struct opts *o, struct win_agg *aggs)
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

/* ---- the run ----------------------------------------------------------- */

static struct {
	struct win_parser parser;
	struct win_engine eng;
	struct nw_dlq dlq;
	struct nw_sink *late;
	bool key_limit_logged, parse_only;
	int64_t idle_ms, last_event_mono, idle_base_ts;
	const char *ckpt_dir;           /* checkpoints, NULL: off */
} W;

static void emit_record(const char *rec, size_t n, void *arg)
{
	(void)arg;
	nw_out_line(rec, n);
}

static void put_late(const char *line, size_t n)
{
	if (W.late) {
		nw_sink_line(W.late, line, n);
	} else if (W.eng.late <= 10 || W.eng.late % 10000 == 0) {
		LOG_WARN("late event total=%llu line=%.200s%s",
		         (unsigned long long)W.eng.late, line,
		         W.eng.late == 10 ? " (further ones logged once per 10000; use --late FILE)" : "");
	}
}

/* A barrier snapshots the engine, a restore puts a snapshot back; either
 * failing ends the run (the supervisor restarts the chain).  The line is
 * then passed on: the records fired so far are ahead of it. */
static enum nw_stage_verdict win_on_ctl(struct nw_stage *st,
                                        enum nw_ctl_kind kind, uint64_t id,
                                        const char *line, size_t n)
{
	int rc = 0;

	if (W.ckpt_dir == NULL)
		return NW_STAGE_FORWARD;
	if (kind == NW_CTL_BARRIER)
		rc = win_ckpt_save(&W.eng, W.ckpt_dir, id);
	else if (kind == NW_CTL_RESTORE) {
		rc = win_ckpt_load(&W.eng, W.ckpt_dir, id);
		W.last_event_mono = 0;          /* no event since */
	}
	if (rc != 0) {
		nw_stage_stop(st, NW_EXIT_FAIL);
		return NW_STAGE_CONSUMED;
	}
	return NW_STAGE_FORWARD;
}

static void win_on_line(struct nw_stage *st, char *line, size_t n)
{
	const char *reason;
	int64_t ts;

	if ((reason = win_parse_event(&W.parser, line, n, &ts)) != NULL) {
		nw_dlq_put(&W.dlq, reason, line, n);
		return;
	}
	if (W.parse_only) {
		W.eng.events++;
		return;
	}
	switch (win_engine_event(&W.eng, ts, W.parser.vals, W.parser.in)) {
	case WIN_EV_OK:
		if (W.idle_ms) {
			W.last_event_mono = nw_mono_ms();
			W.idle_base_ts = W.eng.max_ts;
		}
		break;
	case WIN_EV_LATE:
		put_late(line, n);
		break;
	case WIN_EV_KEY_LIMIT:
		if (!W.key_limit_logged) {
			LOG_WARN("key limit reached max_keys=%llu: events of new keys go "
			         "to the dead-letter output (logged once)",
			         (unsigned long long)W.eng.cfg.max_keys);
			W.key_limit_logged = true;
		}
		nw_dlq_put(&W.dlq, "key limit", line, n);
		break;
	}
}

/* The input has been quiet for the idle timeout: let wall-clock time since
 * the last event carry the watermark on. */
static void win_on_tick(struct nw_stage *st)
{
	int64_t quiet;

	if (!W.idle_ms || W.last_event_mono == 0)
		return;
	quiet = nw_mono_ms() - W.last_event_mono;
	if (quiet >= W.idle_ms)
		win_engine_advance(&W.eng, W.idle_base_ts + quiet - W.eng.cfg.bound - 1);
}

/* End of input: every window still open fires. */
static void win_on_end(struct nw_stage *st)
{
	if (!W.parse_only)
		win_engine_finish(&W.eng);
}

/* The standard counters (lines_in, dead_letters, ctl_lines, …) come from
 * lib; these are window's own. */
static void stats_setup(const struct opts *o)
{
	nw_stats_init(o->stats_path, 1000);
	nw_stats_u64("events", &W.eng.events);
	nw_stats_u64("records", &W.eng.records);
	nw_stats_u64("late", &W.eng.late);
	nw_stats_u64("refired", &W.eng.refired);
	nw_stats_u64("key_limit", &W.eng.key_limit);
	nw_stats_gauge("keys", &W.eng.keys);
	nw_stats_gauge("panes", &W.eng.panes);
	nw_stats_i64("watermark", &W.eng.wm);
}

/* Wake up now and then on a quiet input: stats, and the idle timeout. */
static int tick_ms(int64_t idle_ms)
{
	if (idle_ms == 0)
		return 1000;
	return (int)(idle_ms / 4 < 10 ? 10 : idle_ms / 4 > 1000 ? 1000 : idle_ms / 4);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct win_agg aggs[64];
	char err[256];
	int naggs, rc;

	nw_log_init("window");
	parse_flags(argc, argv, &o);
	naggs = build_aggs(&o, aggs);
	if (win_parser_init(&W.parser, o.time_field, o.unit, o.keys, o.nkeys,
	                    aggs, naggs, err, sizeof err) < 0)
		nw_usage_error("%s", err);
	if (win_engine_init(&W.eng, &o.cfg, aggs, naggs, win_aggs_layout(aggs, naggs),
	                    o.keys, W.parser.key_slots, o.nkeys, emit_record, NULL) < 0)
		nw_usage_error("bad window configuration");
	W.idle_ms = o.idle_ms;
	W.parse_only = o.parse_only;
	W.ckpt_dir = nw_ckpt_dir(o.ckpt_dir);

	nw_sig_init();
	nw_out_init();
	if (nw_dlq_open(&W.dlq, o.dlq_path) < 0)
		nw_usage_error("--dead-letter %s: %s", o.dlq_path, strerror(errno));
	if (o.late_path && (W.late = nw_sink_open(o.late_path)) == NULL)
		nw_usage_error("--late %s: %s", o.late_path, strerror(errno));
	stats_setup(&o);
	LOG_INFO("started keys=%d size_ms=%lld slide_ms=%lld bound_ms=%lld aggs=%d",
	         o.nkeys, (long long)o.cfg.size, (long long)o.cfg.slide,
	         (long long)o.cfg.bound, naggs);

	struct nw_stage st = { .on_line = win_on_line, .on_ctl = win_on_ctl,
	                       .on_tick = win_on_tick, .on_end = win_on_end,
	                       .dlq = &W.dlq, .tick_ms = tick_ms(o.idle_ms) };
	rc = nw_stage_run(&st);

	LOG_INFO("done lines_in=%llu events=%llu records=%llu late=%llu "
	         "dead_letters=%llu", (unsigned long long)nw_std.lines_in,
	         (unsigned long long)W.eng.events,
	         (unsigned long long)W.eng.records, (unsigned long long)W.eng.late,
	         (unsigned long long)nw_std.dead_letters);
	nw_stats_close();
	nw_dlq_close(&W.dlq);
	nw_sink_close(W.late);
	win_engine_free(&W.eng);
	win_parser_free(&W.parser);
	for (int i = 0; i < naggs; i++)
		win_agg_free(&aggs[i]);
	return rc;
}
