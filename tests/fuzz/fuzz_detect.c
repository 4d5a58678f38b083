/* fuzz_detect.c - libFuzzer target for detect: the first line of the input
 * is a rule expression (compiled, evaluated, and used as a --rule), every
 * further line a window record run through the built-in rules and that
 * rule. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "rec.h"
#include "rules.h"

static void sink(const char *line, size_t n) { (void)line; (void)n; }

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

	if (builtin == NULL) {
		nw_log_set_level(NW_ERROR);
		builtin = rule_set_load(&(struct rule_src){ 0 }, err, sizeof err);
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
	own = rule_set_load(&(struct rule_src){ .flags = &flag, .nflags = 1 },
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
