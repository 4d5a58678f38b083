/*
 * rfc3164.c - BSD syslog lines as rsyslog, syslog-ng and journald forward
 * them and as /var/log files hold them:
 *
 *   [<PRI>]TIMESTAMP SP [HOSTNAME SP] TAG[ "[" PID "]" ] ":" [SP] MSG
 *
 * TIMESTAMP is "Mmm dd hh:mm:ss" (day space- or zero-padded), in the zone
 * of --tz and a year guessed from the clock (struct sl_clock), or an RFC
 * 3339 stamp (rsyslog's high-precision format).  The token after the stamp
 * is the host unless it already ends in ':' or "]:" (a tag: journald drops
 * the host).  A line with no TAG keeps the rest as its message.
 */
#include "syslog.h"

#include <string.h>

#define TAG_MAX 48              /* as RFC 5424's APP-NAME */

static int month(const char *p)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (int i = 0; i < 12; i++)
		if (memcmp(p, names + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

static bool num2(const char *p, int *v)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return false;
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	return true;
}

/* "Mmm dd hh:mm:ss" at *p: epoch ms in the process's zone. */
static bool bsd_time(const char **p, const char *end, const struct sl_clock *c,
                     int64_t *ms)
{
	const char *s = *p;
	int mon, d, h, mi, sec, y;

	if (end - s < 15 || !(mon = month(s)) || s[3] != ' ' ||
	    s[6] != ' ' || s[9] != ':' || s[12] != ':' ||
	    !num2(s + 7, &h) || !num2(s + 10, &mi) || !num2(s + 13, &sec))
		return false;
	if (s[4] == ' ' && s[5] >= '1' && s[5] <= '9')
		d = s[5] - '0';
	else if (!num2(s + 4, &d))
		return false;
	y = c->year;
	if (y <= 0) {
		/* the clock's year, or the one before for a December line
		 * read in January */
		int64_t days = c->now_ms / 86400000;
		int64_t yy = 1970 + days / 366;
		while (sl_days_from_civil(yy + 1, 1, 1) <= days)
			yy++;
		y = (int)yy;
		if (sl_date_ok(y, mon, d) &&
		    sl_days_from_civil(y, (unsigned)mon, (unsigned)d) > days + 7)
			y--;
	}
	if (!sl_date_ok(y, mon, d) || h > 23 || mi > 59 || sec > 60)
		return false;
	*ms = sl_local_ms(y, mon, d, h, mi, sec);
	*p = s + 15;
	return true;
}

/* TAG[PID]: at p (a token up to SP): app and procid; false if the token
 * is not a tag. */
static bool tag(const char *p, const char *tok_end, struct sl_msg *m)
{
	const char *colon = tok_end - 1, *br;
	struct sl_str app = { p, 0 }, pid = { NULL, 0 };

	if (tok_end <= p || *colon != ':' || colon == p)
		return false;
	br = colon[-1] == ']' ? memchr(p, '[', (size_t)(colon - p)) : NULL;
	if (br != NULL) {
		if (br == p || colon - 1 == br + 1)
			return false;          /* "[1]:" or "sshd[]:" */
		app.n = (size_t)(br - p);
		pid = (struct sl_str){ br + 1, (size_t)(colon - 1 - (br + 1)) };
	} else {
		app.n = (size_t)(colon - p);
	}
	if (app.n > TAG_MAX)
		return false;
	m->app = app;
	m->procid = pid;
	return true;
}

static const char *token_end(const char *p, const char *end)
{
	const char *s = memchr(p, ' ', (size_t)(end - p));
	return s ? s : end;
}

const char *sl_parse_3164(const char *line, size_t n, const struct sl_clock *c,
                          struct sl_msg *m)
{
	const char *p = line, *end = line + n, *t;

	memset(m, 0, sizeof *m);
	m->pri = -1;
	if (p < end && *p == '<' && (m->pri = sl_pri(&p, end)) < 0)
		return "invalid PRI";
	if (p < end && *p >= '0' && *p <= '9') {
		if (!sl_rfc3339(&p, end, &m->time_ms))
			return "invalid timestamp";
	} else if (!bsd_time(&p, end, c, &m->time_ms)) {
		return m->pri < 0 ? "no syslog header (--format none takes bare "
		                    "messages)" : "invalid timestamp";
	}
	m->has_time = true;
	if (p < end && *p != ' ')
		return "invalid timestamp";
	while (p < end && *p == ' ')
		p++;
	t = token_end(p, end);
	if (!tag(p, t, m)) {                /* a host first */
		m->host = (struct sl_str){ p, (size_t)(t - p) };
		p = t;
		while (p < end && *p == ' ')
			p++;
		t = token_end(p, end);
		if (!tag(p, t, m)) {
			m->msg = (struct sl_str){ p, (size_t)(end - p) };
			return NULL;
		}
	}
	p = t < end ? t + 1 : t;
	m->msg = (struct sl_str){ p, (size_t)(end - p) };
	return NULL;
}
