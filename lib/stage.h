/*
 * stage.h - the stage skeleton: the one read loop every filter stage runs,
 * and the one classifier of control lines.
 *
 * A filter stage's main sets up, fills a struct nw_stage with its
 * callbacks and calls nw_stage_run:
 *
 *	static struct nw_stage st = {
 *		.on_line = win_on_line,     // a data line
 *		.on_ctl  = win_on_ctl,      // a control line (optional)
 *		.on_tick = win_on_tick,     // after every read (optional)
 *		.on_end  = win_on_end,      // at the end of the input (optional)
 *		.dlq = &W.dlq,              // where too-long lines go
 *		.tick_ms = 1000,
 *	};
 *	rc = nw_stage_run(&st);     // NW_EXIT_OK or NW_EXIT_FAIL
 *
 * What the loop does with each result of the line reader (nw_reader):
 *   line          counted in nw_std.lines_in (by the reader, as every
 *                 input counter); a control line ({"@ctl":…},
 *                 confirmed by parsing) is counted in nw_std.ctl_lines,
 *                 classified (nw_ctl_classify) and handed to on_ctl; unless
 *                 on_ctl says NW_STAGE_CONSUMED it is written to stdout
 *                 right away, so it keeps its place among the output lines.
 *                 Any other line goes to on_line.
 *   too long      counted in lines_in and too_long; on_too_long if set,
 *                 else a dead letter "line too long" on dlq (its first
 *                 max_line bytes).
 *   timeout/signal nothing (on_tick runs, see below).
 *   end of input  on_end, then the loop ends with NW_EXIT_OK.  Under
 *                 scripts/supervise the reader reopens the input FIFO
 *                 instead (counted in nw_std.reopens) until the upstream
 *                 stage finished for good.
 *   read error    "ERROR stage: cannot read stdin: …", nw_std.read_errors,
 *                 the loop ends with NW_EXIT_FAIL (on_end does not run).
 * After every read (whatever it returned) on_tick runs and the stats file
 * is refreshed when due: on_tick is the place for idle work (timeouts,
 * SIGHUP reloads); it runs at least every tick_ms while input is quiet.
 * The loop stops after the current step on SIGTERM/SIGINT (nw_sig_stop,
 * on_end does not run) or when a callback calls nw_stage_stop.  stdout is
 * flushed before every read that may block and when the loop ends.
 *
 * A stage with an event loop of its own (poll on other descriptors) uses
 * nw_stage_init, then nw_stage_step with its own timeout, then
 * nw_stage_finish; st.rd.fd is the descriptor to poll for input.
 *
 * Ownership: the stage owns the reader (st.rd) between init and finish; the
 * line handed to a callback is the reader's and valid until it returns (the
 * callback may modify it in place).  dlq and arg stay the caller's.
 */
#ifndef NW_STAGE_H
#define NW_STAGE_H

#include "nw.h"

/* ---- control lines: the one classifier --------------------------------- */
enum nw_ctl_kind {
	NW_CTL_NONE,      /* not a control line: data */
	NW_CTL_BARRIER,   /* {"@ctl":{"type":"barrier","id":N,…}} */
	NW_CTL_RESTORE,   /* {"@ctl":{"type":"restore","id":N,…}} */
	NW_CTL_OTHER      /* any other control line, or a barrier or restore
	                     whose id is not an integer >= 0 (a string id is
	                     not an id): passed on, never acted upon */
};
/* Classify one line; *id gets the barrier or restore id (left alone for
 * the other kinds).  Cheap for data lines (a look at the first bytes). */
enum nw_ctl_kind nw_ctl_classify(const char *line, size_t n, uint64_t *id);
/* "barrier", "restore", "other", "none" (for logs). */
const char *nw_ctl_kind_name(enum nw_ctl_kind kind);

/* ---- the read loop ----------------------------------------------------- */
enum nw_stage_verdict {
	NW_STAGE_FORWARD,    /* write the control line to stdout now */
	NW_STAGE_CONSUMED    /* the stage took care of it (or dropped it) */
};

struct nw_stage {
	/* set by the caller; every field is optional but on_line */
	int    fd;            /* input, 0 (stdin) by default */
	size_t max_line;      /* line length cap, 0: NW_MAX_LINE_DEFAULT */
	int    tick_ms;       /* longest wait for input, 0: 1000; < 0: forever */
	struct nw_dlq *dlq;   /* too-long lines go here (NULL: logged) */
	void  *arg;           /* for the callbacks */
	void (*on_line)(struct nw_stage *st, char *line, size_t n);
	enum nw_stage_verdict (*on_ctl)(struct nw_stage *st,
	                                enum nw_ctl_kind kind, uint64_t id,
	                                const char *line, size_t n);
	void (*on_too_long)(struct nw_stage *st, const char *head, size_t n);
	void (*on_tick)(struct nw_stage *st);
	void (*on_end)(struct nw_stage *st);
	void (*before_block)(void);   /* NULL: nw_out_flush */

	/* the loop's own */
	struct nw_reader rd;
	bool   done;
	int    rc;
};

/* Runs the whole loop: init, steps until done, finish.  Returns the exit
 * status: NW_EXIT_OK at the end of input or on a stop signal, NW_EXIT_FAIL
 * on a read error, or what a callback gave nw_stage_stop. */
int  nw_stage_run(struct nw_stage *st);

void nw_stage_init(struct nw_stage *st);
/* One read (waiting at most timeout_ms, < 0 forever) and its callbacks.
 * Returns false when the loop is over (st->rc says how). */
bool nw_stage_step(struct nw_stage *st, int timeout_ms);
/* Flush stdout, free the reader; returns st->rc. */
int  nw_stage_finish(struct nw_stage *st);

/* End the loop after the current callback, with exit status rc (a
 * callback that fails for good: nw_stage_stop(st, NW_EXIT_FAIL)). */
void nw_stage_stop(struct nw_stage *st, int rc);

#endif
