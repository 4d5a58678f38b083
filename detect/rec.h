/*
 * rec.h - one window record (docs/contracts.md §2), parsed once.
 *
 * One pass of lib/jscan's member iterator validates the line (as jansson
 * would, duplicate names refused) and yields every member: its decoded name
 * and value, and its value's JSON text as written, which alerts copy.
 *
 * Ownership: a rec owns its field array and scratch buffer; the names and
 * raw texts of a parsed record point into the caller's line or into that
 * buffer and stay valid until the next rec_parse or rec_free.
 */
#ifndef REC_H
#define REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jscan.h"
#include "nw.h"

enum rec_kind { RK_INT, RK_REAL, RK_STR, RK_OTHER };

struct rec_field {
	const char *name;             /* unescaped */
	const char *raw;              /* the value as JSON text */
	const char *str;              /* RK_STR: the unescaped string */
	uint32_t    nlen, rawlen, slen;
	int         kind;             /* enum rec_kind */
	uint64_t    hash;             /* sym_hash of the name */
	double      num;              /* RK_INT, RK_REAL */
	int64_t     i;                /* RK_INT */
};

struct rec {
	const char *key_field, *key;  /* unescaped, may hold NUL in odd input */
	size_t      kflen, klen;
	int64_t     window_start, window_end;
	struct rec_field *f;          /* aggregate fields, in record order */
	int         n, cap;
	char       *scratch;          /* decoded names and strings */
	size_t      scap;
	char        why[256];         /* the last dead-letter reason */
};

/* NULL when line is a window record, else the dead-letter reason (static
 * text, or text in the rec valid until the next call). */
const char *rec_parse(struct rec *r, const char *line, size_t n);
void rec_free(struct rec *r);

#endif
