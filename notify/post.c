/*
 * post.c - notify's posting mode: open the spool (its pending alerts go
 * first) and the webhook, then one loop until input has ended and every
 * alert is delivered, a stop signal, or the drain timeout: start the post
 * that is due, wait on stdin and the transfer together (curl_multi_poll,
 * so reading never blocks delivery and vice versa), read what came,
 * take the post's outcome, compact the spool; then close them.
 *
 * What each input line does is main.c's (its stage callbacks queue alerts
 * in p->dlv); the scheduling is deliver.c's.
 * Ownership: the spool, the webhook and the scheduler are p's, opened
 * and closed by ntf_post_run; p borrows the options, the stage, the dead
 * letters and the barrier from main.
 */
#include "ntf.h"
#include "stage.h"

#include <curl/curl.h>
#include <stdlib.h>

#define READ_BATCH   4096             /* lines per read before posting */
#define POLL_MAX_MS  200              /* signals are noticed this fast */
#define REMEMBER_MAX 200000           /* delivered ids remembered, at most */
#define QUEUE_BYTES  (256u << 20)     /* waiting alert bytes before reading
                                         pauses, whatever --max-queue says */

#define DIE(...) do { LOG_ERROR(__VA_ARGS__); exit(NW_EXIT_FAIL); } while (0)

/* What the scheduler needs from outside (struct ntf_dlv_ops). */
static int post_http(void *arg, const char *body, size_t len,
                     const char *key)
{
	return ntf_http_start(arg, body, len, key);
}

static void record_out(void *arg, const char *id, const char *status,
                       unsigned attempts, long http_status)
{
	struct nw_buf b = { 0 };
	ntf_dlv_record(&b, id, status, attempts, http_status);
	nw_out_line(b.p, b.len);
	nw_buf_free(&b);
}

void ntf_post_input_ended(struct ntf_post *p, const char *why)
{
	p->reading = false;
	p->more_input = false;
	p->drain_deadline = nw_mono_ms() + p->o->drain_ms;
	LOG_INFO("%s, delivering what is left waiting=%llu", why,
	         (unsigned long long)(p->dlv.queue.count + p->dlv.staged.count +
	                              p->dlv.flight.count));
}

/* Read what is there (up to a batch and while the queue has room), make
 * it durable, queue it; then the barriers before it are complete. */
static void read_input(struct ntf_post *p)
{
	p->more_input = false;
	for (int i = 0; i < READ_BATCH; i++) {
		if (!ntf_dlv_has_room(&p->dlv, p->o->max_queue, QUEUE_BYTES)) {
			p->more_input = true;  /* lines may wait in the reader's buffer:
			                          read them once the queue drains */
			break;
		}
		uint64_t lines = nw_std.lines_in;
		if (!nw_stage_step(p->st, 0)) {
			if (p->st->done && p->st->rc != NW_EXIT_OK) {
				p->fatal = true;               /* a read error, logged */
				ntf_post_input_ended(p, "read error");
			}
			break;
		}
		if (nw_std.lines_in == lines)
			break;                             /* nothing more for now */
		if (i == READ_BATCH - 1)
			p->more_input = true;
	}
	if (ntf_dlv_commit(&p->dlv) != 0)
		DIE("alerts could not be spooled; exiting so they are replayed");
	ntf_barrier_publish(p->barrier);
}

/* Wait until the next post is due, the post in flight has news or, while
 * the queue has room, stdin has lines (unless the reader already holds
 * some); then take the post's outcome and read. */
static void wait_and_read(struct ntf_post *p, int64_t now)
{
	bool can_read = p->reading &&
	                ntf_dlv_has_room(&p->dlv, p->o->max_queue, QUEUE_BYTES);
	bool want_input = can_read && !p->more_input;
	int64_t wait = ntf_dlv_due_in(&p->dlv, now);
	struct curl_waitfd in = { .fd = p->st->rd.fd, .events = CURL_WAIT_POLLIN };

	if (wait < 0 || wait > POLL_MAX_MS)
		wait = POLL_MAX_MS;
	if (can_read && p->more_input)
		wait = 0;
	curl_multi_poll(ntf_http_multi(p->http), want_input ? &in : NULL,
	                want_input ? 1 : 0, (int)wait, NULL);
	if (ntf_http_poll(p->http)) {
		struct ntf_result r;
		ntf_http_result(p->http, &r);
		if (ntf_dlv_result(&p->dlv, &r, nw_mono_ms()) != 0)
			DIE("delivery marks could not be spooled");
	}
	if (can_read && (p->more_input || (want_input && in.revents)))
		read_input(p);
}

/* Until input ended and the queue is empty, a stop signal, or the drain
 * timeout: start the post that is due, wait, read, compact. */
static int post_loop(struct ntf_post *p)
{
	for (;;) {
		int64_t now = nw_mono_ms();
		bool busy = ntf_dlv_busy(&p->dlv);

		if (nw_sig_stop && !p->stopping) {
			LOG_INFO("stopping: finishing the post in flight, the rest stays "
			         "in the spool waiting=%llu", (unsigned long long)
			         (p->dlv.queue.count + p->dlv.flight.count));
			p->stopping = true;
			p->reading = false;
		}
		if (!busy && (p->stopping || p->fatal))
			return p->fatal ? NW_EXIT_FAIL : NW_EXIT_OK;
		if (!p->reading && !busy && p->dlv.queue.count == 0)
			return NW_EXIT_OK;                     /* all delivered */
		bool draining_over = !p->reading && now >= p->drain_deadline;
		if (draining_over && !busy) {
			LOG_WARN("drain timeout: alerts left in the spool for the next "
			         "start waiting=%llu", (unsigned long long)p->dlv.queue.count);
			return NTF_EXIT_SPOOLED;
		}
		if (!p->stopping && !draining_over && ntf_dlv_step(&p->dlv, now) < 0)
			DIE("cannot start a post (out of memory)");
		if (!ntf_dlv_busy(&p->dlv))
			ntf_resend_tick(&p->resend, now);
		wait_and_read(p, now);
		if (ntf_dlv_compact_due(&p->dlv))
			ntf_dlv_compact(&p->dlv);
		nw_stats_idle();       /* a loop turn is a batch or a 200 ms wait:
		                          the clock is cheap here */
		nw_out_flush();
	}
}

int ntf_post_run(struct ntf_post *p, const char *url, const char *where)
{
	const struct ntf_dlv_cfg cfg = {
		.fmt = p->fmt, .rate = p->o->rate, .retry_min_ms = p->o->retry_min_ms,
		.retry_max_ms = p->o->retry_max_ms, .digest_max = p->o->digest_max,
	};
	struct ntf_dlv_ops ops = { .post = post_http, .record = record_out,
	                           .random = random };
	struct ntf_queue replayed = { 0 };
	char *spool_dir = ntf_spool_dir(p->o->spool_dir);
	int rc;

	if (spool_dir == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    ntf_spool_open(&p->spool, spool_dir, p->o->remember_ms, REMEMBER_MAX,
	                   &replayed) != 0 ||
	    (p->http = ntf_http_new(url, p->o->timeout_ms, p->o->connect_ms)) == NULL)
		DIE("cannot start (spool %s)", spool_dir ? spool_dir : "?");
	ops.arg = p->http;
	if (p->o->resend_ms > 0) {
		if (ntf_resend_init(&p->resend, url, p->o->resend_ms) != 0)
			DIE("cannot start (out of memory)");
		for (struct ntf_alert *a = replayed.head; a; a = a->next)
			ntf_resend_note(&p->resend, a->line, a->len);
		nw_stats_u64("resend_posts", &p->resend.posts);
		nw_stats_u64("resend_failures", &p->resend.failures);
	}
	ntf_dlv_init(&p->dlv, &cfg, &ops, &p->spool, p->dlq, &replayed);
	p->reading = true;
	nw_stage_init(p->st);
	LOG_INFO("posting to %s format=%s rate=%g/s spool=%s replayed=%llu "
	         "remembered=%llu", where, ntf_format_name(p->fmt), p->o->rate,
	         spool_dir, (unsigned long long)p->dlv.queue.count,
	         (unsigned long long)ntf_ids_count(p->spool.delivered));
	rc = post_loop(p);
	nw_stage_finish(p->st);
	if (!ntf_dlv_busy(&p->dlv) && p->dlv.queue.count == 0)
		ntf_dlv_compact(&p->dlv);
	LOG_INFO("done delivered=%llu dead=%llu duplicates=%llu posts=%llu "
	         "digests=%llu left_in_spool=%llu status=%d",
	         (unsigned long long)p->dlv.delivered, (unsigned long long)p->dlv.dead,
	         (unsigned long long)p->dlv.duplicates,
	         (unsigned long long)p->dlv.posts, (unsigned long long)p->dlv.digests,
	         (unsigned long long)(p->dlv.queue.count + p->dlv.flight.count), rc);
	ntf_dlv_free(&p->dlv);
	if (p->o->resend_ms > 0)
		ntf_resend_free(&p->resend);
	ntf_http_free(p->http);
	ntf_spool_close(&p->spool);
	curl_global_cleanup();
	free(spool_dir);
	return rc;
}
