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
	char *m = malloc(total);

	if (m == NULL)
		return -1;
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
	json_t *root = json_loadb(line, n, 0, &jerr);
	if (root == NULL) {
		*reason = "invalid JSON";
		return 0;
	}
	if ((*reason = alert_fields(root, &f, &id, &idn)) != NULL)
		goto out;
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
