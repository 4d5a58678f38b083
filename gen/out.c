/* out.c - gen's output: one big buffer written with write(2) to stdout or
 * to the pipe into the Kafka producer.  Events are formatted straight into
 * the buffer's tail (gen_out_reserve/commit), so the hot path copies each
 * byte once.  EPIPE exits 3 as every stage does; other errors exit 1. */
#include "gen.h"
#include "nw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_CAP (1024 * 1024)

struct gen_counters gen_ctr;

static int out_fd = 1;
static char *out_buf;
static size_t out_len;
static void (*out_before_exit)(void);

void gen_out_on_exit(void (*hook)(void)) { out_before_exit = hook; }

void gen_out_init(int fd)
{
	out_fd = fd;
	out_buf = nw_xmalloc(OUT_CAP + GEN_LINE_MAX);
	out_len = 0;
}

static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(out_fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;
			if (out_before_exit)
				out_before_exit();
			if (e == EPIPE) {
				LOG_INFO("reader closed its end (EPIPE), exiting status=%d",
				         NW_EXIT_PIPE);
				_exit(NW_EXIT_PIPE);
			}
			LOG_ERROR("cannot write output: %s", strerror(e));
			_exit(NW_EXIT_FAIL);
		}
		p += w;
		n -= (size_t)w;
		gen_ctr.bytes += (uint64_t)w;
	}
}

void gen_out_flush(void)
{
	if (out_len) {
		write_all(out_buf, out_len);
		out_len = 0;
	}
}

char *gen_out_reserve(size_t n)
{
	if (out_len + n > OUT_CAP + GEN_LINE_MAX)
		gen_out_flush();
	return out_buf + out_len;
}

void gen_out_commit(size_t n)
{
	out_len += n;
	if (out_len >= OUT_CAP)
		gen_out_flush();
}

void gen_out_write(const void *p, size_t n)
{
	if (n > OUT_CAP) {
		gen_out_flush();
		write_all(p, n);
		return;
	}
	memcpy(gen_out_reserve(n), p, n);
	out_len += n;
	if (out_len >= OUT_CAP)
		gen_out_flush();
}

void gen_out_free(void)
{
	free(out_buf);
	out_buf = NULL;
}
