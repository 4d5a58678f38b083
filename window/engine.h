/*
 * engine.h - event-time sliding windows with Flink's meaning, computed by
 * stream slicing.
 *
 * Windows are [start, start + size) with start a multiple of slide (epoch
 * aligned).  Each key keeps one partial aggregate per pane (gcd(size,
 * slide) wide), so an event touches one pane; a firing window combines its
 * panes.  The watermark comes from the watermark source (wmark.h): the
 * highest timestamp - bound - 1 ms, taken per input partition and combined
 * as their minimum; a window fires when the watermark reaches end - 1.  An
 * event whose every window is past end - 1 + allowed lateness is late; an
 * event for a window that has fired but is within the lateness fires that
 * window again, updated.  Panes are freed once every window that needs
 * them is past its lateness, and a key with no panes left is freed.
 *
 * Records reach the emit callback in order of window_end, then key field
 * (in the order given), then key (bytewise).
 *
 * Ownership: the engine owns its keys, panes and tables; it borrows the
 * aggregate array and key field names, which must outlive it.
 */
#ifndef WIN_ENGINE_H
#define WIN_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include "agg.h"
#include "nw.h"
#include "jscan.h"
#include "kspec.h"
#include "wmark.h"

struct win_cfg {
	int64_t size, slide;       /* ms */
	int64_t bound;             /* out-of-orderness, ms */
	int64_t lateness;          /* allowed lateness, ms */
	uint64_t max_keys;         /* live keys over every key field */
};

struct win_pane;
struct win_key;
struct win_kslot { uint64_t hash; struct win_key *k; };

struct win_field {
	const char *name;
	char *head;                /* {"type":"window","key_field":NAME,"key": */
	size_t headlen;
	int slot;                  /* jscan_paths slot of the key (-1: none) */
	int64_t size;              /* this field's window size, ms */
	struct win_kslot *tab;     /* open addressing, linear probing */
	size_t tabcap, tabn;
	struct win_key **live;     /* keys with panes; [0, nsorted) sorted */
	size_t nlive, nsorted, livecap;
};

/* A record, with the partition of its key's last event (tag->topic NULL:
 * the implicit partition, no partition lines). */
struct win_tag;
typedef void (*win_emit_fn)(const char *rec, size_t n,
                            const struct win_tag *tag, void *arg);

/* The input partition a key's events come from (docs/recovery.md,
 * "Takeover"): tag 0 is the implicit one (no partition lines); the others
 * are interned (topic, partition) pairs, owned by the engine. */
struct win_tag {
	char *topic;               /* NULL: tag 0 */
	size_t tlen;
	int32_t partition;
};

enum win_ev { WIN_EV_OK, WIN_EV_LATE, WIN_EV_KEY_LIMIT };

struct win_engine {
	struct win_cfg cfg;
	int64_t pane;              /* pane width: gcd(sizes, slide) */
	int64_t maxsize;           /* the largest field size */
	const struct win_agg *aggs;
	int naggs;
	size_t st_size, pane_bytes;
	struct win_field *fields;
	int nfields;
	int64_t wm;                /* fired up to; INT64_MIN before the first
	                              event, FAR_WM after finish */
	struct win_wm src;         /* the watermark source: events feed it */
	struct win_pane *pool;     /* free panes */
	void **slabs;
	size_t nslabs, slabcap;
	void *acc;                 /* scratch state block for combining */
	struct win_key **tmp;      /* scratch for merging live arrays */
	size_t tmpcap;
	struct nw_buf rec;
	struct win_tag *tags;      /* [0] is the implicit partition */
	uint32_t ntags, tagcap;
	uint32_t cur_tag;          /* the tag events get now */
	win_emit_fn emit;
	void *emit_arg;
	/* counters (the stats file shows them) */
	uint64_t events, records, late, refired, keys, key_limit, panes;
};

int  win_engine_init(struct win_engine *e, const struct win_cfg *cfg,
                     const struct win_agg *aggs, int naggs, size_t st_size,
                     const char *const *key_names, const int *key_slots,
                     int nkeys, win_emit_fn emit, void *emit_arg);
/* st_size: what win_aggs_layout returned for aggs.  -1 on a bad cfg. */
/* One valid event: ts in epoch ms, vals from the scanner (every key slot a
 * string), in[] from win_aggs_input.  An accepted event goes to the
 * watermark source (as one of its current partition), and the engine
 * fires up to the watermark the source returns. */
enum win_ev win_engine_event(struct win_engine *e, int64_t ts,
                             const struct jscan_val *vals,
                             const struct win_in *in);
/* The same with the event's keys as the parser found them (kspec.h):
 * field i's keys are keys[kfirst[i] .. kfirst[i+1]), distinct. */
enum win_ev win_engine_event_keys(struct win_engine *e, int64_t ts,
                                  const struct win_kref *keys,
                                  const int *kfirst, const struct win_in *in);
/* Give field fi windows of their own size (before any event): the size
 * must differ from cfg.size by a multiple of the slide, so every field's
 * windows end at the same instants.  -1 when it does not. */
int win_engine_field_size(struct win_engine *e, int fi, int64_t size);
/* Move the watermark forward (never back) and fire what is due. */
void win_engine_advance(struct win_engine *e, int64_t wm);
/* End of input: fire every open window and free all state. */
void win_engine_finish(struct win_engine *e);
void win_engine_free(struct win_engine *e);

/* Checkpoints (win_ckpt.c).  walk visits every pane of every key, newest
 * pane first per key; put adds an empty pane (and its key when new) and
 * returns its zeroed state block for the caller to fill, NULL when that
 * pane exists already; clear drops every key and pane and sets the
 * watermark (and the source's partitions) back to their start. */
typedef void (*win_walk_fn)(void *arg, int field, const char *key,
                            size_t klen, uint32_t tag, int64_t pane_idx,
                            uint64_t count, const void *st);
void  win_engine_walk(const struct win_engine *e, win_walk_fn fn, void *arg);
void *win_engine_put(struct win_engine *e, int field, const char *key,
                     size_t klen, uint32_t tag, int64_t pane_idx,
                     uint64_t count);
void  win_engine_clear(struct win_engine *e);

/* Partition tags: the tag of (topic, partition) (topic NULL: 0), added
 * when new; the tag of the events that follow; drop every key whose last
 * event had this tag (another engine holds that partition's state now). */
uint32_t win_engine_tag(struct win_engine *e, const char *topic, size_t tlen,
                        int32_t partition);
void win_engine_set_tag(struct win_engine *e, uint32_t tag);
void win_engine_drop_tag(struct win_engine *e, uint32_t tag);

/* Floor division for window arithmetic (timestamps may sit near 0, where
 * window starts go negative). */
static inline int64_t win_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

#endif
