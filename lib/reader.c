/* reader.c - line input with a maximum line length.
 *
 * One fixed buffer of maxlen + 64 KiB: a line longer than maxlen is handed
 * out as its first maxlen bytes (for the dead-letter output) and the rest of
 * it is skipped as it arrives, so memory stays bounded whatever the input.
 * The reader keeps the standard input counters (nw_std: lines_in, too_long,
 * read_errors, reopens) for whichever stage reads. */
#include "nw.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RD_CHUNK (64 * 1024)

/* Take NW_REOPEN_INPUT only when it names the very FIFO fd reads from:
 * reopening anything else (a regular file, another pipe) would replay or
 * hang instead of waiting for a restarted upstream stage. */
static int rd_reopen_init(struct nw_reader *r)
{
	const char *path = getenv("NW_REOPEN_INPUT");
	struct stat a, b;

	if (path == NULL || *path == '\0')
		return 0;
	if (fstat(r->fd, &a) != 0 || stat(path, &b) != 0 ||
	    !S_ISFIFO(a.st_mode) || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		LOG_WARN("NW_REOPEN_INPUT is not this input's FIFO, ignored path=%s",
		         path);
		return 0;
	}
	r->reopen = nw_xstrdup(path);
	r->reopen_eof = nw_xmalloc(strlen(path) + sizeof ".eof");
	sprintf(r->reopen_eof, "%s.eof", path);
	return 0;
}

int nw_reader_init(struct nw_reader *r, int fd, size_t maxlen)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->maxlen = maxlen ? maxlen : NW_MAX_LINE_DEFAULT;
	r->cap = r->maxlen + RD_CHUNK + 1;
	r->buf = nw_xmalloc(r->cap);
	return rd_reopen_init(r);
}

void nw_reader_free(struct nw_reader *r)
{
	free(r->buf);
	free(r->reopen);
	free(r->reopen_eof);
	r->buf = r->reopen = r->reopen_eof = NULL;
}

/* The input has really ended: later calls see EOF at once. */
static bool rd_reopen_final(struct nw_reader *r)
{
	free(r->reopen);
	r->reopen = NULL;
	return false;
}

/* EOF on a supervised input FIFO: the writer went away.  Reopen the FIFO
 * (non-blocking, so timeouts keep working while no writer is there) on the
 * same descriptor and go on, unless the input has really ended.  The end
 * marker is checked after the reopen: the supervisor creates it and then
 * opens the FIFO once, which wakes a reader that reopened before the marker
 * appeared, and a reader that reopened after it sees the marker. */
static bool rd_reopen(struct nw_reader *r)
{
	if (r->reopen == NULL)
		return false;
	if (nw_sig_stop)
		return rd_reopen_final(r);
	int fd = open(r->reopen, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || dup2(fd, r->fd) < 0) {
		LOG_WARN("cannot reopen input fifo=%s: %s", r->reopen,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		return rd_reopen_final(r);
	}
	close(fd);
	if (access(r->reopen_eof, F_OK) == 0) {
		LOG_DEBUG("input finished fifo=%s", r->reopen);
		return rd_reopen_final(r);
	}
	r->eof = r->skipping = false;
	r->reopens++;
	nw_std.reopens++;
	LOG_INFO("input writer went away, waiting for a new one fifo=%s "
	         "reopens=%llu", r->reopen, (unsigned long long)r->reopens);
	return true;
}

/* Look for a complete line in the buffer; returns true with *res set when
 * there is something to hand out. */
static bool rd_scan(struct nw_reader *r, char **line, size_t *len,
                    enum nw_rd *res)
{
	char *p = r->buf + r->start;
	size_t avail = r->end - r->start;
	char *nl = memchr(p, '\n', avail);

	if (r->skipping) {
		if (nl == NULL) {
			r->start = r->end = 0;
			return false;
		}
		r->skipping = false;
		r->start += (size_t)(nl - p) + 1;
		return rd_scan(r, line, len, res);
	}
	if (nl != NULL) {
		size_t n = (size_t)(nl - p);
		r->start += n + 1;
		if (n > r->maxlen) {
			p[r->maxlen] = '\0';
			*line = p, *len = r->maxlen, *res = NW_RD_TOOLONG;
			return true;
		}
		if (n > 0 && p[n - 1] == '\r')   /* tolerate CRLF input */
			n--;
		p[n] = '\0';
		*line = p, *len = n, *res = NW_RD_LINE;
		r->lines++;
		return true;
	}
	if (avail > r->maxlen) {
		p[r->maxlen] = '\0';
		*line = p, *len = r->maxlen, *res = NW_RD_TOOLONG;
		r->start = r->end = 0;   /* returned bytes stay put until next call */
		r->skipping = true;
		return true;
	}
	if (r->eof && avail > 0) {           /* last line without a newline */
		p[avail] = '\0';
		r->start = r->end;
		*line = p, *len = avail, *res = NW_RD_LINE;
		r->lines++;
		return true;
	}
	return false;
}

static enum nw_rd rd_next(struct nw_reader *r, char **line, size_t *len,
                          int timeout_ms)
{
	enum nw_rd res;

	for (;;) {
		if (rd_scan(r, line, len, &res))
			return res;
		if (r->eof && !rd_reopen(r))
			return NW_RD_EOF;
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->before_block)
			r->before_block();
		nw_stats_idle();
		/* A reopened FIFO is non-blocking and reads 0 while no writer
		 * is there; poll waits for one (Linux reports POLLHUP only once
		 * a writer came and went after the open). */
		if (timeout_ms >= 0 || r->reopens > 0) {
			struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
			int pr = poll(&pfd, 1, timeout_ms);
			if (pr == 0)
				return NW_RD_TIMEOUT;
			if (pr < 0)
				return errno == EINTR ? NW_RD_INTR : NW_RD_ERR;
		}
		ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end - 1);
		if (n < 0) {
			if (errno == EINTR)
				return NW_RD_INTR;
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
				if (poll(&pfd, 1, timeout_ms) < 0 && errno == EINTR)
					return NW_RD_INTR;
				continue;
			}
			return NW_RD_ERR;
		}
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
		r->bytes += (uint64_t)n;
	}
}

/* Every stage that reads lines gets the standard input counters. */
enum nw_rd nw_reader_next(struct nw_reader *r, char **line, size_t *len,
                          int timeout_ms)
{
	enum nw_rd res = rd_next(r, line, len, timeout_ms);

	switch (res) {
	case NW_RD_TOOLONG: nw_std.too_long++; /* fall through */
	case NW_RD_LINE: nw_std.lines_in++; break;
	case NW_RD_ERR: nw_std.read_errors++; break;
	default: break;
	}
	return res;
}
