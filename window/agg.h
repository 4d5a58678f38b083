/*
 * agg.h - aggregate functions of a window: the --agg SPEC language, the
 * per-pane state each function keeps, how pane states combine, and how a
 * combined state prints.
 *
 * SPEC:  count | sum(F) | min(F) | max(F) | avg(F) | distinct(F)
 *        | NAME=count_if(F OP VALUE)     OP: = != < <= > >= contains
 *        | spread_km(F)   the largest great-circle distance between the
 *          events' locations F.lat, F.lon (geo.c)
 * F is a dotted path (app_layer.status_code); VALUE is a number, a
 * "quoted string" or a bare word (a string).
 *
 * Ownership: a win_agg owns its name, field and predicate strings
 * (win_agg_free).  A state block is laid out by win_aggs_layout and owned
 * by whoever allocated it and starts zeroed; win_aggs_release frees what
 * states point to.
 */
#ifndef WIN_AGG_H
#define WIN_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nw.h"
#include "jscan.h"

enum win_fn { WF_COUNT, WF_SUM, WF_MIN, WF_MAX, WF_AVG, WF_DISTINCT, WF_COUNT_IF,
              WF_SPREAD };
enum win_op { WO_EQ, WO_NE, WO_LT, WO_LE, WO_GT, WO_GE, WO_CONTAINS };

struct win_agg {
	enum win_fn fn;
	char *name;          /* output field name */
	char *lit;           /* ,"name": ready to copy (win_aggs_layout) */
	size_t litlen;
	char *field;         /* dotted path (spread_km: F.lat) */
	int slot;            /* jscan_paths slot of field */
	char *field2;        /* spread_km: F.lon */
	int slot2;
	size_t off;          /* offset of this aggregate's state in a block */
	/* count_if predicate */
	enum win_op op;
	bool vnum;           /* VALUE is a number (else a string) */
	double vd;
	char *vs;
	size_t vn;
};

/* What one event contributes to one aggregate, computed once per event
 * and applied to every key field's pane. */
struct win_in {
	bool has;            /* a value (or, for count_if, a match) */
	bool real;
	int64_t i;
	double d;
	uint64_t h;          /* distinct: hash of the value */
	double lon;          /* spread_km: d is the latitude */
};

/* The default set, in contract order (count is always first). */
extern const char *const win_default_aggs[];

/* Parse one SPEC; on error returns -1 with a message in err. */
int  win_agg_parse(const char *spec, struct win_agg *a, char *err, size_t errlen);
void win_agg_free(struct win_agg *a);

/* Assign state offsets; returns the size of a state block. */
size_t win_aggs_layout(struct win_agg *a, int n);

/* Read the event's values for every aggregate into in[]; NULL when the
 * event is fine, else a dead-letter reason (owned by a, or static). */
const char *win_aggs_input(const struct win_agg *a, int n,
                           const struct jscan_val *vals, struct win_in *in,
                           char *scratch);
void win_aggs_update(const struct win_agg *a, int n, void *st,
                     const struct win_in *in);
void win_aggs_merge(const struct win_agg *a, int n, void *dst, const void *src);
/* Append ,"name":value for each aggregate, then "approx" if needed. */
void win_aggs_print(const struct win_agg *a, int n, const void *st,
                    struct nw_buf *b);
void win_aggs_release(const struct win_agg *a, int n, void *st);

/* A real as jansson's json_dumps prints it ("%.17g", a ".0" when it would
 * read as an integer, no '+' or leading zeros in the exponent). */
void win_fmt_real(struct nw_buf *b, double d);

#endif
