/* Unit tests for lib/alloc.c: the one out-of-memory policy. */
#include "nw.h"
#include "t.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Let an impossible request fail with NULL under ASan too, as it does in
 * the optimised build, so the handler is what gets tested. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

static jmp_buf oom_jump;
static size_t oom_bytes;

static void oom_hook(size_t n)
{
	oom_bytes = n;
	longjmp(oom_jump, 1);
}

TEST(copies_and_zero_sizes)
{
	char *s = nw_xstrdup("hello");
	char *t = nw_xstrndup("hello", 3);
	char *u = nw_xstrndup("hi", 10);
	int *z = nw_xcalloc(4, sizeof *z);
	void *e = nw_xmalloc(0);
	CHECK_STR(s, "hello");
	CHECK_STR(t, "hel");
	CHECK_STR(u, "hi");
	CHECK(z[0] == 0 && z[3] == 0);
	CHECK(e != NULL);
	z = nw_xreallocarray(z, 1000, sizeof *z);
	z[999] = 1;
	CHECK_INT(z[999], 1);
	free(s), free(t), free(u), free(z), free(e);
}

TEST(out_of_memory_reaches_the_handler)
{
	volatile int calls = 0;

	nw_set_oom_handler(oom_hook);
	if (setjmp(oom_jump) == 0)
		(void)nw_xmalloc(SIZE_MAX - 4096);
	else
		calls++;
	CHECK_INT(calls, 1);
	CHECK(oom_bytes == SIZE_MAX - 4096);
	if (setjmp(oom_jump) == 0)
		(void)nw_xreallocarray(NULL, SIZE_MAX / 2, 4);   /* overflows */
	else
		calls++;
	CHECK_INT(calls, 2);
	nw_set_oom_handler(NULL);
}

/* Without a hook: one ERROR line and exit status 1 (NW_EXIT_FAIL). */
TEST(out_of_memory_exits_fail_with_one_line)
{
	int err[2], status;
	char buf[256] = "";

	CHECK(pipe(err) == 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(err[1], 2);
		nw_log_init("prog");
		(void)nw_xcalloc(SIZE_MAX / 8, 4);
		exit(0);
	}
	close(err[1]);
	size_t len = 0;
	ssize_t n;
	while (len < sizeof buf - 1 &&
	       (n = read(err[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;      /* until the child's end: EOF */
	buf[len] = '\0';
	close(err[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == NW_EXIT_FAIL);
	/* (under ASan a WARNING line of its own may come first) */
	const char *line = strstr(buf, "ERROR prog: out of memory bytes=");
	CHECK(line != NULL && (line == buf || line[-1] == '\n'));
	CHECK(line != NULL && strchr(line, '\n') == line + strlen(line) - 1);
}

int main(void)
{
	nw_log_init("test_lib_alloc");
	RUN(copies_and_zero_sizes);
	RUN(out_of_memory_reaches_the_handler);
	RUN(out_of_memory_exits_fail_with_one_line);
	return t_done();
}
