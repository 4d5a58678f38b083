/*
 * throttle - the Redis dedup gate: an alert passes once per key per TTL.
 *
 *   throttle [--redis-url URL] [--ttl DUR] [--key-template T]
 *            [--on-redis-down open|closed] [--queue-max N] [--local-max N]
 *            [--timeout DUR] [--suppressed FILE] [--dead-letter FILE]
 *            [--stats FILE] [--max-line BYTES] [--help] [--version]
 *
 * Each alert claims its key with SET key alert_id NX GET PX ttl.  Claimed, or
 * held by the same alert_id (a replay): the line passes unchanged.  Held by
 * another id: suppressed.  Lines waiting in the input are claimed in one
 * pipelined round trip; output keeps input order.  While Redis is away,
 * "open" passes alerts through a local TTL table, "closed" holds them.
 *
 * This file is the program: set-up, the read loop, tear-down.  The flags
 * are opts.c's; the queue, the claims and the outage handling pipe.c's;
 * Redis itself is gate.c's; reading lines and telling control lines apart
 * is lib's stage skeleton (stage.h).  main owns the configuration, the
 * stage and its reader, the side outputs, the gate and the pipe, all
 * static, for the whole run.
 */
#include "thr.h"
#include "pipe.h"
#include "stage.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define STATS_TICK_MS 1000

static struct thr_opts cfg;

static struct {
	struct nw_stage st;
	bool may_block;                  /* the next read may wait */
	struct nw_sink *suppressed;
	struct nw_dlq dlq;
	struct thr_gate gate;
	struct thr_pipe pipe;
} g;

/* ---- outputs: stdout, --suppressed, the stats file ------------------------ */

/* stdout is flushed before a read that may wait, not before every read. */
static void before_block(void)
{
	if (g.may_block)
		nw_out_flush();
}

/* A verdict leaves the pipe: the line to stdout, or to --suppressed. */
static void release(void *arg, const struct thr_item *it)
{
	if (it->state == THR_PASS)
		nw_out_line(it->line, it->line_len);
	else if (g.suppressed)
		nw_sink_line(g.suppressed, it->line, it->line_len);
}

static void stats_mode(struct nw_buf *out, void *arg)
{
	nw_buf_adds(out, cfg.closed ? "\"closed\"" : "\"open\"");
}

/* ---- set-up and tear-down ------------------------------------------------ */

static void setup(void)
{
	const struct thr_pipe_cfg pc = {
		.tmpl = cfg.tmpl, .ttl_ms = cfg.ttl_ms, .closed = cfg.closed,
		.queue_max = cfg.queue_max, .local_max = cfg.local_max,
		.now = nw_mono_ms, .release = release, .dlq = &g.dlq,
	};

	if (cfg.suppressed && (g.suppressed = nw_sink_open(cfg.suppressed)) == NULL)
		nw_usage_error("--suppressed: cannot open %s: %s", cfg.suppressed,
		               strerror(errno));
	if (nw_dlq_open(&g.dlq, cfg.dead_letter) < 0)
		nw_usage_error("--dead-letter: cannot open %s: %s", cfg.dead_letter,
		               strerror(errno));
	thr_gate_init(&g.gate, &cfg.url, cfg.ttl_ms, cfg.timeout_ms);
	nw_redis_url_wipe(&cfg.url);            /* the gate keeps the only copy */
	if (thr_pipe_init(&g.pipe, &pc,
	                  (struct thr_link){ &thr_gate_ops, &g.gate }) < 0)
		nw_usage_error("--local-max: out of range");
	g.st = (struct nw_stage){
		.max_line = cfg.max_line, .dlq = &g.dlq, .arg = &g.pipe,
		.on_line = thr_pipe_line, .on_ctl = thr_pipe_ctl,
		.on_too_long = thr_pipe_too_long, .before_block = before_block,
	};
	nw_stage_init(&g.st);
	nw_out_init();
	nw_sig_init();
	nw_stats_init(cfg.stats, STATS_TICK_MS);
	nw_stats_fn("mode", stats_mode, NULL);
	thr_pipe_stats(&g.pipe);
}

/* Lines still held (closed mode, stopped by a signal) are dead-lettered by
 * the pipe; that is a failure, as is a read error. */
static int teardown(void)
{
	int rc = thr_pipe_finish(&g.pipe) > 0 ? NW_EXIT_FAIL : NW_EXIT_OK;

	if (nw_stage_finish(&g.st) != NW_EXIT_OK)
		rc = NW_EXIT_FAIL;
	nw_stats_close();
	thr_pipe_free(&g.pipe);
	thr_gate_close(&g.gate);
	nw_redis_url_wipe(&g.gate.url);
	nw_sink_close(g.suppressed);
	nw_dlq_close(&g.dlq);
	return rc;
}

/* ---- the loop ---------------------------------------------------------------- */

/* Read what the input holds now into the pipe, one batch at most, waiting
 * only for the first line and only when the pipe has nothing to do.
 * Returns true when the batch was cut short (more input is waiting). */
static bool fill(void)
{
	int timeout = thr_pipe_wait_ms(&g.pipe, STATS_TICK_MS);

	for (size_t budget = THR_BATCH_MAX; !thr_pipe_full(&g.pipe); budget--) {
		uint64_t seen = g.pipe.taken;
		if (budget == 0)
			return true;
		g.may_block = timeout != 0;
		if (!nw_stage_step(&g.st, timeout) || g.pipe.taken == seen)
			return false;
		timeout = 0;
	}
	return false;
}

int main(int argc, char **argv)
{
	nw_log_init("throttle");
	thr_opts_parse(argc, argv, &cfg);
	setup();
	if (thr_pipe_start(&g.pipe) < 0)
		exit(NW_EXIT_FAIL);
	while (!nw_sig_stop && g.st.rc == NW_EXIT_OK) {
		bool busy = !g.st.done && !thr_pipe_full(&g.pipe) && fill();
		thr_pipe_step(&g.pipe, busy);
		nw_stats_tick();
		if (thr_pipe_queued(&g.pipe) == 0 && g.st.done)
			break;
		/* held with nothing to read: wait for the next try of Redis */
		if (thr_pipe_holding(&g.pipe) &&
		    (thr_pipe_full(&g.pipe) || g.st.done)) {
			nw_out_flush();
			poll(NULL, 0, thr_pipe_wait_ms(&g.pipe, STATS_TICK_MS));
		}
	}
	if (nw_sig_stop)               /* finish what was read, if we can */
		thr_pipe_step(&g.pipe, false);
	return teardown();
}
