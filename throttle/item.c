/* item.c - input lines: classify (alert, control line, blank, bad), pull
 * out what the gate needs from an alert, render its Redis key. */
#include "thr.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Placeholders of the key template, looked up by name. */
enum tmpl_field { TF_KEY, TF_KEY_FIELD, TF_RULE };
static const struct { const char *name; enum tmpl_field f; } tmpl_names[] = {
	{ "key", TF_KEY }, { "key_field", TF_KEY_FIELD }, { "rule", TF_RULE },
};

int thr_tmpl_render(const char *tmpl, const struct thr_fields *f,
                    struct nw_buf *out, char *err, size_t errlen)
{
	const char *p = tmpl;

	while (*p) {
		const char *brace = strpbrk(p, "{}");
		if (brace == NULL) {
			nw_buf_adds(out, p);
			break;
		}
		nw_buf_add(out, p, (size_t)(brace - p));
		if (brace[1] == brace[0]) {         /* "{{" or "}}" */
			nw_buf_addc(out, brace[0]);
			p = brace + 2;
			continue;
		}
		if (*brace == '}') {
			snprintf(err, errlen, "unmatched '}' in key template "
			         "(write '}}' for a literal brace)");
			return -1;
		}
		const char *close = strchr(brace, '}');
		if (close == NULL) {
			snprintf(err, errlen, "unclosed '{' in key template");
			return -1;
		}
		size_t n = (size_t)(close - brace - 1), i;
		for (i = 0; i < sizeof tmpl_names / sizeof tmpl_names[0]; i++)
			if (strlen(tmpl_names[i].name) == n &&
			    memcmp(tmpl_names[i].name, brace + 1, n) == 0)
				break;
		if (i == sizeof tmpl_names / sizeof tmpl_names[0]) {
			snprintf(err, errlen, "unknown placeholder {%.*s} in key "
			         "template (known: {key}, {key_field}, {rule})",
			         (int)(n > 40 ? 40 : n), brace + 1);
			return -1;
		}
		switch (tmpl_names[i].f) {
		case TF_KEY:       nw_buf_add(out, f->key, f->key_len); break;
		case TF_KEY_FIELD: nw_buf_add(out, f->key_field, f->key_field_len); break;
		case TF_RULE:      nw_buf_add(out, f->rule, f->rule_len); break;
		}
		p = close + 1;
	}
	return 0;
}

/* ---- fast path ------------------------------------------------------------
 * A strict scanner for the common line: a valid JSON object whose type,
 * alert_id, rule, key_field and key are plain strings.  It either proves
 * exactly that (SC_OK, fields pointing into the line) or gives up (SC_SLOW)
 * and jansson decides; anything unusual (\u escapes, exponents, long
 * numbers, deep nesting, duplicate fields) takes the slow path, so the
 * verdict on a line never depends on which path read it. */
enum { SC_OK = 0, SC_SLOW = -1 };
#define SC_DEPTH_MAX 32

struct scan {
	const char *p, *end;
	int depth;
};

/* The top-level members the gate reads. */
enum { SF_TYPE, SF_ID, SF_RULE, SF_KEY_FIELD, SF_KEY, SF_N };
static const struct { const char *name; size_t len; } sc_fields[SF_N] = {
	{ "type", 4 }, { "alert_id", 8 }, { "rule", 4 }, { "key_field", 9 },
	{ "key", 3 },
};

static void sc_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	                         *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* A string; *esc says whether it held (simple) escapes. */
static int sc_string(struct scan *s, const char **str, size_t *len, bool *esc)
{
	const char *b;

	if (s->p >= s->end || *s->p != '"')
		return SC_SLOW;
	b = ++s->p;
	*esc = false;
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p;
		if (c == '"') {
			*str = b, *len = (size_t)(s->p - b);
			s->p++;
			return SC_OK;
		}
		if (c < 0x20)
			return SC_SLOW;
		if (c == '\\') {
			if (s->p + 1 >= s->end || s->p[1] == '\0' ||
			    strchr("\"\\/bfnrt", s->p[1]) == NULL)
				return SC_SLOW;
			*esc = true;
			s->p += 2;
			continue;
		}
		s->p++;
	}
	return SC_SLOW;
}

static bool sc_digit(const struct scan *s)
{
	return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)? of at most 16 bytes: fits jansson's int64
 * and double without overflow. */
static int sc_number(struct scan *s)
{
	const char *b = s->p;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (!sc_digit(s))
		return SC_SLOW;
	if (*s->p++ != '0')
		while (sc_digit(s))
			s->p++;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!sc_digit(s))
			return SC_SLOW;
		while (sc_digit(s))
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
		return SC_SLOW;
	return s->p - b <= 16 ? SC_OK : SC_SLOW;
}

static int sc_literal(struct scan *s, const char *lit, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return SC_SLOW;
	s->p += n;
	return SC_OK;
}

static int sc_object(struct scan *s, struct thr_fields *top, const char **id,
                     size_t *idn, unsigned *seen);

static int sc_value(struct scan *s)
{
	const char *str;
	size_t n;
	bool esc;
	int rc;

	if (s->p >= s->end)
		return SC_SLOW;
	switch (*s->p) {
	case '"': return sc_string(s, &str, &n, &esc);
	case '{': return sc_object(s, NULL, NULL, NULL, NULL);
	case 't': return sc_literal(s, "true", 4);
	case 'f': return sc_literal(s, "false", 5);
	case 'n': return sc_literal(s, "null", 4);
	case '[':
		if (++s->depth > SC_DEPTH_MAX)
			return SC_SLOW;
		s->p++;
		sc_ws(s);
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			s->depth--;
			return SC_OK;
		}
		for (;;) {
			if ((rc = sc_value(s)) != SC_OK)
				return rc;
			sc_ws(s);
			if (s->p < s->end && *s->p == ',') {
				s->p++;
				sc_ws(s);
				continue;
			}
			if (s->p < s->end && *s->p == ']') {
				s->p++;
				s->depth--;
				return SC_OK;
			}
			return SC_SLOW;
		}
	default:
		return sc_number(s);
	}
}

/* Record a top-level member the gate reads: a plain string, seen once. */
static int sc_field(struct scan *s, int f, struct thr_fields *top,
                    const char **id, size_t *idn, unsigned *seen)
{
	const char *str;
	size_t n;
	bool esc;

	if (*seen & (1u << f) || sc_string(s, &str, &n, &esc) != SC_OK || esc)
		return SC_SLOW;
	*seen |= 1u << f;
	switch (f) {
	case SF_TYPE:
		if (n != 5 || memcmp(str, "alert", 5) != 0)
			return SC_SLOW;
		break;
	case SF_ID:        *id = str, *idn = n; break;
	case SF_RULE:      top->rule = str, top->rule_len = n; break;
	case SF_KEY_FIELD: top->key_field = str, top->key_field_len = n; break;
	case SF_KEY:       top->key = str, top->key_len = n; break;
	}
	return SC_OK;
}

static int sc_object(struct scan *s, struct thr_fields *top, const char **id,
                     size_t *idn, unsigned *seen)
{
	const char *key;
	size_t kn;
	bool esc;
	int rc;

	if (s->p >= s->end || *s->p != '{' || ++s->depth > SC_DEPTH_MAX)
		return SC_SLOW;
	s->p++;
	sc_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		s->depth--;
		return SC_OK;
	}
	for (;;) {
		if (sc_string(s, &key, &kn, &esc) != SC_OK || (top && esc))
			return SC_SLOW;
		sc_ws(s);
		if (s->p >= s->end || *s->p++ != ':')
			return SC_SLOW;
		sc_ws(s);
		int f = SF_N;
		if (top)
			for (f = 0; f < SF_N; f++)
				if (kn == sc_fields[f].len &&
				    memcmp(key, sc_fields[f].name, kn) == 0)
					break;
		rc = f < SF_N ? sc_field(s, f, top, id, idn, seen) : sc_value(s);
		if (rc != SC_OK)
			return rc;
		sc_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			sc_ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			s->depth--;
			return SC_OK;
		}
		return SC_SLOW;
	}
}

int thr_item_scan(const char *line, size_t n, struct thr_fields *f,
                  const char **id, size_t *idn)
{
	struct scan s = { line, line + n, 0 };
	unsigned seen = 0;

	if (!nw_utf8_valid(line, n))
		return SC_SLOW;
	sc_ws(&s);
	if (sc_object(&s, f, id, idn, &seen) != SC_OK)
		return SC_SLOW;
	sc_ws(&s);
	if (s.p != s.end || seen != (1u << SF_N) - 1 || *idn == 0 ||
	    *idn > THR_ID_MAX)
		return SC_SLOW;
	return SC_OK;
}

/* ---- slow path: jansson ----------------------------------------------- */

/* A string member, or NULL. */
static const char *jstr(json_t *o, const char *name, size_t *len)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	return json_string_value(v);
}

static bool all_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* Copy line, key, id and rule into one allocation the item owns. */
static int item_fill(struct thr_item *it, const char *line, size_t n,
                     const struct nw_buf *key, const char *id, size_t idn,
                     const char *rule, size_t rulen)
{
	size_t total = n + 1 + key->len + 1 + idn + 1 + rulen + 1;
	char *m = nw_xmalloc(total);

	it->mem = m;
	it->line = m, it->line_len = n;
	memcpy(m, line, n), m[n] = '\0', m += n + 1;
	it->key = m, it->key_len = key->len;
	if (key->len)
		memcpy(m, key->p, key->len);
	m[key->len] = '\0', m += key->len + 1;
	it->id = m, it->id_len = idn;
	memcpy(m, id, idn), m[idn] = '\0', m += idn + 1;
	it->rule = m, it->rule_len = rulen;
	memcpy(m, rule, rulen), m[rulen] = '\0';
	return 0;
}

/* An alert needs "type":"alert" and the strings the gate and the template
 * use; everything else about it passes through untouched. */
static const char *alert_fields(json_t *root, struct thr_fields *f,
                                const char **id, size_t *idn)
{
	size_t tn;
	const char *type;

	if (!json_is_object(root))
		return "not a JSON object";
	type = jstr(root, "type", &tn);
	if (type == NULL || tn != 5 || memcmp(type, "alert", 5) != 0)
		return "not an alert (\"type\" is not \"alert\")";
	if ((*id = jstr(root, "alert_id", idn)) == NULL || *idn == 0)
		return "alert without a string alert_id";
	if (*idn > THR_ID_MAX)
		return "alert_id too long";
	if (memchr(*id, '\0', *idn))
		return "alert_id contains NUL";
	if ((f->rule = jstr(root, "rule", &f->rule_len)) == NULL)
		return "alert without a string rule";
	if ((f->key_field = jstr(root, "key_field", &f->key_field_len)) == NULL)
		return "alert without a string key_field";
	if ((f->key = jstr(root, "key", &f->key_len)) == NULL)
		return "alert without a string key";
	return NULL;
}

int thr_item_init(struct thr_item *it, const char *line, size_t n,
                  const char *tmpl, const char **reason)
{
	static const struct nw_buf nokey = { 0 };
	json_error_t jerr;
	struct thr_fields f = { 0 };
	struct nw_buf key = { 0 };
	const char *id = NULL;
	size_t idn = 0;
	char terr[160];
	int rc = 0;

	memset(it, 0, sizeof *it);
	*reason = NULL;
	if (all_blank(line, n)) {
		it->kind = THR_BLANK;
		return 0;
	}
	if (nw_ctl_maybe(line, n)) {
		json_t *ctl = nw_ctl_parse(line, n);
		if (ctl) {
			json_decref(ctl);
			it->kind = THR_CTL;
			it->state = THR_PASS;
			return item_fill(it, line, n, &nokey, "", 0, "", 0);
		}
	}
	it->kind = THR_BAD;
	json_t *root = NULL;
	if (thr_item_scan(line, n, &f, &id, &idn) != SC_OK) {
		if ((root = json_loadb(line, n, JSON_REJECT_DUPLICATES,
		                       &jerr)) == NULL) {
			*reason = "invalid JSON";
			return 0;
		}
		if ((*reason = alert_fields(root, &f, &id, &idn)) != NULL)
			goto out;
	}
	if (thr_tmpl_render(tmpl, &f, &key, terr, sizeof terr) < 0) {
		*reason = "key template";      /* validated at start-up: unreachable */
		goto out;
	}
	if (key.len > THR_KEY_MAX) {
		*reason = "rendered Redis key too long";
		goto out;
	}
	it->kind = THR_ALERT;
	it->state = THR_WAIT;
	rc = item_fill(it, line, n, key.len ? &key : &nokey, id, idn, f.rule,
	               f.rule_len);
out:
	nw_buf_free(&key);
	json_decref(root);
	return rc;
}

void thr_item_free(struct thr_item *it)
{
	free(it->mem);
	it->mem = NULL;
}
