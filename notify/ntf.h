/*
 * ntf.h - notify's modules, one idea per file:
 *   opts.c     the command line: the flag table, webhook URL, spool dir
 *   queue.c    alerts in memory and the FIFO queues they wait in
 *   ids.c      a table of alert_ids (delivered, pending), oldest first
 *   spool.c    the durable journal of accepted and done alerts
 *   deliver.c  the scheduler: posts, digests, rate, backoff, Retry-After,
 *              outcomes, compaction policy (clock and post injected)
 *   barrier.c  barrier completion: the checkpoint dir and --barrier-file
 *   format.c   payload formats (Slack, Discord, generic), alert checks
 *   text.c     the readable one-line form for a terminal (--format text)
 *   http.c     one webhook post at a time over libcurl
 *   post.c     posting mode: spool and webhook opened, the loop that posts
 *              while it reads, the drain at end of input
 *   main.c     flags, what each input line does, --stdout, tear down
 *
 * Ownership: an ntf_alert is created by ntf_alert_new and freed by
 * ntf_alert_free; whoever holds it in a list owns it.  Strings returned by
 * the ntf_fmt_* functions are malloc'd and freed by the caller.
 */
#ifndef NTF_H
#define NTF_H

#include "nw.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NTF_EXIT_SPOOLED 4      /* end of input, drain timed out: alerts left
                                   in the spool for the next start */
#define NTF_ID_MAX 128          /* longest accepted alert_id */

/* ---- alerts waiting for delivery -------------------------------------- */
struct ntf_alert {
	char *line;                 /* the alert record as read, NUL-terminated */
	size_t len;
	char id[NTF_ID_MAX + 1];
	unsigned attempts;          /* posts this alert was part of */
	struct ntf_alert *next;
};
struct ntf_alert *ntf_alert_new(const char *id, const char *line, size_t len);
void ntf_alert_free(struct ntf_alert *a);

/* A FIFO of alerts (queue.c). */
struct ntf_queue {
	struct ntf_alert *head, *tail;
	uint64_t count;
	size_t bytes;
};
void ntf_queue_push(struct ntf_queue *q, struct ntf_alert *a);
void ntf_queue_push_front(struct ntf_queue *q, struct ntf_queue *front);
struct ntf_alert *ntf_queue_pop(struct ntf_queue *q);
void ntf_queue_clear(struct ntf_queue *q);

/* Validate an alert line: returns NULL and sets *id (a copy) when the line
 * is an alert with a usable alert_id, else a static reason for the
 * dead-letter output. */
const char *ntf_alert_check(const char *line, size_t len, char id[NTF_ID_MAX + 1]);

/* ---- payload formats (format.c) ----------------------------------------- */
enum ntf_format { NTF_FMT_AUTO, NTF_FMT_SLACK, NTF_FMT_DISCORD, NTF_FMT_GENERIC,
                  NTF_FMT_AM };
int ntf_format_parse(const char *s, enum ntf_format *out);
const char *ntf_format_name(enum ntf_format f);
/* The format auto picks for a webhook host. */
enum ntf_format ntf_format_for_host(const char *host);
/* ... or for a whole URL: Alertmanager's .../api/v2/alerts, else by host. */
enum ntf_format ntf_format_for_url(const char *url, const char *host);

/* Discord's documented limits (characters = Unicode code points). */
#define NTF_DC_CONTENT   2000
#define NTF_DC_TITLE      256
#define NTF_DC_DESC      4096
#define NTF_DC_FIELDS      25
#define NTF_DC_FNAME      256
#define NTF_DC_FVALUE    1024
#define NTF_DC_FOOTER    2048
#define NTF_DC_TOTAL     6000
/* Slack's: section text, field text, fields per section. */
#define NTF_SL_TEXT      3000
#define NTF_SL_FIELD     2000
#define NTF_SL_FIELDS      10
/* Digest posts show this many alert messages. */
#define NTF_DIGEST_SHOW    10

/* One alert's payload, from its record (a JSON object).  Never NULL except
 * on allocation failure; always valid JSON within the format's limits. */
char *ntf_fmt_alert(enum ntf_format f, const char *line, size_t len);
/* A digest of n alerts (the first ones shown). */
char *ntf_fmt_digest(enum ntf_format f, struct ntf_alert *first, uint64_t n);
/* Code points in a UTF-8 string (invalid bytes count one each). */
size_t ntf_utf8_chars(const char *s);
/* Pieces the formats share: a value as human text, an alert's message (or
 * "rule key_field=key"), epoch ms as RFC 3339 UTC (false when not a time),
 * a JSON string of s cut to limit code points, compact JSON text of j
 * (which it takes; NULL only when out of memory). */
void ntf_value_text(struct nw_buf *b, const json_t *v);
/* An incident's resolution ("status":"resolved", detect --incidents). */
bool ntf_is_resolved(const json_t *alert);
void ntf_message_text(struct nw_buf *b, const json_t *alert);
bool ntf_iso_time(char *out, size_t sz, const json_t *v);
json_t *ntf_text_cut(const char *s, size_t limit);
char *ntf_dump(json_t *j);

/* ---- Alertmanager's /api/v2/alerts payload (am.c) ------------------------ */
/* The generatorURL template of every alert from now on (NULL: none);
 * {rule}, {key}, {key_field} and {alert_id} are replaced, URL-encoded.
 * Borrowed: it must outlive the formatting. */
void ntf_am_generator(const char *tmpl);
char *ntf_am_alert(const char *line, size_t len);
char *ntf_am_alerts(const struct ntf_alert *first, uint64_t n);

/* ---- alert_id tables (ids.c) ------------------------------------------- */
struct ntf_ids;      /* alert_id -> wall time (ms), FIFO-bounded */
struct ntf_ids *ntf_ids_new(void);
void ntf_ids_free(struct ntf_ids *t);
bool ntf_ids_has(const struct ntf_ids *t, const char *id);
void ntf_ids_put(struct ntf_ids *t, const char *id, int64_t when);
void ntf_ids_del(struct ntf_ids *t, const char *id);
/* Forget entries older than min_time, and the oldest beyond max_count. */
void ntf_ids_expire(struct ntf_ids *t, int64_t min_time, uint64_t max_count);
uint64_t ntf_ids_count(const struct ntf_ids *t);
/* Call fn for every entry, oldest first (fn must not change the table). */
void ntf_ids_each(const struct ntf_ids *t,
                  void (*fn)(void *arg, const char *id, int64_t when), void *arg);

/* ---- the spool journal (spool.c) ---------------------------------------- */

struct ntf_spool {
	char *dir, *path, *tmp;
	int fd, lockfd;
	struct ntf_ids *delivered;   /* remembered: a replay is a duplicate */
	struct nw_buf wbuf;          /* appended records not yet written */
	uint64_t bytes;              /* journal size */
	uint64_t compacted_bytes;    /* its size after the last compaction */
	int64_t remember_ms;
	uint64_t remember_max;
};
/* Lock and open DIR (created if missing), replay the journal: pending
 * alerts are pushed onto *pending in their original order. */
int ntf_spool_open(struct ntf_spool *s, const char *dir, int64_t remember_ms,
                   uint64_t remember_max, struct ntf_queue *pending);
void ntf_spool_add(struct ntf_spool *s, const struct ntf_alert *a);
void ntf_spool_done(struct ntf_spool *s, const char *id, bool delivered,
                    int64_t now);
/* Write the buffered records and fdatasync: they are durable on return. */
int ntf_spool_sync(struct ntf_spool *s);
/* Rewrite the journal as the remembered ids plus the pending alerts. */
int ntf_spool_compact(struct ntf_spool *s, const struct ntf_queue *pending,
                      int64_t now);
void ntf_spool_close(struct ntf_spool *s);

/* ---- one webhook post (http.c) -------------------------------------------- */
enum ntf_verdict {
	NTF_DELIVERED,   /* 2xx */
	NTF_RETRY,       /* 5xx, timeout, connection error: back off */
	NTF_WAIT,        /* 429: wait the time the receiver asked for */
	NTF_DEAD         /* any other status: permanent */
};
struct ntf_http;
struct ntf_http *ntf_http_new(const char *url, int64_t timeout_ms,
                              int64_t connect_timeout_ms);
void ntf_http_free(struct ntf_http *h);
/* The multi handle for the event loop's poll. */
void *ntf_http_multi(struct ntf_http *h);
/* key: the Idempotency-Key header's value (NULL: none). */
int  ntf_http_start(struct ntf_http *h, const char *body, size_t len,
                    const char *key);
/* Drive transfers; true when the post in flight has finished. */
bool ntf_http_poll(struct ntf_http *h);
bool ntf_http_busy(const struct ntf_http *h);
struct ntf_result {
	enum ntf_verdict verdict;
	long status;             /* HTTP status, 0 when none */
	int64_t wait_ms;         /* NTF_WAIT: how long (-1: not said) */
	char what[256];          /* transport error or start of the body */
};
void ntf_http_result(struct ntf_http *h, struct ntf_result *r);
/* Verdict for a finished transfer (pure; unit-tested). */
enum ntf_verdict ntf_classify(int curl_code, long status);
/* Retry-After header value (delta seconds or HTTP date) in ms, -1 if bad. */
int64_t ntf_retry_after_header(const char *v, int64_t now_wall_ms);
/* Discord's {"retry_after": seconds} body in ms, -1 if absent. */
int64_t ntf_retry_after_body(const char *body, size_t len);
/* "scheme://host[:port]" of a URL for logs; false if the URL is unusable. */
bool ntf_url_public(const char *url, char *out, size_t outsz, char *host,
                    size_t hostsz);

/* ---- the delivery scheduler (deliver.c) ----------------------------------- */
struct ntf_dlv_cfg {
	enum ntf_format fmt;          /* resolved: never NTF_FMT_AUTO */
	double rate;                  /* posts per second */
	int64_t retry_min_ms, retry_max_ms;
	uint64_t digest_max;          /* alerts in one digest, at most */
};
/* What the scheduler does not do itself; notify's are in post.c, the unit
 * tests bring fakes. */
struct ntf_dlv_ops {
	/* Start posting body with the post's Idempotency-Key (the callee
	 * copies what it keeps): 0, or -1 (fatal).  The outcome comes back
	 * through ntf_dlv_result. */
	int (*post)(void *arg, const char *body, size_t len, const char *key);
	/* One delivery record: status "delivered", "dead" or "duplicate";
	 * http_status 0 when there is none. */
	void (*record)(void *arg, const char *id, const char *status,
	               unsigned attempts, long http_status);
	long (*random)(void);         /* the backoff's jitter: random(3) */
	void *arg;
};
struct ntf_dlv {
	struct ntf_dlv_cfg cfg;
	struct ntf_dlv_ops ops;
	struct ntf_spool *spool;      /* borrowed */
	struct nw_dlq *dlq;           /* borrowed: dead alerts go there */
	struct ntf_ids *pending;      /* ids staged, waiting or in flight */
	struct ntf_queue staged;      /* read, not yet durable */
	struct ntf_queue queue;       /* durable, waiting for a post */
	struct ntf_queue flight;      /* in the post under way */
	int64_t next_post, post_started;   /* monotonic ms */
	unsigned fail_streak;
	/* counters (stats file) */
	uint64_t delivered, dead, duplicates, posts, digests, failures, waiting;
};
/* replayed: the spool's pending alerts, moved to the head of the queue. */
void ntf_dlv_init(struct ntf_dlv *d, const struct ntf_dlv_cfg *cfg,
                 const struct ntf_dlv_ops *ops, struct ntf_spool *spool,
                 struct nw_dlq *dlq, struct ntf_queue *replayed);
void ntf_dlv_free(struct ntf_dlv *d);
/* Accept an alert: 0 staged (and appended to the spool's buffer), 1 a
 * duplicate (recorded, dropped). */
/* The Idempotency-Key of a post of the n alerts from head on. */
#define NTF_KEY_MAX NTF_ID_MAX
void ntf_dlv_key(const struct ntf_alert *head, uint64_t n,
                 char key[NTF_KEY_MAX + 1]);
int ntf_dlv_take(struct ntf_dlv *d, const char *id, const char *line,
                 size_t len);
/* Make the staged alerts durable, then queue them: 0, or -1 (spool write
 * failed: exit so they are read again). */
int ntf_dlv_commit(struct ntf_dlv *d);
/* Room for one more alert under the two bounds on what waits in memory. */
bool ntf_dlv_has_room(const struct ntf_dlv *d, uint64_t max_count,
                      size_t max_bytes);
/* Start the next post when one is due: 1 started, 0 not due, -1 failed. */
int ntf_dlv_step(struct ntf_dlv *d, int64_t now_ms);
/* Milliseconds until ntf_dlv_step would post (0: now), -1 when nothing
 * waits for a post or one is in flight. */
int64_t ntf_dlv_due_in(const struct ntf_dlv *d, int64_t now_ms);
bool ntf_dlv_busy(const struct ntf_dlv *d);
/* The post in flight finished: 0, or -1 (spool write failed). */
int ntf_dlv_result(struct ntf_dlv *d, const struct ntf_result *r,
                   int64_t now_ms);
/* The wait after the streak-th failure in a row (with jitter). */
int64_t ntf_dlv_backoff(const struct ntf_dlv *d, unsigned streak);
bool ntf_dlv_compact_due(const struct ntf_dlv *d);
int ntf_dlv_compact(struct ntf_dlv *d);
/* Register the counters in the stats file (they keep their address, so
 * this may come before ntf_dlv_init). */
void ntf_dlv_stats(struct ntf_dlv *d);
/* Append one delivery record (no newline): {"type":"delivery",...}. */
void ntf_dlv_record(struct nw_buf *b, const char *id, const char *status,
                    unsigned attempts, long http_status);

/* ---- barriers (barrier.c) ------------------------------------------------- */
struct ntf_barrier {
	const char *file;             /* --barrier-file, or NULL */
	const char *ckpt_dir;         /* checkpoint directory, or NULL */
	uint64_t id;                  /* newest barrier seen */
	bool waiting;                 /* ...and not yet complete */
	uint64_t count;               /* barrier lines seen (stats) */
};
void ntf_barrier_seen(struct ntf_barrier *b, uint64_t id);
/* Every alert read so far is durable (or printed): complete the newest
 * barrier seen, if any. */
void ntf_barrier_publish(struct ntf_barrier *b);
/* Replace path with "<id>\n" durably: 0, or -1 (logged). */
int ntf_barrier_write(const char *path, uint64_t id);

/* ---- the command line (opts.c) -------------------------------------------- */
struct ntf_opts {
	enum ntf_format format;
	bool to_stdout;
	bool text;                    /* --format text (text.c) */
	const char *url_file, *spool_dir, *dead_letter, *barrier_file, *stats;
	const char *ckpt_dir;
	const char *generator_url;    /* --generator-url template, or NULL */
	int64_t resend_ms;            /* --resend, 0: off */
	int64_t timeout_ms, connect_ms, drain_ms, retry_min_ms, retry_max_ms,
	        remember_ms;
	double rate;                  /* posts per second */
	uint64_t max_queue, digest_max, max_line;
};
/* Parse argv (exits 2 on a bad flag, 0 after --help or --version). */
void ntf_opts_parse(int argc, char **argv, struct ntf_opts *o);
/* "5/s", "30/m", "2/h", "2" (per second) -> posts per second. */
int ntf_parse_rate(const char *s, double *out);
/* The webhook URL (malloc'd): --url-file's first line, else $WEBHOOK_URL,
 * else NULL. */
char *ntf_webhook_url(const char *url_file);
/* The spool directory (malloc'd): the flag, else the XDG default. */
char *ntf_spool_dir(const char *flag);

/* ---- readable lines for a terminal (text.c) ------------------------------- */
/* One line: time, severity, rule, key_field=key, message (no newline);
 * the severity in colour when colour is true. */
char *ntf_text_alert(const char *line, size_t len, bool colour);
/* Colour for a terminal (tty) given $TERM and $NO_COLOR (either NULL). */
bool ntf_text_colour_ok(bool tty, const char *term, const char *no_colour);
/* Readable lines or payloads on stdout, and colour, from the flags. */
void ntf_text_choose(const struct ntf_opts *o, bool *text, bool *colour);

/* ---- posting mode (post.c) ----------------------------------------------- */
struct nw_stage;
/* ---- re-sending open incidents to Alertmanager (resend.c) --------------- */
struct curl_slist;
struct ntf_resend {
	json_t *open;                 /* incident_id -> its firing alert line */
	void *easy;                   /* CURL *, its own connection */
	struct curl_slist *hdrs;
	int64_t every_ms, next;       /* monotonic ms */
	uint64_t posts, failures;     /* counters (stats) */
};
int  ntf_resend_init(struct ntf_resend *r, const char *url, int64_t every_ms);
void ntf_resend_free(struct ntf_resend *r);
/* An alert read: a firing one opens its incident, a resolution ends it. */
void ntf_resend_note(struct ntf_resend *r, const char *line, size_t len);
/* Post the open incidents when due (blocks for at most 2 s). */
void ntf_resend_tick(struct ntf_resend *r, int64_t now_ms);

struct ntf_post {
	const struct ntf_opts *o;     /* borrowed, as are the next three */
	struct nw_stage *st;          /* the input; its callbacks fill dlv */
	struct nw_dlq *dlq;
	struct ntf_barrier *barrier;
	enum ntf_format fmt;          /* resolved */
	struct ntf_spool spool;
	struct ntf_http *http;
	struct ntf_dlv dlv;
	struct ntf_resend resend;     /* --resend */
	bool reading, more_input, stopping, fatal;
	int64_t drain_deadline;       /* monotonic ms, once reading stopped */
};
/* Post until done (see post.c): the exit status. */
int ntf_post_run(struct ntf_post *p, const char *url, const char *where);
/* Input ended (end of file, or why): deliver what is left until the
 * drain timeout. */
void ntf_post_input_ended(struct ntf_post *p, const char *why);

#endif
