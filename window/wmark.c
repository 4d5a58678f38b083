/* wmark.c - the watermark source: per-partition highest timestamps, the
 * minimum over the active ones, idleness and revocation (see wmark.h). */
#include "wmark.h"
#include "nw.h"

#include <stdlib.h>
#include <string.h>

void win_wm_init(struct win_wm *w, int64_t bound)
{
	memset(w, 0, sizeof *w);
	w->bound = bound;
	w->cur = WIN_WM_NONE;
	w->low = w->max_ts = w->wm = INT64_MIN;
}

void win_wm_set_idle(struct win_wm *w, int64_t idle_ms, int64_t (*clock)(void))
{
	w->idle_ms = clock ? idle_ms : 0;
	w->clock = clock;
}

void win_wm_clear(struct win_wm *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->parts[i].topic);
	w->n = 0;
	w->cur = WIN_WM_NONE;
	w->low = w->max_ts = w->wm = INT64_MIN;
	w->last_mono = 0;
}

void win_wm_free(struct win_wm *w)
{
	win_wm_clear(w);
	free(w->parts);
	w->parts = NULL;
	w->cap = 0;
}

/* ---- the table ----------------------------------------------------------- */

static bool part_is(const struct win_wm_part *p, const char *topic,
                    size_t tlen, int32_t partition)
{
	if (topic == NULL || p->topic == NULL)
		return topic == NULL && p->topic == NULL;
	return p->partition == partition && p->tlen == tlen &&
	       memcmp(p->topic, topic, tlen) == 0;
}

static size_t part_find(const struct win_wm *w, const char *topic,
                        size_t tlen, int32_t partition)
{
	for (size_t i = 0; i < w->n; i++)
		if (part_is(&w->parts[i], topic, tlen, partition))
			return i;
	return WIN_WM_NONE;
}

/* Find the partition, or add it with no event yet (topic NULL: the
 * implicit one). */
static size_t part_get(struct win_wm *w, const char *topic, size_t tlen,
                       int32_t partition)
{
	size_t i = part_find(w, topic, tlen, partition);
	struct win_wm_part *p;

	if (i != WIN_WM_NONE)
		return i;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->parts = nw_xreallocarray(w->parts, w->cap, sizeof *w->parts);
	}
	p = &w->parts[w->n];
	memset(p, 0, sizeof *p);
	if (topic != NULL) {
		p->topic = nw_xmalloc(tlen + 1);
		memcpy(p->topic, topic, tlen);
		p->topic[tlen] = '\0';
		p->tlen = tlen;
	}
	p->partition = topic ? partition : -1;
	p->max_ts = INT64_MIN;
	/* its quiet time counts from now */
	p->last_mono = w->idle_ms ? w->clock() : 0;
	return w->n++;
}

/* Remove entry i (the last one takes its place; cur follows). */
static void part_drop(struct win_wm *w, size_t i)
{
	free(w->parts[i].topic);
	w->n--;
	if (i != w->n)
		w->parts[i] = w->parts[w->n];
	if (w->cur == i)
		w->cur = WIN_WM_NONE;
	else if (w->cur == w->n)
		w->cur = i;
}


/* ---- the watermark ------------------------------------------------------- */

static void low_recompute(struct win_wm *w)
{
	w->nactive = 0;
	w->low = INT64_MIN;
	for (size_t i = 0; i < w->n; i++) {
		if (w->parts[i].idle)
			continue;
		if (w->nactive++ == 0 || w->parts[i].max_ts < w->low)
			w->low = w->parts[i].max_ts;
	}
}

/* The watermark follows the minimum, forward only. */
static int64_t wm_update(struct win_wm *w)
{
	if (w->nactive > 0 && w->low != INT64_MIN &&
	    w->low - w->bound - 1 > w->wm)
		w->wm = w->low - w->bound - 1;
	return w->wm;
}

/* A named partition, added when new.  The implicit partition's events
 * have moved the watermark as far as they could: from the first named
 * one on, it is gone. */
static size_t part_named(struct win_wm *w, const char *topic, size_t tlen,
                         int32_t partition)
{
	size_t imp = part_find(w, NULL, 0, 0);

	if (imp != WIN_WM_NONE)
		part_drop(w, imp);
	size_t i = part_get(w, topic, tlen, partition);
	low_recompute(w);
	wm_update(w);
	return i;
}

void win_wm_assign(struct win_wm *w, const char *topic, size_t tlen,
                   int32_t partition)
{
	(void)part_named(w, topic, tlen, partition);
}

void win_wm_partition(struct win_wm *w, const char *topic, size_t tlen,
                      int32_t partition)
{
	w->cur = part_named(w, topic, tlen, partition);
}

int64_t win_wm_revoke(struct win_wm *w, const char *topic, size_t tlen,
                      int32_t partition)
{
	size_t i = part_find(w, topic, tlen, partition);

	if (i == WIN_WM_NONE)
		return w->wm;
	part_drop(w, i);
	low_recompute(w);
	return wm_update(w);
}

int64_t win_wm_event(struct win_wm *w, int64_t ts)
{
	struct win_wm_part *p;
	int64_t old;
	bool was_active;

	if (w->cur == WIN_WM_NONE) {
		w->cur = part_get(w, NULL, 0, 0);
		low_recompute(w);
	}
	p = &w->parts[w->cur];
	if (w->idle_ms)
		p->last_mono = w->last_mono = w->clock();
	if (ts > w->max_ts)
		w->max_ts = ts;
	old = p->max_ts;
	was_active = !p->idle;
	p->idle = false;
	if (ts > p->max_ts)
		p->max_ts = ts;
	/* The minimum only moves when this partition held it or joins it:
	 * one comparison per event for the others. */
	if (!was_active || (old <= w->low && p->max_ts != old))
		low_recompute(w);
	return wm_update(w);
}

int64_t win_wm_tick(struct win_wm *w)
{
	int64_t now, quiet;
	bool changed = false;

	if (w->idle_ms == 0)
		return w->wm;
	now = w->clock();
	for (size_t i = 0; i < w->n; i++) {
		struct win_wm_part *p = &w->parts[i];
		if (!p->idle && p->last_mono != 0 &&
		    now - p->last_mono >= w->idle_ms) {
			p->idle = true;
			changed = true;
		}
	}
	if (changed)
		low_recompute(w);
	if (w->nactive > 0)
		return wm_update(w);
	/* Every partition idle: the whole stream is quiet, and wall-clock
	 * time since its last event carries the watermark on. */
	if (w->last_mono != 0 && w->max_ts != INT64_MIN) {
		quiet = now - w->last_mono;
		if (quiet >= w->idle_ms && w->max_ts + quiet - w->bound - 1 > w->wm)
			w->wm = w->max_ts + quiet - w->bound - 1;
	}
	return w->wm;
}

/* ---- checkpoints --------------------------------------------------------- */

void win_wm_restore_part(struct win_wm *w, const char *topic, size_t tlen,
                         int32_t partition, int64_t max_ts)
{
	size_t i = part_get(w, topic, tlen, partition);   /* may move parts */
	struct win_wm_part *p = &w->parts[i];

	p->max_ts = max_ts;
	p->idle = false;
	/* A restored partition that is never read again must still be able
	 * to turn idle: its quiet time counts from now. */
	p->last_mono = w->idle_ms ? w->clock() : 0;
}

void win_wm_restore_wm(struct win_wm *w, int64_t max_ts, int64_t wm)
{
	w->max_ts = max_ts;
	w->wm = wm;
	w->last_mono = 0;           /* no event since: no whole-stream idling */
	w->cur = WIN_WM_NONE;
	low_recompute(w);
}
