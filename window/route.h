/*
 * route.h - the engines of one window and which one an event goes to
 * (docs/recovery.md, "Takeover").
 *
 * The main engine holds every partition the chain has read from its own
 * restore point on.  A partition taken over from a chain that died comes
 * with that chain's state for it at its last completed barrier, and with a
 * watermark that may be far behind the main engine's: it gets an engine
 * of its own (a side engine), fed only by that partition and firing on
 * its watermark alone, as a Kafka Streams task keeps its own stream time.
 * A side engine lives until the next restore line; its records mix with
 * the main engine's, each in its own window_end order.
 *
 * Ownership: the route borrows the main engine and everything a side
 * engine is made with (configuration, aggregates, key names); it owns its
 * side engines and their topic names.
 */
#ifndef WIN_ROUTE_H
#define WIN_ROUTE_H

#include "engine.h"

struct win_side {
	char *topic;
	size_t tlen;
	int32_t partition;
	struct win_engine eng;
};

struct win_route {
	struct win_engine *main;
	struct win_engine *cur;     /* where events go now */
	struct win_side **sides;
	size_t nsides, cap;
	/* what a side engine is made with (engine.h, win_engine_init) */
	struct win_cfg cfg;
	const struct win_agg *aggs;
	int naggs;
	size_t st_size;
	const char *const *key_names;
	const int *key_slots;
	int nkeys;
	const int64_t *field_size;  /* per key, its own window size; 0: --size */
	win_emit_fn emit;
	void *emit_arg;
	int64_t idle_ms;
	int64_t (*clock)(void);
};

/* main must be initialised with the same arguments a side gets. */
void win_route_init(struct win_route *r, struct win_engine *main,
                    const struct win_cfg *cfg, const struct win_agg *aggs,
                    int naggs, size_t st_size, const char *const *key_names,
                    const int *key_slots, int nkeys, win_emit_fn emit,
                    void *emit_arg);
void win_route_set_idle(struct win_route *r, int64_t idle_ms,
                        int64_t (*clock)(void));
/* A new empty side engine for (topic, partition), replacing any it had. */
struct win_engine *win_route_side(struct win_route *r, const char *topic,
                                  size_t tlen, int32_t partition);
struct win_engine *win_route_find(const struct win_route *r,
                                  const char *topic, size_t tlen,
                                  int32_t partition);
/* A partition line: the events that follow go to that partition's side
 * engine, or to the main one (and its watermark source). */
void win_route_partition(struct win_route *r, const char *topic, size_t tlen,
                         int32_t partition);
/* Drop every side engine; events go to the main one. */
void win_route_clear(struct win_route *r);
/* Idle ticks and the end of input, for every engine. */
void win_route_tick(struct win_route *r);
void win_route_finish(struct win_route *r);
void win_route_free(struct win_route *r);

#endif
