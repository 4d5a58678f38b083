/*
 * emit.c - one syslog line to one JSON signal: pick the header parser
 * (auto: "<PRI>1 " is RFC 5424, anything else RFC 3164), then write the
 * fields in a fixed order, absent ones left out:
 *
 *   {"timestamp":ms,"host":…,"app":…,"procid":…,"msgid":…,
 *    "facility":"auth","facility_num":4,"severity":"crit","severity_num":2,
 *    "structured_data":{…},"message":…}
 *
 * Text that is not valid UTF-8 is written with U+FFFD in its place and the
 * whole line is added as "raw_base64", so nothing is lost (counted in
 * invalid_utf8).  A NUL byte is a dead letter, as in every stage.
 */
#include "nz.h"

#include <string.h>

const char *const nz_format_names[NZ_FORMATS] = {
	[NZ_AUTO] = "auto", [NZ_RFC5424] = "rfc5424",
	[NZ_RFC3164] = "rfc3164", [NZ_NONE] = "none",
};

const char *nz_format_name(enum nz_format f) { return nz_format_names[f]; }

/* "<digits>1 ": the RFC 5424 VERSION right after a PRI. */
static bool looks_5424(const char *p, size_t n)
{
	size_t i = 1;
	if (n < 5 || p[0] != '<')
		return false;
	while (i < n && i < 5 && p[i] >= '0' && p[i] <= '9')
		i++;
	return i + 2 < n && p[i] == '>' && p[i + 1] == '1' && p[i + 2] == ' ';
}

/* ,"name":"text" (when present); false when the text needed U+FFFD. */
static bool add_str(struct nw_buf *b, const char *name, const struct sl_str *s)
{
	if (s->n == 0)
		return true;
	nw_buf_adds(b, name);
	return nw_buf_add_jstr(b, s->p, s->n);
}

/* ,"facility":…,"severity_num":N for a PRI, rendered once per value: a
 * printf per line was a tenth of the time. */
static void add_pri(struct nw_buf *b, int pri)
{
	static char text[192][112];
	static unsigned char len[192];

	if (len[pri] == 0)
		len[pri] = (unsigned char)snprintf(text[pri], sizeof text[pri],
			",\"facility\":\"%s\",\"facility_num\":%d,\"severity\":\"%s\","
			"\"severity_num\":%d", sl_facility_name(pri >> 3), pri >> 3,
			sl_severity_name(pri & 7), pri & 7);
	nw_buf_add(b, text[pri], len[pri]);
}

/* An SD-ID given twice: RFC 5424 forbids it, and JSON would name a member
 * twice.  The line is refused rather than merged. */
static const char sd_repeated[] = "invalid STRUCTURED-DATA: SD-ID repeated";

/* The header members, the pattern's, then raw_base64 if needed. */
static const char *render(const struct nz_opts *o, struct nw_buf *b,
                          const struct sl_msg *m, const char *line, size_t n,
                          struct nz_counts *c)
{
	bool ok = true;

	nw_buf_addc(b, '{');
	if (m->has_time) {
		nw_buf_adds(b, "\"timestamp\":");
		nw_buf_add_i64(b, m->time_ms);
	} else {
		nw_buf_adds(b, "\"timestamp\":null");
	}
	ok &= add_str(b, ",\"host\":", &m->host);
	ok &= add_str(b, ",\"app\":", &m->app);
	ok &= add_str(b, ",\"procid\":", &m->procid);
	ok &= add_str(b, ",\"msgid\":", &m->msgid);
	if (m->pri >= 0)
		add_pri(b, m->pri);
	if (m->sd.n > 0) {
		nw_buf_adds(b, ",\"structured_data\":");
		if (!sl_sd_json(b, m->sd.p, m->sd.n))
			return sd_repeated;
	}
	nw_buf_adds(b, ",\"message\":");
	ok &= nw_buf_add_jstr(b, m->msg.p ? m->msg.p : "", m->msg.n);
	if (o->pats != NULL) {
		if (nz_pat_apply(o->pats, m, b, &c->type_errors, &ok) >= 0) {
			c->matched++;
		} else {
			c->unmatched++;
			if (o->unmatched_dlq)
				return "no pattern matched";
		}
	}
	if (!ok) {
		nw_buf_adds(b, ",\"raw_base64\":");
		nw_buf_add_b64(b, line, n);
		c->invalid_utf8++;
	}
	nw_buf_addc(b, '}');
	return NULL;
}

const char *nz_line(const struct nz_opts *o, const char *line, size_t n,
                    int64_t now_ms, struct nw_buf *out, struct nz_counts *c)
{
	const struct sl_clock clk = { o->year, now_ms };
	struct sl_msg m;
	const char *why = NULL;
	enum nz_format f = o->format;

	if (memchr(line, '\0', n) != NULL)
		return "NUL byte in line";
	if (f == NZ_AUTO)
		f = looks_5424(line, n) ? NZ_RFC5424 : NZ_RFC3164;
	switch (f) {
	case NZ_RFC5424:
		if ((why = sl_parse_5424(line, n, &m)) != NULL)
			return why;
		break;
	case NZ_RFC3164:
		if ((why = sl_parse_3164(line, n, &clk, &m)) != NULL)
			return why;
		break;
	default:
		memset(&m, 0, sizeof m);
		m.pri = -1;
		m.msg = (struct sl_str){ line, n };
		break;
	}
	why = render(o, out, &m, line, n, c);
	if (why == sd_repeated)
		return why;                /* not a good RFC 5424 line after all */
	c->rfc5424 += f == NZ_RFC5424;
	c->rfc3164 += f == NZ_RFC3164;
	if (why != NULL)
		return why;
	c->signals++;
	return NULL;
}
