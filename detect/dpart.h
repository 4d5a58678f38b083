/*
 * dpart.h - the input partition of each piece of detect's state, so that a
 * chain taking over a partition from a chain that died can take detect's
 * part of it too (docs/recovery.md, "Takeover").
 *
 * window announces, before a record, the Kafka partition of its key's last
 * event (a partition line, docs/contracts.md §4).  detect tags each
 * incident and each learned baseline key with the partition current when
 * it last changed, as window tags its keys.  Tag 0 is "no partition" (a
 * file, a plain pipe): without partition lines everything has tag 0 and
 * detect's snapshot is what it was.
 *
 * Ownership: one table per process, interned (topic, partition) pairs it
 * owns until dpart_free; tags are indexes into it, valid for the process
 * only (snapshots write the pair, never the tag).
 */
#ifndef DPART_H
#define DPART_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define DPART_ALL UINT32_MAX   /* a filter that takes every tag */

/* The tag of (topic, partition), added when new; topic NULL: tag 0. */
uint32_t dpart_intern(const char *topic, size_t tlen, int32_t partition);
uint32_t dpart_count(void);               /* tags, 0 included */
const char *dpart_topic(uint32_t tag, size_t *tlen);  /* NULL for 0 */
int32_t dpart_partition(uint32_t tag);    /* -1 for 0 */

/* The partition of the records now being read (window's last partition
 * line; 0 after a restore). */
uint32_t dpart_current(void);
void dpart_set_current(uint32_t tag);

/* In snapshots: [topic, partition], or NULL for tag 0; and back (NULL or
 * not such a pair: 0). */
json_t *dpart_json(uint32_t tag);
uint32_t dpart_from_json(const json_t *j);

void dpart_free(void);

#endif
