/*
 * am.c - the Alertmanager payload: the JSON array that Alertmanager's
 * POST /api/v2/alerts takes, one element per alert.
 *
 * Labels make an alert's identity in Alertmanager (its fingerprint), so
 * they hold what names the incident and nothing that changes from window
 * to window: alertname (the rule), severity, key_field, key and host_group
 * when the alert has one.  Everything else is an annotation: the message
 * (summary), the metric against its threshold (description), the window,
 * the alert_id and each aggregate.  Successive windows of one source and
 * rule are therefore one Alertmanager alert, which its grouping, silences
 * and inhibition act on.  An incident's resolution (detect --incidents)
 * carries startsAt and endsAt, the incident's, which ends the alert of the
 * same labels.  Otherwise startsAt and endsAt are left to Alertmanager
 * (the time it receives the alert, and that plus its resolve_timeout): a
 * window_start is always older than a group_wait, and Alertmanager flushes
 * a group at once for an alert that started longer ago than that, which
 * would send each alert of a burst on its own.
 *
 * Label and annotation values are strings: numbers are printed as in the
 * other formats, and every value is cut to AM_VALUE_MAX code points.
 * generatorURL comes from --generator-url, a template set once at start.
 * Ownership: the returned string is the caller's (free); the template is
 * borrowed.
 */
#include "ntf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define AM_VALUE_MAX 4096          /* code points kept of one value */

static const char *am_generator;   /* --generator-url, or NULL */

void ntf_am_generator(const char *tmpl) { am_generator = tmpl; }

/* The alert's field as text, percent-encoded but RFC 3986's unreserved
 * characters, so a key can sit in a query string. */
static void url_value(struct nw_buf *b, const json_t *a, const char *field)
{
	static const char hex[] = "0123456789ABCDEF";
	struct nw_buf v = { 0 };
	json_t *j = json_object_get(a, field);

	if (j != NULL)
		ntf_value_text(&v, j);
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c)) {
			nw_buf_addc(b, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			nw_buf_add(b, e, 3);
		}
	}
	nw_buf_free(&v);
}

/* The template with its placeholders filled in (a table, not a chain). */
static json_t *am_generator_url(const json_t *a)
{
	static const char *const names[] = { "rule", "key", "key_field", "alert_id" };
	struct nw_buf b = { 0 };
	json_t *s;

	for (const char *p = am_generator; *p;) {
		size_t i, n = 0;
		for (i = 0; *p == '{' && i < sizeof names / sizeof names[0]; i++) {
			n = strlen(names[i]);
			if (strncmp(p + 1, names[i], n) == 0 && p[n + 1] == '}')
				break;
		}
		if (*p == '{' && i < sizeof names / sizeof names[0]) {
			url_value(&b, a, names[i]);
			p += n + 2;
		} else {
			nw_buf_addc(&b, *p++);
		}
	}
	nw_buf_addc(&b, '\0');
	s = json_string(b.p);
	nw_buf_free(&b);
	return s;
}

/* v as Alertmanager text, within AM_VALUE_MAX code points. */
static json_t *am_text(const json_t *v)
{
	struct nw_buf b = { 0 };
	json_t *s;

	ntf_value_text(&b, v);
	nw_buf_addc(&b, '\0');
	s = ntf_text_cut(b.p, AM_VALUE_MAX);
	nw_buf_free(&b);
	return s;
}

/* Copy the alert's fields named in map into obj, under their new names. */
static void am_copy(json_t *obj, const json_t *a,
                    const char *const map[][2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(a, map[i][0]);
		if (v != NULL && !json_is_null(v))
			json_object_set_new(obj, map[i][1], am_text(v));
	}
}

static json_t *am_labels(const json_t *a)
{
	static const char *const map[][2] = {
		{ "rule", "alertname" }, { "severity", "severity" },
		{ "key_field", "key_field" }, { "key", "key" },
		{ "host_group", "host_group" },
	};
	json_t *l = json_object();

	am_copy(l, a, map, sizeof map / sizeof map[0]);
	if (json_object_get(l, "alertname") == NULL)   /* Alertmanager needs one */
		json_object_set_new(l, "alertname", json_string("netwatch"));
	return l;
}

static json_t *am_annotations(const json_t *a)
{
	static const char *const map[][2] = {
		{ "alert_id", "alert_id" }, { "metric", "metric" },
		{ "value", "value" }, { "threshold", "threshold" },
		{ "incident_id", "incident_id" }, { "peak", "peak" },
		{ "duration_s", "duration_s" },
	};
	json_t *an = json_object(), *agg = json_object_get(a, "aggregates"), *v;
	struct nw_buf b = { 0 };
	const char *k;
	char t0[40], t1[40];

	ntf_message_text(&b, a);
	nw_buf_addc(&b, '\0');
	json_object_set_new(an, "summary", ntf_text_cut(b.p, AM_VALUE_MAX));
	nw_buf_free(&b);
	am_copy(an, a, map, sizeof map / sizeof map[0]);
	if (ntf_iso_time(t0, sizeof t0, json_object_get(a, "window_start")) &&
	    ntf_iso_time(t1, sizeof t1, json_object_get(a, "window_end"))) {
		json_object_set_new(an, "window_start", json_string(t0));
		json_object_set_new(an, "window_end", json_string(t1));
	}
	if (json_is_object(agg))
		json_object_foreach(agg, k, v) {
			char name[128];
			snprintf(name, sizeof name, "agg_%s", k);
			json_object_set_new(an, name, am_text(v));
		}
	return an;
}

/* Append the Alertmanager element of one alert record to arr. */
static void am_item(json_t *arr, const char *line, size_t len)
{
	json_t *a = json_loadb(line, len, 0, NULL);

	if (!json_is_object(a)) {  /* callers pass checked alerts; stay safe */
		json_decref(a);
		a = json_object();
	}
	json_t *it = json_pack("{s:o,s:o}", "labels", am_labels(a),
	                       "annotations", am_annotations(a));
	char t0[40], t1[40];
	/* A resolution (detect --incidents) ends the alert of the same labels:
	 * startsAt and endsAt are the incident's. */
	if (ntf_is_resolved(a) &&
	    ntf_iso_time(t0, sizeof t0, json_object_get(a, "incident_start")) &&
	    ntf_iso_time(t1, sizeof t1, json_object_get(a, "incident_end"))) {
		json_object_set_new(it, "startsAt", json_string(t0));
		json_object_set_new(it, "endsAt", json_string(t1));
	}
	if (am_generator != NULL)
		json_object_set_new(it, "generatorURL", am_generator_url(a));
	json_array_append_new(arr, it);
	json_decref(a);
}

char *ntf_am_alerts(const struct ntf_alert *first, uint64_t n)
{
	json_t *arr = json_array();

	for (const struct ntf_alert *x = first; x && n > 0; x = x->next, n--)
		am_item(arr, x->line, x->len);
	return ntf_dump(arr);
}

char *ntf_am_alert(const char *line, size_t len)
{
	json_t *arr = json_array();

	am_item(arr, line, len);
	return ntf_dump(arr);
}
