/* ctlclass.c - the one classifier of control lines: barrier, restore or
 * other, with the barrier or restore id as an integer.  Every stage and
 * lib/ckpt.c ask it, so they agree on what a barrier is. */
#include "stage.h"

#include <jansson.h>
#include <string.h>

/* The last few texts found to be "other" control lines.  Partition lines
 * (kcat-src's, window's) come before most messages or records of a chain
 * on a multi-partition topic and are always one of a few texts: the same
 * bytes classify the same, so a repeat costs a compare, not a parse. */
#define CTL_SEEN 8
#define CTL_SEEN_MAX 160
static struct { char text[CTL_SEEN_MAX]; size_t n; } ctl_seen[CTL_SEEN];
static unsigned ctl_seen_next;

static bool ctl_seen_other(const char *line, size_t n)
{
	for (int i = 0; i < CTL_SEEN; i++)
		if (ctl_seen[i].n == n && memcmp(ctl_seen[i].text, line, n) == 0)
			return true;
	return false;
}

static void ctl_remember_other(const char *line, size_t n)
{
	if (n == 0 || n > CTL_SEEN_MAX)
		return;
	memcpy(ctl_seen[ctl_seen_next].text, line, n);
	ctl_seen[ctl_seen_next].n = n;
	ctl_seen_next = (ctl_seen_next + 1) % CTL_SEEN;
}

enum nw_ctl_kind nw_ctl_classify(const char *line, size_t n, uint64_t *id)
{
	enum nw_ctl_kind kind = NW_CTL_OTHER;
	const char *type;
	json_t *ctl, *jid;

	if (!nw_ctl_maybe(line, n))
		return NW_CTL_NONE;
	if (ctl_seen_other(line, n))
		return NW_CTL_OTHER;
	if ((ctl = nw_ctl_parse(line, n)) == NULL)
		return NW_CTL_NONE;
	type = json_string_value(json_object_get(ctl, "type"));
	jid = json_object_get(ctl, "id");
	/* An id must be an integer >= 0: the same rule as the snapshot
	 * names; a string or a negative number makes the line "other". */
	if (type != NULL && json_is_integer(jid) && json_integer_value(jid) >= 0) {
		if (strcmp(type, "barrier") == 0)
			kind = NW_CTL_BARRIER;
		else if (strcmp(type, "restore") == 0)
			kind = NW_CTL_RESTORE;
		if (kind != NW_CTL_OTHER)
			*id = (uint64_t)json_integer_value(jid);
	}
	json_decref(ctl);
	if (kind == NW_CTL_OTHER)
		ctl_remember_other(line, n);
	return kind;
}

const char *nw_ctl_kind_name(enum nw_ctl_kind kind)
{
	switch (kind) {
	case NW_CTL_NONE: return "none";
	case NW_CTL_BARRIER: return "barrier";
	case NW_CTL_RESTORE: return "restore";
	case NW_CTL_OTHER: break;
	}
	return "other";
}
