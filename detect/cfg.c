/* cfg.c - reading configuration files whole, and the names they give
 * (see cfg.h). */
#include "cfg.h"
#include "nw.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cfg_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' &&
		    s[i] != '.')
			return false;
	return true;
}

char *cfg_read(const char *path, size_t *n, char *err, size_t errlen)
{
	return nw_read_file(path, CFG_MAX_BYTES, n, err, errlen);
}

char *cfg_path_near(const char *base, const char *path)
{
	const char *slash = strrchr(base, '/');
	struct nw_buf b = { 0 };

	if (path[0] == '/' || slash == NULL)
		return nw_xstrdup(path);
	nw_buf_add(&b, base, (size_t)(slash - base) + 1);
	nw_buf_adds(&b, path);
	nw_buf_addc(&b, '\0');
	return b.p;
}
