/* fuzz_normalize.c - libFuzzer target for normalize's syslog parsers:
 * every line of the input through each header format with the built-in
 * patterns; the output is checked to be JSON jansson accepts, with no
 * member twice.  fuzz_normalize_patterns.c fuzzes the pattern loader. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nz_patterns *builtin;
	static const enum nz_format fmts[] = { NZ_AUTO, NZ_RFC5424, NZ_RFC3164, NZ_NONE };
	struct nz_counts c = { 0 };
	struct nw_buf b = { 0 };
	char err[512];
	const char *p = (const char *)data, *end = p + size;

	if (builtin == NULL &&
	    (builtin = nz_pat_load(NULL, 0, nz_builtin_json, err, sizeof err)) == NULL)
		abort();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		for (size_t f = 0; f < 4; f++) {
			struct nz_opts o = { .format = fmts[f], .pats = builtin };
			nw_buf_reset(&b);
			if (nz_line(&o, p, n, 1780000000000LL, &b, &c) == NULL) {
				json_t *j = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES |
				                       JSON_ALLOW_NUL, NULL);
				if (!json_is_object(j))
					abort();      /* not JSON, or a member twice */
				json_decref(j);
			}
		}
		p += n + 1;
	}
	nw_buf_free(&b);
	return 0;
}
