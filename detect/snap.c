/*
 * snap.c - detect's snapshot and its per-partition parts (snap.h).
 */
#include "snap.h"
#include "ckpt.h"
#include "dpart.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The three lines of filter's entries (DPART_ALL: every entry). */
static void snap_text(const struct inc_table *inc, const struct rule_set *rs,
                      uint32_t filter, struct nw_buf *b)
{
	json_t *o = rule_set_save_state(rs, filter);
	char *s = json_dumps(o, JSON_COMPACT);

	inc_save(inc, filter, b);
	nw_buf_printf(b, "%s\n", s ? s : "{}");
	free(s);
	json_decref(o);
}

void det_snap_save(const struct inc_table *inc, const struct rule_set *rs,
                   struct nw_buf *b)
{
	struct nw_buf part = { 0 };
	uint32_t n = dpart_count();
	size_t begin;

	snap_text(inc, rs, DPART_ALL, b);
	if (n <= 1)
		return;                  /* no partition lines: no parts */
	begin = nw_parts_begin(b);
	for (uint32_t tag = 1; tag < n; tag++) {
		size_t tlen;
		const char *topic = dpart_topic(tag, &tlen);
		nw_buf_reset(&part);
		snap_text(inc, rs, tag, &part);
		nw_parts_add(b, topic, tlen, dpart_partition(tag), part.p, part.len);
	}
	nw_parts_end(b, begin, n - 1);
	nw_buf_free(&part);
}

/* Split a three-line text: the incidents' two lines (*inc_len) and the
 * learned keys (NULL when absent: a snapshot of an older detect). */
static json_t *snap_split(const char *data, size_t len, size_t *inc_len,
                          bool *bad)
{
	const char *nl = memchr(data, '\n', len);
	json_t *o = NULL;

	*inc_len = len;
	*bad = false;
	if (nl && (nl = memchr(nl + 1, '\n', len - (size_t)(nl + 1 - data))))
		*inc_len = (size_t)(nl + 1 - data);
	if (*inc_len < len &&
	    (o = json_loadb(data + *inc_len, len - *inc_len, 0, NULL)) == NULL)
		*bad = true;
	return o;
}

int det_snap_load(struct inc_table *inc, struct rule_set *rs,
                  const char *data, size_t len)
{
	size_t body = len, n;
	bool bad;
	json_t *o;
	int rc;

	if (len > 0 && nw_parts_count(data, len, &body) < 0)
		return -1;
	o = snap_split(data, body, &n, &bad);
	rc = inc_load(inc, data, n);
	if (bad)
		rc = -1;
	if (o == NULL)
		o = json_object();
	if (rule_set_load_state(rs, o) < 0)
		rc = -1;
	json_decref(o);
	dpart_set_current(0);        /* window announces again */
	return rc;
}

int det_snap_adopt(struct inc_table *inc, struct rule_set *rs, uint32_t tag,
                   const char *data, size_t len)
{
	size_t n;
	bool bad;
	json_t *o = snap_split(data, len, &n, &bad);
	int rc = -1;

	if (o == NULL)
		o = json_object();
	if (!bad && inc_adopt(inc, tag, data, n) == 0)
		rc = rule_set_adopt_state(rs, o, tag);
	json_decref(o);
	return rc;
}
