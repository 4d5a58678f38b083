/*
 * cli.c - a program's flag table (cli.h) made into the arrays getopt_long
 * takes and into the flag list of --help, so that what a program accepts
 * and what it says it accepts come from one place; and nw_getopt's one
 * wording for a bad flag.
 *
 * Ownership: the table is the program's; the getopt arrays built from it
 * (cli_built) live for the rest of the process.
 */
#include "nw.h"
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* A label ("-r, --rules FILE") longer than this does not set the column of
 * the help texts; its text follows it after two spaces instead. */
#define CLI_LABEL_MAX 26

/* Every program's own two, after its table in --help. */
static const struct nw_flag cli_std[] = {
	{ "help", 'h', NULL, "this text" },
	{ "version", 'V', NULL, "print the version" },
	{ NULL, 0, NULL, NULL },
};

/* getopt's view of the table nw_getopt was last given. */
static struct {
	const struct nw_flag *flags;
	struct option *longopts;        /* the table's flags, then cli_std */
	char shortopts[160];            /* "+" (in order), ":", the letters */
} cli_built;

static bool cli_is_short(const struct nw_flag *f)
{
	return f->id > 0 && f->id < 128 && isalnum(f->id);
}

/* Append a table's flags to longopts (from *k) and its letters to *so. */
static void cli_add(const struct nw_flag *f, size_t *k, char **so)
{
	for (; f->name; f++) {
		cli_built.longopts[(*k)++] = (struct option){
			f->name, f->arg ? required_argument : no_argument, NULL, f->id };
		if (cli_is_short(f)) {
			*(*so)++ = (char)f->id;
			if (f->arg)
				*(*so)++ = ':';
		}
	}
}

/* Build the arrays once per table: nw_getopt is called once per flag. */
static void cli_build(const struct nw_cli *cli)
{
	const struct nw_flag *f;
	size_t n = sizeof cli_std / sizeof cli_std[0], k = 0;
	char *so = cli_built.shortopts;

	if (cli_built.flags == cli->flags && cli_built.longopts)
		return;
	for (f = cli->flags; f && f->name; f++)
		n++;
	free(cli_built.longopts);
	cli_built.longopts = nw_xcalloc(n, sizeof *cli_built.longopts);
	cli_built.flags = cli->flags;
	if (cli->in_order)
		*so++ = '+';
	*so++ = ':';            /* a missing value is ':', told apart from '?' */
	if (cli->flags)
		cli_add(cli->flags, &k, &so);
	cli_add(cli_std, &k, &so);
	*so = '\0';             /* the last entry of longopts stays zero */
}

/* ---- --help ------------------------------------------------------------- */

/* len bytes of text, each "%s" printed as subst when there is one. */
static void cli_put(FILE *out, const char *text, size_t len,
                    const char *subst)
{
	const char *end = text + len, *p;

	while (subst && (p = memmem(text, (size_t)(end - text), "%s", 2))) {
		fwrite(text, 1, (size_t)(p - text), out);
		fputs(subst, out);
		text = p + 2;
	}
	fwrite(text, 1, (size_t)(end - text), out);
}

/* "-r, --rules FILE", or "    --stats FILE" in a table where other flags
 * have a letter, or "--size DUR" in one where none has. */
static int cli_label(const struct nw_flag *f, bool shorts, char *buf,
                     size_t cap)
{
	char sh[8] = "";

	if (cli_is_short(f))
		snprintf(sh, sizeof sh, "-%c, ", f->id);
	else if (shorts)
		snprintf(sh, sizeof sh, "    ");
	return snprintf(buf, cap, "%s--%s%s%s", sh, f->name, f->arg ? " " : "",
	                f->arg ? f->arg : "");
}

/* The widest label up to CLI_LABEL_MAX: the help texts' column. */
static int cli_width(const struct nw_flag *f, bool shorts, int width)
{
	char label[128];

	for (; f && f->name; f++) {
		int n = cli_label(f, shorts, label, sizeof label);
		if (f->help && n <= CLI_LABEL_MAX && n > width)
			width = n;
	}
	return width;
}

/* One entry per listed flag: the label, then the help text's lines in the
 * column. */
static void cli_list(FILE *out, const struct nw_flag *f, bool shorts,
                     int width, const char *subst)
{
	char label[128];

	for (; f && f->name; f++) {
		const char *line = f->help, *nl;
		if (line == NULL)
			continue;       /* accepted, not listed */
		cli_label(f, shorts, label, sizeof label);
		fprintf(out, "  %-*s  ", width, label);
		for (;;) {
			nl = strchr(line, '\n');
			cli_put(out, line, nl ? (size_t)(nl - line) : strlen(line),
			        subst);
			fputc('\n', out);
			if (nl == NULL)
				break;
			line = nl + 1;
			fprintf(out, "%*s", width + 4, "");
		}
	}
}

void nw_cli_usage(const struct nw_cli *cli, FILE *out)
{
	bool shorts = false;
	int width;

	for (const struct nw_flag *f = cli->flags; f && f->name; f++)
		shorts |= cli_is_short(f);
	width = cli_width(cli_std, shorts, cli_width(cli->flags, shorts, 0));
	if (cli->head)
		cli_put(out, cli->head, strlen(cli->head), cli->subst);
	cli_list(out, cli->flags, shorts, width, cli->subst);
	cli_list(out, cli_std, shorts, width, cli->subst);
	if (cli->tail)
		cli_put(out, cli->tail, strlen(cli->tail), cli->subst);
}

/* ---- bad flags ------------------------------------------------------------ */

/* Is the argument getopt just looked at the long flag whose id is optopt?
 * (Then the error is about it; otherwise about the short flag optopt, which
 * may sit in a group such as -qZ where argv[optind - 1] is an earlier
 * argument.)  name gets "--flag" without any "=value". */
static bool cli_long_flag(int argc, char **argv, char *name, size_t cap)
{
	const char *arg = optind >= 1 && optind <= argc ? argv[optind - 1] : "";
	size_t len;

	if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
		return false;
	len = strcspn(arg, "=");
	snprintf(name, cap, "%.*s", (int)len, arg);
	if (optopt == 0)
		return true;            /* unknown or ambiguous long flag */
	for (const struct option *lo = cli_built.longopts; lo->name; lo++)
		if (lo->val == optopt && strncmp(lo->name, arg + 2, len - 2) == 0)
			return true;
	return false;
}

/* One line, exit 2: the reason is "unknown flag", "needs a value" or
 * "takes no value". */
static void cli_fail(int c, int argc, char **argv)
{
	char name[128];
	const char *prog = nw_stage();

	if (!cli_long_flag(argc, argv, name, sizeof name))
		snprintf(name, sizeof name, "-%c",
		         isprint(optopt) ? (char)optopt : '?');
	if (c == ':')
		nw_usage_error("flag %s needs a value (see %s --help)", name, prog);
	if (optopt != 0 && name[1] == '-')
		nw_usage_error("flag %s takes no value (see %s --help)", name, prog);
	nw_usage_error("unknown flag %s (see %s --help)", name, prog);
}

int nw_getopt(int argc, char **argv, const struct nw_cli *cli)
{
	int c;

	cli_build(cli);
	opterr = 0;          /* the one error line is ours */
	optopt = 0;
	c = getopt_long(argc, argv, cli_built.shortopts, cli_built.longopts,
	                NULL);
	switch (c) {
	case 'h':
		nw_cli_usage(cli, stdout);
		exit(fflush(stdout) == 0 ? NW_EXIT_OK : NW_EXIT_FAIL);
	case 'V':
		nw_print_version();
		exit(fflush(stdout) == 0 ? NW_EXIT_OK : NW_EXIT_FAIL);
	case '?':
	case ':':
		cli_fail(c, argc, argv);
	}
	return c;
}

void nw_cli_no_args(int argc, char **argv)
{
	if (optind < argc)
		nw_usage_error("unexpected argument \"%s\" (see %s --help)",
		               argv[optind], nw_stage());
}
