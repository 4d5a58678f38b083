/* fuzz_normalize_patterns.c - libFuzzer target for normalize's pattern
 * loader: the input as a pattern file (JSON, regexes, types, sets); when it
 * loads, one line is run through it and the output checked as JSON with no
 * member twice. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char line[] = "May 27 10:00:00 h sshd[1]: n=42 f=2.5 w=SYN ACK x";
	char err[512], *text = malloc(size + 1);
	struct nz_counts c = { 0 };
	struct nw_buf b = { 0 };
	struct nz_opts o = { .format = NZ_AUTO };

	memcpy(text, data, size);
	text[size] = '\0';
	o.pats = nz_pat_load(NULL, 0, text, err, sizeof err);
	if (o.pats != NULL && nz_line(&o, line, sizeof line - 1, 1780000000000LL,
	                              &b, &c) == NULL) {
		json_t *j = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(j))
			abort();
		json_decref(j);
	}
	nw_buf_free(&b);
	nz_pat_free(o.pats);
	free(text);
	return 0;
}
