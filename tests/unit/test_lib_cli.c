/* Unit tests for lib/cli.c and lib/flags.c: nw_getopt over a flag table,
 * its one wording for a bad flag, -h and -V, the --help layout built from
 * the table, and the flag value parsers.  Anything that exits runs in a
 * child whose status, stdout and stderr are checked. */
#include "nw.h"
#include "cli.h"
#include "t.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

enum { O_SIZE = 256, O_HIDDEN };
static const struct nw_flag flags[] = {
	{ "size", O_SIZE, "N", "the size" },
	{ "quiet", 'q', NULL, "say less" },
	{ "key", 'k', "K", "a key" },
	{ "hidden", O_HIDDEN, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};
static const struct nw_cli cli = { .head = "usage: prog [-q]\n\n",
                                   .flags = flags, .tail = "\nThe end.\n" };
static const char help_text[] =
	"usage: prog [-q]\n"
	"\n"
	"      --size N   the size\n"
	"  -q, --quiet    say less\n"
	"  -k, --key K    a key\n"
	"  -h, --help     this text\n"
	"  -V, --version  print the version\n"
	"\n"
	"The end.\n";

struct run { int status; char out[512], err[512]; };

static void slurp(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;
	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
}

/* Parse argv (NULL-terminated) in a child; the child prints every flag
 * getopt returned as "c=<val> arg=<optarg>" and exits 0. */
static struct run run_argv(const char **argv)
{
	struct run r;
	int out[2], err[2], argc = 0, status;

	while (argv[argc])
		argc++;
	if (pipe(out) || pipe(err))
		abort();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int c;
		dup2(out[1], 1), dup2(err[1], 2);
		close(out[0]), close(err[0]);
		nw_log_init("prog");
		optind = 0;
		while ((c = nw_getopt(argc, (char **)argv, &cli)) != -1)
			printf("c=%d arg=%s\n", c, optarg ? optarg : "-");
		nw_cli_no_args(argc, (char **)argv);
		exit(0);
	}
	close(out[1]), close(err[1]);
	slurp(out[0], r.out, sizeof r.out);
	slurp(err[0], r.err, sizeof r.err);
	waitpid(pid, &status, 0);
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return r;
}

#define ARGV(...) ((const char *[]){ "prog", __VA_ARGS__, NULL })

TEST(bad_flags_have_one_wording)
{
	struct run r;
	r = run_argv(ARGV("--foo"));
	CHECK_INT(r.status, 2);
	CHECK_STR(r.err, "prog: unknown flag --foo (see prog --help)\n");
	r = run_argv(ARGV("-x"));
	CHECK_INT(r.status, 2);
	CHECK_STR(r.err, "prog: unknown flag -x (see prog --help)\n");
	r = run_argv(ARGV("--foo=3"));
	CHECK_STR(r.err, "prog: unknown flag --foo (see prog --help)\n");
	r = run_argv(ARGV("--size"));
	CHECK_INT(r.status, 2);
	CHECK_STR(r.err, "prog: flag --size needs a value (see prog --help)\n");
	r = run_argv(ARGV("-k"));
	CHECK_STR(r.err, "prog: flag -k needs a value (see prog --help)\n");
	r = run_argv(ARGV("--quiet=1"));
	CHECK_INT(r.status, 2);
	CHECK_STR(r.err, "prog: flag --quiet takes no value (see prog --help)\n");
	/* a short flag in a group after a long one names the short one */
	r = run_argv(ARGV("--size=5", "-qZ"));
	CHECK_STR(r.err, "prog: unknown flag -Z (see prog --help)\n");
	r = run_argv(ARGV("-q", "extra"));
	CHECK_INT(r.status, 2);
	CHECK_STR(r.err, "prog: unexpected argument \"extra\" (see prog --help)\n");
}

TEST(good_flags_come_through)
{
	struct run r = run_argv(ARGV("-q", "--size", "5", "-kv", "--si=6",
	                             "--key=w", "--hidden"));
	CHECK_INT(r.status, 0);
	CHECK_STR(r.err, "");
	CHECK_STR(r.out, "c=113 arg=-\nc=256 arg=5\nc=107 arg=v\nc=256 arg=6\n"
	                 "c=107 arg=w\nc=257 arg=-\n");
}

TEST(help_and_version)
{
	struct run r;
	const char *const helps[] = { "-h", "--help" }, *const vers[] = { "-V", "--version" };
	for (int i = 0; i < 2; i++) {
		r = run_argv(ARGV(helps[i], "--foo"));
		CHECK_INT(r.status, 0);
		CHECK_STR(r.out, help_text);
		CHECK_STR(r.err, "");
		r = run_argv(ARGV(vers[i]));
		CHECK_INT(r.status, 0);
		CHECK_STR(r.out, "prog (netwatch) " NW_VERSION "\n");
	}
}

/* The help list: one column for every text, continuation lines in it, a
 * label too long for the column followed by two spaces, "%s" replaced,
 * no letter column when no flag has a letter. */
TEST(help_layout)
{
	static const struct nw_flag wide[] = {
		{ "a", 256, "X", "one\ntwo %s" },
		{ "a-flag-name-far-too-long", 257, "VALUE", "text" },
		{ NULL, 0, NULL, NULL },
	};
	const struct nw_cli c = { .head = "usage: w (%s)\n", .flags = wide,
	                          .subst = "s1, s2" };
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	nw_cli_usage(&c, fp);
	fclose(fp);
	CHECK_STR(buf, "usage: w (s1, s2)\n"
	               "  --a X          one\n"
	               "                 two s1, s2\n"
	               "  --a-flag-name-far-too-long VALUE  text\n"
	               "  -h, --help     this text\n"
	               "  -V, --version  print the version\n");
	free(buf);
}

TEST(sizes)
{
	uint64_t v;
	CHECK(nw_parse_size("512", &v) == 0 && v == 512);
	CHECK(nw_parse_size("64k", &v) == 0 && v == 65536);
	CHECK(nw_parse_size("16M", &v) == 0 && v == 16u << 20);
	CHECK(nw_parse_size("1G", &v) == 0 && v == 1u << 30);
	CHECK(nw_parse_size("2t", &v) == 0 && v == (uint64_t)2 << 40);
	CHECK(nw_parse_size("0", &v) == 0 && v == 0);
	CHECK(nw_parse_size("1.5k", &v) != 0);
	CHECK(nw_parse_size("k", &v) != 0);
	CHECK(nw_parse_size("16MB", &v) != 0);
	CHECK(nw_parse_size("-1", &v) != 0);
	CHECK(nw_parse_size(" 1", &v) != 0);
	CHECK(nw_parse_size("16777216T", &v) != 0);
	CHECK(nw_parse_size("99999999999999999999", &v) != 0);
}

/* The value helpers: the value, or exit 2 with one line naming the flag. */
static struct run run_value(int which, const char *arg)
{
	struct run r;
	int err[2], status;

	if (pipe(err))
		abort();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(err[1], 2);
		nw_log_init("prog");
		if (which == 0)
			exit((int)nw_flag_duration_ms("--every", arg, 1) / 1000);
		if (which == 1)
			exit((int)nw_flag_count("--n", arg, 1, 10));
		if (which == 3)
			exit((int)(nw_flag_double("--p", arg, 0, 1) * 100));
		if (which == 4) {
			static const char *const fmts[] = { "json", "rfc5424", "rfc3164" };
			exit((int)nw_flag_choice("--format", arg, fmts, 3));
		}
		exit((int)(nw_flag_size("--buf", arg, 1024, 1 << 20) >> 10));
	}
	close(err[1]);
	r.out[0] = '\0';
	slurp(err[0], r.err, sizeof r.err);
	waitpid(pid, &status, 0);
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return r;
}

TEST(value_helpers)
{
	struct run r;
	CHECK_INT(run_value(0, "5s").status, 5);
	r = run_value(0, "0s");
	CHECK_INT(r.status, 2);
	CHECK_STR(r.err, "prog: --every: bad duration \"0s\"\n");
	CHECK_INT(run_value(1, "7").status, 7);
	r = run_value(1, "11");
	CHECK_INT(r.status, 2);
	CHECK_STR(r.err, "prog: --n: want a number from 1 to 10, not \"11\"\n");
	CHECK_INT(run_value(3, "0.25").status, 25);
	r = run_value(3, "1.5");
	CHECK_INT(r.status, 2);
	CHECK_STR(r.err, "prog: --p: want a number from 0 to 1, not \"1.5\"\n");
	CHECK_INT(run_value(3, "nan").status, 2);
	CHECK_INT(run_value(2, "64k").status, 64);
	r = run_value(2, "2M");
	CHECK_INT(r.status, 2);
	CHECK(strncmp(r.err, "prog: --buf: want a size", 24) == 0);
	CHECK_INT(run_value(4, "rfc3164").status, 2);
	CHECK_INT(run_value(4, "json").status, 0);
	r = run_value(4, "xml");
	CHECK_INT(r.status, 2);
	CHECK_STR(r.err, "prog: --format: want json, rfc5424 or rfc3164, not \"xml\"\n");
}

int main(void)
{
	nw_log_init("test_lib_cli");
	RUN(bad_flags_have_one_wording);
	RUN(good_flags_come_through);
	RUN(help_and_version);
	RUN(help_layout);
	RUN(sizes);
	RUN(value_helpers);
	return t_done();
}
