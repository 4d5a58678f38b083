/* t.h - a tiny unit-test harness.  Each TEST is one case; the runner
 * (tests/run) counts the "PASS name" / "FAIL name" lines it prints.
 *
 * A case passes only if it made at least one check and none failed: a case
 * that checked nothing (an early return, a loop over an empty corpus)
 * proves nothing, so it fails with "no check". */
#ifndef T_H
#define T_H
#include <ftw.h>
#include <stdio.h>
#include <string.h>

static int t_failed_now, t_npass, t_nfail;
static long t_checks_now;   /* checks made by the running case */

#define TEST(fn) static void fn(void)
#define RUN(fn) t_run(#fn, fn)

#define CHECK(cond) do { \
	t_checks_now++; \
	if (!(cond)) { \
		printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		t_failed_now = 1; \
	} } while (0)
#define CHECK_INT(a, b) do { \
	t_checks_now++; \
	long long t_a = (long long)(a), t_b = (long long)(b); \
	if (t_a != t_b) { \
		printf("  %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, \
		       #a, t_a, t_b); \
		t_failed_now = 1; \
	} } while (0)
#define CHECK_STR(a, b) do { \
	t_checks_now++; \
	const char *t_a = (a), *t_b = (b); \
	if (t_a == NULL || strcmp(t_a, t_b) != 0) { \
		printf("  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, \
		       __LINE__, #a, t_a ? t_a : "(null)", t_b); \
		t_failed_now = 1; \
	} } while (0)

static void t_run(const char *name, void (*fn)(void))
{
	t_failed_now = 0;
	t_checks_now = 0;
	fn();
	if (t_failed_now) {
		t_nfail++;
		printf("FAIL %s\n", name);
	} else if (t_checks_now == 0) {
		t_nfail++;
		printf("FAIL %s: no check\n", name);
	} else {
		t_npass++;
		printf("PASS %s\n", name);
	}
	fflush(stdout);
}

static int t_done(void)
{
	return t_nfail ? 1 : 0;
}
/* A case's scratch directory (from mkdtemp) and all in it removed, without
 * a shell: 0, or -1 when something could not be. */
static int t_rm_one(const char *path, const struct stat *st, int type,
                    struct FTW *ftw)
{
	return remove(path);
}

static inline int t_rm_rf(const char *dir)
{
	return nftw(dir, t_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
#endif
