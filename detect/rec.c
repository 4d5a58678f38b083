/* rec.c - window-record parsing: a strict in-place scanner for the common
 * shape, jansson for everything else. */
#include "rec.h"
#include "sym.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The five fields that say which window a record is; every other field is
 * an aggregate and is copied into alerts. */
enum { RM_TYPE, RM_KEY_FIELD, RM_KEY, RM_START, RM_END, RM_N };
static const struct { const char *name; size_t len; } rec_meta[RM_N] = {
	{ "type", 4 }, { "key_field", 9 }, { "key", 3 }, { "window_start", 12 },
	{ "window_end", 10 }
};

static struct rec_field *rec_push(struct rec *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 32;
		r->f = nw_xreallocarray(r->f, (size_t)r->cap, sizeof *r->f);
	}
	return &r->f[r->n++];
}

static int rec_meta_index(const char *s, size_t n)
{
	for (int i = 0; i < RM_N; i++)
		if (rec_meta[i].len == n && memcmp(rec_meta[i].name, s, n) == 0)
			return i;
	return -1;
}

/* ---- fast path --------------------------------------------------------- */

#define WS(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

/* A string without escapes or non-ASCII bytes; p is after the quote.
 * Returns the closing quote, or NULL to fall back. */
static const char *fp_str(const char *p, const char *end)
{
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p;
		if (c == '\\' || c < 0x20 || c >= 0x80)
			return NULL;
		p++;
	}
	return NULL;
}

/* A JSON number that jansson would accept the same way: integers of at most
 * 18 digits are converted here, reals by strtod.  NULL to fall back. */
static const char *fp_num(const char *p, const char *end, double *v,
                          int64_t *ip, bool *isint)
{
	const char *s = p;
	bool neg = false;
	int64_t iv = 0;
	int nd = 0;

	if (p < end && *p == '-')
		neg = true, p++;
	if (p == end || *p < '0' || *p > '9')
		return NULL;
	if (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9')
		return NULL;
	while (p < end && *p >= '0' && *p <= '9') {
		if (++nd > 18)
			return NULL;     /* jansson decides what longer ones are */
		iv = iv * 10 + (*p - '0');
		p++;
	}
	*isint = true;
	if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) {
		char *q;
		*isint = false;
		if (*p == '.') {
			p++;
			if (p == end || *p < '0' || *p > '9')
				return NULL;
			while (p < end && *p >= '0' && *p <= '9')
				p++;
		}
		if (p < end && (*p == 'e' || *p == 'E')) {
			p++;
			if (p < end && (*p == '+' || *p == '-'))
				p++;
			if (p == end || *p < '0' || *p > '9')
				return NULL;
			while (p < end && *p >= '0' && *p <= '9')
				p++;
		}
		/* The line is NUL-terminated and the number ends before a
		 * delimiter, so strtod stops where the scan did. */
		*v = strtod(s, &q);
		if (q != p || !isfinite(*v))
			return NULL;
		return p;
	}
	*ip = neg ? -iv : iv;
	*v = (double)*ip;
	return p;
}

/* An array of plain strings (the "approx" list).  p is at '['. */
static const char *fp_arr(const char *p, const char *end)
{
	p++;
	while (p < end && WS(*p)) p++;
	if (p < end && *p == ']')
		return p + 1;
	for (;;) {
		if (p == end || *p != '"' || (p = fp_str(p + 1, end)) == NULL)
			return NULL;
		p++;
		while (p < end && WS(*p)) p++;
		if (p < end && *p == ']')
			return p + 1;
		if (p == end || *p != ',')
			return NULL;
		p++;
		while (p < end && WS(*p)) p++;
	}
}

/* Fill r from the line, or return false to fall back to jansson. */
static bool fp_parse(struct rec *r, const char *line, size_t n,
                     struct rec_field *meta, bool *have)
{
	const char *p = line, *end = line + n;

	while (p < end && WS(*p)) p++;
	if (p == end || *p++ != '{')
		return false;
	while (p < end && WS(*p)) p++;
	if (p < end && *p == '}')
		p++;
	else for (;;) {
		struct rec_field fl;
		const char *q;
		if (p == end || *p != '"' || (q = fp_str(p + 1, end)) == NULL)
			return false;
		fl.name = p + 1;
		fl.nlen = (uint32_t)(q - fl.name);
		p = q + 1;
		while (p < end && WS(*p)) p++;
		if (p == end || *p++ != ':')
			return false;
		while (p < end && WS(*p)) p++;
		if (p == end)
			return false;
		fl.raw = p;
		fl.str = NULL;
		fl.slen = 0;
		fl.num = 0;
		fl.i = 0;
		if (*p == '"') {
			if ((q = fp_str(p + 1, end)) == NULL)
				return false;
			fl.kind = RK_STR;
			fl.str = p + 1;
			fl.slen = (uint32_t)(q - fl.str);
			p = q + 1;
		} else if (*p == '[') {
			if ((p = fp_arr(p, end)) == NULL)
				return false;
			fl.kind = RK_OTHER;
		} else {
			bool isint;
			if ((p = fp_num(p, end, &fl.num, &fl.i, &isint)) == NULL)
				return false;
			fl.kind = isint ? RK_INT : RK_REAL;
		}
		fl.rawlen = (uint32_t)(p - fl.raw);
		fl.hash = sym_hash(fl.name, fl.nlen);
		int m = rec_meta_index(fl.name, fl.nlen);
		if (m >= 0) {
			if (have[m])
				return false;   /* duplicate: jansson names the error */
			have[m] = true;
			meta[m] = fl;
		} else {
			for (int i = 0; i < r->n; i++)
				if (r->f[i].hash == fl.hash && r->f[i].nlen == fl.nlen &&
				    memcmp(r->f[i].name, fl.name, fl.nlen) == 0)
					return false;
			*rec_push(r) = fl;
		}
		while (p < end && WS(*p)) p++;
		if (p < end && *p == ',') {
			p++;
			while (p < end && WS(*p)) p++;
			continue;
		}
		if (p < end && *p == '}') {
			p++;
			break;
		}
		return false;
	}
	while (p < end && WS(*p)) p++;
	return p == end;
}

/* ---- jansson path ------------------------------------------------------ */

/* Texts go to the scratch buffer as they come; since the buffer may move
 * while it grows, fields hold offsets until rec_fixup turns them into
 * pointers. */
static const char *sl_add(struct rec *r, const char *s, size_t n)
{
	size_t off = r->scratch.len;
	nw_buf_add(&r->scratch, s, n);
	nw_buf_addc(&r->scratch, '\0');
	return (const char *)(uintptr_t)off;
}

static void sl_fix(struct rec *r, struct rec_field *f)
{
	f->name = r->scratch.p + (uintptr_t)f->name;
	f->raw = r->scratch.p + (uintptr_t)f->raw;
	if (f->kind == RK_STR)
		f->str = r->scratch.p + (uintptr_t)f->str;
}

/* The value as JSON text: jansson's compact form, except reals, which get
 * the shortest text that reads back the same (as the input most likely had;
 * jansson would print 17 digits). */
static void sl_raw(struct rec *r, struct rec_field *fl, json_t *v)
{
	char tmp[40], *txt;

	if (json_is_real(v)) {
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(tmp, sizeof tmp, "%.*g", prec, json_real_value(v));
			if (strtod(tmp, NULL) == json_real_value(v))
				break;
		}
		fl->rawlen = (uint32_t)strlen(tmp);
		fl->raw = sl_add(r, tmp, fl->rawlen);
		return;
	}
	txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (txt == NULL)
		nw_oom(0);      /* jansson's allocation failed */
	fl->rawlen = (uint32_t)strlen(txt);
	fl->raw = sl_add(r, txt, fl->rawlen);
	free(txt);
}

static void sl_field(struct rec *r, struct rec_field *fl, const char *k,
                     size_t klen, json_t *v)
{
	memset(fl, 0, sizeof *fl);
	fl->name = sl_add(r, k, klen);
	fl->nlen = (uint32_t)klen;
	fl->hash = sym_hash(k, klen);
	sl_raw(r, fl, v);
	if (json_is_integer(v)) {
		fl->kind = RK_INT;
		fl->i = json_integer_value(v);
		fl->num = (double)fl->i;
	} else if (json_is_real(v)) {
		fl->kind = RK_REAL;
		fl->num = json_real_value(v);
	} else if (json_is_string(v)) {
		fl->kind = RK_STR;
		fl->slen = (uint32_t)json_string_length(v);
		fl->str = sl_add(r, json_string_value(v), fl->slen);
	} else {
		fl->kind = RK_OTHER;
	}
}

static const char *sl_parse(struct rec *r, const char *line, size_t n,
                            struct rec_field *meta, bool *have)
{
	json_error_t err;
	json_t *root, *v;
	const char *k;
	size_t klen;

	r->slow++;
	root = json_loadb(line, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
	if (root == NULL) {
		snprintf(r->why, sizeof r->why, "not JSON: %s (column %d)",
		         err.text, err.column);
		return r->why;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return "not a window record: not a JSON object";
	}
	nw_buf_reset(&r->scratch);
	json_object_keylen_foreach(root, k, klen, v) {
		int m = rec_meta_index(k, klen);
		if (m >= 0) {
			have[m] = true;
			sl_field(r, &meta[m], k, klen, v);
		} else {
			sl_field(r, rec_push(r), k, klen, v);
		}
	}
	json_decref(root);
	for (int i = 0; i < r->n; i++)
		sl_fix(r, &r->f[i]);
	for (int m = 0; m < RM_N; m++)
		if (have[m])
			sl_fix(r, &meta[m]);
	return NULL;
}

/* ---- both -------------------------------------------------------------- */

const char *rec_parse(struct rec *r, const char *line, size_t n)
{
	struct rec_field meta[RM_N];
	bool have[RM_N] = { false };
	const char *why;

	r->n = 0;
	if (!fp_parse(r, line, n, meta, have)) {
		r->n = 0;
		memset(have, 0, sizeof have);
		if ((why = sl_parse(r, line, n, meta, have)) != NULL)
			return why;
	}
	if (!have[RM_TYPE] || meta[RM_TYPE].kind != RK_STR ||
	    meta[RM_TYPE].slen != 6 || memcmp(meta[RM_TYPE].str, "window", 6) != 0)
		return "not a window record: \"type\" is not \"window\"";
	if (!have[RM_KEY_FIELD] || meta[RM_KEY_FIELD].kind != RK_STR)
		return "window record without a string \"key_field\"";
	if (!have[RM_KEY] || meta[RM_KEY].kind != RK_STR)
		return "window record without a string \"key\"";
	if (!have[RM_START] || meta[RM_START].kind != RK_INT)
		return "window record without an integer \"window_start\"";
	if (!have[RM_END] || meta[RM_END].kind != RK_INT)
		return "window record without an integer \"window_end\"";
	r->key_field = meta[RM_KEY_FIELD].str;
	r->kflen = meta[RM_KEY_FIELD].slen;
	r->key = meta[RM_KEY].str;
	r->klen = meta[RM_KEY].slen;
	r->window_start = meta[RM_START].i;
	r->window_end = meta[RM_END].i;
	if (r->window_end <= r->window_start)
		return "window record with window_end not after window_start";
	return NULL;
}

void rec_free(struct rec *r)
{
	free(r->f);
	nw_buf_free(&r->scratch);
	memset(r, 0, sizeof *r);
}
