/* route.c - the main engine, the side engines of partitions taken over,
 * and where events go (see route.h). */
#include "route.h"

#include <stdlib.h>
#include <string.h>

void win_route_init(struct win_route *r, struct win_engine *main,
                    const struct win_cfg *cfg, const struct win_agg *aggs,
                    int naggs, size_t st_size, const char *const *key_names,
                    const int *key_slots, int nkeys, win_emit_fn emit,
                    void *emit_arg)
{
	memset(r, 0, sizeof *r);
	r->main = r->cur = main;
	r->cfg = *cfg;
	r->aggs = aggs;
	r->naggs = naggs;
	r->st_size = st_size;
	r->key_names = key_names;
	r->key_slots = key_slots;
	r->nkeys = nkeys;
	r->emit = emit;
	r->emit_arg = emit_arg;
}

void win_route_set_idle(struct win_route *r, int64_t idle_ms,
                        int64_t (*clock)(void))
{
	r->idle_ms = idle_ms;
	r->clock = clock;
}

static size_t side_index(const struct win_route *r, const char *topic,
                         size_t tlen, int32_t partition)
{
	for (size_t i = 0; i < r->nsides; i++) {
		const struct win_side *s = r->sides[i];
		if (s->partition == partition && s->tlen == tlen &&
		    memcmp(s->topic, topic, tlen) == 0)
			return i;
	}
	return SIZE_MAX;
}

static void side_free(struct win_side *s)
{
	win_engine_free(&s->eng);
	free(s->topic);
	free(s);
}

struct win_engine *win_route_find(const struct win_route *r,
                                  const char *topic, size_t tlen,
                                  int32_t partition)
{
	size_t i = topic ? side_index(r, topic, tlen, partition) : SIZE_MAX;
	return i == SIZE_MAX ? NULL : &r->sides[i]->eng;
}

struct win_engine *win_route_side(struct win_route *r, const char *topic,
                                  size_t tlen, int32_t partition)
{
	size_t i = side_index(r, topic, tlen, partition);
	struct win_side *s = nw_xcalloc(1, sizeof *s);

	s->topic = nw_xmalloc(tlen + 1);
	memcpy(s->topic, topic, tlen);
	s->topic[tlen] = '\0';
	s->tlen = tlen;
	s->partition = partition;
	/* The same arguments as the main engine: they cannot fail here. */
	if (win_engine_init(&s->eng, &r->cfg, r->aggs, r->naggs, r->st_size,
	                    r->key_names, r->key_slots, r->nkeys, r->emit,
	                    r->emit_arg) != 0)
		nw_usage_error("side engine: bad window configuration");
	/* keys with their own size (--key F@DUR) as in the main engine */
	for (int fi = 0; r->field_size && fi < r->nkeys; fi++)
		if (r->field_size[fi] &&
		    win_engine_field_size(&s->eng, fi, r->field_size[fi]) < 0)
			nw_usage_error("side engine: bad key size");
	if (r->idle_ms)
		win_wm_set_idle(&s->eng.src, r->idle_ms, r->clock);
	win_engine_set_tag(&s->eng, win_engine_tag(&s->eng, topic, tlen,
	                                            partition));
	win_wm_partition(&s->eng.src, topic, tlen, partition);
	if (i != SIZE_MAX) {
		if (r->cur == &r->sides[i]->eng)
			r->cur = r->main;
		side_free(r->sides[i]);
		r->sides[i] = s;
		return &s->eng;
	}
	if (r->nsides == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 4;
		r->sides = nw_xreallocarray(r->sides, r->cap, sizeof *r->sides);
	}
	r->sides[r->nsides++] = s;
	return &s->eng;
}

void win_route_partition(struct win_route *r, const char *topic, size_t tlen,
                         int32_t partition)
{
	struct win_engine *side = win_route_find(r, topic, tlen, partition);

	if (side != NULL) {
		r->cur = side;
		return;
	}
	r->cur = r->main;
	win_wm_partition(&r->main->src, topic, tlen, partition);
	win_engine_set_tag(r->main, win_engine_tag(r->main, topic, tlen,
	                                           partition));
}

void win_route_clear(struct win_route *r)
{
	for (size_t i = 0; i < r->nsides; i++)
		side_free(r->sides[i]);
	r->nsides = 0;
	r->cur = r->main;
}

void win_route_tick(struct win_route *r)
{
	win_engine_advance(r->main, win_wm_tick(&r->main->src));
	for (size_t i = 0; i < r->nsides; i++)
		win_engine_advance(&r->sides[i]->eng,
		                   win_wm_tick(&r->sides[i]->eng.src));
}

void win_route_finish(struct win_route *r)
{
	win_engine_finish(r->main);
	for (size_t i = 0; i < r->nsides; i++)
		win_engine_finish(&r->sides[i]->eng);
}

void win_route_free(struct win_route *r)
{
	win_route_clear(r);
	free(r->sides);
	r->sides = NULL;
	r->cap = 0;
}
