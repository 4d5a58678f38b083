/*
 * async.c - enrich's loop when --lookup is given: stdin and the lookups
 * in flight are waited on together (curl_multi_poll with stdin's
 * descriptor, lookup.c), so reading never waits for a lookup and a lookup
 * never waits for input.  Each event is enriched with the local data at
 * once (event.c); its public addresses are answered from the cache or
 * wait for their lookup in the pending queue (pending.c), and it leaves
 * with the answers spliced in (splice.c).  At most max_pending entries
 * wait: past that, reading pauses (the pipe fills and the upstream
 * stage slows down), nothing is dropped.  An event with a failed lookup
 * also goes, as written, to --failed.
 *
 * At the end of input the loop runs until every entry has left; a stop
 * signal ends it at once, and what still waits is not written (the
 * barrier behind it has not left either, so a restore replays it).
 *
 * Ownership: an enr_async owns the cache, the queue, the lookuper and its
 * buffers; the event step, the dead letters, the --failed sink and the
 * counters are main.c's.
 */
#include "enr.h"
#include "lk.h"
#include "stage.h"

#include <string.h>

#define ASYNC_BATCH  1024      /* lines read before the lookups get a turn */
#define ASYNC_MAX_MS 200       /* signals and SIGHUP are noticed this fast */

/* An entry leaves: a control line as it is, an event with its answers. */
static void async_emit(void *arg, struct enr_pend *p)
{
	struct enr_async *a = arg;

	if (p->ctl) {
		nw_out_line(p->text, p->len);
		return;
	}
	nw_buf_reset(&a->line);
	if (enr_splice(p, a->ev->field, &a->line) > 0) {
		a->failed_events++;
		if (a->failed)
			nw_sink_line(a->failed, a->line.p, a->line.len);
	}
	nw_out_line(a->line.p, a->line.len);
}

/* The event's public addresses: a cached answer, or a slot that waits
 * for its lookup.  The hits are marked done last, when every miss is
 * registered, since the last one may let the entry leave (and free it). */
static void async_queue_event(struct enr_async *a, const char *text, size_t n)
{
	struct enr_event *ev = a->ev;
	struct enr_pend *p = enr_pq_push(&a->pq, text, n, false, ev->nlook);
	bool hit[ENR_MAX_FIELDS];
	int nslot = ev->nlook;
	int64_t now = nw_mono_ms();

	for (int i = 0; i < nslot; i++) {
		struct enr_slot *s = &p->slot[i];
		const char *body;
		size_t len;
		s->field = ev->look[i].field;
		s->at = ev->look[i].at;
		enr_addr_fmt(ev->look[i].a, s->ip, sizeof s->ip);
		hit[i] = (body = enr_cache_get(&a->cache, ev->look[i].a, now, &len)) != NULL;
		if (hit[i]) {
			s->body = nw_xmemdup(body, len);
			s->body_len = len;
			a->lkn.cache_hits++;
		} else {
			enr_lk_want(a->lk, ev->look[i].a, p, i);
		}
	}
	for (int i = 0; i < nslot; i++)
		if (hit[i])
			enr_pq_slot_done(&a->pq, p, i);
	if (nslot == 0)
		enr_pq_drain(&a->pq);
}

static void async_on_line(struct nw_stage *st, char *line, size_t n)
{
	struct enr_async *a = st->arg;
	const char *why;

	nw_buf_reset(&a->out);
	why = enr_event(a->ev, line, n, &a->out, a->n);
	if (why != NULL) {
		nw_dlq_put(a->dlq, why, line, n);
		return;
	}
	/* nothing to ask and nothing it must wait behind: out now */
	if (a->ev->nlook == 0 &&
	    (a->pq.count == 0 || (a->pq.unordered && a->pq.first_ctl == UINT64_MAX))) {
		nw_out_line(a->out.p, a->out.len);
		return;
	}
	async_queue_event(a, a->out.p, a->out.len);
	if (a->pq.count > a->pending_peak)
		a->pending_peak = a->pq.count;
}

/* A control line waits behind the events before it, if any. */
static enum nw_stage_verdict async_on_ctl(struct nw_stage *st,
                                          enum nw_ctl_kind kind, uint64_t id,
                                          const char *line, size_t n)
{
	struct enr_async *a = st->arg;

	if (a->pq.count == 0)
		return NW_STAGE_FORWARD;
	enr_pq_push(&a->pq, line, n, true, 0);
	return NW_STAGE_CONSUMED;
}

/* Up to a batch of lines while the queue has room; true when more may
 * be there to read (the reader's buffer, or the batch was cut short). */
static bool async_read(struct enr_async *a, struct nw_stage *st)
{
	for (int i = 0; i < ASYNC_BATCH; i++) {
		uint64_t lines = nw_std.lines_in;
		if (a->pq.count >= a->max_pending)
			return true;
		if (!nw_stage_step(st, 0) || nw_std.lines_in == lines)
			return false;
	}
	return true;
}

void enr_async_stats(struct enr_async *a)
{
	nw_stats_u64("lookups", &a->lkn.requests);
	nw_stats_u64("lookup_answers", &a->lkn.ok);
	nw_stats_u64("lookup_failures", &a->lkn.failures);
	nw_stats_u64("lookup_timeouts", &a->lkn.timeouts);
	nw_stats_u64("lookup_throttled", &a->lkn.throttled);
	nw_stats_u64("lookup_coalesced", &a->lkn.coalesced);
	nw_stats_u64("cache_hits", &a->lkn.cache_hits);
	nw_stats_u64("cache_evicted", &a->cache.evicted);
	nw_stats_u64("cache_expired", &a->cache.expired);
	nw_stats_u64("events_failed", &a->failed_events);
	nw_stats_gauge("lookups_in_flight", &a->lkn.inflight);
	nw_stats_gauge("lookups_queued", &a->lkn.queued);
	nw_stats_gauge("cache_entries", &a->cache_entries);
	nw_stats_gauge("pending", &a->pq.count);
	nw_stats_gauge("pending_peak", &a->pending_peak);
}

int enr_async_init(struct enr_async *a, const struct enr_async_cfg *cfg)
{
	enr_cache_init(&a->cache, cfg->cache_max, cfg->cache_ttl_ms);
	enr_pq_init(&a->pq, cfg->unordered, async_emit, a);
	a->max_pending = cfg->max_pending;
	a->lk = enr_lk_new(&cfg->lk, &a->cache, &a->pq, &a->lkn);
	return a->lk ? 0 : -1;
}

int enr_async_run(struct enr_async *a, struct nw_stage *st)
{
	bool more = false;

	st->arg = a;
	st->on_line = async_on_line;
	st->on_ctl = async_on_ctl;
	nw_stage_init(st);
	while (!nw_sig_stop && (!st->done || a->pq.count > 0)) {
		bool room = !st->done && a->pq.count < a->max_pending;
		int wait = room && more ? 0 : ASYNC_MAX_MS;
		if (wait > 0)
			nw_out_flush();
		bool readable = enr_lk_poll(a->lk, room && !more ? st->rd.fd : -1, wait);
		if (room && (more || readable))
			more = async_read(a, st);
		a->cache_entries = a->cache.n;
		if (st->on_tick)
			st->on_tick(st);
		nw_stats_idle();
	}
	return nw_stage_finish(st);
}

void enr_async_free(struct enr_async *a)
{
	if (a->lk)
		enr_lk_free(a->lk);
	enr_pq_free(&a->pq);
	enr_cache_free(&a->cache);
	nw_buf_free(&a->out);
	nw_buf_free(&a->line);
}
