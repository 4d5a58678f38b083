/* fuzz_detect.c - libFuzzer target for detect: the first line of the input
 * is a rule expression (compiled, evaluated, and used as a --rule, with
 * the set @s defined), every further line a window record run through the
 * built-in rules (with an allowlist and host groups that override
 * data_exfiltration) and that rule. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expr.h"
#include "rec.h"
#include "rules.h"

static void sink(const char *line, size_t n) { (void)line; (void)n; }

static char fz_set[80];   /* "s=DIR/s.txt", written once */
static char fz_dir[] = "/tmp/fuzz_detect.XXXXXX";
static const char *const fz_names[3] = { "s.txt", "a.txt", "g.json" };

static void fz_cleanup(void)
{
	char path[80];
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", fz_dir, fz_names[i]);
		unlink(path);
	}
	rmdir(fz_dir);
}

/* The files the rule sets read: a set, an allowlist, host groups. */
static void fz_files(struct rule_src *src)
{
	static char allow[64], groups[64];
	const char *dir = fz_dir;
	static const char *const texts[3] = {
		"10.0.0.0/8\n::ffff:192.168.0.0/112\n2001:db8::/32\n::/0\n",
		"10.66.0.0/24\n",
		"[{\"name\":\"g\",\"networks\":[\"10.0.0.0/8\",\"2001:db8::/48\"],"
		"\"thresholds\":{\"data_exfiltration\":1e9,\"reset_storm\":3}},"
		"{\"name\":\"h\",\"networks\":[\"10.1.0.0/16\"]}]" };
	char path[80];

	if (mkdtemp(fz_dir) == NULL)
		abort();
	atexit(fz_cleanup);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, fz_names[i]);
		FILE *fp = fopen(path, "w");
		if (fp == NULL || fputs(texts[i], fp) < 0 || fclose(fp) != 0)
			abort();
	}
	snprintf(fz_set, sizeof fz_set, "s=%s/s.txt", dir);
	snprintf(allow, sizeof allow, "%s/a.txt", dir);
	snprintf(groups, sizeof groups, "%s/g.json", dir);
	*src = (struct rule_src){ .allow = allow, .groups = groups };
}

static void fz_expr(const char *src)
{
	struct sym_table syms = { 0 };
	struct expr e;
	struct expr_err err;
	double v[64], thr;

	if (expr_compile(&e, src, &syms, &err) == 0) {
		for (int i = 0; i < 64; i++)
			v[i] = (double)(i % 5) - 1;   /* includes zeros: divisions */
		if (syms.n <= 64)
			(void)expr_eval(&e, v);
		(void)expr_threshold(&e, &thr);
		expr_free(&e);
	}
	sym_free(&syms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rule_set *builtin;
	static struct rec r;
	char err[768], *buf, *line, *nl, *flag;
	struct rule_set *own;
	char *sets[1] = { fz_set };

	if (builtin == NULL) {
		struct rule_src src;
		nw_log_set_level(NW_ERROR);
		fz_files(&src);
		builtin = rule_set_load(&src, err, sizeof err);
		if (builtin == NULL)
			abort();
	}
	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	fz_expr(buf);
	flag = malloc(strlen(buf) + 4);
	strcpy(flag, "f: ");
	strcat(flag, buf);
	own = rule_set_load(&(struct rule_src){ .flags = &flag, .nflags = 1,
	                                        .sets = sets, .nsets = 1 },
	                    err, sizeof err);
	for (line = nl ? nl + 1 : NULL; line && line < buf + size; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(buf + size - line));
		if (nl == NULL)
			nl = buf + size;
		*nl = '\0';
		if (rec_parse(&r, line, (size_t)(nl - line)) == NULL) {
			rule_set_apply(builtin, &r, sink);
			if (own)
				rule_set_apply(own, &r, sink);
		}
	}
	rule_set_free(own);
	free(flag);
	free(buf);
	return 0;
}
