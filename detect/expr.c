/* expr.c - recursive-descent parser and tree evaluator for rule
 * expressions.  Errors carry the 1-based column and what was expected. */
#include "expr.h"
#include "nw.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tok { T_END, T_NUM, T_ID, T_SET, T_LP, T_RP, T_OP, T_ERR };

struct px {
	const char *src, *p;          /* whole text, scan position */
	enum tok t;                   /* current token… */
	const char *ts;               /* …its text… */
	size_t tl;
	int op;                       /* …its operator (T_OP) */
	double num;                   /* …its value (T_NUM) */
	struct expr *e;
	struct sym_table *syms;
	struct expr_err *err;
	bool failed;
	int *h;                       /* tree height of each node */
	int hcap;
};

/* Operators, longest spelling first where one is a prefix of another. */
static const struct { const char *s; int op; } px_ops[] = {
	{ "&&", EX_AND }, { "||", EX_OR }, { "<=", EX_LE }, { ">=", EX_GE },
	{ "==", EX_EQ }, { "!=", EX_NE }, { "<", EX_LT }, { ">", EX_GT },
	{ "+", EX_ADD }, { "-", EX_SUB }, { "*", EX_MUL }, { "/", EX_DIV },
	{ "!", EX_NOT },
	{ "\xc3\x97", EX_MUL }, { "\xc3\xb7", EX_DIV }, { "\xe2\x88\x92", EX_SUB },
	{ "\xe2\x89\xa4", EX_LE }, { "\xe2\x89\xa5", EX_GE }, { "\xe2\x89\xa0", EX_NE },
};

static int px_col(const struct px *x, const char *at)
{
	int col = 1;
	for (const char *q = x->src; q < at; q++)
		if (((unsigned char)*q & 0xc0) != 0x80)
			col++;
	return col;
}

static void px_fail(struct px *x, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void px_fail(struct px *x, const char *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->failed)
		return;
	x->failed = true;
	x->err->col = px_col(x, at);
	n = snprintf(x->err->msg, sizeof x->err->msg, "column %d: ", x->err->col);
	va_start(ap, fmt);
	vsnprintf(x->err->msg + n, sizeof x->err->msg - (size_t)n, fmt, ap);
	va_end(ap);
}

/* How the current token reads in an error message. */
static const char *px_found(const struct px *x, char *buf, size_t len)
{
	if (x->t == T_END)
		return "end of expression";
	snprintf(buf, len, "'%.*s'", (int)(x->tl > 24 ? 24 : x->tl), x->ts);
	return buf;
}

static bool px_number(struct px *x)
{
	const char *p = x->p, *start = p;
	char tmp[400];

	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p)) {
			px_fail(x, p, "expected a digit after '.' in number '%.*s'",
			        (int)(p - start), start);
			return false;
		}
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		const char *q = p + 1;
		if (*q == '+' || *q == '-')
			q++;
		if (!isdigit((unsigned char)*q)) {
			px_fail(x, q, "expected a digit in the exponent of number '%.*s'",
			        (int)(q - start), start);
			return false;
		}
		while (isdigit((unsigned char)*q))
			q++;
		p = q;
	}
	if (isalpha((unsigned char)*p) || *p == '_') {
		px_fail(x, p, "expected an operator after number '%.*s', found '%c'",
		        (int)(p - start), start, *p);
		return false;
	}
	if ((size_t)(p - start) >= sizeof tmp) {
		px_fail(x, start, "number too long");
		return false;
	}
	memcpy(tmp, start, (size_t)(p - start));
	tmp[p - start] = '\0';
	x->num = strtod(tmp, NULL);
	if (!isfinite(x->num)) {
		px_fail(x, start, "number '%s' out of range", tmp);
		return false;
	}
	x->t = T_NUM;
	x->tl = (size_t)(p - start);
	x->p = p;
	return true;
}

/* Read the next token into x. */
static void px_next(struct px *x)
{
	const char *p = x->p;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	x->p = x->ts = p;
	x->tl = 0;
	if (*p == '\0') {
		x->t = T_END;
		return;
	}
	if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
		if (!px_number(x))
			x->t = T_ERR;
		return;
	}
	if (isalpha((unsigned char)*p) || *p == '_') {
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		x->t = T_ID;
		x->tl = (size_t)(p - x->ts);
		x->p = p;
		return;
	}
	if (*p == '@') {                /* a set name: "@" ident */
		if (!isalpha((unsigned char)p[1]) && p[1] != '_') {
			x->t = T_ERR;
			px_fail(x, p, "expected a set name after '@'");
			return;
		}
		for (p++; isalnum((unsigned char)*p) || *p == '_'; p++)
			;
		x->t = T_SET;
		x->tl = (size_t)(p - x->ts);
		x->p = p;
		return;
	}
	if (*p == '(' || *p == ')') {
		x->t = *p == '(' ? T_LP : T_RP;
		x->tl = 1;
		x->p = p + 1;
		return;
	}
	for (size_t i = 0; i < sizeof px_ops / sizeof px_ops[0]; i++) {
		size_t l = strlen(px_ops[i].s);
		if (strncmp(p, px_ops[i].s, l) == 0) {
			x->t = T_OP;
			x->op = px_ops[i].op;
			x->tl = l;
			x->p = p + l;
			return;
		}
	}
	x->t = T_ERR;
	if (*p == '&' || *p == '|')
		px_fail(x, p, "expected '%c%c', found '%c'", *p, *p, *p);
	else if (*p == '=')
		px_fail(x, p, "expected '==' (one '=' is not a comparison), found '='");
	else if ((unsigned char)*p >= 0x80) {
		size_t l = 1;
		while (l < 4 && ((unsigned char)p[l] & 0xc0) == 0x80)
			l++;
		if (nw_utf8_valid(p, l))
			px_fail(x, p, "unexpected character '%.*s'", (int)l, p);
		else
			px_fail(x, p, "unexpected byte 0x%02x", (unsigned char)*p);
	} else if (isprint((unsigned char)*p))
		px_fail(x, p, "unexpected character '%c'", *p);
	else
		px_fail(x, p, "unexpected byte 0x%02x", (unsigned char)*p);
}

static int px_node(struct px *x, int op, int a, int b, double num)
{
	struct expr *e = x->e;
	if (e->nn == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 16;
		e->n = nw_xreallocarray(e->n, (size_t)e->cap, sizeof *e->n);
	}
	e->n[e->nn] = (struct expr_node){ op, a, b, num };
	return e->nn++;
}

static void px_add_field(struct px *x, int sym)
{
	struct expr *e = x->e;
	for (int i = 0; i < e->nfields; i++)
		if (e->fields[i] == sym)
			return;
	e->fields = nw_xreallocarray(e->fields, (size_t)e->nfields + 1,
	                             sizeof *e->fields);
	e->fields[e->nfields++] = sym;
}

/* Tree height is tracked beside the nodes, so a long chain like a+a+…+a
 * cannot overflow the stack of the recursive evaluator. */
static int px_h(const struct px *x, int i) { return i >= 0 ? x->h[i] : 0; }

static int px_mk(struct px *x, int op, int a, int b, const char *at)
{
	int i = px_node(x, op, a, b, 0);
	bool leaf = op == EX_NUM || op == EX_FIELD;   /* a is a symbol there */
	int ha = leaf ? 0 : px_h(x, a), hb = leaf ? 0 : px_h(x, b);
	if (i >= x->hcap) {
		x->hcap = x->e->cap;
		x->h = nw_xreallocarray(x->h, (size_t)x->hcap, sizeof *x->h);
	}
	x->h[i] = 1 + (ha > hb ? ha : hb);
	if (x->h[i] > EXPR_MAX_DEPTH)
		px_fail(x, at, "expression nested deeper than %d levels", EXPR_MAX_DEPTH);
	return i;
}

static int px_or(struct px *x, int depth);

/* "FIELD in @SET", the current token being "in": a leaf bound to a
 * pseudo-symbol (see struct expr_in). */
static int px_in(struct px *x, const char *id, size_t idl)
{
	struct expr *e = x->e;
	struct nw_buf name = { 0 };
	char buf[40];
	int psym, i;

	px_next(x);
	if (x->t != T_SET) {
		px_fail(x, x->ts, "expected a set after 'in' (@name), found %s",
		        px_found(x, buf, sizeof buf));
		return -1;
	}
	nw_buf_add(&name, id, idl);
	nw_buf_add(&name, "\0", 1);
	nw_buf_add(&name, x->ts, x->tl);
	psym = sym_intern(x->syms, name.p, name.len);
	nw_buf_free(&name);
	for (i = 0; i < e->nins && e->ins[i].sym != psym; i++)
		;
	if (i == e->nins) {
		e->ins = nw_xreallocarray(e->ins, (size_t)e->nins + 1, sizeof *e->ins);
		e->ins[e->nins++] = (struct expr_in){
			psym, sym_intern(x->syms, id, idl), x->ts + 1, x->tl - 1,
			px_col(x, x->ts) };
	}
	i = px_mk(x, EX_FIELD, psym, -1, id);
	px_next(x);
	return i;
}

static int px_primary(struct px *x, int depth)
{
	char buf[40];
	int i;

	if (x->failed)
		return -1;
	switch (x->t) {
	case T_NUM:
		i = px_mk(x, EX_NUM, -1, -1, x->ts);
		x->e->n[i].num = x->num;
		px_next(x);
		return i;
	case T_ID: {
		const char *id = x->ts;
		size_t idl = x->tl;
		px_next(x);
		if (x->t == T_ID && x->tl == 2 && memcmp(x->ts, "in", 2) == 0)
			return px_in(x, id, idl);
		int sym = sym_intern(x->syms, id, idl);
		px_add_field(x, sym);
		return px_mk(x, EX_FIELD, sym, -1, id);
	}
	case T_LP: {
		const char *open = x->ts;
		px_next(x);
		i = px_or(x, depth + 1);
		if (x->failed)
			return -1;
		if (x->t != T_RP) {
			char ob[16];
			snprintf(ob, sizeof ob, "%d", px_col(x, open));
			px_fail(x, x->ts, "expected ')' to close '(' of column %s, found %s",
			        ob, px_found(x, buf, sizeof buf));
			return -1;
		}
		px_next(x);
		return i;
	}
	case T_ERR:
		return -1;
	default:
		px_fail(x, x->ts, "expected a field, a number, '(', '-' or '!', found %s",
		        px_found(x, buf, sizeof buf));
		return -1;
	}
}

static int px_unary(struct px *x, int depth)
{
	if (depth > EXPR_MAX_DEPTH) {
		px_fail(x, x->ts, "expression nested deeper than %d levels", EXPR_MAX_DEPTH);
		return -1;
	}
	if (x->t == T_OP && (x->op == EX_SUB || x->op == EX_NOT || x->op == EX_ADD)) {
		int op = x->op;
		const char *at = x->ts;
		px_next(x);
		int a = px_unary(x, depth + 1);
		if (x->failed)
			return -1;
		if (op == EX_ADD)
			return a;
		if (op == EX_SUB && x->e->n[a].op == EX_NUM) {
			x->e->n[a].num = -x->e->n[a].num;   /* fold "-5" into a literal */
			return a;
		}
		return px_mk(x, op == EX_SUB ? EX_NEG : EX_NOT, a, -1, at);
	}
	return px_primary(x, depth);
}

/* One left-associative binary level: operands from next(), operators
 * within [lo, hi] of enum expr_op. */
static int px_binary(struct px *x, int depth, int lo, int hi,
                     int (*next)(struct px *, int))
{
	int a = next(x, depth);
	while (!x->failed && x->t == T_OP && x->op >= lo && x->op <= hi) {
		int op = x->op;
		const char *at = x->ts;
		px_next(x);
		int b = next(x, depth);
		if (x->failed)
			return -1;
		a = px_mk(x, op, a, b, at);
	}
	return x->failed ? -1 : a;
}

static int px_mul(struct px *x, int d) { return px_binary(x, d, EX_MUL, EX_DIV, px_unary); }
static int px_add(struct px *x, int d) { return px_binary(x, d, EX_ADD, EX_SUB, px_mul); }
static int px_rel(struct px *x, int d) { return px_binary(x, d, EX_LT, EX_GE, px_add); }
static int px_eq(struct px *x, int d)  { return px_binary(x, d, EX_EQ, EX_NE, px_rel); }
static int px_and(struct px *x, int d) { return px_binary(x, d, EX_AND, EX_AND, px_eq); }
static int px_or(struct px *x, int d)  { return px_binary(x, d, EX_OR, EX_OR, px_and); }

int expr_compile(struct expr *e, const char *src, struct sym_table *syms,
                 struct expr_err *err)
{
	struct px x = { .src = src, .p = src, .e = e, .syms = syms, .err = err };
	char buf[40];

	memset(e, 0, sizeof *e);
	memset(err, 0, sizeof *err);
	px_next(&x);
	e->root = px_or(&x, 0);
	if (!x.failed && x.t != T_END)
		px_fail(&x, x.ts, "expected an operator or the end of the expression, "
		        "found %s", px_found(&x, buf, sizeof buf));
	free(x.h);
	if (x.failed) {
		expr_free(e);
		return -1;
	}
	return 0;
}

/* 0 with *out set, or -1 on a division by zero. */
static int ex_eval(const struct expr *e, int i, const double *v, double *out)
{
	const struct expr_node *n = &e->n[i];
	double a, b;

	switch (n->op) {
	case EX_NUM:   *out = n->num; return 0;
	case EX_FIELD: *out = v[n->a]; return 0;
	case EX_PARAM: *out = e->param[n->a]; return 0;
	default: break;
	}
	if (ex_eval(e, n->a, v, &a) < 0)
		return -1;
	switch (n->op) {
	case EX_NEG: *out = -a; return 0;
	case EX_NOT: *out = a == 0; return 0;
	case EX_AND:
		if (a == 0 || isnan(a)) { *out = 0; return 0; }
		break;
	case EX_OR:
		if (a != 0 && !isnan(a)) { *out = 1; return 0; }
		break;
	default: break;
	}
	if (ex_eval(e, n->b, v, &b) < 0)
		return -1;
	switch (n->op) {
	case EX_MUL: *out = a * b; break;
	case EX_DIV:
		if (b == 0)
			return -1;
		*out = a / b;
		break;
	case EX_ADD: *out = a + b; break;
	case EX_SUB: *out = a - b; break;
	case EX_LT:  *out = a < b; break;
	case EX_LE:  *out = a <= b; break;
	case EX_GT:  *out = a > b; break;
	case EX_GE:  *out = a >= b; break;
	case EX_EQ:  *out = a == b; break;
	case EX_NE:  *out = a != b; break;
	case EX_AND:
	case EX_OR:  *out = b != 0 && !isnan(b); break;
	default:     *out = 0; break;
	}
	return 0;
}

enum expr_res expr_eval(const struct expr *e, const double *v)
{
	double r;

	if (ex_eval(e, e->root, v, &r) < 0)
		return EXPR_DIVZERO;
	return r != 0 && !isnan(r) ? EXPR_TRUE : EXPR_FALSE;
}

/* A literal, or a literal made a parameter (its num is the default). */
static bool ex_lit(const struct expr_node *n)
{
	return n->op == EX_NUM || n->op == EX_PARAM;
}

static int ex_thr(const struct expr *e, int i)
{
	const struct expr_node *n = &e->n[i];
	int t;

	if (ex_lit(n) || n->op == EX_FIELD)
		return -1;
	if (n->op >= EX_LT && n->op <= EX_NE) {
		if (ex_lit(&e->n[n->b])) return n->b;
		if (ex_lit(&e->n[n->a])) return n->a;
	}
	if ((t = ex_thr(e, n->a)) >= 0)
		return t;
	return n->b >= 0 && n->op != EX_NEG && n->op != EX_NOT ? ex_thr(e, n->b) : -1;
}

int expr_threshold_node(const struct expr *e)
{
	return e->n != NULL ? ex_thr(e, e->root) : -1;
}

bool expr_threshold(const struct expr *e, double *thr)
{
	int i = expr_threshold_node(e);
	if (i >= 0)
		*thr = e->n[i].num;
	return i >= 0;
}

int expr_param(struct expr *e, int i)
{
	if (e->n[i].op == EX_PARAM)
		return e->n[i].a;
	e->param = nw_xreallocarray(e->param, (size_t)e->nparam + 1, sizeof *e->param);
	e->param[e->nparam] = e->n[i].num;
	e->n[i].op = EX_PARAM;
	e->n[i].a = e->nparam;
	return e->nparam++;
}

void expr_free(struct expr *e)
{
	free(e->n);
	free(e->fields);
	free(e->ins);
	free(e->param);
	memset(e, 0, sizeof *e);
}
