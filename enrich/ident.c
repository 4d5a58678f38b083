/*
 * ident.c - the identity file: who owns an address or network.
 *
 * Two formats, told apart by the first line that is not blank or a '#'
 * comment:
 *   CSV      a header naming the columns, then one entry a line:
 *              ip_or_cidr,host,user,owner,team
 *              10.1.2.3,build-7,alice,platform,infra
 *            The address column may be called ip_or_cidr, ip or cidr; the
 *            others are optional, in any order; unknown columns are
 *            ignored.  A field may be "quoted" (with "" for a quote).
 *   JSON     one object a line ('{' first) with the same member names;
 *            other members are ignored, the known ones must be strings.
 * An empty value is absent.  Each address or network may appear once; a
 * host address beats the network that holds it (longest prefix wins).
 *
 * Ownership: an enr_ident owns its entries' strings and its set.
 */
#include "enr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { COL_ADDR, COL_HOST, COL_USER, COL_OWNER, COL_TEAM, COL_NONE };

/* The column a header or member name means. */
static int enr_col(const char *s, size_t n)
{
	static const char *const names[] = { "ip_or_cidr", "ip", "cidr", "host",
	                                     "user", "owner", "team" };
	static const int cols[] = { COL_ADDR, COL_ADDR, COL_ADDR, COL_HOST,
	                            COL_USER, COL_OWNER, COL_TEAM };

	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		if (strlen(names[i]) == n && strncasecmp(s, names[i], n) == 0)
			return cols[i];
	return COL_NONE;
}

/* One parsed line: the values by column (NULL: absent), the caller's. */
struct enr_row { char *v[COL_NONE]; };

static void enr_row_free(struct enr_row *r)
{
	for (int i = 0; i < COL_NONE; i++)
		free(r->v[i]);
	memset(r, 0, sizeof *r);
}

/* Keep a value for column col (the last one given wins). */
static void enr_row_set(struct enr_row *r, int col, const char *s, size_t n)
{
	if (col == COL_NONE)
		return;
	free(r->v[col]);
	r->v[col] = n > 0 ? nw_xstrndup(s, n) : NULL;
}

/* The next CSV field of [*pp, e) into b; *pp moves past its comma.  false
 * when a quoted field does not end with its quote. */
static bool enr_csv_field(const char **pp, const char *e, struct nw_buf *b)
{
	const char *p = *pp;

	nw_buf_reset(b);
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (p < e && *p == '"') {
		for (p++;; p++) {
			if (p >= e)
				return false;
			if (*p == '"' && !(p + 1 < e && p[1] == '"'))
				break;
			if (*p == '"')
				p++;
			nw_buf_addc(b, *p);
		}
		for (p++; p < e && (*p == ' ' || *p == '\t'); p++)
			;
		if (p < e && *p != ',')
			return false;
	} else {
		const char *c = memchr(p, ',', (size_t)(e - p)), *f = c ? c : e;
		while (f > p && (f[-1] == ' ' || f[-1] == '\t'))
			f--;
		nw_buf_add(b, p, (size_t)(f - p));
		p = c ? c : e;
	}
	*pp = p < e ? p + 1 : e;
	return true;
}

/* The header line: which column each field is.  -1 with a reason. */
static int enr_csv_header(const char *p, const char *e, int *cols, int *ncols,
                          char *why, size_t whylen)
{
	struct nw_buf b = { 0 };
	bool have_addr = false;

	*ncols = 0;
	while (p < e && *ncols < 64) {
		if (!enr_csv_field(&p, e, &b)) {
			snprintf(why, whylen, "unterminated quote in the header");
			nw_buf_free(&b);
			return -1;
		}
		cols[*ncols] = enr_col(b.p ? b.p : "", b.len);
		have_addr |= cols[(*ncols)++] == COL_ADDR;
	}
	nw_buf_free(&b);
	if (!have_addr) {
		snprintf(why, whylen, "the header names no ip_or_cidr column");
		return -1;
	}
	return 0;
}

static int enr_csv_row(const char *p, const char *e, const int *cols,
                       int ncols, struct enr_row *r, char *why, size_t whylen)
{
	struct nw_buf b = { 0 };

	for (int i = 0; p < e; i++) {
		if (!enr_csv_field(&p, e, &b)) {
			snprintf(why, whylen, "unterminated quote");
			nw_buf_free(&b);
			return -1;
		}
		enr_row_set(r, i < ncols ? cols[i] : COL_NONE, b.p, b.len);
	}
	nw_buf_free(&b);
	return 0;
}

static int enr_json_row(const char *p, const char *e, struct enr_row *r,
                        char *why, size_t whylen)
{
	char *scratch = nw_xcalloc(1, (size_t)(e - p) + 1);
	struct jscan_iter it;
	struct jscan_member m;
	enum jscan_res res = jscan_iter_begin(&it, p, (size_t)(e - p), scratch,
	                                      JSCAN_DUP_REJECT);
	int k = 0;

	if (res == JSCAN_OK) {
		while ((k = jscan_iter_next(&it, &m)) == 1) {
			int col = enr_col(m.name, m.nlen);
			if (col == COL_NONE)
				continue;
			if (m.v.type != JSCAN_STR) {
				snprintf(why, whylen, "\"%.*s\" is not a string",
				         (int)m.nlen, m.name);
				jscan_iter_free(&it);
				free(scratch);
				return -1;
			}
			enr_row_set(r, col, m.v.p, m.v.n);
		}
		res = k == 0 ? JSCAN_OK : (enum jscan_res)k;
	}
	jscan_iter_free(&it);
	free(scratch);
	if (res != JSCAN_OK) {
		snprintf(why, whylen, "%s", res == JSCAN_NOTOBJ ?
		         "not a JSON object" : jscan_strerror(res));
		return -1;
	}
	return 0;
}

/* Keep a parsed row as entry id->n, its network in the set. */
static int enr_ident_add(struct enr_ident *id, struct enr_row *r, int line,
                         char *why, size_t whylen)
{
	ipset_addr a;
	int plen;

	if (r->v[COL_ADDR] == NULL) {
		snprintf(why, whylen, "no address");
		return -1;
	}
	if (ipset_parse_net(r->v[COL_ADDR], strlen(r->v[COL_ADDR]), &a, &plen,
	                    why, whylen) < 0)
		return -1;
	if (id->n == id->cap) {
		id->cap = id->cap ? id->cap * 2 : 16;
		id->who = nw_xreallocarray(id->who, (size_t)id->cap, sizeof *id->who);
	}
	id->who[id->n] = (struct enr_who){ r->v[COL_HOST], r->v[COL_USER],
	                                   r->v[COL_OWNER], r->v[COL_TEAM], line };
	free(r->v[COL_ADDR]);
	memset(r, 0, sizeof *r);                /* the entry owns them now */
	ipset_add(&id->nets, a, plen, id->n++);
	return 0;
}

/* Every line after the format is known; -1 with why and *line set. */
static int enr_ident_lines(struct enr_ident *id, const char *text, size_t n,
                           int *line, char *why, size_t whylen)
{
	const char *p = text, *end = text + n;
	int cols[64], ncols = 0;
	bool json = false, started = false;

	for (*line = 1; p < end; (*line)++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end, *s = p;
		struct enr_row r = { 0 };
		int rc = 0;

		p = nl ? nl + 1 : end;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s == e || *s == '#')
			continue;
		if (!started) {
			started = true;
			json = *s == '{';
			if (!json) {
				if (enr_csv_header(s, e, cols, &ncols, why, whylen) < 0)
					return -1;
				continue;
			}
		}
		rc = json ? enr_json_row(s, e, &r, why, whylen)
		          : enr_csv_row(s, e, cols, ncols, &r, why, whylen);
		if (rc == 0)
			rc = enr_ident_add(id, &r, *line, why, whylen);
		enr_row_free(&r);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int enr_ident_parse(struct enr_ident *id, const char *text, size_t n,
                    const char *origin, char *err, size_t errlen)
{
	char why[300];
	int line, va, vb;

	memset(id, 0, sizeof *id);
	if (enr_ident_lines(id, text, n, &line, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s:%d: %s", origin, line, why);
		enr_ident_free(id);
		return -1;
	}
	if (ipset_build(&id->nets, &va, &vb, why, sizeof why) < 0) {
		int la = id->who[va].line, lb = id->who[vb].line;
		snprintf(err, errlen, "%s:%d: %s is also on line %d", origin,
		         la > lb ? la : lb, why, la > lb ? lb : la);
		enr_ident_free(id);
		return -1;
	}
	return 0;
}

const struct enr_who *enr_ident_find(const struct enr_ident *id, ipset_addr a)
{
	int i = ipset_find(&id->nets, a);

	return i < 0 ? NULL : &id->who[i];
}

void enr_ident_free(struct enr_ident *id)
{
	for (int i = 0; i < id->n; i++) {
		free(id->who[i].host);
		free(id->who[i].user);
		free(id->who[i].owner);
		free(id->who[i].team);
	}
	free(id->who);
	ipset_free(&id->nets);
	memset(id, 0, sizeof *id);
}
