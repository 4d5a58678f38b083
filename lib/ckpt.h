/*
 * ckpt.h - barrier checkpoints (see docs/recovery.md).
 *
 * The source emits barrier control lines; every stateful stage writes a
 * snapshot of its state tagged with the barrier's id when the barrier
 * reaches it; notify marks a barrier complete once every alert before it is
 * delivered or durably spooled.  A restart restores the newest completed
 * snapshot set.  Everything lives in one checkpoint directory:
 *
 *   DIR/<stage>.<id>.snap   one snapshot: a header line, then the payload
 *   DIR/completed           the newest completed barrier id, "<id>\n"
 *
 * Snapshot header (one text line, then exactly <len> payload bytes):
 *
 *   NWSNAP <version> <stage> <id> <len> <crc32 of payload, 8 hex digits>\n
 *
 * Every file is written to a temporary name, fsync'd, renamed into place,
 * and the directory fsync'd, so a kill -9 at any point leaves either the old
 * file or the new one, never a mixture.  A snapshot that fails its length or
 * CRC check is reported at WARN and skipped.
 *
 * Ownership: nw_ckpt_load hands back a malloc'd payload the caller frees.
 */
#ifndef NW_CKPT_H
#define NW_CKPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NW_CKPT_MAGIC   "NWSNAP"
#define NW_CKPT_VERSION 1
#define NW_CKPT_ENV     "NW_CHECKPOINT_DIR"
#define NW_CKPT_COMPLETED "completed"
/* Payloads larger than this are refused on load (a corrupt header must not
 * make us allocate gigabytes). */
#define NW_CKPT_MAX_LEN ((size_t)1 << 32)

/* The checkpoint directory: the flag's value when given, else
 * $NW_CHECKPOINT_DIR when set and non-empty, else NULL (checkpoints off). */
const char *nw_ckpt_dir(const char *flag);

/* CRC-32 (IEEE 802.3, the one zlib and gzip use). */
uint32_t nw_crc32(uint32_t crc, const void *p, size_t n);

/* Write DIR/<stage>.<id>.snap atomically and durably.  0, or -1 with errno
 * set and an ERROR logged. */
int nw_ckpt_write(const char *dir, const char *stage, uint64_t id,
                  const void *data, size_t len);

/* The newest completed barrier id: 1 with *id set, 0 when no barrier has
 * completed yet, -1 when the file is unreadable or malformed (logged). */
int nw_ckpt_completed(const char *dir, uint64_t *id);

/* Record id as completed (temp file, fsync, rename, fsync of the dir).
 * Never moves backwards: an id not above the current one is ignored. */
int nw_ckpt_mark_completed(const char *dir, uint64_t id);

/* The newest valid snapshot of stage with an id <= max_id: 1 with *id,
 * *data (malloc'd, NUL-terminated for convenience) and *len set; 0 when
 * there is none; -1 on a directory error.  Corrupt or truncated snapshots
 * are logged at WARN and the previous one is tried. */
int nw_ckpt_load(const char *dir, const char *stage, uint64_t max_id,
                 uint64_t *id, char **data, size_t *len);

/* Load the snapshot of stage with exactly this id: 1, 0 (absent), or -1
 * (corrupt, logged at WARN). */
int nw_ckpt_load_id(const char *dir, const char *stage, uint64_t id,
                    char **data, size_t *len);

/* The restore point of the whole chain: the newest id <= the completed id
 * for which every snapshot file present (of any stage) is valid and
 * every stage seen at newer ids has one.  1 with *id set, 0 when there is
 * none (start from scratch), -1 on error. */
int nw_ckpt_restore_point(const char *dir, uint64_t *id);

/* Remove the snapshots of stage (NULL: of every stage) with an id below
 * keep_id.  Returns how many were removed. */
int nw_ckpt_prune(const char *dir, const char *stage, uint64_t keep_id);

/* The highest barrier id found in the directory (snapshots and the
 * completed file), 0 when there is none: a restarted source continues
 * above it so ids never repeat. */
uint64_t nw_ckpt_max_id(const char *dir);

/* Every snapshot file name in dir (of stage, or of every stage when NULL),
 * newest first, without opening the files.  0, or -1 when dir cannot be
 * read (a missing dir is an empty list).  Free with nw_ckpt_list_free. */
struct nw_ckpt_ent {
	char    *stage;
	uint64_t id;
};
int nw_ckpt_list(const char *dir, const char *stage, struct nw_ckpt_ent **v,
                 size_t *n);
void nw_ckpt_list_free(struct nw_ckpt_ent *v, size_t n);

/* ---- per-partition parts of a snapshot (docs/recovery.md, "Takeover") --
 * A stage whose state splits by input partition (window) ends its snapshot
 * payload with a table of parts, one opaque byte string per (topic,
 * partition), so that kcat-src can hand one partition's part to another
 * chain without knowing the stage's format:
 *
 *   <stage's own bytes> <part>... u32 nparts, u64 offset of the first
 *   part, u32 magic "NWPT"
 *   part: u8 named, u32 topic length, topic, i32 partition, u64 length,
 *         bytes   (named 0: events without partition lines, partition -1)
 *
 * Native byte order, like the stage's own bytes. */
#define NW_PARTS_MAGIC 0x5450574eu
struct nw_buf;
struct nw_part {
	const char *topic;        /* NULL: the implicit partition */
	size_t tlen;
	int32_t partition;
	const char *data;         /* points into the payload */
	size_t len;
};
/* Start the table: the offset to give nw_parts_end. */
size_t nw_parts_begin(const struct nw_buf *b);
void nw_parts_add(struct nw_buf *b, const char *topic, size_t tlen,
                  int32_t partition, const void *data, size_t len);
void nw_parts_end(struct nw_buf *b, size_t begin, uint32_t nparts);
/* Where the stage's own bytes end (*body_len) and how many parts follow:
 * 0 when the payload has no part table, -1 when the table is damaged. */
int nw_parts_count(const char *payload, size_t len, size_t *body_len);
/* Part i (0 <= i < count): 0, or -1 when damaged. */
int nw_parts_get(const char *payload, size_t len, uint32_t i,
                 struct nw_part *out);
/* The part of (topic, partition): 1 found, 0 not there, -1 damaged. */
int nw_parts_find(const char *payload, size_t len, const char *topic,
                  int32_t partition, struct nw_part *out);

/* ---- control lines of the protocol ------------------------------------ */
enum nw_ckpt_ctl {
	NW_CKPT_CTL_NONE,      /* not a checkpoint control line */
	NW_CKPT_CTL_BARRIER,   /* {"@ctl":{"type":"barrier","id":N,…}} */
	NW_CKPT_CTL_RESTORE    /* {"@ctl":{"type":"restore","id":N}} */
};
/* Classify a line; *id gets the barrier or restore id.  A restore line is
 * the first line a restarted source writes: every stateful stage resets
 * its state to its snapshot with that id (id 0: empty state). */
enum nw_ckpt_ctl nw_ckpt_ctl_parse(const char *line, size_t n, uint64_t *id);
/* Append {"@ctl":{"type":"restore","id":N}} (no newline) to out. */
void nw_ckpt_restore_line(struct nw_buf *out, uint64_t id);

#endif
