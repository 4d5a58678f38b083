/*
 * patterns.c - regex extraction: pattern files (JSON) compiled with PCRE2
 * (JIT when the machine has it), tried in order on a line's message; the
 * first that matches adds "pattern", its named groups (typed) and its
 * constant "set" members to the signal.
 *
 * A pattern file is a JSON array (or {"patterns":[…]}) of
 *   {"name": "sshd_failed_password",        required, unique
 *    "app": "sshd",                          optional: only this app's lines
 *    "regex": "Failed password for (?<user>\\S+) from (?<src_ip>\\S+)",
 *    "types": {"src_port": "int"},           optional: int, float, string,
 *                                            flags (words -> array)
 *    "set": {"event": "auth_failure"}}       optional: constant members
 * Anything else in a pattern is an error, so a typo is not ignored.
 *
 * Ownership: a struct nz_patterns owns its compiled regexes, names and
 * match data; nz_pat_free releases them all.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "nz.h"

#include <errno.h>
#include <jansson.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum nz_type { NZ_T_STRING, NZ_T_INT, NZ_T_FLOAT, NZ_T_FLAGS };

struct nz_group {
	int num;                    /* capture number */
	char *name;
	enum nz_type type;
};

struct nz_pattern {
	char *name, *app;           /* app NULL: every line */
	pcre2_code *re;
	struct nz_group *g;
	int ng;
	char *set;                  /* ,"k":v,… rendered once (or NULL) */
};

struct nz_patterns {
	struct nz_pattern *v;
	int n;
	pcre2_match_data *md;       /* sized for the largest pattern */
};

/* Member names the header owns: a group or set member may not reuse one,
 * or the signal would name a member twice. */
static const char *const header_names[] = {
	"timestamp", "host", "app", "procid", "msgid", "facility",
	"facility_num", "severity", "severity_num", "structured_data",
	"message", "raw_base64", "pattern",
};

static bool reserved(const char *k)
{
	for (size_t i = 0; i < sizeof header_names / sizeof header_names[0]; i++)
		if (strcmp(k, header_names[i]) == 0)
			return true;
	return false;
}

static int fail(char *err, size_t sz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, sz, fmt, ap);
	va_end(ap);
	return -1;
}

static int type_parse(const char *s, enum nz_type *t)
{
	static const char *const names[] = { "string", "int", "float", "flags" };
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*t = (enum nz_type)i;
			return 0;
		}
	return -1;
}

static int compile_regex(struct nz_pattern *p, const char *src, const char *where,
                         char *err, size_t sz)
{
	int code;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[256];

	p->re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
	                      PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
	if (p->re == NULL) {
		pcre2_get_error_message(code, msg, sizeof msg);
		return fail(err, sz, "%s: regex: column %zu: %s", where,
		            (size_t)off + 1, (char *)msg);
	}
	pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE);   /* interpreted if no JIT */
	return 0;
}

/* The named groups, with their types from "types" (string by default). */
static int load_groups(struct nz_pattern *p, json_t *types, const char *where,
                       char *err, size_t sz)
{
	uint32_t count, esize;
	PCRE2_SPTR table;
	const char *k;
	json_t *v;

	pcre2_pattern_info(p->re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(p->re, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info(p->re, PCRE2_INFO_NAMETABLE, &table);
	p->g = nw_xcalloc(count ? count : 1, sizeof *p->g);
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + i * esize;
		struct nz_group *g = &p->g[p->ng++];
		g->num = (e[0] << 8) | e[1];
		g->name = nw_xstrdup((const char *)e + 2);
		if (reserved(g->name))
			return fail(err, sz, "%s: group \"%s\" is a header field's name",
			            where, g->name);
		for (int j = 0; j < p->ng - 1; j++)      /* (?J) allows twins */
			if (strcmp(p->g[j].name, g->name) == 0)
				return fail(err, sz, "%s: group \"%s\" named twice",
				            where, g->name);
	}
	json_object_foreach(types, k, v) {
		int i;
		for (i = 0; i < p->ng && strcmp(p->g[i].name, k) != 0; i++)
			;
		if (i == p->ng)
			return fail(err, sz, "%s: types: no group named \"%s\"", where, k);
		if (!json_is_string(v) || type_parse(json_string_value(v), &p->g[i].type))
			return fail(err, sz, "%s: types: \"%s\": want int, float, "
			            "string or flags", where, k);
	}
	return 0;
}

/* "set": rendered once as members to append. */
static int load_set(struct nz_pattern *p, json_t *set, const char *where,
                    char *err, size_t sz)
{
	struct nw_buf b = { 0 };
	const char *k;
	json_t *v;

	json_object_foreach(set, k, v) {
		int clash = reserved(k) ? 1 : 0;
		for (int i = 0; i < p->ng && !clash; i++)
			if (strcmp(p->g[i].name, k) == 0)
				clash = 2;
		if (clash) {
			nw_buf_free(&b);
			return fail(err, sz, "%s: set: \"%s\" is %s", where, k,
			            clash == 1 ? "a header field's name" : "also a group");
		}
		char *j = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		nw_buf_addc(&b, ',');
		nw_buf_add_jstr(&b, k, strlen(k));
		nw_buf_addc(&b, ':');
		nw_buf_adds(&b, j);
		free(j);
	}
	if (b.len) {
		nw_buf_addc(&b, '\0');
		p->set = b.p;
	}
	return 0;
}

static int load_one(struct nz_patterns *ps, json_t *o, const char *file,
                    int idx, char *err, size_t sz)
{
	static const char *const keys[] = { "name", "app", "regex", "types", "set" };
	char where[512];
	const char *k;
	json_t *v, *name = json_object_get(o, "name"), *re = json_object_get(o, "regex");
	json_t *app = json_object_get(o, "app"), *types = json_object_get(o, "types");
	json_t *set = json_object_get(o, "set");

	snprintf(where, sizeof where, "%s: pattern %d", file, idx + 1);
	if (!json_is_object(o))
		return fail(err, sz, "%s: not an object", where);
	json_object_foreach(o, k, v) {
		size_t i;
		for (i = 0; i < 5 && strcmp(k, keys[i]) != 0; i++)
			;
		if (i == 5)
			return fail(err, sz, "%s: unknown key \"%s\"", where, k);
	}
	if (!json_is_string(name) || json_string_length(name) == 0)
		return fail(err, sz, "%s: \"name\" must be a non-empty string", where);
	snprintf(where, sizeof where, "%s: pattern \"%s\"", file, json_string_value(name));
	for (int i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].name, json_string_value(name)) == 0)
			return fail(err, sz, "%s: the name is taken", where);
	if (!json_is_string(re))
		return fail(err, sz, "%s: \"regex\" must be a string", where);
	if ((app && !json_is_string(app)) || (types && !json_is_object(types)) ||
	    (set && !json_is_object(set)))
		return fail(err, sz, "%s: \"app\" is a string, \"types\" and \"set\" "
		            "objects", where);

	ps->v = nw_xrealloc(ps->v, (size_t)(ps->n + 1) * sizeof *ps->v);
	struct nz_pattern *p = &ps->v[ps->n++];
	*p = (struct nz_pattern){ .name = nw_xstrdup(json_string_value(name)),
	                          .app = app ? nw_xstrdup(json_string_value(app)) : NULL };
	if (compile_regex(p, json_string_value(re), where, err, sz) ||
	    load_groups(p, types, where, err, sz) || load_set(p, set, where, err, sz))
		return -1;
	return 0;
}

static int load_json(struct nz_patterns *ps, json_t *root, const char *file,
                     char *err, size_t sz)
{
	json_t *list = json_is_object(root) ? json_object_get(root, "patterns") : root;
	size_t i;
	json_t *o;

	if (!json_is_array(list))
		return fail(err, sz, "%s: want an array of patterns or "
		            "{\"patterns\":[…]}", file);
	json_array_foreach(list, i, o)
		if (load_one(ps, o, file, (int)i, err, sz) != 0)
			return -1;
	return 0;
}

struct nz_patterns *nz_pat_load(char *const *files, int nfiles,
                                const char *builtin, char *err, size_t sz)
{
	struct nz_patterns *ps = nw_xcalloc(1, sizeof *ps);
	json_error_t je;
	uint32_t most = 1, c;

	for (int f = 0; f <= nfiles; f++) {
		const char *name = f < nfiles ? files[f] : "built-in patterns";
		json_t *root;
		if (f == nfiles && builtin == NULL)
			break;
		root = f < nfiles ? json_load_file(name, JSON_REJECT_DUPLICATES, &je)
		                  : json_loads(builtin, JSON_REJECT_DUPLICATES, &je);
		if (root == NULL) {
			fail(err, sz, "%s: line %d: %s", name, je.line, je.text);
			goto bad;
		}
		int rc = load_json(ps, root, name, err, sz);
		json_decref(root);
		if (rc != 0)
			goto bad;
	}
	for (int i = 0; i < ps->n; i++) {
		pcre2_pattern_info(ps->v[i].re, PCRE2_INFO_CAPTURECOUNT, &c);
		if (c + 1 > most)
			most = c + 1;
	}
	ps->md = pcre2_match_data_create(most, NULL);
	return ps;
bad:
	nz_pat_free(ps);
	return NULL;
}

void nz_pat_free(struct nz_patterns *ps)
{
	if (ps == NULL)
		return;
	for (int i = 0; i < ps->n; i++) {
		struct nz_pattern *p = &ps->v[i];
		for (int g = 0; g < p->ng; g++)
			free(p->g[g].name);
		free(p->g);
		free(p->name);
		free(p->app);
		free(p->set);
		pcre2_code_free(p->re);
	}
	free(ps->v);
	pcre2_match_data_free(ps->md);
	free(ps);
}

int nz_pat_count(const struct nz_patterns *ps) { return ps ? ps->n : 0; }

void nz_pat_list(const struct nz_patterns *ps, FILE *out)
{
	for (int i = 0; i < ps->n; i++)
		fprintf(out, "%-32s %-10s %d groups\n", ps->v[i].name,
		        ps->v[i].app ? ps->v[i].app : "*", ps->v[i].ng);
}

/* One captured value as its type; false when the text is not valid UTF-8
 * (replaced) or not of its type (then written as a string, counted). */
static bool add_value(struct nw_buf *b, enum nz_type t, const char *s, size_t n,
                      uint64_t *type_errors)
{
	char tmp[64], *end;

	if ((t == NZ_T_INT || t == NZ_T_FLOAT) && n > 0 && n < sizeof tmp) {
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		if (t == NZ_T_INT) {
			errno = 0;
			long long v = strtoll(tmp, &end, 10);
			if (*end == '\0' && errno == 0 && tmp[0] != '+' && tmp[0] != ' ') {
				nw_buf_add_i64(b, v);
				return true;
			}
		} else {
			double v = strtod(tmp, &end);
			if (*end == '\0' && v == v && v - v == 0 && strpbrk(tmp, "xXnN") == NULL) {
				nw_buf_adds(b, tmp);
				return true;
			}
		}
		(*type_errors)++;
	} else if (t == NZ_T_INT || t == NZ_T_FLOAT) {
		(*type_errors)++;
	}
	if (t != NZ_T_FLAGS)
		return nw_buf_add_jstr(b, s, n);
	bool ok = true, first = true;
	nw_buf_addc(b, '[');
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && s[j] != ' ')
			j++;
		if (j > i) {
			if (!first)
				nw_buf_addc(b, ',');
			first = false;
			ok &= nw_buf_add_jstr(b, s + i, j - i);
		}
		i = j + 1;
	}
	nw_buf_addc(b, ']');
	return ok;
}

int nz_pat_apply(struct nz_patterns *ps, const struct sl_msg *m,
                 struct nw_buf *b, uint64_t *type_errors, bool *utf8_ok)
{
	const char *msg = m->msg.p ? m->msg.p : "";

	for (int i = 0; i < ps->n; i++) {
		struct nz_pattern *p = &ps->v[i];
		if (p->app && (m->app.n != strlen(p->app) ||
		               memcmp(m->app.p, p->app, m->app.n) != 0))
			continue;
		if (pcre2_match(p->re, (PCRE2_SPTR)msg, m->msg.n, 0, 0, ps->md, NULL) < 0)
			continue;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ps->md);
		nw_buf_adds(b, ",\"pattern\":");
		nw_buf_add_jstr(b, p->name, strlen(p->name));
		for (int g = 0; g < p->ng; g++) {
			PCRE2_SIZE s = ov[2 * p->g[g].num], e = ov[2 * p->g[g].num + 1];
			if (s == PCRE2_UNSET)
				continue;                    /* an optional group: absent */
			nw_buf_addc(b, ',');
			nw_buf_add_jstr(b, p->g[g].name, strlen(p->g[g].name));
			nw_buf_addc(b, ':');
			*utf8_ok &= add_value(b, p->g[g].type, msg + s, e - s, type_errors);
		}
		if (p->set)
			nw_buf_adds(b, p->set);
		return i;
	}
	return -1;
}
