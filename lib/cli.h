/*
 * cli.h - the flag toolkit every netwatch program uses, so that a bad flag
 * reads the same everywhere and -h/--help, -V/--version always work.
 *
 * A main parses its flags like this:
 *
 *	static const struct option longopts[] = {
 *		{ "size", required_argument, NULL, O_SIZE },
 *		...
 *		NW_CLI_STD_OPTS,              // --help (-h) and --version (-V)
 *		{ NULL, 0, NULL, 0 },
 *	};
 *	static const struct nw_cli cli = { "k:n", longopts, usage_text, NULL };
 *
 *	nw_log_init("window");            // the program name in every message
 *	while ((c = nw_getopt(argc, argv, &cli)) != -1)
 *		switch (c) { case O_SIZE: o->size = nw_flag_duration_ms("--size", optarg, 1); ... }
 *
 * nw_getopt is getopt_long with opterr = 0 and these answers of its own
 * (it never returns '?', ':', 'h' or 'V'):
 *
 *   -h, --help      the usage text on stdout, exit 0
 *   -V, --version   "PROG (netwatch) VERSION" on stdout, exit 0
 *   a bad flag      ONE line on stderr, exit 2 (NW_EXIT_USAGE):
 *                     PROG: unknown flag --foo (see PROG --help)
 *                     PROG: unknown flag -x (see PROG --help)
 *                     PROG: flag --size needs a value (see PROG --help)
 *                     PROG: flag --help takes no value (see PROG --help)
 *
 * shortopts is getopt's string without the leading ':' (nw_getopt adds it
 * and "hV"); a leading '+' (stop at the first non-flag, for subcommands)
 * is kept.  A bad flag VALUE is reported with nw_usage_error("--flag: …")
 * (nw.h), which prints "PROG: --flag: …" and exits 2; the nw_flag_*
 * helpers below do that for durations, counts and sizes.
 */
#ifndef NW_CLI_H
#define NW_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#define NW_CLI_STD_OPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }

struct nw_cli {
	const char *shortopts;            /* "" when none; NULL is "" too */
	const struct option *longopts;    /* must hold NW_CLI_STD_OPTS */
	const char *usage;                /* the --help text ... */
	void (*usage_fn)(FILE *out);      /* ... or, when usage is NULL, this */
};

/* The next flag, as getopt_long returns it (-1 at the end). */
int nw_getopt(int argc, char **argv, const struct nw_cli *cli);

/* Positional arguments left over: "PROG: unexpected argument "x" (see PROG
 * --help)", exit 2. */
void nw_cli_no_args(int argc, char **argv);

/* Flag values: each returns the value or exits 2 with one line naming the
 * flag (e.g. "--size") and the bad value.
 *   duration: 250ms, 5s, 10m, 1h, 1d, bare number = seconds; >= min_ms
 *   count:    a decimal integer in [min, max]
 *   double:   a finite decimal number in [min, max] (rates, probabilities)
 *   size:     bytes with an optional binary suffix: 512, 64k, 16M, 1G, 2T
 *             (k = 1024), in [min, max] */
int64_t  nw_flag_duration_ms(const char *flag, const char *arg, int64_t min_ms);
uint64_t nw_flag_count(const char *flag, const char *arg, uint64_t min,
                       uint64_t max);
uint64_t nw_flag_size(const char *flag, const char *arg, uint64_t min,
                      uint64_t max);
double   nw_flag_double(const char *flag, const char *arg, double min,
                        double max);

/* The size parser alone: 0, or -1 on a malformed or overflowing value. */
int nw_parse_size(const char *s, uint64_t *out);

#endif
