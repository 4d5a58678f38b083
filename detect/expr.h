/*
 * expr.h - the rule expression language: record fields, numbers (with
 * e-notation), + - * / (also × ÷ −), comparisons < <= > >= == != (also
 * ≤ ≥ ≠), && || !, parentheses, with C's precedence and left associativity,
 * and set tests `FIELD in @SET`.
 *
 * An expression is compiled once into a flat node array (a tree whose
 * children are indexes) and evaluated per record over an array of field
 * values indexed by the symbols of a sym_table.
 *
 * Ownership: expr_compile fills *e with allocations expr_free releases.
 */
#ifndef EXPR_H
#define EXPR_H

#include <stdbool.h>
#include "sym.h"

#define EXPR_MAX_DEPTH 200   /* tree height; keeps evaluation's stack small */

enum expr_op {
	EX_NUM, EX_FIELD, EX_NEG, EX_NOT,
	EX_MUL, EX_DIV, EX_ADD, EX_SUB,
	EX_LT, EX_LE, EX_GT, EX_GE, EX_EQ, EX_NE,
	EX_AND, EX_OR,
	EX_PARAM            /* a literal made a parameter: e->param[a] */
};

struct expr_node {
	int    op;          /* enum expr_op */
	int    a, b;        /* children (node indexes); a is the symbol of EX_FIELD */
	double num;         /* EX_NUM */
};

struct expr {
	struct expr_node *n;
	int  nn, cap, root;
	int *fields;        /* distinct fields used, in order of first mention
	                       (set tests are in ins) */
	int  nfields;
	struct expr_in *ins; /* the set tests, in order of first mention */
	int  nins;
	double *param;      /* EX_PARAM values, set by the caller before eval */
	int  nparam;
};

/* "FIELD in @SET" is a 0/1 value the caller binds to the pseudo-symbol sym,
 * named FIELD "\0@" SET: a name no record member can have (jscan refuses
 * \u0000 in names).  FIELD is interned too, as field, but is not in
 * fields: it need not be a number.  set points into the source text. */
struct expr_in {
	int         sym, field;
	const char *set;
	size_t      setlen;
	int         col;        /* of the '@', for errors */
};

struct expr_err {
	int  col;           /* 1-based, in characters */
	char msg[200];      /* "column C: expected …, found …" */
};

enum expr_res { EXPR_FALSE, EXPR_TRUE, EXPR_DIVZERO };

int  expr_compile(struct expr *e, const char *src, struct sym_table *syms,
                  struct expr_err *err);
/* v[sym] holds every field of e->fields; the caller checked they exist. */
enum expr_res expr_eval(const struct expr *e, const double *v);
/* The number of the first comparison (in reading order) one of whose sides
 * is a literal: the rule's natural threshold.  False when there is none. */
bool expr_threshold(const struct expr *e, double *thr);
/* The node of that number, or -1. */
int  expr_threshold_node(const struct expr *e);
/* Make the literal node i a parameter (its value the default); returns its
 * index in e->param.  The caller may then change e->param[k] between
 * evaluations. */
int  expr_param(struct expr *e, int i);
void expr_free(struct expr *e);

#endif
