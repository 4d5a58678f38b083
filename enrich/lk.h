/*
 * lk.h - enrich's external lookups (--lookup), shared by main.c and the
 * tests: the response cache (cache.c), the queue of events waiting for
 * their lookups in input order (pending.c), the answers put into a
 * leaving event (splice.c), the HTTP side over a libcurl multi handle
 * (lookup.c), and the loop that runs them beside stdin (async.c).
 *
 * How they meet: async.c enriches an event with local data (event.c),
 * then asks the cache for each public address; the misses become waiters
 * of one lookup per distinct address (lookup.c), the event an entry of the
 * pending queue.  A finished lookup fills its waiters' slots (and the
 * cache); the queue lets an entry go once every slot is filled, in input
 * order (or as soon as it is ready with --unordered), control lines never
 * before an event read ahead of them.
 *
 * Ownership: the cache owns its keys and response texts (a get hands out
 * a pointer valid until the next put); the queue owns its entries and
 * their texts; a lookup owns its curl handle, body and waiter list, and
 * points at the entries that wait for it (an entry is never freed while
 * it waits).
 */
#ifndef ENR_LK_H
#define ENR_LK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipset.h"
#include "nw.h"

/* ---- cache.c: LRU bounded by entries, each valid for a TTL ------------- */
struct enr_cache_ent;
struct enr_cache {
	struct enr_cache_ent **bucket;   /* chained by address hash */
	size_t nbucket;                  /* a power of two */
	struct enr_cache_ent *head, *tail;   /* most / least recently used */
	size_t n, max;
	int64_t ttl_ms;
	uint64_t evicted, expired;
};
void enr_cache_init(struct enr_cache *c, size_t max, int64_t ttl_ms);
void enr_cache_free(struct enr_cache *c);
/* The response text cached for a (made the most recent), or NULL when
 * absent or older than the TTL (then dropped).  *len gets its length. */
const char *enr_cache_get(struct enr_cache *c, ipset_addr a, int64_t now_ms,
                          size_t *len);
/* Store a copy of text for a (replacing an older one), evicting the least
 * recently used entry when full. */
void enr_cache_put(struct enr_cache *c, ipset_addr a, const char *text,
                   size_t len, int64_t now_ms);
/* The hash of an address (cache and lookup table). */
uint64_t enr_addr_hash(ipset_addr a);

/* ---- pending.c: events waiting for lookups, kept in input order -------- */
struct enr_slot {               /* one public address of an event */
	size_t at;                  /* where "<field>_info"'s '}' is in text */
	int field;                  /* --field index */
	char ip[64];
	char *body;                 /* the response (JSON), when it came */
	size_t body_len;
	char *err;                  /* or why the lookup failed */
	bool done;
};
struct enr_pend {
	struct enr_pend *prev, *next;
	uint64_t seq;
	bool ctl;                   /* a control line: leaves after every
	                               entry before it */
	int nwait;                  /* slots not done yet */
	char *text;                 /* the line as it leaves (without the
	                               lookup results) */
	size_t len;
	int nslot;
	struct enr_slot slot[];
};
struct enr_pq {
	struct enr_pend *head, *tail;
	uint64_t next_seq;
	uint64_t count;             /* entries queued (a gauge) */
	uint64_t first_ctl;         /* seq of the first control line queued,
	                               UINT64_MAX when none */
	bool unordered;
	void (*emit)(void *arg, struct enr_pend *p);   /* an entry leaves */
	void *arg;
};
void enr_pq_init(struct enr_pq *q, bool unordered,
                 void (*emit)(void *arg, struct enr_pend *p), void *arg);
/* Queue a copy of the line with room for nslot slots (to be filled by the
 * caller before any lookup finishes); nwait starts at nslot. */
struct enr_pend *enr_pq_push(struct enr_pq *q, const char *text, size_t len,
                             bool ctl, int nslot);
/* Slot i of p is done (body or err set by the caller); lets p and what
 * waits behind it go when they can. */
void enr_pq_slot_done(struct enr_pq *q, struct enr_pend *p, int i);
/* Lets go what can go now (after a push of a ready entry). */
void enr_pq_drain(struct enr_pq *q);
void enr_pq_free(struct enr_pq *q);

/* ---- splice.c: the answers put into an event that leaves --------------- */
/* p's text with each answer as "lookup" in its _info object and the
 * failures as "enrich_errors", appended to out; returns the failures.
 * field: the --field names by index. */
int enr_splice(const struct enr_pend *p, const char *const *field,
               struct nw_buf *out);

/* ---- lookup.c: one request per distinct address, over libcurl multi --- */
struct enr_lk_cfg {
	const char *url;            /* with "{ip}" */
	const char *const *headers; /* "Name: value" resolved, NULL-ended */
	int concurrency;
	int64_t timeout_ms;
	int max_429;                /* retries after a 429, at most */
};
struct enr_lk_counts {
	uint64_t requests, ok, failures, timeouts, throttled, cache_hits,
	         coalesced, inflight, queued;
};
struct enr_lkr;
/* NULL when curl cannot start.  The config is borrowed. */
struct enr_lkr *enr_lk_new(const struct enr_lk_cfg *cfg, struct enr_cache *cache,
                           struct enr_pq *pq, struct enr_lk_counts *n);
void enr_lk_free(struct enr_lkr *l);
/* Slot i of p waits for address a: joins the lookup of a in flight or
 * queued, or queues a new one. */
void enr_lk_want(struct enr_lkr *l, ipset_addr a, struct enr_pend *p, int i);
/* Start what may start, wait up to wait_ms for curl or fd (-1: no fd),
 * then finish what finished.  Returns true when fd is readable. */
bool enr_lk_poll(struct enr_lkr *l, int fd, int wait_ms);
/* Lookups queued or in flight. */
bool enr_lk_busy(const struct enr_lkr *l);
/* "https://x/?ip={ip}" -> with the address put in; false when there is no
 * "{ip}" in it. */
bool enr_lk_url(struct nw_buf *b, const char *tmpl, const char *ip);
/* An address as it goes in the URL and in enrich_errors ("1.2.3.4",
 * "2001:db8::1"). */
void enr_addr_fmt(ipset_addr a, char *buf, size_t len);
/* Seconds or an HTTP date -> ms to wait; -1 when not understood. */
int64_t enr_retry_after(const char *v, int64_t now_wall_ms);

/* ---- async.c: the loop with lookups ---------------------------------- */
struct enr_event;
struct enr_counts;
struct nw_stage;
struct enr_async_cfg {
	struct enr_lk_cfg lk;
	size_t cache_max;
	int64_t cache_ttl_ms;
	uint64_t max_pending;
	bool unordered;
};
struct enr_async {
	/* main.c's, set before enr_async_init */
	struct enr_event *ev;
	struct nw_dlq *dlq;
	struct nw_sink *failed;         /* --failed, or NULL */
	struct enr_counts *n;
	/* its own */
	struct enr_cache cache;
	struct enr_pq pq;
	struct enr_lkr *lk;
	struct enr_lk_counts lkn;
	uint64_t max_pending, failed_events, cache_entries;
	uint64_t pending_peak;           /* the most entries queued at once */
	struct nw_buf out, line;
};
/* -1 when curl cannot start (logged by the caller). */
int  enr_async_init(struct enr_async *a, const struct enr_async_cfg *cfg);
void enr_async_stats(struct enr_async *a);
/* The stage loop (st's on_line and on_ctl are set here; its on_tick
 * runs every turn).  Returns the exit status as nw_stage_run does. */
int  enr_async_run(struct enr_async *a, struct nw_stage *st);
void enr_async_free(struct enr_async *a);

#endif
