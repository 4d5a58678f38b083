/* Unit tests for the per-partition split of window's state
 * (docs/recovery.md, "Takeover"): a version 3 snapshot holds one part per
 * input partition (lib's part table); a part adopted by another window
 * becomes a side engine that, fed the rest of that partition, fires the
 * same records as the window that never stopped; a snapshot with a side
 * engine round-trips; a damaged part table is caught. */
#include "nw.h"
#include "t.h"
#include "engine.h"
#include "route.h"
#include "win_ckpt.h"
#include "ckpt.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct win_agg no_aggs[1];
static const char *const names[] = { "src_ip" };
static const int slots[] = { 0 };
static const struct win_cfg cfg = { 1000, 500, 200, 0, 100 };

/* Records of one key, in the order fired. */
struct recs { struct nw_buf b; };
static void collect(const char *rec, size_t n, const struct win_tag *tag, void *arg)
{
	struct recs *r = arg;
	nw_buf_add(&r->b, rec, n);
	nw_buf_addc(&r->b, '\n');
}

static void win(struct win_engine *e, struct win_route *rt, struct recs *out)
{
	if (win_engine_init(e, &cfg, no_aggs, 0, 0, names, slots, 1, collect,
	                    out) < 0)
		abort();
	win_route_init(rt, e, &cfg, no_aggs, 0, 0, names, slots, 1, collect, out);
}

static void ev(struct win_route *rt, int32_t part, const char *key, int64_t ts)
{
	struct jscan_val v[1] = { { 0 } };
	struct win_in in[1] = { { 0 } };

	win_route_partition(rt, "t", 1, part);
	v[0].type = JSCAN_STR, v[0].p = key, v[0].n = strlen(key);
	CHECK_INT(win_engine_event(rt->cur, ts, v, in), WIN_EV_OK);
}

/* The lines of buf that hold "key":"k". */
static char *only_key(const struct nw_buf *b, const char *k)
{
	struct nw_buf o = { 0 };
	char pat[64];
	const char *p = b->p, *end = b->p + b->len;

	snprintf(pat, sizeof pat, "\"key\":\"%s\"", k);
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (memmem(p, (size_t)(nl - p), pat, strlen(pat)))
			nw_buf_add(&o, p, (size_t)(nl - p + 1));
		p = nl + 1;
	}
	nw_buf_addc(&o, '\0');
	return o.p;
}

static char tmpdir[64];

TEST(part_adopted_fires_as_if_never_moved)
{
	struct win_engine e, f, g;
	struct win_route re, rf, rg;
	struct recs oe = { { 0 } }, of = { { 0 } }, og = { { 0 } };
	char *data, *a, *b;
	size_t len;
	struct nw_part pt;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/nwtkXXXXXX");
	CHECK(mkdtemp(tmpdir) != NULL);
	win(&e, &re, &oe);
	/* partition 0 carries key a, partition 1 key b */
	for (int64_t ts = 0; ts < 3000; ts += 100) {
		ev(&re, 0, "a", ts);
		ev(&re, 1, "b", ts + 50);
	}
	CHECK_INT(win_ckpt_save(&re, tmpdir, 1), 0);
	nw_buf_reset(&oe.b);                         /* what fires after it */
	CHECK_INT(nw_ckpt_load_id(tmpdir, "window", 1, &data, &len), 1);
	CHECK_INT(nw_parts_find(data, len, "t", 1, &pt), 1);
	CHECK_INT(nw_parts_find(data, len, "t", 7, &pt), 0);
	CHECK_INT(nw_parts_find(data, len, "t", 1, &pt), 1);

	/* another window takes partition 1 over with its part, while its
	 * own main engine is far ahead */
	win(&f, &rf, &of);
	ev(&rf, 5, "c", 60000);
	CHECK_INT(win_ckpt_adopt(&rf, "t", 1, 1, pt.data, pt.len), 0);
	CHECK_INT(rf.nsides, 1);
	CHECK_INT(win_route_find(&rf, "t", 1, 1)->keys, 1);

	/* the rest of partition 1 goes to both; the first also gets more of
	 * partition 0, which moves its watermark differently */
	for (int64_t ts = 3000; ts < 6000; ts += 100) {
		ev(&re, 0, "a", ts);
		ev(&re, 1, "b", ts + 50);
		ev(&rf, 1, "b", ts + 50);
	}
	CHECK_INT(win_route_find(&rf, "t", 1, 1)->late, 0);

	/* a snapshot with a side engine round-trips */
	CHECK_INT(win_ckpt_save(&rf, tmpdir, 2), 0);
	win(&g, &rg, &og);
	CHECK_INT(win_ckpt_load(&rg, tmpdir, 2), 0);
	CHECK_INT(rg.nsides, 1);
	CHECK_INT(win_route_find(&rg, "t", 1, 1)->keys, 1);
	CHECK_INT(g.keys, 1);                         /* c */
	ev(&rg, 1, "b", 6050);
	win_route_finish(&rg);

	win_route_finish(&re);
	win_route_finish(&rf);
	a = only_key(&oe.b, "b");
	b = only_key(&of.b, "b");
	CHECK(strlen(a) > 0);
	CHECK_STR(a, b);
	free(a);
	free(b);

	/* a cut part table is refused, never misread */
	CHECK(nw_parts_count(data, len - 3, &len) <= 0);
	free(data);
	win_route_free(&re);
	win_route_free(&rf);
	win_route_free(&rg);
	win_engine_free(&e);
	win_engine_free(&f);
	win_engine_free(&g);
	nw_buf_free(&oe.b);
	nw_buf_free(&of.b);
	nw_buf_free(&og.b);
	CHECK(t_rm_rf(tmpdir) == 0);
}

TEST(part_refused_starts_empty)
{
	struct win_engine e;
	struct win_route r;
	struct recs o = { { 0 } };

	win(&e, &r, &o);
	ev(&r, 1, "b", 1000);
	CHECK_INT(e.keys, 1);
	CHECK_INT(win_ckpt_adopt(&r, "t", 1, 1, "garbage", 7), -1);
	CHECK_INT(e.keys, 0);                        /* the main engine let go */
	CHECK_INT(r.nsides, 1);
	CHECK_INT(win_route_find(&r, "t", 1, 1)->keys, 0);
	CHECK_INT(win_ckpt_adopt(&r, "t", 1, 2, NULL, 0), 0);   /* no state */
	CHECK_INT(r.nsides, 2);
	win_route_free(&r);
	win_engine_free(&e);
	nw_buf_free(&o.b);
}

int main(void)
{
	nw_log_init("test_window_takeover");
	RUN(part_adopted_fires_as_if_never_moved);
	RUN(part_refused_starts_empty);
	return t_done();
}
