/* local.c - an in-memory SET NX PX table, so an outage of Redis does not
 * turn into a flood of repeats.
 *
 * Every entry lives for the same TTL, so insertion order is expiry order:
 * entries sit in a ring (oldest at head) and a chained hash index finds
 * them by key.  Expiry pops the head; when the ring is full the oldest
 * entry is evicted (counted), so memory is bounded by max_entries keys of
 * at most THR_KEY_MAX bytes.
 *
 * Ownership: the table owns a copy of every key and id it holds; callers'
 * strings are only read during the call.  The pipe owns the table. */
#include "thr.h"

#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

struct lent {
	char    *mem;          /* key then id, owned; NULL: a hole in the ring */
	uint32_t klen, idlen;
	uint32_t hash, next;   /* chain in the bucket */
	int64_t  expires;
};

struct thr_local {
	struct lent *ring;
	uint32_t cap, head, n;       /* n = slots in use, holes included */
	uint32_t *bucket, mask;
	size_t live;
	uint64_t evicted;
};

static uint32_t fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

struct thr_local *thr_local_new(size_t max_entries)
{
	struct thr_local *t;
	uint32_t nb = 16;

	if (max_entries == 0 || max_entries > (1u << 28))
		return NULL;
	t = nw_xcalloc(1, sizeof *t);
	while (nb < max_entries * 2)
		nb <<= 1;
	t->cap = (uint32_t)max_entries;
	t->mask = nb - 1;
	t->ring = nw_xcalloc(t->cap, sizeof *t->ring);
	t->bucket = nw_xreallocarray(NULL, nb, sizeof *t->bucket);
	memset(t->bucket, 0xff, nb * sizeof *t->bucket);
	return t;
}

void thr_local_free(struct thr_local *t)
{
	if (t == NULL)
		return;
	if (t->ring)
		for (uint32_t i = 0; i < t->cap; i++)
			free(t->ring[i].mem);
	free(t->ring);
	free(t->bucket);
	free(t);
}

/* Unlink slot i from its chain and free it, leaving a hole. */
static void lent_drop(struct thr_local *t, uint32_t i)
{
	struct lent *e = &t->ring[i];
	uint32_t *pp = &t->bucket[e->hash & t->mask];

	while (*pp != i)
		pp = &t->ring[*pp].next;
	*pp = e->next;
	free(e->mem);
	e->mem = NULL;
	t->live--;
}

/* Pop expired entries (and holes) off the head; evict the oldest entry
 * too when room is needed. */
static void lent_expire(struct thr_local *t, int64_t now, bool need_room)
{
	while (t->n > 0) {
		struct lent *e = &t->ring[t->head];
		bool full = need_room && t->n == t->cap;
		if (e->mem && e->expires > now && !full)
			break;
		if (e->mem) {
			if (e->expires > now)
				t->evicted++;
			lent_drop(t, t->head);
		}
		t->head = (t->head + 1) % t->cap;
		t->n--;
	}
}

static uint32_t lent_find(struct thr_local *t, const char *key, size_t klen,
                          uint32_t h)
{
	for (uint32_t i = t->bucket[h & t->mask]; i != NIL; i = t->ring[i].next) {
		struct lent *e = &t->ring[i];
		if (e->hash == h && e->klen == klen && memcmp(e->mem, key, klen) == 0)
			return i;
	}
	return NIL;
}

static void lent_add(struct thr_local *t, const char *key, size_t klen,
                     const char *id, size_t idlen, uint32_t h, int64_t now,
                     int64_t expires)
{
	char *m = nw_xmalloc(klen + idlen + 1);
	lent_expire(t, now, true);
	uint32_t i = (t->head + t->n) % t->cap;
	memcpy(m, key, klen);
	memcpy(m + klen, id, idlen);
	m[klen + idlen] = '\0';
	t->ring[i] = (struct lent){ m, (uint32_t)klen, (uint32_t)idlen, h,
	                            t->bucket[h & t->mask], expires };
	t->bucket[h & t->mask] = i;
	t->n++;
	t->live++;
}

enum thr_lres thr_local_claim(struct thr_local *t, const char *key, size_t klen,
                              const char *id, size_t idlen, int64_t now_ms,
                              int64_t ttl_ms, char *holder)
{
	uint32_t h = fnv1a(key, klen), i;

	lent_expire(t, now_ms, false);
	if ((i = lent_find(t, key, klen, h)) != NIL) {
		struct lent *e = &t->ring[i];
		if (e->idlen == idlen && memcmp(e->mem + e->klen, id, idlen) == 0)
			return THR_L_SAME;
		if (holder) {
			memcpy(holder, e->mem + e->klen, e->idlen);
			holder[e->idlen] = '\0';
		}
		return THR_L_OTHER;
	}
	lent_add(t, key, klen, id, idlen, h, now_ms, now_ms + ttl_ms);
	return THR_L_CLAIMED;
}

void thr_local_note(struct thr_local *t, const char *key, size_t klen,
                    const char *id, size_t idlen, int64_t now_ms, int64_t ttl_ms)
{
	uint32_t h = fnv1a(key, klen), i;

	lent_expire(t, now_ms, false);
	if ((i = lent_find(t, key, klen, h)) != NIL)
		lent_drop(t, i);        /* Redis granted a new claim: renew it */
	lent_add(t, key, klen, id, idlen, h, now_ms, now_ms + ttl_ms);
}

size_t thr_local_each(struct thr_local *t, int64_t now_ms,
                      int (*fn)(void *arg, const char *key, size_t klen,
                                const char *id, size_t idlen, int64_t left_ms),
                      void *arg)
{
	size_t done = 0;

	lent_expire(t, now_ms, false);
	for (uint32_t k = 0; k < t->n; k++) {
		struct lent *e = &t->ring[(t->head + k) % t->cap];
		if (e->mem == NULL)
			continue;
		if (fn(arg, e->mem, e->klen, e->mem + e->klen, e->idlen,
		       e->expires - now_ms) != 0)
			break;
		done++;
	}
	return done;
}

size_t thr_local_size(const struct thr_local *t) { return t->live; }
uint64_t thr_local_evicted(const struct thr_local *t) { return t->evicted; }
