/* event.c - from a line to a checked event, or to a dead-letter reason. */
#include "event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int win_parser_init(struct win_parser *p, const char *time_field,
                    enum win_tunit unit, const char *const *keys, int nkeys,
                    struct win_agg *aggs, int naggs, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	jscan_paths_init(&p->paths, JSCAN_DUP_REJECT);
	p->unit = unit;
	if ((p->ts_slot = jscan_paths_add(&p->paths, time_field)) < 0) {
		snprintf(err, errlen, "bad time field \"%s\"", time_field);
		return -1;
	}
	if (nkeys < 1 || nkeys > WIN_MAX_KEYS) {
		snprintf(err, errlen, "between 1 and %d --key flags", WIN_MAX_KEYS);
		return -1;
	}
	p->nkeys = nkeys;
	for (int i = 0; i < nkeys; i++) {
		p->key_names[i] = keys[i];
		if (win_kspec_parse(&p->kspec[i], keys[i], &p->paths, err, errlen) < 0)
			return -1;
		p->key_slots[i] = p->kspec[i].plain ? p->kspec[i].slot[0] : -1;
	}
	p->aggs = aggs;
	p->naggs = naggs;
	for (int i = 0; i < naggs; i++)
		if (aggs[i].field &&
		    (aggs[i].slot = jscan_paths_add(&p->paths, aggs[i].field)) < 0) {
			snprintf(err, errlen, "bad field \"%s\"", aggs[i].field);
			return -1;
		} else if (aggs[i].field2 &&
		           (aggs[i].slot2 = jscan_paths_add(&p->paths, aggs[i].field2)) < 0) {
			snprintf(err, errlen, "bad field \"%s\"", aggs[i].field2);
			return -1;
		}
	p->vals = nw_xcalloc((size_t)p->paths.n, sizeof *p->vals);
	p->in = nw_xcalloc((size_t)naggs, sizeof *p->in);
	return 0;
}

void win_parser_free(struct win_parser *p)
{
	jscan_paths_free(&p->paths);
	free(p->vals);
	free(p->in);
	free(p->scratch);
	nw_buf_free(&p->kbuf);
	memset(p, 0, sizeof *p);
}

const char win_unkeyed[] = "no key field";

/* Every key field's keys into p->keys; NULL, win_unkeyed or a reason.  An
 * array part with no elements gives no key and is not missing. */
static const char *event_keys(struct win_parser *p, size_t n)
{
	int nk = 0, present = 0;

	nw_buf_reset(&p->kbuf);
	for (int i = 0; i < p->nkeys; i++) {
		const char *why = NULL;
		p->kfirst[i] = nk;
		switch (win_kspec_keys(&p->kspec[i], p->vals, p->scratch + n + 1,
		                       &p->kbuf, p->keys, &nk, WIN_EVENT_KEYS)) {
		case WK_OK:
			present += nk > p->kfirst[i];
			break;
		case WK_MISSING:
			if (!p->skip_missing)
				why = "missing";
			break;
		case WK_NOT_STRING:
			why = "non-string";
			break;
		case WK_TOO_MANY:
			why = "too many values for";
			break;
		}
		if (why) {
			snprintf(p->reason, sizeof p->reason, "%s key %s", why,
			         p->key_names[i]);
			return p->reason;
		}
	}
	p->kfirst[p->nkeys] = nk;
	win_kspec_fix(p->keys, nk, &p->kbuf);
	return present ? NULL : win_unkeyed;
}

const char *win_parse_event(struct win_parser *p, const char *line, size_t n,
                            int64_t *ts)
{
	enum win_ts_err te;
	enum jscan_res jr;
	const char *bad;

	if (memchr(line, '\0', n))
		return "NUL byte";
	if (p->scratch_cap < 2 * n + 2) {
		free(p->scratch);
		p->scratch_cap = 2 * n + 2 > 4096 ? 2 * n + 2 : 4096;
		p->scratch = nw_xmalloc(p->scratch_cap);
	}
	if ((jr = jscan_scan(&p->paths, line, n, p->vals, p->scratch)) != JSCAN_OK) {
		if (!nw_utf8_valid(line, n))
			return "invalid UTF-8";
		return jr == JSCAN_DUP ? jscan_strerror(jr) : "malformed JSON";
	}
	if (p->vals[0].type != JSCAN_OBJ)
		return "not an object";
	if ((te = win_ts_from(&p->vals[p->ts_slot], p->unit, ts)) != WTS_OK)
		return win_ts_errstr(te);
	if ((bad = event_keys(p, n)) != NULL)
		return bad;
	bad = win_aggs_input(p->aggs, p->naggs, p->vals, p->in, p->scratch + n + 1);
	if (bad) {
		snprintf(p->reason, sizeof p->reason, "wrong type for %s", bad);
		return p->reason;
	}
	return NULL;
}
