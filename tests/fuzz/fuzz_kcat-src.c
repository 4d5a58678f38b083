/* Fuzz kcat-src's payload framing check against a byte-by-byte reference,
 * the dead-letter record (always valid JSON, payload recoverable), and the
 * producer's key extraction (the key lies inside the line). */
#include "ksrc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static enum ksrc_frame reference(const unsigned char *s, size_t n, size_t *at)
{
	size_t valid = nw_utf8_valid_prefix((const char *)s, n);
	for (size_t i = 0; i < n; i++) {
		if (i >= valid) {
			*at = i;
			return KSRC_FRAME_UTF8;
		}
		if (s[i] == '\n' || s[i] == '\0') {
			*at = i;
			return s[i] == '\n' ? KSRC_FRAME_NEWLINE : KSRC_FRAME_NUL;
		}
	}
	*at = n;
	return KSRC_FRAME_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t at, ref_at;
	enum ksrc_frame f = ksrc_frame_check(data, size, &at);

	if (f != reference(data, size, &ref_at) || at != ref_at)
		abort();

	struct nw_buf b = { 0 };
	ksrc_dlq_record(&b, ksrc_frame_reason(f), "t", 0, 1, data, size);
	json_t *j = json_loadb(b.p, b.len, JSON_ALLOW_NUL, NULL);
	if (j == NULL)
		abort();
	json_t *raw = json_object_get(j, "line_base64");
	json_t *line = json_object_get(j, "line");
	if (raw == NULL && (json_string_length(line) != size ||
	                    memcmp(json_string_value(line), data, size) != 0))
		abort();     /* valid UTF-8 must round-trip through "line" */
	if (raw == NULL && f == KSRC_FRAME_UTF8)
		abort();
	json_decref(j);
	nw_buf_free(&b);

	const char *v;
	size_t vn;
	if (ksrc_json_key((const char *)data, size, "src_ip", 6, &v, &vn) &&
	    (v < (const char *)data || v + vn > (const char *)data + size))
		abort();
	return 0;
}
