/* misc.c - signals, clocks and flag parsers. */
#include "nw.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t nw_sig_stop;
volatile sig_atomic_t nw_sig_hup;

static void sig_handler(int sig)
{
	if (sig == SIGHUP)
		nw_sig_hup = 1;
	else
		nw_sig_stop = 1;
}

/* No SA_RESTART: a blocking read returns EINTR so the loop sees the flag. */
void nw_sig_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int64_t nw_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t nw_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

const char *nw_bad_flag(const char *arg)
{
	static char shortf[3] = "-?";
	if (optopt == 0)
		return arg;
	shortf[1] = (char)optopt;
	return shortf;
}

int nw_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w, n -= (size_t)w;
	}
	return 0;
}

int nw_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}
