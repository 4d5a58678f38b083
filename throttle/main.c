/*
 * throttle - the Redis dedup gate: an alert passes once per key per TTL.
 *
 *   throttle [--redis-url URL] [--ttl DUR] [--key-template T]
 *            [--on-redis-down open|closed] [--queue-max N] [--local-max N]
 *            [--timeout DUR] [--suppressed FILE] [--dead-letter FILE]
 *            [--stats FILE] [--max-line BYTES] [--help] [--version]
 *
 * Each alert claims its key with SET key alert_id NX GET PX ttl.  Claimed, or
 * held by the same alert_id (a replay): the line passes unchanged.  Held by
 * another id: suppressed.  Lines waiting in the input are claimed in one
 * pipelined round trip; output keeps input order.  While Redis is away,
 * "open" passes alerts through a local TTL table, "closed" holds them.
 *
 * This file is the program: flags, set-up, the read loop, tear-down.  The
 * queue, the claims and the outage handling are pipe.c's; Redis itself is
 * gate.c's; reading lines and telling control lines apart is lib's stage
 * skeleton (stage.h).  main owns the configuration, the stage and its
 * reader, the side outputs, the gate and the pipe, all static, for the
 * whole run.
 */
#include "thr.h"
#include "pipe.h"
#include "cli.h"
#include "stage.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define STATS_TICK_MS 1000

static const char usage_text[] =
"usage: throttle [--redis-url URL] [--ttl DUR] [--key-template T]\n"
"                [--on-redis-down open|closed] [--queue-max N] [--local-max N]\n"
"                [--timeout DUR] [--suppressed FILE] [--dead-letter FILE]\n"
"                [--stats FILE] [--max-line BYTES] [--help] [--version]\n"
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
"  --max-line BYTES        longest input line (default 1M; 64k, 2M, ...)\n"
"  -h, --help              this text;  -V, --version\n";

static struct {
	struct thr_url url;
	int64_t ttl_ms;
	const char *tmpl;
	bool closed;
	uint64_t queue_max, local_max, max_line;
	int timeout_ms;
	const char *suppressed, *dead_letter, *stats;
} cfg;

static struct {
	struct nw_stage st;
	bool may_block;                  /* the next read may wait */
	struct nw_sink *suppressed;
	struct nw_dlq dlq;
	struct thr_gate gate;
	struct thr_pipe pipe;
} g;

/* ---- flags ----------------------------------------------------------------- */

/* Every flag is long only (-h and -V come with the toolkit). */
enum {
	O_URL = 256, O_TTL, O_TMPL, O_MODE, O_QMAX, O_LMAX, O_TIMEOUT, O_SUPP,
	O_DLQ, O_STATS, O_MAXLINE
};
static const struct option longopts[] = {
	{ "redis-url", required_argument, NULL, O_URL },
	{ "ttl", required_argument, NULL, O_TTL },
	{ "key-template", required_argument, NULL, O_TMPL },
	{ "on-redis-down", required_argument, NULL, O_MODE },
	{ "queue-max", required_argument, NULL, O_QMAX },
	{ "local-max", required_argument, NULL, O_LMAX },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "suppressed", required_argument, NULL, O_SUPP },
	{ "dead-letter", required_argument, NULL, O_DLQ },
	{ "stats", required_argument, NULL, O_STATS },
	{ "max-line", required_argument, NULL, O_MAXLINE },
	NW_CLI_STD_OPTS,
	{ NULL, 0, NULL, 0 },
};
static const struct nw_cli cli = { "", longopts, usage_text, NULL };

/* A duration flag from 1 ms to max_ms, or exit 2. */
static int64_t dur_flag(const char *flag, const char *arg, int64_t max_ms,
                        const char *max_text)
{
	int64_t ms = nw_flag_duration_ms(flag, arg, 1);

	if (ms > max_ms)
		nw_usage_error("%s: at most %s, not \"%s\"", flag, max_text, arg);
	return ms;
}

static void parse_flags(int argc, char **argv)
{
	const char *url = getenv("REDIS_URL");
	bool url_in_argv = false;
	char err[200];
	int c;

	cfg.ttl_ms = 900 * 1000;
	cfg.tmpl = "alert:throttle:{key}";
	cfg.queue_max = 10000;
	cfg.local_max = 100000;
	cfg.timeout_ms = 1000;
	cfg.max_line = NW_MAX_LINE_DEFAULT;
	if (url == NULL || *url == '\0')
		url = "redis://127.0.0.1:6379";
	while ((c = nw_getopt(argc, argv, &cli)) != -1) {
		switch (c) {
		case O_URL:
			if (thr_url_parse(optarg, &cfg.url, err, sizeof err) < 0)
				nw_usage_error("--redis-url: %s", err);
			url = NULL;
			url_in_argv = true;
			thr_url_scrub_arg(optarg);
			break;
		case O_TTL:
			cfg.ttl_ms = dur_flag("--ttl", optarg, 366LL * 86400000, "366d");
			break;
		case O_TMPL: cfg.tmpl = optarg; break;
		case O_MODE:
			if (strcmp(optarg, "open") != 0 && strcmp(optarg, "closed") != 0)
				nw_usage_error("--on-redis-down: want open or closed, not "
				               "\"%s\"", optarg);
			cfg.closed = strcmp(optarg, "closed") == 0;
			break;
		case O_QMAX:
			cfg.queue_max = nw_flag_count("--queue-max", optarg, 1, 10000000);
			break;
		case O_LMAX:
			cfg.local_max = nw_flag_count("--local-max", optarg, 1, 100000000);
			break;
		case O_TIMEOUT:
			cfg.timeout_ms = (int)dur_flag("--timeout", optarg, 600000, "10m");
			break;
		case O_SUPP: cfg.suppressed = optarg; break;
		case O_DLQ: cfg.dead_letter = optarg; break;
		case O_STATS: cfg.stats = optarg; break;
		case O_MAXLINE:
			cfg.max_line = nw_flag_size("--max-line", optarg, 64, 1u << 30);
			break;
		}
	}
	nw_cli_no_args(argc, argv);
	if (url && thr_url_parse(url, &cfg.url, err, sizeof err) < 0)
		nw_usage_error("bad REDIS_URL: %s", err);
	if (thr_pipe_check_tmpl(cfg.tmpl, err, sizeof err) < 0)
		nw_usage_error("--key-template: %s", err);
	if (url_in_argv && cfg.url.has_password)
		LOG_WARN("a password in --redis-url is visible to other users "
		         "while the process starts; prefer REDIS_URL");
}

/* ---- outputs: stdout, --suppressed, the stats file ------------------------ */

/* stdout is flushed before a read that may wait, not before every read. */
static void before_block(void)
{
	if (g.may_block)
		nw_out_flush();
}

/* A verdict leaves the pipe: the line to stdout, or to --suppressed. */
static void release(void *arg, const struct thr_item *it)
{
	if (it->state == THR_PASS)
		nw_out_line(it->line, it->line_len);
	else if (g.suppressed)
		nw_sink_line(g.suppressed, it->line, it->line_len);
}

static void stats_mode(struct nw_buf *out, void *arg)
{
	nw_buf_adds(out, cfg.closed ? "\"closed\"" : "\"open\"");
}

/* ---- set-up and tear-down ------------------------------------------------ */

static void setup(void)
{
	const struct thr_pipe_cfg pc = {
		.tmpl = cfg.tmpl, .ttl_ms = cfg.ttl_ms, .closed = cfg.closed,
		.queue_max = cfg.queue_max, .local_max = cfg.local_max,
		.now = nw_mono_ms, .release = release, .dlq = &g.dlq,
	};

	if (cfg.suppressed && (g.suppressed = nw_sink_open(cfg.suppressed)) == NULL)
		nw_usage_error("--suppressed: cannot open %s: %s", cfg.suppressed,
		               strerror(errno));
	if (nw_dlq_open(&g.dlq, cfg.dead_letter) < 0)
		nw_usage_error("--dead-letter: cannot open %s: %s", cfg.dead_letter,
		               strerror(errno));
	thr_gate_init(&g.gate, &cfg.url, cfg.ttl_ms, cfg.timeout_ms);
	thr_url_wipe(&cfg.url);            /* the gate keeps the only copy */
	if (thr_pipe_init(&g.pipe, &pc,
	                  (struct thr_link){ &thr_gate_ops, &g.gate }) < 0)
		nw_usage_error("--local-max: out of range");
	g.st = (struct nw_stage){
		.max_line = cfg.max_line, .dlq = &g.dlq, .arg = &g.pipe,
		.on_line = thr_pipe_line, .on_ctl = thr_pipe_ctl,
		.on_too_long = thr_pipe_too_long, .before_block = before_block,
	};
	nw_stage_init(&g.st);
	nw_out_init();
	nw_sig_init();
	nw_stats_init(cfg.stats, STATS_TICK_MS);
	nw_stats_fn("mode", stats_mode, NULL);
	thr_pipe_stats(&g.pipe);
}

/* Lines still held (closed mode, stopped by a signal) are dead-lettered by
 * the pipe; that is a failure, as is a read error. */
static int teardown(void)
{
	int rc = thr_pipe_finish(&g.pipe) > 0 ? NW_EXIT_FAIL : NW_EXIT_OK;

	if (nw_stage_finish(&g.st) != NW_EXIT_OK)
		rc = NW_EXIT_FAIL;
	nw_stats_close();
	thr_pipe_free(&g.pipe);
	thr_gate_close(&g.gate);
	thr_url_wipe(&g.gate.url);
	nw_sink_close(g.suppressed);
	nw_dlq_close(&g.dlq);
	return rc;
}

/* ---- the loop ---------------------------------------------------------------- */

/* Read what the input holds now into the pipe, one batch at most, waiting
 * only for the first line and only when the pipe has nothing to do.
 * Returns true when the batch was cut short (more input is waiting). */
static bool fill(void)
{
	int timeout = thr_pipe_wait_ms(&g.pipe, STATS_TICK_MS);

	for (size_t budget = THR_BATCH_MAX; !thr_pipe_full(&g.pipe); budget--) {
		uint64_t seen = g.pipe.taken;
		if (budget == 0)
			return true;
		g.may_block = timeout != 0;
		if (!nw_stage_step(&g.st, timeout) || g.pipe.taken == seen)
			return false;
		timeout = 0;
	}
	return false;
}

int main(int argc, char **argv)
{
	nw_log_init("throttle");
	parse_flags(argc, argv);
	setup();
	if (thr_pipe_start(&g.pipe) < 0)
		exit(NW_EXIT_FAIL);
	while (!nw_sig_stop && g.st.rc == NW_EXIT_OK) {
		bool busy = !g.st.done && !thr_pipe_full(&g.pipe) && fill();
		thr_pipe_step(&g.pipe, busy);
		nw_stats_tick();
		if (thr_pipe_queued(&g.pipe) == 0 && g.st.done)
			break;
		/* held with nothing to read: wait for the next try of Redis */
		if (thr_pipe_holding(&g.pipe) &&
		    (thr_pipe_full(&g.pipe) || g.st.done)) {
			nw_out_flush();
			poll(NULL, 0, thr_pipe_wait_ms(&g.pipe, STATS_TICK_MS));
		}
	}
	if (nw_sig_stop)               /* finish what was read, if we can */
		thr_pipe_step(&g.pipe, false);
	return teardown();
}
