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

/* A partition taken over from a chain that died (an adopt line): its
 * records come from a window engine of their own, behind the others in
 * event time while its backlog is read, so its incidents resolve on its
 * own records' time, not on detect's. */
struct inc_side {
	uint32_t tag;               /* dpart.h */
	int64_t now;                /* newest window_end of its records */
};

struct inc_table {
	int64_t for_ms, keep_ms;
	int64_t now;                /* newest window_end read, INT64_MIN: none
	                             * (of partitions that are not sides) */
	struct inc_side *sides;
	size_t nsides;
	struct inc_entry **b;       /* hash buckets */
	size_t nb;
	uint64_t n;                 /* entries */
	uint64_t opened, resolved;  /* counters (stats) */
	struct nw_buf out;
};

void inc_init(struct inc_table *t, int64_t for_ms, int64_t keep_ms);
void inc_free(struct inc_table *t);

/* A record with window_end end was read from partition tag (dpart.h):
 * resolve what ended before it, each resolution through emit.  Call before
 * the record's matches. */
void inc_advance(struct inc_table *t, int64_t end, uint32_t tag,
                 void (*emit)(const char *line, size_t n));
/* Rule m matched; line is its alert.  Emits the alert, with "status":
 * "firing", "incident_id" and "incident_start" added, when it opens an
 * incident; nothing when the incident is already open or its condition has
 * not held for --for yet. */
void inc_match(struct inc_table *t, const struct rule_match *m,
               const char *line, size_t n,
               void (*emit)(const char *line, size_t n));

/* Snapshot (checkpoint.c style): the open and pending incidents as two
 * lines of text, and back.  -1 on a malformed snapshot.  Each entry names
 * its partition; filter DPART_ALL takes every entry (and the sides), a tag
 * only that partition's, with that partition's event time: its part for a
 * takeover. */
void inc_save(const struct inc_table *t, uint32_t filter, struct nw_buf *b);
int  inc_load(struct inc_table *t, const char *text, size_t n);
/* A takeover of partition tag: its entries are replaced by those of text
 * (inc_save's part of it from the chain that died; a key the table
 * already holds under another partition keeps its own) and it becomes a
 * side with the part's event time.  -1 on a malformed text (the table
 * unchanged). */
int  inc_adopt(struct inc_table *t, uint32_t tag, const char *text, size_t n);
/* Partition tag is taken over with no usable part (none published, or a
 * damaged one): its records come from a side engine all the same, so it
 * resolves on its own time from now on; its entries stay. */
void inc_set_side(struct inc_table *t, uint32_t tag);

#endif
