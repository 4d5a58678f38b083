/* Unit tests for window's watermark source (wmark.c): the minimum over
 * partitions, idleness with an injected clock, revocation, a watermark
 * that never goes back, the implicit partition of a stream without
 * partition lines; and the engine and its snapshots with partitions. */
#include "nw.h"
#include "t.h"
#include "engine.h"
#include "win_ckpt.h"
#include "ckpt.h"
#include "wmark.h"
#include "route.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int64_t fake_now = 1000;
static int64_t fake_clock(void) { return fake_now; }

static void part(struct win_wm *w, const char *t, int32_t p)
{
	win_wm_partition(w, t, strlen(t), p);
}

static int64_t wm_revoke(struct win_wm *w, const char *t, int32_t p)
{
	return win_wm_revoke(w, t, strlen(t), p);
}

static void assign(struct win_wm *w, const char *t, int32_t p)
{
	win_wm_assign(w, t, strlen(t), p);
}

TEST(wm_no_partition_lines_is_highest_minus_bound)
{
	struct win_wm w;
	win_wm_init(&w, 5000);
	CHECK_INT(w.wm, INT64_MIN);
	CHECK_INT(win_wm_event(&w, 10000), 4999);
	CHECK_INT(win_wm_event(&w, 8000), 4999);     /* out of order: stays */
	CHECK_INT(win_wm_event(&w, 20000), 14999);
	CHECK_INT(w.n, 1);
	CHECK(w.parts[0].topic == NULL);
	win_wm_free(&w);
}

TEST(wm_min_over_partitions)
{
	struct win_wm w;
	win_wm_init(&w, 0);
	part(&w, "t", 0);
	CHECK_INT(win_wm_event(&w, 1000), 999);
	CHECK_INT(win_wm_event(&w, 5000), 4999);     /* only partition 0 seen */
	part(&w, "t", 1);
	CHECK_INT(win_wm_event(&w, 2000), 4999);     /* min 2000, never back */
	CHECK_INT(win_wm_event(&w, 3000), 4999);
	CHECK_INT(win_wm_event(&w, 7000), 4999);     /* min is p0's 5000 */
	CHECK_INT(w.low, 5000);
	part(&w, "t", 0);
	CHECK_INT(win_wm_event(&w, 6000), 5999);     /* min 6000 */
	CHECK_INT(win_wm_event(&w, 9000), 6999);     /* min p1's 7000 */
	part(&w, "u", 0);                            /* another topic */
	CHECK_INT(win_wm_event(&w, 8000), 6999);     /* still p1's 7000 */
	part(&w, "t", 1);
	CHECK_INT(win_wm_event(&w, 10000), 7999);    /* now u0's 8000 */
	CHECK_INT(w.n, 3);
	win_wm_free(&w);
}

TEST(wm_backlog_of_one_partition_then_the_next)
{
	struct win_wm w;
	bool behind = true;
	win_wm_init(&w, 100);
	assign(&w, "t", 0);
	assign(&w, "t", 1);
	part(&w, "t", 0);
	for (int64_t ts = 0; ts <= 50000; ts += 10)
		win_wm_event(&w, ts);
	CHECK_INT(w.wm, INT64_MIN);                  /* p1 not heard from */
	part(&w, "t", 1);
	/* p1's events follow p0's whole backlog, and the watermark stays
	 * behind each of them: none would be late */
	for (int64_t ts = 0; ts <= 60000; ts += 10)
		behind = behind && win_wm_event(&w, ts) < ts;
	CHECK(behind);
	CHECK_INT(w.wm, 50000 - 101);
	win_wm_free(&w);
}

TEST(wm_assigned_partition_holds_until_its_first_event)
{
	struct win_wm w;
	win_wm_init(&w, 0);
	assign(&w, "t", 0);
	assign(&w, "t", 1);
	part(&w, "t", 0);
	CHECK_INT(win_wm_event(&w, 1000), INT64_MIN);
	CHECK_INT(win_wm_event(&w, 9000), INT64_MIN); /* p1 not heard from */
	part(&w, "t", 1);
	CHECK_INT(win_wm_event(&w, 2000), 1999);
	CHECK_INT(win_wm_event(&w, 12000), 8999);
	assign(&w, "t", 0);                          /* known: nothing changes */
	CHECK_INT(w.n, 2);
	CHECK_INT(w.low, 9000);
	win_wm_free(&w);
}

TEST(wm_assigned_partition_without_events_turns_idle)
{
	struct win_wm w;
	win_wm_init(&w, 0);
	win_wm_set_idle(&w, 500, fake_clock);
	fake_now = 1000;
	assign(&w, "t", 0);
	assign(&w, "t", 1);
	part(&w, "t", 0);
	CHECK_INT(win_wm_event(&w, 3000), INT64_MIN);
	fake_now = 1400;
	CHECK_INT(win_wm_event(&w, 4000), INT64_MIN);
	fake_now = 1500;                             /* p1 quiet since assign */
	CHECK_INT(win_wm_tick(&w), 3999);
	win_wm_free(&w);
}

TEST(wm_implicit_partition_leaves_at_first_partition_line)
{
	struct win_wm w;
	win_wm_init(&w, 0);
	win_wm_event(&w, 5000);
	part(&w, "t", 0);
	CHECK_INT(w.n, 1);
	CHECK(w.parts[0].topic != NULL);
	CHECK_INT(win_wm_event(&w, 3000), 4999);     /* never back */
	CHECK_INT(win_wm_event(&w, 8000), 7999);
	win_wm_free(&w);
}

TEST(wm_revoked_partition_leaves_the_minimum)
{
	struct win_wm w;
	win_wm_init(&w, 0);
	part(&w, "t", 0);
	win_wm_event(&w, 1000);
	part(&w, "t", 1);
	win_wm_event(&w, 9000);
	part(&w, "t", 2);
	win_wm_event(&w, 5000);
	CHECK_INT(w.wm, 999);
	CHECK_INT(wm_revoke(&w, "t", 0), 4999);         /* min now p2's 5000 */
	CHECK_INT(wm_revoke(&w, "t", 7), 4999);         /* unknown: nothing */
	CHECK_INT(w.n, 2);
	/* the current partition (2) is still current */
	CHECK_INT(win_wm_event(&w, 6000), 5999);
	CHECK_INT(wm_revoke(&w, "t", 2), 8999);
	CHECK_INT(wm_revoke(&w, "t", 1), 8999);         /* none left: stays */
	CHECK_INT(w.n, 0);
	CHECK(w.cur == WIN_WM_NONE);
	win_wm_free(&w);
}

/* A source with a 500 ms idle timeout at clock 1000 and events at ts0 in
 * partition 0 and ts1 in partition 1 (current). */
static void two_parts(struct win_wm *w, int64_t bound, int64_t ts0, int64_t ts1)
{
	win_wm_init(w, bound);
	win_wm_set_idle(w, 500, fake_clock);
	fake_now = 1000;
	part(w, "t", 0);
	win_wm_event(w, ts0);
	part(w, "t", 1);
	win_wm_event(w, ts1);
}

TEST(wm_idle_partition_stops_holding_back)
{
	struct win_wm w;
	two_parts(&w, 0, 1000, 9000);
	CHECK_INT(w.wm, 999);
	fake_now = 1300;
	win_wm_event(&w, 9100);                      /* p1 active, p0 quiet */
	CHECK_INT(win_wm_tick(&w), 999);             /* 300 ms: not yet */
	fake_now = 1500;
	CHECK_INT(win_wm_tick(&w), 9099);            /* p0 idle: min p1 */
	CHECK(w.parts[0].idle);
	/* p0 comes back behind the watermark: it rejoins, nothing goes back */
	part(&w, "t", 0);
	CHECK_INT(win_wm_event(&w, 2000), 9099);
	CHECK(!w.parts[0].idle);
	CHECK_INT(w.low, 2000);
	win_wm_free(&w);
}

TEST(wm_every_partition_idle_is_wall_clock)
{
	struct win_wm w;
	two_parts(&w, 100, 1000, 3000);
	CHECK_INT(w.wm, 899);
	fake_now = 1499;
	CHECK_INT(win_wm_tick(&w), 899);
	fake_now = 1500;                             /* both idle, quiet 500 */
	CHECK_INT(win_wm_tick(&w), 3000 + 500 - 101);
	fake_now = 2000;
	CHECK_INT(win_wm_tick(&w), 3000 + 1000 - 101);
	win_wm_free(&w);
}

TEST(wm_idle_without_partitions_is_as_before)
{
	struct win_wm w;
	win_wm_init(&w, 0);
	win_wm_set_idle(&w, 300, fake_clock);
	fake_now = 5000;
	CHECK_INT(win_wm_tick(&w), INT64_MIN);       /* no event: nothing */
	win_wm_event(&w, 1000);
	fake_now = 5299;
	CHECK_INT(win_wm_tick(&w), 999);
	fake_now = 5300;
	CHECK_INT(win_wm_tick(&w), 1000 + 300 - 1);
	win_wm_free(&w);
}

TEST(wm_restored_partition_turns_idle_from_the_restore)
{
	struct win_wm w;
	win_wm_init(&w, 0);
	win_wm_set_idle(&w, 500, fake_clock);
	fake_now = 10000;
	win_wm_restore_part(&w, "t", 1, 0, 4000);
	win_wm_restore_part(&w, "t", 1, 1, 9000);
	win_wm_restore_wm(&w, 9000, 3999);
	CHECK_INT(w.low, 4000);
	part(&w, "t", 1);
	fake_now = 10400;
	CHECK_INT(win_wm_event(&w, 9500), 3999);
	fake_now = 10500;                            /* p0 never read again */
	CHECK_INT(win_wm_tick(&w), 9499);
	win_wm_free(&w);
}

/* ---- the engine with partitions, and its snapshots ----------------------- */

static int nrec;
static void count_rec(const char *rec, size_t n, const struct win_tag *tag, void *arg) { nrec++; }
static struct win_agg no_aggs[1];

static const char *const eng_names[] = { "src_ip" };
static const int eng_slots[] = { 0 };
static const struct win_cfg eng_cfg = { 1000, 1000, 0, 0, 100 };

static void eng(struct win_engine *e)
{
	nrec = 0;
	if (win_engine_init(e, &eng_cfg, no_aggs, 0, 0, eng_names, eng_slots, 1,
	                    count_rec, NULL) < 0)
		abort();
}

/* The route of a window whose main engine is e (snapshots go through it). */
static struct win_route rt;
static struct win_route *route(struct win_engine *e)
{
	win_route_init(&rt, e, &eng_cfg, no_aggs, 0, 0, eng_names, eng_slots, 1,
	               count_rec, NULL);
	return &rt;
}

static enum win_ev ev(struct win_engine *e, int64_t ts)
{
	struct jscan_val v[1] = { { 0 } };
	struct win_in in[1] = { { 0 } };
	v[0].type = JSCAN_STR, v[0].p = "a", v[0].n = 1;
	return win_engine_event(e, ts, v, in);
}

TEST(engine_late_uses_the_combined_watermark)
{
	struct win_engine e;
	eng(&e);
	win_wm_assign(&e.src, "t", 1, 0);
	win_wm_assign(&e.src, "t", 1, 1);
	part(&e.src, "t", 0);
	for (int64_t ts = 0; ts < 10000; ts += 100)
		CHECK_INT(ev(&e, ts), WIN_EV_OK);
	CHECK_INT(nrec, 0);                          /* p1 holds it */
	part(&e.src, "t", 1);
	for (int64_t ts = 0; ts < 10000; ts += 100)
		CHECK_INT(ev(&e, ts), WIN_EV_OK);         /* none late */
	CHECK_INT(e.late, 0);
	CHECK_INT(nrec, 9);
	win_engine_finish(&e);
	CHECK_INT(nrec, 10);
	win_engine_free(&e);

	eng(&e);                                     /* the same, no lines */
	for (int64_t ts = 0; ts < 10000; ts += 100)
		ev(&e, ts);
	for (int64_t ts = 0; ts < 10000; ts += 100)
		ev(&e, ts);
	CHECK_INT(e.late, 90);
	win_engine_free(&e);
}

static char tmpdir[64];

TEST(snapshot_carries_the_partitions)
{
	struct win_engine e;
	char *data = NULL;
	size_t len = 0;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/nwwmXXXXXX");
	CHECK(mkdtemp(tmpdir) != NULL);
	eng(&e);
	win_wm_assign(&e.src, "topic-a", 7, 0);
	win_wm_assign(&e.src, "topic-a", 7, 3);
	win_wm_assign(&e.src, "topic-b", 7, 1);       /* no event: saved too */
	part(&e.src, "topic-a", 0);
	ev(&e, 5000);
	part(&e.src, "topic-a", 3);
	ev(&e, 2500);
	win_wm_revoke(&e.src, "topic-b", 7, 1);
	win_wm_assign(&e.src, "topic-b", 7, 1);
	CHECK_INT(win_ckpt_save(route(&e), tmpdir, 1), 0);
	win_engine_clear(&e);
	CHECK_INT(e.src.n, 0);
	CHECK_INT(win_ckpt_load(&rt, tmpdir, 1), 0);
	CHECK_INT(e.src.n, 3);
	CHECK_INT(e.src.low, INT64_MIN);             /* topic-b holds it */
	CHECK_INT(e.src.max_ts, 5000);
	CHECK_INT(e.wm, INT64_MIN);                  /* held by topic-b */
	CHECK_INT(win_wm_revoke(&e.src, "topic-b", 7, 1), 2499);
	CHECK_INT(e.src.low, 2500);
	CHECK(e.src.cur == WIN_WM_NONE);
	part(&e.src, "topic-a", 3);
	CHECK_INT(ev(&e, 3000), WIN_EV_OK);          /* not late after restore */
	CHECK_INT(e.src.low, 3000);
	CHECK_INT(win_ckpt_load(&rt, tmpdir, 0), 0);   /* id 0: empty */
	CHECK_INT(e.src.n, 0);
	win_route_free(&rt);
	win_engine_free(&e);

	/* a version 1 snapshot (no table): its max_ts is the implicit
	 * partition's; built from a version 3 one's header, without panes */
	eng(&e);
	ev(&e, 7000);
	CHECK_INT(win_ckpt_save(route(&e), tmpdir, 2), 0);
	CHECK_INT(nw_ckpt_load_id(tmpdir, "window", 2, &data, &len), 1);
	uint32_t v1 = 1, fplen;
	uint64_t zero = 0;
	memcpy(data + 4, &v1, 4);
	memcpy(&fplen, data + 8, 4);
	len = 12 + fplen + 8 + 8;                    /* magic … max_ts, wm */
	memcpy(data + len, &zero, 8);                /* no panes */
	len += 8;
	CHECK_INT(nw_ckpt_write(tmpdir, "window", 3, data, len), 0);
	free(data);
	win_engine_clear(&e);
	CHECK_INT(win_ckpt_load(&rt, tmpdir, 3), 0);
	CHECK_INT(e.src.n, 1);
	CHECK(e.src.parts[0].topic == NULL);
	CHECK_INT(e.src.parts[0].max_ts, 7000);
	CHECK_INT(e.wm, 6999);
	win_route_free(&rt);
	win_engine_free(&e);
	CHECK(t_rm_rf(tmpdir) == 0);
}

int main(void)
{
	nw_log_init("test_window_wmark");
	RUN(wm_no_partition_lines_is_highest_minus_bound);
	RUN(wm_min_over_partitions);
	RUN(wm_backlog_of_one_partition_then_the_next);
	RUN(wm_assigned_partition_holds_until_its_first_event);
	RUN(wm_assigned_partition_without_events_turns_idle);
	RUN(wm_implicit_partition_leaves_at_first_partition_line);
	RUN(wm_revoked_partition_leaves_the_minimum);
	RUN(wm_idle_partition_stops_holding_back);
	RUN(wm_every_partition_idle_is_wall_clock);
	RUN(wm_idle_without_partitions_is_as_before);
	RUN(wm_restored_partition_turns_idle_from_the_restore);
	RUN(engine_late_uses_the_combined_watermark);
	RUN(snapshot_carries_the_partitions);
	return t_done();
}
