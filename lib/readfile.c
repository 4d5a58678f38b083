/* readfile.c - reading a configuration or list file whole, with a size
 * cap and one style of error (see nw.h).  Used by detect's rules and sets
 * and enrich's lists and identity file. */
#include "nw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *nw_read_file(const char *path, size_t max, size_t *n, char *err,
                   size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	struct nw_buf b = { 0 };
	char chunk[8192];
	size_t got;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0) {
		nw_buf_add(&b, chunk, got);
		if (b.len > max) {
			snprintf(err, errlen, "%s: larger than %zu MiB", path, max >> 20);
			goto fail;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(fp);
	*n = b.len;
	if (b.p == NULL)
		return nw_xstrdup("");
	nw_buf_addc(&b, '\0');
	return b.p;
fail:
	fclose(fp);
	nw_buf_free(&b);
	return NULL;
}
