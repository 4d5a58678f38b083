/* kspec.c - key specs: parsing SPEC, and the keys of one event (kspec.h). */
#include "kspec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One part "FIELD" or "FIELD[]" of [s, s+n). */
static int part_parse(struct win_kspec *k, const char *s, size_t n,
                      struct jscan_paths *t, char *err, size_t errlen)
{
	bool arr = n > 2 && memcmp(s + n - 2, "[]", 2) == 0;
	char *path = nw_xstrndup(s, arr ? n - 2 : n);
	int slot = strpbrk(path, "[]+@ ") ? -1 : jscan_paths_add(t, path);

	if (slot < 0 || k->nparts == WIN_KSPEC_PARTS) {
		if (slot < 0)
			snprintf(err, errlen, "bad key part \"%s\"", path);
		else
			snprintf(err, errlen, "at most %d parts in a key", WIN_KSPEC_PARTS);
		free(path);
		return -1;
	}
	free(path);
	k->slot[k->nparts] = slot;
	k->arr[k->nparts++] = arr;
	return 0;
}

int win_kspec_parse(struct win_kspec *k, const char *spec,
                    struct jscan_paths *t, char *err, size_t errlen)
{
	const char *at = strchr(spec, '@');
	size_t len = at ? (size_t)(at - spec) : strlen(spec);
	const char *s = spec, *end = spec + len;

	memset(k, 0, sizeof *k);
	if (at && (nw_parse_duration_ms(at + 1, &k->size) < 0 || k->size <= 0)) {
		snprintf(err, errlen, "bad window size in key \"%s\"", spec);
		return -1;
	}
	while (s <= end) {
		const char *plus = memchr(s, '+', (size_t)(end - s));
		const char *pe = plus ? plus : end;
		if (part_parse(k, s, (size_t)(pe - s), t, err, errlen) < 0)
			return -1;
		s = pe + 1;
	}
	k->plain = k->nparts == 1 && !k->arr[0];
	return 0;
}

/* A value kept in buf (elements are decoded into a scratch the next one
 * overwrites, so each is copied). */
struct kv { size_t off, n; };

static struct kv keep(struct nw_buf *buf, const char *p, size_t n)
{
	struct kv v = { buf->len, n };
	nw_buf_add(buf, p, n);
	return v;
}

/* The values of part i into v[]; their number, or -1 with *res set. */
static int part_values(const struct win_kspec *k, int i,
                       const struct jscan_val *vals, char *scratch,
                       struct nw_buf *buf, struct kv *v, enum win_kres *res)
{
	const struct jscan_val *x = &vals[k->slot[i]];
	struct jscan_val el;
	size_t pos = 0;
	int n = 0;

	if (x->type == JSCAN_NONE || x->type == JSCAN_NULL) {
		*res = WK_MISSING;
		return k->arr[i] ? 0 : -1;
	}
	if (!k->arr[i]) {
		*res = WK_NOT_STRING;
		if (x->type != JSCAN_STR)
			return -1;
		v[0] = keep(buf, x->p, x->n);
		return 1;
	}
	*res = WK_NOT_STRING;
	if (x->type != JSCAN_ARR)
		return -1;
	while (jscan_arr_next(x, &pos, &el, scratch)) {
		if (el.type != JSCAN_STR)
			return -1;
		if (n == WIN_KSPEC_EACH) {
			*res = WK_TOO_MANY;
			return -1;
		}
		v[n++] = keep(buf, el.p, el.n);
	}
	return n;
}

static bool seen(const struct win_kref *out, int from, int to,
                 const struct nw_buf *buf, size_t off, size_t n)
{
	for (int i = from; i < to; i++)
		if (out[i].n == n && memcmp(buf->p + out[i].off, buf->p + off, n) == 0)
			return true;
	return false;
}

enum win_kres win_kspec_keys(const struct win_kspec *k,
                             const struct jscan_val *vals, char *scratch,
                             struct nw_buf *buf, struct win_kref *out,
                             int *n, int max)
{
	struct kv v[WIN_KSPEC_PARTS][WIN_KSPEC_EACH];
	int cnt[WIN_KSPEC_PARTS], idx[WIN_KSPEC_PARTS] = { 0 }, first = *n;
	long combos = 1;
	enum win_kres res = WK_OK;

	if (k->plain) {
		const struct jscan_val *x = &vals[k->slot[0]];
		if (x->type == JSCAN_NONE || x->type == JSCAN_NULL)
			return WK_MISSING;
		if (x->type != JSCAN_STR)
			return WK_NOT_STRING;
		if (*n == max)
			return WK_TOO_MANY;
		out[(*n)++] = (struct win_kref){ x->p, x->n, 0 };
		return WK_OK;
	}
	for (int i = 0; i < k->nparts; i++) {
		if ((cnt[i] = part_values(k, i, vals, scratch, buf, v[i], &res)) < 0)
			return res;
		combos *= cnt[i];
	}
	if (combos > max - *n)
		return WK_TOO_MANY;
	/* every combination, the parts joined by '|', odometer order */
	for (long c = 0; c < combos; c++) {
		size_t off = buf->len;
		for (int i = 0; i < k->nparts; i++) {
			const struct kv *x = &v[i][idx[i]];
			nw_buf_reserve(buf, x->n + 1);   /* the copy reads buf */
			if (i)
				nw_buf_addc(buf, '|');
			nw_buf_add(buf, buf->p + x->off, x->n);
		}
		if (seen(out, first, *n, buf, off, buf->len - off))
			buf->len = off;
		else
			out[(*n)++] = (struct win_kref){ NULL, buf->len - off, off };
		for (int i = k->nparts - 1; i >= 0 && ++idx[i] == cnt[i]; i--)
			idx[i] = 0;
	}
	return WK_OK;
}

void win_kspec_fix(struct win_kref *r, int n, const struct nw_buf *buf)
{
	for (int i = 0; i < n; i++)
		if (r[i].p == NULL)
			r[i].p = buf->p + r[i].off;
}
