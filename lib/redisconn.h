/*
 * redisconn.h - one connection to Redis as a parsed URL (redisurl.h) says:
 * TCP or unix socket, a timeout on the connect and on every command, AUTH
 * with or without a user, SELECT.  Shared by the stages that talk to Redis:
 * throttle (gate.c, its claims) and kcat-src (ksrc_share.c, partition
 * state for takeover).
 *
 * The helper never logs: on failure it hands back why, and each caller says
 * it in its own words (throttle tells a refusal from an outage, kcat-src
 * warns once and goes on without Redis).
 *
 * Not part of libnw.a: it needs hiredis, and only the programs that use it
 * may link hiredis.  A program that does lists lib/redisconn.c in its
 * <prog>_SRCS and hiredis in its <prog>_PKGS (Makefile, LIB_OWN_SRCS).
 */
#ifndef NW_REDISCONN_H
#define NW_REDISCONN_H

#include "redisurl.h"

#include <stddef.h>

struct redisContext;    /* hiredis's redisContext */

/* Why nw_redis_connect gave no connection. */
struct nw_redis_fail {
	/* "AUTH" or "SELECT" when Redis answered that command with an error
	 * (text is its error reply); NULL when there is no working connection
	 * (text says why). */
	const char *cmd;
	char text[200];
};

/* Connect to u, set timeout_ms on the connect and on every later command,
 * then AUTH (user and password, or the password alone) and SELECT, each
 * only when u asks for it.  Returns the connection, the caller's to
 * redisFree; or NULL with f filled in.  The password goes to hiredis only:
 * no text written here contains it.  Dies only when out of memory. */
struct redisContext *nw_redis_connect(const struct nw_redis_url *u,
                                      int timeout_ms, struct nw_redis_fail *f);

/* Why the connection c failed, in words an operator reads, into out (a
 * socket timeout surfaces from hiredis as EAGAIN: "no reply within N ms"). */
void nw_redis_conn_err(const struct redisContext *c, int timeout_ms,
                       char *out, size_t n);

#endif
