/*
 * window - event-time sliding-window aggregator.
 *
 * Reads telemetry events (NDJSON) on stdin, groups them per key in
 * epoch-aligned sliding windows with Flink's watermark semantics, and
 * writes one window record per (key field, key, window) on stdout.
 * Control lines pass through in order, except kcat-src's assign,
 * partition and revoke lines, which feed the per-partition watermark
 * (wm_ctl.c, wmark.h) and stop here; bad lines go to the dead-letter
 * output, late events to the late output.  The flags are in opts.c.  See
 * README "### window".
 */
#include "nw.h"
#include "opts.h"
#include "stage.h"
#include "agg.h"
#include "engine.h"
#include "ckpt.h"
#include "win_ckpt.h"
#include "event.h"
#include "wm_ctl.h"
#include "route.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- the run ----------------------------------------------------------- */

static struct {
	struct win_parser parser;
	struct win_engine eng;          /* the main engine */
	struct win_route route;         /* it, and partitions taken over */
	int64_t field_size[WIN_MAX_KEYS];   /* --key F@DUR sizes, 0: --size */
	struct nw_dlq dlq;
	struct nw_sink *late;
	bool key_limit_logged, parse_only;
	uint64_t unkeyed;               /* events with no key field (skip mode) */
	/* Counted here, where every engine's events and records pass (the main
	 * one and those of partitions taken over, route.h), not per engine. */
	uint64_t events, records, late_n;
	int64_t idle_ms;
	const char *ckpt_dir;           /* checkpoints, NULL: off */
	/* the partition last announced before a record (emit_record) */
	bool announced;
	struct nw_buf ann_topic, ann_line;
	int32_t ann_partition;
} W;

/* A record; before it, when its key's partition is not the one last
 * announced, a partition line for detect (docs/contracts.md §4), which
 * keeps its state per partition for a takeover.  Without partition lines
 * in (every key in the implicit partition) nothing is announced, so the
 * output is the same byte for byte. */
static void emit_record(const char *rec, size_t n, const struct win_tag *tag,
                        void *arg)
{
	(void)arg;
	if (tag->topic != NULL &&
	    (!W.announced || W.ann_partition != tag->partition ||
	     W.ann_topic.len != tag->tlen ||
	     memcmp(W.ann_topic.p, tag->topic, tag->tlen) != 0)) {
		nw_buf_reset(&W.ann_topic);
		nw_buf_add(&W.ann_topic, tag->topic, tag->tlen);
		W.ann_partition = tag->partition;
		W.announced = true;
		nw_buf_reset(&W.ann_line);
		nw_buf_adds(&W.ann_line, "{\"@ctl\":{\"type\":\"partition\",\"topic\":");
		nw_buf_add_jstr(&W.ann_line, tag->topic, tag->tlen);
		nw_buf_printf(&W.ann_line, ",\"partition\":%d}}", (int)tag->partition);
		nw_out_line(W.ann_line.p, W.ann_line.len);
	}
	W.records++;
	nw_out_line(rec, n);
}

static void put_late(const char *line, size_t n)
{
	if (W.late) {
		nw_sink_line(W.late, line, n);
	} else if (W.late_n <= 10 || W.late_n % 10000 == 0) {
		LOG_WARN("late event total=%llu line=%.200s%s",
		         (unsigned long long)W.late_n, line,
		         W.late_n == 10 ? " (further ones logged once per 10000; use --late FILE)" : "");
	}
}

/* A barrier snapshots the engine, a restore puts a snapshot back; either
 * failing ends the run (the supervisor restarts the chain).  The line is
 * then passed on: the records fired so far are ahead of it.  Assign,
 * partition and revoke lines go to the watermark source. */
static enum nw_stage_verdict win_on_ctl(struct nw_stage *st,
                                        enum nw_ctl_kind kind, uint64_t id,
                                        const char *line, size_t n)
{
	int rc = 0;

	if (kind == NW_CTL_OTHER && !W.parse_only && win_wm_ctl(&W.route, line, n))
		return NW_STAGE_CONSUMED;
	if (kind == NW_CTL_RESTORE)
		W.announced = false;    /* detect restores: announce again */
	if (W.ckpt_dir == NULL)
		return NW_STAGE_FORWARD;
	if (kind == NW_CTL_BARRIER)
		rc = win_ckpt_save(&W.route, W.ckpt_dir, id);
	else if (kind == NW_CTL_RESTORE)
		rc = win_ckpt_load(&W.route, W.ckpt_dir, id);
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
		if (reason == win_unkeyed && W.parser.skip_missing)
			W.unkeyed++;         /* asked for: not a dead letter */
		else
			nw_dlq_put(&W.dlq, reason, line, n);
		return;
	}
	if (W.parse_only) {
		W.events++;
		return;
	}
	switch (win_engine_event_keys(W.route.cur, ts, W.parser.keys,
	                              W.parser.kfirst, W.parser.in)) {
	case WIN_EV_OK:
		W.events++;
		break;
	case WIN_EV_LATE:
		W.late_n++;
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

/* Idle timeout: quiet partitions stop holding the watermark back, and a
 * quiet input lets wall-clock time carry it on (wmark.h). */
static void win_on_tick(struct nw_stage *st)
{
	if (W.idle_ms)
		win_route_tick(&W.route);
}

/* End of input: every window still open fires. */
static void win_on_end(struct nw_stage *st)
{
	if (!W.parse_only)
		win_route_finish(&W.route);
}

/* The standard counters (lines_in, dead_letters, ctl_lines, …) come from
 * lib; these are window's own. */
static void stats_setup(const struct win_opts *o)
{
	nw_stats_init(o->stats_path, 1000);
	nw_stats_u64("events", &W.events);
	nw_stats_u64("records", &W.records);
	nw_stats_u64("late", &W.late_n);
	nw_stats_u64("refired", &W.eng.refired);
	nw_stats_u64("key_limit", &W.eng.key_limit);
	nw_stats_gauge("keys", &W.eng.keys);
	nw_stats_gauge("panes", &W.eng.panes);
	nw_stats_i64("watermark", &W.eng.wm);
	if (o->skip_missing)
		nw_stats_u64("unkeyed", &W.unkeyed);
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
	struct win_opts o;
	struct win_agg aggs[WIN_OPTS_MAX_AGGS];
	char err[256];
	int naggs, rc;

	nw_log_init("window");
	win_opts_parse(argc, argv, &o);
	naggs = win_opts_aggs(&o, aggs);
	if (win_parser_init(&W.parser, o.time_field, o.unit, o.keys, o.nkeys,
	                    aggs, naggs, err, sizeof err) < 0)
		nw_usage_error("%s", err);
	if (win_engine_init(&W.eng, &o.cfg, aggs, naggs, win_aggs_layout(aggs, naggs),
	                    o.keys, W.parser.key_slots, o.nkeys, emit_record, NULL) < 0)
		nw_usage_error("bad window configuration");
	for (int i = 0; i < o.nkeys; i++) {
		W.field_size[i] = W.parser.kspec[i].size;
		if (W.field_size[i] &&
		    win_engine_field_size(&W.eng, i, W.field_size[i]) < 0)
			nw_usage_error("--key %s: its size must be at least --slide and "
			               "differ from --size by a whole number of slides",
			               o.keys[i]);
	}
	win_route_init(&W.route, &W.eng, &o.cfg, aggs, naggs,
	               win_aggs_layout(aggs, naggs), o.keys, W.parser.key_slots,
	               o.nkeys, emit_record, NULL);
	W.route.field_size = W.field_size;
	W.idle_ms = o.idle_ms;
	if (o.idle_ms) {
		win_wm_set_idle(&W.eng.src, o.idle_ms, nw_mono_ms);
		win_route_set_idle(&W.route, o.idle_ms, nw_mono_ms);
	}
	W.parse_only = o.parse_only;
	W.parser.skip_missing = o.skip_missing;
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
	         (unsigned long long)W.events,
	         (unsigned long long)W.records, (unsigned long long)W.late_n,
	         (unsigned long long)nw_std.dead_letters);
	nw_stats_close();
	nw_dlq_close(&W.dlq);
	nw_sink_close(W.late);
	win_route_free(&W.route);
	nw_buf_free(&W.ann_topic);
	nw_buf_free(&W.ann_line);
	win_engine_free(&W.eng);
	win_parser_free(&W.parser);
	for (int i = 0; i < naggs; i++)
		win_agg_free(&aggs[i]);
	return rc;
}
