/* flags.c - the flag toolkit (cli.h): one getopt loop with one wording for
 * a bad flag, -h/-V on every program, and parsers for flag values. */
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

/* The short flag getopt rejected, for the error line. */
const char *nw_bad_flag(const char *arg)
{
	static char shortf[3] = "-?";

	if (optopt == 0)
		return arg;
	shortf[1] = isprint((unsigned char)optopt) ? (char)optopt : '?';
	return shortf;
}

/* Is the argument getopt just looked at the long flag whose val is optopt?
 * (Then the error is about it; otherwise about the short flag optopt, which
 * may sit in a group such as -qZ where argv[optind - 1] is an earlier
 * argument.)  name gets "--flag" without any "=value". */
static bool cli_long_flag(int argc, char **argv, const struct option *lo,
                          char *name, size_t cap)
{
	const char *arg = optind >= 1 && optind <= argc ? argv[optind - 1] : "";
	size_t len;

	if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
		return false;
	len = strcspn(arg, "=");
	snprintf(name, cap, "%.*s", (int)len, arg);
	if (optopt == 0)
		return true;            /* unknown or ambiguous long flag */
	for (; lo && lo->name; lo++)
		if (lo->flag == NULL && lo->val == optopt &&
		    strncmp(lo->name, arg + 2, len - 2) == 0)
			return true;
	return false;
}

/* One line, exit 2: the reason is "unknown flag", "needs a value" or
 * "takes no value". */
static void cli_fail(int c, int argc, char **argv, const struct nw_cli *cli)
{
	char name[128];
	const char *prog = nw_stage();

	if (!cli_long_flag(argc, argv, cli->longopts, name, sizeof name))
		snprintf(name, sizeof name, "%s", nw_bad_flag(NULL));
	if (c == ':')
		nw_usage_error("flag %s needs a value (see %s --help)", name, prog);
	if (optopt != 0 && name[1] == '-')
		nw_usage_error("flag %s takes no value (see %s --help)", name, prog);
	nw_usage_error("unknown flag %s (see %s --help)", name, prog);
}

/* shortopts with ':' first (so a missing value is told apart) and hV. */
static const char *cli_shortopts(const char *user, char *buf, size_t cap)
{
	const char *s = user ? user : "";
	bool plus = *s == '+';

	snprintf(buf, cap, "%s:%s%s%s", plus ? "+" : "", s + plus,
	         strchr(s, 'h') ? "" : "h", strchr(s, 'V') ? "" : "V");
	return buf;
}

int nw_getopt(int argc, char **argv, const struct nw_cli *cli)
{
	char shortopts[128];
	int c;

	opterr = 0;          /* the one error line is ours */
	optopt = 0;
	c = getopt_long(argc, argv,
	                cli_shortopts(cli->shortopts, shortopts, sizeof shortopts),
	                cli->longopts, NULL);
	switch (c) {
	case 'h':
		if (cli->usage)
			fputs(cli->usage, stdout);
		else if (cli->usage_fn)
			cli->usage_fn(stdout);
		exit(fflush(stdout) == 0 ? NW_EXIT_OK : NW_EXIT_FAIL);
	case 'V':
		nw_print_version();
		exit(fflush(stdout) == 0 ? NW_EXIT_OK : NW_EXIT_FAIL);
	case '?':
	case ':':
		cli_fail(c, argc, argv, cli);
	}
	return c;
}

void nw_cli_no_args(int argc, char **argv)
{
	if (optind < argc)
		nw_usage_error("unexpected argument \"%s\" (see %s --help)",
		               argv[optind], nw_stage());
}
