/*
 * wm_ctl.h - kcat-src's partition lines for the watermark source (wm_ctl.c).
 *
 * An assign line makes partitions known (each holds the watermark until
 * its first event), a partition line makes the events after it that
 * partition's, a revoke line takes partitions out of the watermark's
 * minimum (which may fire windows at once, through the engine).  They end
 * in window: the records downstream mix every partition.  An adopt line
 * (a partition taken over from a chain that died) gives the partition a
 * side engine with the state it names (route.h, win_ckpt_adopt), and goes
 * on to detect, which takes its own part of the partition from it.
 */
#ifndef WIN_WM_CTL_H
#define WIN_WM_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include "engine.h"
#include "route.h"

/* Act on a control line for eng's watermark source.  True when it was an
 * assign, partition or revoke line and was acted on (the caller consumes
 * it); false for an adopt line (acted on, and passed on for detect), for
 * any other control line, and for one of these types that cannot be read
 * (the caller passes it on, as lines window does not know; the first such
 * line is logged). */
bool win_wm_ctl(struct win_route *rt, const char *line, size_t n);

#endif
