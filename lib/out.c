/* out.c - buffered stdout, side outputs and the dead-letter output. */
#include "nw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_BUFSZ (256 * 1024)
#define DLQ_LOG_FIRST 10          /* without a file: log the first few… */
#define DLQ_LOG_EVERY 10000       /* …then one line per this many */

struct nw_sink {
	FILE *fp;
	bool is_stderr;
	struct nw_sink *next;
};

static struct nw_sink *sinks;     /* every open sink, flushed with stdout */
static bool (*epipe_hook)(void);
/* Static, not malloc'd: libc drops its pointer to a user buffer at exit,
 * which leak checkers would report. */
static char out_buf[OUT_BUFSZ];

void nw_out_on_epipe(bool (*hook)(void)) { epipe_hook = hook; }

/* A write to stdout failed: EPIPE means the reader went away (documented
 * status 3, so a supervisor restarts us, unless the hook takes it over);
 * anything else is a failure. */
static void out_fail(void)
{
	int e = errno;

	/* What was dead-lettered or marked late must not die with stdout. */
	for (struct nw_sink *s = sinks; s; s = s->next)
		fflush(s->fp);
	if (e == EPIPE) {
		if (epipe_hook && epipe_hook()) {
			clearerr(stdout);
			return;
		}
		LOG_INFO("downstream closed its end (EPIPE), exiting status=%d",
		         NW_EXIT_PIPE);
		_exit(NW_EXIT_PIPE);
	}
	LOG_ERROR("cannot write to stdout: %s", strerror(e));
	_exit(NW_EXIT_FAIL);
}

void nw_out_init(void)
{
	setvbuf(stdout, out_buf, _IOFBF, OUT_BUFSZ);
}

void nw_out_line(const char *s, size_t n)
{
	if (fwrite_unlocked(s, 1, n, stdout) != n ||
	    putc_unlocked('\n', stdout) == EOF)
		out_fail();
	nw_std.lines_out++;
}

void nw_out_flush(void)
{
	if (fflush(stdout) != 0)
		out_fail();
	for (struct nw_sink *s = sinks; s; s = s->next)
		nw_sink_flush(s);
}

struct nw_sink *nw_sink_open(const char *path)
{
	struct nw_sink *s;

	if (path == NULL)
		return NULL;
	s = nw_xcalloc(1, sizeof *s);
	if (strcmp(path, "-") == 0) {
		s->fp = stderr;
		s->is_stderr = true;
	} else if ((s->fp = fopen(path, "a")) == NULL) {
		int e = errno;
		free(s);
		errno = e;
		return NULL;
	}
	s->next = sinks;
	sinks = s;
	return s;
}

uint64_t nw_sink_errors;

/* A failed side-output write (disk full, I/O error) is counted in the
 * stats; the first one is logged, then one per 10000, not one per line. */
static void sink_error(const char *what)
{
	if (nw_sink_errors++ % DLQ_LOG_EVERY == 0)
		LOG_ERROR("side output %s failed: %s total=%llu", what,
		          strerror(errno), (unsigned long long)nw_sink_errors);
}

void nw_sink_line(struct nw_sink *s, const char *line, size_t n)
{
	if (fwrite(line, 1, n, s->fp) != n || putc('\n', s->fp) == EOF)
		sink_error("write");
}

void nw_sink_flush(struct nw_sink *s)
{
	if (fflush(s->fp) != 0)
		sink_error("flush");
}

void nw_sink_close(struct nw_sink *s)
{
	if (s == NULL)
		return;
	for (struct nw_sink **pp = &sinks; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	nw_sink_flush(s);
	if (!s->is_stderr)
		fclose(s->fp);
	free(s);
}

int nw_dlq_open(struct nw_dlq *d, const char *path)
{
	memset(d, 0, sizeof *d);
	if (path == NULL)
		return 0;
	d->sink = nw_sink_open(path);
	return d->sink ? 0 : -1;
}

void nw_buf_add_b64(struct nw_buf *b, const void *data, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = data;

	nw_buf_reserve(b, (n + 2) / 3 * 4 + 2);
	nw_buf_addc(b, '"');
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		if (i + 1 < n) v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n) v |= s[i + 2];
		char q[4] = { tab[v >> 18], tab[(v >> 12) & 63],
		              i + 1 < n ? tab[(v >> 6) & 63] : '=',
		              i + 2 < n ? tab[v & 63] : '=' };
		nw_buf_add(b, q, 4);
	}
	nw_buf_addc(b, '"');
}

void nw_dlq_format(struct nw_buf *b, const char *reason, const char *extra,
                   const void *line, size_t n)
{
	nw_buf_adds(b, "{\"reason\":");
	nw_buf_add_jstr(b, reason, strlen(reason));
	if (extra && *extra) {
		nw_buf_addc(b, ',');
		nw_buf_adds(b, extra);
	}
	nw_buf_adds(b, ",\"line\":");
	if (!nw_buf_add_jstr(b, line, n)) {
		nw_buf_adds(b, ",\"line_base64\":");
		nw_buf_add_b64(b, line, n);
	}
	nw_buf_addc(b, '}');
}

void nw_dlq_put_with(struct nw_dlq *d, const char *reason, const char *extra,
                     const void *line, size_t n)
{
	struct nw_buf b = { 0 };

	d->count++;
	nw_std.dead_letters++;
	nw_dlq_format(&b, reason, extra, line, n);
	if (d->sink) {
		nw_sink_line(d->sink, b.p, b.len);
	} else if (d->count <= DLQ_LOG_FIRST || d->count % DLQ_LOG_EVERY == 0) {
		d->logged++;
		LOG_WARN("dead letter reason=\"%s\" total=%llu record=%.300s%s", reason,
		         (unsigned long long)d->count, b.p,
		         d->count == DLQ_LOG_FIRST ?
		         " (further ones logged once per 10000; use --dead-letter FILE)" : "");
	}
	nw_buf_free(&b);
}

void nw_dlq_put(struct nw_dlq *d, const char *reason, const char *line,
                size_t n)
{
	nw_dlq_put_with(d, reason, NULL, line, n);
}

void nw_dlq_close(struct nw_dlq *d)
{
	nw_sink_close(d->sink);
	d->sink = NULL;
}
