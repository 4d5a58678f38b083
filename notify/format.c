/*
 * format.c - webhook payloads: Slack (text + blocks), Discord (the seed's
 * "🚨 **message**" content + an embed) and generic (the alert record as is),
 * for one alert or a digest of many.
 *
 * Every string taken from an alert is cleaned to valid UTF-8, escaped for
 * the receiver's markup and cut to the receiver's documented limit (in code
 * points, ending with "…" when cut), and the payload is built with jansson,
 * so the result is valid JSON whatever the alert holds.
 */
#include "ntf.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const format_names[] = {
	[NTF_FMT_AUTO] = "auto", [NTF_FMT_SLACK] = "slack",
	[NTF_FMT_DISCORD] = "discord", [NTF_FMT_GENERIC] = "generic",
	[NTF_FMT_AM] = "alertmanager",
};

int ntf_format_parse(const char *s, enum ntf_format *out)
{
	for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++)
		if (strcmp(s, format_names[i]) == 0) {
			*out = (enum ntf_format)i;
			return 0;
		}
	return -1;
}

const char *ntf_format_name(enum ntf_format f) { return format_names[f]; }

/* host equals dom or ends with "." dom (case-insensitive). */
static bool host_in(const char *host, const char *dom)
{
	size_t h = strlen(host), d = strlen(dom);
	if (h == d)
		return strcasecmp(host, dom) == 0;
	return h > d && host[h - d - 1] == '.' && strcasecmp(host + h - d, dom) == 0;
}

enum ntf_format ntf_format_for_host(const char *host)
{
	static const struct { const char *dom; enum ntf_format f; } map[] = {
		{ "hooks.slack.com", NTF_FMT_SLACK },
		{ "hooks.slack-gov.com", NTF_FMT_SLACK },
		{ "discord.com", NTF_FMT_DISCORD },
		{ "discordapp.com", NTF_FMT_DISCORD },
	};
	if (host != NULL)
		for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
			if (host_in(host, map[i].dom))
				return map[i].f;
	return NTF_FMT_GENERIC;
}

/* Alertmanager by its API path (any host: it runs on the user's own), else
 * by the host. */
enum ntf_format ntf_format_for_url(const char *url, const char *host)
{
	static const char am_path[] = "/api/v2/alerts";
	size_t n = url ? strcspn(url, "?#") : 0, k = sizeof am_path - 1;

	if (n >= k && strncmp(url + n - k, am_path, k) == 0)
		return NTF_FMT_AM;
	return ntf_format_for_host(host);
}

/* ---- text: clean, escape, cut ------------------------------------------- */

enum esc { ESC_NONE, ESC_SLACK, ESC_DISCORD };

/* Length of the UTF-8 sequence at p, or 0 when it is not valid there. */
static size_t utf8_seq(const char *p, const char *end)
{
	unsigned char c = (unsigned char)*p;
	size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 :
	           (c & 0xF8) == 0xF0 ? 4 : 0;
	if (n == 0 || (size_t)(end - p) < n || nw_utf8_valid_prefix(p, n) != n)
		return 0;
	return n;
}

size_t ntf_utf8_chars(const char *s)
{
	const char *end = s + strlen(s);
	size_t n = 0;
	while (s < end) {
		size_t k = utf8_seq(s, end);
		s += k ? k : 1;
		n++;
	}
	return n;
}

/* The next piece of output for the input at *p: its bytes and its cost in
 * code points.  Invalid bytes become U+FFFD; markup characters are escaped
 * the way the receiver wants. */
static void next_piece(const char **p, const char *end, enum esc st,
                       const char **out, size_t *outlen, size_t *cost)
{
	static const char fffd[] = "\xEF\xBF\xBD";
	static char pair[2];           /* "\\" + char: copied by the caller */
	size_t n = utf8_seq(*p, end);
	char c = **p;

	if (n == 0) {
		*out = fffd, *outlen = 3, *cost = 1, (*p)++;
		return;
	}
	if (st == ESC_SLACK && (c == '&' || c == '<' || c == '>')) {
		*out = c == '&' ? "&amp;" : c == '<' ? "&lt;" : "&gt;";
		*outlen = *cost = strlen(*out);
		(*p)++;
		return;
	}
	if (st == ESC_DISCORD && c != '\0' && strchr("\\*_~`|", c)) {
		pair[0] = '\\', pair[1] = c;
		*out = pair, *outlen = *cost = 2;
		(*p)++;
		return;
	}
	*out = *p, *outlen = n, *cost = 1;
	*p += n;
}

/* Append s (n bytes, any bytes) to b, escaped for st, at most limit code
 * points: when it does not fit it is cut and ends with "…".  Returns the
 * code points appended. */
static size_t add_text(struct nw_buf *b, const char *s, size_t n, enum esc st,
                       size_t limit)
{
	const char *p, *end = s + n, *out;
	size_t outlen, cost, total = 0, used = 0;

	for (p = s; p < end; total += cost)
		next_piece(&p, end, st, &out, &outlen, &cost);
	if (total <= limit) {
		for (p = s; p < end;) {
			next_piece(&p, end, st, &out, &outlen, &cost);
			nw_buf_add(b, out, outlen);
		}
		return total;
	}
	if (limit == 0)
		return 0;
	for (p = s; p < end; used += cost) {
		next_piece(&p, end, st, &out, &outlen, &cost);
		if (used + cost > limit - 1)
			break;
		nw_buf_add(b, out, outlen);
	}
	nw_buf_adds(b, "\xE2\x80\xA6");
	return used + 1;
}

/* A JSON string of s escaped and cut; *budget (if given) is charged. */
static json_t *jtext(const char *s, enum esc st, size_t limit, size_t *budget)
{
	struct nw_buf b = { 0 };
	json_t *j;

	if (budget && limit > *budget)
		limit = *budget;
	size_t used = add_text(&b, s, strlen(s), st, limit);
	if (budget)
		*budget -= used;
	nw_buf_addc(&b, '\0');
	j = json_string(b.p);
	nw_buf_free(&b);
	return j ? j : json_string("?");
}

json_t *ntf_text_cut(const char *s, size_t limit)
{
	return jtext(s, ESC_NONE, limit, NULL);
}

bool ntf_is_resolved(const json_t *alert)
{
	const char *s = json_string_value(json_object_get(alert, "status"));
	return s != NULL && strcmp(s, "resolved") == 0;
}

/* The mark a message opens with: a siren, or a check for a resolution. */
static const char *mark(const json_t *a, const char *rest, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s%s", ntf_is_resolved(a) ? "\u2705 " : "\U0001F6A8 ", rest);
	return buf;
}

/* Human text of any JSON value: strings as they are, numbers short. */
void ntf_value_text(struct nw_buf *b, const json_t *v)
{
	char tmp[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		nw_buf_add(b, json_string_value(v), json_string_length(v));
		return;
	case JSON_INTEGER:
		nw_buf_add_i64(b, (int64_t)json_integer_value(v));
		return;
	case JSON_REAL: {
		double d = json_real_value(v);
		if (d == floor(d) && fabs(d) < 1e15)
			snprintf(tmp, sizeof tmp, "%.0f", d);
		else
			snprintf(tmp, sizeof tmp, "%.6g", d);
		nw_buf_adds(b, tmp);
		return;
	}
	case JSON_TRUE:  nw_buf_adds(b, "true");  return;
	case JSON_FALSE: nw_buf_adds(b, "false"); return;
	case JSON_NULL:  nw_buf_adds(b, "null");  return;
	default: {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (s) {
			nw_buf_adds(b, s);
			free(s);
		}
	}
	}
}

/* Field name's value as text into b ("" when absent). */
static void field_text(struct nw_buf *b, const json_t *alert, const char *name)
{
	json_t *v = json_object_get(alert, name);
	if (v)
		ntf_value_text(b, v);
}

/* Epoch ms as RFC 3339 UTC; the alert's own time, not the wall clock. */
bool ntf_iso_time(char *out, size_t sz, const json_t *v)
{
	struct tm tm;
	if (!json_is_integer(v))
		return false;
	json_int_t ms = json_integer_value(v);
	if (ms < 0 || ms > 253402300799999LL)     /* up to year 9999 */
		return false;
	time_t t = (time_t)(ms / 1000);
	if (gmtime_r(&t, &tm) == NULL)
		return false;
	snprintf(out, sz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (int)(ms % 1000));
	return true;
}

/* The alert's message; alerts without one get "rule key_field=key". */
void ntf_message_text(struct nw_buf *b, const json_t *alert)
{
	json_t *m = json_object_get(alert, "message");
	if (json_is_string(m) && json_string_length(m) > 0) {
		ntf_value_text(b, m);
		return;
	}
	field_text(b, alert, "rule");
	nw_buf_addc(b, ' ');
	if (json_object_get(alert, "key_field")) {
		field_text(b, alert, "key_field");
		nw_buf_addc(b, '=');
	}
	field_text(b, alert, "key");
}

/* The fields every rich format shows, as (label, text) pairs. */
struct kv { char *name; char *value; bool wide; };

/* A copy of a label (out of memory exits, as everywhere). */
static char *label(const char *s)
{
	struct nw_buf b = { 0 };
	nw_buf_adds(&b, s);
	nw_buf_addc(&b, '\0');
	return b.p;
}

static char *buf_str(struct nw_buf *b)
{
	nw_buf_addc(b, '\0');
	return b->p;              /* ownership passes to the caller */
}

static size_t alert_fields(const json_t *a, struct kv *kv, size_t max)
{
	static const struct { const char *label, *field; } plain[] = {
		{ "Rule", "rule" }, { "Severity", "severity" },
	};
	struct nw_buf b;
	size_t n = 0;
	char t0[64], t1[64];

	for (size_t i = 0; i < 2 && n < max; i++) {
		b = (struct nw_buf){ 0 };
		field_text(&b, a, plain[i].field);
		kv[n++] = (struct kv){ label(plain[i].label), buf_str(&b), false };
	}
	if (n < max) {          /* the key, labelled by its key_field */
		struct nw_buf l = { 0 };
		field_text(&l, a, "key_field");
		if (l.len == 0)
			nw_buf_adds(&l, "key");
		b = (struct nw_buf){ 0 };
		field_text(&b, a, "key");
		kv[n++] = (struct kv){ buf_str(&l), buf_str(&b), false };
	}
	if (n < max) {          /* metric = value (threshold t) */
		b = (struct nw_buf){ 0 };
		field_text(&b, a, "metric");
		nw_buf_adds(&b, " = ");
		field_text(&b, a, "value");
		if (json_object_get(a, "threshold")) {
			nw_buf_adds(&b, " (threshold ");
			field_text(&b, a, "threshold");
			nw_buf_addc(&b, ')');
		}
		kv[n++] = (struct kv){ label("Metric"), buf_str(&b), false };
	}
	if (n < max) {
		b = (struct nw_buf){ 0 };
		if (ntf_iso_time(t0, sizeof t0, json_object_get(a, "window_start")) &&
		    ntf_iso_time(t1, sizeof t1, json_object_get(a, "window_end")))
			nw_buf_printf(&b, "%s – %s", t0, t1);
		else if (json_object_get(a, "window_start") ||
		         json_object_get(a, "window_end")) {
			field_text(&b, a, "window_start");
			nw_buf_adds(&b, " – ");
			field_text(&b, a, "window_end");
		}
		kv[n++] = (struct kv){ label("Window"), buf_str(&b), true };
	}
	json_t *agg = json_object_get(a, "aggregates");
	const char *k;
	json_t *v;
	if (json_is_object(agg))
		json_object_foreach(agg, k, v) {
			if (n >= max)
				break;
			b = (struct nw_buf){ 0 };
			ntf_value_text(&b, v);
			kv[n++] = (struct kv){ label(k), buf_str(&b), false };
		}
	return n;
}

static size_t agg_count(const json_t *a)
{
	json_t *agg = json_object_get(a, "aggregates");
	return json_is_object(agg) ? json_object_size(agg) : 0;
}

static void kv_free(struct kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].name);
		free(kv[i].value);
	}
}

static json_t *mrkdwn(json_t *text)
{
	return json_pack("{s:s,s:o}", "type", "mrkdwn", "text", text);
}

char *ntf_dump(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return s;
}

/* A JSON string "prefix + escaped(s) + suffix" within limit code points. */
static json_t *jwrap(const char *prefix, const char *s, size_t n, enum esc st,
                     const char *suffix, size_t limit)
{
	struct nw_buf b = { 0 };
	size_t fixed = ntf_utf8_chars(prefix) + ntf_utf8_chars(suffix);

	nw_buf_adds(&b, prefix);
	add_text(&b, s, n, st, limit > fixed ? limit - fixed : 0);
	nw_buf_adds(&b, suffix);
	nw_buf_addc(&b, '\0');
	json_t *j = json_string(b.p);
	nw_buf_free(&b);
	return j ? j : json_string("?");
}

/* ---- slack ---------------------------------------------------------------- */

static char *slack_alert(const json_t *a)
{
	char pre[16];
	struct nw_buf msg = { 0 }, f = { 0 };
	struct kv kv[5 + NTF_SL_FIELDS];
	size_t n = alert_fields(a, kv, 5 + NTF_SL_FIELDS);
	json_t *fields = json_array(), *aggs = json_array(), *blocks;

	ntf_message_text(&msg, a);
	for (size_t i = 0; i < n; i++) {     /* "*label*\nvalue" */
		nw_buf_reset(&f);
		nw_buf_addc(&f, '*');
		add_text(&f, kv[i].name, strlen(kv[i].name), ESC_SLACK, 100);
		nw_buf_adds(&f, "*\n");
		add_text(&f, kv[i].value, strlen(kv[i].value), ESC_SLACK,
		         NTF_SL_FIELD - 110);
		nw_buf_addc(&f, '\0');
		json_t *t = json_string(f.p);
		json_array_append_new(i < 5 ? fields : aggs,
		                      mrkdwn(t ? t : json_string("?")));
	}
	blocks = json_pack("[{s:s,s:o},{s:s,s:o}]",
		"type", "section", "text",
		mrkdwn(jwrap(mark(a, "*", pre, sizeof pre), msg.p, msg.len,
		             ESC_SLACK, "*", NTF_SL_TEXT)),
		"type", "section", "fields", fields);
	if (json_array_size(aggs) > 0)
		json_array_append_new(blocks,
			json_pack("{s:s,s:o}", "type", "section", "fields", aggs));
	else
		json_decref(aggs);
	nw_buf_reset(&f);
	nw_buf_adds(&f, "alert_id ");
	field_text(&f, a, "alert_id");
	size_t more = agg_count(a) + 5 > n ? agg_count(a) + 5 - n : 0;
	if (more)
		nw_buf_printf(&f, " · %zu more aggregates not shown", more);
	json_array_append_new(blocks, json_pack("{s:s,s:[o]}", "type", "context",
		"elements", mrkdwn(jwrap("", f.p, f.len, ESC_SLACK, "", NTF_SL_FIELD))));
	json_t *root = json_pack("{s:o,s:o}",
		"text", jwrap(mark(a, "", pre, sizeof pre), msg.p, msg.len, ESC_SLACK,
		              "", NTF_SL_TEXT),
		"blocks", blocks);
	kv_free(kv, n);
	nw_buf_free(&msg);
	nw_buf_free(&f);
	return ntf_dump(root);
}

/* ---- discord --------------------------------------------------------------- */

static json_int_t severity_color(const json_t *a)
{
	static const struct { const char *sev; json_int_t rgb; } colors[] = {
		{ "critical", 0xE01E5A }, { "high", 0xE67E22 }, { "warning", 0xF1C40F },
		{ "medium", 0xF1C40F }, { "low", 0x3498DB }, { "info", 0x3498DB },
	};
	const char *s = json_string_value(json_object_get(a, "severity"));
	if (ntf_is_resolved(a))
		return 0x2ECC71;                 /* green: it is over */
	for (size_t i = 0; s && i < sizeof colors / sizeof colors[0]; i++)
		if (strcasecmp(s, colors[i].sev) == 0)
			return colors[i].rgb;
	return 0x95A5A6;
}

/* Discord rejects empty names and values. */
static const char *nonempty(const char *s) { return *s ? s : "—"; }

static char *discord_alert(const json_t *a)
{
	char pre[16];
	struct nw_buf msg = { 0 }, t = { 0 };
	struct kv kv[NTF_DC_FIELDS];
	size_t n = alert_fields(a, kv, NTF_DC_FIELDS);
	size_t budget = NTF_DC_TOTAL;     /* across the embed's texts */
	json_t *fields = json_array(), *embed;
	char ts[64];

	ntf_message_text(&msg, a);
	field_text(&t, a, "rule");
	nw_buf_adds(&t, " · ");
	field_text(&t, a, "severity");
	nw_buf_addc(&t, '\0');
	embed = json_pack("{s:o,s:I}",
		"title", jtext(t.p, ESC_NONE, NTF_DC_TITLE, &budget),
		"color", severity_color(a));
	nw_buf_reset(&t);
	nw_buf_adds(&t, "alert_id ");
	field_text(&t, a, "alert_id");
	size_t more = agg_count(a) + 5 > n ? agg_count(a) + 5 - n : 0;
	if (more)
		nw_buf_printf(&t, " · %zu more aggregates not shown", more);
	nw_buf_addc(&t, '\0');
	json_t *footer = json_pack("{s:o}", "text",
		jtext(t.p, ESC_NONE, 200, &budget));
	/* Stop while a whole name and a non-empty value still fit. */
	for (size_t i = 0; i < n && budget > 64 + 16; i++) {
		json_t *name = jtext(nonempty(kv[i].name), ESC_NONE, 64, &budget);
		json_t *val = jtext(nonempty(kv[i].value), ESC_DISCORD, NTF_DC_FVALUE,
		                    &budget);
		json_array_append_new(fields, json_pack("{s:o,s:o,s:b}", "name", name,
			"value", val, "inline", !kv[i].wide));
	}
	json_object_set_new(embed, "fields", fields);
	json_object_set_new(embed, "footer", footer);
	if (ntf_iso_time(ts, sizeof ts, json_object_get(a, "window_end")))
		json_object_set_new(embed, "timestamp", json_string(ts));
	json_t *root = json_pack("{s:o,s:[o],s:{s:[]}}",
		"content", jwrap(mark(a, "**", pre, sizeof pre), msg.p, msg.len,
		                 ESC_DISCORD, "**", NTF_DC_CONTENT),
		"embeds", embed, "allowed_mentions", "parse");
	kv_free(kv, n);
	nw_buf_free(&msg);
	nw_buf_free(&t);
	return ntf_dump(root);
}

/* ---- one alert --------------------------------------------------------------- */

char *ntf_fmt_alert(enum ntf_format f, const char *line, size_t len)
{
	json_t *a;
	char *out;

	if (f == NTF_FMT_AM)
		return ntf_am_alert(line, len);
	if (f == NTF_FMT_GENERIC || f == NTF_FMT_AUTO) {
		out = nw_xmalloc(len + 1);
		memcpy(out, line, len);
		out[len] = '\0';
		return out;
	}
	a = json_loadb(line, len, 0, NULL);
	if (!json_is_object(a)) {   /* callers pass checked alerts; stay safe */
		json_decref(a);
		a = json_object();
	}
	out = f == NTF_FMT_SLACK ? slack_alert(a) : discord_alert(a);
	json_decref(a);
	return out;
}

/* ---- digest ------------------------------------------------------------------ */

/* "• message" lines of the first alerts, within limit code points. */
static json_t *digest_lines(struct ntf_alert *first, uint64_t n, enum esc st,
                            size_t limit, size_t per_line)
{
	struct nw_buf b = { 0 }, m = { 0 };
	size_t used = 0;
	uint64_t i = 0;

	for (struct ntf_alert *x = first; x && i < n && i < NTF_DIGEST_SHOW;
	     x = x->next, i++) {
		json_t *a = json_loadb(x->line, x->len, 0, NULL);
		nw_buf_reset(&m);
		if (json_is_object(a))
			ntf_message_text(&m, a);
		json_decref(a);
		size_t room = limit - used;
		if (room < 8)
			break;
		if (i > 0) {
			nw_buf_addc(&b, '\n');
			used++;
		}
		nw_buf_adds(&b, "• ");
		used += 2;
		room = limit - used;
		used += add_text(&b, m.p ? m.p : "", m.len, st,
		                 per_line < room ? per_line : room);
	}
	nw_buf_addc(&b, '\0');
	json_t *j = json_string(b.p);
	nw_buf_free(&b);
	nw_buf_free(&m);
	return j ? j : json_string("?");
}

static char *generic_digest(struct ntf_alert *first, uint64_t n)
{
	json_t *ids = json_array(), *shown = json_array();
	uint64_t i = 0;

	for (struct ntf_alert *x = first; x && i < n; x = x->next, i++) {
		json_array_append_new(ids, json_string(x->id));
		if (i < NTF_DIGEST_SHOW) {
			json_t *a = json_loadb(x->line, x->len, 0, NULL);
			json_array_append_new(shown, a ? a : json_null());
		}
	}
	return ntf_dump(json_pack("{s:s,s:I,s:o,s:o}", "type", "digest",
		"count", (json_int_t)n, "alert_ids", ids, "alerts", shown));
}

char *ntf_fmt_digest(enum ntf_format f, struct ntf_alert *first, uint64_t n)
{
	char head[128], more[128];
	uint64_t shown = n < NTF_DIGEST_SHOW ? n : NTF_DIGEST_SHOW;

	snprintf(head, sizeof head, "%llu alerts", (unsigned long long)n);
	snprintf(more, sizeof more, "%llu more not shown",
	         (unsigned long long)(n - shown));
	if (f == NTF_FMT_SLACK) {
		json_t *blocks = json_pack("[{s:s,s:o},{s:s,s:o}]",
			"type", "section", "text",
			mrkdwn(jwrap("🚨 *", head, strlen(head), ESC_SLACK, "* (digest)",
			             NTF_SL_TEXT)),
			"type", "section", "text",
			mrkdwn(digest_lines(first, n, ESC_SLACK, NTF_SL_TEXT, 280)));
		if (n > shown)
			json_array_append_new(blocks, json_pack("{s:s,s:[o]}", "type",
				"context", "elements", mrkdwn(json_string(more))));
		return ntf_dump(json_pack("{s:o,s:o}",
			"text", jwrap("🚨 ", head, strlen(head), ESC_SLACK, " (digest)",
			              NTF_SL_TEXT),
			"blocks", blocks));
	}
	if (f == NTF_FMT_DISCORD) {
		json_t *embed = json_pack("{s:o,s:o,s:I}",
			"title", json_string(head),
			"description", digest_lines(first, n, ESC_DISCORD, NTF_DC_DESC, 380),
			"color", (json_int_t)0xE01E5A);
		if (n > shown)
			json_object_set_new(embed, "footer",
				json_pack("{s:s}", "text", more));
		return ntf_dump(json_pack("{s:o,s:[o],s:{s:[]}}",
			"content", jwrap("🚨 **", head, strlen(head), ESC_DISCORD,
			                 "** (digest)", NTF_DC_CONTENT),
			"embeds", embed, "allowed_mentions", "parse"));
	}
	if (f == NTF_FMT_AM)
		return ntf_am_alerts(first, n);
	return generic_digest(first, n);
}

/* ---- input check ------------------------------------------------------------ */

/* alert_id becomes a journal token and a log value: keep it plain. */
static bool id_ok(const char *s, size_t n)
{
	if (n == 0 || n > NTF_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		             "0123456789._:-", s[i]) || s[i] == '\0')
			return false;
	return true;
}

const char *ntf_alert_check(const char *line, size_t len, char id[NTF_ID_MAX + 1])
{
	json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	const char *why = NULL;

	if (j == NULL)
		return "invalid JSON";
	json_t *type = json_object_get(j, "type"), *aid = json_object_get(j, "alert_id");
	if (!json_is_object(j))
		why = "not a JSON object";
	else if (!json_is_string(type) || strcmp(json_string_value(type), "alert") != 0)
		why = "not an alert";
	else if (!json_is_string(aid) ||
	         !id_ok(json_string_value(aid), json_string_length(aid)))
		why = "alert without a usable alert_id";
	else
		memcpy(id, json_string_value(aid), json_string_length(aid) + 1);
	json_decref(j);
	return why;
}
