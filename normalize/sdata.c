/*
 * sdata.c - RFC 5424 STRUCTURED-DATA: 1*SD-ELEMENT, each
 * "[" SD-ID *(SP PARAM-NAME "=" DQUOTE PARAM-VALUE DQUOTE) "]", where names
 * are 1..32 printable US-ASCII characters but '=', SP, ']' and '"', and a
 * value escapes '"', '\' and ']' with a backslash (a backslash before any
 * other character is itself).
 *
 * sl_sd_scan validates; sl_sd_json renders a validated run as JSON.  The
 * renderer owns nothing between calls: its scratch lists live on the stack
 * (an element holds at most SD_PARAMS parameters; more is a dead letter).
 */
#include "syslog.h"
#include "nw.h"

#include <stdlib.h>
#include <string.h>

#define SD_NAME_MAX 32
#define SD_PARAMS   64          /* parameters in one element, at most */

static bool name_char(unsigned char c)
{
	return c >= 33 && c <= 126 && c != '=' && c != ']' && c != '"';
}

static bool sd_name(const char **p, const char *end, struct sl_str *out)
{
	const char *s = *p;
	while (s < end && name_char((unsigned char)*s))
		s++;
	if (s == *p || s - *p > SD_NAME_MAX)
		return false;
	*out = (struct sl_str){ *p, (size_t)(s - *p) };
	*p = s;
	return true;
}

/* The value between the quotes, as written (escapes kept); *p past the
 * closing quote. */
static bool sd_value(const char **p, const char *end, struct sl_str *out)
{
	const char *s = *p;
	if (s >= end || *s++ != '"')
		return false;
	const char *v = s;
	while (s < end && *s != '"')
		s += (*s == '\\' && s + 1 < end) ? 2 : 1;
	if (s >= end)
		return false;
	*out = (struct sl_str){ v, (size_t)(s - v) };
	*p = s + 1;
	return true;
}

/* One element; calls back for its SD-ID (param NULL) and each param. */
typedef void (*sd_fn)(void *arg, const struct sl_str *id,
                      const struct sl_str *name, const struct sl_str *val);

static const char *sd_element(const char **p, const char *end, sd_fn fn,
                              void *arg)
{
	struct sl_str id, name, val;
	int np = 0;

	if (*p >= end || **p != '[')
		return "invalid STRUCTURED-DATA";
	(*p)++;
	if (!sd_name(p, end, &id))
		return "invalid STRUCTURED-DATA: bad SD-ID";
	if (fn)
		fn(arg, &id, NULL, NULL);
	while (*p < end && **p == ' ') {
		(*p)++;
		if (!sd_name(p, end, &name) || *p >= end || **p != '=')
			return "invalid STRUCTURED-DATA: bad PARAM-NAME";
		(*p)++;
		if (!sd_value(p, end, &val))
			return "invalid STRUCTURED-DATA: bad PARAM-VALUE";
		if (++np > SD_PARAMS)
			return "invalid STRUCTURED-DATA: too many parameters";
		if (fn)
			fn(arg, &id, &name, &val);
	}
	if (*p >= end || **p != ']')
		return "invalid STRUCTURED-DATA: no closing ]";
	(*p)++;
	return NULL;
}

const char *sl_sd_scan(const char **p, const char *end)
{
	const char *why;
	do {
		if ((why = sd_element(p, end, NULL, NULL)) != NULL)
			return why;
	} while (*p < end && **p == '[');
	return NULL;
}

/* ---- rendering ---------------------------------------------------------- */

struct sd_elem {
	struct sl_str id;
	struct sl_str name[SD_PARAMS], val[SD_PARAMS];
	int n;
};

static void collect(void *arg, const struct sl_str *id,
                    const struct sl_str *name, const struct sl_str *val)
{
	struct sd_elem *e = arg;
	if (name == NULL) {
		e->id = *id;
		e->n = 0;
		return;
	}
	e->name[e->n] = *name;
	e->val[e->n++] = *val;
}

static bool same(const struct sl_str *a, const struct sl_str *b)
{
	return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* A value with its escapes undone, as a JSON string.  Most values have
 * no backslash and go straight to the JSON writer. */
static void add_value(struct nw_buf *b, const struct sl_str *v)
{
	char *u;
	size_t k = 0;

	if (memchr(v->p, '\\', v->n) == NULL) {
		nw_buf_add_jstr(b, v->p, v->n);
		return;
	}
	u = nw_xmalloc(v->n);
	for (size_t i = 0; i < v->n; i++) {
		if (v->p[i] == '\\' && i + 1 < v->n &&
		    (v->p[i + 1] == '"' || v->p[i + 1] == '\\' || v->p[i + 1] == ']'))
			i++;
		u[k++] = v->p[i];
	}
	nw_buf_add_jstr(b, u, k);
	free(u);
}

/* {"name":"v", "twice":["a","b"], ...} in order of first appearance. */
static void add_params(struct nw_buf *b, const struct sd_elem *e)
{
	nw_buf_addc(b, '{');
	for (int i = 0, first = 1; i < e->n; i++) {
		int seen = 0, count = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = same(&e->name[j], &e->name[i]);
		if (seen)
			continue;
		for (int j = i; j < e->n; j++)
			count += same(&e->name[j], &e->name[i]);
		if (!first)
			nw_buf_addc(b, ',');
		first = 0;
		nw_buf_add_jstr(b, e->name[i].p, e->name[i].n);
		nw_buf_addc(b, ':');
		if (count == 1) {
			add_value(b, &e->val[i]);
			continue;
		}
		nw_buf_addc(b, '[');
		for (int j = i, k = 0; j < e->n; j++)
			if (same(&e->name[j], &e->name[i])) {
				if (k++)
					nw_buf_addc(b, ',');
				add_value(b, &e->val[j]);
			}
		nw_buf_addc(b, ']');
	}
	nw_buf_addc(b, '}');
}

bool sl_sd_json(struct nw_buf *b, const char *sd, size_t n)
{
	struct sl_str ids[64];
	struct sd_elem e;
	const char *p = sd, *end = sd + n;
	size_t mark = b->len;
	int nid = 0;

	nw_buf_addc(b, '{');
	while (p < end && *p == '[') {
		if (sd_element(&p, end, collect, &e) != NULL)
			goto bad;
		for (int i = 0; i < nid; i++)
			if (same(&ids[i], &e.id))
				goto bad;          /* an SD-ID twice: RFC 5424 6.3.2 */
		if (nid == (int)(sizeof ids / sizeof ids[0]))
			goto bad;
		ids[nid++] = e.id;
		if (nid > 1)
			nw_buf_addc(b, ',');
		nw_buf_add_jstr(b, e.id.p, e.id.n);
		nw_buf_addc(b, ':');
		add_params(b, &e);
	}
	nw_buf_addc(b, '}');
	return true;
bad:
	b->len = mark;
	return false;
}
