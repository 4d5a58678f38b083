/*
 * opts.c - throttle's command line: the flag table (what throttle accepts
 * and what --help lists, both built from it by lib's toolkit, cli.h), the
 * defaults, REDIS_URL, and the checks of each value.  Anything bad exits 2
 * with one line.
 *
 * Ownership: struct thr_opts points into argv (a --redis-url value is
 * scrubbed there once parsed); the parsed URL, password included, is in
 * o->url until the caller wipes it.
 */
#include "pipe.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Every flag is long only (-h and -V come with the toolkit). */
enum {
	O_URL = 256, O_TTL, O_TMPL, O_MODE, O_QMAX, O_LMAX, O_TIMEOUT, O_SUPP,
	O_DLQ, O_STATS, O_MAXLINE
};

static const struct nw_flag flags[] = {
	{ "redis-url", O_URL, "URL", "default $REDIS_URL, else redis://127.0.0.1:6379;\n"
	  "redis://[[user]:password@]host[:port][/db] or\n"
	  "unix://[[user]:password@]/path/redis.sock[?db=N]\n"
	  "(prefer REDIS_URL for a password: argv is public)" },
	{ "ttl", O_TTL, "DUR", "how long a key suppresses repeats (default 900 = 15m)" },
	{ "key-template", O_TMPL, "T", "Redis key (default alert:throttle:{key}); also\n"
	  "{key_field} and {rule}; {{ and }} are braces" },
	{ "on-redis-down", O_MODE, "MODE", "open (default): pass, deduplicated in memory;\n"
	  "closed: hold alerts until Redis is back" },
	{ "queue-max", O_QMAX, "N", "alerts held in closed mode before input pauses\n"
	  "(default 10000)" },
	{ "local-max", O_LMAX, "N", "keys in the in-memory table (default 100000)" },
	{ "timeout", O_TIMEOUT, "DUR", "Redis connect and command timeout (default 1s)" },
	{ "suppressed", O_SUPP, "FILE", "append suppressed alert lines to FILE" },
	{ "dead-letter", O_DLQ, "FILE", "append rejected input as {\"reason\",\"line\"}" },
	{ "stats", O_STATS, "FILE", "one-line JSON counters, rewritten every second" },
	{ "max-line", O_MAXLINE, "BYTES", "longest input line (default 1M; 64k, 2M, ...)" },
	{ NULL, 0, NULL, NULL },
};

static const struct nw_cli cli = {
	.head =
"usage: throttle [--redis-url URL] [--ttl DUR] [--key-template T]\n"
"                [--on-redis-down open|closed] [--queue-max N] [--local-max N]\n"
"                [--timeout DUR] [--suppressed FILE] [--dead-letter FILE]\n"
"                [--stats FILE] [--max-line BYTES] [--help] [--version]\n"
"\n"
"Pass each alert (NDJSON on stdin) once per Redis key per TTL; repeats are\n"
"suppressed.  Control lines pass in order; other input is dead-lettered.\n"
"\n",
	.flags = flags,
};

/* A duration flag from 1 ms to max_ms, or exit 2. */
static int64_t dur_flag(const char *flag, const char *arg, int64_t max_ms,
                        const char *max_text)
{
	int64_t ms = nw_flag_duration_ms(flag, arg, 1);

	if (ms > max_ms)
		nw_usage_error("%s: at most %s, not \"%s\"", flag, max_text, arg);
	return ms;
}

/* One flag's value into o; a --redis-url is parsed at once and scrubbed
 * from argv. */
static void opts_flag(struct thr_opts *o, int c, bool *url_in_argv)
{
	char err[200];

	switch (c) {
	case O_URL:
		if (nw_redis_url_parse(optarg, &o->url, err, sizeof err) < 0)
			nw_usage_error("--redis-url: %s", err);
		*url_in_argv = true;
		nw_redis_url_scrub_arg(optarg);
		break;
	case O_TTL:
		o->ttl_ms = dur_flag("--ttl", optarg, 366LL * 86400000, "366d");
		break;
	case O_TMPL: o->tmpl = optarg; break;
	case O_MODE: {
		static const char *const modes[] = { "open", "closed" };
		o->closed = nw_flag_choice("--on-redis-down", optarg, modes, 2) == 1;
		break;
	}
	case O_QMAX:
		o->queue_max = nw_flag_count("--queue-max", optarg, 1, 10000000);
		break;
	case O_LMAX:
		o->local_max = nw_flag_count("--local-max", optarg, 1, 100000000);
		break;
	case O_TIMEOUT:
		o->timeout_ms = (int)dur_flag("--timeout", optarg, 600000, "10m");
		break;
	case O_SUPP: o->suppressed = optarg; break;
	case O_DLQ: o->dead_letter = optarg; break;
	case O_STATS: o->stats = optarg; break;
	case O_MAXLINE:
		o->max_line = nw_flag_size("--max-line", optarg, 64, 1u << 30);
		break;
	}
}

void thr_opts_parse(int argc, char **argv, struct thr_opts *o)
{
	const char *url = getenv("REDIS_URL");
	bool url_in_argv = false;
	char err[200];
	int c;

	*o = (struct thr_opts){
		.ttl_ms = 900 * 1000, .tmpl = "alert:throttle:{key}",
		.queue_max = 10000, .local_max = 100000, .timeout_ms = 1000,
		.max_line = NW_MAX_LINE_DEFAULT,
	};
	if (url == NULL || *url == '\0')
		url = "redis://127.0.0.1:6379";
	while ((c = nw_getopt(argc, argv, &cli)) != -1)
		opts_flag(o, c, &url_in_argv);
	nw_cli_no_args(argc, argv);
	if (!url_in_argv && nw_redis_url_parse(url, &o->url, err, sizeof err) < 0)
		nw_usage_error("bad REDIS_URL: %s", err);
	if (thr_pipe_check_tmpl(o->tmpl, err, sizeof err) < 0)
		nw_usage_error("--key-template: %s", err);
	if (url_in_argv && o->url.has_password)
		LOG_WARN("a password in --redis-url is visible to other users "
		         "while the process starts; prefer REDIS_URL");
}
