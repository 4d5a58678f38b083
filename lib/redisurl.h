/*
 * redisurl.h - the Redis URL parser (redisurl.c), shared by the stages that
 * talk to Redis: throttle (its claims) and kcat-src (partition state for
 * takeover, docs/recovery.md).
 *
 *   redis://[[user]:password@]host[:port][/db]
 *   unix://[[user]:password@]/path/to/redis.sock[?db=N]
 *
 * Userinfo is percent-decoded.  nw_redis_url_parse is a pure function: it
 * never logs, and on error it writes one sentence into err that never
 * contains the password.
 */
#ifndef NW_REDISURL_H
#define NW_REDISURL_H

#include <stdbool.h>
#include <stddef.h>

#define NW_REDIS_URL_HOST_MAX   256
#define NW_REDIS_URL_PATH_MAX   108      /* sizeof(sun_path) */
#define NW_REDIS_URL_SECRET_MAX 512

enum nw_redis_url_kind { NW_REDIS_URL_TCP, NW_REDIS_URL_UNIX };

struct nw_redis_url {
	enum nw_redis_url_kind kind;
	char host[NW_REDIS_URL_HOST_MAX];     /* TCP; IPv6 without brackets */
	int  port;                            /* TCP; default 6379 */
	char path[NW_REDIS_URL_PATH_MAX];     /* UNIX */
	char user[NW_REDIS_URL_SECRET_MAX];   /* empty: none (AUTH password) */
	char password[NW_REDIS_URL_SECRET_MAX];
	bool has_password;
	int  db;                              /* SELECT index, default 0 */
};

int  nw_redis_url_parse(const char *s, struct nw_redis_url *u, char *err,
                        size_t errlen);
/* scheme://host:port/db or unix://path?db=N, never user or password. */
void nw_redis_url_redacted(const struct nw_redis_url *u, char *out, size_t n);
void nw_redis_url_wipe(struct nw_redis_url *u);
/* Overwrite the user info of a URL in argv in place, so ps shows it no
 * more. */
void nw_redis_url_scrub_arg(char *arg);

#endif
