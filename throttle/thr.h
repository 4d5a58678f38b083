/*
 * thr.h - throttle's leaf modules: the Redis URL parser (lib/redisurl.h),
 * the key template and input lines (thr_tmpl_, thr_item_, item.c), the
 * local TTL table used while Redis is away (thr_local_, local.c) and the
 * Redis connection (thr_gate_, gate.c), and the command line (thr_opts_,
 * opts.c).  pipe.h joins them into the queue between stdin and stdout;
 * main.c is the program around it.
 */
#ifndef THR_H
#define THR_H

#include "nw.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "redisurl.h"

/* ---- Redis URL: lib/redisurl.h ------------------------------------- */

/* ---- key template: {key}, {key_field}, {rule} ------------------------ */
struct thr_fields {
	const char *key, *key_field, *rule;
	size_t key_len, key_field_len, rule_len;
};
/* Appends the rendered template to out.  Returns 0, or -1 with a reason in
 * err for an unknown placeholder or an unclosed brace ("{{" and "}}" are a
 * literal brace). */
int thr_tmpl_render(const char *tmpl, const struct thr_fields *f,
                    struct nw_buf *out, char *err, size_t errlen);

/* ---- input lines --------------------------------------------------------- */
enum thr_kind { THR_ALERT, THR_CTL, THR_BLANK, THR_BAD };

#define THR_ID_MAX  256     /* longest alert_id accepted */
#define THR_KEY_MAX 1024    /* longest rendered Redis key accepted */

/* One line waiting for its verdict.  mem holds, back to back, the line, the
 * rendered Redis key, the alert_id and the rule (each NUL-terminated); the
 * item owns it. */
enum thr_state {
	THR_WAIT,        /* an alert without a verdict */
	THR_SENT,        /* its claim is on the wire */
	THR_PASS,        /* goes to stdout (control lines start here) */
	THR_DROP         /* suppressed */
};
struct thr_item {
	enum thr_kind kind;
	enum thr_state state;
	char *mem;
	const char *line, *key, *id, *rule;
	size_t line_len, key_len, id_len, rule_len;
	char holder[THR_ID_MAX + 1];     /* the other id, when suppressed */
	bool local;                      /* decided by the local table */
	uint64_t barrier;                /* a barrier's id (pipe.c), else 0 */
	int64_t taken_ms;                /* when a barrier joined the queue */
};

/* Classify one input line and fill it (alerts: key rendered from tmpl).
 * THR_BAD sets *reason to a static string.  Returns -1 only when out of
 * memory. */
int  thr_item_init(struct thr_item *it, const char *line, size_t n,
                   const char *tmpl, const char **reason);
void thr_item_free(struct thr_item *it);

/* ---- local TTL table: dedup while Redis is away ------------------------ */
enum thr_lres { THR_L_CLAIMED, THR_L_SAME, THR_L_OTHER };
struct thr_local;
struct thr_local *thr_local_new(size_t max_entries);
void thr_local_free(struct thr_local *t);
/* SET NX PX semantics in memory.  On THR_L_OTHER the holder's id is copied
 * into holder (THR_ID_MAX + 1 bytes). */
enum thr_lres thr_local_claim(struct thr_local *t, const char *key, size_t klen,
                              const char *id, size_t idlen, int64_t now_ms,
                              int64_t ttl_ms, char *holder);
/* Record a claim Redis granted, so an outage starts with what we know. */
void thr_local_note(struct thr_local *t, const char *key, size_t klen,
                    const char *id, size_t idlen, int64_t now_ms, int64_t ttl_ms);
/* Call fn for every live entry, oldest first, with its remaining ms, until
 * fn returns non-zero; returns how many fn accepted.  Used to write the
 * table back when Redis returns (possibly empty, after a restart). */
size_t thr_local_each(struct thr_local *t, int64_t now_ms,
                      int (*fn)(void *arg, const char *key, size_t klen,
                                const char *id, size_t idlen, int64_t left_ms),
                      void *arg);
size_t thr_local_size(const struct thr_local *t);
uint64_t thr_local_evicted(const struct thr_local *t);

/* ---- the Redis gate ----------------------------------------------------
 * One hiredis connection with a timeout on every socket operation.  The
 * pipe drives it through thr_gate_ops (pipe.h): connect, pipelined claims
 * and syncs, replies read in order.  Retrying is the pipe's business. */
enum thr_verdict { THR_V_CLAIMED, THR_V_SAME, THR_V_OTHER, THR_V_ERROR };
enum thr_conn { THR_UP, THR_DOWN, THR_REFUSED };   /* refused: auth/db */

struct thr_gate {
	struct nw_redis_url url;
	char   where[NW_REDIS_URL_HOST_MAX + NW_REDIS_URL_PATH_MAX + 32];  /* redacted */
	void  *c;                /* redisContext, NULL while down */
	int64_t ttl_ms;
	int    timeout_ms;
	bool   script;           /* server older than 7.0: EVAL instead of SET NX GET */
	size_t inflight;         /* commands appended, replies not read */
	char   err[256];         /* why the last connect or command failed */
};

void thr_gate_init(struct thr_gate *g, const struct nw_redis_url *u, int64_t ttl_ms,
                   int timeout_ms);
void thr_gate_close(struct thr_gate *g);
/* The verdict of one reply (a redisReply *) to a claim or a sync: nil or a
 * status is THR_V_CLAIMED; a string equal to id THR_V_SAME; another string
 * THR_V_OTHER, copied into holder; anything else THR_V_ERROR, described in
 * err.  A pure function, so the unit tests feed it replies. */
enum thr_verdict thr_gate_verdict(const void *reply, const char *id,
                                  size_t idlen, char *holder, size_t holdersz,
                                  char *err, size_t errsz);

/* ---- the command line (opts.c) ---------------------------------------- */
struct thr_opts {
	struct nw_redis_url url;              /* --redis-url, REDIS_URL or local */
	int64_t ttl_ms;
	const char *tmpl;                /* --key-template */
	bool closed;                     /* --on-redis-down closed */
	uint64_t queue_max, local_max, max_line;
	int timeout_ms;
	const char *suppressed, *dead_letter, *stats;   /* files, or NULL */
};

/* Defaults, REDIS_URL, then the flags; anything bad exits 2. */
void thr_opts_parse(int argc, char **argv, struct thr_opts *o);

#endif
