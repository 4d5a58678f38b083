/*
 * pipe.h - throttle's pipe (thr_pipe_): the lines between stdin and stdout.
 *
 * Every input line joins one ordered queue; alerts wait there for a verdict
 * and leave in input order, control lines with them.  While Redis is up the
 * verdict is a claim (a batch of them pipelined in one round trip, one
 * batch left in flight while more input is read); while it is away an
 * outage state machine decides who gives it: the local TTL table (open
 * mode) or nobody until Redis is back (closed mode, the queue holds).  When
 * Redis returns, the local table is written back to it (resync) before the
 * first claim.
 *
 * The pipe does no I/O of its own: Redis is reached through a thr_link
 * (gate.c's hiredis connection, or a scripted one in the unit tests), time
 * comes from cfg.now, verdicts leave through cfg.release and rejected lines
 * through cfg.dlq.  Nothing in it sleeps.
 *
 * Ownership: the pipe owns its queue, the items in it (each item's memory
 * until it is released), the in-flight ring and the local table.  It
 * borrows the link, the dead-letter output and cfg's strings, which must
 * outlive it.
 */
#ifndef THR_PIPE_H
#define THR_PIPE_H

#include "thr.h"
#include "stage.h"

#define THR_BATCH_MAX 1024            /* claims per round trip */
#define THR_FLY_MAX   (2 * THR_BATCH_MAX)

/* What the pipe needs from Redis.  recv reads the replies in the order the
 * commands were sent; -1 from flush or recv means the connection failed
 * (the pipe then calls close and retries later).  err says why the last
 * call failed; note adds to the "connected" log line. */
struct thr_link_ops {
	enum thr_conn (*connect)(void *ctx);
	void (*close)(void *ctx);
	void (*send_claim)(void *ctx, const char *key, size_t klen,
	                   const char *id, size_t idlen);
	void (*send_sync)(void *ctx, const char *key, size_t klen,
	                  const char *id, size_t idlen, int64_t ttl_ms);
	int  (*flush)(void *ctx);
	int  (*recv)(void *ctx, const char *id, size_t idlen,
	             enum thr_verdict *v, char *holder, size_t holdersz);
	const char *(*err)(const void *ctx);
	const char *(*where)(const void *ctx);
	const char *(*note)(const void *ctx);
};
struct thr_link {
	const struct thr_link_ops *ops;
	void *ctx;
};

struct thr_pipe_cfg {
	const char *tmpl;                 /* key template (validated) */
	int64_t ttl_ms;
	bool closed;                      /* --on-redis-down closed */
	size_t queue_max, local_max;
	int64_t (*now)(void);             /* monotonic ms */
	/* One verdict, in input order: it->state is THR_PASS (stdout) or
	 * THR_DROP (suppressed).  The item is freed after the call. */
	void (*release)(void *arg, const struct thr_item *it);
	void *arg;
	struct nw_dlq *dlq;               /* rejected input */
};

/* The outage state machine (pipe.c has the transition table). */
enum thr_pstate {
	THR_P_START,      /* no connection tried yet */
	THR_P_UP,         /* Redis gives the verdicts */
	THR_P_DOWN,       /* outage: retry with backoff; local table or hold */
	THR_P_REFUSED     /* credentials refused at start-up: a config error */
};

/* Counters in the stats file (thr_pipe_stats), after lib's standard ones
 * (lines_in, lines_out, ctl_lines, dead_letters, ...), which already count
 * the control lines read and the dead letters.  control (control lines
 * released, in order) stays internal. */
struct thr_pipe_ctr {
	uint64_t alerts, passed, replayed, suppressed;
	uint64_t local_passed, local_suppressed, control, blank;
	uint64_t redis_errors, outages, synced, queued, redis_up, local_keys;
	uint64_t local_evicted, round_trips;
};

struct thr_pipe {
	struct thr_pipe_cfg cfg;
	struct thr_link link;
	struct thr_local *local;
	struct {                          /* lines waiting, oldest first */
		struct thr_item *v;
		size_t cap, head, n, bytes;
		size_t waiting;           /* alerts without a verdict */
	} q;
	struct {                          /* claims sent, replies not read */
		struct thr_item *v[THR_FLY_MAX];
		size_t head, n;
	} fly;
	enum thr_pstate state;
	int64_t down_since, next_try_ms, backoff_ms;
	uint64_t resynced;                /* keys written back on the last return */
	uint64_t taken;                   /* input lines handed to the pipe */
	bool refused_logged, full_logged;
	struct thr_pipe_ctr ctr;
};

/* Can tmpl be the key template?  Rendered for two different alerts it
 * must succeed and give two keys (else the first alert would suppress
 * every other one).  0, or -1 with a reason in err. */
int  thr_pipe_check_tmpl(const char *tmpl, char *err, size_t errlen);
/* 0, or -1 when cfg->local_max is out of range (1 to 2^28). */
int  thr_pipe_init(struct thr_pipe *p, const struct thr_pipe_cfg *cfg,
                   struct thr_link link);
/* Drop whatever is still queued (thr_pipe_finish first) and free. */
void thr_pipe_free(struct thr_pipe *p);
/* Register the counters with the stats file. */
void thr_pipe_stats(struct thr_pipe *p);

/* The first connection attempt (call it before thr_pipe_step): -1 when Redis refused our credentials or
 * db (logged), which is a configuration error.  Unreachable is an outage. */
int  thr_pipe_start(struct thr_pipe *p);
/* Input, in order, as the stage skeleton's callbacks (st->arg is the pipe;
 * call only when not full): a data line joins the queue (alerts), or the
 * dead-letter output, or is counted as blank; a control line joins the
 * queue as it is (a barrier keeps its id), to leave in its place; a line
 * over the length cap is dead-lettered. */
void thr_pipe_line(struct nw_stage *st, char *line, size_t n);
enum nw_stage_verdict thr_pipe_ctl(struct nw_stage *st, enum nw_ctl_kind kind,
                                   uint64_t id, const char *line, size_t n);
void thr_pipe_too_long(struct nw_stage *st, const char *head, size_t n);
/* Retry Redis when due, decide what can be decided, release the decided
 * prefix of the queue.  busy: more input is waiting, so the newest batch of
 * claims may stay in flight. */
void thr_pipe_step(struct thr_pipe *p, bool busy);

bool thr_pipe_full(const struct thr_pipe *p);
size_t thr_pipe_queued(const struct thr_pipe *p);
/* Closed mode during an outage with alerts waiting: nothing leaves until
 * Redis is back. */
bool thr_pipe_holding(const struct thr_pipe *p);
/* How long the caller may block on input: 0 while work is pending, else
 * until the next retry of Redis, at most max_ms. */
int  thr_pipe_wait_ms(const struct thr_pipe *p, int max_ms);
/* At shutdown: every line still queued goes to the dead-letter output
 * (logged), then one INFO line sums the run up; returns how many. */
size_t thr_pipe_finish(struct thr_pipe *p);

/* The hiredis link of gate.c (ctx: a struct thr_gate). */
extern const struct thr_link_ops thr_gate_ops;

#endif
