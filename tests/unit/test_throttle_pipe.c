/* Unit tests for throttle's pipe (pipe.c): ordered release, pipelined
 * claims, claims lost and retried, outage enter and leave, resync, the
 * closed mode's hold, and the gate's reading of Redis replies.
 *
 * No server and no sleeps: the pipe talks to a scripted link (a tiny SET NX
 * table that answers every command when it is sent, with failures on
 * demand), and time is a variable the tests move. */
#include "thr.h"
#include "pipe.h"
#include "stage.h"
#include "t.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>

/* ---- the scripted link ------------------------------------------------- */

#define FK_KEYS    64
#define FK_REPLIES 4096

enum fk_reply { FK_NIL, FK_STR, FK_ERR };

static struct {
	enum thr_conn conn;             /* what the next connect returns */
	bool open;
	struct { char key[64], id[64]; } kv[FK_KEYS];   /* "Redis" */
	size_t nkv;
	struct { enum fk_reply kind; char val[64]; } rq[FK_REPLIES];
	size_t rh, rn;                  /* replies sent, not read */
	const char *error_key;          /* claims of this key: an error reply */
	int fail_recv_at;               /* recv number that fails (0: none) */
	bool fail_flush;
	int connects, claims, syncs, recvs;
	char err[64];
} fk;

static void fk_reset(enum thr_conn conn)
{
	memset(&fk, 0, sizeof fk);
	fk.conn = conn;
}

static const char *fk_get(const char *key)
{
	for (size_t i = 0; i < fk.nkv; i++)
		if (strcmp(fk.kv[i].key, key) == 0)
			return fk.kv[i].id;
	return NULL;
}

/* SET key id NX [GET]: the reply is queued at once, as Redis would run the
 * command as soon as it arrives. */
static void fk_set_nx(const char *key, size_t klen, const char *id,
                      size_t idlen)
{
	char k[64], v[64];
	const char *held;

	snprintf(k, sizeof k, "%.*s", (int)klen, key);
	snprintf(v, sizeof v, "%.*s", (int)idlen, id);
	if (fk.error_key && strcmp(k, fk.error_key) == 0) {
		fk.rq[fk.rn].kind = FK_ERR;
	} else if ((held = fk_get(k)) != NULL) {
		fk.rq[fk.rn].kind = FK_STR;
		memcpy(fk.rq[fk.rn].val, held, strlen(held) + 1);   /* < 64 */
	} else {
		fk.rq[fk.rn].kind = FK_NIL;
		snprintf(fk.kv[fk.nkv].key, sizeof fk.kv[0].key, "%s", k);
		snprintf(fk.kv[fk.nkv].id, sizeof fk.kv[0].id, "%s", v);
		fk.nkv++;
	}
	fk.rn++;
}

static enum thr_conn fk_connect(void *ctx)
{
	fk.connects++;
	fk.open = fk.conn == THR_UP;
	snprintf(fk.err, sizeof fk.err, "%s", fk.open ? "" : "connection refused");
	return fk.conn;
}

static void fk_close(void *ctx)
{
	fk.open = false;
	fk.rh = fk.rn = 0;
}

static void fk_send_claim(void *ctx, const char *key, size_t klen,
                          const char *id, size_t idlen)
{
	fk.claims++;
	fk_set_nx(key, klen, id, idlen);
}

static void fk_send_sync(void *ctx, const char *key, size_t klen,
                         const char *id, size_t idlen, int64_t ttl_ms)
{
	fk.syncs++;
	fk_set_nx(key, klen, id, idlen);
}

static int fk_flush(void *ctx)
{
	if (!fk.open || fk.fail_flush) {
		snprintf(fk.err, sizeof fk.err, "connection lost");
		return -1;
	}
	return 0;
}

static int fk_recv(void *ctx, const char *id, size_t idlen,
                   enum thr_verdict *v, char *holder, size_t holdersz)
{
	if (!fk.open || fk.rh == fk.rn || ++fk.recvs == fk.fail_recv_at) {
		snprintf(fk.err, sizeof fk.err, "connection lost");
		return -1;
	}
	const char *val = fk.rq[fk.rh].val;
	switch (fk.rq[fk.rh++].kind) {
	case FK_NIL:
		*v = THR_V_CLAIMED;
		break;
	case FK_STR:
		*v = id && strlen(val) == idlen && memcmp(val, id, idlen) == 0 ?
		     THR_V_SAME : THR_V_OTHER;
		if (*v == THR_V_OTHER && holder)
			snprintf(holder, holdersz, "%s", val);
		break;
	case FK_ERR:
		*v = THR_V_ERROR;
		snprintf(fk.err, sizeof fk.err, "LOADING");
		break;
	}
	return 0;
}

static const char *fk_err(const void *ctx) { return fk.err; }
static const char *fk_where(const void *ctx) { return "fake://redis"; }
static const char *fk_note(const void *ctx) { return ""; }

static const struct thr_link_ops fk_ops = {
	.connect = fk_connect, .close = fk_close, .send_claim = fk_send_claim,
	.send_sync = fk_send_sync, .flush = fk_flush, .recv = fk_recv,
	.err = fk_err, .where = fk_where, .note = fk_note,
};

/* ---- the pipe under test ----------------------------------------------- */

static int64_t now_ms;
static int64_t clock_now(void) { return now_ms; }

/* What left the pipe, in order: "a1" passed, "-a3" suppressed, "a2*" by
 * the local table, "B4" barrier 4. */
static char out[4096];

static void collect(void *arg, const struct thr_item *it)
{
	size_t o = strlen(out);

	if (it->kind == THR_CTL)
		snprintf(out + o, sizeof out - o, "%sB%llu", o ? " " : "",
		         (unsigned long long)it->barrier);
	else
		snprintf(out + o, sizeof out - o, "%s%s%.*s%s", o ? " " : "",
		         it->state == THR_DROP ? "-" : "", (int)it->id_len, it->id,
		         it->local ? "*" : "");
}

static struct thr_pipe pp;
static char tmpl_err[200];
static struct nw_dlq dlq;

static struct thr_pipe *pipe_new(bool closed, enum thr_conn conn,
                                 size_t queue_max)
{
	const struct thr_pipe_cfg cfg = {
		.tmpl = "alert:throttle:{key}", .ttl_ms = 60000, .closed = closed,
		.queue_max = queue_max, .local_max = 100, .now = clock_now,
		.release = collect, .dlq = &dlq,
	};

	fk_reset(conn);
	out[0] = '\0';
	now_ms = 1000;
	nw_dlq_open(&dlq, NULL);
	if (thr_pipe_init(&pp, &cfg, (struct thr_link){ &fk_ops, NULL }) < 0)
		abort();
	return &pp;
}

static void pipe_done(struct thr_pipe *p)
{
	thr_pipe_finish(p);
	thr_pipe_free(p);
	nw_dlq_close(&dlq);
}

/* One input line, told apart and handed over as the stage skeleton does. */
static void take(struct thr_pipe *p, const char *line)
{
	struct nw_stage st = { .arg = p };
	char buf[256];
	size_t n = strlen(line);
	uint64_t id = 0;
	enum nw_ctl_kind kind = nw_ctl_classify(line, n, &id);

	memcpy(buf, line, n + 1);            /* the stage's line is writable */
	if (kind == NW_CTL_NONE)
		thr_pipe_line(&st, buf, n);
	else
		CHECK_INT(thr_pipe_ctl(&st, kind, id, buf, n), NW_STAGE_CONSUMED);
}

static void alert(struct thr_pipe *p, const char *id, const char *key)
{
	char line[256];

	snprintf(line, sizeof line, "{\"type\":\"alert\",\"alert_id\":\"%s\","
	         "\"rule\":\"r\",\"key_field\":\"src_ip\",\"key\":\"%s\"}",
	         id, key);
	take(p, line);
}

static void barrier(struct thr_pipe *p, int id)
{
	char line[128];

	snprintf(line, sizeof line, "{\"@ctl\":{\"type\":\"barrier\",\"id\":%d,"
	         "\"offsets\":[]}}", id);
	take(p, line);
}

/* Lines by a short spec: "a1:k1" an alert with id a1 and key k1, "B4" the
 * barrier with id 4. */
static void feed(struct thr_pipe *p, const char *spec)
{
	char tok[64];
	int n;

	while (sscanf(spec, " %63s%n", tok, &n) == 1) {
		char *colon = strchr(tok, ':');
		if (tok[0] == 'B') {
			barrier(p, atoi(tok + 1));
		} else if (colon) {
			*colon = '\0';
			alert(p, tok, colon + 1);
		}
		spec += n;
	}
}

/* ---- tests ----------------------------------------------------------------- */

TEST(pipe_ordered_release)
{
	struct thr_pipe *p = pipe_new(false, THR_UP, 100);

	CHECK_INT(thr_pipe_start(p), 0);
	CHECK_INT(p->state, THR_P_UP);
	CHECK_INT(p->ctr.redis_up, 1);
	feed(p, "a1:k1 B4 a2:k2 a3:k1");
	take(p, "   ");
	take(p, "{not json");
	take(p, "{\"@ctl\":{\"type\":\"flush\"}}");
	thr_pipe_too_long(&(struct nw_stage){ .arg = p }, "{\"type\":", 9);
	thr_pipe_step(p, false);
	CHECK_STR(out, "a1 B4 a2 -a3 B0");
	CHECK_INT(p->taken, 8);
	CHECK_INT(p->ctr.alerts, 3);
	CHECK_INT(p->ctr.passed, 2);
	CHECK_INT(p->ctr.suppressed, 1);
	CHECK_INT(p->ctr.control, 2);
	CHECK_INT(p->ctr.blank, 1);
	CHECK_INT(dlq.count, 2);
	CHECK_INT(p->ctr.round_trips, 1);
	CHECK_INT(fk.claims, 3);
	CHECK_INT(thr_pipe_queued(p), 0);
	CHECK_INT(thr_pipe_wait_ms(p, 1000), 1000);
	pipe_done(p);
}

/* While input keeps coming the newest batch stays in flight; a step
 * without more input reads every reply. */
TEST(pipe_batch_in_flight_while_busy)
{
	struct thr_pipe *p = pipe_new(false, THR_UP, 100);

	thr_pipe_start(p);
	feed(p, "a1:k1 a2:k2 a3:k3");
	thr_pipe_step(p, true);
	CHECK_STR(out, "");
	CHECK_INT(fk.claims, 3);
	CHECK_INT(fk.recvs, 0);
	CHECK_INT(thr_pipe_wait_ms(p, 1000), 0);     /* replies to read */
	feed(p, "a4:k1");
	thr_pipe_step(p, true);
	CHECK_STR(out, "a1 a2 a3");
	thr_pipe_step(p, false);
	CHECK_STR(out, "a1 a2 a3 -a4");
	CHECK_INT(p->ctr.round_trips, 2);
	pipe_done(p);
}

/* The connection fails before a reply is read: the alert waits (closed
 * mode), and the retry finds its own id, which Redis had written. */
TEST(pipe_claim_lost_then_retried)
{
	struct thr_pipe *p = pipe_new(true, THR_UP, 100);

	thr_pipe_start(p);
	feed(p, "a1:k1 a2:k2");
	fk.fail_recv_at = 2;
	thr_pipe_step(p, false);
	CHECK_STR(out, "a1");
	CHECK_INT(p->state, THR_P_DOWN);
	CHECK_INT(p->ctr.outages, 1);
	CHECK_INT(p->ctr.redis_up, 0);
	CHECK(thr_pipe_holding(p));
	CHECK_INT(thr_pipe_wait_ms(p, 1000), 100);   /* the first backoff */
	now_ms += 99;
	thr_pipe_step(p, false);
	CHECK_INT(fk.connects, 1);                   /* not yet */
	now_ms += 1;
	thr_pipe_step(p, false);
	CHECK_INT(fk.connects, 2);
	CHECK_INT(p->state, THR_P_UP);
	CHECK_STR(out, "a1 a2");
	CHECK_INT(p->ctr.replayed, 1);
	CHECK_INT(p->ctr.synced, 1);                 /* k1, noted at its claim */
	CHECK_INT(p->ctr.outages, 1);
	CHECK(!thr_pipe_holding(p));
	pipe_done(p);
}

/* A failed flush is an outage too; open mode decides in memory. */
TEST(pipe_flush_failure_open)
{
	struct thr_pipe *p = pipe_new(false, THR_UP, 100);

	thr_pipe_start(p);
	fk.fail_flush = true;
	feed(p, "a1:k1");
	thr_pipe_step(p, false);
	CHECK_STR(out, "a1*");
	CHECK_INT(p->state, THR_P_DOWN);
	CHECK_INT(p->ctr.local_passed, 1);
	CHECK_INT(p->ctr.outages, 1);
	pipe_done(p);
}

/* Down at start-up in open mode: the local table decides, retries back off
 * (100 ms, then 200 ms), and on return the table is written to Redis. */
TEST(pipe_outage_open_enter_leave_resync)
{
	struct thr_pipe *p = pipe_new(false, THR_DOWN, 100);

	CHECK_INT(thr_pipe_start(p), 0);
	CHECK_INT(p->state, THR_P_DOWN);
	CHECK_INT(p->ctr.outages, 1);
	feed(p, "a1:k1 a2:k1 a3:k2");
	thr_pipe_step(p, false);
	CHECK_STR(out, "a1* -a2* a3*");
	CHECK_INT(p->ctr.local_passed, 2);
	CHECK_INT(p->ctr.local_suppressed, 1);
	CHECK_INT(p->ctr.local_keys, 2);
	now_ms += 100;
	thr_pipe_step(p, false);
	CHECK_INT(fk.connects, 2);
	CHECK_INT(thr_pipe_wait_ms(p, 1000), 200);
	now_ms += 199;
	thr_pipe_step(p, false);
	CHECK_INT(fk.connects, 2);
	fk.conn = THR_UP;
	now_ms += 1;
	thr_pipe_step(p, false);
	CHECK_INT(fk.connects, 3);
	CHECK_INT(p->state, THR_P_UP);
	CHECK_INT(p->ctr.redis_up, 1);
	CHECK_INT(p->ctr.outages, 1);
	CHECK_INT(fk.syncs, 2);
	CHECK_INT(p->ctr.synced, 2);
	CHECK_INT(p->resynced, 2);
	CHECK_STR(fk_get("alert:throttle:k1"), "a1");
	CHECK_STR(fk_get("alert:throttle:k2"), "a3");
	alert(p, "a4", "k2");            /* Redis now knows k2 */
	thr_pipe_step(p, false);
	CHECK_STR(out, "a1* -a2* a3* -a4");
	/* the backoff starts again from 100 ms at the next outage */
	fk.fail_flush = true;
	feed(p, "a5:k5");
	thr_pipe_step(p, false);
	CHECK_INT(p->ctr.outages, 2);
	CHECK_INT(thr_pipe_wait_ms(p, 1000), 100);
	pipe_done(p);
}

/* A connection that fails during the resync is no new outage; the next
 * try waits longer. */
TEST(pipe_resync_failure_stays_down)
{
	struct thr_pipe *p = pipe_new(false, THR_DOWN, 100);

	thr_pipe_start(p);
	feed(p, "a1:k1");
	thr_pipe_step(p, false);
	fk.conn = THR_UP;
	fk.fail_recv_at = 1;
	now_ms += 100;
	thr_pipe_step(p, false);
	CHECK_INT(fk.connects, 2);
	CHECK_INT(fk.syncs, 1);
	CHECK_INT(p->state, THR_P_DOWN);
	CHECK_INT(p->ctr.outages, 1);
	CHECK_INT(thr_pipe_wait_ms(p, 1000), 200);
	fk.fail_recv_at = 0;
	now_ms += 200;
	thr_pipe_step(p, false);
	CHECK_INT(p->state, THR_P_UP);
	pipe_done(p);
}

/* Closed mode: a barrier waits behind the alerts before it until Redis is
 * back, so notify cannot complete it early; one with no alert before it is
 * not held. */
TEST(pipe_closed_barrier_held_behind_alerts)
{
	struct thr_pipe *p = pipe_new(true, THR_DOWN, 4);

	thr_pipe_start(p);
	feed(p, "B3");
	thr_pipe_step(p, false);
	CHECK_STR(out, "B3");
	feed(p, "a1:k1 B4 a2:k2");
	thr_pipe_step(p, false);
	CHECK_STR(out, "B3");
	CHECK(thr_pipe_holding(p));
	CHECK_INT(thr_pipe_queued(p), 3);
	CHECK(!thr_pipe_full(p));
	CHECK_INT(thr_pipe_wait_ms(p, 1000), 100);
	feed(p, "a3:k1");
	CHECK(thr_pipe_full(p));
	now_ms += 50;
	thr_pipe_step(p, false);
	CHECK(p->full_logged);
	CHECK_STR(out, "B3");
	fk.conn = THR_UP;
	now_ms += 50;
	thr_pipe_step(p, false);
	CHECK_STR(out, "B3 a1 B4 a2 -a3");
	CHECK(!thr_pipe_holding(p));
	CHECK_INT(thr_pipe_queued(p), 0);
	CHECK_INT(p->ctr.local_passed, 0);
	pipe_done(p);
}

/* Stopped while holding: the held lines go to the dead-letter output. */
TEST(pipe_finish_dead_letters_held)
{
	struct thr_pipe *p = pipe_new(true, THR_DOWN, 100);

	thr_pipe_start(p);
	feed(p, "a1:k1 B9");
	thr_pipe_step(p, false);
	CHECK_INT(thr_pipe_finish(p), 2);
	CHECK_INT(dlq.count, 2);
	CHECK_INT(thr_pipe_queued(p), 0);
	CHECK_STR(out, "");
	pipe_done(p);
}

/* Refused credentials: fatal at start-up, one ERROR per outage later. */
TEST(pipe_refused)
{
	struct thr_pipe *p = pipe_new(false, THR_REFUSED, 100);

	CHECK_INT(thr_pipe_start(p), -1);
	CHECK_INT(p->state, THR_P_REFUSED);
	pipe_done(p);

	p = pipe_new(false, THR_DOWN, 100);
	thr_pipe_start(p);
	fk.conn = THR_REFUSED;
	now_ms += 100;
	thr_pipe_step(p, false);
	CHECK_INT(p->state, THR_P_DOWN);
	CHECK(p->refused_logged);
	CHECK_INT(p->ctr.outages, 1);
	fk.conn = THR_UP;
	now_ms += 200;
	thr_pipe_step(p, false);
	CHECK_INT(p->state, THR_P_UP);
	CHECK(!p->refused_logged);
	pipe_done(p);
}

/* An error reply (LOADING) gives no verdict: the local table decides. */
TEST(pipe_error_reply_decided_locally)
{
	struct thr_pipe *p = pipe_new(false, THR_UP, 100);

	thr_pipe_start(p);
	fk.error_key = "alert:throttle:k9";
	feed(p, "a1:k9 a2:k9 a3:k3");
	thr_pipe_step(p, false);
	CHECK_STR(out, "a1* -a2* a3");
	CHECK_INT(p->ctr.redis_errors, 2);
	CHECK_INT(p->state, THR_P_UP);
	pipe_done(p);
}

/* The key template must render and name a field. */
TEST(pipe_check_tmpl)
{
	CHECK_INT(thr_pipe_check_tmpl("alert:throttle:{key}", tmpl_err, 200), 0);
	CHECK_INT(thr_pipe_check_tmpl("t:{rule}:{{x}}", tmpl_err, 200), 0);
	CHECK_INT(thr_pipe_check_tmpl("t:{src}", tmpl_err, 200), -1);
	CHECK(strstr(tmpl_err, "unknown placeholder {src}") != NULL);
	CHECK_INT(thr_pipe_check_tmpl("alert:throttle", tmpl_err, 200), -1);
	CHECK(strstr(tmpl_err, "names no field") != NULL);
}

/* The gate's reading of replies, fed as RESP bytes to hiredis's reader. */
static enum thr_verdict verdict_of(const char *resp, const char *id,
                                   char *holder, char *err)
{
	redisReader *rd = redisReaderCreate();
	void *reply = NULL;
	enum thr_verdict v = THR_V_ERROR;

	holder[0] = err[0] = '\0';
	redisReaderFeed(rd, resp, strlen(resp));
	if (redisReaderGetReply(rd, &reply) == REDIS_OK && reply != NULL) {
		v = thr_gate_verdict(reply, id, id ? strlen(id) : 0, holder, 64,
		                     err, 64);
		freeReplyObject(reply);
	} else {
		snprintf(err, 64, "no reply parsed");
	}
	redisReaderFree(rd);
	return v;
}

TEST(gate_verdict_from_replies)
{
	char holder[64], err[64];

	CHECK_INT(verdict_of("$-1\r\n", "a1", holder, err), THR_V_CLAIMED);
	CHECK_INT(verdict_of("+OK\r\n", NULL, holder, err), THR_V_CLAIMED);
	CHECK_INT(verdict_of("$2\r\na1\r\n", "a1", holder, err), THR_V_SAME);
	CHECK_INT(verdict_of("$2\r\na1\r\n", "a2", holder, err), THR_V_OTHER);
	CHECK_STR(holder, "a1");
	CHECK_INT(verdict_of("$3\r\na1x\r\n", "a1", holder, err), THR_V_OTHER);
	CHECK_INT(verdict_of("-LOADING Redis is loading\r\n", "a1", holder, err),
	          THR_V_ERROR);
	CHECK_STR(err, "LOADING Redis is loading");
	CHECK_INT(verdict_of(":1\r\n", "a1", holder, err), THR_V_ERROR);
	CHECK_STR(err, "unexpected reply type");
}

int main(void)
{
	nw_log_init("throttle");
	RUN(pipe_ordered_release);
	RUN(pipe_batch_in_flight_while_busy);
	RUN(pipe_claim_lost_then_retried);
	RUN(pipe_flush_failure_open);
	RUN(pipe_outage_open_enter_leave_resync);
	RUN(pipe_resync_failure_stays_down);
	RUN(pipe_closed_barrier_held_behind_alerts);
	RUN(pipe_finish_dead_letters_held);
	RUN(pipe_refused);
	RUN(pipe_error_reply_decided_locally);
	RUN(pipe_check_tmpl);
	RUN(gate_verdict_from_replies);
	return t_done();
}
