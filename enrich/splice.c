/*
 * splice.c - an event that waited for its lookups, as it leaves: each
 * answer goes into its field's _info object as "lookup" (the response
 * JSON as it came, whitespace squeezed out), and the lookups that failed
 * are listed in one top-level member before the event's closing brace:
 *
 *   "src_ip_info":{"scope":"public",…,"lookup":{"abuse_score":87}}
 *   "enrich_errors":[{"field":"dst_ip","ip":"198.51.100.7","error":"timeout"}]
 *
 * (docs/contracts.md §7).  The slots are in the order of their offsets,
 * so one pass over the text does it.
 *
 * Ownership: reads the entry, appends to the caller's buffer.
 */
#include "lk.h"

#include <string.h>

/* The ,"enrich_errors":[…] member for the failed slots; 0 when none. */
static int enr_splice_errors(const struct enr_pend *p,
                             const char *const *field, struct nw_buf *out)
{
	int nerr = 0;

	for (int i = 0; i < p->nslot; i++) {
		const struct enr_slot *s = &p->slot[i];
		if (s->err == NULL)
			continue;
		nw_buf_adds(out, nerr++ ? ",{\"field\":" : ",\"enrich_errors\":[{\"field\":");
		nw_buf_add_jstr(out, field[s->field], strlen(field[s->field]));
		nw_buf_adds(out, ",\"ip\":");
		nw_buf_add_jstr(out, s->ip, strlen(s->ip));
		nw_buf_adds(out, ",\"error\":");
		nw_buf_add_jstr(out, s->err, strlen(s->err));
		nw_buf_addc(out, '}');
	}
	if (nerr)
		nw_buf_addc(out, ']');
	return nerr;
}

int enr_splice(const struct enr_pend *p, const char *const *field,
               struct nw_buf *out)
{
	size_t pos = 0, close = p->len;
	int nerr;

	for (int i = 0; i < p->nslot; i++) {
		const struct enr_slot *s = &p->slot[i];
		nw_buf_add(out, p->text + pos, s->at - pos);
		pos = s->at;
		if (s->body) {
			nw_buf_adds(out, ",\"lookup\":");
			nw_buf_add(out, s->body, s->body_len);
		}
	}
	while (close > pos && p->text[close - 1] != '}')   /* the event's own */
		close--;
	nw_buf_add(out, p->text + pos, close - 1 - pos);
	nerr = enr_splice_errors(p, field, out);
	nw_buf_add(out, p->text + close - 1, p->len - (close - 1));
	return nerr;
}
