/*
 * rundir.h - a chain's run directory (scripts/supervise -d DIR) as
 * metrics: the supervisor's DIR/state (stage states, restarts, exit
 * statuses) and every stage's DIR/<n>-<name>.stats.  Without a state file
 * (a run directory of stats files alone) each *.stats file is one stage.
 *
 * Read afresh at every scrape: the files are replaced atomically by their
 * writers, so each read sees one whole version.
 */
#ifndef RUNDIR_H
#define RUNDIR_H

#include "prom.h"

/* Add the metrics of run_dir, labelled chain=chain, to p. */
void rd_collect(struct prom *p, const char *run_dir, const char *chain);

#endif
