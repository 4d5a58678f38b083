/*
 * baseline.h - rules that compare a window's value with its key's own
 * history instead of a constant (docs/detect.md, "Baselines").
 *
 * Two kinds share one per-rule table of keys:
 *
 * - BASE_EWMA ("baseline"): an exponentially weighted mean and variance of
 *   the value per key.  It fires when the value is above mean + k
 *   deviations and at least the floor, once the key has learned `warmup`
 *   samples.  A sample is a record whose window starts at or after the end
 *   of the key's previous sample, so successive samples never share an
 *   event however the windows slide.
 * - BASE_SPIKE ("spike"): the value against the same key's value in the
 *   previous non-overlapping window (the one that ended when this one
 *   started), firing at `ratio` times it and at least `min`.
 *
 * An EWMA rule with "cold": "spike" fires during a key's warm-up only on
 * a spike (ratio times the previous non-overlapping window), where a key
 * that was absent from the first window the table read counts as quiet
 * (0) before it appeared, and a key present in that first window has a
 * reference only once its previous window lies wholly after that first
 * window's end: a key busy when detect started is presumed busy by nature.
 *
 * The table is bounded: at most max_keys keys (the least recently seen is
 * forgotten first) and a key not seen for ttl_ms of event time is
 * forgotten.  Event time is the newest window_end the table has read, so
 * the state is a function of the records alone: a replay of the same
 * records from a restored snapshot gives the same verdicts.
 *
 * Ownership: a spec owns its value name; a table owns its entries.
 */
#ifndef BASELINE_H
#define BASELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum base_kind { BASE_EWMA = 1, BASE_SPIKE };

/* A rule's "baseline" or "spike" object. */
struct base_spec {
	int    kind;           /* enum base_kind */
	char  *value;          /* the record field it follows */
	int    sym;            /* its symbol, set by rules.c */
	/* BASE_EWMA */
	double k, floor, alpha, min_dev;
	int    warmup;
	bool   cold_when;      /* before warm-up the rule's "when" decides */
	bool   cold_spike;     /* before warm-up "when" and a spike decide */
	/* BASE_SPIKE (and "cold": "spike": ratio) */
	double ratio, min, ref_min;
};

/* Read o (a rule's "baseline" or "spike" member) into s; -1 with err. */
int  base_spec_json(struct base_spec *s, int kind, json_t *o, char *err,
                    size_t errlen);
void base_spec_free(struct base_spec *s);

struct base_ent;

struct base_table {
	uint64_t max_keys;
	int64_t  ttl_ms;
	int64_t  now;              /* newest window_end read, INT64_MIN: none */
	int64_t  first;            /* the first window_end read, INT64_MIN: none */
	struct base_ent **b;       /* hash buckets */
	size_t   nb;
	struct base_ent *old, *young;  /* least and most recently seen */
	uint64_t n;                /* keys held */
	uint64_t forgotten;        /* keys dropped by the TTL or the bound */
};

#define BASE_MAX_KEYS 100000
#define BASE_TTL_MS   (7 * 24 * 3600 * 1000LL)

/* 0 for max_keys or ttl_ms: the defaults above. */
void base_init(struct base_table *t, uint64_t max_keys, int64_t ttl_ms);
void base_free(struct base_table *t);

enum base_verdict {
	BASE_NO,               /* the key is learned and the value is normal */
	BASE_FIRE,             /* the value is anomalous for this key */
	BASE_COLD              /* no verdict: the key has not learned enough */
};

/* What a verdict was measured against, for the alert. */
struct base_out {
	double bound;          /* the value it had to exceed (with the floor) */
	double ref;            /* EWMA: the mean; spike: the previous value */
};

/* A key's hash, computed once per record for every table it visits. */
uint64_t base_hash(const char *key, size_t klen);

/* The verdict on value x of key's window [wstart, wend), from what the
 * key learned before it; then the key learns x when the window is a
 * sample.  h is base_hash(key, klen).  Every record of the rule's key
 * field must pass through here, in input order. */
int base_step(struct base_table *t, const struct base_spec *s,
              const char *key, size_t klen, uint64_t h, int64_t wstart,
              int64_t wend, double x, struct base_out *o);

/* Snapshot: {"now":N,"keys":[…]} with keys from least to most recently
 * seen, doubles written so that they read back exactly, each key with its
 * partition (dpart.h; filter DPART_ALL: every key, a tag: that
 * partition's); and back into a table of a rule of that kind (the table
 * emptied first).  -1 on a malformed snapshot (the table empty). */
json_t *base_save(const struct base_table *t, uint32_t filter);
int     base_load(struct base_table *t, int kind, const json_t *o);
/* A takeover of partition tag (dpart.h): its keys are replaced by those of
 * o, base_save's part of it from the chain that died (a key the table
 * holds under another partition keeps its own); -1 on a malformed o. */
int     base_adopt(struct base_table *t, int kind, const json_t *o,
                   uint32_t tag);
void    base_clear(struct base_table *t);

#endif
