/* fuzz_notify - payload formatting of arbitrary alerts.
 *
 * The input is used two ways: as an alert line when notify would accept it,
 * and as the message, key and aggregate of a synthesised alert otherwise.
 * Every format, for one alert and for a digest, must give valid JSON, and
 * the Discord payload must keep to Discord's limits. */
#include "ntf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static size_t chars(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? ntf_utf8_chars(s) : 0;
}

static void check_discord(const char *p)
{
	json_t *j = json_loads(p, 0, NULL);
	if (j == NULL)
		abort();
	if (chars(j, "content") > NTF_DC_CONTENT)
		abort();
	json_t *e = json_array_get(json_object_get(j, "embeds"), 0);
	size_t total = chars(e, "title") + chars(e, "description") +
	               chars(json_object_get(e, "footer"), "text");
	if (chars(e, "title") > NTF_DC_TITLE || chars(e, "description") > NTF_DC_DESC)
		abort();
	json_t *fields = json_object_get(e, "fields"), *f;
	size_t i;
	if (json_array_size(fields) > NTF_DC_FIELDS)
		abort();
	json_array_foreach(fields, i, f) {
		size_t n = chars(f, "name"), v = chars(f, "value");
		if (n == 0 || n > NTF_DC_FNAME || v == 0 || v > NTF_DC_FVALUE)
			abort();
		total += n + v;
	}
	if (total > NTF_DC_TOTAL)
		abort();
	json_decref(j);
}

static void check_json(const char *p)
{
	json_t *j = p ? json_loads(p, 0, NULL) : NULL;
	if (j == NULL)
		abort();
	json_decref(j);
}

static void check_all(struct ntf_alert *a, uint64_t n)
{
	static const enum ntf_format fmts[] = { NTF_FMT_SLACK, NTF_FMT_DISCORD,
	                                        NTF_FMT_GENERIC };
	for (size_t i = 0; i < 3; i++) {
		char *p = ntf_fmt_alert(fmts[i], a->line, a->len);
		check_json(p);
		if (fmts[i] == NTF_FMT_DISCORD)
			check_discord(p);
		free(p);
		p = ntf_fmt_digest(fmts[i], a, n);
		check_json(p);
		if (fmts[i] == NTF_FMT_DISCORD)
			check_discord(p);
		free(p);
	}
}

/* An alert whose strings are the input's bytes (cleaned the way jansson
 * insists: the formatter sees only what a checked alert can hold). */
static struct ntf_alert *synth(const uint8_t *raw, size_t n)
{
	struct nw_buf b = { 0 };
	char *d = malloc(n + 1);          /* NUL is the one byte jansson refuses */
	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = raw[i] ? (char)raw[i] : ' ';
	size_t third = n / 3;
	nw_buf_adds(&b, "{\"type\":\"alert\",\"alert_id\":\"f\",\"message\":");
	nw_buf_add_jstr(&b, d, third);
	nw_buf_adds(&b, ",\"key_field\":");
	nw_buf_add_jstr(&b, d + third, third);
	nw_buf_adds(&b, ",\"key\":");
	nw_buf_add_jstr(&b, d + third, n - 2 * third);
	nw_buf_adds(&b, ",\"window_end\":");
	nw_buf_add_i64(&b, (int64_t)n * 1000003);
	nw_buf_adds(&b, ",\"aggregates\":{");
	for (size_t i = 0; i < 30 && i < n; i++) {
		nw_buf_printf(&b, "%s\"f%zu\":", i ? "," : "", i);
		nw_buf_add_jstr(&b, d + i, i == 0 || n - i < 64 ? n - i : 64);
	}
	nw_buf_adds(&b, "}}");
	char id[NTF_ID_MAX + 1];
	struct ntf_alert *a = NULL;
	if (ntf_alert_check(b.p, b.len, id) == NULL)
		a = ntf_alert_new(id, b.p, b.len);
	nw_buf_free(&b);
	free(d);
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char id[NTF_ID_MAX + 1];
	struct ntf_alert *a;

	nw_log_set_level(NW_ERROR);
	if (ntf_alert_check((const char *)d, n, id) == NULL &&
	    (a = ntf_alert_new(id, (const char *)d, n)) != NULL) {
		check_all(a, 1 + n % 8);
		ntf_alert_free(a);
	}
	if ((a = synth(d, n)) != NULL) {
		a->next = a;                 /* a digest of the same alert, n times */
		check_all(a, 1 + n % 5);
		a->next = NULL;
		ntf_alert_free(a);
	}
	return 0;
}
