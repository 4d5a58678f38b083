/* scan.c - a validating single-pass JSON scanner that extracts wanted paths.
 *
 * Speed comes from three things: strings (most of an event's bytes) are
 * scanned sixteen bytes at a time for the only bytes that need a look
 * ('"', '\\', control bytes, non-ASCII); keys are matched against a small
 * trie only at levels where something is wanted; nothing is allocated. */
#include "nw.h"
#include "scan.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---- the path trie ---------------------------------------------------- */

/* Children of a node are found through a 64-entry table on the key's length
 * and end bytes: most keys of an event are not wanted and cost one load. */
static inline unsigned pbucket(const char *k, size_t n)
{
	return ((unsigned)n * 7 + (unsigned char)k[0] +
	        (unsigned char)k[n - 1] * 3) & (WIN_PBUCKETS - 1);
}

static int paths_node(struct win_paths *t, const char *name, size_t len)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->node = nw_xreallocarray(t->node, (size_t)t->cap, sizeof *t->node);
	}
	struct win_pnode *nd = &t->node[t->n];
	nd->name = nw_xstrndup(name, len);
	nd->len = (uint32_t)len;
	nd->first_child = nd->next_sibling = nd->next_in_bucket = -1;
	memset(nd->bucket, 0xff, sizeof nd->bucket);
	return t->n++;
}

void win_paths_init(struct win_paths *t)
{
	memset(t, 0, sizeof *t);
	paths_node(t, "", 0);
}

int win_paths_add(struct win_paths *t, const char *dotted)
{
	int cur = 0;
	const char *p = dotted;

	if (*p == '\0')
		return -1;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		int c;
		if (len == 0)
			return -1;
		for (c = t->node[cur].first_child; c >= 0; c = t->node[c].next_sibling)
			if (t->node[c].len == len && memcmp(t->node[c].name, p, len) == 0)
				break;
		if (c < 0) {
			unsigned b = pbucket(p, len);
			if (t->n >= INT16_MAX)
				return -1;
			c = paths_node(t, p, len);
			t->node[c].next_sibling = t->node[cur].first_child;
			t->node[cur].first_child = c;
			t->node[c].next_in_bucket = t->node[cur].bucket[b];
			t->node[cur].bucket[b] = (int16_t)c;
		}
		cur = c;
		if (dot == NULL)
			return cur;
		p = dot + 1;
	}
}

void win_paths_free(struct win_paths *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->node[i].name);
	free(t->node);
	memset(t, 0, sizeof *t);
}

/* ---- scanner ------------------------------------------------------------ */

struct sc {
	const char *p, *end;
	const struct win_paths *t;   /* NULL: record nothing below the top */
	struct win_jval *vals;
	char *scratch;               /* next free byte for decoded strings */
	int depth;
};

static int sc_value(struct sc *s, int node);

static inline void sc_ws(struct sc *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	                         *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* Bytes a string scan must stop at: '"', '\\', controls, non-ASCII. */
static const unsigned char str_stop[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

static inline const char *str_skip_plain(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
	const __m128i sp = _mm_set1_epi8(0x20);
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* signed compare: bytes >= 0x80 are negative, so one compare
		 * catches both control bytes and non-ASCII */
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q),
		                                      _mm_cmpeq_epi8(v, bs)),
		                         _mm_cmplt_epi8(v, sp));
		int mask = _mm_movemask_epi8(m);
		if (mask)
			return p + __builtin_ctz((unsigned)mask);
		p += 16;
	}
#endif
	while (p < end && !str_stop[(unsigned char)*p])
		p++;
	return p;
}

/* Length of a valid UTF-8 sequence at p (2..4), 0 when invalid. */
static size_t utf8_len(const unsigned char *u, size_t avail)
{
	unsigned c = u[0], min;
	size_t len;
	uint32_t cp;

	if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; min = 0x80; }
	else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; min = 0x800; }
	else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; min = 0x10000; }
	else return 0;
	if (avail < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (u[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int hex4(const char *p, const char *end, uint32_t *out)
{
	uint32_t v = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned c = (unsigned char)p[i];
		v <<= 4;
		if (c >= '0' && c <= '9') v |= c - '0';
		else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
		else return -1;
	}
	*out = v;
	return 0;
}

/* Validate one escape at p (just past the backslash); returns its length
 * after the backslash, 0 when invalid.  Like jansson: lone surrogates and
 * \u0000 are errors. */
static size_t esc_len(const char *p, const char *end, uint32_t *cp)
{
	if (p >= end)
		return 0;
	switch (*p) {
	case '"': *cp = '"'; return 1;
	case '\\': *cp = '\\'; return 1;
	case '/': *cp = '/'; return 1;
	case 'b': *cp = '\b'; return 1;
	case 'f': *cp = '\f'; return 1;
	case 'n': *cp = '\n'; return 1;
	case 'r': *cp = '\r'; return 1;
	case 't': *cp = '\t'; return 1;
	case 'u': break;
	default: return 0;
	}
	uint32_t v, lo;
	if (hex4(p + 1, end, &v) < 0 || v == 0)
		return 0;
	if (v >= 0xdc00 && v <= 0xdfff)
		return 0;
	if (v >= 0xd800 && v <= 0xdbff) {
		if (end - p < 11 || p[5] != '\\' || p[6] != 'u' ||
		    hex4(p + 7, end, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return 0;
		*cp = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
		return 11;
	}
	*cp = v;
	return 5;
}

static char *put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* Decode a validated string body with escapes into out; returns length. */
static size_t str_decode(const char *p, const char *end, char *out)
{
	char *o = out;
	while (p < end) {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		uint32_t cp = 0;
		size_t l = esc_len(p + 1, end, &cp);
		o = put_utf8(o, cp);
		p += 1 + l;
	}
	return (size_t)(o - out);
}

/* Scan a string at s->p (on the opening quote).  On success *body and *blen are
 * the raw body and *esc says whether it holds escapes. */
static int sc_string(struct sc *s, const char **body, size_t *blen, bool *esc)
{
	const char *p = s->p + 1, *end = s->end;
	bool e = false;

	*body = p;
	for (;;) {
		p = str_skip_plain(p, end);
		if (p >= end)
			return -1;
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c == '\\') {
			uint32_t cp;
			size_t l = esc_len(p + 1, end, &cp);
			if (l == 0)
				return -1;
			p += 1 + l;
			e = true;
		} else if (c < 0x20) {
			return -1;
		} else {
			size_t l = utf8_len((const unsigned char *)p, (size_t)(end - p));
			if (l == 0)
				return -1;
			p += l;
		}
	}
	*blen = (size_t)(p - *body);
	*esc = e;
	s->p = p + 1;
	return 0;
}

/* A number: JSON grammar; integers must fit int64 and reals must be
 * finite, as jansson requires. */
static int sc_number(struct sc *s, struct win_jval *v)
{
	const char *p = s->p, *end = s->end, *start = p;
	bool neg = false, real = false;
	uint64_t acc = 0;
	bool ovf = false;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return -1;
	if (*p == '0') {
		p++;
	} else {
		while (p < end && *p >= '0' && *p <= '9') {
			unsigned d = (unsigned)(*p - '0');
			if (acc > (UINT64_MAX - d) / 10)
				ovf = true;
			else
				acc = acc * 10 + d;
			p++;
		}
	}
	if (p < end && *p == '.') {
		real = true;
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		real = true;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	s->p = p;
	if (!real) {
		if (ovf || acc > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
			return -1;
		if (v) {
			v->type = WJ_INT;
			v->i = neg ? (int64_t)(0 - acc) : (int64_t)acc;
			v->d = (double)v->i;
		}
	} else {
		char tmp[64], *ep, *heap = NULL;
		size_t len = (size_t)(p - start);
		char *buf = tmp;
		if (len >= sizeof tmp) {
			buf = heap = nw_xmalloc(len + 1);
		}
		memcpy(buf, start, len);
		buf[len] = '\0';
		errno = 0;
		double d = strtod(buf, &ep);
		free(heap);
		if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
			return -1;
		if (v) {
			v->type = WJ_REAL;
			v->d = d;
		}
	}
	if (v) {
		v->p = start;
		v->n = (uint32_t)(p - start);
	}
	return 0;
}

static int sc_literal(struct sc *s, const char *word, size_t len)
{
	if ((size_t)(s->end - s->p) < len || memcmp(s->p, word, len) != 0)
		return -1;
	s->p += len;
	return 0;
}

/* Forget what earlier occurrences of a node's descendants recorded: with
 * duplicate keys the last one wins, whole subtree included (as in jansson). */
static void clear_below(struct sc *s, int node)
{
	for (int c = s->t->node[node].first_child; c >= 0;
	     c = s->t->node[c].next_sibling) {
		s->vals[c].type = WJ_NONE;
		clear_below(s, c);
	}
}

/* Short keys compare faster inline than through a memcmp call. */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	for (; n >= 8; a += 8, b += 8, n -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
	}
	while (n--)
		if (*a++ != *b++)
			return false;
	return true;
}

static inline int find_child(const struct win_paths *t, int node,
                             const char *k, size_t klen)
{
	for (int c = t->node[node].bucket[pbucket(k, klen)]; c >= 0;
	     c = t->node[c].next_in_bucket)
		if (t->node[c].len == klen && same_bytes(t->node[c].name, k, klen))
			return c;
	return -1;
}

static int sc_object(struct sc *s, int node)
{
	bool want = node >= 0 && s->t != NULL &&
	            s->t->node[node].first_child >= 0;

	s->p++;                       /* '{' */
	sc_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		const char *k;
		size_t klen;
		bool esc;
		int child = -1;

		if (s->p >= s->end || *s->p != '"' || sc_string(s, &k, &klen, &esc) < 0)
			return -1;
		if (want && klen > 0) {
			if (esc) {
				klen = str_decode(k, k + klen, s->scratch);
				k = s->scratch;   /* transient: not kept */
			}
			if (klen > 0)
				child = find_child(s->t, node, k, klen);
		}
		sc_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return -1;
		s->p++;
		sc_ws(s);
		if (sc_value(s, child) < 0)
			return -1;
		sc_ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ',') {
			s->p++;
			sc_ws(s);
			continue;
		}
		if (*s->p == '}') {
			s->p++;
			return 0;
		}
		return -1;
	}
}

static int sc_array(struct sc *s)
{
	s->p++;                       /* '[' */
	sc_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (;;) {
		if (sc_value(s, -1) < 0)
			return -1;
		sc_ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ',') {
			s->p++;
			sc_ws(s);
			continue;
		}
		if (*s->p == ']') {
			s->p++;
			return 0;
		}
		return -1;
	}
}

/* One value at s->p; node >= 0 records it in s->vals[node]. */
static int sc_value(struct sc *s, int node)
{
	struct win_jval *v = node >= 0 ? &s->vals[node] : NULL;
	const char *start = s->p;
	int rc;

	if (s->p >= s->end)
		return -1;
	/* (the document itself, node 0, starts cleared) */
	if (v && s->t && node > 0 && s->t->node[node].first_child >= 0)
		clear_below(s, node);
	switch (*s->p) {
	case '"': {
		const char *b;
		size_t bl;
		bool esc;
		if (sc_string(s, &b, &bl, &esc) < 0)
			return -1;
		if (v) {
			v->type = WJ_STR;
			if (esc) {
				bl = str_decode(b, b + bl, s->scratch);
				b = s->scratch;
				s->scratch += bl;
			}
			v->p = b;
			v->n = (uint32_t)bl;
		}
		return 0;
	}
	case '{':
	case '[':
		if (++s->depth > WIN_JSON_MAX_DEPTH)
			return -1;
		rc = *s->p == '{' ? sc_object(s, node) : sc_array(s);
		s->depth--;
		if (rc < 0)
			return -1;
		if (v) {
			v->type = *start == '{' ? WJ_OBJ : WJ_ARR;
			v->p = start;
			v->n = (uint32_t)(s->p - start);
		}
		return 0;
	case 't': rc = sc_literal(s, "true", 4); if (v) v->type = WJ_TRUE; break;
	case 'f': rc = sc_literal(s, "false", 5); if (v) v->type = WJ_FALSE; break;
	case 'n': rc = sc_literal(s, "null", 4); if (v) v->type = WJ_NULL; break;
	default:
		return sc_number(s, v);
	}
	if (rc < 0)
		return -1;
	if (v) {
		v->p = start;
		v->n = (uint32_t)(s->p - start);
	}
	return 0;
}

enum win_scan_res win_scan(const struct win_paths *t, const char *line,
                           size_t n, struct win_jval *vals, char *scratch)
{
	struct sc s = { line, line + n, t, vals, scratch, 0 };

	memset(vals, 0, (size_t)t->n * sizeof *vals);
	sc_ws(&s);
	if (sc_value(&s, 0) < 0)
		return WIN_SCAN_BAD;
	sc_ws(&s);
	if (s.p != s.end)
		return WIN_SCAN_BAD;
	return WIN_SCAN_OK;
}

bool win_scan_arr_next(const struct win_jval *arr, size_t *pos,
                       struct win_jval *el, char *scratch)
{
	struct sc s = { arr->p + *pos, arr->p + arr->n, NULL, el, scratch, 0 };

	if (arr->type != WJ_ARR)
		return false;
	if (*pos == 0)
		s.p++;                /* '[' */
	sc_ws(&s);
	if (s.p < s.end && *s.p == ',')
		s.p++;
	sc_ws(&s);
	if (s.p >= s.end || *s.p == ']')
		return false;
	memset(el, 0, sizeof *el);
	if (sc_value(&s, 0) < 0)
		return false;
	*pos = (size_t)(s.p - arr->p);
	return true;
}
