/*
 * win_ckpt.h - window's part of the barrier checkpoints (docs/recovery.md):
 * at a barrier the whole engine state goes into the checkpoint directory as
 * window.<id>.snap; a restore line puts snapshot <id> back (id 0: empty).
 */
#ifndef WIN_CKPT_H
#define WIN_CKPT_H

#include <stddef.h>
#include <stdint.h>
#include "engine.h"
#include "route.h"

/* The main engine and every side engine, split by partition (version 3,
 * win_ckpt.c). */
int win_ckpt_save(const struct win_route *r, const char *dir, uint64_t id);
/* Replace the state (side engines included) with snapshot id (0: empty
 * state).  -1 when the snapshot is missing, damaged or taken with other
 * window flags. */
int win_ckpt_load(struct win_route *r, const char *dir, uint64_t id);
/* A partition taken over with another chain's part of it (len 0: none):
 * the main engine forgets the partition and a side engine gets the part's
 * state.  -1 when the part is refused (damaged, other flags; logged): the
 * side engine then starts empty. */
int win_ckpt_adopt(struct win_route *r, const char *topic, size_t tlen,
                   int32_t partition, const char *data, size_t len);

#endif
