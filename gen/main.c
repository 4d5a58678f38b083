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
 * except for the stream chaos asked for (stream.c).  With --kafka the output
 * goes into a kcat-src producer child instead of stdout (kafka.c).
 */
#include "gen.h"
#include "nw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct gen_opts opt;            /* gen_opts_parse (opts.c) */
static struct gen_scenario scen;       /* the streams point into it */
static FILE *truth_fp;

/* ---- set-up and tear-down -------------------------------------------------- */

/* The --truth file gets the spans the streams emitted (stream.c), once:
 * at the end, or when output fails. */
static void write_truth(void)
{
	if (truth_fp == NULL)
		return;
	gen_streams_truth(truth_fp);
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
	gen_kafka_gone();
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

/* One event as a line of the chosen format (no newline). */
static size_t format_line(char *out, const struct gen_event *e)
{
	return opt.format == GEN_FMT_JSON ? gen_event_format(out, e)
	                                  : gen_log_format(out, e, opt.format);
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
		struct gen_stream *s = gen_stream_next();
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
		if (!gen_stream_keep(s, r)) {    /* night: fewer events */
			gen_stream_skip(s);
			continue;
		}
		int64_t ev_ms = synthetic ? t0_ms + rel_ns / 1000000 : wall_s * 1000;
		gen_event_normal(&e, r, opt.sources);
		if (s->nsrc && s->ep == NULL)    /* a scenario's own hosts */
			e.src = gen_source(gen_source_skewed(r, s->nsrc, s->skew));
		e.ts = ev_ms / 1000;
		e.log = GEN_LOG_FW;
		e.user_name = NULL;
		if (opt.format != GEN_FMT_JSON && s->ep == NULL)
			gen_log_normal(&e, r, opt.sources);
		if (s->ep)
			gen_episode_event(s->ep, s->k, r, &e);
		else if (chaos)
			gen_event_chaos(&e, r, &cp);
		gen_stream_advance(s, e.ts);
		n++;
		gen_ctr.events++;

		if (stream_chaos) {
			size_t len = format_line(line, &e);
			line[len++] = '\n';
			gen_chaos_emit(line, len, ev_ms);
		} else {
			char *p = gen_out_reserve(GEN_LINE_MAX);
			size_t len = format_line(p, &e);
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
	size_t nstreams;

	nw_log_init("gen");
	gen_opts_parse(&opt, argc, argv);
	if (opt.scenario &&
	    gen_scenario_load(opt.scenario, &scen, err, sizeof err) < 0)
		nw_usage_error("bad scenario: %s", err);
	for (size_t i = 0; opt.format == GEN_FMT_JSON && i < scen.nep; i++)
		if (gen_kinds[scen.ep[i].kind].log_only)
			nw_usage_error("bad scenario: kind \"%s\" is a log kind: use "
			               "--format rfc5424 or rfc3164",
			               gen_kinds[scen.ep[i].kind].name);
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
		out_fd = gen_kafka_start(opt.kafka, opt.topic);
	gen_out_init(out_fd);
	gen_out_on_exit(out_exit_hook);
	nstreams = gen_streams_setup(&opt, &scen);
	if (gen_chaos_active(&opt.sc))
		gen_chaos_init(&opt.sc, opt.seed, opt.sources);
	LOG_DEBUG("start seed=%llu eps=%g synthetic=%d streams=%zu",
	          (unsigned long long)opt.seed, pace_eps, synthetic, nstreams);

	run(t0_ms, synthetic, pace_eps);

	write_truth();
	if (opt.kafka)
		rc = gen_kafka_stop(out_fd);
	LOG_INFO("done events=%llu lines_out=%llu bytes=%llu",
	         (unsigned long long)gen_ctr.events,
	         (unsigned long long)nw_std.lines_out,
	         (unsigned long long)gen_ctr.bytes);
	nw_stats_close();
	gen_chaos_free();
	gen_out_free();
	gen_streams_free();
	gen_scenario_free(&scen);
	return rc;
}
