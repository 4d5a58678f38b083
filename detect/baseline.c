/*
 * baseline.c - per-key baselines and spikes (baseline.h): the spec's JSON,
 * a hash table of keys on a least-recently-seen list, the learning step
 * and the snapshots.
 */
#include "baseline.h"
#include "dpart.h"
#include "nw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A spike looks back one window: with windows of size W sliding by S the
 * window that ended when this one started is W/S records back, so the
 * ring holds the key's last BASE_RING records (W/S up to 15). */
#define BASE_RING 16

struct base_ent {
	struct base_ent *next;            /* hash chain */
	struct base_ent *older, *younger; /* the recency list */
	uint64_t h;
	int64_t  seen;                    /* the key's newest window_end */
	int64_t  next_at;                 /* a window starting here or later
	                                     is the next sample */
	uint32_t n;                       /* samples learned */
	double   mean, var;
	int64_t *ring_end;                /* spike: the last records' ends */
	double  *ring_v;                  /* and values, NULL for EWMA */
	uint32_t ring_i;
	bool     initial;                 /* in the first window the table read */
	uint32_t part;                    /* partition of its last record */
	size_t   klen;
	char     key[];
};

/* ---- the spec ------------------------------------------------------------ */

/* A number member of o, or def when absent; -1 when it is not a number or
 * is out of [lo, hi]. */
static int base_num(json_t *o, const char *name, double def, double lo,
                    double hi, double *v, char *err, size_t errlen)
{
	json_t *j = json_object_get(o, name);

	*v = def;
	if (j == NULL)
		return 0;
	if (!json_is_number(j) || json_number_value(j) < lo ||
	    json_number_value(j) > hi) {
		snprintf(err, errlen, "\"%s\" must be a number from %g to %g",
		         name, lo, hi);
		return -1;
	}
	*v = json_number_value(j);
	return 0;
}

/* Every member must be known to the kind: a typo must not silently
 * leave a default in force. */
static int base_known(json_t *o, const char *const *names, char *err,
                      size_t errlen)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		int i;
		for (i = 0; names[i] && strcmp(names[i], k) != 0; i++)
			;
		if (names[i] == NULL) {
			struct nw_buf b = { 0 };
			for (i = 0; names[i]; i++)
				nw_buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
			snprintf(err, errlen, "unknown key \"%s\" (known: %s)", k, b.p);
			nw_buf_free(&b);
			return -1;
		}
	}
	return 0;
}

int base_spec_json(struct base_spec *s, int kind, json_t *o, char *err,
                   size_t errlen)
{
	static const char *const ewma[] = { "value", "k", "floor", "warmup",
		"alpha", "min_dev", "cold", "ratio", NULL };
	static const char *const spike[] = { "value", "ratio", "min", "ref_min",
		NULL };
	json_t *v = json_object_get(o, "value"), *cold;
	double warm;

	memset(s, 0, sizeof *s);
	s->kind = kind;
	if (!json_is_object(o)) {
		snprintf(err, errlen, "must be an object");
		return -1;
	}
	if (base_known(o, kind == BASE_EWMA ? ewma : spike, err, errlen) < 0)
		return -1;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(err, errlen, "\"value\" must name a field of the record");
		return -1;
	}
	s->value = nw_xstrdup(json_string_value(v));
	if (kind == BASE_SPIKE)
		return base_num(o, "ratio", 3, 1, 1e12, &s->ratio, err, errlen) < 0 ||
		       base_num(o, "min", 0, 0, 1e300, &s->min, err, errlen) < 0 ||
		       base_num(o, "ref_min", 0, 0, 1e300, &s->ref_min, err, errlen) < 0
		       ? -1 : 0;
	if (base_num(o, "k", 4, 0, 1000, &s->k, err, errlen) < 0 ||
	    base_num(o, "floor", 0, -1e300, 1e300, &s->floor, err, errlen) < 0 ||
	    base_num(o, "warmup", 10, 1, 1e6, &warm, err, errlen) < 0 ||
	    base_num(o, "alpha", 0.1, 1e-6, 1, &s->alpha, err, errlen) < 0 ||
	    base_num(o, "min_dev", 0.1, 0, 1000, &s->min_dev, err, errlen) < 0)
		return -1;
	s->warmup = (int)warm;
	cold = json_object_get(o, "cold");
	if (cold && !(json_is_string(cold) &&
	              (strcmp(json_string_value(cold), "quiet") == 0 ||
	               strcmp(json_string_value(cold), "when") == 0 ||
	               strcmp(json_string_value(cold), "spike") == 0))) {
		snprintf(err, errlen,
		         "\"cold\" must be \"quiet\", \"when\" or \"spike\"");
		return -1;
	}
	s->cold_when = cold && strcmp(json_string_value(cold), "when") == 0;
	s->cold_spike = cold && strcmp(json_string_value(cold), "spike") == 0;
	return base_num(o, "ratio", 3, 1, 1e12, &s->ratio, err, errlen);
}

void base_spec_free(struct base_spec *s)
{
	free(s->value);
	s->value = NULL;
}

/* ---- the table ----------------------------------------------------------- */

void base_init(struct base_table *t, uint64_t max_keys, int64_t ttl_ms)
{
	memset(t, 0, sizeof *t);
	t->max_keys = max_keys ? max_keys : BASE_MAX_KEYS;
	t->ttl_ms = ttl_ms ? ttl_ms : BASE_TTL_MS;
	t->now = t->first = INT64_MIN;
	t->nb = 256;
	t->b = nw_xcalloc(t->nb, sizeof *t->b);
}

static void ent_free(struct base_ent *e)
{
	free(e->ring_end);
	free(e->ring_v);
	free(e);
}

void base_clear(struct base_table *t)
{
	while (t->old) {
		struct base_ent *e = t->old;
		t->old = e->younger;
		ent_free(e);
	}
	t->young = NULL;
	if (t->b)
		memset(t->b, 0, t->nb * sizeof *t->b);
	t->n = 0;
	t->now = t->first = INT64_MIN;
}

void base_free(struct base_table *t)
{
	base_clear(t);
	free(t->b);
	memset(t, 0, sizeof *t);
}

/* The bucket of hash h: the bucket count is a power of two, and FNV's
 * high bits are folded in since keys differ mostly in their last bytes. */
static size_t base_slot(const struct base_table *t, uint64_t h)
{
	return (size_t)((h ^ (h >> 29)) & (t->nb - 1));
}

static void list_unlink(struct base_table *t, struct base_ent *e)
{
	*(e->older ? &e->older->younger : &t->old) = e->younger;
	*(e->younger ? &e->younger->older : &t->young) = e->older;
	e->older = e->younger = NULL;
}

static void list_append(struct base_table *t, struct base_ent *e)
{
	e->older = t->young;
	e->younger = NULL;
	*(t->young ? &t->young->younger : &t->old) = e;
	t->young = e;
}

static void base_forget(struct base_table *t, struct base_ent *e)
{
	struct base_ent **pp = &t->b[base_slot(t, e->h)];

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	list_unlink(t, e);
	ent_free(e);
	t->n--;
	t->forgotten++;
}

/* Grow at a load of 1 so chains stay short; every key is on the recency
 * list, so the new buckets are filled from it. */
static void base_grow(struct base_table *t)
{
	free(t->b);
	t->nb *= 4;
	t->b = nw_xcalloc(t->nb, sizeof *t->b);
	for (struct base_ent *e = t->old; e; e = e->younger) {
		e->next = t->b[base_slot(t, e->h)];
		t->b[base_slot(t, e->h)] = e;
	}
}

static struct base_ent *base_find(struct base_table *t, const char *key,
                                  size_t klen, uint64_t h)
{
	for (struct base_ent *e = t->b[base_slot(t, h)]; e; e = e->next)
		if (e->h == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
			return e;
	return NULL;
}

/* The ring of a key's last records, for the rules that look back one
 * window (a spike rule, "cold": "spike"); empty ends match no window. */
static void ent_ring(struct base_ent *e)
{
	if (e->ring_v)
		return;
	e->ring_end = nw_xmalloc(BASE_RING * sizeof *e->ring_end);
	e->ring_v = nw_xcalloc(BASE_RING, sizeof *e->ring_v);
	for (int i = 0; i < BASE_RING; i++)
		e->ring_end[i] = INT64_MIN;
}

/* A new key, youngest; the oldest is forgotten when the table is full. */
static struct base_ent *base_insert(struct base_table *t, bool ring,
                                    const char *key, size_t klen, uint64_t h)
{
	struct base_ent *e = nw_xcalloc(1, sizeof *e + klen + 1);

	if (t->n >= t->max_keys && t->old)
		base_forget(t, t->old);
	if (t->n >= t->nb)
		base_grow(t);
	e->h = h;
	e->klen = klen;
	memcpy(e->key, key, klen);
	if (ring)
		ent_ring(e);
	e->next = t->b[base_slot(t, h)];
	t->b[base_slot(t, h)] = e;
	list_append(t, e);
	t->n++;
	return e;
}

/* Event time moved to end: forget the keys not seen for the TTL.  The
 * list is in order of last sight, so the scan stops at the first key
 * still alive. */
static void base_expire(struct base_table *t, int64_t end)
{
	if (end <= t->now)
		return;
	t->now = end;
	while (t->old && t->now - t->old->seen > t->ttl_ms)
		base_forget(t, t->old);
}

/* ---- learning ------------------------------------------------------------ */

/* The value a warm key must exceed: k deviations above its mean, where a
 * deviation is at least min_dev of the mean, so a key whose value never
 * varied does not fire on the first small rise. */
static double ewma_bound(const struct base_spec *s, const struct base_ent *e)
{
	double dev = sqrt(e->var), rel = s->min_dev * fabs(e->mean);

	return e->mean + s->k * (dev > rel ? dev : rel);
}

/* West's incremental weighted mean and variance.  Until the key has about
 * 1/alpha samples the weight is 1/(n+1), a plain average, so the first
 * sample does not dominate the early mean. */
static void ewma_learn(const struct base_spec *s, struct base_ent *e, double x)
{
	double a = 1.0 / (e->n + 1.0), d;

	if (a < s->alpha)
		a = s->alpha;
	d = x - e->mean;
	e->mean += a * d;
	e->var = (1 - a) * (e->var + a * d * d);
	e->n++;
}

/* The key's value in the window that ended at wstart; 0 when the key had
 * no record there (it had no traffic then). */
static double ring_ref(const struct base_ent *e, int64_t wstart, bool *found)
{
	*found = false;
	for (int i = 0; i < BASE_RING; i++)
		if (e->ring_end[i] == wstart) {
			*found = true;
			return e->ring_v[i];
		}
	return 0;
}

static void ring_push(struct base_ent *e, int64_t wend, double x)
{
	e->ring_end[e->ring_i] = wend;
	e->ring_v[e->ring_i] = x;
	e->ring_i = (e->ring_i + 1) % BASE_RING;
}

/* "cold": "spike" before warm-up: fire at ratio times the previous
 * window.  A key absent from the first window the table read was seen
 * quiet until it appeared, so its rise counts from 0; a key present in
 * it was busy before detect looked, so it has a reference only once its
 * previous window lies wholly after that first window's end (the first
 * windows hold part of a window's traffic). */
static int cold_spike_step(const struct base_table *t,
                           const struct base_spec *s, struct base_ent *e,
                           int64_t wstart, int64_t wend, double x,
                           struct base_out *o)
{
	bool found, known = !e->initial || wstart - (wend - wstart) >= t->first;
	double ref = ring_ref(e, wstart, &found);

	ring_push(e, wend, x);
	if (!known)
		return BASE_NO;
	o->ref = ref;
	o->bound = s->ratio * ref;
	return x >= s->ratio * ref ? BASE_FIRE : BASE_NO;
}

static int ewma_step(const struct base_table *t, const struct base_spec *s,
                     struct base_ent *e, int64_t wstart, int64_t wend,
                     double x, bool fresh, struct base_out *o)
{
	bool warm = e->n >= (uint32_t)s->warmup;
	double raw = x;
	int v = BASE_COLD;

	o->ref = e->mean;
	o->bound = s->floor;
	if (warm) {
		double b = ewma_bound(s, e);
		o->bound = b > s->floor ? b : s->floor;
		v = x > b && x >= s->floor ? BASE_FIRE : BASE_NO;
		/* learn an anomaly only up to the bound: a one-off burst barely
		 * moves the baseline, a lasting new level still raises it */
		if (x > b)
			x = b;
	}
	if (s->cold_spike) {
		ent_ring(e);                /* absent in an older snapshot */
		if (warm)
			ring_push(e, wend, raw);
		else
			v = cold_spike_step(t, s, e, wstart, wend, raw, o);
	}
	/* A key's first record may hold only part of a window's traffic (it
	 * appeared inside the window), so the first sample is the first window
	 * that starts after it. */
	if (fresh)
		e->next_at = wend;
	else if (wstart >= e->next_at) {
		ewma_learn(s, e, x);
		e->next_at = wend;
	}
	return v;
}

static int spike_step(const struct base_spec *s, struct base_ent *e,
                      int64_t wstart, int64_t wend, double x,
                      struct base_out *o)
{
	bool found;
	double ref = ring_ref(e, wstart, &found), b = s->ratio * ref;
	int v = BASE_NO;

	o->ref = NAN;
	o->bound = s->min;
	if (found) {
		o->ref = ref;
		o->bound = b > s->min ? b : s->min;
		/* no traffic before is no reference (ElastAlert's
		 * alert_on_new_data off): a new key is not a spike */
		if (ref > 0 && ref >= s->ref_min && x >= b && x >= s->min)
			v = BASE_FIRE;
	}
	ring_push(e, wend, x);
	return v;
}

uint64_t base_hash(const char *key, size_t klen)
{
	return nw_fnv1a(NW_FNV1A_INIT, key, klen);
}

int base_step(struct base_table *t, const struct base_spec *s,
              const char *key, size_t klen, uint64_t h, int64_t wstart,
              int64_t wend, double x, struct base_out *o)
{
	struct base_ent *e;
	bool fresh = false;

	o->bound = o->ref = NAN;
	if (!isfinite(x))
		return BASE_NO;            /* nothing to learn or compare */
	base_expire(t, wend);
	if (t->first == INT64_MIN)
		t->first = wend;
	if ((e = base_find(t, key, klen, h)) == NULL) {
		e = base_insert(t, s->kind == BASE_SPIKE, key, klen, h);
		e->initial = wend == t->first;
		fresh = true;
	} else if (e != t->young) {
		list_unlink(t, e);
		list_append(t, e);
	}
	if (wend > e->seen || fresh)
		e->seen = wend;
	e->part = dpart_current();
	if (s->kind == BASE_SPIKE)
		return spike_step(s, e, wstart, wend, x, o);
	return ewma_step(t, s, e, wstart, wend, x, fresh, o);
}

/* ---- snapshots ----------------------------------------------------------- */

/* One key: [key, seen, next_at, n, mean, var, ring_i, [[end, v]…],
 * initial, part]; the ring is empty for an EWMA key that looks back at no
 * window, part ([topic, partition]) absent for a key of no partition. */
static json_t *ent_save(const struct base_ent *e)
{
	json_t *ring = json_array(), *a, *p = dpart_json(e->part);

	for (int i = 0; e->ring_v && i < BASE_RING; i++)
		json_array_append_new(ring, json_pack("[I,f]",
			(json_int_t)e->ring_end[i], e->ring_v[i]));
	a = json_pack("[s%,I,I,I,f,f,I,o,b]", e->key, e->klen,
	              (json_int_t)e->seen, (json_int_t)e->next_at,
	              (json_int_t)e->n, e->mean, e->var, (json_int_t)e->ring_i,
	              ring, e->initial);
	if (p)
		json_array_append_new(a, p);
	return a;
}

json_t *base_save(const struct base_table *t, uint32_t filter)
{
	json_t *keys = json_array();

	for (const struct base_ent *e = t->old; e; e = e->younger)
		if (filter == DPART_ALL || e->part == filter)
			json_array_append_new(keys, ent_save(e));
	return json_pack("{s:I,s:I,s:o}", "now", (json_int_t)t->now,
	                 "first", (json_int_t)t->first, "keys", keys);
}

/* One key's array, checked: its fields in *e (key and klen pointing into
 * a), the ring in *ring; -1 when it is not a key of a rule of that kind. */
static int ent_parse(int kind, json_t *a, struct base_ent *e, const char **key,
                     json_t **ring)
{
	json_int_t seen, next_at, n, ring_i;
	json_t *initial = json_array_get(a, 8), *r;
	size_t nring, i;

	if (json_unpack(a, "[s%,I,I,I,F,F,I,o]", key, &e->klen, &seen, &next_at,
	                &n, &e->mean, &e->var, &ring_i, ring) != 0 ||
	    !json_is_array(*ring) || ring_i < 0 || ring_i >= BASE_RING || n < 0 ||
	    n > UINT32_MAX)
		return -1;
	/* a spike key has its ring; an EWMA key has one if it looks back */
	nring = json_array_size(*ring);
	if ((nring != (kind == BASE_SPIKE ? BASE_RING : 0) &&
	     !(kind == BASE_EWMA && nring == BASE_RING)) ||
	    (initial && !json_is_boolean(initial)))
		return -1;
	json_array_foreach(*ring, i, r)
		if (json_unpack(r, "[I,F]", &(json_int_t){0}, &(double){0}) != 0)
			return -1;
	e->seen = seen;
	e->next_at = next_at;
	e->n = (uint32_t)n;
	e->ring_i = (uint32_t)ring_i;
	e->initial = json_is_true(initial);
	return 0;
}

/* Put a parsed key in the table, tagged tag or (0) as the array says;
 * nothing when the table holds the key already. */
static void ent_put(struct base_table *t, json_t *a, const struct base_ent *v,
                    const char *key, json_t *ring, uint32_t tag)
{
	uint64_t h = base_hash(key, v->klen);
	size_t nring = json_array_size(ring), i;
	struct base_ent *e;
	json_t *r;

	if (base_find(t, key, v->klen, h))
		return;
	e = base_insert(t, nring == BASE_RING, key, v->klen, h);
	*e = (struct base_ent){ .next = e->next, .older = e->older,
		.younger = e->younger, .h = e->h, .seen = v->seen,
		.next_at = v->next_at, .n = v->n, .mean = v->mean, .var = v->var,
		.ring_end = e->ring_end, .ring_v = e->ring_v, .ring_i = v->ring_i,
		.initial = v->initial, .klen = v->klen,
		.part = tag ? tag : dpart_from_json(json_array_get(a, 9)) };
	memcpy(e->key, key, v->klen);
	json_array_foreach(ring, i, r) {
		json_int_t end;
		json_unpack(r, "[I,F]", &end, &e->ring_v[i]);
		e->ring_end[i] = end;
	}
}

/* -1 when a member of keys is not a key of a rule of that kind. */
static int base_check_all(int kind, json_t *keys)
{
	struct base_ent v;
	const char *key;
	json_t *a, *ring;
	size_t i;

	json_array_foreach(keys, i, a)
		if (ent_parse(kind, a, &v, &key, &ring) < 0)
			return -1;
	return 0;
}

/* Every key of keys (checked by base_check_all). */
static void base_put_all(struct base_table *t, int kind, json_t *keys,
                         uint32_t tag)
{
	struct base_ent v;
	const char *key;
	json_t *a, *ring;
	size_t i;

	json_array_foreach(keys, i, a) {
		ent_parse(kind, a, &v, &key, &ring);
		ent_put(t, a, &v, key, ring, tag);
	}
}

int base_load(struct base_table *t, int kind, const json_t *o)
{
	json_int_t now, first = INT64_MIN;
	json_t *keys;
	uint64_t forgotten = t->forgotten;

	base_clear(t);
	if (json_unpack((json_t *)o, "{s:I,s?I,s:o}", "now", &now, "first",
	                &first, "keys", &keys) != 0 || !json_is_array(keys) ||
	    base_check_all(kind, keys) < 0)
		return -1;
	base_put_all(t, kind, keys, 0);
	t->now = now;
	t->first = first;
	t->forgotten = forgotten;      /* a counter, not state */
	return 0;
}

int base_adopt(struct base_table *t, int kind, const json_t *o, uint32_t tag)
{
	json_int_t now, first = INT64_MIN;
	json_t *keys;
	uint64_t forgotten = t->forgotten;

	if (json_unpack((json_t *)o, "{s:I,s?I,s:o}", "now", &now, "first",
	                &first, "keys", &keys) != 0 || !json_is_array(keys) ||
	    base_check_all(kind, keys) < 0)
		return -1;
	for (struct base_ent *e = t->old, *nx; e; e = nx) {
		nx = e->younger;
		if (e->part == tag)
			base_forget(t, e);
	}
	t->forgotten = forgotten;      /* replaced, not forgotten */
	base_put_all(t, kind, keys, tag);
	if (now > t->now)
		t->now = now;
	if (t->first == INT64_MIN)
		t->first = first;
	return 0;
}
