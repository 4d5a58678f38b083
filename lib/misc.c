/* misc.c - signals, clocks and durable writes. */
#include "nw.h"

#include <errno.h>
#include <fcntl.h>
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

/* No SA_RESTART: a blocking read (or open) returns EINTR, so the loop
 * around it sees the flag the handler set. */
void nw_sig_on(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

void nw_sig_init(void)
{
	nw_sig_on(SIGTERM, sig_handler);
	nw_sig_on(SIGINT, sig_handler);
	nw_sig_on(SIGHUP, sig_handler);
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
