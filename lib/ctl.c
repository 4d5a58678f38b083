/* ctl.c - control lines: an object whose only member is "@ctl".  lib/jscan
 * decides what is one (so a repeated "@ctl" is not, as for every line);
 * jansson only builds the value handed back. */
#include "nw.h"
#include "jscan.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

bool nw_ctl_maybe(const char *line, size_t n)
{
	const char *p = line, *end = line + n;

	p = jscan_ws(p, end);
	if (p == end || *p++ != '{')
		return false;
	p = jscan_ws(p, end);
	return (size_t)(end - p) >= 6 && memcmp(p, "\"@ctl\"", 6) == 0;
}

/* The text of the "@ctl" value when the line is an object with that one
 * member (scratch holds n bytes), else NULL. */
static const char *ctl_value(const char *line, size_t n, char *scratch,
                             size_t *vlen)
{
	struct jscan_iter it;
	struct jscan_member m;
	const char *v = NULL;
	int members = 0, rc = -1;

	if (jscan_iter_begin(&it, line, n, scratch, JSCAN_DUP_REJECT) != JSCAN_OK)
		return NULL;
	while ((rc = jscan_iter_next(&it, &m)) == 1)
		if (members++ == 0 && m.nlen == 4 && memcmp(m.name, "@ctl", 4) == 0) {
			v = m.raw;
			*vlen = m.rawn;
		}
	return rc == 0 && members == 1 ? v : NULL;
}

void *nw_ctl_parse(const char *line, size_t n)
{
	char stack[512], *scratch = stack;
	const char *v;
	size_t vlen = 0;
	json_t *root = NULL;

	if (!nw_ctl_maybe(line, n))
		return NULL;
	if (n > sizeof stack)
		scratch = nw_xmalloc(n);
	if ((v = ctl_value(line, n, scratch, &vlen)) != NULL)
		root = json_loadb(v, vlen, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
		                  NULL);
	if (scratch != stack)
		free(scratch);
	return root;
}

/* {"topic":T,"partition":N} of a partition line or of a member of an
 * assign or revoke list: kcat-src's lines, and window's to detect. */
bool nw_ctl_topic_part(const void *obj, const char **topic, size_t *tlen,
                       int32_t *part)
{
	json_t *o = (json_t *)obj;
	json_t *t = json_object_get(o, "topic"), *p = json_object_get(o, "partition");

	if (!json_is_string(t) || !json_is_integer(p) ||
	    json_integer_value(p) < 0 || json_integer_value(p) > INT32_MAX)
		return false;
	*topic = json_string_value(t);
	*tlen = json_string_length(t);
	*part = (int32_t)json_integer_value(p);
	return true;
}
