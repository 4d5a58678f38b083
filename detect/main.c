/*
 * detect - threshold rules over window records -> alerts.
 *
 * Reads window records (docs/contracts.md §2) on stdin, evaluates every rule
 * on each, and writes one alert (§3) per rule that matches.  Control lines
 * pass through in order; anything else goes to the dead-letter output.
 * SIGHUP reloads the rules file; a bad file keeps the old rules.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nw.h"
#include "rec.h"
#include "rules.h"

static const char usage_text[] =
"usage: detect [--rules FILE] [--rule 'NAME: EXPR']... [--check]\n"
"              [--dead-letter FILE] [--stats FILE] [--print-default-rules]\n"
"\n"
"Reads window records on stdin and writes an alert for every rule that\n"
"matches one.  Without --rules or --rule the built-in rules are used.\n"
"\n"
"  -r, --rules FILE         rules file (JSON); SIGHUP reloads it\n"
"  -e, --rule 'NAME: EXPR'  one more rule (severity warning, metric = first\n"
"                           field of EXPR, threshold = the number it is\n"
"                           compared with); may be repeated\n"
"  -c, --check              validate the rules, print them, exit 0 (or 2)\n"
"  -d, --dead-letter FILE   write rejected input lines to FILE\n"
"  -s, --stats FILE         keep a JSON snapshot of the counters in FILE\n"
"  -p, --print-default-rules  print the built-in rules file and exit\n"
"  -h, --help               this text\n"
"  -V, --version            print the version\n"
"\n"
"Expressions: fields of the window record, numbers (1e6), + - * /,\n"
"< <= > >= == !=, && || !, parentheses.  See README.md, section detect.\n";

static const struct option long_opts[] = {
	{ "rules",               required_argument, NULL, 'r' },
	{ "rule",                required_argument, NULL, 'e' },
	{ "check",               no_argument,       NULL, 'c' },
	{ "dead-letter",         required_argument, NULL, 'd' },
	{ "stats",               required_argument, NULL, 's' },
	{ "print-default-rules", no_argument,       NULL, 'p' },
	{ "help",                no_argument,       NULL, 'h' },
	{ "version",             no_argument,       NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static struct rule_set *rules;
static uint64_t records_in, alerts_out, control_lines, reloads, reload_failures;

static void emit_alert(const char *line, size_t n)
{
	nw_out_line(line, n);
	alerts_out++;
}

/* SIGHUP: build the new set completely, then swap; keep the old on error. */
static void reload(const char *path, char *const *flags, int nflags)
{
	char err[768];
	struct rule_set *rs;

	if (path == NULL) {
		LOG_INFO("SIGHUP: no rules file to reload");
		return;
	}
	rs = rule_set_load(path, flags, nflags, err, sizeof err);
	if (rs == NULL) {
		reload_failures++;
		LOG_ERROR("rules reload failed, keeping the %d old rules: %s",
		          rules->n, err);
		return;
	}
	rule_set_carry(rs, rules);
	rule_set_free(rules);
	rules = rs;
	reloads++;
	LOG_INFO("rules reloaded file=%s rules=%d", path, rs->n);
}

static void handle_line(struct rec *rec, struct nw_dlq *dlq, const char *line,
                        size_t n)
{
	const char *why;

	if (nw_ctl_maybe(line, n)) {
		json_t *ctl = nw_ctl_parse(line, n);
		if (ctl != NULL) {
			json_decref(ctl);
			nw_out_line(line, n);
			control_lines++;
			return;
		}
	}
	if ((why = rec_parse(rec, line, n)) != NULL) {
		nw_dlq_put(dlq, why, line, n);
		return;
	}
	records_in++;
	rule_set_apply(rules, rec, emit_alert);
}

static void check_report(void)
{
	for (int i = 0; i < rules->n; i++) {
		const struct rule *r = &rules->v[i];
		static const char *const sev[] = { "info", "warning", "critical" };
		printf("%-20s %-8s %-10s %s\n", r->name, sev[r->severity],
		       r->key_field ? r->key_field : "*", r->when);
	}
	printf("%d rules OK\n", rules->n);
}

int main(int argc, char **argv)
{
	const char *rules_path = NULL, *dlq_path = NULL, *stats_path = NULL;
	char **flag_rules = NULL, err[768];
	int nflag = 0, c;
	bool check = false;
	struct nw_reader rd;
	struct nw_dlq dlq;
	struct rec rec = { 0 };

	nw_log_init("detect");
	flag_rules = calloc((size_t)argc + 1, sizeof *flag_rules);
	if (flag_rules == NULL)
		abort();
	while ((c = getopt_long(argc, argv, "r:e:cd:s:phV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'r': rules_path = optarg; break;
		case 'e': flag_rules[nflag++] = optarg; break;
		case 'c': check = true; break;
		case 'd': dlq_path = optarg; break;
		case 's': stats_path = optarg; break;
		case 'p': fputs(rule_default_json, stdout); free(flag_rules); return 0;
		case 'h': fputs(usage_text, stdout); free(flag_rules); return 0;
		case 'V': nw_print_version(); free(flag_rules); return 0;
		default:  nw_usage_error("unknown or incomplete option; see detect --help");
		}
	}
	if (optind < argc)
		nw_usage_error("unexpected argument '%s'; see detect --help", argv[optind]);

	rules = rule_set_load(rules_path, flag_rules, nflag, err, sizeof err);
	if (rules == NULL)
		nw_usage_error("%s", err);
	if (check) {
		check_report();
		rule_set_free(rules);
		free(flag_rules);
		return 0;
	}

	nw_sig_init();
	nw_out_init();
	if (nw_dlq_open(&dlq, dlq_path) < 0)
		nw_usage_error("--dead-letter %s: %s", dlq_path, strerror(errno));
	if (nw_reader_init(&rd, STDIN_FILENO, 0) < 0) {
		LOG_ERROR("out of memory");
		return NW_EXIT_FAIL;
	}
	rd.before_block = nw_out_flush;
	nw_stats_init(stats_path, 1000);
	nw_stats_u64("records_in", &records_in);
	nw_stats_u64("alerts_out", &alerts_out);
	nw_stats_u64("control_lines", &control_lines);
	nw_stats_u64("dead_letters", &dlq.count);
	nw_stats_u64("reloads", &reloads);
	nw_stats_u64("reload_failures", &reload_failures);
	nw_stats_fn("rules", rule_set_stats, &rules);
	LOG_INFO("started rules=%d source=%s", rules->n,
	         rules_path ? rules_path : nflag ? "--rule" : "built-in");

	for (;;) {
		char *line;
		size_t n;
		enum nw_rd got;

		if (nw_sig_stop)
			break;
		if (nw_sig_hup) {
			nw_sig_hup = 0;
			reload(rules_path, flag_rules, nflag);
		}
		got = nw_reader_next(&rd, &line, &n, 1000);
		if (got == NW_RD_LINE)
			handle_line(&rec, &dlq, line, n);
		else if (got == NW_RD_TOOLONG)
			nw_dlq_put(&dlq, "line too long", line, n);
		else if (got == NW_RD_EOF)
			break;
		else if (got == NW_RD_ERR) {
			LOG_ERROR("cannot read stdin: %s", strerror(errno));
			nw_out_flush();
			return NW_EXIT_FAIL;
		}
		nw_stats_tick();
	}

	nw_out_flush();
	LOG_INFO("done records=%llu alerts=%llu control=%llu dead_letters=%llu",
	         (unsigned long long)records_in, (unsigned long long)alerts_out,
	         (unsigned long long)control_lines, (unsigned long long)dlq.count);
	nw_stats_close();
	nw_dlq_close(&dlq);
	nw_reader_free(&rd);
	rec_free(&rec);
	rule_set_free(rules);
	free(flag_rules);
	return NW_EXIT_OK;
}
