/*
 * throttle - the Redis dedup gate: an alert passes once per key per TTL.
 *
 *   throttle [--redis-url URL] [--ttl 900] [--key-template T]
 *            [--on-redis-down open|closed] [--queue-max N] [--local-max N]
 *            [--timeout 1s] [--suppressed FILE] [--dead-letter FILE]
 *            [--stats FILE]
 *
 * Each alert claims its key with SET key alert_id NX GET PX ttl.  Claimed, or
 * held by the same alert_id (a replay): the line passes unchanged.  Held by
 * another id: suppressed.  Lines waiting in the input are claimed in one
 * pipelined round trip; output keeps input order.  While Redis is away,
 * "open" passes alerts through a local TTL table, "closed" holds them.
 */
#include "thr.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH_MAX        1024               /* claims per round trip */
#define QUEUE_BYTES_MAX  (64u * 1024 * 1024)
#define ERR_LOG_EVERY    1000

static const char usage_text[] =
"usage: throttle [--redis-url URL] [--ttl DUR] [--key-template T]\n"
"                [--on-redis-down open|closed] [--queue-max N] [--local-max N]\n"
"                [--timeout DUR] [--suppressed FILE] [--dead-letter FILE]\n"
"                [--stats FILE] [--max-line BYTES]\n"
"\n"
"Pass each alert (NDJSON on stdin) once per Redis key per TTL; repeats are\n"
"suppressed.  Control lines pass in order; other input is dead-lettered.\n"
"\n"
"  --redis-url URL         default $REDIS_URL, else redis://127.0.0.1:6379;\n"
"                          redis://[[user]:password@]host[:port][/db] or\n"
"                          unix://[[user]:password@]/path/redis.sock[?db=N]\n"
"                          (prefer REDIS_URL for a password: argv is public)\n"
"  --ttl DUR               how long a key suppresses repeats (default 900 = 15m)\n"
"  --key-template T        Redis key (default alert:throttle:{key}); also\n"
"                          {key_field} and {rule}; {{ and }} are braces\n"
"  --on-redis-down MODE    open (default): pass, deduplicated in memory;\n"
"                          closed: hold alerts until Redis is back\n"
"  --queue-max N           alerts held in closed mode before input pauses\n"
"                          (default 10000)\n"
"  --local-max N           keys in the in-memory table (default 100000)\n"
"  --timeout DUR           Redis connect and command timeout (default 1s)\n"
"  --suppressed FILE       append suppressed alert lines to FILE\n"
"  --dead-letter FILE      append rejected input as {\"reason\",\"line\"}\n"
"  --stats FILE            one-line JSON counters, rewritten every second\n"
"  --max-line BYTES        longest input line (default 1 MiB)\n"
"  --help, --version\n";

struct cfg {
	struct thr_url url;
	int64_t ttl_ms;
	const char *tmpl;
	bool closed;
	uint64_t queue_max, local_max, max_line;
	int timeout_ms;
	const char *suppressed, *dead_letter, *stats;
};

/* Counters, all in the stats file. */
static struct {
	uint64_t lines, alerts, passed, replayed, suppressed;
	uint64_t local_passed, local_suppressed, control, dead_letter, blank;
	uint64_t redis_errors, outages, synced, queued, redis_up, local_keys;
	uint64_t local_evicted, round_trips;
} ctr;

/* The queue of lines waiting for a verdict, oldest first. */
static struct {
	struct thr_item *v;
	size_t cap, head, n, bytes;
	size_t waiting;                  /* alerts not yet decided */
} q;

static struct cfg cfg;
static struct thr_gate gate;
static struct thr_local *local;
static struct nw_sink *suppressed_out;
static struct nw_dlq dlq;
static struct nw_reader rd;
static bool outage, refused_logged, full_logged;
static int64_t outage_start;

static void usage(void)
{
	fputs(usage_text, stdout);
	exit(NW_EXIT_OK);
}

/* Overwrite a password given in argv so ps shows it no more. */
static void scrub_arg(char *arg)
{
	char *at = strrchr(arg, '@'), *p = strstr(arg, "://");

	if (at == NULL || p == NULL || at < p)
		return;
	for (p += 3; p < at; p++)
		*p = '*';
}

static void parse_flags(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "redis-url", required_argument, NULL, 'u' },
		{ "ttl", required_argument, NULL, 't' },
		{ "key-template", required_argument, NULL, 'k' },
		{ "on-redis-down", required_argument, NULL, 'm' },
		{ "queue-max", required_argument, NULL, 'q' },
		{ "local-max", required_argument, NULL, 'L' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "suppressed", required_argument, NULL, 's' },
		{ "dead-letter", required_argument, NULL, 'd' },
		{ "stats", required_argument, NULL, 'S' },
		{ "max-line", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = getenv("REDIS_URL");
	bool url_in_argv = false;
	char err[200];
	int64_t ms;
	int c;

	cfg.ttl_ms = 900 * 1000;
	cfg.tmpl = "alert:throttle:{key}";
	cfg.queue_max = 10000;
	cfg.local_max = 100000;
	cfg.timeout_ms = 1000;
	cfg.max_line = NW_MAX_LINE_DEFAULT;
	if (url == NULL || *url == '\0')
		url = "redis://127.0.0.1:6379";
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			if (thr_url_parse(optarg, &cfg.url, err, sizeof err) < 0)
				nw_usage_error("bad --redis-url: %s", err);
			url = NULL;
			url_in_argv = true;
			scrub_arg(optarg);
			break;
		case 't':
			if (nw_parse_duration_ms(optarg, &cfg.ttl_ms) < 0 ||
			    cfg.ttl_ms < 1 || cfg.ttl_ms > 366LL * 86400 * 1000)
				nw_usage_error("bad --ttl '%s' (want a duration such as "
				               "900, 15m, 1s; at least 1ms)", optarg);
			break;
		case 'k': cfg.tmpl = optarg; break;
		case 'm':
			if (strcmp(optarg, "open") == 0)
				cfg.closed = false;
			else if (strcmp(optarg, "closed") == 0)
				cfg.closed = true;
			else
				nw_usage_error("bad --on-redis-down '%s' (want open or "
				               "closed)", optarg);
			break;
		case 'q':
			if (nw_parse_u64(optarg, &cfg.queue_max) < 0 ||
			    cfg.queue_max < 1 || cfg.queue_max > 10000000)
				nw_usage_error("bad --queue-max '%s' (want 1-10000000)",
				               optarg);
			break;
		case 'L':
			if (nw_parse_u64(optarg, &cfg.local_max) < 0 ||
			    cfg.local_max < 1 || cfg.local_max > 100000000)
				nw_usage_error("bad --local-max '%s' (want 1-100000000)",
				               optarg);
			break;
		case 'T':
			if (nw_parse_duration_ms(optarg, &ms) < 0 || ms < 1 ||
			    ms > 600000)
				nw_usage_error("bad --timeout '%s' (want 1ms-10m)", optarg);
			cfg.timeout_ms = (int)ms;
			break;
		case 's': cfg.suppressed = optarg; break;
		case 'd': cfg.dead_letter = optarg; break;
		case 'S': cfg.stats = optarg; break;
		case 'l':
			if (nw_parse_u64(optarg, &cfg.max_line) < 0 ||
			    cfg.max_line < 64 || cfg.max_line > (1u << 30))
				nw_usage_error("bad --max-line '%s' (want 64-1073741824)",
				               optarg);
			break;
		case 'h': usage(); break;
		case 'V': nw_print_version(); exit(NW_EXIT_OK);
		default:
			nw_usage_error("unknown or incomplete flag (see throttle --help)");
		}
	}
	if (optind < argc)
		nw_usage_error("unexpected argument '%s' (see throttle --help)",
		               argv[optind]);
	if (url && thr_url_parse(url, &cfg.url, err, sizeof err) < 0)
		nw_usage_error("bad REDIS_URL: %s", err);
	/* Render the template for two different alerts: an error is a bad
	 * template, and the same key for both means it names no field, so the
	 * first alert would suppress every other one. */
	struct thr_fields f1 = { "k", "f", "r", 1, 1, 1 };
	struct thr_fields f2 = { "K", "F", "R", 1, 1, 1 };
	struct nw_buf b1 = { 0 }, b2 = { 0 };
	int rc = thr_tmpl_render(cfg.tmpl, &f1, &b1, err, sizeof err);
	if (rc == 0)
		thr_tmpl_render(cfg.tmpl, &f2, &b2, err, sizeof err);
	bool same = rc == 0 && b1.len == b2.len &&
	            (b1.len == 0 || memcmp(b1.p, b2.p, b1.len) == 0);
	nw_buf_free(&b1);
	nw_buf_free(&b2);
	if (rc < 0)
		nw_usage_error("bad --key-template: %s", err);
	if (same)
		nw_usage_error("bad --key-template: it names no field, so every "
		               "alert would share one key (use {key}, {key_field} "
		               "or {rule})");
	if (url_in_argv && cfg.url.has_password)
		LOG_WARN("a password in --redis-url is visible to other users "
		         "while the process starts; prefer REDIS_URL");
}

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

/* ---- the queue ---------------------------------------------------------- */

static struct thr_item *q_at(size_t i) { return &q.v[(q.head + i) % q.cap]; }

static bool q_full(void)
{
	return q.n == q.cap || q.bytes >= QUEUE_BYTES_MAX;
}

/* Verdict for one alert: output, log, count.  Called in input order. */
static void emit(struct thr_item *it)
{
	char k[200], r[100], id[100], h[100];

	if (it->kind == THR_CTL) {
		ctr.control++;
		nw_out_line(it->line, it->line_len);
		return;
	}
	if (it->state == THR_PASS) {
		ctr.passed++;
		nw_out_line(it->line, it->line_len);
		return;
	}
	ctr.suppressed++;
	if (it->local)
		ctr.local_suppressed++;
	LOG_INFO("alert suppressed key=%s rule=%s alert_id=%s held_by=%s%s",
	         safe(it->key, it->key_len, k, sizeof k),
	         safe(it->rule, it->rule_len, r, sizeof r),
	         safe(it->id, it->id_len, id, sizeof id),
	         safe(it->holder, strlen(it->holder), h, sizeof h),
	         it->local ? " by=local" : "");
	if (suppressed_out)
		nw_sink_line(suppressed_out, it->line, it->line_len);
}

/* Output the decided prefix of the queue. */
static void q_drain(void)
{
	while (q.n > 0) {
		struct thr_item *it = q_at(0);
		if (it->state == THR_WAIT || it->state == THR_SENT)
			break;
		emit(it);
		q.bytes -= it->line_len;
		thr_item_free(it);
		q.head = (q.head + 1) % q.cap;
		q.n--;
	}
	ctr.queued = q.n;
}

/* Read one line into the queue (or the dead-letter output). */
static void q_take(char *line, size_t n, enum nw_rd res)
{
	struct thr_item it;
	const char *reason;

	ctr.lines++;
	if (res == NW_RD_TOOLONG) {
		nw_dlq_put(&dlq, "line too long", line, n);
		ctr.dead_letter = dlq.count;
		return;
	}
	if (thr_item_init(&it, line, n, cfg.tmpl, &reason) < 0) {
		LOG_ERROR("out of memory");
		exit(NW_EXIT_FAIL);
	}
	switch (it.kind) {
	case THR_BLANK:
		ctr.blank++;
		return;
	case THR_BAD:
		nw_dlq_put(&dlq, reason, line, n);
		ctr.dead_letter = dlq.count;
		return;
	case THR_ALERT:
		ctr.alerts++;
		q.waiting++;
		break;
	case THR_CTL:
		break;
	}
	*q_at(q.n) = it;
	q.n++;
	q.bytes += it.line_len;
	ctr.queued = q.n;
}

/* ---- Redis ------------------------------------------------------------- */

static void outage_begin(int64_t now, const char *why)
{
	if (!outage) {
		outage = true;
		outage_start = now;
		ctr.outages++;
		LOG_WARN("redis unavailable at %s: %s; %s", gate.where, why,
		         cfg.closed ? "holding alerts until it is back" :
		         "alerts pass, deduplicated in memory");
		full_logged = false;
	}
	ctr.redis_up = 0;
}

static void gate_failed(int64_t now)
{
	outage_begin(now, gate.err);
	thr_gate_lost(&gate, now);
}

struct sync_ctx { size_t pending; bool failed; };

/* Read the replies of the sync commands sent so far. */
static int sync_wait(struct sync_ctx *s)
{
	enum thr_verdict v;

	for (; s->pending > 0; s->pending--)
		if (thr_gate_recv(&gate, NULL, 0, &v, NULL, 0) < 0)
			return s->failed = true, -1;
	return 0;
}

static int sync_one(void *arg, const char *key, size_t klen, const char *id,
                    size_t idlen, int64_t left_ms)
{
	struct sync_ctx *s = arg;

	thr_gate_send_sync(&gate, key, klen, id, idlen, left_ms);
	ctr.synced++;
	if (++s->pending == BATCH_MAX)
		return sync_wait(s);
	return 0;
}

/* Redis is back, maybe empty after a restart: write what the table knows
 * (SET NX, so nothing newer is overwritten). */
static int sync_local(int64_t now)
{
	struct sync_ctx s = { 0 };

	thr_local_each(local, now, sync_one, &s);
	if (!s.failed)
		sync_wait(&s);
	if (s.failed) {
		gate_failed(nw_mono_ms());
		return -1;
	}
	return 0;
}

/* Connect when down and the backoff allows it. */
static void redis_try(bool startup)
{
	int64_t now = nw_mono_ms();

	if (thr_gate_up(&gate) || now < gate.next_try_ms)
		return;
	switch (thr_gate_connect(&gate)) {
	case THR_UP: {
		uint64_t synced = ctr.synced;
		if (sync_local(now) < 0)
			return;
		if (outage)
			LOG_INFO("redis is back at %s after %lld ms; %llu keys "
			         "rewritten from memory", gate.where,
			         (long long)(nw_mono_ms() - outage_start),
			         (unsigned long long)(ctr.synced - synced));
		else
			LOG_INFO("connected to %s%s", gate.where,
			         gate.script ? " (server < 7.0: claims by script)" : "");
		outage = refused_logged = false;
		ctr.redis_up = 1;
		break;
	}
	case THR_REFUSED:
		if (startup) {
			LOG_ERROR("redis at %s: %s", gate.where, gate.err);
			exit(NW_EXIT_FAIL);
		}
		if (!refused_logged)
			LOG_ERROR("redis at %s: %s", gate.where, gate.err);
		refused_logged = true;
		gate_failed(now);
		break;
	case THR_DOWN:
		gate_failed(now);
		break;
	}
}

/* The in-memory table decides one alert. */
static void decide_one_local(struct thr_item *it, int64_t now)
{
	enum thr_lres r = thr_local_claim(local, it->key, it->key_len, it->id,
	                                  it->id_len, now, cfg.ttl_ms, it->holder);

	it->state = r == THR_L_OTHER ? THR_DROP : THR_PASS;
	it->local = true;
	if (r != THR_L_OTHER)
		ctr.local_passed++;
}

static void count_error(const struct thr_item *it)
{
	char k[200];

	if (ctr.redis_errors++ % ERR_LOG_EVERY == 0)
		LOG_WARN("redis error reply for key=%s, decided in memory: %s "
		         "(errors=%llu, logged one per %d)",
		         safe(it->key, it->key_len, k, sizeof k), gate.err,
		         (unsigned long long)ctr.redis_errors, ERR_LOG_EVERY);
}

/* Claims on the wire whose replies are not read yet, oldest first.  While
 * input keeps coming, one batch stays in flight so Redis works on it while
 * the next lines are read and parsed. */
#define FLY_MAX (2 * BATCH_MAX)
static struct {
	struct thr_item *v[FLY_MAX];
	size_t head, n;
} fly;

/* The connection failed: claims without a reply wait again.  If Redis did
 * run one, its retry finds our own id there, and the alert passes. */
static void claims_lost(int64_t now)
{
	for (; fly.n > 0; fly.n--, fly.head = (fly.head + 1) % FLY_MAX)
		fly.v[fly.head]->state = THR_WAIT;
	gate_failed(now);
}

/* Queue one claim per waiting alert (one batch at most) and send them.
 * Returns how many were sent. */
static size_t claims_send(void)
{
	size_t ns = 0;

	for (size_t i = 0; i < q.n && ns < BATCH_MAX && fly.n < FLY_MAX; i++) {
		struct thr_item *it = q_at(i);
		if (it->state != THR_WAIT)
			continue;
		thr_gate_send_claim(&gate, it->key, it->key_len, it->id, it->id_len);
		it->state = THR_SENT;
		fly.v[(fly.head + fly.n++) % FLY_MAX] = it;
		ns++;
	}
	if (ns == 0)
		return 0;
	ctr.round_trips++;
	if (thr_gate_flush(&gate) < 0) {
		claims_lost(nw_mono_ms());
		return 0;
	}
	return ns;
}

/* Read replies, oldest first, until at most keep claims are in flight. */
static void claims_recv(size_t keep)
{
	int64_t now = nw_mono_ms();

	while (fly.n > keep) {
		struct thr_item *it = fly.v[fly.head];
		enum thr_verdict v;
		if (thr_gate_recv(&gate, it->id, it->id_len, &v, it->holder,
		                  sizeof it->holder) < 0) {
			claims_lost(now);
			return;
		}
		fly.head = (fly.head + 1) % FLY_MAX;
		fly.n--;
		q.waiting--;
		switch (v) {
		case THR_V_CLAIMED:
			thr_local_note(local, it->key, it->key_len, it->id, it->id_len,
			               now, cfg.ttl_ms);
			it->state = THR_PASS;
			break;
		case THR_V_SAME:
			ctr.replayed++;
			it->state = THR_PASS;
			break;
		case THR_V_OTHER:
			it->state = THR_DROP;
			break;
		case THR_V_ERROR:      /* e.g. LOADING after a restart: no verdict */
			count_error(it);
			decide_one_local(it, now);
			break;
		}
	}
}

/* Redis is away and the mode is open: the local table decides. */
static void decide_local(void)
{
	int64_t now = nw_mono_ms();

	for (size_t i = 0; i < q.n; i++) {
		struct thr_item *it = q_at(i);
		if (it->state != THR_WAIT)
			continue;
		decide_one_local(it, now);
		q.waiting--;
	}
}

/* Decide whatever can be decided now; output in order.  busy: more input
 * is waiting, so the newest batch of claims may stay in flight. */
static void step(bool busy)
{
	if (thr_gate_up(&gate)) {
		size_t sent = claims_send();
		claims_recv(busy && thr_gate_up(&gate) ? sent : 0);
	}
	if (!thr_gate_up(&gate) && !cfg.closed && q.waiting > 0)
		decide_local();
	q_drain();
	ctr.local_keys = thr_local_size(local);
	ctr.local_evicted = thr_local_evicted(local);
}

/* ---- the loop -------------------------------------------------------------- */

/* How long the next read may block: not at all while there is work that
 * can be done; until the next reconnect attempt while Redis is away. */
static int read_timeout(void)
{
	int64_t t = 1000;           /* stats tick */

	if (!thr_gate_up(&gate)) {
		int64_t left = gate.next_try_ms - nw_mono_ms();
		if (left < t)
			t = left < 0 ? 0 : left;
	}
	return (int)t;
}

/* Fill the queue with what the input holds now, blocking only for the
 * first line, and only when nothing else can be done. */
enum fill_res { FILL_EOF, FILL_IDLE, FILL_BUSY };
static enum fill_res fill(void)
{
	size_t budget = BATCH_MAX;
	int timeout = q.n > 0 && !(cfg.closed && !thr_gate_up(&gate)) ? 0 :
	              read_timeout();

	while (!q_full()) {
		char *line;
		size_t n;
		if (budget == 0)
			return FILL_BUSY;
		if (timeout != 0)
			nw_out_flush();
		enum nw_rd res = nw_reader_next(&rd, &line, &n, timeout);
		switch (res) {
		case NW_RD_LINE:
		case NW_RD_TOOLONG:
			q_take(line, n, res);
			budget--;
			timeout = 0;
			break;
		case NW_RD_EOF:
			return FILL_EOF;
		case NW_RD_TIMEOUT:
		case NW_RD_INTR:
			return FILL_IDLE;
		case NW_RD_ERR:
			LOG_ERROR("cannot read stdin: %s", strerror(errno));
			exit(NW_EXIT_FAIL);
		}
	}
	return FILL_IDLE;
}

/* Closed mode, Redis away, nothing to read: wait for the next attempt. */
static void pause_until_retry(void)
{
	nw_out_flush();
	poll(NULL, 0, read_timeout());
}

static void stats_fn(struct nw_buf *out, void *arg)
{
	(void)arg;
	nw_buf_adds(out, cfg.closed ? "\"closed\"" : "\"open\"");
}

static void setup(void)
{
	q.cap = cfg.queue_max;
	q.v = nw_xcalloc(q.cap, sizeof *q.v);
	local = thr_local_new(cfg.local_max);
	if (q.v == NULL || local == NULL ||
	    nw_reader_init(&rd, STDIN_FILENO, cfg.max_line) < 0) {
		LOG_ERROR("out of memory");
		exit(NW_EXIT_FAIL);
	}
	if (cfg.suppressed && (suppressed_out = nw_sink_open(cfg.suppressed)) == NULL)
		nw_usage_error("cannot open --suppressed %s: %s", cfg.suppressed,
		               strerror(errno));
	if (nw_dlq_open(&dlq, cfg.dead_letter) < 0)
		nw_usage_error("cannot open --dead-letter %s: %s", cfg.dead_letter,
		               strerror(errno));
	nw_out_init();
	nw_sig_init();
	nw_stats_init(cfg.stats, 1000);
	nw_stats_fn("mode", stats_fn, NULL);
	static const struct { const char *name; uint64_t *p; } counters[] = {
		{ "lines", &ctr.lines }, { "alerts", &ctr.alerts },
		{ "passed", &ctr.passed }, { "replayed", &ctr.replayed },
		{ "suppressed", &ctr.suppressed },
		{ "local_passed", &ctr.local_passed },
		{ "local_suppressed", &ctr.local_suppressed },
		{ "control", &ctr.control }, { "dead_letter", &ctr.dead_letter },
		{ "blank", &ctr.blank }, { "redis_errors", &ctr.redis_errors },
		{ "outages", &ctr.outages }, { "synced", &ctr.synced },
		{ "queued", &ctr.queued }, { "redis_up", &ctr.redis_up },
		{ "local_keys", &ctr.local_keys },
		{ "local_evicted", &ctr.local_evicted },
		{ "round_trips", &ctr.round_trips },
	};
	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
		nw_stats_u64(counters[i].name, counters[i].p);
	thr_gate_init(&gate, &cfg.url, cfg.ttl_ms, cfg.timeout_ms);
	thr_url_wipe(&cfg.url);            /* the gate keeps the only copy */
}

/* Lines still held at a signal in closed mode cannot be decided: they go
 * to the dead-letter output, never silently away. */
static int teardown(void)
{
	int rc = NW_EXIT_OK;

	if (q.n > 0) {
		LOG_ERROR("stopping with %zu lines held while redis is unavailable; "
		          "written to the dead-letter output", q.n);
		for (size_t i = 0; i < q.n; i++) {
			struct thr_item *it = q_at(i);
			nw_dlq_put(&dlq, "held: redis unavailable at shutdown",
			           it->line, it->line_len);
			thr_item_free(it);
		}
		ctr.dead_letter = dlq.count;
		rc = NW_EXIT_FAIL;
	}
	nw_out_flush();
	nw_stats_close();
	LOG_INFO("done alerts=%llu passed=%llu suppressed=%llu replayed=%llu "
	         "local_passed=%llu dead_letter=%llu",
	         (unsigned long long)ctr.alerts, (unsigned long long)ctr.passed,
	         (unsigned long long)ctr.suppressed,
	         (unsigned long long)ctr.replayed,
	         (unsigned long long)ctr.local_passed,
	         (unsigned long long)ctr.dead_letter);
	thr_gate_close(&gate);
	thr_url_wipe(&gate.url);
	thr_local_free(local);
	nw_sink_close(suppressed_out);
	nw_dlq_close(&dlq);
	nw_reader_free(&rd);
	free(q.v);
	return rc;
}

int main(int argc, char **argv)
{
	bool more = true;

	nw_log_init("throttle");
	parse_flags(argc, argv);
	setup();
	redis_try(true);
	while (!nw_sig_stop) {
		bool busy = false;
		if (more && !q_full()) {
			enum fill_res r = fill();
			more = r != FILL_EOF;
			busy = r == FILL_BUSY;
		}
		redis_try(false);
		step(busy);
		nw_stats_tick();
		if (q.n == 0 && !more)
			break;
		if (q.waiting > 0 && cfg.closed && !thr_gate_up(&gate)) {
			if (q_full() && !full_logged) {
				LOG_ERROR("hold queue full (%zu lines); input paused until "
				          "redis at %s is back", q.n, gate.where);
				full_logged = true;
			}
			if (q_full() || !more)
				pause_until_retry();
		}
	}
	if (nw_sig_stop) {             /* finish what was read, if we can */
		redis_try(false);
		step(false);
	}
	return teardown();
}
