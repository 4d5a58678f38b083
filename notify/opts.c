/*
 * opts.c - notify's command line: the flag table (the flags and their
 * defaults, as the README's notify section lists them; lib's toolkit,
 * cli.h, builds both what notify accepts and --help from it), flag
 * parsing, and
 * the two settings that come from outside argv: the webhook URL (never on
 * the command line, where ps shows it) and the default spool directory.
 *
 * Ownership: struct ntf_opts points into argv; ntf_webhook_url and
 * ntf_spool_dir return malloc'd strings the caller frees.
 */
#include "ntf.h"
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE_CAP ((uint64_t)1 << 32)   /* --max-line: 4 GiB at most */

enum { O_FORMAT = 256, O_STDOUT, O_URLFILE, O_SPOOL, O_TIMEOUT, O_CONNECT,
       O_RATE, O_DRAIN, O_RMIN, O_RMAX, O_REMEMBER, O_MAXQ, O_DIGEST,
       O_DLQ, O_BARRIER, O_STATS, O_MAXLINE, O_CKPT, O_GENURL, O_RESEND };

static const struct nw_flag flags[] = {
	{ "format", O_FORMAT, "F", "payload format; auto picks by the webhook's URL\n"
	  "(hooks.slack.com: slack, discord.com: discord,\n"
	  "a path ending /api/v2/alerts: alertmanager,\n"
	  "else generic); text: one readable line per alert\n"
	  "on stdout (implies --stdout)  [auto]" },
	{ "stdout", O_STDOUT, NULL, "print each alert on stdout, post nothing: readable\n"
	  "lines on a terminal, else the payloads" },
	{ "url-file", O_URLFILE, "FILE", "read the webhook URL from FILE (never from argv)" },
	{ "spool", O_SPOOL, "DIR", "durable spool  [$XDG_STATE_HOME/netwatch/notify]" },
	{ "timeout", O_TIMEOUT, "DUR", "total time of one attempt  [10s]" },
	{ "connect-timeout", O_CONNECT, "DUR", "connect time of one attempt  [5s]" },
	{ "rate", O_RATE, "N/s", "posts per second (N/m, N/h also)  [1/s]" },
	{ "drain-timeout", O_DRAIN, "DUR", "at end of input, time to finish delivery  [30s]" },
	{ "retry-min", O_RMIN, "DUR", "first backoff after a failure  [1s]" },
	{ "retry-max", O_RMAX, "DUR", "longest backoff  [60s]" },
	{ "remember", O_REMEMBER, "DUR", "how long delivered ids stay remembered  [1h]" },
	{ "max-queue", O_MAXQ, "N", "alerts held before reading pauses  [100000]" },
	{ "digest-max", O_DIGEST, "N", "alerts in one digest post  [10000]" },
	{ "dead-letter", O_DLQ, "FILE", "rejected input and undeliverable alerts" },
	{ "barrier-file", O_BARRIER, "FILE", "newest barrier id whose alerts are all spooled" },
	{ "checkpoint-dir", O_CKPT, "DIR", "mark barriers complete there (default: env\n"
	  "NW_CHECKPOINT_DIR); see docs/recovery.md" },
	{ "stats", O_STATS, "FILE", "one-line JSON counters, replaced every second" },
	{ "max-line", O_MAXLINE, "SIZE", "longest input line (64k, 1M: k = 1024)  [1M]" },
	{ "generator-url", O_GENURL, "URL", "alertmanager: each alert's generatorURL, with\n"
	  "{rule}, {key}, {key_field}, {alert_id} replaced\n"
	  "(URL-encoded)" },
	{ "resend", O_RESEND, "DUR", "alertmanager: post the open incidents (from\n"
	  "detect's incidents mode) again every DUR, as\n"
	  "Alertmanager asks of its clients  [off]" },
	{ NULL, 0, NULL, NULL },
};

static const struct nw_cli cli = {
	.head =
"usage: notify [--format auto|slack|discord|generic|alertmanager|text]\n"
"              [--stdout] [--url-file FILE] [--spool DIR] [--timeout DUR]\n"
"              [--connect-timeout DUR] [--rate N/s] [--drain-timeout DUR]\n"
"              [--retry-min DUR] [--retry-max DUR] [--remember DUR]\n"
"              [--max-queue N] [--digest-max N] [--dead-letter FILE]\n"
"              [--barrier-file FILE] [--checkpoint-dir DIR] [--stats FILE]\n"
"              [--max-line SIZE]\n"
"\n"
"Reads alerts (NDJSON) on stdin and posts each to the webhook in WEBHOOK_URL\n"
"(or the first line of --url-file FILE); writes one delivery record per\n"
"alert on stdout.  Control lines are consumed.\n"
"\n",
	.flags = flags,
	.tail =
"\n"
"Exit: 0 done or SIGTERM, 1 failure, 2 usage, 3 EPIPE, 4 end of input but\n"
"alerts left in the spool after --drain-timeout.\n",
};

/* "5/s", "30/m", "2" (per second) → posts per second. */
int ntf_parse_rate(const char *s, double *out)
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

void ntf_opts_parse(int argc, char **argv, struct ntf_opts *o)
{
	int c;

	*o = (struct ntf_opts){
		.format = NTF_FMT_AUTO, .timeout_ms = 10000, .connect_ms = 5000,
		.drain_ms = 30000, .retry_min_ms = 1000, .retry_max_ms = 60000,
		.remember_ms = 3600 * 1000, .rate = 1, .max_queue = 100000,
		.digest_max = 10000, .max_line = NW_MAX_LINE_DEFAULT,
	};
	while ((c = nw_getopt(argc, argv, &cli)) != -1) {
		switch (c) {
		case O_FORMAT:
			if (strcmp(optarg, "text") == 0)
				o->text = o->to_stdout = true;
			else if (ntf_format_parse(optarg, &o->format) != 0)
				nw_usage_error("--format: want auto, slack, discord, "
				               "generic, alertmanager or text, not \"%s\"",
				               optarg);
			break;
		case O_STDOUT: o->to_stdout = true; break;
		case O_URLFILE: o->url_file = optarg; break;
		case O_SPOOL: o->spool_dir = optarg; break;
		case O_TIMEOUT: o->timeout_ms = nw_flag_duration_ms("--timeout", optarg, 1); break;
		case O_CONNECT: o->connect_ms = nw_flag_duration_ms("--connect-timeout", optarg, 1); break;
		case O_DRAIN: o->drain_ms = nw_flag_duration_ms("--drain-timeout", optarg, 0); break;
		case O_RMIN: o->retry_min_ms = nw_flag_duration_ms("--retry-min", optarg, 1); break;
		case O_RMAX: o->retry_max_ms = nw_flag_duration_ms("--retry-max", optarg, 1); break;
		case O_REMEMBER: o->remember_ms = nw_flag_duration_ms("--remember", optarg, 1); break;
		case O_RATE:
			if (ntf_parse_rate(optarg, &o->rate) != 0)
				nw_usage_error("--rate: bad rate \"%s\" (e.g. 1/s, 30/m)", optarg);
			break;
		case O_MAXQ: o->max_queue = nw_flag_count("--max-queue", optarg, 1, UINT64_MAX); break;
		case O_DIGEST: o->digest_max = nw_flag_count("--digest-max", optarg, 1, UINT64_MAX); break;
		case O_MAXLINE: o->max_line = nw_flag_size("--max-line", optarg, 1, MAX_LINE_CAP); break;
		case O_DLQ: o->dead_letter = optarg; break;
		case O_BARRIER: o->barrier_file = optarg; break;
		case O_CKPT: o->ckpt_dir = optarg; break;
		case O_STATS: o->stats = optarg; break;
		case O_RESEND: o->resend_ms = nw_flag_duration_ms("--resend", optarg, 100); break;
		case O_GENURL:
			if (strncmp(optarg, "http://", 7) != 0 &&
			    strncmp(optarg, "https://", 8) != 0)
				nw_usage_error("--generator-url: want an http(s) URL, "
				               "not \"%s\"", optarg);
			o->generator_url = optarg;
			break;
		}
	}
	nw_cli_no_args(argc, argv);
	if (o->retry_max_ms < o->retry_min_ms)
		nw_usage_error("--retry-max is shorter than --retry-min");
}

/* The webhook URL: --url-file's first line, else WEBHOOK_URL.  Returns a
 * malloc'd string or NULL when neither is set. */
char *ntf_webhook_url(const char *file)
{
	char *line = NULL;
	size_t cap = 0;

	if (file == NULL) {
		const char *e = getenv("WEBHOOK_URL");
		return e && *e ? nw_xstrdup(e) : NULL;
	}
	FILE *fp = fopen(file, "r");
	if (fp == NULL)
		nw_usage_error("--url-file %s: %s", file,
		               strerror(errno));
	ssize_t n = getline(&line, &cap, fp);
	fclose(fp);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
	                 line[n - 1] == ' '))
		line[--n] = '\0';
	if (n <= 0) {
		free(line);
		nw_usage_error("--url-file %s holds no URL", file);
	}
	return line;
}

/* The flag, else $XDG_STATE_HOME/netwatch/notify, else
 * ~/.local/state/netwatch/notify. */
char *ntf_spool_dir(const char *flag)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	struct nw_buf b = { 0 };

	if (flag != NULL)
		return nw_xstrdup(flag);
	if (x && *x == '/')
		nw_buf_printf(&b, "%s/netwatch/notify", x);
	else if (home && *home)
		nw_buf_printf(&b, "%s/.local/state/netwatch/notify", home);
	else
		nw_usage_error("no HOME or XDG_STATE_HOME: give --spool DIR");
	return b.p;
}
