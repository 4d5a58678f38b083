/*
 * fields.h - one stage's stats line (lib/stats.c) as metrics.  A table
 * says, per stats field, which metric it becomes and whether it is a
 * counter or a gauge (a stage registers its levels, such as throttle's
 * queued, with the same call as its counters, so the file cannot tell);
 * structured fields (kcat-src's partitions, detect's rules, window's
 * watermark, throttle's mode) have a function each.  A numeric field the
 * table does not know is still exposed, untyped, as netwatch_STAGE_FIELD.
 *
 * Ownership: nothing is kept past the call; the metrics go into c->p.
 */
#ifndef FIELDS_H
#define FIELDS_H

#include "prom.h"

struct fld_ctx {
	struct prom *p;
	struct prom_lset ls;     /* chain, stage, position */
	const char *stage;       /* the program's name: the table's key */
	int64_t time_ms;         /* the line's time_ms, once seen; else 0 */
};

/* Add the metrics of one stats line to c->p: 0, or -1 (nothing added)
 * when the line is not a valid JSON object. */
int fld_stats_line(struct fld_ctx *c, const char *line, size_t n);

#endif
