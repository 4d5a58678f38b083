/*
 * rules.h - a rule set: rules loaded from a JSON file, from --rule flags or
 * from the built-in defaults (detect/rules.json, compiled in), with the
 * network sets their expressions test, the allowlist and the host groups
 * (hosts.h), applied to window records to produce alerts
 * (docs/contracts.md §3).
 *
 * Ownership: rule_set_load returns a set the caller frees with
 * rule_set_free; the set owns its rules, symbols, hosts and buffers.
 */
#ifndef RULES_H
#define RULES_H

#include <stdbool.h>
#include <stdint.h>
#include "baseline.h"
#include "expr.h"
#include "hosts.h"
#include "nw.h"
#include "rec.h"
#include "sym.h"

enum rule_sev { SEV_INFO, SEV_WARNING, SEV_CRITICAL };

/* A message template piece: literal text or a placeholder. */
enum rule_seg_kind {
	SEG_TEXT, SEG_FIELD, SEG_KEY, SEG_KEY_FIELD, SEG_WINDOW_SECONDS,
	SEG_WINDOW_START, SEG_WINDOW_END, SEG_RULE, SEG_SEVERITY, SEG_METRIC,
	SEG_VALUE, SEG_THRESHOLD, SEG_HOST_GROUP, SEG_BASELINE
};
struct rule_seg {
	int         kind;      /* enum rule_seg_kind */
	const char *text;      /* SEG_TEXT: into rule.message; SEG_FIELD: name */
	size_t      len;
	int         sym;       /* SEG_FIELD */
};

struct rule {
	char  *name, *when, *metric, *key_field, *message;
	size_t key_field_len;
	int    severity;       /* enum rule_sev */
	struct expr ex;
	int    metric_sym;
	double threshold;
	struct rule_seg *seg;
	int    nseg;
	int   *need;           /* symbols that must be bound: fields that are
	                          numbers, and set tests that found an address */
	int    nneed;
	int   *ins;            /* its set tests: indexes into rule_set.ins */
	int    nins;
	double *gthr;          /* per host group: threshold override or NAN;
	                          NULL when no group overrides this rule */
	int    thr_param;      /* with gthr: the threshold's expr parameter */
	struct base_spec base; /* kind 0: a plain threshold rule */
	struct base_table *bt; /* a baseline or spike rule's keys */
	uint64_t fired, missing_field, div_by_zero;
	bool   warned;         /* missing field logged once */
};

/* A set test "FIELD in @SET" of any rule, computed once per record. */
struct rule_in {
	int  sym;              /* its pseudo-symbol (struct expr_in) */
	int  field;            /* FIELD's symbol */
	bool is_key;           /* FIELD is "key" */
	int  set;              /* index into hosts.set */
};

struct rule_set {
	struct sym_table syms;
	struct rule *v;
	int    n;
	struct hosts hosts;
	uint64_t max_keys;     /* bounds of every baseline table (0: default) */
	int64_t  key_ttl_ms;
	struct rule_in *ins;
	int    nins;
	/* The current record's key as an address, parsed at most once. */
	uint32_t key_gen;
	bool   key_ok;
	ipset_addr key_addr;
	/* Its hash for the baseline tables, computed at most once. */
	uint32_t hash_gen;
	uint64_t key_hash;
	/* Binding of the current record, indexed by symbol. */
	double *val;
	const struct rec_field **ref;
	uint32_t *stamp, gen;
	struct nw_buf out;
	/* The alert being emitted, for the emit callback (incident.c). */
	struct rule_match {
		const struct rule *ru;
		const struct rec *r;
		const char *group;     /* host group, or NULL */
		double value;
		uint64_t alert_id;
	} last;
};

extern const char rule_default_json[];

/* Where a rule set comes from: every file is read again on a reload. */
struct rule_src {
	const char  *path;     /* rules file; NULL: built-in unless flags */
	char *const *flags;    /* "NAME: EXPR", appended after the file's rules */
	int          nflags;
	char *const *sets;     /* "NAME=FILE" (--set), before the file's sets */
	int          nsets;
	const char  *allow;    /* --allow FILE, or NULL */
	const char  *groups;   /* --groups FILE, or NULL */
	uint64_t     max_keys; /* --max-keys: keys per baseline rule (0: default) */
	int64_t      key_ttl_ms; /* --key-ttl (0: default) */
};

/* NULL on error, with one line in err. */
struct rule_set *rule_set_load(const struct rule_src *src, char *err,
                               size_t errlen);
/* Parse rules from JSON text (an array, or {"rules":[…]}) into rs. */
int  rule_set_add_json(struct rule_set *rs, const char *text, size_t n,
                       const char *origin, char *err, size_t errlen);
int  rule_set_add_flag(struct rule_set *rs, const char *spec, char *err,
                       size_t errlen);
/* Carry counters, and the learned keys of baseline rules that follow the
 * same value the same way, of same-named rules over a reload. */
void rule_set_carry(struct rule_set *to, struct rule_set *from);
/* Check a group file's threshold overrides against the rules and arm
 * them (rule_set_load does this after the last rule). */
int  rule_set_groups(struct rule_set *rs, char *err, size_t errlen);
/* Evaluate every rule on r, calling emit with each alert line (no '\n').
 * Returns the number of alerts withheld because the key is allowed. */
int  rule_set_apply(struct rule_set *rs, const struct rec *r,
                    void (*emit)(const char *line, size_t n));
void rule_set_free(struct rule_set *rs);

/* The baseline and spike rules' learned keys, for detect's snapshot: a
 * JSON object by rule name (filter: dpart.h), and back (rules absent from the snapshot
 * start empty, names no rule has are ignored).  -1 on a malformed one. */
json_t *rule_set_save_state(const struct rule_set *rs, uint32_t filter);
int     rule_set_load_state(struct rule_set *rs, const json_t *o);
/* A takeover of partition tag: each rule's keys of it replaced by those in
 * o (rule_set_save_state's part of it from the chain that died). */
int     rule_set_adopt_state(struct rule_set *rs, const json_t *o,
                             uint32_t tag);

/* Numbers: integers without decimals; reals shortest round-trip (JSON) or
 * to two decimals (messages). */
void rule_fmt_json(struct nw_buf *b, double v);
void rule_fmt_text(struct nw_buf *b, double v);
uint64_t rule_alert_id(const char *rule, const char *key, size_t klen,
                       int64_t window_end);
/* Counters as a JSON object, for the stats file. */
void rule_set_stats(struct nw_buf *b, void *rs_ptr_ptr);

#endif
