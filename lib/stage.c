/* stage.c - the read loop every filter stage runs (see stage.h): input
 * lines to callbacks, control lines classified (and counted) and passed on
 * in order.  The reader keeps the other input counters. */
#include "stage.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void nw_stage_init(struct nw_stage *st)
{
	/* The reader only fails when memory is out, and that exits. */
	(void)nw_reader_init(&st->rd, st->fd, st->max_line);
	st->rd.before_block = st->before_block ? st->before_block : nw_out_flush;
	st->done = false;
	st->rc = NW_EXIT_OK;
}

void nw_stage_stop(struct nw_stage *st, int rc)
{
	st->done = true;
	st->rc = rc;
}

/* A control line: the stage's say, then stdout unless consumed. */
static void stage_ctl(struct nw_stage *st, enum nw_ctl_kind kind, uint64_t id,
                      const char *line, size_t n)
{
	nw_std.ctl_lines++;
	if (st->on_ctl == NULL ||
	    st->on_ctl(st, kind, id, line, n) == NW_STAGE_FORWARD)
		nw_out_line(line, n);
}

static void stage_line(struct nw_stage *st, char *line, size_t n)
{
	uint64_t id = 0;
	enum nw_ctl_kind kind = nw_ctl_classify(line, n, &id);

	if (kind != NW_CTL_NONE)
		stage_ctl(st, kind, id, line, n);
	else
		st->on_line(st, line, n);
}

static void stage_too_long(struct nw_stage *st, const char *head, size_t n)
{
	if (st->on_too_long)
		st->on_too_long(st, head, n);
	else if (st->dlq)
		nw_dlq_put(st->dlq, "line too long", head, n);
	else
		LOG_WARN("line too long, dropped bytes=%zu total=%llu", n,
		         (unsigned long long)nw_std.too_long);
}

bool nw_stage_step(struct nw_stage *st, int timeout_ms)
{
	char *line;
	size_t n;
	enum nw_rd r = nw_reader_next(&st->rd, &line, &n, timeout_ms);

	switch (r) {
	case NW_RD_LINE:
		stage_line(st, line, n);
		break;
	case NW_RD_TOOLONG:
		stage_too_long(st, line, n);
		break;
	case NW_RD_TIMEOUT:
	case NW_RD_INTR:
		break;
	case NW_RD_EOF:
		if (st->on_end)
			st->on_end(st);
		if (!st->done)
			nw_stage_stop(st, NW_EXIT_OK);
		break;
	case NW_RD_ERR:
		LOG_ERROR("cannot read stdin: %s", strerror(errno));
		nw_stage_stop(st, NW_EXIT_FAIL);
		break;
	}
	if (st->on_tick)
		st->on_tick(st);
	nw_stats_tick();
	return !st->done && !nw_sig_stop;
}

int nw_stage_finish(struct nw_stage *st)
{
	nw_out_flush();
	nw_reader_free(&st->rd);
	return st->rc;
}

int nw_stage_run(struct nw_stage *st)
{
	int timeout = st->tick_ms == 0 ? 1000 : st->tick_ms;

	nw_stage_init(st);
	while (nw_stage_step(st, timeout))
		;
	return nw_stage_finish(st);
}
