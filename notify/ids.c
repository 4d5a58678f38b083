/*
 * ids.c - a set of alert_ids, each with a time, kept in insertion order:
 * the spool's delivered ids (a replayed alert is a duplicate) and the ids
 * waiting or in flight.  A chained hash for lookups plus a doubly linked
 * FIFO, oldest first, so expiry (by age and by count) drops the oldest.
 *
 * Ownership: the table owns its entries (each with its copy of the id);
 * ntf_ids_free frees them all.
 */
#include "ntf.h"

#include <stdlib.h>
#include <string.h>

struct id_ent {
	struct id_ent *chain;          /* next in the bucket */
	struct id_ent *older, *newer;  /* FIFO, oldest first */
	int64_t when;
	char id[];
};

struct ntf_ids {
	struct id_ent **bucket;
	size_t nbucket;
	uint64_t count;
	struct id_ent *oldest, *newest;
};

static uint64_t id_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;      /* FNV-1a */
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

struct ntf_ids *ntf_ids_new(void)
{
	struct ntf_ids *t = nw_xcalloc(1, sizeof *t);
	t->nbucket = 1024;
	t->bucket = nw_xcalloc(t->nbucket, sizeof *t->bucket);
	return t;
}

void ntf_ids_free(struct ntf_ids *t)
{
	if (t == NULL)
		return;
	for (struct id_ent *e = t->oldest, *n; e; e = n) {
		n = e->newer;
		free(e);
	}
	free(t->bucket);
	free(t);
}

static struct id_ent **id_slot(const struct ntf_ids *t, const char *id)
{
	struct id_ent **pp = &t->bucket[id_hash(id) & (t->nbucket - 1)];
	while (*pp && strcmp((*pp)->id, id) != 0)
		pp = &(*pp)->chain;
	return pp;
}

bool ntf_ids_has(const struct ntf_ids *t, const char *id)
{
	return *id_slot(t, id) != NULL;
}

/* Double the buckets when the table is full (load factor 1). */
static void id_grow(struct ntf_ids *t)
{
	size_t nb = t->nbucket * 2;
	struct id_ent **b = nw_xcalloc(nb, sizeof *b);
	for (struct id_ent *e = t->oldest; e; e = e->newer) {
		struct id_ent **pp = &b[id_hash(e->id) & (nb - 1)];
		e->chain = *pp;
		*pp = e;
	}
	free(t->bucket);
	t->bucket = b;
	t->nbucket = nb;
}

static void id_unlink(struct ntf_ids *t, struct id_ent **slot)
{
	struct id_ent *e = *slot;
	*slot = e->chain;
	if (e->older) e->older->newer = e->newer; else t->oldest = e->newer;
	if (e->newer) e->newer->older = e->older; else t->newest = e->older;
	t->count--;
	free(e);
}

void ntf_ids_del(struct ntf_ids *t, const char *id)
{
	struct id_ent **slot = id_slot(t, id);
	if (*slot)
		id_unlink(t, slot);
}

/* (Re)insert id as the newest entry. */
void ntf_ids_put(struct ntf_ids *t, const char *id, int64_t when)
{
	size_t n = strlen(id);
	struct id_ent *e;

	ntf_ids_del(t, id);
	if (t->count >= t->nbucket)
		id_grow(t);
	e = nw_xmalloc(sizeof *e + n + 1);
	memcpy(e->id, id, n + 1);
	e->when = when;
	struct id_ent **pp = &t->bucket[id_hash(id) & (t->nbucket - 1)];
	e->chain = *pp;
	*pp = e;
	e->older = t->newest;
	e->newer = NULL;
	if (t->newest) t->newest->newer = e; else t->oldest = e;
	t->newest = e;
	t->count++;
}

void ntf_ids_expire(struct ntf_ids *t, int64_t min_time, uint64_t max_count)
{
	while (t->oldest && (t->oldest->when < min_time || t->count > max_count))
		id_unlink(t, id_slot(t, t->oldest->id));
}

uint64_t ntf_ids_count(const struct ntf_ids *t) { return t->count; }

void ntf_ids_each(const struct ntf_ids *t,
                  void (*fn)(void *arg, const char *id, int64_t when), void *arg)
{
	for (const struct id_ent *e = t->oldest; e; e = e->newer)
		fn(arg, e->id, e->when);
}
