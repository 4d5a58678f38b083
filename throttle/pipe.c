/* pipe.c - the ordered queue, the claims in flight, and the outage state
 * machine that decides who gives an alert its verdict (see pipe.h).
 *
 * A line's life: thr_pipe_line or thr_pipe_ctl puts it at the tail of the
 * queue (THR_WAIT for an alert, THR_PASS for a control line).  claims_send
 * puts a claim for each waiting alert on the wire (THR_SENT, its item
 * pointer in the in-flight ring); claims_recv reads the replies oldest
 * first and sets THR_PASS or THR_DROP.  During an outage in open mode
 * decide_local gives the verdict instead.  q_drain releases the decided
 * prefix, so output keeps input order whatever decided each line.
 *
 * Ownership: the queue owns every item from the moment it is taken until
 * q_drain has handed it to cfg.release (then frees it); the in-flight ring
 * points into the queue and owns nothing; the local table is the pipe's. */
#include "pipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_BYTES_MAX  (64u * 1024 * 1024)
#define ERR_LOG_EVERY    1000
#define BACKOFF_MIN_MS   100
#define BACKOFF_MAX_MS   2000

/* Keys and rules are input data: keep log lines one line each. */
static const char *safe(const char *s, size_t n, char *buf, size_t bufsz)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < bufsz; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[o++] = c < 0x20 || c == 0x7f || c == ' ' ? '?' : (char)c;
	}
	buf[o] = '\0';
	return buf;
}

static const char *link_err(const struct thr_pipe *p)
{
	return p->link.ops->err(p->link.ctx);
}

static const char *link_where(const struct thr_pipe *p)
{
	return p->link.ops->where(p->link.ctx);
}

/* ---- the queue ---------------------------------------------------------- */

static struct thr_item *q_at(struct thr_pipe *p, size_t i)
{
	return &p->q.v[(p->q.head + i) % p->q.cap];
}

bool thr_pipe_full(const struct thr_pipe *p)
{
	return p->q.n == p->q.cap || p->q.bytes >= QUEUE_BYTES_MAX;
}

size_t thr_pipe_queued(const struct thr_pipe *p) { return p->q.n; }

/* Count and log one verdict, then hand it to the caller.  Called in input
 * order. */
static void emit(struct thr_pipe *p, struct thr_item *it)
{
	char k[200], r[100], id[100], h[100];

	if (it->kind == THR_CTL) {
		p->ctr.control++;
		if (it->barrier)
			LOG_DEBUG("barrier %llu passed after %lld ms in the queue",
			          (unsigned long long)it->barrier,
			          (long long)(p->cfg.now() - it->taken_ms));
	} else if (it->state == THR_PASS) {
		p->ctr.passed++;
	} else {
		p->ctr.suppressed++;
		if (it->local)
			p->ctr.local_suppressed++;
		LOG_INFO("alert suppressed key=%s rule=%s alert_id=%s held_by=%s%s",
		         safe(it->key, it->key_len, k, sizeof k),
		         safe(it->rule, it->rule_len, r, sizeof r),
		         safe(it->id, it->id_len, id, sizeof id),
		         safe(it->holder, strlen(it->holder), h, sizeof h),
		         it->local ? " by=local" : "");
	}
	p->cfg.release(p->cfg.arg, it);
}

/* Release the decided prefix of the queue. */
static void q_drain(struct thr_pipe *p)
{
	while (p->q.n > 0) {
		struct thr_item *it = q_at(p, 0);
		if (it->state == THR_WAIT || it->state == THR_SENT)
			break;
		emit(p, it);
		p->q.bytes -= it->line_len;
		thr_item_free(it);
		p->q.head = (p->q.head + 1) % p->q.cap;
		p->q.n--;
	}
	p->ctr.queued = p->q.n;
}

static void reject(struct thr_pipe *p, const char *reason, const char *line,
                   size_t n)
{
	nw_dlq_put(p->cfg.dlq, reason, line, n);
}

static void q_push(struct thr_pipe *p, const struct thr_item *it)
{
	*q_at(p, p->q.n) = *it;
	p->q.n++;
	p->q.bytes += it->line_len;
	p->ctr.queued = p->q.n;
}

void thr_pipe_line(struct nw_stage *st, char *line, size_t n)
{
	struct thr_pipe *p = st->arg;
	struct thr_item it;
	const char *reason;

	p->taken++;
	if (thr_item_init(&it, line, n, p->cfg.tmpl, &reason) < 0)
		nw_oom(n);
	switch (it.kind) {
	case THR_BLANK:
		p->ctr.blank++;
		return;
	case THR_BAD:
		reject(p, reason, line, n);
		return;
	case THR_ALERT:
		p->ctr.alerts++;
		p->q.waiting++;
		break;
	case THR_CTL:
		break;
	}
	q_push(p, &it);
}

/* A control line passes as it is, in its place among the alerts: an item
 * with the line and empty key, id and rule. */
enum nw_stage_verdict thr_pipe_ctl(struct nw_stage *st, enum nw_ctl_kind kind,
                                   uint64_t id, const char *line, size_t n)
{
	struct thr_pipe *p = st->arg;
	struct thr_item it = { .kind = THR_CTL, .state = THR_PASS };

	p->taken++;
	it.mem = nw_xmalloc(n + 1);
	memcpy(it.mem, line, n);
	it.mem[n] = '\0';
	it.line = it.mem;
	it.line_len = n;
	it.key = it.id = it.rule = it.mem + n;
	if (kind == NW_CTL_BARRIER) {
		it.barrier = id;
		it.taken_ms = p->cfg.now();
	}
	q_push(p, &it);
	return NW_STAGE_CONSUMED;
}

void thr_pipe_too_long(struct nw_stage *st, const char *head, size_t n)
{
	struct thr_pipe *p = st->arg;

	p->taken++;
	reject(p, "line too long", head, n);
}

/* ---- verdicts ------------------------------------------------------------ */

/* The in-memory table decides one alert. */
static void decide_one_local(struct thr_pipe *p, struct thr_item *it,
                             int64_t now)
{
	enum thr_lres r = thr_local_claim(p->local, it->key, it->key_len, it->id,
	                                  it->id_len, now, p->cfg.ttl_ms,
	                                  it->holder);

	it->state = r == THR_L_OTHER ? THR_DROP : THR_PASS;
	it->local = true;
	if (r != THR_L_OTHER)
		p->ctr.local_passed++;
}

/* Redis is away and the mode is open: the local table decides. */
static void decide_local(struct thr_pipe *p)
{
	int64_t now = p->cfg.now();

	for (size_t i = 0; i < p->q.n; i++) {
		struct thr_item *it = q_at(p, i);
		if (it->state != THR_WAIT)
			continue;
		decide_one_local(p, it, now);
		p->q.waiting--;
	}
}

static void count_error(struct thr_pipe *p, const struct thr_item *it)
{
	char k[200];

	if (p->ctr.redis_errors++ % ERR_LOG_EVERY == 0)
		LOG_WARN("redis error reply for key=%s, decided in memory: %s "
		         "(errors=%llu, logged one per %d)",
		         safe(it->key, it->key_len, k, sizeof k), link_err(p),
		         (unsigned long long)p->ctr.redis_errors, ERR_LOG_EVERY);
}

/* ---- the outage state machine -------------------------------------------
 * Events come from connection attempts (connected, refused, failed) and
 * from claims (failed).  The table says where each event leads and what is
 * done on the way; a pair that cannot happen (connecting while up) is left
 * empty and ignored. */
enum pev { PEV_CONNECTED, PEV_REFUSED, PEV_FAILED, PEV_N };

typedef void pact(struct thr_pipe *p, int64_t now);
static pact act_connected, act_back, act_outage, act_retry, act_refused,
            act_refused_at_start;

static const struct {
	enum thr_pstate to;
	pact *act;
} fsm[][PEV_N] = {
	[THR_P_START] = {
		[PEV_CONNECTED] = { THR_P_UP, act_connected },
		[PEV_REFUSED]   = { THR_P_REFUSED, act_refused_at_start },
		[PEV_FAILED]    = { THR_P_DOWN, act_outage },
	},
	[THR_P_UP] = {
		[PEV_FAILED]    = { THR_P_DOWN, act_outage },
	},
	[THR_P_DOWN] = {
		[PEV_CONNECTED] = { THR_P_UP, act_back },
		[PEV_REFUSED]   = { THR_P_DOWN, act_refused },
		[PEV_FAILED]    = { THR_P_DOWN, act_retry },
	},
};

static void fire(struct thr_pipe *p, enum pev ev)
{
	enum thr_pstate from = p->state;

	if (from >= sizeof fsm / sizeof fsm[0] || fsm[from][ev].act == NULL)
		return;
	p->state = fsm[from][ev].to;
	fsm[from][ev].act(p, p->cfg.now());
	p->ctr.redis_up = p->state == THR_P_UP;
}

/* Drop the connection; the next attempt waits, twice as long each time. */
static void act_retry(struct thr_pipe *p, int64_t now)
{
	p->link.ops->close(p->link.ctx);
	p->next_try_ms = now + p->backoff_ms;
	p->backoff_ms = p->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	                p->backoff_ms * 2;
}

static void act_outage(struct thr_pipe *p, int64_t now)
{
	p->ctr.outages++;
	p->down_since = now;
	p->full_logged = false;
	LOG_WARN("redis unavailable at %s: %s; %s", link_where(p), link_err(p),
	         p->cfg.closed ? "holding alerts until it is back" :
	         "alerts pass, deduplicated in memory");
	act_retry(p, now);
}

/* Wrong credentials or db are worth one ERROR per outage, not one per try. */
static void act_refused(struct thr_pipe *p, int64_t now)
{
	if (!p->refused_logged)
		LOG_ERROR("redis at %s: %s", link_where(p), link_err(p));
	p->refused_logged = true;
	act_retry(p, now);
}

static void act_refused_at_start(struct thr_pipe *p, int64_t now)
{
	LOG_ERROR("redis at %s: %s", link_where(p), link_err(p));
	p->link.ops->close(p->link.ctx);
}

static void act_connected(struct thr_pipe *p, int64_t now)
{
	LOG_INFO("connected to %s%s", link_where(p),
	         p->link.ops->note(p->link.ctx));
	p->backoff_ms = BACKOFF_MIN_MS;
}

static void act_back(struct thr_pipe *p, int64_t now)
{
	LOG_INFO("redis is back at %s after %lld ms; %llu keys rewritten from "
	         "memory", link_where(p), (long long)(now - p->down_since),
	         (unsigned long long)p->resynced);
	p->backoff_ms = BACKOFF_MIN_MS;
	p->refused_logged = false;
}

/* ---- resync: the local table back into Redis ----------------------------- */

struct sync_ctx {
	struct thr_pipe *p;
	size_t pending;
	bool failed;
};

/* Read the replies of the sync commands sent so far. */
static int sync_wait(struct sync_ctx *s)
{
	const struct thr_link *l = &s->p->link;
	enum thr_verdict v;

	for (; s->pending > 0; s->pending--)
		if (l->ops->recv(l->ctx, NULL, 0, &v, NULL, 0) < 0)
			return s->failed = true, -1;
	return 0;
}

static int sync_one(void *arg, const char *key, size_t klen, const char *id,
                    size_t idlen, int64_t left_ms)
{
	struct sync_ctx *s = arg;
	const struct thr_link *l = &s->p->link;

	l->ops->send_sync(l->ctx, key, klen, id, idlen, left_ms);
	s->p->ctr.synced++;
	if (++s->pending == THR_BATCH_MAX)
		return sync_wait(s);
	return 0;
}

/* Redis is back, maybe empty after a restart: write what the table knows
 * (SET NX, so nothing newer is overwritten).  -1: the connection failed. */
static int resync(struct thr_pipe *p)
{
	struct sync_ctx s = { p, 0, false };

	thr_local_each(p->local, p->cfg.now(), sync_one, &s);
	if (!s.failed)
		sync_wait(&s);
	return s.failed ? -1 : 0;
}

/* One connection attempt, resync included: the event it ends in. */
static enum pev attempt(struct thr_pipe *p)
{
	uint64_t synced = p->ctr.synced;

	switch (p->link.ops->connect(p->link.ctx)) {
	case THR_UP:
		break;
	case THR_REFUSED:
		return PEV_REFUSED;
	case THR_DOWN:
		return PEV_FAILED;
	}
	if (resync(p) < 0)
		return PEV_FAILED;
	p->resynced = p->ctr.synced - synced;
	return PEV_CONNECTED;
}

/* Try Redis again when it is away and the backoff allows it. */
static void try_connect(struct thr_pipe *p)
{
	if (p->state == THR_P_UP || p->state == THR_P_REFUSED ||
	    p->cfg.now() < p->next_try_ms)
		return;
	fire(p, attempt(p));
}

int thr_pipe_start(struct thr_pipe *p)
{
	try_connect(p);
	return p->state == THR_P_REFUSED ? -1 : 0;
}

/* ---- claims --------------------------------------------------------------- */

/* The connection failed: claims without a reply wait again.  If Redis did
 * run one, its retry finds our own id there, and the alert passes. */
static void claims_lost(struct thr_pipe *p)
{
	for (; p->fly.n > 0; p->fly.n--, p->fly.head = (p->fly.head + 1) % THR_FLY_MAX)
		p->fly.v[p->fly.head]->state = THR_WAIT;
	fire(p, PEV_FAILED);
}

/* Put one claim per waiting alert on the wire (one batch at most).
 * Returns how many were sent. */
static size_t claims_send(struct thr_pipe *p)
{
	const struct thr_link *l = &p->link;
	size_t ns = 0;

	for (size_t i = 0; i < p->q.n && ns < THR_BATCH_MAX &&
	                   p->fly.n < THR_FLY_MAX; i++) {
		struct thr_item *it = q_at(p, i);
		if (it->state != THR_WAIT)
			continue;
		l->ops->send_claim(l->ctx, it->key, it->key_len, it->id, it->id_len);
		it->state = THR_SENT;
		p->fly.v[(p->fly.head + p->fly.n++) % THR_FLY_MAX] = it;
		ns++;
	}
	if (ns == 0)
		return 0;
	p->ctr.round_trips++;
	if (l->ops->flush(l->ctx) < 0) {
		claims_lost(p);
		return 0;
	}
	return ns;
}

/* Read replies, oldest first, until at most keep claims are in flight. */
static void claims_recv(struct thr_pipe *p, size_t keep)
{
	const struct thr_link *l = &p->link;
	int64_t now = p->cfg.now();

	while (p->fly.n > keep) {
		struct thr_item *it = p->fly.v[p->fly.head];
		enum thr_verdict v;
		if (l->ops->recv(l->ctx, it->id, it->id_len, &v, it->holder,
		                 sizeof it->holder) < 0) {
			claims_lost(p);
			return;
		}
		p->fly.head = (p->fly.head + 1) % THR_FLY_MAX;
		p->fly.n--;
		p->q.waiting--;
		switch (v) {
		case THR_V_CLAIMED:
			thr_local_note(p->local, it->key, it->key_len, it->id,
			               it->id_len, now, p->cfg.ttl_ms);
			it->state = THR_PASS;
			break;
		case THR_V_SAME:
			p->ctr.replayed++;
			it->state = THR_PASS;
			break;
		case THR_V_OTHER:
			it->state = THR_DROP;
			break;
		case THR_V_ERROR:      /* e.g. LOADING after a restart: no verdict */
			count_error(p, it);
			decide_one_local(p, it, now);
			break;
		}
	}
}

/* ---- the step ------------------------------------------------------------ */

bool thr_pipe_holding(const struct thr_pipe *p)
{
	return p->cfg.closed && p->state != THR_P_UP && p->q.waiting > 0;
}

void thr_pipe_step(struct thr_pipe *p, bool busy)
{
	try_connect(p);
	if (p->state == THR_P_UP) {
		size_t sent = claims_send(p);
		claims_recv(p, busy && p->state == THR_P_UP ? sent : 0);
	}
	if (p->state != THR_P_UP && !p->cfg.closed && p->q.waiting > 0)
		decide_local(p);
	q_drain(p);
	p->ctr.local_keys = thr_local_size(p->local);
	p->ctr.local_evicted = thr_local_evicted(p->local);
	if (thr_pipe_holding(p) && thr_pipe_full(p) && !p->full_logged) {
		LOG_ERROR("hold queue full (%zu lines); input paused until redis "
		          "at %s is back", p->q.n, link_where(p));
		p->full_logged = true;
	}
}

int thr_pipe_wait_ms(const struct thr_pipe *p, int max_ms)
{
	int64_t t = max_ms;

	if (p->q.n > 0 && !(p->cfg.closed && p->state != THR_P_UP))
		return 0;
	if (p->state != THR_P_UP) {
		int64_t left = p->next_try_ms - p->cfg.now();
		if (left < t)
			t = left < 0 ? 0 : left;
	}
	return (int)t;
}

/* ---- life ---------------------------------------------------------------- */

int thr_pipe_check_tmpl(const char *tmpl, char *err, size_t errlen)
{
	struct thr_fields f1 = { "k", "f", "r", 1, 1, 1 };
	struct thr_fields f2 = { "K", "F", "R", 1, 1, 1 };
	struct nw_buf b1 = { 0 }, b2 = { 0 };
	int rc = thr_tmpl_render(tmpl, &f1, &b1, err, errlen);

	if (rc == 0)
		rc = thr_tmpl_render(tmpl, &f2, &b2, err, errlen);
	if (rc == 0 && b1.len == b2.len &&
	    (b1.len == 0 || memcmp(b1.p, b2.p, b1.len) == 0)) {
		snprintf(err, errlen, "it names no field, so every alert would "
		         "share one key (use {key}, {key_field} or {rule})");
		rc = -1;
	}
	nw_buf_free(&b1);
	nw_buf_free(&b2);
	return rc;
}

int thr_pipe_init(struct thr_pipe *p, const struct thr_pipe_cfg *cfg,
                  struct thr_link link)
{
	memset(p, 0, sizeof *p);
	p->cfg = *cfg;
	p->link = link;
	p->state = THR_P_START;
	p->backoff_ms = BACKOFF_MIN_MS;
	p->q.cap = cfg->queue_max;
	p->q.v = nw_xcalloc(p->q.cap, sizeof *p->q.v);
	p->local = thr_local_new(cfg->local_max);
	if (p->local == NULL) {
		thr_pipe_free(p);
		return -1;
	}
	return 0;
}

void thr_pipe_stats(struct thr_pipe *p)
{
	const struct { const char *name; uint64_t *v; } counters[] = {
		{ "alerts", &p->ctr.alerts },
		{ "passed", &p->ctr.passed }, { "replayed", &p->ctr.replayed },
		{ "suppressed", &p->ctr.suppressed },
		{ "local_passed", &p->ctr.local_passed },
		{ "local_suppressed", &p->ctr.local_suppressed },
		{ "blank", &p->ctr.blank },
		{ "redis_errors", &p->ctr.redis_errors },
		{ "outages", &p->ctr.outages }, { "synced", &p->ctr.synced },
		{ "queued", &p->ctr.queued }, { "redis_up", &p->ctr.redis_up },
		{ "local_keys", &p->ctr.local_keys },
		{ "local_evicted", &p->ctr.local_evicted },
		{ "round_trips", &p->ctr.round_trips },
	};

	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
		nw_stats_u64(counters[i].name, counters[i].v);
}

/* Lines still held at a signal in closed mode cannot be decided: they go
 * to the dead-letter output, never silently away. */
size_t thr_pipe_finish(struct thr_pipe *p)
{
	size_t n = p->q.n;

	if (n > 0)
		LOG_ERROR("stopping with %zu lines held while redis is unavailable; "
		          "written to the dead-letter output", n);
	for (; p->q.n > 0; p->q.n--, p->q.head = (p->q.head + 1) % p->q.cap) {
		struct thr_item *it = q_at(p, 0);
		reject(p, "held: redis unavailable at shutdown", it->line,
		       it->line_len);
		thr_item_free(it);
	}
	p->q.waiting = 0;
	p->fly.n = 0;
	p->ctr.queued = 0;
	LOG_INFO("done alerts=%llu passed=%llu suppressed=%llu replayed=%llu "
	         "local_passed=%llu dead_letters=%llu",
	         (unsigned long long)p->ctr.alerts,
	         (unsigned long long)p->ctr.passed,
	         (unsigned long long)p->ctr.suppressed,
	         (unsigned long long)p->ctr.replayed,
	         (unsigned long long)p->ctr.local_passed,
	         (unsigned long long)p->cfg.dlq->count);
	return n;
}

void thr_pipe_free(struct thr_pipe *p)
{
	for (size_t i = 0; p->q.v && i < p->q.n; i++)
		thr_item_free(q_at(p, i));
	free(p->q.v);
	p->q.v = NULL;
	p->q.n = 0;
	thr_local_free(p->local);
	p->local = NULL;
}
