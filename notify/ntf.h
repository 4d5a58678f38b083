/*
 * ntf.h - notify's modules: payload formats (format.c), the durable spool
 * and the table of delivered ids (spool.c), one webhook post at a time over
 * libcurl (http.c).  main.c ties them into the event loop.
 *
 * Ownership: an ntf_alert is created by ntf_alert_new and freed by
 * ntf_alert_free; whoever holds it in a list owns it.  Strings returned by
 * the ntf_fmt_* functions are malloc'd and freed by the caller.
 */
#ifndef NTF_H
#define NTF_H

#include "nw.h"

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

/* A FIFO of alerts. */
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
enum ntf_format { NTF_FMT_AUTO, NTF_FMT_SLACK, NTF_FMT_DISCORD, NTF_FMT_GENERIC };
int ntf_format_parse(const char *s, enum ntf_format *out);
const char *ntf_format_name(enum ntf_format f);
/* The format auto picks for a webhook host. */
enum ntf_format ntf_format_for_host(const char *host);

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

/* ---- spool and delivered ids (spool.c) ----------------------------------- */
struct ntf_ids;      /* alert_id -> wall time (ms), FIFO-bounded */
struct ntf_ids *ntf_ids_new(void);
void ntf_ids_free(struct ntf_ids *t);
bool ntf_ids_has(const struct ntf_ids *t, const char *id);
void ntf_ids_put(struct ntf_ids *t, const char *id, int64_t when);
void ntf_ids_del(struct ntf_ids *t, const char *id);
/* Forget entries older than min_time, and the oldest beyond max_count. */
void ntf_ids_expire(struct ntf_ids *t, int64_t min_time, uint64_t max_count);
uint64_t ntf_ids_count(const struct ntf_ids *t);

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
int  ntf_http_start(struct ntf_http *h, const char *body, size_t len);
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

#endif
