/* ksrc_frame.c - can a payload travel as one NDJSON line?  And the
 * dead-letter record for one that cannot. */
#include "ksrc.h"

#include <string.h>

static const char *const frame_reasons[] = {
	[KSRC_FRAME_OK]      = "ok",
	[KSRC_FRAME_NEWLINE] = "payload contains a newline",
	[KSRC_FRAME_NUL]     = "payload contains a NUL byte",
	[KSRC_FRAME_UTF8]    = "payload is not valid UTF-8",
};

const char *ksrc_frame_reason(enum ksrc_frame f)
{
	return frame_reasons[f];
}

/* Three scans that glibc and lib/ vectorise (memchr, the ASCII fast path of
 * nw_utf8_valid_prefix) beat one byte loop; the earliest problem wins so
 * the reason does not depend on scan order. */
enum ksrc_frame ksrc_frame_check(const void *p, size_t n, size_t *at)
{
	const char *s = p;
	const char *nl = memchr(s, '\n', n);
	const char *nul = memchr(s, '\0', n);
	size_t valid = nw_utf8_valid_prefix(s, n);
	size_t first = n;
	enum ksrc_frame f = KSRC_FRAME_OK;

	if (nl) {
		first = (size_t)(nl - s);
		f = KSRC_FRAME_NEWLINE;
	}
	if (nul && (size_t)(nul - s) < first) {
		first = (size_t)(nul - s);
		f = KSRC_FRAME_NUL;
	}
	if (valid < first) {
		first = valid;
		f = KSRC_FRAME_UTF8;
	}
	*at = first;
	return f;
}

/* Same shape as lib's dead letters ({"reason","line"[,"line_base64"]}),
 * plus where the message lives, so it can be fetched again. */
static void ksrc_dlq_where(struct nw_buf *x, const char *topic,
                           int32_t partition, int64_t offset)
{
	nw_buf_adds(x, "\"topic\":");
	nw_buf_add_jstr(x, topic, strlen(topic));
	nw_buf_adds(x, ",\"partition\":");
	nw_buf_add_i64(x, partition);
	nw_buf_adds(x, ",\"offset\":");
	nw_buf_add_i64(x, offset);
}

void ksrc_dlq_record(struct nw_buf *b, const char *reason, const char *topic,
                     int32_t partition, int64_t offset, const void *p,
                     size_t n)
{
	struct nw_buf x = { 0 };

	ksrc_dlq_where(&x, topic, partition, offset);
	nw_dlq_format(b, reason, x.p, p, n);
	nw_buf_free(&x);
}

/* Counted, and logged without a file, exactly as lib's dead letters. */
void ksrc_dlq_put(struct nw_dlq *d, const char *reason, const char *topic,
                  int32_t partition, int64_t offset, const void *p, size_t n)
{
	struct nw_buf x = { 0 };

	ksrc_dlq_where(&x, topic, partition, offset);
	nw_dlq_put_with(d, reason, x.p, p, n);
	nw_buf_free(&x);
}
