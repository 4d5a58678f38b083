/* redisconn.c - connect to Redis as a parsed URL says (redisconn.h).
 *
 * Connect with a timeout, keep that timeout on the socket, then AUTH and
 * SELECT when the URL asks for them.  Any failure frees the context before
 * returning, so the caller owns a connection only when it got one. */
#include "redisconn.h"
#include "nw.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

void nw_redis_conn_err(const struct redisContext *c, int timeout_ms,
                       char *out, size_t n)
{
	if (c->errstr[0] == '\0')
		snprintf(out, n, "connection lost");
	else if (strstr(c->errstr, "temporarily unavailable"))
		snprintf(out, n, "no reply within %d ms", timeout_ms);
	else
		snprintf(out, n, "%s", c->errstr);
}

/* One handshake command.  False with f filled in when the connection
 * failed or Redis answered with an error. */
static bool conn_step(redisContext *c, int timeout_ms, int argc,
                      const char **argv, struct nw_redis_fail *f)
{
	redisReply *r = redisCommandArgv(c, argc, argv, NULL);

	if (r == NULL) {
		f->cmd = NULL;
		nw_redis_conn_err(c, timeout_ms, f->text, sizeof f->text);
		return false;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		f->cmd = argv[0];
		snprintf(f->text, sizeof f->text, "%s", r->str);
		freeReplyObject(r);
		return false;
	}
	freeReplyObject(r);
	return true;
}

/* AUTH and SELECT, each only when the URL asks for it. */
static bool conn_handshake(redisContext *c, const struct nw_redis_url *u,
                           int timeout_ms, struct nw_redis_fail *f)
{
	char db[16];
	const char *auth[3] = { "AUTH", u->user, u->password };
	const char *sel[2] = { "SELECT", db };

	if (u->has_password) {
		int argc = u->user[0] ? 3 : 2;

		if (argc == 2)
			auth[1] = u->password;
		if (!conn_step(c, timeout_ms, argc, auth, f))
			return false;
	}
	if (u->db != 0) {
		snprintf(db, sizeof db, "%d", u->db);
		if (!conn_step(c, timeout_ms, 2, sel, f))
			return false;
	}
	return true;
}

struct redisContext *nw_redis_connect(const struct nw_redis_url *u,
                                      int timeout_ms, struct nw_redis_fail *f)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	redisContext *c = u->kind == NW_REDIS_URL_UNIX ?
	                  redisConnectUnixWithTimeout(u->path, tv) :
	                  redisConnectWithTimeout(u->host, u->port, tv);

	if (c == NULL)
		nw_oom(0);        /* hiredis could not allocate its context */
	f->cmd = NULL;
	if (c->err) {
		nw_redis_conn_err(c, timeout_ms, f->text, sizeof f->text);
	} else if (redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(f->text, sizeof f->text, "cannot set socket timeout");
	} else if (conn_handshake(c, u, timeout_ms, f)) {
		return c;
	}
	redisFree(c);
	return NULL;
}
