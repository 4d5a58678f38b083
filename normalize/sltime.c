/*
 * sltime.c - the pieces both syslog formats share: PRI, the facility and
 * severity names of RFC 5424's tables, and time (RFC 3339 stamps, civil
 * dates, local time in the --tz zone).
 *
 * Owns nothing but the per-hour cache of sl_local_ms (process-wide: one
 * zone per process, set before the first line).
 */
#include "syslog.h"

#include <time.h>

static bool digits(const char *p, const char *end, int n, int *out)
{
	int v = 0;
	if (end - p < n)
		return false;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

int sl_pri(const char **p, const char *end)
{
	const char *s = *p;
	int v = 0, nd = 0;

	if (s >= end || *s++ != '<')
		return -1;
	while (s < end && *s >= '0' && *s <= '9' && nd < 4) {
		v = v * 10 + (*s++ - '0');
		nd++;
	}
	if (nd == 0 || nd > 3 || s >= end || *s != '>' || v > 191 ||
	    (nd > 1 && (*p)[1] == '0'))
		return -1;
	*p = s + 1;
	return v;
}

const char *sl_facility_name(int f)
{
	static const char *const names[24] = {
		"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
		"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console",
		"solaris-cron", "local0", "local1", "local2", "local3", "local4",
		"local5", "local6", "local7",
	};
	return f >= 0 && f < 24 ? names[f] : "unknown";
}

const char *sl_severity_name(int s)
{
	static const char *const names[8] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};
	return s >= 0 && s < 8 ? names[s] : "unknown";
}

/* The count of days from 1970-01-01, by 400-year eras of 146097 days
 * with March as the first month (so the leap day ends the year). */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

bool sl_date_ok(int y, int m, int d)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

/* YYYY-MM-DDTHH:MM:SS[.1-6 digits](Z|+HH:MM|-HH:MM) */
bool sl_rfc3339(const char **p, const char *end, int64_t *ms)
{
	const char *s = *p;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, frac = 0, nf = 0, sign = 0;

	if (!digits(s, end, 4, &y) || end - s < 19 || s[4] != '-' ||
	    !digits(s + 5, end, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, end, 2, &d) || s[10] != 'T' ||
	    !digits(s + 11, end, 2, &h) || s[13] != ':' ||
	    !digits(s + 14, end, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, end, 2, &sec))
		return false;
	s += 19;
	if (s < end && *s == '.') {
		for (s++; s < end && *s >= '0' && *s <= '9'; s++, nf++)
			if (nf < 3)
				frac = frac * 10 + (*s - '0');
		if (nf == 0 || nf > 6)
			return false;
		for (int i = nf; i < 3; i++)
			frac *= 10;
	}
	if (s < end && *s == 'Z') {
		s++;
	} else if (s < end && (*s == '+' || *s == '-')) {
		sign = *s == '-' ? -1 : 1;
		if (!digits(s + 1, end, 2, &oh) || end - s < 6 || s[3] != ':' ||
		    !digits(s + 4, end, 2, &om) || oh > 23 || om > 59)
			return false;
		s += 6;
	} else {
		return false;
	}
	if (!sl_date_ok(y, mo, d) || h > 23 || mi > 59 || sec > 60)
		return false;
	int64_t t = sl_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	            h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
	*ms = t * 1000 + frac;
	*p = s;
	return true;
}

int64_t sl_local_ms(int y, int mon, int d, int h, int mi, int s)
{
	static int64_t key = -1, base;   /* the hour last asked, its epoch */
	int64_t k = ((int64_t)y * 12 + mon) * 31 * 24 + d * 24 + h;

	if (k != key) {
		struct tm tm = { .tm_year = y - 1900, .tm_mon = mon - 1,
		                 .tm_mday = d, .tm_hour = h, .tm_isdst = -1 };
		base = (int64_t)mktime(&tm);
		key = k;
	}
	return (base + mi * 60 + s) * 1000;
}
