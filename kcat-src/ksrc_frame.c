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

static void b64(struct nw_buf *b, const unsigned char *s, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	nw_buf_reserve(b, (n + 2) / 3 * 4 + 2);
	nw_buf_addc(b, '"');
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		char q[4] = { tab[v >> 18], tab[(v >> 12) & 63],
		              i + 1 < n ? tab[(v >> 6) & 63] : '=',
		              i + 2 < n ? tab[v & 63] : '=' };
		nw_buf_add(b, q, 4);
	}
	nw_buf_addc(b, '"');
}

/* Same shape as lib's dead letters ({"reason","line"[,"line_base64"]}),
 * plus where the message lives, so it can be fetched again. */
void ksrc_dlq_record(struct nw_buf *b, const char *reason, const char *topic,
                     int32_t partition, int64_t offset, const void *p,
                     size_t n)
{
	nw_buf_adds(b, "{\"reason\":");
	nw_buf_add_jstr(b, reason, strlen(reason));
	nw_buf_adds(b, ",\"topic\":");
	nw_buf_add_jstr(b, topic, strlen(topic));
	nw_buf_adds(b, ",\"partition\":");
	nw_buf_add_i64(b, partition);
	nw_buf_adds(b, ",\"offset\":");
	nw_buf_add_i64(b, offset);
	nw_buf_adds(b, ",\"line\":");
	if (!nw_buf_add_jstr(b, p, n)) {
		nw_buf_adds(b, ",\"line_base64\":");
		b64(b, p, n);
	}
	nw_buf_addc(b, '}');
}

/* Without a file the first few go to the log, then one per 10000, as
 * lib's nw_dlq_put does; the count always moves. */
void ksrc_dlq_put(struct nw_dlq *d, const char *reason, const char *topic,
                  int32_t partition, int64_t offset, const void *p, size_t n)
{
	struct nw_buf b = { 0 };

	d->count++;
	ksrc_dlq_record(&b, reason, topic, partition, offset, p, n);
	if (d->sink) {
		nw_sink_line(d->sink, b.p, b.len);
	} else if (d->count <= 10 || d->count % 10000 == 0) {
		d->logged++;
		LOG_WARN("dead letter reason=\"%s\" total=%llu record=%.300s%s", reason,
		         (unsigned long long)d->count, b.p,
		         d->count == 10 ? " (further ones logged once per 10000;"
		                          " use --dead-letter FILE)" : "");
	}
	nw_buf_free(&b);
}
