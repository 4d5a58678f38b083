/*
 * normalize - raw syslog lines -> JSON signals, one line out per line in.
 *
 * Reads RFC 5424 or RFC 3164 (BSD) syslog lines on stdin (auto tells them
 * apart by the header) and writes one JSON object per line: timestamp
 * (epoch ms), host, app, procid, msgid, facility and severity (names and
 * numbers), structured_data and message (emit.c), plus the named groups
 * of the first pattern that matches the message (patterns.c: --patterns
 * files, then the built-in ones).  A line whose header is malformed goes
 * to the dead letters with its reason; control lines pass in order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nw.h"
#include "cli.h"
#include "stage.h"
#include "nz.h"

enum { O_FORMAT = 256, O_YEAR, O_TZ, O_DLQ, O_STATS, O_MAXLINE, O_PATTERNS,
       O_NOBUILTIN, O_UNMATCHED, O_CHECK, O_PRINT };

static const struct nw_flag nz_flags[] = {
	{ "format", O_FORMAT, "F", "auto (by the header), rfc5424, rfc3164, or none (each\n"
	  "line is a message)  [auto]" },
	{ "patterns", O_PATTERNS, "FILE", "a pattern file (JSON, see README), tried before the\n"
	  "built-in patterns; may be repeated" },
	{ "no-builtin", O_NOBUILTIN, NULL, "without the built-in patterns (sshd, sudo, netfilter)" },
	{ "unmatched", O_UNMATCHED, "WHAT", "pass (header fields only) or dead-letter  [pass]" },
	{ "check", O_CHECK, NULL, "load the patterns, list them, exit 0 (2 on error)" },
	{ "print-builtin", O_PRINT, NULL, "print the built-in pattern file and exit" },
	{ "year", O_YEAR, "YYYY", "the year of RFC 3164 stamps  [the clock's, or the one\n"
	  "before for a stamp more than a week ahead]" },
	{ "tz", O_TZ, "ZONE", "the zone of RFC 3164 stamps, e.g. UTC, Europe/Paris\n"
	  "[the local zone]" },
	{ "dead-letter", O_DLQ, "FILE", "rejected lines as {\"reason\":...,\"line\":...}" },
	{ "stats", O_STATS, "FILE", "counters as one JSON line, replaced every second" },
	{ "max-line", O_MAXLINE, "SIZE", "longest input line  [1M]" },
	{ NULL, 0, NULL, NULL },
};

static const struct nw_cli nz_cli = {
	.head =
"usage: normalize [--format auto|rfc5424|rfc3164|none] [--patterns FILE]...\n"
"                 [--no-builtin] [--unmatched pass|dead-letter] [--year YYYY]\n"
"                 [--tz ZONE] [--dead-letter FILE] [--stats FILE]\n"
"                 [--max-line SIZE] [--check] [--print-builtin]\n"
"\n"
"Reads syslog lines on stdin and writes one JSON object per line: timestamp\n"
"(epoch ms), host, app, procid, msgid, facility, facility_num, severity,\n"
"severity_num, structured_data, message, and the pattern that matched the\n"
"message with its named groups.  Malformed headers are dead letters;\n"
"control lines pass in order.\n"
"\n",
	.flags = nz_flags,
};

static struct {
	struct nz_opts o;
	struct nw_dlq dlq;
	struct nw_buf out;
	struct nz_counts n;
} Z;

static void nz_parse_flags(int argc, char **argv, struct nz_opts *o)
{
	int c;

	*o = (struct nz_opts){ .format = NZ_AUTO, .max_line = NW_MAX_LINE_DEFAULT,
	                       .pattern_files = nw_xcalloc((size_t)argc + 1,
	                                                   sizeof (char *)) };
	while ((c = nw_getopt(argc, argv, &nz_cli)) != -1) {
		switch (c) {
		case O_FORMAT:
			o->format = (enum nz_format)nw_flag_choice("--format", optarg,
			                                           nz_format_names, NZ_FORMATS);
			break;
		case O_YEAR:
			o->year = (int)nw_flag_count("--year", optarg, 1970, 9999);
			break;
		case O_TZ: o->tz = optarg; break;
		case O_DLQ: o->dlq_path = optarg; break;
		case O_STATS: o->stats_path = optarg; break;
		case O_MAXLINE:
			o->max_line = nw_flag_size("--max-line", optarg, 64,
			                           (uint64_t)1 << 32);
			break;
		case O_PATTERNS: o->pattern_files[o->npattern_files++] = optarg; break;
		case O_NOBUILTIN: o->no_builtin = true; break;
		case O_UNMATCHED: {
			static const char *const what[] = { "pass", "dead-letter" };
			o->unmatched_dlq = nw_flag_choice("--unmatched", optarg, what, 2) == 1;
			break;
		}
		case O_CHECK: o->check = true; break;
		case O_PRINT: fputs(nz_builtin_json, stdout); exit(NW_EXIT_OK);
		}
	}
	nw_cli_no_args(argc, argv);
}

/* glibc takes any TZ and quietly falls back to UTC: refuse a zone that
 * has no file, unless it is a POSIX rule such as "CET-1CEST". */
static bool nz_zone_known(const char *tz)
{
	char path[512];

	if (strpbrk(tz, "0123456789") != NULL && strstr(tz, "..") == NULL)
		return true;
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
	return strstr(tz, "..") == NULL && access(path, R_OK) == 0;
}

static void nz_on_line(struct nw_stage *st, char *line, size_t n)
{
	const char *why;

	(void)st;
	nw_buf_reset(&Z.out);
	why = nz_line(&Z.o, line, n, nw_wall_ms(), &Z.out, &Z.n);
	if (why != NULL) {
		nw_dlq_put(&Z.dlq, why, line, n);
		return;
	}
	nw_out_line(Z.out.p, Z.out.len);
}

static void nz_stats_setup(void)
{
	nw_stats_init(Z.o.stats_path, 1000);
	nw_stats_u64("signals_out", &Z.n.signals);
	nw_stats_u64("rfc5424", &Z.n.rfc5424);
	nw_stats_u64("rfc3164", &Z.n.rfc3164);
	nw_stats_u64("invalid_utf8", &Z.n.invalid_utf8);
	nw_stats_u64("matched", &Z.n.matched);
	nw_stats_u64("unmatched", &Z.n.unmatched);
	nw_stats_u64("type_errors", &Z.n.type_errors);
}

int main(int argc, char **argv)
{
	char err[1024];
	int rc;

	nw_log_init("normalize");
	nz_parse_flags(argc, argv, &Z.o);
	Z.o.pats = nz_pat_load(Z.o.pattern_files, Z.o.npattern_files,
	                       Z.o.no_builtin ? NULL : nz_builtin_json, err, sizeof err);
	if (Z.o.pats == NULL)
		nw_usage_error("%s", err);
	if (Z.o.check) {
		nz_pat_list(Z.o.pats, stdout);
		printf("%d patterns OK\n", nz_pat_count(Z.o.pats));
		nz_pat_free(Z.o.pats);
		free(Z.o.pattern_files);
		return NW_EXIT_OK;
	}
	if (Z.o.tz != NULL && !nz_zone_known(Z.o.tz))
		nw_usage_error("--tz: unknown zone \"%s\" (a name under "
		               "/usr/share/zoneinfo, such as UTC or Europe/Paris)",
		               Z.o.tz);
	if (Z.o.tz != NULL && setenv("TZ", Z.o.tz, 1) != 0)
		nw_usage_error("--tz %s: %s", Z.o.tz, strerror(errno));
	tzset();
	nw_sig_init();
	nw_out_init();
	if (nw_dlq_open(&Z.dlq, Z.o.dlq_path) < 0)
		nw_usage_error("--dead-letter %s: %s", Z.o.dlq_path, strerror(errno));
	nz_stats_setup();
	LOG_INFO("started format=%s patterns=%d", nz_format_name(Z.o.format),
	         nz_pat_count(Z.o.pats));

	struct nw_stage st = { .on_line = nz_on_line, .dlq = &Z.dlq,
	                       .max_line = Z.o.max_line };
	rc = nw_stage_run(&st);

	LOG_INFO("done lines=%llu signals=%llu dead_letters=%llu",
	         (unsigned long long)nw_std.lines_in,
	         (unsigned long long)Z.n.signals,
	         (unsigned long long)nw_std.dead_letters);
	nw_stats_close();
	nw_dlq_close(&Z.dlq);
	nw_buf_free(&Z.out);
	nz_pat_free(Z.o.pats);
	free(Z.o.pattern_files);
	return rc;
}
