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

int win_ckpt_save(const struct win_engine *e, const char *dir, uint64_t id);
/* Replace the engine's state with snapshot id (0: empty state).  -1 when
 * the snapshot is missing, damaged or taken with other window flags. */
int win_ckpt_load(struct win_engine *e, const char *dir, uint64_t id);

#endif
