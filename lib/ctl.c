/* ctl.c - control lines: an object whose only key is "@ctl". */
#include "nw.h"

#include <jansson.h>
#include <string.h>

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

bool nw_ctl_maybe(const char *line, size_t n)
{
	const char *p = line, *end = line + n;

	p = skip_ws(p, end);
	if (p == end || *p++ != '{')
		return false;
	p = skip_ws(p, end);
	return (size_t)(end - p) >= 6 && memcmp(p, "\"@ctl\"", 6) == 0;
}

void *nw_ctl_parse(const char *line, size_t n)
{
	json_error_t err;
	json_t *root, *v;

	if (!nw_ctl_maybe(line, n))
		return NULL;
	root = json_loadb(line, n, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		return NULL;
	v = json_object_get(root, "@ctl");
	if (!json_is_object(root) || json_object_size(root) != 1 || v == NULL) {
		json_decref(root);
		return NULL;
	}
	json_incref(v);
	json_decref(root);
	return v;
}
