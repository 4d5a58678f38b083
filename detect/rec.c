/* rec.c - window-record parsing: one pass of lib/jscan's member iterator
 * over the record, every member kept with its text as written. */
#include "rec.h"
#include "sym.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The five fields that say which window a record is; every other field is
 * an aggregate and is copied into alerts. */
enum { RM_TYPE, RM_KEY_FIELD, RM_KEY, RM_START, RM_END, RM_N };
static const struct { const char *name; size_t len; } rec_meta[RM_N] = {
	{ "type", 4 }, { "key_field", 9 }, { "key", 3 }, { "window_start", 12 },
	{ "window_end", 10 }
};

/* Names repeated in a record are refused (docs/contracts.md, "Duplicate
 * member names"); \u0000 in a string value is accepted, as it always was
 * (a key holding one is rendered escaped). */
#define REC_JSCAN_MODE (JSCAN_DUP_REJECT | JSCAN_ALLOW_NUL)

static struct rec_field *rec_push(struct rec *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 32;
		r->f = nw_xreallocarray(r->f, (size_t)r->cap, sizeof *r->f);
	}
	return &r->f[r->n++];
}

static int rec_meta_index(const char *s, size_t n)
{
	for (int i = 0; i < RM_N; i++)
		if (rec_meta[i].len == n && memcmp(rec_meta[i].name, s, n) == 0)
			return i;
	return -1;
}

/* A member as a field: its decoded name, its text, its number or string. */
static void rec_field_of(struct rec_field *fl, const struct jscan_member *m)
{
	fl->name = m->name;
	fl->nlen = (uint32_t)m->nlen;
	fl->raw = m->raw;
	fl->rawlen = (uint32_t)m->rawn;
	fl->hash = sym_hash(fl->name, fl->nlen);
	fl->str = NULL;
	fl->slen = 0;
	fl->i = 0;
	fl->num = 0;
	switch (m->v.type) {
	case JSCAN_INT:
		fl->kind = RK_INT;
		fl->i = m->v.i;
		fl->num = (double)fl->i;
		break;
	case JSCAN_REAL:
		fl->kind = RK_REAL;
		fl->num = m->v.d;
		break;
	case JSCAN_STR:
		fl->kind = RK_STR;
		fl->str = m->v.p;
		fl->slen = m->v.n;
		break;
	default:
		fl->kind = RK_OTHER;
	}
}

/* The dead-letter reason of a line jscan refused. */
static const char *rec_not_json(struct rec *r, int res,
                                const struct jscan_iter *it)
{
	if (res == JSCAN_DUP)
		return jscan_strerror(JSCAN_DUP);
	snprintf(r->why, sizeof r->why, "not JSON: invalid text (column %zu)",
	         jscan_iter_offset(it) + 1);
	return r->why;
}

/* Fill the fields (and the five meta members) from the line, or say why
 * it is not a JSON object. */
static const char *rec_members(struct rec *r, const char *line, size_t n,
                               struct rec_field *meta, bool *have)
{
	struct jscan_iter it;
	struct jscan_member m;
	enum jscan_res jr;
	int rc;

	if (r->scap < n + 1) {
		free(r->scratch);
		r->scap = n + 1 > 4096 ? n + 1 : 4096;
		r->scratch = nw_xmalloc(r->scap);
	}
	jr = jscan_iter_begin(&it, line, n, r->scratch, REC_JSCAN_MODE);
	if (jr == JSCAN_NOTOBJ && *jscan_ws(line, line + n) != '[') {
		snprintf(r->why, sizeof r->why, "not JSON: a bare value, not an "
		         "object (column 1)");
		return r->why;
	}
	if (jr == JSCAN_NOTOBJ)
		return "not a window record: not a JSON object";
	if (jr != JSCAN_OK)
		return rec_not_json(r, jr, &it);
	while ((rc = jscan_iter_next(&it, &m)) == 1) {
		int k = rec_meta_index(m.name, m.nlen);
		if (k >= 0) {
			have[k] = true;
			rec_field_of(&meta[k], &m);
		} else {
			rec_field_of(rec_push(r), &m);
		}
	}
	return rc == 0 ? NULL : rec_not_json(r, rc, &it);
}

const char *rec_parse(struct rec *r, const char *line, size_t n)
{
	struct rec_field meta[RM_N];
	bool have[RM_N] = { false };
	const char *why;

	r->n = 0;
	if ((why = rec_members(r, line, n, meta, have)) != NULL)
		return why;
	if (!have[RM_TYPE] || meta[RM_TYPE].kind != RK_STR ||
	    meta[RM_TYPE].slen != 6 || memcmp(meta[RM_TYPE].str, "window", 6) != 0)
		return "not a window record: \"type\" is not \"window\"";
	if (!have[RM_KEY_FIELD] || meta[RM_KEY_FIELD].kind != RK_STR)
		return "window record without a string \"key_field\"";
	if (!have[RM_KEY] || meta[RM_KEY].kind != RK_STR)
		return "window record without a string \"key\"";
	if (!have[RM_START] || meta[RM_START].kind != RK_INT)
		return "window record without an integer \"window_start\"";
	if (!have[RM_END] || meta[RM_END].kind != RK_INT)
		return "window record without an integer \"window_end\"";
	r->key_field = meta[RM_KEY_FIELD].str;
	r->kflen = meta[RM_KEY_FIELD].slen;
	r->key = meta[RM_KEY].str;
	r->klen = meta[RM_KEY].slen;
	r->window_start = meta[RM_START].i;
	r->window_end = meta[RM_END].i;
	if (r->window_end <= r->window_start)
		return "window record with window_end not after window_start";
	return NULL;
}

void rec_free(struct rec *r)
{
	free(r->f);
	free(r->scratch);
	memset(r, 0, sizeof *r);
}
