/*
 * expr.h - the rule expression language: record fields, numbers (with
 * e-notation), + - * / (also × ÷ −), comparisons < <= > >= == != (also
 * ≤ ≥ ≠), && || !, parentheses, with C's precedence and left associativity.
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
	EX_AND, EX_OR
};

struct expr_node {
	int    op;          /* enum expr_op */
	int    a, b;        /* children (node indexes); a is the symbol of EX_FIELD */
	double num;         /* EX_NUM */
};

struct expr {
	struct expr_node *n;
	int  nn, cap, root;
	int *fields;        /* distinct symbols used, in order of first mention */
	int  nfields;
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
void expr_free(struct expr *e);

#endif
