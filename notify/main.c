/*
 * notify - post alerts to a Slack, Discord or generic webhook, or print the
 * payloads on stdout.
 *
 * Every alert is appended to a durable spool before its first attempt and
 * marked done once delivered or dead, so a crash loses none; delivered ids
 * are remembered so a replayed alert is not posted twice.  Posts are paced
 * to --rate; when more alerts wait than the rate allows they go out as one
 * digest.  One thread: the loop waits on stdin and the transfer together
 * (curl_multi_poll), so reading never blocks delivery and vice versa.
 *
 * This file: set up, what to do with each input line (lib's stage loop
 * reads them and classifies control lines), the two loops (--stdout, and
 * posting), tear down.  The flags are in opts.c, the scheduling in
 * deliver.c, barriers in barrier.c (see ntf.h).
 * Ownership: everything lives in g, set up in main and freed at its end.
 */
#include "ntf.h"
#include "ckpt.h"
#include "stage.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_BATCH   4096             /* lines per read before posting */
#define POLL_MAX_MS  200              /* signals are noticed this fast */
#define REMEMBER_MAX 200000           /* delivered ids remembered, at most */
#define QUEUE_BYTES  (256u << 20)     /* waiting alert bytes before reading
                                         pauses, whatever --max-queue says */

#define DIE(...) do { LOG_ERROR(__VA_ARGS__); exit(NW_EXIT_FAIL); } while (0)

static struct {
	struct ntf_opts o;
	enum ntf_format fmt;             /* resolved */
	bool text, colour;               /* --stdout: readable lines (text.c) */
	struct nw_stage st;              /* the input: lib's read loop */
	struct nw_dlq dlq;
	struct ntf_spool spool;
	struct ntf_http *http;
	struct ntf_dlv dlv;
	struct ntf_barrier barrier;
	bool reading, more_input, stopping, fatal;
	int64_t drain_deadline;
	uint64_t in_alerts;              /* counter (stats file) */
} g;

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

/* ---- input ------------------------------------------------------------- */

/* Control lines are consumed: a barrier (an integer id) waits in
 * g.barrier for the alerts before it; notify has no state to restore. */
static enum nw_stage_verdict on_ctl(struct nw_stage *st, enum nw_ctl_kind kind,
                                    uint64_t id, const char *line, size_t len)
{
	if (kind == NW_CTL_BARRIER)
		ntf_barrier_seen(&g.barrier, id);
	return NW_STAGE_CONSUMED;
}

static void on_line(struct nw_stage *st, char *line, size_t len)
{
	char id[NTF_ID_MAX + 1];
	const char *why;

	if ((why = ntf_alert_check(line, len, id)) != NULL) {
		nw_dlq_put(&g.dlq, why, line, len);
		return;
	}
	g.in_alerts++;
	if (g.o.to_stdout) {
		char *p = g.text ? ntf_text_alert(line, len, g.colour)
		                 : ntf_fmt_alert(g.fmt, line, len);
		if (p == NULL)
			DIE("out of memory formatting alert_id=%s", id);
		nw_out_line(p, strlen(p));
		free(p);
		g.dlv.delivered++;
		return;
	}
	ntf_dlv_take(&g.dlv, id, line, len);
}

static void input_ended(const char *why)
{
	g.reading = false;
	g.more_input = false;
	if (g.o.to_stdout)
		return;
	g.drain_deadline = nw_mono_ms() + g.o.drain_ms;
	LOG_INFO("%s, delivering what is left waiting=%llu", why,
	         (unsigned long long)(g.dlv.queue.count + g.dlv.staged.count +
	                              g.dlv.flight.count));
}

static void on_end(struct nw_stage *st)
{
	input_ended("end of input");
}

/* Read what is there (up to a batch and while the queue has room), make
 * it durable, queue it; then the barriers before it are complete. */
static void read_input(void)
{
	g.more_input = false;
	for (int i = 0; i < READ_BATCH; i++) {
		if (!ntf_dlv_has_room(&g.dlv, g.o.max_queue, QUEUE_BYTES)) {
			g.more_input = true;   /* lines may wait in the reader's buffer:
			                          read them once the queue drains */
			break;
		}
		uint64_t lines = nw_std.lines_in;
		if (!nw_stage_step(&g.st, 0)) {
			if (g.st.done && g.st.rc != NW_EXIT_OK) {
				g.fatal = true;                /* a read error, logged */
				input_ended("read error");
			}
			break;
		}
		if (nw_std.lines_in == lines)
			break;                             /* nothing more for now */
		if (i == READ_BATCH - 1)
			g.more_input = true;
	}
	if (ntf_dlv_commit(&g.dlv) != 0)
		DIE("alerts could not be spooled; exiting so they are replayed");
	ntf_barrier_publish(&g.barrier);
}

/* ---- the loops ----------------------------------------------------------- */

/* --stdout: payloads out as alerts come in; flush before blocking. */
static void flush_then_barrier(void)
{
	nw_out_flush();
	ntf_barrier_publish(&g.barrier);
}

static int run_stdout(void)
{
	int rc;

	g.st.before_block = flush_then_barrier;
	if ((rc = nw_stage_run(&g.st)) == NW_EXIT_OK)
		flush_then_barrier();
	return rc;
}

/* Until input ended and the queue is empty, a stop signal, or the drain
 * timeout: start the post that is due, wait on stdin and the transfer
 * together, then read, take the post's outcome, compact. */
static int run_post(void)
{
	for (;;) {
		int64_t now = nw_mono_ms();
		bool busy = ntf_dlv_busy(&g.dlv);

		if (nw_sig_stop && !g.stopping) {
			LOG_INFO("stopping: finishing the post in flight, the rest stays "
			         "in the spool waiting=%llu", (unsigned long long)
			         (g.dlv.queue.count + g.dlv.flight.count));
			g.stopping = true;
			g.reading = false;
		}
		if (!busy && (g.stopping || g.fatal))
			return g.fatal ? NW_EXIT_FAIL : NW_EXIT_OK;
		if (!g.reading && !busy && g.dlv.queue.count == 0)
			return NW_EXIT_OK;                     /* all delivered */
		bool draining_over = !g.reading && now >= g.drain_deadline;
		if (draining_over && !busy) {
			LOG_WARN("drain timeout: alerts left in the spool for the next "
			         "start waiting=%llu", (unsigned long long)g.dlv.queue.count);
			return NTF_EXIT_SPOOLED;
		}
		if (!g.stopping && !draining_over && ntf_dlv_step(&g.dlv, now) < 0)
			DIE("cannot start a post (out of memory)");

		/* Poll stdin while the queue has room, unless the reader already
		 * holds lines. */
		bool can_read = g.reading &&
		                ntf_dlv_has_room(&g.dlv, g.o.max_queue, QUEUE_BYTES);
		bool want_input = can_read && !g.more_input;
		int64_t wait = ntf_dlv_due_in(&g.dlv, now);
		if (wait < 0 || wait > POLL_MAX_MS)
			wait = POLL_MAX_MS;
		if (can_read && g.more_input)
			wait = 0;
		struct curl_waitfd in = { .fd = g.st.rd.fd, .events = CURL_WAIT_POLLIN };
		curl_multi_poll(ntf_http_multi(g.http), want_input ? &in : NULL,
		                want_input ? 1 : 0, (int)wait, NULL);
		if (ntf_http_poll(g.http)) {
			struct ntf_result r;
			ntf_http_result(g.http, &r);
			if (ntf_dlv_result(&g.dlv, &r, nw_mono_ms()) != 0)
				DIE("delivery marks could not be spooled");
		}
		if (can_read && (g.more_input || (want_input && in.revents)))
			read_input();
		if (ntf_dlv_compact_due(&g.dlv))
			ntf_dlv_compact(&g.dlv);
		nw_stats_tick();
		nw_out_flush();
	}
}

/* ---- set up and tear down ------------------------------------------------ */

static void stats_setup(void)
{
	nw_stats_init(g.o.stats, 1000);
	nw_stats_u64("alerts_in", &g.in_alerts);
	ntf_dlv_stats(&g.dlv);
	nw_stats_u64("barriers", &g.barrier.count);
}

/* Open the spool (its pending alerts go first) and the webhook, post until
 * done, close them. */
static int post_mode(const char *url, const char *where)
{
	const struct ntf_dlv_cfg cfg = {
		.fmt = g.fmt, .rate = g.o.rate, .retry_min_ms = g.o.retry_min_ms,
		.retry_max_ms = g.o.retry_max_ms, .digest_max = g.o.digest_max,
	};
	struct ntf_dlv_ops ops = { .post = post_http, .record = record_out,
	                           .random = random };
	struct ntf_queue replayed = { 0 };
	char *spool_dir = ntf_spool_dir(g.o.spool_dir);
	int rc;

	if (spool_dir == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    ntf_spool_open(&g.spool, spool_dir, g.o.remember_ms, REMEMBER_MAX,
	                   &replayed) != 0 ||
	    (g.http = ntf_http_new(url, g.o.timeout_ms, g.o.connect_ms)) == NULL)
		DIE("cannot start (spool %s)", spool_dir ? spool_dir : "?");
	ops.arg = g.http;
	ntf_dlv_init(&g.dlv, &cfg, &ops, &g.spool, &g.dlq, &replayed);
	g.reading = true;
	nw_stage_init(&g.st);
	LOG_INFO("posting to %s format=%s rate=%g/s spool=%s replayed=%llu "
	         "remembered=%llu", where, ntf_format_name(g.fmt), g.o.rate,
	         spool_dir, (unsigned long long)g.dlv.queue.count,
	         (unsigned long long)ntf_ids_count(g.spool.delivered));
	rc = run_post();
	nw_stage_finish(&g.st);
	if (!ntf_dlv_busy(&g.dlv) && g.dlv.queue.count == 0)
		ntf_dlv_compact(&g.dlv);
	LOG_INFO("done delivered=%llu dead=%llu duplicates=%llu posts=%llu "
	         "digests=%llu left_in_spool=%llu status=%d",
	         (unsigned long long)g.dlv.delivered, (unsigned long long)g.dlv.dead,
	         (unsigned long long)g.dlv.duplicates,
	         (unsigned long long)g.dlv.posts, (unsigned long long)g.dlv.digests,
	         (unsigned long long)(g.dlv.queue.count + g.dlv.flight.count), rc);
	ntf_dlv_free(&g.dlv);
	ntf_http_free(g.http);
	ntf_spool_close(&g.spool);
	curl_global_cleanup();
	free(spool_dir);
	return rc;
}

int main(int argc, char **argv)
{
	char *url, where[512] = "stdout", host[256] = "";
	int rc;

	nw_log_init("notify");
	ntf_opts_parse(argc, argv, &g.o);
	url = ntf_webhook_url(g.o.url_file);
	if (url && !ntf_url_public(url, where, sizeof where, host, sizeof host))
		nw_usage_error("the webhook URL is not a valid http(s) URL");
	if (url == NULL && !g.o.to_stdout)
		nw_usage_error("no webhook URL: set WEBHOOK_URL or give "
		               "--url-file FILE (or use --stdout)");
	g.fmt = g.o.format != NTF_FMT_AUTO ? g.o.format : ntf_format_for_url(url, host);
	ntf_text_choose(&g.o, &g.text, &g.colour);
	g.barrier.file = g.o.barrier_file;
	g.barrier.ckpt_dir = nw_ckpt_dir(g.o.ckpt_dir);
	nw_sig_init();
	nw_out_init();
	srandom((unsigned)(nw_wall_ms() ^ getpid()));
	if (nw_dlq_open(&g.dlq, g.o.dead_letter) != 0)
		nw_usage_error("--dead-letter %s: %s", g.o.dead_letter,
		               strerror(errno));
	g.st = (struct nw_stage){
		.max_line = g.o.max_line, .dlq = &g.dlq, .on_line = on_line,
		.on_ctl = on_ctl, .on_end = on_end,
	};
	stats_setup();

	if (g.o.to_stdout) {
		LOG_INFO("printing alerts on stdout format=%s",
		         g.text ? "text" : ntf_format_name(g.fmt));
		rc = run_stdout();
	} else {
		rc = post_mode(url, where);
	}
	nw_out_flush();
	nw_stats_close();
	nw_dlq_close(&g.dlq);
	free(url);
	return rc;
}
