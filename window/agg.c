/* agg.c - aggregate specs, per-pane states, combining and printing. */
#include "agg.h"
#include "dset.h"
#include "geo.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const win_default_aggs[] = {
	"count",
	"sum(bytes_sent)", "sum(bytes_received)", "sum(packets_sent)",
	"avg(latency_ms)", "max(latency_ms)",
	"distinct(dst_port)", "distinct(dst_ip)", "distinct(src_ip)",
	"rst_count=count_if(flags contains RST)",
	"http_5xx_count=count_if(app_layer.status_code >= 500)",
	NULL
};

/* States.  Sums stay exact integers until a real or an overflow shows up. */
struct st_sum { int64_t i; double d; uint64_t n; uint8_t real; };
struct st_ext { int64_t i; double d; uint8_t has, real; };

static const struct { const char *name; enum win_fn fn; size_t size; } fns[] = {
	{ "count", WF_COUNT, 0 },
	{ "sum", WF_SUM, sizeof(struct st_sum) },
	{ "min", WF_MIN, sizeof(struct st_ext) },
	{ "max", WF_MAX, sizeof(struct st_ext) },
	{ "avg", WF_AVG, sizeof(struct st_sum) },
	{ "distinct", WF_DISTINCT, sizeof(struct win_dset) },
	{ "count_if", WF_COUNT_IF, sizeof(uint64_t) },
	{ "spread_km", WF_SPREAD, sizeof(struct win_geo) },
};

static const struct { const char *tok; enum win_op op; } ops[] = {
	{ "contains", WO_CONTAINS }, { "==", WO_EQ }, { "!=", WO_NE },
	{ "<=", WO_LE }, { ">=", WO_GE }, { "=", WO_EQ }, { "<", WO_LT },
	{ ">", WO_GT },
};

static bool path_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (isspace((unsigned char)s[i]) || s[i] == '(' || s[i] == ')' ||
		    (s[i] == '.' && s[i + 1] == '.'))
			return false;
	return true;
}

/* "F OP VALUE" of count_if. */
static int parse_pred(struct win_agg *a, const char *s, size_t n, char *err,
                      size_t errlen)
{
	const char *end = s + n, *p = s;
	size_t k;

	while (p < end && !isspace((unsigned char)*p) && !strchr("=!<>", *p))
		p++;
	if (!path_ok(s, (size_t)(p - s))) {
		snprintf(err, errlen, "count_if needs \"FIELD OP VALUE\"");
		return -1;
	}
	a->field = nw_xstrndup(s, (size_t)(p - s));
	while (p < end && isspace((unsigned char)*p))
		p++;
	for (k = 0; k < sizeof ops / sizeof ops[0]; k++) {
		size_t l = strlen(ops[k].tok);
		if ((size_t)(end - p) >= l && memcmp(p, ops[k].tok, l) == 0) {
			a->op = ops[k].op;
			p += l;
			break;
		}
	}
	if (k == sizeof ops / sizeof ops[0]) {
		snprintf(err, errlen, "count_if operator must be one of = != < <= > >= contains");
		return -1;
	}
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (p == end) {
		snprintf(err, errlen, "count_if needs a value after the operator");
		return -1;
	}
	if (end - p >= 2 && *p == '"' && end[-1] == '"') {
		a->vs = nw_xstrndup(p + 1, (size_t)(end - p - 2));
		a->vn = (size_t)(end - p - 2);
		return 0;
	}
	a->vs = nw_xstrndup(p, (size_t)(end - p));
	a->vn = (size_t)(end - p);
	a->vnum = nw_parse_double(a->vs, &a->vd) == 0;
	return 0;
}

int win_agg_parse(const char *spec, struct win_agg *a, char *err, size_t errlen)
{
	const char *s = spec, *eq = NULL, *lp, *rp;
	size_t k;

	memset(a, 0, sizeof *a);
	a->slot = a->slot2 = -1;
	lp = strchr(s, '(');
	eq = strchr(s, '=');
	if (eq && lp && eq < lp) {       /* NAME=... */
		if (!path_ok(s, (size_t)(eq - s)) || memchr(s, '.', (size_t)(eq - s))) {
			snprintf(err, errlen, "bad aggregate name in \"%s\"", spec);
			return -1;
		}
		a->name = nw_xstrndup(s, (size_t)(eq - s));
		s = eq + 1;
	}
	if (lp == NULL) {
		if (strcmp(s, "count") == 0 && a->name == NULL) {
			a->fn = WF_COUNT;
			a->name = nw_xstrndup("count", 5);
			return 0;
		}
		snprintf(err, errlen, "bad aggregate \"%s\" (want fn(field) or count)", spec);
		goto bad;
	}
	for (k = 0; k < sizeof fns / sizeof fns[0]; k++)
		if (strlen(fns[k].name) == (size_t)(lp - s) &&
		    memcmp(fns[k].name, s, (size_t)(lp - s)) == 0)
			break;
	rp = strrchr(lp, ')');
	if (k == sizeof fns / sizeof fns[0] || fns[k].fn == WF_COUNT ||
	    rp == NULL || rp[1] != '\0') {
		snprintf(err, errlen, "bad aggregate \"%s\" (functions: count sum min max avg distinct count_if spread_km)", spec);
		goto bad;
	}
	a->fn = fns[k].fn;
	if (a->fn == WF_COUNT_IF) {
		if (a->name == NULL) {
			snprintf(err, errlen, "count_if needs a name: NAME=count_if(FIELD OP VALUE)");
			goto bad;
		}
		if (parse_pred(a, lp + 1, (size_t)(rp - lp - 1), err, errlen) < 0)
			goto bad;
		return 0;
	}
	if (!path_ok(lp + 1, (size_t)(rp - lp - 1))) {
		snprintf(err, errlen, "bad field in \"%s\"", spec);
		goto bad;
	}
	a->field = nw_xstrndup(lp + 1, (size_t)(rp - lp - 1));
	if (a->name == NULL) {
		size_t fl = strlen(fns[k].name), n = fl + 1 + strlen(a->field);
		a->name = nw_xmalloc(n + 1);
		snprintf(a->name, n + 1, "%s_%s", fns[k].name, a->field);
		for (char *c = a->name + fl; *c; c++)
			if (*c == '.')
				*c = '_';
	}
	if (a->fn == WF_SPREAD) {            /* F names an object: F.lat, F.lon */
		size_t n = strlen(a->field) + 5;
		a->field2 = nw_xmalloc(n);
		snprintf(a->field2, n, "%s.lon", a->field);
		a->field = nw_xrealloc(a->field, n);
		strcat(a->field, ".lat");
	}
	return 0;
bad:
	win_agg_free(a);
	return -1;
}

void win_agg_free(struct win_agg *a)
{
	free(a->name);
	free(a->lit);
	free(a->field);
	free(a->field2);
	free(a->vs);
	memset(a, 0, sizeof *a);
}

size_t win_aggs_layout(struct win_agg *a, int n)
{
	size_t off = 0;
	for (int i = 0; i < n; i++) {
		struct nw_buf b = { 0 };
		nw_buf_addc(&b, ',');
		nw_buf_add_jstr(&b, a[i].name, strlen(a[i].name));
		nw_buf_adds(&b, ":");
		free(a[i].lit);
		a[i].lit = b.p;            /* owned by the aggregate now */
		a[i].litlen = b.len;
		for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++)
			if (fns[k].fn == a[i].fn) {
				a[i].off = off;
				off += (fns[k].size + 7) & ~(size_t)7;
			}
	}
	return off;
}

/* ---- per-event input --------------------------------------------------- */

static int cmp_num(double x, double y) { return (x > y) - (x < y); }

static int cmp_str(const char *x, size_t xn, const char *y, size_t yn)
{
	int c = memcmp(x, y, xn < yn ? xn : yn);
	return c ? (c > 0) - (c < 0) : (xn > yn) - (xn < yn);
}

static bool op_holds(enum win_op op, int c)
{
	switch (op) {
	case WO_EQ: return c == 0;
	case WO_NE: return c != 0;
	case WO_LT: return c < 0;
	case WO_LE: return c <= 0;
	case WO_GT: return c > 0;
	case WO_GE: return c >= 0;
	default: return false;
	}
}

/* Does scalar v equal the predicate's value?  -1: incomparable type. */
static int pred_cmp(const struct win_agg *a, const struct jscan_val *v, int *c)
{
	if (a->vnum && (v->type == JSCAN_INT || v->type == JSCAN_REAL)) {
		*c = v->type == JSCAN_INT && a->vd == floor(a->vd) && fabs(a->vd) < 9e18 ?
		     (v->i > (int64_t)a->vd) - (v->i < (int64_t)a->vd) :
		     cmp_num(v->d, a->vd);
		return 0;
	}
	if (!a->vnum && v->type == JSCAN_STR) {
		*c = cmp_str(v->p, v->n, a->vs, a->vn);
		return 0;
	}
	return -1;
}

/* count_if: NULL and a match flag, or a dead-letter reason. */
static bool pred_match(const struct win_agg *a, const struct jscan_val *v,
                       char *scratch, bool *bad)
{
	int c;

	*bad = false;
	if (v->type == JSCAN_NONE || v->type == JSCAN_NULL)
		return false;
	if (a->op == WO_CONTAINS) {
		struct jscan_val el;
		size_t pos = 0;
		if (v->type != JSCAN_ARR) {
			*bad = true;
			return false;
		}
		while (jscan_arr_next(v, &pos, &el, scratch))
			if (pred_cmp(a, &el, &c) == 0 && c == 0)
				return true;
		return false;
	}
	if (pred_cmp(a, v, &c) < 0) {
		*bad = true;
		return false;
	}
	return op_holds(a->op, c);
}

/* spread_km: a location when both are numbers; false for a wrong type
 * (an absent or null coordinate is no location, not an error). */
static bool geo_input(const struct jscan_val *lat, const struct jscan_val *lon,
                      struct win_in *x)
{
	bool nlat = lat->type == JSCAN_INT || lat->type == JSCAN_REAL;
	bool nlon = lon->type == JSCAN_INT || lon->type == JSCAN_REAL;
	bool nolat = lat->type == JSCAN_NONE || lat->type == JSCAN_NULL;
	bool nolon = lon->type == JSCAN_NONE || lon->type == JSCAN_NULL;

	if ((!nlat && !nolat) || (!nlon && !nolon))
		return false;
	if (nlat && nlon) {
		x->has = true;
		x->d = lat->d;
		x->lon = lon->d;
	}
	return true;
}

const char *win_aggs_input(const struct win_agg *a, int n,
                           const struct jscan_val *vals, struct win_in *in,
                           char *scratch)
{
	for (int k = 0; k < n; k++) {
		const struct jscan_val *v = a[k].slot >= 0 ? &vals[a[k].slot] : NULL;
		struct win_in *x = &in[k];
		bool bad;

		x->has = false;
		if (a[k].fn == WF_COUNT)
			continue;
		switch (a[k].fn) {
		case WF_SUM: case WF_MIN: case WF_MAX: case WF_AVG:
			if (v->type == JSCAN_INT) {
				x->has = true, x->real = false, x->i = v->i, x->d = v->d;
			} else if (v->type == JSCAN_REAL) {
				x->has = true, x->real = true, x->d = v->d;
			} else if (v->type != JSCAN_NONE && v->type != JSCAN_NULL) {
				return a[k].field;
			}
			break;
		case WF_DISTINCT:
			if (v->type == JSCAN_ARR || v->type == JSCAN_OBJ)
				return a[k].field;
			if (v->type != JSCAN_NONE && v->type != JSCAN_NULL) {
				x->has = true;
				x->h = win_hash_jval(v);
			}
			break;
		case WF_COUNT_IF:
			x->has = pred_match(&a[k], v, scratch, &bad);
			if (bad)
				return a[k].field;
			break;
		case WF_SPREAD:
			if ((bad = !geo_input(v, &vals[a[k].slot2], x)))
				return v->type == JSCAN_INT || v->type == JSCAN_REAL ?
				       a[k].field2 : a[k].field;
			break;
		default:
			break;
		}
	}
	return NULL;
}

/* ---- states: every state starts as all-zero bytes ------------------------ */

#define ST(T, st, a) ((T *)(void *)((char *)(st) + (a)->off))
#define CST(T, st, a) ((const T *)(const void *)((const char *)(st) + (a)->off))

static void sum_add(struct st_sum *s, bool real, int64_t i, double d)
{
	if (real) {
		s->d += d;
		s->real = 1;
	} else if (__builtin_add_overflow(s->i, i, &(int64_t){ 0 })) {
		s->d += (double)s->i + (double)i;   /* beyond int64: carry on in a double */
		s->i = 0;
		s->real = 1;
	} else {
		s->i += i;
	}
}

static bool ext_better(const struct st_ext *e, bool real, int64_t i, double d,
                       bool want_max)
{
	int c;
	if (!e->has)
		return true;
	if (!real && !e->real)
		c = (i > e->i) - (i < e->i);
	else
		c = cmp_num(real ? d : (double)i, e->real ? e->d : (double)e->i);
	return want_max ? c > 0 : c < 0;
}

static void ext_put(struct st_ext *e, bool real, int64_t i, double d,
                    bool want_max)
{
	if (ext_better(e, real, i, d, want_max)) {
		e->has = 1;
		e->real = real;
		e->i = i;
		e->d = d;
	}
}

void win_aggs_update(const struct win_agg *a, int n, void *st,
                     const struct win_in *in)
{
	for (int k = 0; k < n; k++) {
		const struct win_in *x = &in[k];
		if (!x->has)
			continue;
		switch (a[k].fn) {
		case WF_SUM:
		case WF_AVG: {
			struct st_sum *s = ST(struct st_sum, st, &a[k]);
			sum_add(s, x->real, x->i, x->d);
			s->n++;
			break;
		}
		case WF_MIN:
		case WF_MAX:
			ext_put(ST(struct st_ext, st, &a[k]), x->real, x->i, x->d,
			        a[k].fn == WF_MAX);
			break;
		case WF_DISTINCT:
			win_dset_add(ST(struct win_dset, st, &a[k]), x->h);
			break;
		case WF_COUNT_IF:
			(*ST(uint64_t, st, &a[k]))++;
			break;
		case WF_SPREAD:
			win_geo_add(ST(struct win_geo, st, &a[k]), x->d, x->lon);
			break;
		default:
			break;
		}
	}
}

void win_aggs_merge(const struct win_agg *a, int n, void *dst, const void *src)
{
	for (int k = 0; k < n; k++) {
		switch (a[k].fn) {
		case WF_SUM:
		case WF_AVG: {
			struct st_sum *d = ST(struct st_sum, dst, &a[k]);
			const struct st_sum *s = CST(struct st_sum, src, &a[k]);
			sum_add(d, false, s->i, 0);
			if (s->real)
				sum_add(d, true, 0, s->d);
			d->n += s->n;
			break;
		}
		case WF_MIN:
		case WF_MAX: {
			const struct st_ext *s = CST(struct st_ext, src, &a[k]);
			if (s->has)
				ext_put(ST(struct st_ext, dst, &a[k]), s->real, s->i, s->d,
				        a[k].fn == WF_MAX);
			break;
		}
		case WF_DISTINCT:
			win_dset_merge(ST(struct win_dset, dst, &a[k]),
			               CST(struct win_dset, src, &a[k]));
			break;
		case WF_COUNT_IF:
			*ST(uint64_t, dst, &a[k]) += *CST(uint64_t, src, &a[k]);
			break;
		case WF_SPREAD:
			win_geo_merge(ST(struct win_geo, dst, &a[k]),
			              CST(struct win_geo, src, &a[k]));
			break;
		default:
			break;
		}
	}
}

void win_fmt_real(struct nw_buf *b, double d)
{
	char tmp[64];
	int n;

	/* JSON has no inf or nan.  A sum that overflowed saturates at the
	 * largest double, so a rule comparing it still fires (printing null
	 * would read as "field missing" downstream and hide the alert). */
	if (isnan(d)) {
		nw_buf_adds(b, "null");
		return;
	}
	if (isinf(d))
		d = d > 0 ? DBL_MAX : -DBL_MAX;
	n = snprintf(tmp, sizeof tmp - 3, "%.17g", d);
	if (!strchr(tmp, '.') && !strchr(tmp, 'e')) {
		tmp[n++] = '.';
		tmp[n++] = '0';
		tmp[n] = '\0';
	}
	char *e = strchr(tmp, 'e');
	if (e) {
		char *start = e + 1, *end;
		if (*start == '-')
			start++;
		end = start;
		if (*end == '+')
			end++;
		while (*end == '0' && end[1] != '\0')
			end++;
		memmove(start, end, strlen(end) + 1);
	}
	nw_buf_adds(b, tmp);
}

static void num_print(struct nw_buf *b, bool real, int64_t i, double d)
{
	if (real)
		win_fmt_real(b, d);
	else
		nw_buf_add_i64(b, i);
}

void win_aggs_print(const struct win_agg *a, int n, const void *st,
                    struct nw_buf *b)
{
	int napprox = 0;

	for (int k = 0; k < n; k++) {
		if (a[k].fn == WF_COUNT)
			continue;
		nw_buf_add(b, a[k].lit, a[k].litlen);
		switch (a[k].fn) {
		case WF_SUM: {
			const struct st_sum *s = CST(struct st_sum, st, &a[k]);
			num_print(b, s->real, s->i, (double)s->i + s->d);
			break;
		}
		case WF_AVG: {
			const struct st_sum *s = CST(struct st_sum, st, &a[k]);
			if (s->n == 0)
				nw_buf_adds(b, "null");
			else
				win_fmt_real(b, ((double)s->i + s->d) / (double)s->n);
			break;
		}
		case WF_MIN:
		case WF_MAX: {
			const struct st_ext *e = CST(struct st_ext, st, &a[k]);
			if (!e->has)
				nw_buf_adds(b, "null");
			else
				num_print(b, e->real, e->i, e->d);
			break;
		}
		case WF_DISTINCT: {
			bool approx;
			nw_buf_add_u64(b, win_dset_count(CST(struct win_dset, st, &a[k]),
			                                 &approx));
			napprox += approx;
			break;
		}
		case WF_COUNT_IF:
			nw_buf_add_u64(b, *CST(uint64_t, st, &a[k]));
			break;
		case WF_SPREAD:         /* 0 until two places: no distance yet */
			win_fmt_real(b, round(CST(struct win_geo, st, &a[k])->best * 10) / 10);
			break;
		default:
			break;
		}
	}
	if (napprox == 0)
		return;
	nw_buf_adds(b, ",\"approx\":[");
	for (int k = 0, first = 1; k < n; k++) {
		bool approx = false;
		if (a[k].fn != WF_DISTINCT)
			continue;
		win_dset_count(CST(struct win_dset, st, &a[k]), &approx);
		if (!approx)
			continue;
		if (!first)
			nw_buf_addc(b, ',');
		first = 0;
		nw_buf_add_jstr(b, a[k].name, strlen(a[k].name));
	}
	nw_buf_addc(b, ']');
}

void win_aggs_release(const struct win_agg *a, int n, void *st)
{
	for (int k = 0; k < n; k++)
		if (a[k].fn == WF_DISTINCT)
			win_dset_free(ST(struct win_dset, st, &a[k]));
}
