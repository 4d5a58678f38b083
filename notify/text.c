/*
 * text.c - the readable rendering of an alert for a person watching a
 * terminal (notify --stdout on a terminal, or --format text): one line,
 *     2025-11-21T08:00:00Z CRITICAL data_exfiltration src_ip=10.0.0.5  DATA ...
 * the alert's own time (window_end), severity, rule, key_field=key and the
 * message, with the severity in colour when asked.  Control characters in
 * the alert's strings are shown as '?', so an alert cannot move the cursor
 * or change the terminal's colours.
 *
 * Ownership: ntf_text_alert returns a malloc'd string the caller frees.
 */
#include "ntf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SGR_RESET "\033[0m"
#define FIELD_MAX 64        /* code points of a rule, key or severity */
#define MESSAGE_MAX 240     /* ... and of the message: one line stays one */

/* The colour of a severity: red for critical, yellow for warning, cyan
 * for info, none for anything else. */
static const char *severity_sgr(const char *sev)
{
	static const struct { const char *name, *sgr; } map[] = {
		{ "critical", "\033[1;31m" }, { "warning", "\033[33m" },
		{ "info", "\033[36m" }, { "resolved", "\033[32m" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(sev, map[i].name) == 0)
			return map[i].sgr;
	return NULL;
}

/* Append s with C0, DEL and C1 controls (U+0080-U+009F, C2 80-9F in
 * UTF-8) replaced by '?': other bytes are the terminal's to show.  At
 * most max code points: a longer s is cut and ends with "...". */
static void add_clean(struct nw_buf *b, const char *s, size_t max)
{
	size_t chars = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p & 0xC0) != 0x80 && chars++ == max) {
			nw_buf_adds(b, "...");
			return;
		}
		if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
			nw_buf_addc(b, '?');
			p++;
		} else if (*p < 0x20 || *p == 0x7F) {
			nw_buf_addc(b, '?');
		} else {
			nw_buf_addc(b, (char)*p);
		}
	}
}

/* A string field, or a number or other scalar as JSON text, cleaned. */
static void add_field(struct nw_buf *b, const json_t *a, const char *name,
                      const char *missing, size_t max)
{
	const json_t *v = json_object_get(a, name);
	if (json_is_string(v) && json_string_length(v) > 0) {
		add_clean(b, json_string_value(v), max);
	} else if (v != NULL && !json_is_null(v) && !json_is_string(v)) {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (s == NULL)
			nw_oom(0);
		add_clean(b, s, max);
		free(s);
	} else {
		nw_buf_adds(b, missing);
	}
}

/* window_end (epoch ms) as RFC 3339 UTC to the second, "-" without one. */
static void add_time(struct nw_buf *b, const json_t *a)
{
	const json_t *v = ntf_is_resolved(a) ? json_object_get(a, "incident_end")
	                                      : json_object_get(a, "window_end");
	json_int_t ms = json_is_integer(v) ? json_integer_value(v) : -1;
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || ms > 253402300799999LL || gmtime_r(&t, &tm) == NULL) {
		nw_buf_adds(b, "-");
		return;
	}
	nw_buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	              tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The severity upper-cased and padded to 8 columns, coloured if asked. */
static void add_severity(struct nw_buf *b, const json_t *a, bool colour)
{
	const char *sev = ntf_is_resolved(a) ? "resolved"
	                  : json_string_value(json_object_get(a, "severity"));
	const char *sgr = colour && sev ? severity_sgr(sev) : NULL;
	struct nw_buf s = { 0 };
	size_t w;

	add_clean(&s, sev && *sev ? sev : "-", FIELD_MAX);
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] >= 'a' && s.p[i] <= 'z')
			s.p[i] = (char)(s.p[i] - 'a' + 'A');
	if (sgr)
		nw_buf_adds(b, sgr);
	nw_buf_add(b, s.p, s.len);
	if (sgr)
		nw_buf_adds(b, SGR_RESET);
	for (w = s.len; w < 8; w++)
		nw_buf_addc(b, ' ');
	nw_buf_free(&s);
}

char *ntf_text_alert(const char *line, size_t len, bool colour)
{
	json_t *a = json_loadb(line, len, 0, NULL);
	struct nw_buf b = { 0 };

	if (!json_is_object(a)) {       /* callers pass checked alerts */
		json_decref(a);
		nw_buf_adds(&b, "(unreadable alert)");
		nw_buf_addc(&b, '\0');
		return b.p;
	}
	add_time(&b, a);
	nw_buf_addc(&b, ' ');
	add_severity(&b, a, colour);
	nw_buf_addc(&b, ' ');
	add_field(&b, a, "rule", "-", FIELD_MAX);
	nw_buf_addc(&b, ' ');
	if (json_object_get(a, "key_field")) {
		add_field(&b, a, "key_field", "key", FIELD_MAX);
		nw_buf_addc(&b, '=');
	}
	add_field(&b, a, "key", "-", FIELD_MAX);
	nw_buf_adds(&b, "  ");
	add_field(&b, a, "message", "", MESSAGE_MAX);
	nw_buf_addc(&b, '\0');
	json_decref(a);
	return b.p;
}

/* Colour only on a terminal that has it, and never with NO_COLOR set to
 * anything but "" (no-color.org). */
bool ntf_text_colour_ok(bool tty, const char *term, const char *no_colour)
{
	if (!tty || (no_colour && *no_colour))
		return false;
	return term && *term && strcmp(term, "dumb") != 0;
}

/* --format text forces the readable lines; --stdout without a --format
 * gives them when stdout is a terminal, the JSON payloads otherwise. */
void ntf_text_choose(const struct ntf_opts *o, bool *text, bool *colour)
{
	bool tty = isatty(STDOUT_FILENO);

	*text = o->text || (o->to_stdout && o->format == NTF_FMT_AUTO && tty);
	*colour = *text && ntf_text_colour_ok(tty, getenv("TERM"),
	                                      getenv("NO_COLOR"));
}
