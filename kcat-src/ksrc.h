/*
 * ksrc.h - kcat-src internals: Kafka -> NDJSON consumer, NDJSON -> Kafka
 * producer mode, and the helpers both share (librdkafka configuration,
 * payload framing check, dead-letter records).
 *
 * Ownership: a struct ksrc_conf owns its strings and librdkafka conf
 * objects until ksrc_conf_free, except that ksrc_conf_take_rd hands the
 * rd_kafka_conf_t over to the caller (who passes it to rd_kafka_new).
 */
#ifndef KSRC_H
#define KSRC_H

#include "nw.h"

#include <librdkafka/rdkafka.h>

#define KSRC_MAX_TOPICS 64

/* Where consumption starts (-o). */
enum ksrc_start {
	KSRC_START_BEGINNING,
	KSRC_START_END,
	KSRC_START_STORED,
	KSRC_START_OFFSET,   /* absolute (>= 0) or from the end (< 0) */
	KSRC_START_TIME      /* first message with timestamp >= value (ms) */
};

struct ksrc_conf {
	/* common */
	const char *brokers;
	const char *topics[KSRC_MAX_TOPICS];
	int ntopics;
	rd_kafka_conf_t *rd;          /* -X / -F properties plus our defaults */
	const char *stats_path;
	int stats_interval_ms;
	/* consumer */
	const char *group;            /* -G: balanced group; NULL: static */
	int32_t *parts;               /* -p list, NULL: every partition */
	int nparts;
	enum ksrc_start start;
	int64_t start_value;
	bool exit_eof;                /* -e */
	uint64_t count;               /* -c, 0: unlimited */
	const char *dead_letter;
	int64_t commit_interval_ms;
	int batch;                    /* messages per consume call */
	const char *ckpt_dir;         /* --checkpoint-dir / NW_CHECKPOINT_DIR */
	int64_t ckpt_interval_ms;     /* --checkpoint-interval */
	bool no_markers;              /* --no-partition-markers */
	const char *state_redis;      /* --state-redis / REDIS_URL, NULL: off */
	/* producer */
	bool produce;                 /* -P */
	const char *key_field;
	size_t max_line;
};

/* ---- configuration (ksrc_conf.c) ------------------------------------- */
void ksrc_conf_init(struct ksrc_conf *c);
void ksrc_conf_free(struct ksrc_conf *c);
/* Apply "name=value" (-X); exits 2 with a clear line when it is refused.
 * Secret values are never printed. */
void ksrc_conf_set_prop(struct ksrc_conf *c, const char *kv);
/* Apply every "name=value" line of a properties file (-F). */
void ksrc_conf_load_file(struct ksrc_conf *c, const char *path);
/* True when a property's value must never be logged. */
bool ksrc_prop_is_secret(const char *name);
/* Set a property the program needs; exits 2 if librdkafka refuses it. */
void ksrc_conf_must(rd_kafka_conf_t *rd, const char *name, const char *value);
/* Log lines and error callbacks that route librdkafka through nw_log. */
void ksrc_conf_logging(rd_kafka_conf_t *rd);
/* Hands the conf to the caller (for rd_kafka_new); c->rd becomes NULL. */
rd_kafka_conf_t *ksrc_conf_take_rd(struct ksrc_conf *c);
/* Set by the error callback when librdkafka reports a non-retriable
 * error (authentication, authorization, fatal): the main loop exits 1. */
extern volatile int ksrc_fatal;
extern char ksrc_fatal_msg[512];
/* Is err one a retry can never fix?  (Authentication, authorization.) */
bool ksrc_err_is_fatal(rd_kafka_resp_err_t err);
void ksrc_set_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- payload framing (ksrc_frame.c) ---------------------------------- */
enum ksrc_frame {
	KSRC_FRAME_OK,
	KSRC_FRAME_NEWLINE,   /* a raw '\n' would split the record */
	KSRC_FRAME_NUL,       /* a NUL byte breaks C string consumers */
	KSRC_FRAME_UTF8       /* not valid UTF-8 */
};
/* Classify a payload; *at gets the offset of the first offending byte. */
enum ksrc_frame ksrc_frame_check(const void *p, size_t n, size_t *at);
const char *ksrc_frame_reason(enum ksrc_frame f);
/* The dead-letter record of a rejected payload:
 * {"reason":…,"topic":…,"partition":…,"offset":…,"line":…[,"line_base64":…]} */
void ksrc_dlq_record(struct nw_buf *b, const char *reason, const char *topic,
                     int32_t partition, int64_t offset, const void *p,
                     size_t n);
/* Write one rejected payload to the dead-letter output (or the log). */
void ksrc_dlq_put(struct nw_dlq *d, const char *reason, const char *topic,
                  int32_t partition, int64_t offset, const void *p, size_t n);

/* ---- key extraction (ksrc_key.c) ------------------------------------- */
/* Find the top-level member `field` of the JSON object in line and return
 * its value's bytes: a string's contents (escapes left as written; the
 * key only has to be stable) or a number/true/false token.  Returns false
 * when the line is not valid JSON (a repeated member name included), not
 * an object with that member, or the value is null, an object or an
 * array. */
bool ksrc_json_key(const char *line, size_t n, const char *field,
                   size_t flen, const char **val, size_t *vlen);

/* ---- checkpoints (ksrc_ckpt.c, docs/recovery.md) --------------------- */
struct ksrc_ckpt;
/* NULL dir: NULL (checkpoints off).  Otherwise picks the restore point,
 * loads its offsets and writes the restore line on stdout; NULL on error
 * (logged). */
struct ksrc_ckpt *ksrc_ckpt_open(const char *dir, int64_t interval_ms);
void ksrc_ckpt_free(struct ksrc_ckpt *ck);
/* The restore point's next offset for a partition, -1 when it names none. */
int64_t ksrc_ckpt_seek_one(const struct ksrc_ckpt *ck, const char *topic,
                           int32_t partition);
bool ksrc_ckpt_due(const struct ksrc_ckpt *ck);
/* A rewind in place: pick the restore point again and load its offsets
 * (ksrc_ckpt_seek_one answers from them); -1 on error (logged).  The
 * caller writes the restore line with ksrc_ckpt_restore_line once its
 * output is back. */
int ksrc_ckpt_rewind(struct ksrc_ckpt *ck);
void ksrc_ckpt_restore_line(struct ksrc_ckpt *ck);
/* Write our snapshot, then the barrier line, for these next offsets. */
int ksrc_ckpt_barrier(struct ksrc_ckpt *ck,
                      const rd_kafka_topic_partition_list_t *pos);
/* The offsets of a newly completed barrier (caller destroys), or NULL. */
rd_kafka_topic_partition_list_t *ksrc_ckpt_completed(struct ksrc_ckpt *ck);

/* The id of the newest completed barrier acted on (0: none). */
uint64_t ksrc_ckpt_done_id(const struct ksrc_ckpt *ck);
const char *ksrc_ckpt_dir(const struct ksrc_ckpt *ck);

/* ---- partition state in Redis, for takeover (ksrc_share.c) ----------- */
struct ksrc_share;
/* The stages whose snapshots are published with each partition, in the
 * order of ksrc_share_stage[] (their checkpoint names): window's and
 * detect's have a part per partition; the producer's (kcat-src -P at the
 * end of a repartitioning chain: its tag and output positions) is tiny
 * and published whole with every partition. */
enum { KSRC_SHARE_WINDOW, KSRC_SHARE_DETECT, KSRC_SHARE_PRODUCER,
       KSRC_SHARE_NSTAGES };
extern const char *const ksrc_share_stage[KSRC_SHARE_NSTAGES];
/* Each stage's field in the Redis hash, and its member in an adopt line. */
extern const char *const ksrc_share_field[KSRC_SHARE_NSTAGES];
/* One partition's entry: the completed barrier, the next offset after it
 * and each stage's part of the partition then (malloc'd, NULL: none). */
struct ksrc_entry {
	uint64_t barrier;
	int64_t next;
	char *state[KSRC_SHARE_NSTAGES];
	size_t len[KSRC_SHARE_NSTAGES];
};
void ksrc_entry_free(struct ksrc_entry *en);
/* NULL when url is NULL, empty or "off", or without a group; a bad URL
 * exits 2. */
struct ksrc_share *ksrc_share_open(const char *url, const char *group);
void ksrc_share_free(struct ksrc_share *s);
/* We were assigned the partition: take a new owner generation.  0, or -1
 * when Redis does not answer (then nothing is published for it). */
int ksrc_share_claim(struct ksrc_share *s, const char *topic, int32_t partition);
/* 1 with *out filled (free out->state), 0 no entry, -1 Redis away. */
int ksrc_share_get(struct ksrc_share *s, const char *topic, int32_t partition,
                   struct ksrc_entry *out);
/* Publish, fenced by our generation: 0 written, 1 refused (another
 * member owns it now), -1 Redis away. */
int ksrc_share_put(struct ksrc_share *s, const char *topic, int32_t partition,
                   uint64_t barrier, int64_t next,
                   const void *const state[KSRC_SHARE_NSTAGES],
                   const size_t len[KSRC_SHARE_NSTAGES]);

/* ---- rewind in place (ksrc_rewind.c, docs/recovery.md) -------------- */
/* Set by SIGUSR1: the supervisor asks for a rewind to the restore point
 * instead of killing us (the chain downstream was restarted). */
extern volatile sig_atomic_t ksrc_rewind_req;
void ksrc_rewind_sig_init(void);
/* The path the output is reopened from ($NW_REOPEN_OUTPUT, set by
 * scripts/supervise), NULL when a rewind in place is not possible. */
const char *ksrc_rewind_path(void);
/* Throw away what stdout holds unwritten and let go of the pipe (stdout
 * becomes /dev/null, which the supervisor waits to see). */
void ksrc_out_detach(void);
bool ksrc_out_is_detached(void);
/* Open path for writing, blocking until a reader comes, as stdout.
 * 0, or -1 on a stop signal or an error (logged). */
int ksrc_out_reattach(const char *path);

/* ---- the producer's checkpoints (ksrc_once.c, docs/recovery.md) ---- */
struct ksrc_once;
/* The producer's side of the barrier protocol for topic (which must
 * exist): NULL on error (logged).  Borrows rk, rkt, dir and topic; takes
 * cconf (the read-back consumer's conf). */
struct ksrc_once *ksrc_once_open(const char *dir, rd_kafka_t *rk,
                                 rd_kafka_topic_t *rkt, const char *topic,
                                 rd_kafka_conf_t *cconf);
void ksrc_once_free(struct ksrc_once *o);
/* The chain's tag, 16 hex digits: the value of every message's nw-chain
 * header. */
const char *ksrc_once_tag(const struct ksrc_once *o);
/* A delivery report: our messages after the next barrier go after it. */
void ksrc_once_delivered(struct ksrc_once *o, int32_t partition,
                         int64_t offset);
/* Barrier id, everything before it delivered: snapshot, then completed.
 * 0, or -1 (logged). */
int ksrc_once_barrier(struct ksrc_once *o, uint64_t id);
/* Restore line id, everything before it delivered: read back what this
 * chain produced after barrier id.  0, or -1 (logged). */
int ksrc_once_restore(struct ksrc_once *o, uint64_t id);
/* A partition line: the lines that follow come from this source
 * partition (the nw-src header of their messages). */
void ksrc_once_source(struct ksrc_once *o, const char *topic, size_t tlen,
                      int32_t partition);
/* The source partition now, "topic/partition", NULL: none known. */
const char *ksrc_once_src(const struct ksrc_once *o);
/* An adopt line: this chain resumes source partition (topic, partition)
 * after another chain's barrier; blob is that chain's kcat-src-P snapshot
 * then (published with the partition).  Its messages of that source after
 * the barrier are read back, for ksrc_once_skip.  0, or -1 (logged). */
int ksrc_once_adopt(struct ksrc_once *o, const char *topic, size_t tlen,
                    int32_t partition, const char *blob, size_t len);
/* Is line (of the current source) a replay of a message already in the
 * topic?  (Counted, and true only once per such message.) */
bool ksrc_once_skip(struct ksrc_once *o, const char *line, size_t n);
uint64_t ksrc_once_deduplicated(const struct ksrc_once *o);

/* ---- modes ----------------------------------------------------------- */
int ksrc_consume(struct ksrc_conf *c);   /* returns the exit status */
int ksrc_produce(struct ksrc_conf *c);

#endif
