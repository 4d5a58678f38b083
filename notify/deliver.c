/*
 * deliver.c - the delivery scheduler: which alerts go out in the next post,
 * when it may start (the --rate gap, exponential backoff with jitter after
 * a failure, the receiver's Retry-After after a 429), what a finished post
 * means for its alerts (delivered, retried, dead), and when the spool's
 * journal is worth compacting.
 *
 * It never reads a clock for scheduling nor touches the network: every call
 * that decides takes the monotonic time as now_ms, posts go out through
 * ops.post and come back through ntf_dlv_result, so the unit tests drive it
 * with a fake clock and a fake receiver.
 *
 * Alerts move staged -> queue -> flight: staged once read and appended to
 * the spool's buffer, queued once the spool has them durably (ntf_dlv_commit),
 * in flight while a post carries them; a retry puts the flight back at the
 * head of the queue.  Ownership: the scheduler owns every alert in its three
 * queues and its table of pending ids; the spool, the dead-letter output
 * and the ops' argument belong to the caller and must outlive it.
 */
#include "ntf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WAIT_MS  (3600 * 1000)    /* cap on a receiver's Retry-After */
#define COMPACT_MIN  (1024 * 1024)    /* journal bytes before compaction */
#define COMPACT_BUSY (64u << 20)      /* ...while alerts keep waiting */

void ntf_dlv_init(struct ntf_dlv *d, const struct ntf_dlv_cfg *cfg,
                 const struct ntf_dlv_ops *ops, struct ntf_spool *spool,
                 struct nw_dlq *dlq, struct ntf_queue *replayed)
{
	memset(d, 0, sizeof *d);
	d->cfg = *cfg;
	d->ops = *ops;
	d->spool = spool;
	d->dlq = dlq;
	d->pending = ntf_ids_new();
	/* The spool's pending alerts go first, as they were read. */
	d->queue = *replayed;
	memset(replayed, 0, sizeof *replayed);
	for (struct ntf_alert *a = d->queue.head; a; a = a->next)
		ntf_ids_put(d->pending, a->id, 0);
	d->waiting = d->queue.count;
}

void ntf_dlv_free(struct ntf_dlv *d)
{
	ntf_queue_clear(&d->queue);
	ntf_queue_clear(&d->staged);
	ntf_queue_clear(&d->flight);
	ntf_ids_free(d->pending);
	d->pending = NULL;
}

void ntf_dlv_stats(struct ntf_dlv *d)
{
	nw_stats_u64("delivered", &d->delivered);
	nw_stats_u64("dead", &d->dead);
	nw_stats_u64("duplicates", &d->duplicates);
	nw_stats_u64("posts", &d->posts);
	nw_stats_u64("digests", &d->digests);
	nw_stats_u64("post_failures", &d->failures);
	nw_stats_u64("waiting", &d->waiting);
}

void ntf_dlv_record(struct nw_buf *b, const char *id, const char *status,
                    unsigned attempts, long http_status)
{
	nw_buf_adds(b, "{\"type\":\"delivery\",\"alert_id\":");
	nw_buf_add_jstr(b, id, strlen(id));
	nw_buf_printf(b, ",\"status\":\"%s\",\"attempts\":%u,\"http_status\":",
	              status, attempts);
	if (http_status > 0)
		nw_buf_printf(b, "%ld}", http_status);
	else
		nw_buf_adds(b, "null}");
}

/* ---- intake ------------------------------------------------------------- */

int ntf_dlv_take(struct ntf_dlv *d, const char *id, const char *line,
                 size_t len)
{
	struct ntf_alert *a;

	/* Delivered before (replay after a restart) or still on its way. */
	if (ntf_ids_has(d->spool->delivered, id) || ntf_ids_has(d->pending, id)) {
		d->duplicates++;
		LOG_DEBUG("duplicate alert not posted again alert_id=%s", id);
		d->ops.record(d->ops.arg, id, "duplicate", 0, 0);
		return 1;
	}
	a = ntf_alert_new(id, line, len);
	ntf_spool_add(d->spool, a);
	ntf_queue_push(&d->staged, a);
	ntf_ids_put(d->pending, id, 0);
	return 0;
}

int ntf_dlv_commit(struct ntf_dlv *d)
{
	if (ntf_spool_sync(d->spool) != 0)
		return -1;
	/* Only now may they be posted: a post must never outrun the journal. */
	ntf_queue_push_front(&d->staged, &d->queue);   /* staged := queue + staged */
	d->queue = d->staged;
	memset(&d->staged, 0, sizeof d->staged);
	d->waiting = d->queue.count;
	return 0;
}

bool ntf_dlv_has_room(const struct ntf_dlv *d, uint64_t max_count,
                      size_t max_bytes)
{
	return d->queue.count + d->staged.count < max_count &&
	       d->queue.bytes + d->staged.bytes < max_bytes;
}

/* ---- posting ------------------------------------------------------------ */

bool ntf_dlv_busy(const struct ntf_dlv *d)
{
	return d->flight.count > 0;
}

/* The milliseconds between two posts at --rate. */
static int64_t rate_gap(const struct ntf_dlv *d)
{
	return (int64_t)(1000.0 / d->cfg.rate);
}

/* The streak-th failure in a row waits retry_min doubled streak-1 times,
 * at most retry_max, then a random half of it is taken off (jitter), so
 * many notifies behind one receiver do not retry in step. */
int64_t ntf_dlv_backoff(const struct ntf_dlv *d, unsigned streak)
{
	int64_t w = d->cfg.retry_min_ms;
	for (unsigned i = 1; i < streak && w < d->cfg.retry_max_ms; i++)
		w *= 2;
	if (w > d->cfg.retry_max_ms)
		w = d->cfg.retry_max_ms;
	return w / 2 + (int64_t)(d->ops.random() % (w / 2 + 1));
}

/* A post carries one alert, or a digest of every waiting alert (at most
 * digest_max) when more wait than one second of --rate allows. */
static uint64_t post_size(const struct ntf_dlv *d)
{
	uint64_t burst = d->cfg.rate >= 1 ? (uint64_t)d->cfg.rate : 1;
	uint64_t n = d->queue.count > burst ? d->queue.count : 1;
	return n > d->cfg.digest_max ? d->cfg.digest_max : n;
}

/* The post's Idempotency-Key: the alert_id of a post of one alert, so a
 * receiver can drop the repost a crash between its 2xx and the spool's
 * mark causes; for a digest, "digest-" and a 64-bit FNV-1a of its ids in
 * order, which is the same when the same alerts are posted again. */
void ntf_dlv_key(const struct ntf_alert *head, uint64_t n,
                 char key[NTF_KEY_MAX + 1])
{
	uint64_t h = NW_FNV1A_INIT;

	if (n == 1) {
		memcpy(key, head->id, strlen(head->id) + 1);
		return;
	}
	for (const struct ntf_alert *a = head; a && n > 0; a = a->next, n--)
		h = nw_fnv1a(h, a->id, strlen(a->id) + 1);   /* the NUL separates */
	snprintf(key, NTF_KEY_MAX + 1, "digest-%016llx", (unsigned long long)h);
}

static int start_post(struct ntf_dlv *d, int64_t now_ms)
{
	uint64_t n = post_size(d);
	char *body, key[NTF_KEY_MAX + 1];
	int rc;

	for (uint64_t i = 0; i < n; i++) {
		struct ntf_alert *a = ntf_queue_pop(&d->queue);
		a->attempts++;
		ntf_queue_push(&d->flight, a);
	}
	/* NULL only when jansson runs out of memory */
	body = n == 1 ? ntf_fmt_alert(d->cfg.fmt, d->flight.head->line,
	                              d->flight.head->len)
	              : ntf_fmt_digest(d->cfg.fmt, d->flight.head, n);
	if (body == NULL)
		return -1;
	ntf_dlv_key(d->flight.head, n, key);
	rc = d->ops.post(d->ops.arg, body, strlen(body), key);
	free(body);
	if (rc != 0)
		return -1;
	d->posts++;
	if (n > 1) {
		d->digests++;
		LOG_INFO("posting a digest alerts=%llu", (unsigned long long)n);
	}
	d->post_started = now_ms;
	return 0;
}

int ntf_dlv_step(struct ntf_dlv *d, int64_t now_ms)
{
	if (ntf_dlv_busy(d) || d->queue.count == 0 || now_ms < d->next_post)
		return 0;
	return start_post(d, now_ms) == 0 ? 1 : -1;
}

int64_t ntf_dlv_due_in(const struct ntf_dlv *d, int64_t now_ms)
{
	if (ntf_dlv_busy(d) || d->queue.count == 0)
		return -1;
	return d->next_post > now_ms ? d->next_post - now_ms : 0;
}

/* ---- results ------------------------------------------------------------ */

/* Every alert of the post is done: spool mark, record, dead letter. */
static int finish_flight(struct ntf_dlv *d, const struct ntf_result *r,
                         bool delivered)
{
	struct ntf_alert *a;
	int64_t wall = nw_wall_ms();    /* journal times: --remember is wall time */
	char reason[400];

	if (!delivered)
		snprintf(reason, sizeof reason, "webhook answered %ld: %.200s",
		         r->status, r->what);
	while ((a = ntf_queue_pop(&d->flight)) != NULL) {
		ntf_spool_done(d->spool, a->id, delivered, wall);
		if (!delivered)
			nw_dlq_put(d->dlq, reason, a->line, a->len);
		ntf_ids_del(d->pending, a->id);
		d->ops.record(d->ops.arg, a->id, delivered ? "delivered" : "dead",
		              a->attempts, r->status);
		*(delivered ? &d->delivered : &d->dead) += 1;
		ntf_alert_free(a);
	}
	return ntf_spool_sync(d->spool);
}

/* 5xx, 429, no answer: the flight goes back to the head of the queue and
 * the next post waits (Retry-After when the receiver said, else backoff),
 * never less than the rate gap. */
static void retry_flight(struct ntf_dlv *d, const struct ntf_result *r,
                         int64_t now_ms)
{
	int64_t wait = r->verdict == NTF_WAIT && r->wait_ms >= 0
	               ? r->wait_ms : ntf_dlv_backoff(d, ++d->fail_streak);

	if (wait > MAX_WAIT_MS)
		wait = MAX_WAIT_MS;
	d->next_post = now_ms + wait;
	if (d->next_post < d->post_started + rate_gap(d))
		d->next_post = d->post_started + rate_gap(d);
	d->failures++;
	if (r->status)
		LOG_WARN("post failed, retrying in %lldms status=%ld alerts=%llu "
		         "attempt=%u body=\"%.120s\"", (long long)wait, r->status,
		         (unsigned long long)d->flight.count, d->flight.head->attempts,
		         r->what);
	else
		LOG_WARN("post failed, retrying in %lldms error=\"%s\" alerts=%llu "
		         "attempt=%u", (long long)wait, r->what,
		         (unsigned long long)d->flight.count, d->flight.head->attempts);
	ntf_queue_push_front(&d->queue, &d->flight);
}

int ntf_dlv_result(struct ntf_dlv *d, const struct ntf_result *r,
                   int64_t now_ms)
{
	int rc = 0;

	switch (r->verdict) {
	case NTF_DELIVERED:
		d->fail_streak = 0;
		d->next_post = d->post_started + rate_gap(d);
		rc = finish_flight(d, r, true);
		break;
	case NTF_DEAD:
		d->fail_streak = 0;
		d->next_post = d->post_started + rate_gap(d);
		LOG_ERROR("webhook rejected the post, alerts dead-lettered status=%ld "
		          "alerts=%llu body=\"%.200s\"", r->status,
		          (unsigned long long)d->flight.count, r->what);
		rc = finish_flight(d, r, false);
		break;
	case NTF_WAIT:
	case NTF_RETRY:
		retry_flight(d, r, now_ms);
		break;
	}
	d->waiting = d->queue.count;
	return rc;
}

/* ---- compaction policy -------------------------------------------------- */

/* Rewrite the journal when it is mostly done records: soon when nothing
 * waits, and under a lasting storm (never idle) once it is large.  Never
 * with a post in flight: those alerts are in neither list. */
bool ntf_dlv_compact_due(const struct ntf_dlv *d)
{
	const struct ntf_spool *s = d->spool;
	uint64_t live = s->compacted_bytes + d->queue.bytes;

	if (ntf_dlv_busy(d))
		return false;
	if (d->queue.count == 0)
		return s->bytes > COMPACT_MIN && s->bytes > 2 * s->compacted_bytes;
	return s->bytes > COMPACT_BUSY && s->bytes > 2 * live;
}

int ntf_dlv_compact(struct ntf_dlv *d)
{
	return ntf_spool_compact(d->spool, &d->queue, nw_wall_ms());
}
