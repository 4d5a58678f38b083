/*
 * snap.h - detect's snapshot: the incidents and what the baseline and
 * spike rules learned, and each input partition's part of them, which a
 * chain taking the partition over from a chain that died adopts
 * (docs/recovery.md, "Takeover").
 *
 * The payload is text: the incidents' two lines (incident.c) and one line
 * of learned keys (rules.c).  When the records came with partition lines
 * (dpart.h) a part table follows (lib/ckpt.h), one part per partition in
 * the same three-line form, holding that partition's entries only;
 * kcat-src publishes each part beside window's.
 *
 * Ownership: the functions borrow the tables and the buffer.
 */
#ifndef DET_SNAP_H
#define DET_SNAP_H

#include <stddef.h>
#include <stdint.h>
#include "incident.h"
#include "rules.h"

void det_snap_save(const struct inc_table *inc, const struct rule_set *rs,
                   struct nw_buf *b);
/* Back from a payload (empty: the state of id 0); -1 when damaged. */
int  det_snap_load(struct inc_table *inc, struct rule_set *rs,
                   const char *data, size_t len);
/* Partition tag's part from the chain that died replaces what this detect
 * holds of it; -1 when damaged (nothing changed). */
int  det_snap_adopt(struct inc_table *inc, struct rule_set *rs, uint32_t tag,
                    const char *data, size_t len);

#endif
