/*
 * rfc5424.c - the RFC 5424 header, exactly as section 6 writes it:
 *
 *   <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID
 *   SP STRUCTURED-DATA [SP MSG]
 *
 * with "-" as NILVALUE for every field but PRI and VERSION, header fields
 * of printable US-ASCII within the RFC's lengths, and an optional UTF-8
 * BOM before MSG (dropped).  Anything else is a dead letter with the first
 * thing that was wrong.
 */
#include "syslog.h"

#include <string.h>

/* A header field: 1..max printable US-ASCII characters up to SP, or "-".
 * *p ends on the SP (or the end); false when malformed. */
static bool field(const char **p, const char *end, size_t max,
                  struct sl_str *out)
{
	const char *s = *p;

	while (s < end && *s != ' ') {
		if ((unsigned char)*s < 33 || (unsigned char)*s > 126)
			return false;
		s++;
	}
	if (s == *p || (size_t)(s - *p) > max)
		return false;
	*out = (s - *p == 1 && **p == '-') ? (struct sl_str){ NULL, 0 }
	                                   : (struct sl_str){ *p, (size_t)(s - *p) };
	*p = s;
	return true;
}

static bool sp(const char **p, const char *end)
{
	if (*p >= end || **p != ' ')
		return false;
	(*p)++;
	return true;
}

const char *sl_parse_5424(const char *line, size_t n, struct sl_msg *m)
{
	static const struct { size_t max; const char *why; size_t off; } hdr[] = {
		{ 255, "invalid HOSTNAME", offsetof(struct sl_msg, host) },
		{ 48,  "invalid APP-NAME", offsetof(struct sl_msg, app) },
		{ 128, "invalid PROCID",   offsetof(struct sl_msg, procid) },
		{ 32,  "invalid MSGID",    offsetof(struct sl_msg, msgid) },
	};
	const char *p = line, *end = line + n, *why;

	memset(m, 0, sizeof *m);
	if ((m->pri = sl_pri(&p, end)) < 0)
		return "invalid PRI";
	if (p >= end || *p != '1' || p + 1 >= end || p[1] != ' ')
		return "not RFC 5424: VERSION is not 1";
	p += 2;
	if (p < end && *p == '-' && (p + 1 == end || p[1] == ' '))
		p++;                                  /* NILVALUE: no time */
	else if (!sl_rfc3339(&p, end, &m->time_ms))
		return "invalid timestamp";
	else
		m->has_time = true;
	for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; i++)
		if (!sp(&p, end) ||
		    !field(&p, end, hdr[i].max, (struct sl_str *)((char *)m + hdr[i].off)))
			return hdr[i].why;
	if (!sp(&p, end))
		return "invalid STRUCTURED-DATA";
	if (p < end && *p == '-') {
		p++;
	} else {
		const char *sd = p;
		if ((why = sl_sd_scan(&p, end)) != NULL)
			return why;
		m->sd = (struct sl_str){ sd, (size_t)(p - sd) };
	}
	if (p < end && !sp(&p, end))
		return "invalid STRUCTURED-DATA";
	if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	m->msg = (struct sl_str){ p, (size_t)(end - p) };
	return NULL;
}
