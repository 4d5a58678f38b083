/* Unit tests for notify's scheduler (deliver.c) and barrier completion
 * (barrier.c), driven by a fake clock and a fake receiver: the time is a
 * number the test advances, a post is recorded and answered by the test,
 * so backoff, Retry-After, dead posts and digests are checked to the
 * millisecond without a sleep. */
#include "ntf.h"
#include "ckpt.h"
#include "stage.h"
#include "t.h"

#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* The fake receiver's side: every post and every delivery record. */
struct fake {
	int posts;
	char *body;              /* the last post's body */
	char key[NTF_KEY_MAX + 1];   /* ... and its Idempotency-Key */
	struct nw_buf records;   /* one delivery record per line */
	bool refuse;             /* the next post cannot start */
};

static int fake_post(void *arg, const char *body, size_t len,
                     const char *key)
{
	struct fake *f = arg;
	if (f->refuse)
		return -1;
	snprintf(f->key, sizeof f->key, "%s", key);
	f->posts++;
	free(f->body);
	f->body = strndup(body, len);
	return 0;
}

static void fake_record(void *arg, const char *id, const char *status,
                        unsigned attempts, long http_status)
{
	struct fake *f = arg;
	ntf_dlv_record(&f->records, id, status, attempts, http_status);
	nw_buf_addc(&f->records, '\n');
}

/* Jitter that takes off the most, so every wait is exactly half its
 * exponential step. */
static long no_jitter(void) { return 0; }

/* A scheduler on a fresh spool in a temporary directory. */
struct rig {
	char dir[32];
	struct ntf_spool spool;
	struct nw_dlq dlq;
	struct ntf_dlv d;
	struct fake f;
};

static void rig_open(struct rig *r, double rate, uint64_t digest_max)
{
	const struct ntf_dlv_cfg cfg = {
		.fmt = NTF_FMT_GENERIC, .rate = rate, .retry_min_ms = 1000,
		.retry_max_ms = 8000, .digest_max = digest_max,
	};
	const struct ntf_dlv_ops ops = { .post = fake_post, .record = fake_record,
	                                 .random = no_jitter, .arg = &r->f };
	struct ntf_queue replayed = { 0 };

	memset(r, 0, sizeof *r);
	snprintf(r->dir, sizeof r->dir, "/tmp/nwdlvXXXXXX");
	CHECK(mkdtemp(r->dir) != NULL);
	CHECK_INT(ntf_spool_open(&r->spool, r->dir, 3600000, 1000, &replayed), 0);
	CHECK_INT(nw_dlq_open(&r->dlq, NULL), 0);
	ntf_dlv_init(&r->d, &cfg, &ops, &r->spool, &r->dlq, &replayed);
}

static void rig_close(struct rig *r)
{
	ntf_dlv_free(&r->d);
	ntf_spool_close(&r->spool);
	nw_dlq_close(&r->dlq);
	nw_buf_free(&r->f.records);
	free(r->f.body);
	CHECK(t_rm_rf(r->dir) == 0);
}

static const char *alert_line(const char *id)
{
	static char line[128];
	snprintf(line, sizeof line, "{\"type\":\"alert\",\"alert_id\":\"%s\"}", id);
	return line;
}

/* Read and queue alerts as main's read_input does. */
static void feed(struct rig *r, int n, const char *prefix)
{
	char id[32];
	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof id, "%s%d", prefix, i);
		CHECK_INT(ntf_dlv_take(&r->d, id, alert_line(id), strlen(alert_line(id))), 0);
	}
	CHECK_INT(ntf_dlv_commit(&r->d), 0);
}

static void answer(struct rig *r, enum ntf_verdict v, long status,
                   int64_t wait_ms, int64_t now)
{
	struct ntf_result res = { .verdict = v, .status = status, .wait_ms = wait_ms };
	snprintf(res.what, sizeof res.what, "answer %ld", status);
	CHECK_INT(ntf_dlv_result(&r->d, &res, now), 0);
}

/* The records so far (one per line), then forget them. */
static char *take_records(struct rig *r)
{
	char *s = strndup(r->f.records.p ? r->f.records.p : "", r->f.records.len);
	nw_buf_reset(&r->f.records);
	return s;
}

TEST(backoff_doubles_to_its_cap)
{
	struct rig r;
	rig_open(&r, 10, 100);
	CHECK_INT(ntf_dlv_backoff(&r.d, 1), 500);
	CHECK_INT(ntf_dlv_backoff(&r.d, 2), 1000);
	CHECK_INT(ntf_dlv_backoff(&r.d, 3), 2000);
	CHECK_INT(ntf_dlv_backoff(&r.d, 4), 4000);
	CHECK_INT(ntf_dlv_backoff(&r.d, 5), 4000);      /* retry_max 8000, halved */
	CHECK_INT(ntf_dlv_backoff(&r.d, 60), 4000);
	rig_close(&r);
}

TEST(retry_on_5xx_until_delivered)
{
	struct rig r;
	char *rec;
	rig_open(&r, 10, 100);                          /* rate gap 100 ms */

	/* Nothing is posted before the spool has it. */
	CHECK_INT(ntf_dlv_take(&r.d, "a0", alert_line("a0"), strlen(alert_line("a0"))), 0);
	CHECK_INT(ntf_dlv_step(&r.d, 0), 0);
	CHECK_INT(ntf_dlv_due_in(&r.d, 0), -1);
	CHECK_INT(ntf_dlv_commit(&r.d), 0);
	CHECK_INT(ntf_dlv_due_in(&r.d, 0), 0);
	CHECK_INT(ntf_dlv_step(&r.d, 0), 1);
	CHECK_STR(r.f.body, alert_line("a0"));          /* generic: the record */
	CHECK(ntf_dlv_busy(&r.d));
	CHECK_INT(ntf_dlv_step(&r.d, 50), 0);           /* one post at a time */

	/* While a0 is in flight a1 arrives; a0 fails and stays first. */
	feed(&r, 1, "a1-");
	answer(&r, NTF_RETRY, 503, -1, 100);            /* first failure: 500 ms */
	CHECK_STR(r.d.queue.head->id, "a0");
	CHECK_INT(ntf_dlv_due_in(&r.d, 100), 500);
	CHECK_INT(ntf_dlv_step(&r.d, 599), 0);
	CHECK_INT(ntf_dlv_step(&r.d, 600), 1);
	CHECK_INT(r.f.posts, 2);
	answer(&r, NTF_RETRY, 0, -1, 700);              /* a timeout: 1000 ms */
	CHECK_INT(ntf_dlv_step(&r.d, 1699), 0);
	CHECK_INT(ntf_dlv_step(&r.d, 1700), 1);
	answer(&r, NTF_DELIVERED, 200, -1, 1750);
	rec = take_records(&r);
	CHECK_STR(rec, "{\"type\":\"delivery\",\"alert_id\":\"a0\",\"status\":"
	          "\"delivered\",\"attempts\":3,\"http_status\":200}\n");
	free(rec);
	CHECK_INT(r.d.failures, 2);
	CHECK_INT(r.d.delivered, 1);

	/* Success resets the streak: the next post only waits the rate gap. */
	CHECK_INT(ntf_dlv_step(&r.d, 1799), 0);
	CHECK_INT(ntf_dlv_step(&r.d, 1800), 1);
	answer(&r, NTF_RETRY, 502, -1, 1800);
	CHECK_INT(ntf_dlv_due_in(&r.d, 1800), 500);
	CHECK_INT(ntf_dlv_step(&r.d, 2300), 1);
	answer(&r, NTF_DELIVERED, 204, -1, 2300);
	CHECK_INT(r.d.delivered, 2);
	CHECK_INT(r.d.waiting, 0);

	/* A delivered id read again is a duplicate. */
	CHECK_INT(ntf_dlv_take(&r.d, "a0", alert_line("a0"), strlen(alert_line("a0"))), 1);
	rec = take_records(&r);
	CHECK(strstr(rec, "\"alert_id\":\"a0\",\"status\":\"duplicate\",\"attempts\":0,"
	              "\"http_status\":null}") != NULL);
	free(rec);
	rig_close(&r);
}

TEST(retry_after_429_is_waited)
{
	struct rig r;
	rig_open(&r, 10, 100);
	feed(&r, 1, "b");
	CHECK_INT(ntf_dlv_step(&r.d, 0), 1);
	answer(&r, NTF_WAIT, 429, 3000, 40);            /* Retry-After: 3 */
	CHECK_INT(ntf_dlv_step(&r.d, 3039), 0);
	CHECK_INT(ntf_dlv_step(&r.d, 3040), 1);
	answer(&r, NTF_WAIT, 429, -1, 3100);            /* no Retry-After: backoff */
	CHECK_INT(ntf_dlv_due_in(&r.d, 3100), 500);
	CHECK_INT(ntf_dlv_step(&r.d, 3600), 1);
	answer(&r, NTF_WAIT, 429, 0, 3600);             /* "0": the rate gap still */
	CHECK_INT(ntf_dlv_due_in(&r.d, 3600), 100);
	CHECK_INT(ntf_dlv_step(&r.d, 3700), 1);
	answer(&r, NTF_WAIT, 429, 10LL * 3600 * 1000, 3700);  /* capped at 1 h */
	CHECK_INT(ntf_dlv_due_in(&r.d, 3700), 3600 * 1000);
	CHECK_INT(r.d.failures, 4);
	CHECK_INT(r.d.delivered, 0);
	CHECK_INT(r.d.queue.head->attempts, 4);
	rig_close(&r);
}

TEST(permanent_4xx_is_dead)
{
	struct rig r;
	char *rec;
	rig_open(&r, 10, 100);
	feed(&r, 1, "c");
	CHECK_INT(ntf_dlv_step(&r.d, 0), 1);
	answer(&r, NTF_DEAD, 400, -1, 30);
	rec = take_records(&r);
	CHECK_STR(rec, "{\"type\":\"delivery\",\"alert_id\":\"c0\",\"status\":"
	          "\"dead\",\"attempts\":1,\"http_status\":400}\n");
	free(rec);
	CHECK_INT(r.d.dead, 1);
	CHECK_INT(r.dlq.count, 1);
	CHECK_INT(r.d.failures, 0);
	CHECK_INT(ntf_dlv_due_in(&r.d, 30), -1);        /* nothing left to post */
	CHECK(!ntf_ids_has(r.spool.delivered, "c0"));  /* not remembered */
	CHECK_INT(ntf_dlv_take(&r.d, "c0", alert_line("c0"), strlen(alert_line("c0"))), 0);
	rig_close(&r);
}

TEST(digest_when_more_wait_than_the_rate)
{
	struct rig r;
	char *rec;
	json_t *j;
	rig_open(&r, 1, 5);                             /* 1/s, digests of 5 */
	feed(&r, 7, "d");
	CHECK_INT(ntf_dlv_step(&r.d, 0), 1);
	CHECK_INT(r.d.flight.count, 5);
	CHECK_INT(r.d.digests, 1);
	j = json_loads(r.f.body, 0, NULL);
	CHECK_INT(json_integer_value(json_object_get(j, "count")), 5);
	CHECK_STR(json_string_value(json_array_get(json_object_get(j, "alert_ids"), 0)), "d0");
	json_decref(j);
	char first[NTF_KEY_MAX + 1];
	snprintf(first, sizeof first, "%s", r.f.key);
	answer(&r, NTF_DELIVERED, 200, -1, 20);
	CHECK_INT(r.d.delivered, 5);
	rec = take_records(&r);
	CHECK(strstr(rec, "\"alert_id\":\"d4\",\"status\":\"delivered\"") != NULL);
	free(rec);

	/* The rest (2 > 1 per second) is the next digest, one gap later. */
	CHECK_INT(ntf_dlv_step(&r.d, 999), 0);
	CHECK_INT(ntf_dlv_step(&r.d, 1000), 1);
	CHECK_INT(r.d.flight.count, 2);
	CHECK_INT(r.d.digests, 2);
	char key[NTF_KEY_MAX + 1];
	CHECK(strncmp(r.f.key, "digest-", 7) == 0 && strlen(r.f.key) == 23);
	snprintf(key, sizeof key, "%s", r.f.key);
	CHECK(strcmp(key, first) != 0);    /* other alerts, another key */
	answer(&r, NTF_RETRY, 500, -1, 1010);           /* a digest retries whole */
	CHECK_INT(r.d.queue.count, 2);
	CHECK_INT(ntf_dlv_step(&r.d, 2000), 1);
	CHECK_INT(r.d.flight.count, 2);
	CHECK_STR(r.f.key, key);            /* the same alerts, the same key */
	answer(&r, NTF_DELIVERED, 200, -1, 2010);

	/* One alert alone is posted as itself, its key its alert_id. */
	feed(&r, 1, "e");
	CHECK_INT(ntf_dlv_step(&r.d, 3000), 1);
	CHECK_STR(r.f.body, alert_line("e0"));
	CHECK_STR(r.f.key, "e0");
	CHECK_INT(r.d.digests, 3);
	CHECK_INT(r.d.posts, 4);
	rig_close(&r);
}

TEST(post_that_cannot_start_is_an_error)
{
	struct rig r;
	rig_open(&r, 10, 100);
	feed(&r, 1, "f");
	r.f.refuse = true;
	CHECK_INT(ntf_dlv_step(&r.d, 0), -1);
	rig_close(&r);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char buf[64] = "";
	if (fp == NULL)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	return strndup(buf, n);
}

TEST(barrier_complete_once_its_alerts_are_spooled)
{
	struct rig r;
	struct ntf_barrier b = { 0 };
	char file[64], ckpt[64], tmp[80];
	uint64_t id = 0;
	const char *bar = "{\"@ctl\":{\"type\":\"barrier\",\"id\":7,\"offsets\":[]}}";
	const char *str = "{\"@ctl\":{\"type\":\"barrier\",\"id\":\"8\"}}";
	char *s;

	rig_open(&r, 10, 100);
	snprintf(file, sizeof file, "%s/barrier", r.dir);
	snprintf(ckpt, sizeof ckpt, "%s/ckpt", r.dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", file);
	CHECK(mkdir(ckpt, 0700) == 0);
	b.file = file;
	b.ckpt_dir = ckpt;

	/* Ids are integers, as for every stage: a string id is no barrier. */
	CHECK_INT(nw_ctl_classify(str, strlen(str), &id), NW_CTL_OTHER);
	CHECK_INT(nw_ctl_classify(bar, strlen(bar), &id), NW_CTL_BARRIER);
	CHECK_INT(id, 7);

	/* An alert, then the barrier: complete once the alert is durable,
	 * though the receiver keeps failing. */
	CHECK_INT(ntf_dlv_take(&r.d, "g0", alert_line("g0"), strlen(alert_line("g0"))), 0);
	ntf_barrier_seen(&b, id);
	CHECK(access(file, F_OK) != 0);
	CHECK_INT(ntf_dlv_commit(&r.d), 0);
	ntf_barrier_publish(&b);
	s = slurp(file);
	CHECK_STR(s, "7\n");
	free(s);
	CHECK(access(tmp, F_OK) != 0);                 /* renamed into place */
	CHECK_INT(nw_ckpt_completed(ckpt, &id), 1);
	CHECK_INT(id, 7);
	CHECK_INT(b.count, 1);
	for (int64_t now = 0, k = 1; k <= 5; k++) {
		CHECK_INT(ntf_dlv_step(&r.d, now), 1);
		answer(&r, NTF_RETRY, 503, -1, now);
		now += ntf_dlv_due_in(&r.d, now);
	}
	CHECK_INT(r.d.delivered, 0);

	/* Published once: without a new barrier nothing is written again. */
	CHECK(unlink(file) == 0);
	ntf_barrier_publish(&b);
	CHECK(access(file, F_OK) != 0);

	/* A crash now: the restarted notify finds the alert in its spool. */
	struct ntf_queue replayed = { 0 };
	ntf_dlv_free(&r.d);
	memset(&r.d, 0, sizeof r.d);
	ntf_spool_close(&r.spool);
	CHECK_INT(ntf_spool_open(&r.spool, r.dir, 3600000, 1000, &replayed), 0);
	CHECK_INT(replayed.count, 1);
	CHECK(replayed.head && strcmp(replayed.head->id, "g0") == 0);
	ntf_queue_clear(&replayed);
	rig_close(&r);
}

TEST(barrier_file_write_fails_cleanly)
{
	CHECK_INT(ntf_barrier_write("/nonexistent-dir/barrier", 3), -1);
	CHECK_INT(ntf_barrier_write("barrier-test-file", 3), 0);   /* no dir part */
	char *s = slurp("barrier-test-file");
	CHECK_STR(s, "3\n");
	free(s);
	CHECK(unlink("barrier-test-file") == 0);
}

int main(void)
{
	nw_log_init("test_notify_deliver");
	nw_log_set_level(NW_ERROR);
	RUN(backoff_doubles_to_its_cap);
	RUN(retry_on_5xx_until_delivered);
	RUN(retry_after_429_is_waited);
	RUN(permanent_4xx_is_dead);
	RUN(digest_when_more_wait_than_the_rate);
	RUN(post_that_cannot_start_is_an_error);
	RUN(barrier_complete_once_its_alerts_are_spooled);
	RUN(barrier_file_write_fails_cleanly);
	return t_done();
}
