/*
 * opts.h - window's command line (opts.c): the flags as a struct, and the
 * aggregate list they ask for.
 *
 * Ownership: struct win_opts points into argv (and at the built-in default
 * aggregate specs); the win_agg entries win_opts_aggs fills belong to the
 * caller (win_agg_free each).
 */
#ifndef WIN_OPTS_H
#define WIN_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include "agg.h"
#include "engine.h"
#include "event.h"
#include "wtime.h"

#define WIN_OPTS_MAX_AGGS 64

struct win_opts {
	const char *keys[WIN_MAX_KEYS];
	int nkeys;
	const char *time_field;
	enum win_tunit unit;
	struct win_cfg cfg;
	int64_t idle_ms;
	const char *aggspecs[WIN_OPTS_MAX_AGGS];
	int naggs;
	const char *late_path, *dlq_path, *stats_path, *ckpt_dir;
	bool parse_only;
	bool skip_missing;              /* --missing-key skip */
};

/* Defaults, then the flags; -h/-V print and exit 0, anything bad exits 2
 * with one line. */
void win_opts_parse(int argc, char **argv, struct win_opts *o);
/* The aggregate list (count first, then the --agg flags in order) into
 * aggs, which holds WIN_OPTS_MAX_AGGS; returns how many.  A bad or clashing
 * spec exits 2. */
int win_opts_aggs(const struct win_opts *o, struct win_agg *aggs);

#endif
