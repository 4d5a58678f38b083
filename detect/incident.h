/*
 * incident.h - alerts that open and resolve (detect --incidents): one
 * incident per (rule, key field, key).  A matching window opens it once
 * the condition has held for --for of event time (Alertmanager's `for`);
 * later matching windows keep it open without a new alert; it resolves
 * when detect's event time (the newest window_end it has read) passes its
 * last matching window_end by --resolve-after (Alertmanager's
 * keep_firing_for), and a "resolved" record names its start, end, duration
 * and peak value.
 *
 * Ownership: the table owns its entries and their strings; it never keeps
 * a pointer to a record or a rule past a call.
 */
#ifndef INCIDENT_H
#define INCIDENT_H

#include <stdbool.h>
#include <stdint.h>
#include "nw.h"
#include "rules.h"

struct inc_entry;

struct inc_table {
	int64_t for_ms, keep_ms;
	int64_t now;                /* newest window_end read, INT64_MIN: none */
	struct inc_entry **b;       /* hash buckets */
	size_t nb;
	uint64_t n;                 /* entries */
	uint64_t opened, resolved;  /* counters (stats) */
	struct nw_buf out;
};

void inc_init(struct inc_table *t, int64_t for_ms, int64_t keep_ms);
void inc_free(struct inc_table *t);

/* A record with window_end end was read: resolve what ended before it,
 * each resolution through emit.  Call before the record's matches. */
void inc_advance(struct inc_table *t, int64_t end,
                 void (*emit)(const char *line, size_t n));
/* Rule m matched; line is its alert.  Emits the alert, with "status":
 * "firing", "incident_id" and "incident_start" added, when it opens an
 * incident; nothing when the incident is already open or its condition has
 * not held for --for yet. */
void inc_match(struct inc_table *t, const struct rule_match *m,
               const char *line, size_t n,
               void (*emit)(const char *line, size_t n));

/* Snapshot (checkpoint.c style): the open and pending incidents as lines
 * of text, and back.  -1 on a malformed snapshot. */
void inc_save(const struct inc_table *t, struct nw_buf *b);
int  inc_load(struct inc_table *t, const char *text, size_t n);

#endif
