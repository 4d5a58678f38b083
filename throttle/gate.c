/* gate.c - the connection to Redis and the claim command.
 *
 * A claim is one atomic command, SET key id NX GET PX ttl (Redis >= 7.0):
 * nil means we set it, a string is the id that already holds the key.  An
 * older server gets the same answer from a small Lua script.  Commands are
 * appended to hiredis's output buffer and their replies read in order, so a
 * batch costs one round trip.  Every socket operation has a timeout, and a
 * failure tears the connection down.  The pipe drives all of it through
 * thr_gate_ops and decides when to try again.
 *
 * Ownership: the gate owns its redisContext and its copy of the URL (the
 * only copy of the password once main has wiped its own). */
#include "thr.h"
#include "pipe.h"
#include "redisconn.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GET, and SET NX PX only when absent: the reply shape of SET NX GET. */
static const char claim_script[] =
	"local v = redis.call('GET', KEYS[1]) "
	"if v then return v end "
	"redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) "
	"return false";

void thr_gate_init(struct thr_gate *g, const struct nw_redis_url *u, int64_t ttl_ms,
                   int timeout_ms)
{
	memset(g, 0, sizeof *g);
	g->url = *u;
	g->ttl_ms = ttl_ms;
	g->timeout_ms = timeout_ms;
	nw_redis_url_redacted(u, g->where, sizeof g->where);
}

/* Why the connection failed, in words an operator reads. */
static void gate_conn_err(struct thr_gate *g)
{
	nw_redis_conn_err(g->c, g->timeout_ms, g->err, sizeof g->err);
}

/* An error reply that means our credentials or db are wrong, not that
 * Redis is away. */
static bool refusal(const char *reply)
{
	static const char *const pfx[] = { "WRONGPASS", "NOAUTH", "NOPERM",
		"ERR invalid password", "ERR AUTH", "ERR Client sent AUTH",
		"ERR DB index", "ERR invalid DB index", "ERR SELECT" };
	for (size_t i = 0; i < sizeof pfx / sizeof pfx[0]; i++)
		if (strncmp(reply, pfx[i], strlen(pfx[i])) == 0)
			return true;
	return false;
}

/* A command Redis answered with an error: refused (our credentials or db
 * are wrong) or down (e.g. LOADING), said in g->err. */
static enum thr_conn gate_refused(struct thr_gate *g, const char *cmd,
                                  const char *reply)
{
	snprintf(g->err, sizeof g->err, "%s refused: %.120s", cmd, reply);
	return refusal(reply) ? THR_REFUSED : THR_DOWN;
}

/* Run one command during the handshake.  Returns the reply, or NULL with
 * g->err set when the connection failed. */
static redisReply *gate_cmd(struct thr_gate *g, int argc, const char **argv)
{
	redisReply *r = redisCommandArgv(g->c, argc, argv, NULL);

	if (r == NULL)
		gate_conn_err(g);
	return r;
}

/* PING and INFO server on a connection nw_redis_connect made (AUTH and
 * SELECT done), each checked.  INFO tells a server older than 7.0, which
 * gets its claims by script. */
static enum thr_conn gate_handshake(struct thr_gate *g)
{
	const char *ping[1] = { "PING" }, *info[2] = { "INFO", "server" };
	enum thr_conn res = THR_UP;
	redisReply *r;

	if ((r = gate_cmd(g, 1, ping)) == NULL)
		return THR_DOWN;
	if (r->type == REDIS_REPLY_ERROR)
		res = gate_refused(g, "PING", r->str);
	freeReplyObject(r);
	if (res != THR_UP)
		return res;
	if ((r = gate_cmd(g, 2, info)) == NULL)
		return THR_DOWN;
	if (r->type == REDIS_REPLY_STRING) {
		const char *v = strstr(r->str, "redis_version:");
		g->script = v == NULL || atoi(v + 14) < 7;
	} else {
		g->script = false;      /* INFO not allowed (ACL): assume 7.0+ */
	}
	freeReplyObject(r);
	return THR_UP;
}

static enum thr_conn gate_connect(void *ctx)
{
	struct thr_gate *g = ctx;
	struct nw_redis_fail f;
	enum thr_conn res;

	thr_gate_close(g);
	if ((g->c = nw_redis_connect(&g->url, g->timeout_ms, &f)) == NULL) {
		if (f.cmd)
			return gate_refused(g, f.cmd, f.text);
		snprintf(g->err, sizeof g->err, "%s", f.text);
		return THR_DOWN;
	}
	if ((res = gate_handshake(g)) != THR_UP) {
		thr_gate_close(g);
		return res;
	}
	g->err[0] = '\0';
	return THR_UP;
}

static void gate_send_claim(void *ctx, const char *key, size_t klen,
                            const char *id, size_t idlen)
{
	struct thr_gate *g = ctx;
	char ttl[24];
	int n = snprintf(ttl, sizeof ttl, "%lld", (long long)g->ttl_ms);

	if (g->script) {
		const char *argv[] = { "EVAL", claim_script, "1", key, id, ttl };
		size_t lens[] = { 4, sizeof claim_script - 1, 1, klen, idlen,
		                  (size_t)n };
		redisAppendCommandArgv(g->c, 6, argv, lens);
	} else {
		const char *argv[] = { "SET", key, id, "NX", "GET", "PX", ttl };
		size_t lens[] = { 3, klen, idlen, 2, 3, 2, (size_t)n };
		redisAppendCommandArgv(g->c, 7, argv, lens);
	}
	g->inflight++;
}

static void gate_send_sync(void *ctx, const char *key, size_t klen,
                           const char *id, size_t idlen, int64_t ttl_ms)
{
	struct thr_gate *g = ctx;
	char ttl[24];
	int n = snprintf(ttl, sizeof ttl, "%lld", (long long)(ttl_ms > 0 ? ttl_ms : 1));
	const char *argv[] = { "SET", key, id, "NX", "PX", ttl };
	size_t lens[] = { 3, klen, idlen, 2, 2, (size_t)n };

	redisAppendCommandArgv(g->c, 6, argv, lens);
	g->inflight++;
}

static int gate_flush(void *ctx)
{
	struct thr_gate *g = ctx;
	int done = 0;

	if (g->c == NULL)
		return -1;
	do {
		if (redisBufferWrite(g->c, &done) != REDIS_OK) {
			gate_conn_err(g);
			return -1;
		}
	} while (!done);
	return 0;
}

enum thr_verdict thr_gate_verdict(const void *reply, const char *id,
                                  size_t idlen, char *holder, size_t holdersz,
                                  char *err, size_t errsz)
{
	const redisReply *r = reply;

	switch (r->type) {
	case REDIS_REPLY_NIL:
	case REDIS_REPLY_STATUS:        /* "OK" of a sync SET */
		return THR_V_CLAIMED;
	case REDIS_REPLY_STRING:
		if (id && r->len == idlen && memcmp(r->str, id, idlen) == 0)
			return THR_V_SAME;
		if (holder && holdersz) {
			size_t n = r->len < holdersz - 1 ? r->len : holdersz - 1;
			memcpy(holder, r->str, n);
			holder[n] = '\0';
		}
		return THR_V_OTHER;
	default:                        /* e.g. LOADING after a restart */
		snprintf(err, errsz, "%.200s", r->type == REDIS_REPLY_ERROR ?
		         r->str : "unexpected reply type");
		return THR_V_ERROR;
	}
}

static int gate_recv(void *ctx, const char *id, size_t idlen,
                     enum thr_verdict *v, char *holder, size_t holdersz)
{
	struct thr_gate *g = ctx;
	redisContext *c = g->c;
	redisReply *r = NULL;

	if (c == NULL || g->inflight == 0)
		return -1;
	if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
		gate_conn_err(g);
		return -1;
	}
	g->inflight--;
	*v = thr_gate_verdict(r, id, idlen, holder, holdersz, g->err,
	                      sizeof g->err);
	freeReplyObject(r);
	return 0;
}

void thr_gate_close(struct thr_gate *g)
{
	if (g->c)
		redisFree(g->c);
	g->c = NULL;
	g->inflight = 0;
}

static void gate_close(void *ctx) { thr_gate_close(ctx); }
static const char *gate_err(const void *ctx)
{
	return ((const struct thr_gate *)ctx)->err;
}
static const char *gate_where(const void *ctx)
{
	return ((const struct thr_gate *)ctx)->where;
}
static const char *gate_note(const void *ctx)
{
	return ((const struct thr_gate *)ctx)->script ?
	       " (server < 7.0: claims by script)" : "";
}

const struct thr_link_ops thr_gate_ops = {
	.connect = gate_connect, .close = gate_close,
	.send_claim = gate_send_claim, .send_sync = gate_send_sync,
	.flush = gate_flush, .recv = gate_recv,
	.err = gate_err, .where = gate_where, .note = gate_note,
};
