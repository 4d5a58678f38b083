/* wtime.c - event timestamps to epoch milliseconds.
 *
 * Numbers are converted from their decimal text, not through a double, so
 * 1763711997.123 s is exactly 1763711997123 ms whatever its binary form. */
#include "wtime.h"

#include <string.h>

int win_tunit_parse(const char *s, enum win_tunit *out)
{
	static const struct { const char *name; enum win_tunit u; } tab[] = {
		{ "auto", WT_AUTO }, { "s", WT_S }, { "ms", WT_MS }, { "us", WT_US },
		{ "ns", WT_NS }, { "rfc3339", WT_RFC3339 },
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcmp(s, tab[i].name) == 0) {
			*out = tab[i].u;
			return 0;
		}
	return -1;
}

const char *win_ts_errstr(enum win_ts_err e)
{
	switch (e) {
	case WTS_OK: return "ok";
	case WTS_MISSING: return "missing timestamp";
	case WTS_TYPE: return "non-numeric timestamp";
	case WTS_BAD: return "bad timestamp";
	case WTS_RANGE: return "timestamp out of range";
	}
	return "?";
}

/* floor(number * 10^scale) for the JSON number text p/n, within
 * [0, WIN_TS_MAX]. */
static enum win_ts_err num_scaled(const char *p, size_t n, int scale,
                                  int64_t *out)
{
	const char *end = p + n;
	char dig[32];
	int nd = 0, exp10 = 0, e = 0, esign = 1;
	bool neg = false, nonzero = false;

	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (nd == 0 && *p == '0')
			continue;
		if (nd < (int)sizeof dig)
			dig[nd++] = *p;
		else
			exp10++;          /* digits beyond 32: only magnitude counts */
		nonzero = true;
	}
	if (p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
			if (nd == 0 && *p == '0') {
				exp10--;
				continue;
			}
			if (nd < (int)sizeof dig) {
				dig[nd++] = *p;
				exp10--;
			}
			if (*p != '0')
				nonzero = true;
		}
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			esign = *p++ == '-' ? -1 : 1;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if (e < 100000)
				e = e * 10 + (*p - '0');
	}
	if (!nonzero) {
		*out = 0;
		return WTS_OK;
	}
	if (neg)
		return WTS_RANGE;
	exp10 += esign * e + scale;
	/* value = dig * 10^exp10; keep the integer part */
	int intdigits = nd + exp10;
	if (intdigits <= 0) {
		*out = 0;
		return WTS_OK;
	}
	if (intdigits > 16)
		return WTS_RANGE;
	uint64_t v = 0;
	for (int i = 0; i < intdigits; i++)
		v = v * 10 + (uint64_t)(i < nd ? dig[i] - '0' : 0);
	if (v > (uint64_t)WIN_TS_MAX)
		return WTS_RANGE;
	*out = (int64_t)v;
	return WTS_OK;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

int win_rfc3339(const char *s, size_t n, int64_t *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, off = 0;
	size_t i = 19;

	/* 2025-11-21T07:59:57 */
	if (n < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 ||
	    digits(s + 8, 2, &d) < 0 || digits(s + 11, 2, &h) < 0 ||
	    digits(s + 14, 2, &mi) < 0 || digits(s + 17, 2, &sec) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	if (s[i] == '.') {
		int nf = 0;
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, nf++)
			if (nf < 3)
				frac = frac * 10 + (s[i] - '0');
		if (nf == 0)
			return -1;
		for (; nf < 3; nf++)
			frac *= 10;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int oh, om;
		if (digits(s + i + 1, 2, &oh) < 0 || digits(s + i + 4, 2, &om) < 0 ||
		    oh > 23 || om > 59)
			return -1;
		off = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return -1;
	}
	if (i != n)
		return -1;
	int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	            (int64_t)off * 60;
	t = t * 1000 + frac;
	if (t < 0 || t > WIN_TS_MAX)
		return -2;
	*ms = t;
	return 0;
}

enum win_ts_err win_ts_from(const struct jscan_val *v, enum win_tunit unit,
                            int64_t *ms)
{
	static const int scale[] = {
		[WT_S] = 3, [WT_MS] = 0, [WT_US] = -3, [WT_NS] = -6,
	};

	switch (v->type) {
	case JSCAN_NONE:
	case JSCAN_NULL:
		return WTS_MISSING;
	case JSCAN_STR:
		if (unit != WT_AUTO && unit != WT_RFC3339)
			return WTS_TYPE;
		switch (win_rfc3339(v->p, v->n, ms)) {
		case 0: return WTS_OK;
		case -2: return WTS_RANGE;
		default: return WTS_BAD;
		}
	case JSCAN_INT:
	case JSCAN_REAL:
		if (unit == WT_RFC3339)
			return WTS_TYPE;
		if (unit == WT_AUTO) {
			double a = v->d < 0 ? -v->d : v->d;
			unit = a < 1e11 ? WT_S : a < 1e14 ? WT_MS : a < 1e17 ? WT_US : WT_NS;
		}
		return num_scaled(v->p, v->n, scale[unit], ms);
	default:
		return WTS_TYPE;
	}
}
