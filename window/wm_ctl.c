/*
 * wm_ctl.c - kcat-src's partition control lines, read for the watermark
 * source (wmark.h) and the route (route.h): assign, partition, revoke and
 * adopt (docs/contracts.md).
 * The line is parsed with lib's control-line parser (jansson); only when
 * every part of it is readable is anything acted on.
 *
 * Ownership: the parsed line lives for one call; the topic names handed to
 * the watermark source are copied by it.  The one warning for unreadable
 * lines is per process (bad_logged).
 */
#include "wm_ctl.h"
#include "win_ckpt.h"
#include "nw.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static bool bad_logged;         /* the unreadable-line warning was given */

/* An assign or revoke list: every member readable, or none is acted on.
 * A partition with a side engine keeps it (its state is still the one
 * kcat-src continues from if the partition comes back). */
static bool ctl_part_list(struct win_route *rt, json_t *ctl, bool revoke)
{
	json_t *parts = json_object_get(ctl, "partitions"), *item;
	const char *topic;
	size_t tlen, i;
	int32_t part;

	if (!json_is_array(parts))
		return false;
	json_array_foreach(parts, i, item)
		if (!nw_ctl_topic_part(item, &topic, &tlen, &part))
			return false;
	json_array_foreach(parts, i, item) {
		struct win_engine *eng = rt->main;
		nw_ctl_topic_part(item, &topic, &tlen, &part);
		if (win_route_find(rt, topic, tlen, part) != NULL)
			continue;
		if (revoke)
			win_engine_advance(eng, win_wm_revoke(&eng->src, topic,
			                                      tlen, part));
		else
			win_wm_assign(&eng->src, topic, tlen, part);
	}
	return true;
}

/* An adopt line: the partition's state from the file it names (none
 * named: empty state) goes to a side engine.  A file that cannot be read
 * starts the partition empty, as a refused part does. */
#define ADOPT_MAX ((size_t)1 << 31)
static bool ctl_adopt(struct win_route *rt, json_t *ctl)
{
	const char *topic, *path = json_string_value(json_object_get(ctl, "state"));
	size_t tlen, len = 0;
	int32_t part;
	char *data = NULL, err[256];

	if (!nw_ctl_topic_part(ctl, &topic, &tlen, &part))
		return false;
	if (path && (data = nw_read_file(path, ADOPT_MAX, &len, err,
	                                 sizeof err)) == NULL)
		LOG_WARN("adopt: %s", err);
	win_ckpt_adopt(rt, topic, tlen, part, data, data ? len : 0);
	free(data);
	return true;
}

/* One control line: act on it when it is one of kcat-src's four types
 * and readable (see wm_ctl.h). */
bool win_wm_ctl(struct win_route *rt, const char *line, size_t n)
{
	json_t *ctl = nw_ctl_parse(line, n);
	const char *type = json_string_value(json_object_get(ctl, "type"));
	const char *topic;
	size_t tlen;
	int32_t part;
	bool ok, ours = true, consume = true;

	if (type != NULL && strcmp(type, "partition") == 0) {
		if ((ok = nw_ctl_topic_part(ctl, &topic, &tlen, &part)))
			win_route_partition(rt, topic, tlen, part);
	} else if (type != NULL && strcmp(type, "assign") == 0) {
		ok = ctl_part_list(rt, ctl, false);
	} else if (type != NULL && strcmp(type, "revoke") == 0) {
		ok = ctl_part_list(rt, ctl, true);
	} else if (type != NULL && strcmp(type, "adopt") == 0) {
		/* passed on either way: detect takes its own part of the
		 * partition from it */
		ok = ctl_adopt(rt, ctl);
		consume = false;
	} else {
		ok = ours = false;
	}
	if (ours && !ok && !bad_logged) {
		LOG_WARN("unreadable %s control line passed on (logged once): %.200s",
		         type, line);
		bad_logged = true;
	}
	json_decref(ctl);
	return ok && consume;
}
