/*
 * wmark.h - the watermark source: the highest event timestamp of each input
 * partition, and the one watermark window fires on.
 *
 * kcat-src announces the partitions it was assigned, and the partition of
 * the messages that follow, with control lines (docs/contracts.md); each
 * partition keeps its own highest timestamp, and the watermark is the
 * minimum over the partitions that are not idle, minus the bound, minus
 * 1 ms: Flink's per-split watermarks.  A partition known but without an
 * event yet holds the watermark where it is.  A replay that reads one
 * partition's whole backlog before the next one's then makes nothing late.
 *
 *   - Events before any partition line (a file, a plain pipe) belong to one
 *     implicit partition, so the watermark is the highest timestamp minus
 *     the bound minus 1 ms, as with no partitions at all.  The implicit
 *     partition leaves at the first partition line.
 *   - Idleness (idle_ms > 0): a partition without an event for idle_ms of
 *     the injected clock (since its last event, or since it became known)
 *     stops holding the watermark back; an event makes it active again.  When every partition is idle, wall-clock time since the
 *     last event carries the watermark on from the highest timestamp
 *     (highest + quiet - bound - 1).
 *   - A revoked partition leaves the table.
 *   - The watermark never goes back.
 *
 * Ownership: the source owns its table and the topic names in it.  The
 * clock is a plain function (nw_mono_ms in window, a fake in tests); it is
 * only called when idle_ms > 0.
 */
#ifndef WIN_WMARK_H
#define WIN_WMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIN_WM_NONE SIZE_MAX       /* no current partition */

struct win_wm_part {
	char *topic;               /* NULL: the implicit partition */
	size_t tlen;
	int32_t partition;
	int64_t max_ts;            /* INT64_MIN: no event yet */
	int64_t last_mono;         /* clock at its last event (or restore) */
	bool idle;
};

struct win_wm {
	int64_t bound, idle_ms;
	int64_t (*clock)(void);
	struct win_wm_part *parts;
	size_t n, cap;
	size_t cur;                /* the partition events go to, WIN_WM_NONE */
	size_t nactive;            /* partitions not idle */
	int64_t low;               /* min max_ts over them (INT64_MIN when one
	                              has no event yet, or none is active) */
	int64_t max_ts;            /* highest timestamp over all, INT64_MIN */
	int64_t last_mono;         /* clock at the last event, 0: none since
	                              the start or a restore */
	int64_t wm;                /* the watermark, INT64_MIN at first */
};

void win_wm_init(struct win_wm *w, int64_t bound);
/* Turn idleness on (idle_ms > 0) with this clock. */
void win_wm_set_idle(struct win_wm *w, int64_t idle_ms, int64_t (*clock)(void));
void win_wm_free(struct win_wm *w);
/* Forget every partition and set the watermark back to its start. */
void win_wm_clear(struct win_wm *w);

/* An assignment: the partition is known (and holds the watermark until
 * its first event, or until it turns idle). */
void win_wm_assign(struct win_wm *w, const char *topic, size_t tlen,
                   int32_t partition);
/* A partition line: the events that follow belong to (topic, partition),
 * which is known from now on if it was not. */
void win_wm_partition(struct win_wm *w, const char *topic, size_t tlen,
                      int32_t partition);
/* A revocation: the partition leaves the minimum.  Returns the watermark. */
int64_t win_wm_revoke(struct win_wm *w, const char *topic, size_t tlen,
                      int32_t partition);
/* An accepted event of the current partition.  Returns the watermark. */
int64_t win_wm_event(struct win_wm *w, int64_t ts);
/* The clock moved: partitions may turn idle.  Returns the watermark. */
int64_t win_wm_tick(struct win_wm *w);

/* Checkpoints: put one partition back as it was (its idle clock restarts
 * now), then set the overall highest timestamp and the watermark. */
void win_wm_restore_part(struct win_wm *w, const char *topic, size_t tlen,
                         int32_t partition, int64_t max_ts);
void win_wm_restore_wm(struct win_wm *w, int64_t max_ts, int64_t wm);

#endif
