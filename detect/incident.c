/*
 * incident.c - the incident table of detect --incidents (incident.h): a
 * hash table of (rule, key field, key), each entry a streak of matching
 * windows that is pending (held for less than --for), or open.
 *
 * Ids are functions of the input only: an incident's id is the alert_id of
 * the alert that opened it, its resolution's alert_id a hash of that id, so
 * a replay after a restore gives the same records.  Entries that are not
 * open and have not matched for --resolve-after are dropped, so the table
 * holds only what alerts.
 */
#include "incident.h"
#include "dpart.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct inc_entry {
	struct inc_entry *next;
	uint64_t h;
	char *rule, *key_field, *key, *severity, *group, *metric;
	int64_t first_start, first_end;  /* the streak's first matching window */
	int64_t last_end;                /* its newest matching window */
	bool open;
	uint64_t id;                     /* the opening alert's id */
	double peak;
	uint32_t part;                   /* partition of its last match */
};

/* The three parts, each followed by a 0xff byte (never in UTF-8). */
static uint64_t inc_hash(const char *a, const char *b, const char *c, size_t cn)
{
	uint64_t h = nw_fnv1a(NW_FNV1A_INIT, a, strlen(a));
	h = nw_fnv1a(h, "\xff", 1);
	h = nw_fnv1a(nw_fnv1a(h, b, strlen(b)), "\xff", 1);
	return nw_fnv1a(nw_fnv1a(h, c, cn), "\xff", 1);
}

void inc_init(struct inc_table *t, int64_t for_ms, int64_t keep_ms)
{
	memset(t, 0, sizeof *t);
	t->for_ms = for_ms;
	t->keep_ms = keep_ms;
	t->now = INT64_MIN;
	t->nb = 1024;
	t->b = nw_xcalloc(t->nb, sizeof *t->b);
}

static void entry_free(struct inc_entry *e)
{
	free(e->rule);
	free(e->key_field);
	free(e->key);
	free(e->severity);
	free(e->group);
	free(e->metric);
	free(e);
}

static void inc_clear(struct inc_table *t)
{
	for (size_t i = 0; i < t->nb; i++)
		while (t->b[i]) {
			struct inc_entry *e = t->b[i];
			t->b[i] = e->next;
			entry_free(e);
		}
	t->n = 0;
}

void inc_free(struct inc_table *t)
{
	inc_clear(t);
	free(t->sides);
	free(t->b);
	nw_buf_free(&t->out);
	memset(t, 0, sizeof *t);
}

/* Grow at a load of 2 so chains stay short. */
static void inc_grow(struct inc_table *t)
{
	size_t nb = t->nb * 4;
	struct inc_entry **b = nw_xcalloc(nb, sizeof *b);
	for (size_t i = 0; i < t->nb; i++)
		while (t->b[i]) {
			struct inc_entry *e = t->b[i];
			t->b[i] = e->next;
			e->next = b[e->h % nb];
			b[e->h % nb] = e;
		}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

static struct inc_entry *inc_insert(struct inc_table *t, struct inc_entry *e)
{
	if (t->n >= t->nb * 2)
		inc_grow(t);
	e->next = t->b[e->h % t->nb];
	t->b[e->h % t->nb] = e;
	t->n++;
	return e;
}

/* The resolution record of e, ending at its last matching window. */
static void resolution(struct inc_table *t, const struct inc_entry *e)
{
	struct nw_buf msg = { 0 };
	char id[17];
	int64_t secs = (e->last_end - e->first_start) / 1000;

	snprintf(id, sizeof id, "%016" PRIx64, e->id);
	nw_buf_reset(&t->out);
	nw_buf_printf(&t->out, "{\"type\":\"alert\",\"alert_id\":\"%016" PRIx64 "\","
	              "\"status\":\"resolved\",\"incident_id\":\"%s\",\"rule\":",
	              inc_hash(id, "resolved", "", 0), id);
	nw_buf_add_jstr(&t->out, e->rule, strlen(e->rule));
	nw_buf_adds(&t->out, ",\"severity\":");
	nw_buf_add_jstr(&t->out, e->severity, strlen(e->severity));
	nw_buf_adds(&t->out, ",\"key_field\":");
	nw_buf_add_jstr(&t->out, e->key_field, strlen(e->key_field));
	nw_buf_adds(&t->out, ",\"key\":");
	nw_buf_add_jstr(&t->out, e->key, strlen(e->key));
	if (e->group) {
		nw_buf_adds(&t->out, ",\"host_group\":");
		nw_buf_add_jstr(&t->out, e->group, strlen(e->group));
	}
	nw_buf_printf(&t->out, ",\"incident_start\":%" PRId64 ",\"incident_end\":%"
	              PRId64 ",\"duration_s\":%" PRId64 ",\"metric\":",
	              e->first_start, e->last_end, secs);
	nw_buf_add_jstr(&t->out, e->metric, strlen(e->metric));
	nw_buf_adds(&t->out, ",\"peak\":");
	rule_fmt_json(&t->out, e->peak);
	nw_buf_printf(&msg, "RESOLVED: %s %s=%s after %" PRId64 "s (peak %s ",
	              e->rule, e->key_field, e->key, secs, e->metric);
	rule_fmt_text(&msg, e->peak);
	nw_buf_addc(&msg, ')');
	nw_buf_adds(&t->out, ",\"message\":");
	nw_buf_add_jstr(&t->out, msg.p, msg.len);
	nw_buf_addc(&t->out, '}');
	nw_buf_free(&msg);
}

static struct inc_side *inc_side(const struct inc_table *t, uint32_t tag)
{
	for (size_t i = 0; i < t->nsides; i++)
		if (t->sides[i].tag == tag)
			return &t->sides[i];
	return NULL;
}

/* The event time e resolves on: its side's, or detect's. */
static int64_t inc_now_of(const struct inc_table *t, const struct inc_entry *e)
{
	const struct inc_side *sd = t->nsides ? inc_side(t, e->part) : NULL;

	return sd ? sd->now : t->now;
}

void inc_advance(struct inc_table *t, int64_t end, uint32_t tag,
                 void (*emit)(const char *line, size_t n))
{
	struct inc_side *sd = t->nsides ? inc_side(t, tag) : NULL;
	int64_t *now = sd ? &sd->now : &t->now;

	if (end <= *now)
		return;              /* time moves once per slide: scan rarely */
	*now = end;
	for (size_t i = 0; i < t->nb; i++)
		for (struct inc_entry **pp = &t->b[i], *e; (e = *pp) != NULL;) {
			int64_t now_e = inc_now_of(t, e);
			if (now_e == INT64_MIN || now_e - e->last_end < t->keep_ms) {
				pp = &e->next;
				continue;
			}
			if (e->open) {
				resolution(t, e);
				emit(t->out.p, t->out.len);
				t->resolved++;
			}
			*pp = e->next;
			entry_free(e);
			t->n--;
		}
}

static struct inc_entry *inc_find(struct inc_table *t, const char *rule,
                                  const char *kf, const char *key, size_t kn,
                                  uint64_t h)
{
	for (struct inc_entry *e = t->b[h % t->nb]; e; e = e->next)
		if (e->h == h && strcmp(e->rule, rule) == 0 &&
		    strcmp(e->key_field, kf) == 0 && strlen(e->key) == kn &&
		    memcmp(e->key, key, kn) == 0)
			return e;
	return NULL;
}

void inc_match(struct inc_table *t, const struct rule_match *m,
               const char *line, size_t n,
               void (*emit)(const char *line, size_t n))
{
	static const char *const sev[] = { "info", "warning", "critical" };
	const struct rec *r = m->r;
	char kf[256];
	uint64_t h;
	struct inc_entry *e;

	snprintf(kf, sizeof kf, "%.*s", (int)r->kflen, r->key_field);
	h = inc_hash(m->ru->name, kf, r->key, r->klen);
	if ((e = inc_find(t, m->ru->name, kf, r->key, r->klen, h)) == NULL) {
		e = nw_xcalloc(1, sizeof *e);
		*e = (struct inc_entry){ .h = h, .rule = nw_xstrdup(m->ru->name),
			.key_field = nw_xstrdup(kf), .key = nw_xstrndup(r->key, r->klen),
			.severity = nw_xstrdup(sev[m->ru->severity]),
			.group = m->group ? nw_xstrdup(m->group) : NULL,
			.metric = nw_xstrdup(m->ru->metric),
			.first_start = r->window_start, .first_end = r->window_end,
			.last_end = r->window_end, .peak = m->value };
		inc_insert(t, e);
	}
	e->part = dpart_current();
	if (r->window_end > e->last_end)
		e->last_end = r->window_end;
	if (m->value > e->peak || isnan(e->peak))
		e->peak = m->value;
	if (e->open || e->last_end - e->first_end < t->for_ms)
		return;
	e->open = true;
	e->id = m->alert_id;
	t->opened++;
	/* The alert, with the incident's members before its closing brace. */
	nw_buf_reset(&t->out);
	nw_buf_add(&t->out, line, n - 1);
	nw_buf_printf(&t->out, ",\"status\":\"firing\",\"incident_id\":\"%016"
	              PRIx64 "\",\"incident_start\":%" PRId64 "}", e->id,
	              e->first_start);
	emit(t->out.p, t->out.len);
}

/* ---- snapshots: one JSON array of entries ------------------------------- */

static json_t *entry_json(const struct inc_entry *e)
{
	json_t *o = json_pack(
		"{s:s,s:s,s:s,s:s,s:s*,s:s,s:I,s:I,s:I,s:b,s:I,s:f}",
		"rule", e->rule, "key_field", e->key_field, "key", e->key,
		"severity", e->severity, "group", e->group,
		"metric", e->metric, "first_start", (json_int_t)e->first_start,
		"first_end", (json_int_t)e->first_end,
		"last_end", (json_int_t)e->last_end, "open", e->open,
		"id", (json_int_t)e->id, "peak", isnan(e->peak) ? 0.0 : e->peak);
	json_t *p = dpart_json(e->part);

	if (p)
		json_object_set_new(o, "part", p);
	return o;
}

/* Line 1: the event time, then with every entry the sides as JSON
 * [[topic, partition, now]…] (absent in older snapshots); line 2: the
 * entries. */
void inc_save(const struct inc_table *t, uint32_t filter, struct nw_buf *b)
{
	json_t *a = json_array();
	const struct inc_side *sd = filter == DPART_ALL ? NULL : inc_side(t, filter);
	char *s;

	for (size_t i = 0; i < t->nb; i++)
		for (const struct inc_entry *e = t->b[i]; e; e = e->next)
			if (filter == DPART_ALL || e->part == filter)
				json_array_append_new(a, entry_json(e));
	nw_buf_printf(b, "%" PRId64, sd ? sd->now : t->now);
	if (filter == DPART_ALL && t->nsides) {
		json_t *sides = json_array();
		for (size_t i = 0; i < t->nsides; i++) {
			json_t *p = dpart_json(t->sides[i].tag);
			json_array_append_new(p, json_integer(t->sides[i].now));
			json_array_append_new(sides, p);
		}
		s = json_dumps(sides, JSON_COMPACT);
		nw_buf_printf(b, " %s", s ? s : "[]");
		free(s);
		json_decref(sides);
	}
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	nw_buf_printf(b, "\n%s\n", s ? s : "[]");
	free(s);
}

static void side_set(struct inc_table *t, uint32_t tag, int64_t now)
{
	struct inc_side *sd = inc_side(t, tag);

	if (sd == NULL) {
		t->sides = nw_xreallocarray(t->sides, t->nsides + 1, sizeof *t->sides);
		sd = &t->sides[t->nsides++];
		sd->tag = tag;
	}
	sd->now = now;
}

/* The two lines: the event time and the sides (*now, *sides: a new
 * reference or NULL), and the entries (*a); -1 when they are not that. */
static int inc_parse(const char *text, size_t n, int64_t *now, json_t **sides,
                     json_t **a)
{
	const char *nl = memchr(text, '\n', n), *sp;
	json_t *o;
	size_t i;

	*sides = *a = NULL;
	if (nl == NULL || sscanf(text, "%" SCNd64, now) != 1)
		return -1;
	if ((sp = memchr(text, ' ', (size_t)(nl - text))) != NULL &&
	    (*sides = json_loadb(sp + 1, (size_t)(nl - sp - 1), 0, NULL)) == NULL)
		return -1;
	*a = json_loadb(nl + 1, n - (size_t)(nl + 1 - text), 0, NULL);
	if (!json_is_array(*a) || (*sides && !json_is_array(*sides)))
		goto bad;
	json_array_foreach(*a, i, o)
		if (json_unpack(o, "{s:s,s:s,s:s,s:s,s?s,s:s,s:I,s:I,s:I,s:b,s:I,s:F}",
		                "rule", &(const char *){0}, "key_field", &(const char *){0},
		                "key", &(const char *){0}, "severity", &(const char *){0},
		                "group", &(const char *){0}, "metric", &(const char *){0},
		                "first_start", &(json_int_t){0}, "first_end", &(json_int_t){0},
		                "last_end", &(json_int_t){0}, "open", &(int){0},
		                "id", &(json_int_t){0}, "peak", &(double){0}) != 0)
			goto bad;
	return 0;
bad:
	json_decref(*a);
	json_decref(*sides);
	*sides = *a = NULL;
	return -1;
}

/* Insert the entries of a (checked by inc_parse), skipping keys held;
 * tagged tag, or (0) with the partition each names. */
static void inc_put(struct inc_table *t, json_t *a, uint32_t tag)
{
	json_t *o;
	size_t i;

	json_array_foreach(a, i, o) {
		const char *rule, *kf, *key, *sev, *group = NULL, *metric;
		json_int_t fs, fe, le, id;
		int open;
		double peak;
		json_unpack(o, "{s:s,s:s,s:s,s:s,s?s,s:s,s:I,s:I,s:I,s:b,s:I,s:F}",
		            "rule", &rule, "key_field", &kf, "key", &key,
		            "severity", &sev, "group", &group, "metric", &metric,
		            "first_start", &fs, "first_end", &fe, "last_end", &le,
		            "open", &open, "id", &id, "peak", &peak);
		uint64_t h = inc_hash(rule, kf, key, strlen(key));
		if (inc_find(t, rule, kf, key, strlen(key), h) != NULL)
			continue;
		struct inc_entry *e = nw_xcalloc(1, sizeof *e);
		*e = (struct inc_entry){ .h = h,
			.rule = nw_xstrdup(rule), .key_field = nw_xstrdup(kf),
			.key = nw_xstrdup(key), .severity = nw_xstrdup(sev),
			.group = group ? nw_xstrdup(group) : NULL,
			.metric = nw_xstrdup(metric), .first_start = fs, .first_end = fe,
			.last_end = le, .open = open, .id = (uint64_t)id, .peak = peak,
			.part = tag ? tag : dpart_from_json(json_object_get(o, "part")) };
		inc_insert(t, e);
	}
}

int inc_load(struct inc_table *t, const char *text, size_t n)
{
	json_t *a, *sides, *sd;
	int64_t now;
	size_t i;

	inc_clear(t);
	t->now = INT64_MIN;
	t->nsides = 0;
	if (n == 0)
		return 0;                        /* an empty state */
	if (inc_parse(text, n, &now, &sides, &a) != 0)
		return -1;
	t->now = now;
	inc_put(t, a, 0);
	json_array_foreach(sides, i, sd) {
		json_int_t sn;
		uint32_t tag = dpart_from_json(sd);
		if (tag != 0 && json_unpack(json_array_get(sd, 2), "I", &sn) == 0)
			side_set(t, tag, sn);
	}
	json_decref(a);
	json_decref(sides);
	return 0;
}

/* Entries of partition tag leave the table (no resolution: the part that
 * replaces them says what is open). */
static void inc_drop_part(struct inc_table *t, uint32_t tag)
{
	for (size_t i = 0; i < t->nb; i++)
		for (struct inc_entry **pp = &t->b[i], *e; (e = *pp) != NULL;) {
			if (e->part != tag) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			entry_free(e);
			t->n--;
		}
}

void inc_set_side(struct inc_table *t, uint32_t tag)
{
	if (inc_side(t, tag) == NULL)
		side_set(t, tag, INT64_MIN);
}

int inc_adopt(struct inc_table *t, uint32_t tag, const char *text, size_t n)
{
	json_t *a, *sides;
	int64_t now = INT64_MIN;

	if (n > 0 && inc_parse(text, n, &now, &sides, &a) != 0)
		return -1;
	inc_drop_part(t, tag);
	side_set(t, tag, now);
	if (n > 0) {
		inc_put(t, a, tag);
		json_decref(a);
		json_decref(sides);
	}
	return 0;
}
