/*
 * thr.h - throttle's modules: the Redis URL parser (thr_url_), the key
 * template (thr_tmpl_), input lines and alert classification (thr_item_), the local TTL
 * table used while Redis is away (thr_local_) and the Redis gate itself
 * (thr_gate_).
 */
#ifndef THR_H
#define THR_H

#include "nw.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Redis URL ----------------------------------------------------------
 *   redis://[[user]:password@]host[:port][/db]
 *   unix://[[user]:password@]/path/to/redis.sock[?db=N]
 * Userinfo is percent-decoded.  thr_url_parse is a pure function: it never
 * logs, and on error it writes one sentence into err that never contains the
 * password. */
#define THR_URL_HOST_MAX   256
#define THR_URL_PATH_MAX   108      /* sizeof(sun_path) */
#define THR_URL_SECRET_MAX 512

enum thr_url_kind { THR_URL_TCP, THR_URL_UNIX };

struct thr_url {
	enum thr_url_kind kind;
	char host[THR_URL_HOST_MAX];     /* TCP; IPv6 without brackets */
	int  port;                       /* TCP; default 6379 */
	char path[THR_URL_PATH_MAX];     /* UNIX */
	char user[THR_URL_SECRET_MAX];   /* empty: none (AUTH password) */
	char password[THR_URL_SECRET_MAX];
	bool has_password;
	int  db;                         /* SELECT index, default 0 */
};

int  thr_url_parse(const char *s, struct thr_url *u, char *err, size_t errlen);
/* scheme://host:port/db or unix://path?db=N, never user or password. */
void thr_url_redacted(const struct thr_url *u, char *out, size_t n);
void thr_url_wipe(struct thr_url *u);

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

/* ---- the Redis gate -------------------------------------------------- */
enum thr_verdict { THR_V_CLAIMED, THR_V_SAME, THR_V_OTHER, THR_V_ERROR };
enum thr_conn { THR_UP, THR_DOWN, THR_REFUSED };   /* refused: auth/db */

struct thr_gate {
	struct thr_url url;
	char   where[THR_URL_HOST_MAX + THR_URL_PATH_MAX + 32];  /* redacted */
	void  *c;                /* redisContext, NULL while down */
	int64_t ttl_ms;
	int    timeout_ms;
	bool   script;           /* server older than 7.0: EVAL instead of SET NX GET */
	size_t inflight;         /* commands appended, replies not read */
	int64_t backoff_ms, next_try_ms;
	char   err[256];         /* why the last connect or command failed */
};

void thr_gate_init(struct thr_gate *g, const struct thr_url *u, int64_t ttl_ms,
                   int timeout_ms);
/* Connect, authenticate, select the db, learn the server version. */
enum thr_conn thr_gate_connect(struct thr_gate *g);
bool thr_gate_up(const struct thr_gate *g);
/* Drop the connection and schedule the next attempt (exponential backoff). */
void thr_gate_lost(struct thr_gate *g, int64_t now_ms);
/* Pipelining: queue a claim (or a plain SET NX PX for syncing local claims),
 * then read the replies in the same order.  recv returns -1 when the
 * connection failed (the caller then calls thr_gate_lost).  With id, a
 * string reply equal to it is THR_V_SAME. */
void thr_gate_send_claim(struct thr_gate *g, const char *key, size_t klen,
                         const char *id, size_t idlen);
/* Push the queued commands onto the socket (-1: connection failed). */
int  thr_gate_flush(struct thr_gate *g);
void thr_gate_send_sync(struct thr_gate *g, const char *key, size_t klen,
                        const char *id, size_t idlen, int64_t ttl_ms);
int  thr_gate_recv(struct thr_gate *g, const char *id, size_t idlen,
                   enum thr_verdict *v, char *holder, size_t holdersz);
void thr_gate_close(struct thr_gate *g);

#endif
