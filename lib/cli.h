/*
 * cli.h - the flag toolkit every netwatch program uses: ONE table of flags
 * per program, from which lib builds both what getopt accepts and the flag
 * list of --help, so the two can never disagree; one wording for a bad
 * flag; -h/--help and -V/--version everywhere; parsers for flag values.
 *
 * A program declares its flags once:
 *
 *	enum { O_SIZE = 256, O_STATS };          // long only: ids from 256 up
 *	static const struct nw_flag flags[] = {
 *		{ "size",  O_SIZE,  "DUR",  "window size (default 60s)" },
 *		{ "rules", 'r',     "FILE", "rules file (JSON); SIGHUP\n"
 *		                            "reloads it" },   // also -r
 *		{ "check", 'c',     NULL,   "validate the rules" },  // no value
 *		{ "parse-only", O_PO, NULL, NULL },     // accepted, not listed
 *		{ NULL },
 *	};
 *	static const struct nw_cli cli = {
 *		.head = "usage: window [--size DUR] ...\n\nWhat it does.\n\n",
 *		.flags = flags,
 *		.tail = "\nDUR: 250ms, 5s, 10m, 1h, 1d.\n",
 *	};
 *
 *	nw_log_init("window");            // the program name in every message
 *	while ((c = nw_getopt(argc, argv, &cli)) != -1)
 *		switch (c) { case O_SIZE: o->size = nw_flag_duration_ms("--size", optarg, 1); ... }
 *	nw_cli_no_args(argc, argv);
 *
 * An id that is a letter or digit is also the short flag (-r); a flag with
 * an arg takes a value (required_argument).  --help prints head, then one
 * line per listed flag and -h/--help, -V/--version, the help text in one
 * column ("  -r, --rules FILE   text"; continuation lines of a help text
 * are indented to that column), then tail.  With subst set, each "%s" in
 * these texts prints subst (gen lists its built-in scenarios so).
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
 * A bad flag VALUE is reported with nw_usage_error("--flag: …") (nw.h),
 * which prints "PROG: --flag: …" and exits 2; the nw_flag_* helpers below
 * do that for durations, counts and sizes.
 *
 * Ownership: the tables are the program's (static); nw_getopt builds the
 * getopt arrays from a table on its first call and keeps them for the
 * rest of the process.
 */
#ifndef NW_CLI_H
#define NW_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct nw_flag {
	const char *name;    /* "size" for --size; NULL ends the table */
	int id;              /* what nw_getopt returns; a letter or digit is
	                        also the short flag, else use 256 and up */
	const char *arg;     /* the value's name in --help; NULL: no value */
	const char *help;    /* one or more lines ('\n' between, none at the
	                        end); NULL: accepted but not listed */
};

struct nw_cli {
	const char *head;             /* synopsis and description, ending in
	                                 the blank line before the flags */
	const struct nw_flag *flags;  /* without help and version (added) */
	const char *tail;             /* after the flags (notes), or NULL */
	const char *subst;            /* printed for each "%s", or NULL */
	bool in_order;                /* flags stop at the first non-flag
	                                 argument (a subcommand's) */
};

/* The next flag's id (-1 at the end); optarg holds its value. */
int nw_getopt(int argc, char **argv, const struct nw_cli *cli);

/* The --help text. */
void nw_cli_usage(const struct nw_cli *cli, FILE *out);

/* Positional arguments left over: "PROG: unexpected argument "x" (see PROG
 * --help)", exit 2. */
void nw_cli_no_args(int argc, char **argv);

/* Flag values: each returns the value or exits 2 with one line naming the
 * flag (e.g. "--size") and the bad value.
 *   duration: 250ms, 5s, 10m, 1h, 1d, bare number = seconds; >= min_ms
 *   count:    a decimal integer in [min, max]
 *   double:   a finite decimal number in [min, max] (rates, probabilities)
 *   size:     bytes with an optional binary suffix: 512, 64k, 16M, 1G, 2T
 *             (k = 1024), in [min, max]
 *   choice:   one of n names; returns its index ("--format: want json,
 *             rfc5424 or rfc3164, not "x"") */
int64_t  nw_flag_duration_ms(const char *flag, const char *arg, int64_t min_ms);
uint64_t nw_flag_count(const char *flag, const char *arg, uint64_t min,
                       uint64_t max);
uint64_t nw_flag_size(const char *flag, const char *arg, uint64_t min,
                      uint64_t max);
double   nw_flag_double(const char *flag, const char *arg, double min,
                        double max);
size_t   nw_flag_choice(const char *flag, const char *arg,
                        const char *const *names, size_t n);

/* The size parser alone: 0, or -1 on a malformed or overflowing value. */
int nw_parse_size(const char *s, uint64_t *out);

#endif
