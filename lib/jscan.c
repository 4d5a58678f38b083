/* jscan.c - a validating single-pass JSON scanner that extracts wanted paths
 * or walks an object's members.
 *
 * Speed comes from four things: strings (most of an event's bytes) are
 * scanned sixteen bytes at a time for the only bytes that need a look
 * ('"', '\\', control bytes, non-ASCII); keys are matched against a small
 * trie only at levels where something is wanted; duplicate names are found
 * through a 64-bit Bloom filter per object (a hash index only for objects of
 * many members); nothing is allocated for ordinary lines. */
#include "jscan.h"
#include "nw.h"

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
	        (unsigned char)k[n - 1] * 3) & (JSCAN_PBUCKETS - 1);
}

static int paths_node(struct jscan_paths *t, const char *name, size_t len)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->node = nw_xreallocarray(t->node, (size_t)t->cap, sizeof *t->node);
	}
	struct jscan_pnode *nd = &t->node[t->n];
	nd->name = nw_xstrndup(name, len);
	nd->len = (uint32_t)len;
	nd->first_child = nd->next_sibling = nd->next_in_bucket = -1;
	memset(nd->bucket, 0xff, sizeof nd->bucket);
	return t->n++;
}

void jscan_paths_init(struct jscan_paths *t, unsigned mode)
{
	memset(t, 0, sizeof *t);
	t->mode = mode;
	paths_node(t, "", 0);
}

int jscan_paths_add(struct jscan_paths *t, const char *dotted)
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

void jscan_paths_free(struct jscan_paths *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->node[i].name);
	free(t->node);
	memset(t, 0, sizeof *t);
}

const char *jscan_strerror(enum jscan_res r)
{
	switch (r) {
	case JSCAN_OK:     return "valid JSON";
	case JSCAN_NOTOBJ: return "not a JSON object";
	case JSCAN_DUP:    return "invalid JSON: duplicate key";
	default:           return "invalid JSON";
	}
}

/* ---- scanner ------------------------------------------------------------ */

static int sc_value(struct jscan_state *s, int node);

static inline void sc_ws(struct jscan_state *s)
{
	s->p = jscan_ws(s->p, s->end);
}

static void sc_init(struct jscan_state *s, const char *p, const char *end,
                    const struct jscan_paths *t, struct jscan_val *vals,
                    char *scratch, unsigned mode)
{
	s->p = p;
	s->end = end;
	s->t = t;
	s->vals = vals;
	s->scratch = scratch;
	s->depth = 0;
	s->mode = mode;
	s->dups = (mode & JSCAN_DUP_MASK) == JSCAN_DUP_REJECT;
	s->keys = s->local;
	s->nkeys = 0;
	s->capkeys = JSCAN_KEYS_INLINE;
}

/* Give back the name stack if an object of many members made it grow. */
static void sc_release(struct jscan_state *s)
{
	if (s->keys != s->local)
		free(s->keys);
	s->keys = s->local;
	s->nkeys = 0;
	s->capkeys = JSCAN_KEYS_INLINE;
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
 * after the backslash, 0 when invalid.  Like jansson: lone surrogates are
 * errors, and \u0000 too unless nul. */
static size_t esc_len(const char *p, const char *end, uint32_t *cp, bool nul)
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
	if (hex4(p + 1, end, &v) < 0 || (v == 0 && !nul))
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
		size_t l = esc_len(p + 1, end, &cp, true);
		o = put_utf8(o, cp);
		p += 1 + l;
	}
	return (size_t)(o - out);
}

/* String flags sc_string reports. */
enum { STR_ESC = 1, STR_NUL = 2 };

/* Scan a string at s->p (on the opening quote).  On success *body and *blen
 * are the raw body and *fl says whether it holds escapes (and \u0000). */
static inline __attribute__((always_inline)) int
sc_string(struct jscan_state *s, const char **body, size_t *blen,
                     unsigned *fl)
{
	const char *p = s->p + 1, *end = s->end;
	unsigned f = 0;

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
			size_t l = esc_len(p + 1, end, &cp,
			                   (s->mode & JSCAN_ALLOW_NUL) != 0);
			if (l == 0)
				return -1;
			p += 1 + l;
			f |= cp == 0 ? STR_ESC | STR_NUL : STR_ESC;
		} else if (c < 0x20) {
			return -1;
		} else {
			size_t l = nw_utf8_seq((const unsigned char *)p, (size_t)(end - p));
			if (l == 0)
				return -1;
			p += l;
		}
	}
	*blen = (size_t)(p - *body);
	*fl = f;
	s->p = p + 1;
	return 0;
}

/* A real's value (its text validated), -1 when it overflows a double.  Out
 * of line: it needs a NUL-terminated copy and is the rare case, so the
 * recursive scanner's frames stay small. */
static __attribute__((noinline)) int sc_real(const char *start, size_t len,
                                             double *out)
{
	char tmp[64], *ep, *heap = NULL;
	char *buf = tmp;

	if (len >= sizeof tmp) {
		buf = heap = nw_xmalloc(len + 1);
	}
	memcpy(buf, start, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtod(buf, &ep);
	free(heap);
	if (errno == ERANGE && (*out == HUGE_VAL || *out == -HUGE_VAL))
		return -1;
	return 0;
}

/* A number: JSON grammar; integers must fit int64 and reals must be
 * finite, as jansson requires. */
static inline int sc_number(struct jscan_state *s, struct jscan_val *v)
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
		/* nineteen digits cannot overflow 64 bits; twenty or more
		 * (the first not 0) are out of int64's range anyway */
		const char *d0 = p;
		while (p < end && *p >= '0' && *p <= '9') {
			acc = acc * 10 + (unsigned)(*p - '0');
			p++;
		}
		ovf = p - d0 > 19;
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
			v->type = JSCAN_INT;
			v->i = neg ? (int64_t)(0 - acc) : (int64_t)acc;
			v->d = (double)v->i;
		}
	} else {
		double d;
		if (sc_real(start, (size_t)(p - start), &d) < 0)
			return -1;
		if (v) {
			v->type = JSCAN_REAL;
			v->d = d;
		}
	}
	if (v) {
		v->p = start;
		v->n = (uint32_t)(p - start);
	}
	return 0;
}

static int sc_literal(struct jscan_state *s, const char *word, size_t len)
{
	if ((size_t)(s->end - s->p) < len || memcmp(s->p, word, len) != 0)
		return -1;
	s->p += len;
	return 0;
}

/* Forget what earlier occurrences of a node's descendants recorded: with
 * duplicate keys the last one wins, whole subtree included (as in jansson). */
static void clear_below(struct jscan_state *s, int node)
{
	for (int c = s->t->node[node].first_child; c >= 0;
	     c = s->t->node[c].next_sibling) {
		s->vals[c].type = JSCAN_NONE;
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

static inline int find_child(const struct jscan_paths *t, int node,
                             const char *k, size_t klen)
{
	for (int c = t->node[node].bucket[pbucket(k, klen)]; c >= 0;
	     c = t->node[c].next_in_bucket)
		if (t->node[c].len == klen && same_bytes(t->node[c].name, k, klen))
			return c;
	return -1;
}

/* ---- duplicate names ------------------------------------------------------ */

/* Objects up to this many members check names through the Bloom filter and
 * a scan of the (few) names that share its bit; larger ones build an index,
 * so a hostile object of many members costs linear time. */
#define KEYS_SMALL 32

/* The filter's bit for a name: its length and end bytes, which tell the
 * names of one object apart well enough, for a few instructions.  (k[-1]
 * is never read: an empty name has no end byte.) */
static inline uint64_t key_bit(const char *k, uint32_t n)
{
	unsigned last = n ? (unsigned char)k[n - 1] : 0;
	unsigned first = n ? (unsigned char)k[0] : 0;
	return 1ull << ((n * 5 + first * 3 + last) & 63);
}

/* The index's hash reads every byte: objects of many members may be
 * hostile. */
static uint32_t key_hash(const char *k, uint32_t n)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 16777619u;
	return h;
}

static inline bool key_same(const struct jscan_key *a, const char *k,
                            uint32_t n)
{
	return a->n == n && same_bytes(a->p, k, n);
}

/* The name stack outgrew its inline room (deep or wide lines). */
static __attribute__((noinline)) void key_grow(struct jscan_state *s)
{
	size_t cap = (size_t)s->capkeys * 2;
	struct jscan_key *nk = nw_xreallocarray(s->keys == s->local ? NULL : s->keys,
	                                        cap, sizeof *nk);

	if (s->keys == s->local)
		memcpy(nk, s->local, sizeof s->local);
	s->keys = nk;
	s->capkeys = (uint32_t)cap;
}

static inline void key_push(struct jscan_state *s, const char *k, uint32_t n)
{
	if (__builtin_expect(s->nkeys == s->capkeys, 0))
		key_grow(s);
	s->keys[s->nkeys++] = (struct jscan_key){ k, n };
}

/* Put name i of the stack into frame f's index (slots hold i + 1). */
static void idx_put(struct jscan_state *s, struct jscan_frame *f, uint32_t i)
{
	uint32_t m = f->icap - 1;
	uint32_t j = key_hash(s->keys[i].p, s->keys[i].n) & m;
	while (f->idx[j] != 0)
		j = (j + 1) & m;
	f->idx[j] = i + 1;
}

static void idx_grow(struct jscan_state *s, struct jscan_frame *f)
{
	free(f->idx);
	f->icap = f->icap ? f->icap * 2 : 4 * KEYS_SMALL;
	f->idx = nw_xcalloc(f->icap, sizeof *f->idx);
	for (uint32_t i = f->base; i < s->nkeys; i++)
		idx_put(s, f, i);
}

/* A large object's name, through its index: -1 when seen, else added. */
static int key_add_large(struct jscan_state *s, struct jscan_frame *f,
                         const char *k, uint32_t n)
{
	if ((s->nkeys - f->base) * 2 >= f->icap)
		idx_grow(s, f);
	uint32_t m = f->icap - 1, j = key_hash(k, n) & m;
	for (; f->idx[j] != 0; j = (j + 1) & m)
		if (key_same(&s->keys[f->idx[j] - 1], k, n))
			return -1;
	key_push(s, k, n);
	f->idx[j] = s->nkeys;
	return 0;
}

/* The name's filter bit is taken: compare with the object's names for
 * real, or, once the object is large, switch it to an index.  -1 seen,
 * 0 new (not yet added), 1 new and added. */
static __attribute__((noinline)) int key_check(struct jscan_state *s,
                                               struct jscan_frame *f,
                                               const char *k, uint32_t n)
{
	if (s->nkeys - f->base >= KEYS_SMALL)
		return key_add_large(s, f, k, n) < 0 ? -1 : 1;
	for (uint32_t i = f->base; i < s->nkeys; i++)
		if (key_same(&s->keys[i], k, n))
			return -1;
	return 0;
}

/* -1 when k already names a member of the frame's object, else records
 * it. */
static inline int key_add(struct jscan_state *s, struct jscan_frame *f,
                          const char *k, uint32_t n)
{
	uint64_t bit;
	int rc;

	if (__builtin_expect(f->idx != NULL, 0))
		return key_add_large(s, f, k, n);
	bit = key_bit(k, n);
	if ((f->bloom & bit) && (rc = key_check(s, f, k, n)) != 0)
		return rc < 0 ? -1 : 0;
	f->bloom |= bit;
	key_push(s, k, n);
	return 0;
}

static void frame_open(struct jscan_state *s, struct jscan_frame *f)
{
	f->base = s->nkeys;
	f->bloom = 0;
	f->idx = NULL;
	f->icap = 0;
}

static void frame_close(struct jscan_state *s, struct jscan_frame *f)
{
	free(f->idx);
	f->idx = NULL;
	f->icap = 0;
	s->nkeys = f->base;
}

/* ---- objects, arrays, values ---------------------------------------------- */

/* One member name at s->p, through the ':' and the blanks after it.  *k and
 * *klen are the decoded name when the caller needs it (want) or the
 * duplicate check does; escaped names are then decoded into the scratch
 * area and stay there for the line, since the frame refers to them.
 * 0, or -1 bad, -2 duplicate. */
static inline __attribute__((always_inline)) int
sc_name(struct jscan_state *s, struct jscan_frame *f, bool want,
                          const char **k, size_t *klen)
{
	unsigned fl;
	bool dups = s->dups;

	if (s->p >= s->end || *s->p != '"' || sc_string(s, k, klen, &fl) < 0)
		return -1;
	if (__builtin_expect(fl != 0, 0)) {
		if (fl & STR_NUL)
			return -1;            /* as jansson: no NUL in a name */
		if (want || dups) {
			*klen = str_decode(*k, *k + *klen, s->scratch);
			*k = s->scratch;
			s->scratch += *klen;
		}
	}
	if (dups && key_add(s, f, *k, (uint32_t)*klen) < 0)
		return -2;
	if (s->p < s->end && *s->p == ':') {   /* the compact case */
		s->p++;
	} else {
		sc_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return -1;
		s->p++;
	}
	sc_ws(s);
	return 0;
}

/* After a member or element: 1 for ',' (another follows), 0 for the
 * closing byte, -1 otherwise. */
static inline int sc_next(struct jscan_state *s, char close)
{
	sc_ws(s);
	if (s->p >= s->end)
		return -1;
	if (*s->p == ',') {
		s->p++;
		sc_ws(s);
		return 1;
	}
	if (*s->p == close) {
		s->p++;
		return 0;
	}
	return -1;
}

static int sc_object(struct jscan_state *s, int node)
{
	bool want = node >= 0 && s->t != NULL &&
	            s->t->node[node].first_child >= 0;
	struct jscan_frame f;
	int rc;

	s->p++;                       /* '{' */
	sc_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	frame_open(s, &f);
	do {
		const char *k;
		size_t klen;
		int child = -1;

		if ((rc = sc_name(s, &f, want, &k, &klen)) < 0)
			break;
		if (want && klen > 0)
			child = find_child(s->t, node, k, klen);
		if ((rc = sc_value(s, child)) < 0)
			break;
	} while ((rc = sc_next(s, '}')) > 0);
	frame_close(s, &f);
	return rc;
}

static int sc_array(struct jscan_state *s)
{
	int rc;

	s->p++;                       /* '[' */
	sc_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	do {
		if ((rc = sc_value(s, -1)) < 0)
			return rc;
	} while ((rc = sc_next(s, ']')) > 0);
	return rc;
}

/* One value at s->p; node >= 0 records it in s->vals[node].  0, or -1 bad,
 * -2 duplicate name. */
static int sc_value(struct jscan_state *s, int node)
{
	struct jscan_val *v = node >= 0 ? &s->vals[node] : NULL;
	const char *start = s->p;
	int rc;

	if (s->p >= s->end)
		return -1;
	/* (the document itself, node 0, starts cleared; with REJECT a
	 * member is never seen twice) */
	if (v && s->t && node > 0 && s->t->node[node].first_child >= 0 &&
	    !s->dups)
		clear_below(s, node);
	/* strings and numbers first, by plain tests: a jump table on the
	 * first byte mispredicts far more often */
	if (*s->p == '"') {
		const char *b;
		size_t bl;
		unsigned fl;
		if (sc_string(s, &b, &bl, &fl) < 0)
			return -1;
		if (v) {
			v->type = JSCAN_STR;
			if (fl & STR_ESC) {
				bl = str_decode(b, b + bl, s->scratch);
				b = s->scratch;
				s->scratch += bl;
			}
			v->p = b;
			v->n = (uint32_t)bl;
		}
		return 0;
	}
	if ((unsigned char)(*s->p - '0') <= 9 || *s->p == '-')
		return sc_number(s, v);
	switch (*s->p) {
	case '{':
	case '[':
		if (++s->depth > JSCAN_MAX_DEPTH)
			return -1;
		rc = *s->p == '{' ? sc_object(s, node) : sc_array(s);
		s->depth--;
		if (rc < 0)
			return rc;
		if (v) {
			v->type = *start == '{' ? JSCAN_OBJ : JSCAN_ARR;
			v->p = start;
			v->n = (uint32_t)(s->p - start);
		}
		return 0;
	case 't': rc = sc_literal(s, "true", 4); if (v) v->type = JSCAN_TRUE; break;
	case 'f': rc = sc_literal(s, "false", 5); if (v) v->type = JSCAN_FALSE; break;
	case 'n': rc = sc_literal(s, "null", 4); if (v) v->type = JSCAN_NULL; break;
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

static enum jscan_res sc_res(int rc)
{
	return rc == -2 ? JSCAN_DUP : rc < 0 ? JSCAN_BAD : JSCAN_OK;
}

enum jscan_res jscan_scan(const struct jscan_paths *t, const char *line,
                          size_t n, struct jscan_val *vals, char *scratch)
{
	struct jscan_state s;
	int rc;

	sc_init(&s, line, line + n, t, vals, scratch, t->mode);
	memset(vals, 0, (size_t)t->n * sizeof *vals);
	sc_ws(&s);
	rc = sc_value(&s, 0);
	sc_release(&s);
	if (rc < 0)
		return sc_res(rc);
	sc_ws(&s);
	return s.p == s.end ? JSCAN_OK : JSCAN_BAD;
}

bool jscan_arr_next(const struct jscan_val *arr, size_t *pos,
                    struct jscan_val *el, char *scratch)
{
	struct jscan_state s;
	bool ok;

	if (arr->type != JSCAN_ARR)
		return false;
	/* the array was validated when it was scanned: names need no check */
	sc_init(&s, arr->p + *pos, arr->p + arr->n, NULL, el, scratch,
	        JSCAN_DUP_LAST | JSCAN_ALLOW_NUL);
	if (*pos == 0)
		s.p++;                /* '[' */
	sc_ws(&s);
	if (s.p < s.end && *s.p == ',')
		s.p++;
	sc_ws(&s);
	if (s.p >= s.end || *s.p == ']')
		return false;
	memset(el, 0, sizeof *el);
	ok = sc_value(&s, 0) == 0;
	sc_release(&s);
	if (ok)
		*pos = (size_t)(s.p - arr->p);
	return ok;
}

/* ---- the member iterator ---------------------------------------------------- */

static int iter_fail(struct jscan_iter *it, int rc)
{
	jscan_iter_free(it);
	it->state = 2;
	return sc_res(rc);
}

enum jscan_res jscan_iter_begin(struct jscan_iter *it, const char *line,
                                size_t n, char *scratch, unsigned mode)
{
	int rc;

	sc_init(&it->s, line, line + n, NULL, NULL, scratch, mode);
	it->line = line;
	it->state = 0;
	frame_open(&it->s, &it->top);
	sc_ws(&it->s);
	if (it->s.p < it->s.end && *it->s.p == '{') {
		it->s.p++;
		it->s.depth = 1;
		sc_ws(&it->s);
		return JSCAN_OK;
	}
	/* not an object: still say whether it is JSON */
	if ((rc = sc_value(&it->s, -1)) < 0)
		return (enum jscan_res)iter_fail(it, rc);
	sc_ws(&it->s);
	if (it->s.p != it->s.end)
		return (enum jscan_res)iter_fail(it, -1);
	jscan_iter_free(it);
	it->state = 2;
	return JSCAN_NOTOBJ;
}

int jscan_iter_next(struct jscan_iter *it, struct jscan_member *m)
{
	struct jscan_state *s = &it->s;
	int rc;

	if (it->state == 2)
		return 0;
	if (it->state == 0 && s->p < s->end && *s->p == '}') {
		s->p++;
		goto end;
	}
	if (it->state == 1 && (rc = sc_next(s, '}')) <= 0) {
		if (rc < 0)
			return iter_fail(it, rc);
		goto end;
	}
	it->state = 1;
	if ((rc = sc_name(s, &it->top, true, &m->name, &m->nlen)) < 0)
		return iter_fail(it, rc);
	m->raw = s->p;
	memset(&m->v, 0, sizeof m->v);
	s->vals = &m->v;
	if ((rc = sc_value(s, 0)) < 0)
		return iter_fail(it, rc);
	m->rawn = (size_t)(s->p - m->raw);
	return 1;
end:
	sc_ws(s);
	if (s->p != s->end)
		return iter_fail(it, -1);
	jscan_iter_free(it);
	it->state = 2;
	return 0;
}

size_t jscan_iter_offset(const struct jscan_iter *it)
{
	return (size_t)(it->s.p - it->line);
}

void jscan_iter_free(struct jscan_iter *it)
{
	frame_close(&it->s, &it->top);
	sc_release(&it->s);
}
