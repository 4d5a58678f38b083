/* flags.c - parsers for flag values (cli.h, nw.h): durations, counts,
 * sizes, numbers; the nw_flag_* ones exit 2 with one line naming the flag.
 * The getopt loop and --help built from a flag table are cli.c's. */
#include "nw.h"
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int nw_parse_i64(const char *s, int64_t *out)
{
	char *end;
	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int nw_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (s == NULL || *s == '\0' || *s == '-')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int nw_parse_double(const char *s, double *out)
{
	char *end;
	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end != '\0' || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int nw_parse_duration_ms(const char *s, int64_t *out_ms)
{
	static const struct { const char *suffix; double ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 }, { "", 1000 },
	};
	char *end;

	if (s == NULL || *s == '\0' || *s == '-')
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(end, units[i].suffix) == 0) {
			double ms = v * units[i].ms;
			if (ms > 9.2e18)
				return -1;
			*out_ms = (int64_t)llround(ms);
			return 0;
		}
	return -1;
}

int nw_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "kmgt";
	char *end;
	unsigned shift = 0;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end != '\0') {
		const char *u = strchr(units, tolower((unsigned char)*end));
		if (u == NULL || end[1] != '\0')
			return -1;
		shift = 10 * (unsigned)(u - units + 1);
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int64_t nw_flag_duration_ms(const char *flag, const char *arg, int64_t min_ms)
{
	int64_t v;

	if (nw_parse_duration_ms(arg, &v) < 0 || v < min_ms)
		nw_usage_error("%s: bad duration \"%s\"", flag, arg);
	return v;
}

uint64_t nw_flag_count(const char *flag, const char *arg, uint64_t min,
                       uint64_t max)
{
	uint64_t v;

	if (nw_parse_u64(arg, &v) == 0 && v >= min && v <= max)
		return v;
	if (min == 1 && max == UINT64_MAX)
		nw_usage_error("%s: want a positive number, not \"%s\"", flag, arg);
	nw_usage_error("%s: want a number from %llu to %llu, not \"%s\"", flag,
	               (unsigned long long)min, (unsigned long long)max, arg);
}

double nw_flag_double(const char *flag, const char *arg, double min,
                      double max)
{
	double v;

	if (nw_parse_double(arg, &v) < 0 || v < min || v > max)
		nw_usage_error("%s: want a number from %g to %g, not \"%s\"", flag,
		               min, max, arg);
	return v;
}

size_t nw_flag_choice(const char *flag, const char *arg,
                      const char *const *names, size_t n)
{
	struct nw_buf want = { 0 };

	for (size_t i = 0; i < n; i++)
		if (strcmp(arg, names[i]) == 0)
			return i;
	for (size_t i = 0; i < n; i++)      /* "a, b or c" */
		nw_buf_printf(&want, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
		              names[i]);
	nw_usage_error("%s: want %s, not \"%s\"", flag, want.p, arg);
}

uint64_t nw_flag_size(const char *flag, const char *arg, uint64_t min,
                      uint64_t max)
{
	uint64_t v;

	if (nw_parse_size(arg, &v) < 0 || v < min || v > max)
		nw_usage_error("%s: want a size such as 512, 64k, 16M or 1G from "
		               "%llu to %llu bytes, not \"%s\"", flag,
		               (unsigned long long)min, (unsigned long long)max, arg);
	return v;
}
