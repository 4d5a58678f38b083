/* item.c - input lines: classify (alert, control line, blank, bad), pull
 * out what the gate needs from an alert, render its Redis key. */
#include "thr.h"

#include "jscan.h"

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

/* ---- reading a line: lib/jscan -------------------------------------------
 * One validating pass picks out the top-level members the gate reads,
 * decoded; a repeated name anywhere refuses the line (docs/contracts.md,
 * "Duplicate member names"), whatever else it holds. */

enum { SF_TYPE, SF_ID, SF_RULE, SF_KEY_FIELD, SF_KEY, SF_STATUS, SF_INCIDENT,
       SF_N };
static const char *const item_members[SF_N] = {
	"type", "alert_id", "rule", "key_field", "key", "status", "incident_id",
};

/* The paths table, built on first use and kept for the process. */
static const struct jscan_paths *item_paths(int *slot)
{
	static struct jscan_paths t;
	static int slots[SF_N];

	if (t.n == 0) {
		jscan_paths_init(&t, JSCAN_DUP_REJECT);
		for (int i = 0; i < SF_N; i++)
			slots[i] = jscan_paths_add(&t, item_members[i]);
	}
	memcpy(slot, slots, sizeof slots);
	return &t;
}

/* A string member, or NULL. */
static const char *item_str(const struct jscan_val *v, size_t *len)
{
	if (v->type != JSCAN_STR)
		return NULL;
	*len = v->n;
	return v->p;
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
static const char *alert_fields(const struct jscan_val *v, const int *slot,
                                struct thr_fields *f, const char **id,
                                size_t *idn)
{
	size_t tn;
	const char *type;

	if (v[0].type != JSCAN_OBJ && v[0].type != JSCAN_ARR)
		return "invalid JSON";        /* a bare scalar, as jansson says */
	if (v[0].type != JSCAN_OBJ)
		return "not a JSON object";
	type = item_str(&v[slot[SF_TYPE]], &tn);
	if (type == NULL || tn != 5 || memcmp(type, "alert", 5) != 0)
		return "not an alert (\"type\" is not \"alert\")";
	if ((*id = item_str(&v[slot[SF_ID]], idn)) == NULL || *idn == 0)
		return "alert without a string alert_id";
	if (*idn > THR_ID_MAX)
		return "alert_id too long";
	if ((f->rule = item_str(&v[slot[SF_RULE]], &f->rule_len)) == NULL)
		return "alert without a string rule";
	if ((f->key_field = item_str(&v[slot[SF_KEY_FIELD]], &f->key_field_len)) == NULL)
		return "alert without a string key_field";
	if ((f->key = item_str(&v[slot[SF_KEY]], &f->key_len)) == NULL)
		return "alert without a string key";
	/* An incident's resolution (detect --incidents) claims with the id of
	 * the alert that opened it: it passes exactly when that alert holds
	 * the key, i.e. when throttle let the incident through. */
	const char *st = item_str(&v[slot[SF_STATUS]], &tn), *inc;
	size_t incn;
	if (st && tn == 8 && memcmp(st, "resolved", 8) == 0) {
		if ((inc = item_str(&v[slot[SF_INCIDENT]], &incn)) == NULL || incn == 0 ||
		    incn > THR_ID_MAX)
			return "resolution without a string incident_id";
		*id = inc, *idn = incn;
	}
	return NULL;
}

/* An alert line: its fields checked, its Redis key rendered, the item
 * filled.  scratch holds n bytes for decoded strings. */
static int item_alert(struct thr_item *it, const char *line, size_t n,
                      const char *tmpl, char *scratch, const char **reason)
{
	static const struct nw_buf nokey = { 0 };
	struct jscan_val v[SF_N + 1];
	struct thr_fields f = { 0 };
	struct nw_buf key = { 0 };
	const char *id = NULL;
	size_t idn = 0;
	char terr[160];
	int slot[SF_N], rc = 0;
	const struct jscan_paths *t = item_paths(slot);
	enum jscan_res jr = jscan_scan(t, line, n, v, scratch);

	if (jr != JSCAN_OK) {
		*reason = jscan_strerror(jr);
		return 0;
	}
	if ((*reason = alert_fields(v, slot, &f, &id, &idn)) != NULL)
		return 0;
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
	return rc;
}

int thr_item_init(struct thr_item *it, const char *line, size_t n,
                  const char *tmpl, const char **reason)
{
	static const struct nw_buf nokey = { 0 };
	char stack[1024], *scratch = stack;
	int rc;

	memset(it, 0, sizeof *it);
	*reason = NULL;
	if (jscan_ws(line, line + n) == line + n) {
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
	if (n > sizeof stack)
		scratch = nw_xmalloc(n);
	rc = item_alert(it, line, n, tmpl, scratch, reason);
	if (scratch != stack)
		free(scratch);
	return rc;
}

void thr_item_free(struct thr_item *it)
{
	free(it->mem);
	it->mem = NULL;
}
