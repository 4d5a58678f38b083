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
 */
#include "ntf.h"
#include "ckpt.h"
#include "cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_BATCH   4096             /* lines per read before posting */
#define POLL_MAX_MS  200              /* signals are noticed this fast */
#define MAX_WAIT_MS  (3600 * 1000)    /* cap on a receiver's Retry-After */
#define COMPACT_MIN  (1024 * 1024)    /* journal bytes before compaction */
#define COMPACT_BUSY (64u << 20)      /* …while alerts keep waiting */
#define REMEMBER_MAX 200000           /* delivered ids remembered, at most */
#define QUEUE_BYTES  (256u << 20)     /* waiting alert bytes before reading
                                         pauses, whatever --max-queue says */

static const char usage_text[] =
"usage: notify [--format auto|slack|discord|generic] [--stdout]\n"
"              [--url-file FILE] [--spool DIR] [--timeout DUR]\n"
"              [--connect-timeout DUR] [--rate N/s] [--drain-timeout DUR]\n"
"              [--retry-min DUR] [--retry-max DUR] [--remember DUR]\n"
"              [--max-queue N] [--digest-max N] [--dead-letter FILE]\n"
"              [--barrier-file FILE] [--stats FILE] [--max-line BYTES]\n"
"\n"
"Reads alerts (NDJSON) on stdin and posts each to the webhook in WEBHOOK_URL\n"
"(or the first line of --url-file FILE); writes one delivery record per\n"
"alert on stdout.  Control lines are consumed.\n"
"\n"
"  --format F            payload format; auto picks by the webhook's host\n"
"                        (hooks.slack.com: slack, discord.com: discord,\n"
"                        else generic)  [auto]\n"
"  --stdout              print each alert's payload on stdout, post nothing\n"
"  --url-file FILE       read the webhook URL from FILE (never from argv)\n"
"  --spool DIR           durable spool  [$XDG_STATE_HOME/netwatch/notify]\n"
"  --timeout DUR         total time of one attempt  [10s]\n"
"  --connect-timeout DUR connect time of one attempt  [5s]\n"
"  --rate N/s            posts per second (N/m, N/h also)  [1/s]\n"
"  --drain-timeout DUR   at end of input, time to finish delivery  [30s]\n"
"  --retry-min DUR       first backoff after a failure  [1s]\n"
"  --retry-max DUR       longest backoff  [60s]\n"
"  --remember DUR        how long delivered ids stay remembered  [1h]\n"
"  --max-queue N         alerts held before reading pauses  [100000]\n"
"  --digest-max N        alerts in one digest post  [10000]\n"
"  --dead-letter FILE    rejected input and undeliverable alerts\n"
"  --barrier-file FILE   newest barrier id whose alerts are all spooled\n"
"  --checkpoint-dir DIR  mark barriers complete there (default: env\n"
"                        NW_CHECKPOINT_DIR); see docs/recovery.md\n"
"  --stats FILE          one-line JSON counters, replaced every second\n"
"  --max-line BYTES      longest input line  [1048576]\n"
"  --help, --version\n"
"\n"
"Exit: 0 done or SIGTERM, 1 failure, 2 usage, 3 EPIPE, 4 end of input but\n"
"alerts left in the spool after --drain-timeout.\n";

struct opts {
	enum ntf_format format;
	bool to_stdout;
	const char *url_file, *spool_dir, *dead_letter, *barrier_file, *stats;
	const char *ckpt_dir;
	int64_t timeout_ms, connect_ms, drain_ms, retry_min_ms, retry_max_ms,
	        remember_ms;
	double rate;                     /* posts per second */
	uint64_t max_queue, digest_max, max_line;
};

static struct {
	struct opts o;
	enum ntf_format fmt;             /* resolved */
	struct nw_reader rd;
	struct nw_dlq dlq;
	struct ntf_spool spool;
	struct ntf_http *http;
	struct ntf_ids *pending;         /* ids waiting or in flight */
	struct ntf_queue queue, staged, flight;
	bool reading, more_input, stopping;
	int64_t next_post, post_started, drain_deadline;
	unsigned fail_streak;
	char barrier[64];                /* newest barrier id not yet written */
	bool fatal;
	/* counters (stats file) */
	uint64_t in_alerts, delivered, dead, duplicates, posts, digests,
	         failures, ctl_lines, barriers, waiting;
} g;

/* "5/s", "30/m", "2" (per second) → posts per second. */
static int parse_rate(const char *s, double *out)
{
	static const struct { const char *unit; double per_s; } units[] = {
		{ "", 1 }, { "/s", 1 }, { "/m", 1.0 / 60 }, { "/h", 1.0 / 3600 },
	};
	char *end;
	double v = strtod(s, &end);
	if (end == s || !(v > 0) || v > 1e6)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(end, units[i].unit) == 0) {
			*out = v * units[i].per_s;
			return 0;
		}
	return -1;
}

static int64_t dur_flag(const char *name, const char *v, bool allow_zero)
{
	int64_t ms;
	if (nw_parse_duration_ms(v, &ms) != 0 || (!allow_zero && ms == 0))
		nw_usage_error("notify: bad duration for --%s: '%s'", name, v);
	return ms;
}

static uint64_t count_flag(const char *name, const char *v)
{
	uint64_t n;
	if (nw_parse_u64(v, &n) != 0 || n == 0)
		nw_usage_error("notify: bad number for --%s: '%s'", name, v);
	return n;
}

static void parse_flags(int argc, char **argv, struct opts *o)
{
	enum { O_URLFILE = 256, O_SPOOL, O_TIMEOUT, O_CONNECT, O_RATE, O_DRAIN,
	       O_RMIN, O_RMAX, O_REMEMBER, O_MAXQ, O_DIGEST, O_DLQ, O_BARRIER,
	       O_STATS, O_MAXLINE, O_CKPT };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "stdout", no_argument, NULL, 'n' },
		{ "url-file", required_argument, NULL, O_URLFILE },
		{ "spool", required_argument, NULL, O_SPOOL },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "connect-timeout", required_argument, NULL, O_CONNECT },
		{ "rate", required_argument, NULL, O_RATE },
		{ "drain-timeout", required_argument, NULL, O_DRAIN },
		{ "retry-min", required_argument, NULL, O_RMIN },
		{ "retry-max", required_argument, NULL, O_RMAX },
		{ "remember", required_argument, NULL, O_REMEMBER },
		{ "max-queue", required_argument, NULL, O_MAXQ },
		{ "digest-max", required_argument, NULL, O_DIGEST },
		{ "dead-letter", required_argument, NULL, O_DLQ },
		{ "barrier-file", required_argument, NULL, O_BARRIER },
		{ "checkpoint-dir", required_argument, NULL, O_CKPT },
		{ "stats", required_argument, NULL, O_STATS },
		{ "max-line", required_argument, NULL, O_MAXLINE },
		NW_CLI_STD_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct nw_cli cli = { "", longopts, usage_text, NULL };
	int c;

	*o = (struct opts){
		.format = NTF_FMT_AUTO, .timeout_ms = 10000, .connect_ms = 5000,
		.drain_ms = 30000, .retry_min_ms = 1000, .retry_max_ms = 60000,
		.remember_ms = 3600 * 1000, .rate = 1, .max_queue = 100000,
		.digest_max = 10000, .max_line = NW_MAX_LINE_DEFAULT,
	};
	while ((c = nw_getopt(argc, argv, &cli)) != -1) {
		switch (c) {
		case 'f':
			if (ntf_format_parse(optarg, &o->format) != 0)
				nw_usage_error("notify: unknown --format '%s' "
				               "(auto, slack, discord, generic)", optarg);
			break;
		case 'n': o->to_stdout = true; break;
		case O_URLFILE: o->url_file = optarg; break;
		case O_SPOOL: o->spool_dir = optarg; break;
		case O_TIMEOUT: o->timeout_ms = dur_flag("timeout", optarg, false); break;
		case O_CONNECT: o->connect_ms = dur_flag("connect-timeout", optarg, false); break;
		case O_DRAIN: o->drain_ms = dur_flag("drain-timeout", optarg, true); break;
		case O_RMIN: o->retry_min_ms = dur_flag("retry-min", optarg, false); break;
		case O_RMAX: o->retry_max_ms = dur_flag("retry-max", optarg, false); break;
		case O_REMEMBER: o->remember_ms = dur_flag("remember", optarg, false); break;
		case O_RATE:
			if (parse_rate(optarg, &o->rate) != 0)
				nw_usage_error("notify: bad --rate '%s' (e.g. 1/s, 30/m)", optarg);
			break;
		case O_MAXQ: o->max_queue = count_flag("max-queue", optarg); break;
		case O_DIGEST: o->digest_max = count_flag("digest-max", optarg); break;
		case O_MAXLINE: o->max_line = count_flag("max-line", optarg); break;
		case O_DLQ: o->dead_letter = optarg; break;
		case O_BARRIER: o->barrier_file = optarg; break;
		case O_CKPT: o->ckpt_dir = optarg; break;
		case O_STATS: o->stats = optarg; break;
		}
	}
	if (optind < argc)
		nw_usage_error("notify: unexpected argument '%s' (the webhook URL "
		               "comes from WEBHOOK_URL or --url-file)", argv[optind]);
	if (o->retry_max_ms < o->retry_min_ms)
		nw_usage_error("notify: --retry-max is shorter than --retry-min");
}

/* The webhook URL: --url-file's first line, else WEBHOOK_URL.  Returns a
 * malloc'd string or NULL when neither is set. */
static char *webhook_url(const char *file)
{
	char *line = NULL;
	size_t cap = 0;

	if (file == NULL) {
		const char *e = getenv("WEBHOOK_URL");
		return e && *e ? nw_xstrdup(e) : NULL;
	}
	FILE *fp = fopen(file, "r");
	if (fp == NULL)
		nw_usage_error("notify: cannot read --url-file %s: %s", file,
		               strerror(errno));
	ssize_t n = getline(&line, &cap, fp);
	fclose(fp);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
	                 line[n - 1] == ' '))
		line[--n] = '\0';
	if (n <= 0) {
		free(line);
		nw_usage_error("notify: --url-file %s holds no URL", file);
	}
	return line;
}

/* $XDG_STATE_HOME/netwatch/notify, else ~/.local/state/netwatch/notify. */
static char *default_spool(void)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	struct nw_buf b = { 0 };

	if (x && *x == '/')
		nw_buf_printf(&b, "%s/netwatch/notify", x);
	else if (home && *home)
		nw_buf_printf(&b, "%s/.local/state/netwatch/notify", home);
	else
		nw_usage_error("notify: no HOME or XDG_STATE_HOME: give --spool DIR");
	return b.p;
}

/* ---- output ------------------------------------------------------------------ */

static void record(const char *id, const char *status, unsigned attempts,
                   long http_status)
{
	struct nw_buf b = { 0 };
	nw_buf_adds(&b, "{\"type\":\"delivery\",\"alert_id\":");
	nw_buf_add_jstr(&b, id, strlen(id));
	nw_buf_printf(&b, ",\"status\":\"%s\",\"attempts\":%u,\"http_status\":",
	              status, attempts);
	if (http_status > 0)
		nw_buf_printf(&b, "%ld}", http_status);
	else
		nw_buf_adds(&b, "null}");
	nw_out_line(b.p, b.len);
	nw_buf_free(&b);
}

/* Every alert before the barrier is delivered or spooled: with a
 * checkpoint dir, the barrier is complete (docs/recovery.md). */
static void barrier_complete(void)
{
	uint64_t id;

	if (nw_parse_u64(g.barrier, &id) != 0)
		LOG_WARN("barrier id %s is not a number, not marked complete",
		         g.barrier);
	else if (nw_ckpt_mark_completed(g.o.ckpt_dir, id) == 0)
		LOG_DEBUG("checkpoint complete id=%llu", (unsigned long long)id);
}

/* Write the newest completed barrier id to --barrier-file, atomically. */
static void barrier_publish(void)
{
	char tmp[4096];
	FILE *fp;

	if (g.barrier[0] != '\0' && g.o.ckpt_dir != NULL) {
		barrier_complete();
		if (g.o.barrier_file == NULL)
			g.barrier[0] = '\0';
	}
	if (g.barrier[0] == '\0' || g.o.barrier_file == NULL)
		return;
	snprintf(tmp, sizeof tmp, "%s.tmp", g.o.barrier_file);
	if ((fp = fopen(tmp, "w")) == NULL || fprintf(fp, "%s\n", g.barrier) < 0 ||
	    fclose(fp) != 0 || rename(tmp, g.o.barrier_file) != 0)
		LOG_ERROR("cannot write --barrier-file %s: %s", g.o.barrier_file,
		          strerror(errno));
	else
		LOG_DEBUG("barrier complete id=%s", g.barrier);
	g.barrier[0] = '\0';
}

/* A control line: barriers are remembered until their alerts are durable;
 * other kinds are consumed. */
static void on_ctl(json_t *ctl)
{
	json_t *type = json_object_get(ctl, "type"), *id = json_object_get(ctl, "id");

	g.ctl_lines++;
	if (!json_is_string(type) || strcmp(json_string_value(type), "barrier") != 0)
		return;
	g.barriers++;
	if (json_is_integer(id))
		snprintf(g.barrier, sizeof g.barrier, "%lld",
		         (long long)json_integer_value(id));
	else if (json_is_string(id) && json_string_length(id) < sizeof g.barrier &&
	         strcspn(json_string_value(id), "\n") == json_string_length(id))
		snprintf(g.barrier, sizeof g.barrier, "%s", json_string_value(id));
	else
		LOG_WARN("barrier without a usable id, ignored");
}

/* ---- input ------------------------------------------------------------------- */

static void on_line(const char *line, size_t len)
{
	char id[NTF_ID_MAX + 1];
	const char *why;

	if (nw_ctl_maybe(line, len)) {
		json_t *ctl = nw_ctl_parse(line, len);
		if (ctl) {
			on_ctl(ctl);
			json_decref(ctl);
			return;
		}
	}
	if ((why = ntf_alert_check(line, len, id)) != NULL) {
		nw_dlq_put(&g.dlq, why, line, len);
		return;
	}
	g.in_alerts++;
	if (g.o.to_stdout) {
		char *p = ntf_fmt_alert(g.fmt, line, len);
		if (p == NULL) {
			LOG_ERROR("out of memory formatting alert_id=%s", id);
			exit(NW_EXIT_FAIL);
		}
		nw_out_line(p, strlen(p));
		free(p);
		g.delivered++;
		return;
	}
	if (ntf_ids_has(g.spool.delivered, id) || ntf_ids_has(g.pending, id)) {
		g.duplicates++;
		LOG_DEBUG("duplicate alert not posted again alert_id=%s", id);
		record(id, "duplicate", 0, 0);
		return;
	}
	struct ntf_alert *a = ntf_alert_new(id, line, len);
	if (a == NULL) {
		LOG_ERROR("out of memory holding alert_id=%s", id);
		exit(NW_EXIT_FAIL);
	}
	ntf_spool_add(&g.spool, a);
	ntf_queue_push(&g.staged, a);
	ntf_ids_put(g.pending, id, 0);
}

static void input_ended(const char *why)
{
	g.reading = false;
	g.more_input = false;
	g.drain_deadline = nw_mono_ms() + g.o.drain_ms;
	LOG_INFO("%s, delivering what is left waiting=%llu", why,
	         (unsigned long long)(g.queue.count + g.staged.count +
	                              g.flight.count));
}

/* Read what is there (up to a batch), make it durable, then queue it. */
static void read_input(void)
{
	char *line;
	size_t len;

	g.more_input = false;
	for (int i = 0; i < READ_BATCH; i++) {
		if (g.queue.count + g.staged.count >= g.o.max_queue ||
		    g.queue.bytes + g.staged.bytes >= QUEUE_BYTES) {
			g.more_input = true;   /* lines may wait in the reader's buffer:
			                          read them once the queue drains */
			break;
		}
		enum nw_rd r = nw_reader_next(&g.rd, &line, &len, 0);
		if (r == NW_RD_LINE)
			on_line(line, len);
		else if (r == NW_RD_TOOLONG)
			nw_dlq_put(&g.dlq, "line too long", line, len);
		else if (r == NW_RD_EOF) {
			input_ended("end of input");
			break;
		} else if (r == NW_RD_ERR) {
			LOG_ERROR("cannot read stdin: %s", strerror(errno));
			input_ended("read error");
			g.fatal = true;
			break;
		} else {
			break;                       /* nothing more for now */
		}
		if (i == READ_BATCH - 1)
			g.more_input = true;
	}
	if (ntf_spool_sync(&g.spool) != 0) {
		LOG_ERROR("alerts could not be spooled; exiting so they are replayed");
		exit(NW_EXIT_FAIL);
	}
	g.waiting = g.queue.count + g.staged.count;
	ntf_queue_push_front(&g.staged, &g.queue);  /* staged := queue + staged */
	g.queue = g.staged;
	memset(&g.staged, 0, sizeof g.staged);
	barrier_publish();
}

/* ---- delivery ------------------------------------------------------------------ */

static int64_t backoff_ms(unsigned streak)
{
	int64_t d = g.o.retry_min_ms;
	for (unsigned i = 1; i < streak && d < g.o.retry_max_ms; i++)
		d *= 2;
	if (d > g.o.retry_max_ms)
		d = g.o.retry_max_ms;
	return d / 2 + (int64_t)(random() % (d / 2 + 1));   /* jitter */
}

/* Take the next alert, or a digest when more wait than the rate allows. */
static void start_post(void)
{
	uint64_t burst = g.o.rate >= 1 ? (uint64_t)g.o.rate : 1;
	uint64_t n = g.queue.count > burst ? g.queue.count : 1;
	char *body;

	if (n > g.o.digest_max)
		n = g.o.digest_max;
	for (uint64_t i = 0; i < n; i++) {
		struct ntf_alert *a = ntf_queue_pop(&g.queue);
		a->attempts++;
		ntf_queue_push(&g.flight, a);
	}
	body = n == 1 ? ntf_fmt_alert(g.fmt, g.flight.head->line, g.flight.head->len)
	              : ntf_fmt_digest(g.fmt, g.flight.head, n);
	if (body == NULL || ntf_http_start(g.http, body, strlen(body)) != 0) {
		LOG_ERROR("cannot start a post (out of memory)");
		exit(NW_EXIT_FAIL);
	}
	free(body);
	g.posts++;
	if (n > 1) {
		g.digests++;
		LOG_INFO("posting a digest alerts=%llu", (unsigned long long)n);
	}
	g.post_started = nw_mono_ms();
}

/* Every alert of the post is done: spool mark, record, forget. */
static void finish_flight(const struct ntf_result *r, bool delivered)
{
	struct ntf_alert *a;
	int64_t now = nw_wall_ms();
	char reason[400];

	if (!delivered)
		snprintf(reason, sizeof reason, "webhook answered %ld: %.200s",
		         r->status, r->what);
	while ((a = ntf_queue_pop(&g.flight)) != NULL) {
		ntf_spool_done(&g.spool, a->id, delivered, now);
		if (!delivered)
			nw_dlq_put(&g.dlq, reason, a->line, a->len);
		ntf_ids_del(g.pending, a->id);
		record(a->id, delivered ? "delivered" : "dead", a->attempts, r->status);
		*(delivered ? &g.delivered : &g.dead) += 1;
		ntf_alert_free(a);
	}
	if (ntf_spool_sync(&g.spool) != 0) {
		LOG_ERROR("delivery marks could not be spooled");
		exit(NW_EXIT_FAIL);
	}
}

static void post_finished(void)
{
	struct ntf_result r;
	int64_t now = nw_mono_ms(), gap = (int64_t)(1000.0 / g.o.rate);

	ntf_http_result(g.http, &r);
	switch (r.verdict) {
	case NTF_DELIVERED:
		g.fail_streak = 0;
		g.next_post = g.post_started + gap;
		finish_flight(&r, true);
		break;
	case NTF_DEAD:
		g.fail_streak = 0;
		g.next_post = g.post_started + gap;
		LOG_ERROR("webhook rejected the post, alerts dead-lettered status=%ld "
		          "alerts=%llu body=\"%.200s\"", r.status,
		          (unsigned long long)g.flight.count, r.what);
		finish_flight(&r, false);
		break;
	case NTF_WAIT:
	case NTF_RETRY: {
		int64_t wait = r.verdict == NTF_WAIT && r.wait_ms >= 0 ? r.wait_ms
		               : backoff_ms(++g.fail_streak);
		if (wait > MAX_WAIT_MS)
			wait = MAX_WAIT_MS;
		g.next_post = now + wait;
		if (g.next_post < g.post_started + gap)
			g.next_post = g.post_started + gap;
		g.failures++;
		if (r.status)
			LOG_WARN("post failed, retrying in %lldms status=%ld alerts=%llu "
			         "attempt=%u body=\"%.120s\"", (long long)wait, r.status,
			         (unsigned long long)g.flight.count, g.flight.head->attempts,
			         r.what);
		else
			LOG_WARN("post failed, retrying in %lldms error=\"%s\" alerts=%llu "
			         "attempt=%u", (long long)wait, r.what,
			         (unsigned long long)g.flight.count, g.flight.head->attempts);
		ntf_queue_push_front(&g.queue, &g.flight);
		break;
	}
	}
	g.waiting = g.queue.count;
}

/* ---- the loops ---------------------------------------------------------------- */

/* --stdout: payloads out as alerts come in; flush before blocking. */
static void flush_then_barrier(void)
{
	nw_out_flush();
	barrier_publish();
}

static int run_stdout(void)
{
	char *line;
	size_t len;

	g.rd.before_block = flush_then_barrier;
	while (!nw_sig_stop) {
		enum nw_rd r = nw_reader_next(&g.rd, &line, &len, 1000);
		if (r == NW_RD_LINE)
			on_line(line, len);
		else if (r == NW_RD_TOOLONG)
			nw_dlq_put(&g.dlq, "line too long", line, len);
		else if (r == NW_RD_EOF)
			break;
		else if (r == NW_RD_ERR) {
			LOG_ERROR("cannot read stdin: %s", strerror(errno));
			return NW_EXIT_FAIL;
		}
		nw_stats_tick();
	}
	flush_then_barrier();
	return NW_EXIT_OK;
}

static int loop_timeout(int64_t now, bool can_read)
{
	int64_t t = POLL_MAX_MS;
	if (can_read && g.more_input)
		return 0;
	if (!ntf_http_busy(g.http) && g.queue.count > 0 && g.next_post - now < t)
		t = g.next_post - now;
	return t < 0 ? 0 : (int)t;
}

/* Rewrite the journal when it is mostly done records: soon when nothing
 * waits, and under a lasting storm (never idle) once it is large.  Never
 * with a post in flight: those alerts are in neither list. */
static bool compaction_due(void)
{
	uint64_t live = g.spool.compacted_bytes + g.queue.bytes;
	if (ntf_http_busy(g.http))
		return false;
	if (g.queue.count == 0)
		return g.spool.bytes > COMPACT_MIN &&
		       g.spool.bytes > 2 * g.spool.compacted_bytes;
	return g.spool.bytes > COMPACT_BUSY && g.spool.bytes > 2 * live;
}

static int run_post(void)
{
	int rc = NW_EXIT_OK;

	for (;;) {
		int64_t now = nw_mono_ms();
		bool busy = ntf_http_busy(g.http);

		if (nw_sig_stop && !g.stopping) {
			LOG_INFO("stopping: finishing the post in flight, the rest stays "
			         "in the spool waiting=%llu",
			         (unsigned long long)(g.queue.count + g.flight.count));
			g.stopping = true;
			g.reading = false;
		}
		if (!busy && (g.stopping || g.fatal))
			break;
		if (!g.reading && !busy && g.queue.count == 0)
			break;                                 /* all delivered */
		bool draining_over = !g.reading && now >= g.drain_deadline;
		if (draining_over && !busy) {
			rc = NTF_EXIT_SPOOLED;
			LOG_WARN("drain timeout: alerts left in the spool for the next "
			         "start waiting=%llu", (unsigned long long)g.queue.count);
			break;
		}
		if (!busy && g.queue.count > 0 && now >= g.next_post &&
		    !g.stopping && !draining_over)
			start_post();

		/* Read while the queue has room; poll stdin unless the reader
		 * already holds lines. */
		bool can_read = g.reading && g.queue.count < g.o.max_queue &&
		                g.queue.bytes < QUEUE_BYTES;
		bool want_input = can_read && !g.more_input;
		struct curl_waitfd in = { .fd = g.rd.fd, .events = CURL_WAIT_POLLIN };
		curl_multi_poll(ntf_http_multi(g.http), want_input ? &in : NULL,
		                want_input ? 1 : 0, loop_timeout(now, can_read), NULL);
		if (ntf_http_poll(g.http))
			post_finished();
		if (can_read && (g.more_input || (want_input && in.revents)))
			read_input();
		if (compaction_due())
			ntf_spool_compact(&g.spool, &g.queue, nw_wall_ms());
		nw_stats_tick();
		nw_out_flush();
	}
	if (g.fatal)
		rc = NW_EXIT_FAIL;
	if (!ntf_http_busy(g.http) && g.queue.count == 0)
		ntf_spool_compact(&g.spool, &g.queue, nw_wall_ms());
	return rc;
}

static void stats_setup(void)
{
	nw_stats_init(g.o.stats, 1000);
	nw_stats_u64("alerts_in", &g.in_alerts);
	nw_stats_u64("delivered", &g.delivered);
	nw_stats_u64("dead", &g.dead);
	nw_stats_u64("duplicates", &g.duplicates);
	nw_stats_u64("posts", &g.posts);
	nw_stats_u64("digests", &g.digests);
	nw_stats_u64("post_failures", &g.failures);
	nw_stats_u64("waiting", &g.waiting);
	nw_stats_u64("ctl_lines", &g.ctl_lines);
	nw_stats_u64("barriers", &g.barriers);
	nw_stats_u64("dead_letters", &g.dlq.count);
	nw_stats_u64("lines_in", &g.rd.lines);
}

int main(int argc, char **argv)
{
	char *url, where[512] = "stdout", host[256] = "";
	char *spool_dir = NULL;
	int rc;

	nw_log_init("notify");
	parse_flags(argc, argv, &g.o);
	g.o.ckpt_dir = nw_ckpt_dir(g.o.ckpt_dir);
	url = webhook_url(g.o.url_file);
	if (url && !ntf_url_public(url, where, sizeof where, host, sizeof host))
		nw_usage_error("the webhook URL is not a valid http(s) URL");
	if (url == NULL && !g.o.to_stdout)
		nw_usage_error("no webhook URL: set WEBHOOK_URL or give "
		               "--url-file FILE (or use --stdout)");
	g.fmt = g.o.format != NTF_FMT_AUTO ? g.o.format : ntf_format_for_host(host);
	nw_sig_init();
	nw_out_init();
	srandom((unsigned)(nw_wall_ms() ^ getpid()));
	if (nw_reader_init(&g.rd, STDIN_FILENO, g.o.max_line) != 0 ||
	    (g.pending = ntf_ids_new()) == NULL) {
		LOG_ERROR("out of memory");
		return NW_EXIT_FAIL;
	}
	if (nw_dlq_open(&g.dlq, g.o.dead_letter) != 0)
		nw_usage_error("notify: cannot open --dead-letter %s: %s",
		               g.o.dead_letter, strerror(errno));
	stats_setup();

	if (g.o.to_stdout) {
		LOG_INFO("printing payloads on stdout format=%s", ntf_format_name(g.fmt));
		rc = run_stdout();
	} else {
		spool_dir = g.o.spool_dir ? nw_xstrdup(g.o.spool_dir) : default_spool();
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
		    ntf_spool_open(&g.spool, spool_dir, g.o.remember_ms, REMEMBER_MAX,
		                   &g.queue) != 0 ||
		    (g.http = ntf_http_new(url, g.o.timeout_ms, g.o.connect_ms)) == NULL) {
			LOG_ERROR("cannot start (spool %s)", spool_dir);
			return NW_EXIT_FAIL;
		}
		for (struct ntf_alert *a = g.queue.head; a; a = a->next)
			ntf_ids_put(g.pending, a->id, 0);
		g.waiting = g.queue.count;
		g.reading = true;
		LOG_INFO("posting to %s format=%s rate=%g/s spool=%s replayed=%llu "
		         "remembered=%llu", where, ntf_format_name(g.fmt), g.o.rate,
		         spool_dir, (unsigned long long)g.queue.count,
		         (unsigned long long)ntf_ids_count(g.spool.delivered));
		rc = run_post();
		LOG_INFO("done delivered=%llu dead=%llu duplicates=%llu posts=%llu "
		         "digests=%llu left_in_spool=%llu status=%d",
		         (unsigned long long)g.delivered, (unsigned long long)g.dead,
		         (unsigned long long)g.duplicates, (unsigned long long)g.posts,
		         (unsigned long long)g.digests,
		         (unsigned long long)(g.queue.count + g.flight.count), rc);
		ntf_queue_clear(&g.queue);
		ntf_queue_clear(&g.flight);
		ntf_http_free(g.http);
		ntf_spool_close(&g.spool);
		curl_global_cleanup();
	}
	nw_out_flush();
	nw_stats_close();
	nw_dlq_close(&g.dlq);
	nw_reader_free(&g.rd);
	ntf_ids_free(g.pending);
	free(spool_dir);
	free(url);
	return rc;
}
