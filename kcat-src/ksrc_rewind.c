/* ksrc_rewind.c - the output side of a rewind in place (docs/recovery.md).
 *
 * Under scripts/supervise with checkpoints, a stage dying downstream no
 * longer costs kcat-src its life (and, with -G, a group rebalance): the
 * supervisor sends SIGUSR1 once the next stage is gone.  kcat-src then
 * drops whatever it had not written, lets go of its output FIFO (which,
 * with no end open any more, loses the stale bytes in it), seeks back to
 * the restore point and reopens the FIFO for the restarted reader.  This
 * file owns the signal flag and the two stdout moves; the seeking lives in
 * ksrc_consume.c, which owns the partition table.
 */
#include "ksrc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t ksrc_rewind_req;
static bool detached;            /* stdout is /dev/null until reattached */

static void on_usr1(int sig)
{
	(void)sig;
	ksrc_rewind_req = 1;
}

/* Without SA_RESTART: a blocking open of the output returns EINTR. */
void ksrc_rewind_sig_init(void)
{
	nw_sig_on(SIGUSR1, on_usr1);
}

const char *ksrc_rewind_path(void)
{
	const char *p = getenv("NW_REOPEN_OUTPUT");

	return p && *p ? p : NULL;
}

void ksrc_out_detach(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	__fpurge(stdout);            /* unwritten lines die with the rewind */
	detached = true;
	if (fd < 0) {
		close(STDOUT_FILENO);
		return;
	}
	/* dup2 closes the FIFO's write end and keeps fd 1 in use, so nothing
	 * opened later can land on it by accident. */
	dup2(fd, STDOUT_FILENO);
	close(fd);
}

int ksrc_out_reattach(const char *path)
{
	int fd;

	while ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
		if (errno != EINTR || nw_sig_stop) {
			if (!nw_sig_stop)
				LOG_ERROR("cannot reopen output %s: %s", path, strerror(errno));
			return -1;
		}
		ksrc_rewind_req = 0;   /* a second request while waiting: same */
	}
	if (dup2(fd, STDOUT_FILENO) < 0) {
		LOG_ERROR("cannot reopen output %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	clearerr(stdout);
	detached = false;
	return 0;
}

bool ksrc_out_is_detached(void)
{
	return detached;
}
