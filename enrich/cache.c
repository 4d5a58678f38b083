/*
 * cache.c - the lookup responses kept in memory: a hash table by address
 * for the find, a doubly linked list for the recency order.  At most max
 * entries (--cache): a put into a full cache drops the least recently
 * used one; an entry older than the TTL (--cache-ttl) is dropped when it
 * is next asked for, so a stale answer is never handed out.  Only good
 * answers are cached (lookup.c): a failure is asked again next time.
 *
 * Ownership: the cache owns every entry and its text; enr_cache_get's
 * pointer is valid until the next put or free.
 */
#include "lk.h"

#include <stdlib.h>
#include <string.h>

struct enr_cache_ent {
	struct enr_cache_ent *hnext;          /* bucket chain */
	struct enr_cache_ent *prev, *next;    /* recency list */
	ipset_addr a;
	int64_t born_ms;
	size_t len;
	char text[];
};

uint64_t enr_addr_hash(ipset_addr a)
{
	uint64_t h = (uint64_t)a ^ (uint64_t)(a >> 64) * 0x9e3779b97f4a7c15ULL;

	h ^= h >> 31;                 /* a murmur-style finaliser: addresses
	                                 differ in their low bits */
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 29);
}

void enr_cache_init(struct enr_cache *c, size_t max, int64_t ttl_ms)
{
	memset(c, 0, sizeof *c);
	c->max = max ? max : 1;
	c->ttl_ms = ttl_ms;
	c->nbucket = 16;
	while (c->nbucket < c->max)
		c->nbucket *= 2;
	c->bucket = nw_xcalloc(c->nbucket, sizeof *c->bucket);
}

static struct enr_cache_ent **enr_cache_slot(struct enr_cache *c, ipset_addr a)
{
	struct enr_cache_ent **pp = &c->bucket[enr_addr_hash(a) & (c->nbucket - 1)];

	while (*pp && (*pp)->a != a)
		pp = &(*pp)->hnext;
	return pp;
}

static void enr_cache_unlink(struct enr_cache *c, struct enr_cache_ent *e)
{
	*(e->prev ? &e->prev->next : &c->head) = e->next;
	*(e->next ? &e->next->prev : &c->tail) = e->prev;
	e->prev = e->next = NULL;
}

static void enr_cache_front(struct enr_cache *c, struct enr_cache_ent *e)
{
	e->next = c->head;
	*(c->head ? &c->head->prev : &c->tail) = e;
	c->head = e;
}

/* Out of the table and the list, and freed. */
static void enr_cache_drop(struct enr_cache *c, struct enr_cache_ent *e)
{
	struct enr_cache_ent **pp = enr_cache_slot(c, e->a);

	*pp = e->hnext;
	enr_cache_unlink(c, e);
	free(e);
	c->n--;
}

const char *enr_cache_get(struct enr_cache *c, ipset_addr a, int64_t now_ms,
                          size_t *len)
{
	struct enr_cache_ent *e = *enr_cache_slot(c, a);

	if (e == NULL)
		return NULL;
	if (now_ms - e->born_ms >= c->ttl_ms) {
		enr_cache_drop(c, e);
		c->expired++;
		return NULL;
	}
	enr_cache_unlink(c, e);
	enr_cache_front(c, e);
	*len = e->len;
	return e->text;
}

void enr_cache_put(struct enr_cache *c, ipset_addr a, const char *text,
                   size_t len, int64_t now_ms)
{
	struct enr_cache_ent *e = *enr_cache_slot(c, a);

	if (e != NULL)
		enr_cache_drop(c, e);
	else if (c->n == c->max) {
		enr_cache_drop(c, c->tail);
		c->evicted++;
	}
	e = nw_xmalloc(sizeof *e + len + 1);
	e->a = a;
	e->born_ms = now_ms;
	e->len = len;
	memcpy(e->text, text, len);
	e->text[len] = '\0';
	e->prev = NULL;
	enr_cache_front(c, e);
	struct enr_cache_ent **pp = enr_cache_slot(c, a);
	e->hnext = NULL;
	*pp = e;
	c->n++;
}

void enr_cache_free(struct enr_cache *c)
{
	struct enr_cache_ent *e = c->head, *next;

	for (; e; e = next) {
		next = e->next;
		free(e);
	}
	free(c->bucket);
	memset(c, 0, sizeof *c);
}
