/* rules.c - loading rule sets and applying them to window records. */
#include "rules.h"
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rule_sev_names[] = { "info", "warning", "critical" };

#define RULE_DEFAULT_MESSAGE \
	"{rule} {key_field} {key}: {metric} {value} (threshold {threshold}) " \
	"in {window_seconds}s"

/* Placeholders other than record fields. */
static const struct { const char *name; int kind; } rule_specials[] = {
	{ "key", SEG_KEY }, { "key_field", SEG_KEY_FIELD },
	{ "window_seconds", SEG_WINDOW_SECONDS }, { "window_start", SEG_WINDOW_START },
	{ "window_end", SEG_WINDOW_END }, { "rule", SEG_RULE },
	{ "severity", SEG_SEVERITY }, { "metric", SEG_METRIC },
	{ "value", SEG_VALUE }, { "threshold", SEG_THRESHOLD },
	{ "host_group", SEG_HOST_GROUP }, { "baseline", SEG_BASELINE },
};

static bool rule_is_ident(const char *s, size_t n)
{
	if (n == 0 || (!isalpha((unsigned char)s[0]) && s[0] != '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

static void rule_free_one(struct rule *r)
{
	free(r->name);
	free(r->when);
	free(r->metric);
	free(r->key_field);
	free(r->message);
	free(r->seg);
	free(r->need);
	free(r->ins);
	free(r->gthr);
	expr_free(&r->ex);
	base_spec_free(&r->base);
	if (r->bt) {
		base_free(r->bt);
		free(r->bt);
	}
}

static void rule_seg_text(struct rule *r, const char *s, size_t n)
{
	r->seg = nw_xrealloc(r->seg, (size_t)(r->nseg + 1) * sizeof *r->seg);
	r->seg[r->nseg++] = (struct rule_seg){ SEG_TEXT, s, n, -1 };
}

/* Split the message template into segments once, so rendering is a walk. */
static int rule_compile_message(struct rule_set *rs, struct rule *r,
                                char *err, size_t errlen)
{
	const char *s = r->message, *p = s;

	while (*p) {
		const char *lit = p;
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			rule_seg_text(r, p, 1);     /* a doubled brace is one brace */
			p += 2;
			continue;
		}
		if (*p != '{') {
			while (*p && *p != '{' && !(p[0] == '}' && p[1] == '}'))
				p++;
			rule_seg_text(r, lit, (size_t)(p - lit));
			continue;
		}
		/* a placeholder */
		const char *name = ++p;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		if (*p != '}' || !rule_is_ident(name, (size_t)(p - name))) {
			int col = 1;
			for (const char *q = s; q < p; q++)
				if (((unsigned char)*q & 0xc0) != 0x80)
					col++;
			snprintf(err, errlen, "message: column %d: expected a field name "
			         "and '}' after '{' (write '{{' for a brace)", col);
			return -1;
		}
		struct rule_seg sg = { SEG_FIELD, name, (size_t)(p - name), -1 };
		for (size_t i = 0; i < sizeof rule_specials / sizeof rule_specials[0]; i++)
			if (strlen(rule_specials[i].name) == sg.len &&
			    memcmp(rule_specials[i].name, name, sg.len) == 0)
				sg.kind = rule_specials[i].kind;
		if (sg.kind == SEG_FIELD)
			sg.sym = sym_intern(&rs->syms, name, sg.len);
		r->seg = nw_xrealloc(r->seg, (size_t)(r->nseg + 1) * sizeof *r->seg);
		r->seg[r->nseg++] = sg;
		p++;
	}
	return 0;
}

/* Bind the expression's set tests to the rule set's sets, sharing one
 * rule_in per distinct test among all rules. */
static int rule_bind_ins(struct rule_set *rs, struct rule *r, char *err,
                         size_t errlen)
{
	r->ins = nw_xcalloc((size_t)r->ex.nins + 1, sizeof *r->ins);
	for (int i = 0; i < r->ex.nins; i++) {
		const struct expr_in *t = &r->ex.ins[i];
		int set = hosts_set_find(&rs->hosts, t->set, t->setlen), k;
		if (set < 0) {
			snprintf(err, errlen, "when: column %d: no set @%.*s (define it "
			         "under \"sets\" in the rules file, or with --set "
			         "NAME=FILE)", t->col, (int)t->setlen, t->set);
			return -1;
		}
		for (k = 0; k < rs->nins && rs->ins[k].sym != t->sym; k++)
			;
		if (k == rs->nins) {
			rs->ins = nw_xreallocarray(rs->ins, (size_t)rs->nins + 1,
			                           sizeof *rs->ins);
			rs->ins[rs->nins++] = (struct rule_in){ t->sym, t->field,
				strcmp(rs->syms.names[t->field], "key") == 0, set };
		}
		r->ins[r->nins++] = k;
		r->need[r->nneed++] = t->sym;
	}
	return 0;
}

/* sym must be a number in the record for the rule to be evaluated. */
static void rule_need(struct rule *r, int sym)
{
	for (int i = 0; i < r->nneed; i++)
		if (r->need[i] == sym)
			return;
	r->need[r->nneed++] = sym;
}

/* Compile the expression, then settle metric, threshold and message. */
static int rule_finish(struct rule_set *rs, struct rule *r, bool have_thr,
                       char *err, size_t errlen)
{
	struct expr_err ee;

	if (expr_compile(&r->ex, r->when, &rs->syms, &ee) < 0) {
		snprintf(err, errlen, "when: %s", ee.msg);
		return -1;
	}
	if (r->metric == NULL) {
		if (r->ex.nfields == 0) {
			snprintf(err, errlen, "when: names no field, so there is no "
			         "metric to report");
			return -1;
		}
		r->metric = nw_xstrdup(rs->syms.names[r->ex.fields[0]]);
	}
	r->metric_sym = sym_intern(&rs->syms, r->metric, strlen(r->metric));
	if (!have_thr && !expr_threshold(&r->ex, &r->threshold)) {
		snprintf(err, errlen, "when: compares nothing with a number, so the "
		         "threshold is unknown (give \"threshold\")");
		return -1;
	}
	if (r->message == NULL)
		r->message = nw_xstrdup(RULE_DEFAULT_MESSAGE);
	if (rule_compile_message(rs, r, err, errlen) < 0)
		return -1;
	/* Fields the rule cannot do without: the expression's, its set tests'
	 * and the metric. */
	r->need = nw_xmalloc((size_t)(r->ex.nfields + r->ex.nins + 2) *
	                     sizeof *r->need);
	memcpy(r->need, r->ex.fields, (size_t)r->ex.nfields * sizeof *r->need);
	r->nneed = r->ex.nfields;
	if (rule_bind_ins(rs, r, err, errlen) < 0)
		return -1;
	rule_need(r, r->metric_sym);
	if (r->base.kind) {
		r->base.sym = sym_intern(&rs->syms, r->base.value,
		                         strlen(r->base.value));
		rule_need(r, r->base.sym);
		r->bt = nw_xmalloc(sizeof *r->bt);
		base_init(r->bt, rs->max_keys, rs->key_ttl_ms);
	}
	r->key_field_len = r->key_field ? strlen(r->key_field) : 0;
	return 0;
}

static int rule_add(struct rule_set *rs, struct rule *r, char *err, size_t errlen)
{
	for (int i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i].name, r->name) == 0) {
			snprintf(err, errlen, "rule name used twice");
			return -1;
		}
	rs->v = nw_xrealloc(rs->v, (size_t)(rs->n + 1) * sizeof *rs->v);
	rs->v[rs->n++] = *r;
	return 0;
}

/* A baseline or spike rule reports its value; without "when" it needs
 * none: its expression is the floor (or the spike's minimum), so the
 * threshold, a group's override of it and --check work as for any rule. */
static int rule_base_defaults(struct rule *r, char *err, size_t errlen)
{
	struct nw_buf b = { 0 };

	if (!rule_is_ident(r->base.value, strlen(r->base.value))) {
		snprintf(err, errlen, "\"value\" must be a field name");
		return -1;
	}
	if (r->key_field == NULL) {
		snprintf(err, errlen, "a baseline or spike rule needs \"key_field\": "
		         "it learns each key of that field");
		return -1;
	}
	if (r->metric == NULL)
		r->metric = nw_xstrdup(r->base.value);
	if (r->when != NULL)
		return 0;
	if (r->base.cold_when || r->base.cold_spike) {
		snprintf(err, errlen, "\"cold\": \"%s\" needs a \"when\"",
		         r->base.cold_when ? "when" : "spike");
		return -1;
	}
	nw_buf_printf(&b, "%s >= %.17g", r->base.value,
	              r->base.kind == BASE_SPIKE ? r->base.min : r->base.floor);
	nw_buf_addc(&b, '\0');
	r->when = b.p;
	return 0;
}

/* One rule object of a rules file. */
static int rule_from_json(struct rule_set *rs, json_t *o, char *err, size_t errlen)
{
	struct rule r = { .thr_param = -1 };
	bool have_thr = false;
	const char *k;
	json_t *v;
	char why[300];

	if (!json_is_object(o)) {
		snprintf(err, errlen, "a rule must be an object");
		return -1;
	}
	v = json_object_get(o, "name");
	if (!json_is_string(v) || !cfg_name_ok(json_string_value(v))) {
		snprintf(err, errlen, "\"name\" must be a string of letters, digits, "
		         "'_', '-' or '.' (at most 64)");
		return -1;
	}
	r.name = nw_xstrdup(json_string_value(v));
	r.severity = SEV_WARNING;
	json_object_foreach(o, k, v) {
		const char *bad = NULL;
		if (strcmp(k, "name") == 0) {
			continue;
		} else if (strcmp(k, "severity") == 0) {
			int s = -1;
			for (int i = 0; i < 3 && json_is_string(v); i++)
				if (strcmp(json_string_value(v), rule_sev_names[i]) == 0)
					s = i;
			if (s < 0)
				bad = "\"severity\" must be \"info\", \"warning\" or \"critical\"";
			r.severity = s;
		} else if (strcmp(k, "when") == 0) {
			if (!json_is_string(v))
				bad = "\"when\" must be a string (an expression)";
			else
				r.when = nw_xstrdup(json_string_value(v));
		} else if (strcmp(k, "metric") == 0) {
			if (!json_is_string(v) || !rule_is_ident(json_string_value(v),
			                                          json_string_length(v)))
				bad = "\"metric\" must be a field name";
			else
				r.metric = nw_xstrdup(json_string_value(v));
		} else if (strcmp(k, "threshold") == 0) {
			if (!json_is_number(v))
				bad = "\"threshold\" must be a number";
			r.threshold = json_number_value(v);
			have_thr = true;
		} else if (strcmp(k, "message") == 0) {
			if (!json_is_string(v) || strlen(json_string_value(v)) !=
			    json_string_length(v))
				bad = "\"message\" must be a string";
			else
				r.message = nw_xstrdup(json_string_value(v));
		} else if (strcmp(k, "baseline") == 0 || strcmp(k, "spike") == 0) {
			if (r.base.kind) {
				bad = "a rule is a \"baseline\" or a \"spike\", not both";
			} else if (base_spec_json(&r.base, k[0] == 'b' ? BASE_EWMA :
			                          BASE_SPIKE, v, why, sizeof why) < 0) {
				snprintf(err, errlen, "\"%s\": %s", k, why);
				goto fail;
			}
		} else if (strcmp(k, "key_field") == 0) {
			if (!json_is_string(v) || json_string_length(v) == 0 ||
			    strlen(json_string_value(v)) != json_string_length(v))
				bad = "\"key_field\" must be a non-empty string";
			else
				r.key_field = nw_xstrdup(json_string_value(v));
		} else {
			snprintf(err, errlen, "unknown key \"%s\" (known: name, severity, "
			         "when, metric, threshold, message, key_field, "
			         "baseline, spike)", k);
			goto fail;
		}
		if (bad) {
			snprintf(err, errlen, "%s", bad);
			goto fail;
		}
	}
	if (r.base.kind && rule_base_defaults(&r, err, errlen) < 0)
		goto fail;
	if (r.when == NULL) {
		snprintf(err, errlen, "\"when\" (the expression) is missing");
		goto fail;
	}
	if (rule_finish(rs, &r, have_thr, err, errlen) < 0 ||
	    rule_add(rs, &r, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	rule_free_one(&r);
	return -1;
}

/* Prefix err with where the rule came from and its name. */
static void rule_err_where(char *err, size_t errlen, const char *origin,
                           const char *name, int idx)
{
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%s", err);
	if (name)
		snprintf(err, errlen, "%s: rule \"%s\": %s", origin, name, tmp);
	else
		snprintf(err, errlen, "%s: rule #%d: %s", origin, idx + 1, tmp);
}

int rule_set_add_json(struct rule_set *rs, const char *text, size_t n,
                      const char *origin, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *arr;
	size_t i;

	root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, errlen, "%s: line %d column %d: %s", origin, je.line,
		         je.column, je.text);
		return -1;
	}
	arr = root;
	if (json_is_object(root)) {
		json_t *sets = json_object_get(root, "sets");
		arr = json_object_get(root, "rules");
		if (json_object_size(root) != 1 + (sets != NULL) || arr == NULL)
			arr = NULL;
		else if (sets && hosts_set_json(&rs->hosts, sets, origin, err,
		                                errlen) < 0) {
			json_decref(root);
			return -1;
		}
	}
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		snprintf(err, errlen, "%s: expected a non-empty array of rules, or "
		         "{\"rules\":[…]}", origin);
		json_decref(root);
		return -1;
	}
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		if (rule_from_json(rs, o, err, errlen) < 0) {
			json_t *nm = json_is_object(o) ? json_object_get(o, "name") : NULL;
			rule_err_where(err, errlen, origin,
			               json_is_string(nm) ? json_string_value(nm) : NULL,
			               (int)i);
			json_decref(root);
			return -1;
		}
	}
	json_decref(root);
	return 0;
}

int rule_set_add_flag(struct rule_set *rs, const char *spec, char *err,
                      size_t errlen)
{
	struct rule r = { .thr_param = -1 };
	const char *colon = strchr(spec, ':');
	const char *ns = spec, *ne;

	if (colon == NULL) {
		snprintf(err, errlen, "--rule '%s': expected 'NAME: EXPRESSION'", spec);
		return -1;
	}
	while (ns < colon && isspace((unsigned char)*ns))
		ns++;
	ne = colon;
	while (ne > ns && isspace((unsigned char)ne[-1]))
		ne--;
	r.name = nw_xmalloc((size_t)(ne - ns) + 1);
	memcpy(r.name, ns, (size_t)(ne - ns));
	r.name[ne - ns] = '\0';
	if (!cfg_name_ok(r.name)) {
		snprintf(err, errlen, "--rule '%s': the name must be letters, digits, "
		         "'_', '-' or '.' (at most 64)", spec);
		goto fail;
	}
	r.severity = SEV_WARNING;
	/* columns of error messages count from the expression's first character */
	for (ns = colon + 1; isspace((unsigned char)*ns); ns++)
		;
	r.when = nw_xstrdup(ns);
	if (rule_finish(rs, &r, false, err, errlen) < 0 ||
	    rule_add(rs, &r, err, errlen) < 0) {
		rule_err_where(err, errlen, "--rule", r.name, 0);
		goto fail;
	}
	return 0;
fail:
	rule_free_one(&r);
	return -1;
}

static void rule_bind_alloc(struct rule_set *rs)
{
	size_t n = (size_t)rs->syms.n;
	rs->val = nw_xmalloc(n * sizeof *rs->val);
	rs->ref = nw_xmalloc(n * sizeof *rs->ref);
	rs->stamp = nw_xcalloc(n, sizeof *rs->stamp);
	rs->gen = 0;
}

/* A group's override replaces the number the rule's expression compares
 * with: that literal becomes a parameter set per record (rule_set_apply).
 * Only the rules a group overrides are touched, so without groups every
 * expression is exactly as compiled. */
static int rule_group_arm(struct rule *ru, int g, int ngroup, double v,
                          char *err, size_t errlen)
{
	int node = expr_threshold_node(&ru->ex);

	if (node < 0 || ru->ex.n[node].num != ru->threshold) {
		snprintf(err, errlen, "thresholds: rule \"%s\" compares nothing with "
		         "its threshold, so a group cannot override it", ru->name);
		return -1;
	}
	if (ru->gthr == NULL) {
		ru->gthr = nw_xmalloc((size_t)ngroup * sizeof *ru->gthr);
		for (int i = 0; i < ngroup; i++)
			ru->gthr[i] = NAN;
		ru->thr_param = expr_param(&ru->ex, node);
	}
	ru->gthr[g] = v;
	return 0;
}

int rule_set_groups(struct rule_set *rs, char *err, size_t errlen)
{
	const struct hosts *h = &rs->hosts;

	for (int g = 0; g < h->ngroup; g++)
		for (int t = 0; t < h->group[g].nthr; t++) {
			const struct hosts_thr *o = &h->group[g].thr[t];
			char why[400];
			int i;
			for (i = 0; i < rs->n && strcmp(rs->v[i].name, o->rule) != 0; i++)
				;
			if (i == rs->n)
				snprintf(why, sizeof why, "thresholds: no rule \"%s\"", o->rule);
			if (i == rs->n || rule_group_arm(&rs->v[i], g, h->ngroup, o->v,
			                                 why, sizeof why) < 0) {
				snprintf(err, errlen, "%s: group \"%s\": %s", h->groups_origin,
				         h->group[g].name, why);
				return -1;
			}
		}
	return 0;
}

struct rule_set *rule_set_load(const struct rule_src *src, char *err,
                               size_t errlen)
{
	struct rule_set *rs = nw_xcalloc(1, sizeof *rs);
	int rc = 0;

	rs->max_keys = src->max_keys;
	rs->key_ttl_ms = src->key_ttl_ms;
	for (int i = 0; rc == 0 && i < src->nsets; i++)
		rc = hosts_set_flag(&rs->hosts, src->sets[i], err, errlen);
	if (rc == 0 && src->allow)
		rc = hosts_allow_load(&rs->hosts, src->allow, err, errlen);
	if (rc == 0 && src->groups)
		rc = hosts_groups_load(&rs->hosts, src->groups, err, errlen);
	if (rc == 0 && src->path) {
		size_t n;
		char *text = cfg_read(src->path, &n, err, errlen);
		rc = text ? rule_set_add_json(rs, text, n, src->path, err, errlen) : -1;
		free(text);
	} else if (rc == 0 && src->nflags == 0) {
		rc = rule_set_add_json(rs, rule_default_json, strlen(rule_default_json),
		                       "built-in rules", err, errlen);
	}
	for (int i = 0; rc == 0 && i < src->nflags; i++)
		rc = rule_set_add_flag(rs, src->flags[i], err, errlen);
	if (rc == 0)
		rc = rule_set_groups(rs, err, errlen);
	if (rc < 0) {
		rule_set_free(rs);
		return NULL;
	}
	rule_bind_alloc(rs);
	return rs;
}

/* A reloaded rule keeps what it learned while it follows the same value
 * the same way; the old rule gets the new one's empty table to free. */
static void rule_carry_keys(struct rule *to, struct rule *from)
{
	struct base_table *t = to->bt;

	if (to->bt == NULL || from->bt == NULL || to->base.kind != from->base.kind ||
	    strcmp(to->base.value, from->base.value) != 0)
		return;
	to->bt = from->bt;
	from->bt = t;
}

void rule_set_carry(struct rule_set *to, struct rule_set *from)
{
	for (int i = 0; i < to->n; i++)
		for (int j = 0; j < from->n; j++)
			if (strcmp(to->v[i].name, from->v[j].name) == 0) {
				to->v[i].fired = from->v[j].fired;
				to->v[i].missing_field = from->v[j].missing_field;
				to->v[i].div_by_zero = from->v[j].div_by_zero;
				rule_carry_keys(&to->v[i], &from->v[j]);
			}
}

void rule_set_free(struct rule_set *rs)
{
	if (rs == NULL)
		return;
	for (int i = 0; i < rs->n; i++)
		rule_free_one(&rs->v[i]);
	free(rs->v);
	hosts_free(&rs->hosts);
	free(rs->ins);
	sym_free(&rs->syms);
	free(rs->val);
	free(rs->ref);
	free(rs->stamp);
	nw_buf_free(&rs->out);
	free(rs);
}

/* ---- numbers ----------------------------------------------------------- */

#define RULE_EXACT 9007199254740992.0   /* 2^53: integers print exactly */

void rule_fmt_json(struct nw_buf *b, double v)
{
	char tmp[40];

	if (v == floor(v) && fabs(v) < RULE_EXACT) {
		nw_buf_add_i64(b, (int64_t)v);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	nw_buf_adds(b, tmp);
}

void rule_fmt_text(struct nw_buf *b, double v)
{
	char tmp[48];
	size_t n;

	if (v == floor(v) && fabs(v) < RULE_EXACT) {
		nw_buf_add_i64(b, (int64_t)v);
		return;
	}
	if (fabs(v) >= 1e15 || fabs(v) < 0.01) {
		snprintf(tmp, sizeof tmp, "%.3g", v);
		nw_buf_adds(b, tmp);
		return;
	}
	snprintf(tmp, sizeof tmp, "%.2f", v);
	n = strlen(tmp);
	while (tmp[n - 1] == '0')
		n--;
	if (tmp[n - 1] == '.')
		n--;
	nw_buf_add(b, tmp, n);
}

uint64_t rule_alert_id(const char *rule, const char *key, size_t klen,
                       int64_t window_end)
{
	char num[24];
	uint64_t h = nw_fnv1a(NW_FNV1A_INIT, rule, strlen(rule));

	snprintf(num, sizeof num, "%" PRId64, window_end);
	h = nw_fnv1a(h, "\n", 1);
	h = nw_fnv1a(h, key, klen);
	h = nw_fnv1a(h, "\n", 1);
	return nw_fnv1a(h, num, strlen(num));
}

/* ---- applying ---------------------------------------------------------- */

/* Make the record's fields visible to the rules by symbol. */
static void rule_bind(struct rule_set *rs, const struct rec *r)
{
	if (++rs->gen == 0) {
		memset(rs->stamp, 0, (size_t)rs->syms.n * sizeof *rs->stamp);
		rs->key_gen = rs->hash_gen = 0;
		rs->gen = 1;
	}
	for (int i = 0; i < r->n; i++) {
		const struct rec_field *f = &r->f[i];
		int k = sym_find(&rs->syms, f->name, f->nlen, f->hash);
		if (k < 0)
			continue;
		rs->stamp[k] = rs->gen;
		rs->ref[k] = f;
		rs->val[k] = f->num;
	}
}

static bool rule_has_num(const struct rule_set *rs, int sym)
{
	return rs->stamp[sym] == rs->gen &&
	       (rs->ref[sym]->kind == RK_INT || rs->ref[sym]->kind == RK_REAL);
}

/* What one firing depends on besides the rule and the record. */
struct rule_hit {
	double      thr;       /* the threshold in force (a group's, or the rule's) */
	const char *group;     /* the key's host group, or NULL */
	double      ref;       /* a baseline's mean or a spike's previous value */
};

static void rule_render(struct rule_set *rs, const struct rule *ru,
                        const struct rec *r, const struct rule_hit *h,
                        struct nw_buf *b)
{
	for (int i = 0; i < ru->nseg; i++) {
		const struct rule_seg *s = &ru->seg[i];
		const struct rec_field *f;
		switch (s->kind) {
		case SEG_TEXT:      nw_buf_add(b, s->text, s->len); break;
		case SEG_KEY:       nw_buf_add(b, r->key, r->klen); break;
		case SEG_KEY_FIELD: nw_buf_add(b, r->key_field, r->kflen); break;
		case SEG_WINDOW_SECONDS:
			rule_fmt_text(b, ((double)r->window_end - (double)r->window_start) / 1000);
			break;
		case SEG_WINDOW_START: nw_buf_add_i64(b, r->window_start); break;
		case SEG_WINDOW_END:   nw_buf_add_i64(b, r->window_end); break;
		case SEG_RULE:      nw_buf_adds(b, ru->name); break;
		case SEG_SEVERITY:  nw_buf_adds(b, rule_sev_names[ru->severity]); break;
		case SEG_METRIC:    nw_buf_adds(b, ru->metric); break;
		case SEG_VALUE:     rule_fmt_text(b, rs->val[ru->metric_sym]); break;
		case SEG_THRESHOLD: rule_fmt_text(b, h->thr); break;
		case SEG_HOST_GROUP:
			if (h->group)
				nw_buf_adds(b, h->group);
			break;
		case SEG_BASELINE:
			if (isnan(h->ref))
				nw_buf_addc(b, '-');
			else
				rule_fmt_text(b, h->ref);
			break;
		case SEG_FIELD:
			if (rs->stamp[s->sym] != rs->gen) {
				/* absent: keep the placeholder, visibly */
				nw_buf_addc(b, '{');
				nw_buf_add(b, s->text, s->len);
				nw_buf_addc(b, '}');
				break;
			}
			f = rs->ref[s->sym];
			if (f->kind == RK_INT || f->kind == RK_REAL)
				rule_fmt_text(b, f->num);
			else if (f->kind == RK_STR)
				nw_buf_add(b, f->str, f->slen);
			else
				nw_buf_add(b, f->raw, f->rawlen);
			break;
		}
	}
}

static void rule_alert(struct rule_set *rs, const struct rule *ru,
                       const struct rec *r, const struct rule_hit *h,
                       struct nw_buf *b)
{
	struct nw_buf msg = { 0 };

	nw_buf_reset(b);
	nw_buf_printf(b, "{\"type\":\"alert\",\"alert_id\":\"%016" PRIx64 "\","
	              "\"rule\":", rule_alert_id(ru->name, r->key, r->klen,
	                                         r->window_end));
	nw_buf_add_jstr(b, ru->name, strlen(ru->name));
	nw_buf_adds(b, ",\"severity\":\"");
	nw_buf_adds(b, rule_sev_names[ru->severity]);
	nw_buf_adds(b, "\",\"key_field\":");
	nw_buf_add_jstr(b, r->key_field, r->kflen);
	nw_buf_adds(b, ",\"key\":");
	nw_buf_add_jstr(b, r->key, r->klen);
	if (h->group) {
		nw_buf_adds(b, ",\"host_group\":");
		nw_buf_add_jstr(b, h->group, strlen(h->group));
	}
	nw_buf_adds(b, ",\"window_start\":");
	nw_buf_add_i64(b, r->window_start);
	nw_buf_adds(b, ",\"window_end\":");
	nw_buf_add_i64(b, r->window_end);
	nw_buf_adds(b, ",\"metric\":");
	nw_buf_add_jstr(b, ru->metric, strlen(ru->metric));
	nw_buf_adds(b, ",\"value\":");
	rule_fmt_json(b, rs->val[ru->metric_sym]);
	nw_buf_adds(b, ",\"threshold\":");
	rule_fmt_json(b, h->thr);
	if (!isnan(h->ref)) {
		nw_buf_adds(b, ",\"baseline\":");
		rule_fmt_json(b, h->ref);
	}
	nw_buf_adds(b, ",\"message\":");
	rule_render(rs, ru, r, h, &msg);
	nw_buf_add_jstr(b, msg.p ? msg.p : "", msg.len);
	nw_buf_free(&msg);
	nw_buf_adds(b, ",\"aggregates\":{");
	for (int i = 0; i < r->n; i++) {
		if (i > 0)
			nw_buf_addc(b, ',');
		nw_buf_add_jstr(b, r->f[i].name, r->f[i].nlen);
		nw_buf_addc(b, ':');
		nw_buf_add(b, r->f[i].raw, r->f[i].rawlen);
	}
	nw_buf_adds(b, "}}");
}

/* The record's key as an address, parsed once per record. */
static bool rule_key_addr(struct rule_set *rs, const struct rec *r,
                          ipset_addr *a)
{
	if (rs->key_gen != rs->gen) {
		rs->key_gen = rs->gen;
		rs->key_ok = ipset_parse_addr(r->key, r->klen, &rs->key_addr);
	}
	*a = rs->key_addr;
	return rs->key_ok;
}

/* A set test's value: the tested string is the key when FIELD is "key"
 * or the record's key_field, else a string member FIELD.  With neither,
 * the test stays unbound and the rule counts a missing field.  A string
 * that is no address is in no set. */
static void rule_eval_in(struct rule_set *rs, const struct rule_in *t,
                         const struct rec *r)
{
	static const struct rec_field bound = { .kind = RK_INT };
	const char *fname = rs->syms.names[t->field];
	ipset_addr a;
	bool ok;

	if (rs->stamp[t->sym] == rs->gen)
		return;                       /* another rule computed it */
	if (t->is_key || (r->kflen == rs->syms.lens[t->field] &&
	                  memcmp(r->key_field, fname, r->kflen) == 0))
		ok = rule_key_addr(rs, r, &a);
	else if (rs->stamp[t->field] == rs->gen && rs->ref[t->field]->kind == RK_STR)
		ok = ipset_parse_addr(rs->ref[t->field]->str,
		                      rs->ref[t->field]->slen, &a);
	else
		return;
	rs->stamp[t->sym] = rs->gen;
	rs->ref[t->sym] = &bound;
	rs->val[t->sym] = ok && ipset_find(&rs->hosts.set[t->set].s, a) >= 0;
}

static void rule_warn_missing(struct rule_set *rs, struct rule *ru, int sym)
{
	const char *name = rs->syms.names[sym];

	ru->warned = true;
	if (strlen(name) != rs->syms.lens[sym])      /* a set test's pseudo-symbol */
		LOG_WARN("rule %s: a record has no %s (neither as key_field nor as "
		         "a string field), so the rule does not fire on it; counted "
		         "as missing_field", ru->name, name);
	else
		LOG_WARN("rule %s: a record lacks field %s (or it is not a "
		         "number), so the rule does not fire on it; counted "
		         "as missing_field", ru->name, name);
}

/* The rule's expression on the bound record; a baseline or spike rule
 * also learns from the record and lets the expression fire only when the
 * value is anomalous for its key (or, "cold": "when", while the key is
 * still learning; "cold": "spike" is a spike then, in base_step).  hit gets the bound crossed and the reference. */
static int rule_eval(struct rule_set *rs, struct rule *ru, const struct rec *r,
                     struct rule_hit *hit)
{
	struct base_out bo;
	int v, res;

	hit->ref = NAN;
	if (!ru->base.kind)
		return expr_eval(&ru->ex, rs->val);
	if (rs->hash_gen != rs->gen) {          /* once per record */
		rs->hash_gen = rs->gen;
		rs->key_hash = base_hash(r->key, r->klen);
	}
	v = base_step(ru->bt, &ru->base, r->key, r->klen, rs->key_hash,
	              r->window_start, r->window_end, rs->val[ru->base.sym], &bo);
	res = expr_eval(&ru->ex, rs->val);
	if (res != EXPR_TRUE)
		return res;
	if (v == BASE_FIRE) {
		hit->ref = bo.ref;
		if (bo.bound > hit->thr)
			hit->thr = bo.bound;
		return EXPR_TRUE;
	}
	return v == BASE_COLD && ru->base.cold_when ? EXPR_TRUE : EXPR_FALSE;
}

int rule_set_apply(struct rule_set *rs, const struct rec *r,
                   void (*emit)(const char *line, size_t n))
{
	const struct hosts *hs = &rs->hosts;
	struct rule_hit hit = { 0 };
	bool allowed = false;
	int g = -1, withheld = 0;
	ipset_addr a;

	rule_bind(rs, r);
	if ((hs->have_allow || hs->ngroup > 0) && rule_key_addr(rs, r, &a)) {
		allowed = hs->have_allow && ipset_find(&hs->allow, a) >= 0;
		g = hs->ngroup > 0 ? ipset_find(&hs->gnet, a) : -1;
	}
	hit.group = g >= 0 ? hs->group[g].name : NULL;
	for (int i = 0; i < rs->n; i++) {
		struct rule *ru = &rs->v[i];
		int j;
		if (ru->key_field && (ru->key_field_len != r->kflen ||
		    memcmp(ru->key_field, r->key_field, r->kflen) != 0))
			continue;
		for (j = 0; j < ru->nins; j++)
			rule_eval_in(rs, &rs->ins[ru->ins[j]], r);
		for (j = 0; j < ru->nneed; j++)
			if (!rule_has_num(rs, ru->need[j]))
				break;
		if (j < ru->nneed) {
			ru->missing_field++;
			if (!ru->warned)
				rule_warn_missing(rs, ru, ru->need[j]);
			continue;
		}
		hit.thr = ru->threshold;
		if (ru->gthr) {
			if (g >= 0 && !isnan(ru->gthr[g]))
				hit.thr = ru->gthr[g];
			ru->ex.param[ru->thr_param] = hit.thr;
		}
		switch (rule_eval(rs, ru, r, &hit)) {
		case EXPR_DIVZERO:
			ru->div_by_zero++;
			break;
		case EXPR_TRUE:
			if (allowed) {
				withheld++;
				break;
			}
			ru->fired++;
			rule_alert(rs, ru, r, &hit, &rs->out);
			rs->last = (struct rule_match){ ru, r, hit.group,
				rs->val[ru->metric_sym],
				rule_alert_id(ru->name, r->key, r->klen, r->window_end) };
			emit(rs->out.p, rs->out.len);
			break;
		case EXPR_FALSE:
			break;
		}
	}
	return withheld;
}

void rule_set_stats(struct nw_buf *b, void *arg)
{
	struct rule_set *rs = *(struct rule_set **)arg;

	nw_buf_addc(b, '{');
	for (int i = 0; rs && i < rs->n; i++) {
		const struct rule *ru = &rs->v[i];
		nw_buf_printf(b, "%s\"%s\":{\"fired\":%" PRIu64 ",\"missing_field\":%"
		              PRIu64 ",\"div_by_zero\":%" PRIu64, i ? "," : "",
		              ru->name, ru->fired, ru->missing_field, ru->div_by_zero);
		if (ru->bt)
			nw_buf_printf(b, ",\"keys\":%" PRIu64 ",\"keys_forgotten\":%"
			              PRIu64, ru->bt->n, ru->bt->forgotten);
		nw_buf_addc(b, '}');
	}
	nw_buf_addc(b, '}');
}

/* ---- learned state ------------------------------------------------------- */

json_t *rule_set_save_state(const struct rule_set *rs, uint32_t filter)
{
	json_t *o = json_object();

	for (int i = 0; i < rs->n; i++) {
		const struct rule *ru = &rs->v[i];
		json_t *t;
		if (ru->bt == NULL)
			continue;
		t = base_save(ru->bt, filter);
		json_object_set_new(t, "kind", json_integer(ru->base.kind));
		json_object_set_new(t, "value", json_string(ru->base.value));
		json_object_set_new(o, ru->name, t);
	}
	return o;
}

/* The learned state of rule r in o, when it was learned by a rule of the
 * same kind over the same value (else the rule changed across the
 * savepoint or between the chains, and starts learning). */
static json_t *state_of(const struct rule *r, const json_t *o)
{
	json_t *t = json_object_get(o, r->name);

	if (t == NULL || json_integer_value(json_object_get(t, "kind")) !=
	    r->base.kind || !json_is_string(json_object_get(t, "value")) ||
	    strcmp(json_string_value(json_object_get(t, "value")),
	           r->base.value) != 0)
		return NULL;
	return t;
}

int rule_set_load_state(struct rule_set *rs, const json_t *o)
{
	int rc = json_is_object(o) ? 0 : -1;

	for (int i = 0; i < rs->n; i++) {
		json_t *t;
		if (rs->v[i].bt == NULL)
			continue;
		if ((t = rc == 0 ? state_of(&rs->v[i], o) : NULL) == NULL)
			base_clear(rs->v[i].bt);
		else if (base_load(rs->v[i].bt, rs->v[i].base.kind, t) < 0)
			rc = -1;
	}
	return rc;
}

int rule_set_adopt_state(struct rule_set *rs, const json_t *o, uint32_t tag)
{
	int rc = json_is_object(o) ? 0 : -1;

	for (int i = 0; rc == 0 && i < rs->n; i++) {
		json_t *t;
		if (rs->v[i].bt != NULL && (t = state_of(&rs->v[i], o)) != NULL &&
		    base_adopt(rs->v[i].bt, rs->v[i].base.kind, t, tag) < 0)
			rc = -1;
	}
	return rc;
}
