/* ksrc_key.c - the producer's message key: one top-level member of a JSON
 * object, found by one validating pass of lib/jscan's member iterator (so
 * a line jscan refuses, a repeated name included, has no key). */
#include "ksrc.h"
#include "jscan.h"

#include <stdlib.h>
#include <string.h>

/* The value's bytes a key is made of: a string's body as written, or a
 * number/true/false token; false for null, objects and arrays. */
static bool key_bytes(const struct jscan_member *m, const char **val,
                      size_t *vlen)
{
	switch (m->v.type) {
	case JSCAN_STR:
		*val = m->raw + 1;
		*vlen = m->rawn - 2;
		return true;
	case JSCAN_INT: case JSCAN_REAL: case JSCAN_TRUE: case JSCAN_FALSE:
		*val = m->raw;
		*vlen = m->rawn;
		return true;
	default:
		return false;
	}
}

bool ksrc_json_key(const char *line, size_t n, const char *field,
                   size_t flen, const char **val, size_t *vlen)
{
	char stack[1024], *scratch = stack;
	struct jscan_iter it;
	struct jscan_member m;
	bool found = false;
	int rc = -1;

	if (n > sizeof stack)
		scratch = nw_xmalloc(n);
	if (jscan_iter_begin(&it, line, n, scratch, JSCAN_DUP_REJECT) == JSCAN_OK)
		while ((rc = jscan_iter_next(&it, &m)) == 1)
			if (m.nlen == flen && memcmp(m.name, field, flen) == 0)
				found = key_bytes(&m, val, vlen);
	if (scratch != stack)
		free(scratch);
	return rc == 0 && found;
}
