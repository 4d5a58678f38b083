/* test_detect_baseline.c - the maths of baseline and spike rules: warm-up
 * counted in non-overlapping windows, k deviations with the relative
 * minimum, the floor, anomalies learned only up to the bound, the TTL and
 * the --max-keys bound, the spike's previous window and minimum count, and
 * snapshots that restore the same future. */
#include <math.h>
#include <stdlib.h>
#include "t.h"
#include "baseline.h"
#include "dpart.h"

/* A spec from JSON text (the rule's "baseline" or "spike" member). */
static struct base_spec spec(int kind, const char *text)
{
	struct base_spec s;
	char err[256];
	json_t *o = json_loads(text, 0, NULL);

	if (base_spec_json(&s, kind, o, err, sizeof err) < 0)
		printf("  spec %s: %s\n", text, err);
	json_decref(o);
	return s;
}

/* One record of key: a 60 s window ending at end_s seconds. */
static int step(struct base_table *t, const struct base_spec *s,
                const char *key, int64_t end_s, double x, struct base_out *o)
{
	return base_step(t, s, key, strlen(key), base_hash(key, strlen(key)),
	                 (end_s - 60) * 1000, end_s * 1000, x, o);
}

TEST(warmup_counts_non_overlapping_windows)
{
	struct base_spec s = spec(BASE_EWMA, "{\"value\":\"v\",\"warmup\":3}");
	struct base_table t;
	struct base_out o;
	int64_t end;

	base_init(&t, 0, 0);
	/* Windows of 60 s sliding by 10 s: the first record is the key's
	 * partial window, then one sample a minute (ends 120, 180, 240); a
	 * huge value during the warm-up never fires. */
	for (end = 60; end <= 240; end += 10)
		CHECK_INT(step(&t, &s, "a", end, end == 200 ? 1e9 : 100, &o), BASE_COLD);
	CHECK_INT(step(&t, &s, "a", 250, 100, &o), BASE_NO);
	CHECK(o.bound > 100);
	base_free(&t);
	base_spec_free(&s);
}

/* Feed key steady values until it is warm (warmup 2 samples). */
static void learn(struct base_table *t, const struct base_spec *s,
                  const char *key, double v)
{
	struct base_out o;
	for (int64_t end = 60; end <= 180; end += 60)
		step(t, s, key, end, v, &o);
}

/* A table of an EWMA rule where key "a" has learned a steady 100. */
static void learned(struct base_table *t, struct base_spec *s,
                    const char *json)
{
	*s = spec(BASE_EWMA, json);
	base_init(t, 0, 0);
	learn(t, s, "a", 100);
}

TEST(k_deviations_with_relative_minimum)
{
	struct base_spec s;
	struct base_table t;
	struct base_out o;

	learned(&t, &s, "{\"value\":\"v\",\"warmup\":2,\"k\":4,\"min_dev\":0.1}");
	learn(&t, &s, "b", 100);
	/* no variance: a deviation is 10 % of the mean, bound 100 + 4 * 10 */
	CHECK_INT(step(&t, &s, "a", 240, 139, &o), BASE_NO);
	CHECK(o.bound == 140 && o.ref == 100);
	CHECK_INT(step(&t, &s, "b", 240, 141, &o), BASE_FIRE);
	base_free(&t);
	base_spec_free(&s);

	/* a noisy key: the measured deviation rules */
	s = spec(BASE_EWMA, "{\"value\":\"v\",\"warmup\":4,\"k\":3,\"min_dev\":0}");
	base_init(&t, 0, 0);
	for (int i = 0; i <= 4; i++)
		step(&t, &s, "n", 60 * (i + 1), i % 2 ? 150 : 50, &o);
	CHECK_INT(step(&t, &s, "n", 360, 120, &o), BASE_NO);
	CHECK(o.bound > 150 && o.bound < 300);
	CHECK_INT(step(&t, &s, "n", 420, 400, &o), BASE_FIRE);
	base_free(&t);
	base_spec_free(&s);
}

TEST(floor_and_clipped_learning)
{
	struct base_spec s;
	struct base_table t;
	struct base_out o;

	learned(&t, &s, "{\"value\":\"v\",\"warmup\":2,\"floor\":1000}");
	/* far above its normal but under the floor: quiet */
	CHECK_INT(step(&t, &s, "a", 240, 500, &o), BASE_NO);
	CHECK(o.bound == 1000);
	/* a burst is learned only up to the bound (under 200 then): the mean
	 * moves by a fraction of that */
	CHECK_INT(step(&t, &s, "a", 300, 1e9, &o), BASE_FIRE);
	CHECK(o.bound == 1000);
	step(&t, &s, "a", 360, 100, &o);
	CHECK(o.ref > 100 && o.ref < 150);
	base_free(&t);
	base_spec_free(&s);
}

TEST(ttl_forgets_in_event_time)
{
	struct base_spec s = spec(BASE_EWMA, "{\"value\":\"v\",\"warmup\":2}");
	struct base_table t;
	struct base_out o;

	base_init(&t, 0, 120000);
	learn(&t, &s, "a", 100);                     /* last seen at 180 s */
	for (int64_t end = 60; end <= 300; end += 60)
		step(&t, &s, "b", end, 100, &o);
	CHECK_INT(t.n, 2);                           /* 300 - 180 <= 120: kept */
	step(&t, &s, "b", 360, 100, &o);
	CHECK_INT(t.n, 1);
	CHECK_INT(t.forgotten, 1);                   /* 360 - 180 > 120 */
	CHECK_INT(step(&t, &s, "a", 420, 1e9, &o), BASE_COLD);
	CHECK_INT(t.n, 2);
	base_free(&t);
	base_spec_free(&s);
}

TEST(max_keys_forgets_least_recently_seen)
{
	struct base_spec s = spec(BASE_EWMA, "{\"value\":\"v\",\"warmup\":2}");
	struct base_table t;
	struct base_out o;
	char key[16];

	base_init(&t, 3, 0);
	learn(&t, &s, "old", 100);
	learn(&t, &s, "kept", 100);
	learn(&t, &s, "k2", 100);
	step(&t, &s, "kept", 200, 100, &o);          /* seen again: youngest */
	for (int i = 0; i < 50; i++) {
		snprintf(key, sizeof key, "n%d", i);
		step(&t, &s, key, 200, 100, &o);
		CHECK(t.n <= 3);
	}
	CHECK_INT(t.forgotten, 50);
	CHECK_INT(step(&t, &s, "old", 240, 1e9, &o), BASE_COLD);
	base_free(&t);

	/* with room for one more, the key seen last survives the newcomers */
	base_init(&t, 3, 0);
	learn(&t, &s, "old", 100);
	learn(&t, &s, "kept", 100);
	step(&t, &s, "old", 200, 100, &o);
	step(&t, &s, "x", 200, 100, &o);
	step(&t, &s, "y", 200, 100, &o);             /* forgets kept, not old */
	CHECK_INT(step(&t, &s, "old", 240, 1e9, &o), BASE_FIRE);
	base_free(&t);

	/* many keys: the table grows and still finds every one */
	base_init(&t, 0, 0);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 5000; i++) {
			snprintf(key, sizeof key, "h%d", i);
			step(&t, &s, key, 60 + 60 * pass, 100, &o);
		}
	CHECK_INT(t.n, 5000);
	CHECK_INT(t.forgotten, 0);
	base_free(&t);
	base_spec_free(&s);
}

TEST(spike_previous_window_and_min_count)
{
	struct base_spec s = spec(BASE_SPIKE,
		"{\"value\":\"v\",\"ratio\":3,\"min\":100}");
	struct base_table t;
	struct base_out o;
	int64_t end;

	base_init(&t, 0, 0);
	/* a new key has no reference */
	CHECK_INT(step(&t, &s, "new", 60, 1000, &o), BASE_NO);
	for (end = 60; end <= 170; end += 10)
		step(&t, &s, "a", end, 10, &o);
	/* the window [120, 180) against [60, 120) (value 10): 3x, but under
	 * the minimum count */
	CHECK_INT(step(&t, &s, "a", 180, 90, &o), BASE_NO);
	CHECK(o.ref == 10 && o.bound == 100);
	/* [130, 190) against [70, 130) */
	CHECK_INT(step(&t, &s, "a", 190, 100, &o), BASE_FIRE);
	/* no window ended at this one's start (a gap): no reference */
	CHECK_INT(step(&t, &s, "a", 205, 1000, &o), BASE_NO);
	CHECK(isnan(o.ref));
	base_free(&t);
	base_spec_free(&s);

	/* a reference of zero is not traffic: nothing to compare with */
	s = spec(BASE_SPIKE, "{\"value\":\"v\",\"ratio\":2,\"min\":1,\"ref_min\":0}");
	base_init(&t, 0, 0);
	step(&t, &s, "z", 60, 0, &o);
	CHECK_INT(step(&t, &s, "z", 120, 50, &o), BASE_NO);
	CHECK_INT(step(&t, &s, "z", 180, 101, &o), BASE_FIRE);
	base_free(&t);
	base_spec_free(&s);
}

/* Run the same tail of records on two tables; verdicts and bounds equal. */
static void same_future(struct base_table *a, struct base_table *b,
                        const struct base_spec *s)
{
	struct base_out oa, ob;
	bool same = true;

	for (int64_t end = 400; end <= 1000; end += 10) {
		double x = end % 170 == 0 ? 5000 : 100 + (double)(end % 37);
		int va = step(a, s, end % 20 ? "k1" : "k2", end, x, &oa);
		int vb = step(b, s, end % 20 ? "k1" : "k2", end, x, &ob);
		same &= va == vb && memcmp(&oa, &ob, sizeof oa) == 0;
	}
	CHECK(same);
}

TEST(snapshot_restores_the_same_future)
{
	const char *specs[2] = { "{\"value\":\"v\",\"warmup\":3,\"alpha\":0.3}",
	                         "{\"value\":\"v\",\"ratio\":2,\"min\":50}" };

	for (int kind = BASE_EWMA; kind <= BASE_SPIKE; kind++) {
		struct base_spec s = spec(kind, specs[kind - BASE_EWMA]);
		struct base_table a, b;
		struct base_out o;
		json_t *snap;
		char *text;

		base_init(&a, 0, 0);
		base_init(&b, 0, 0);
		for (int64_t end = 60; end < 400; end += 10)
			step(&a, &s, end % 20 ? "k1" : "k2", end, 100 + (double)(end % 23), &o);
		snap = base_save(&a, DPART_ALL);
		text = json_dumps(snap, JSON_COMPACT);
		json_decref(snap);
		snap = json_loads(text, 0, NULL);
		step(&b, &s, "junk", 50, 1, &o);             /* replaced by the load */
		CHECK_INT(base_load(&b, kind, snap), 0);
		CHECK_INT(b.n, 2);
		same_future(&a, &b, &s);
		json_decref(snap);
		free(text);
		snap = json_loads("{\"now\":1,\"keys\":[[\"x\",1]]}", 0, NULL);
		CHECK_INT(base_load(&b, kind, snap), -1);
		CHECK_INT(b.n, 0);
		/* a baseline's keys are refused by a spike rule (they have no
		 * ring; a spike's keys look like those of a "cold": "spike"
		 * baseline, and rules.c checks the rule's kind) */
		json_decref(snap);
		snap = base_save(&a, DPART_ALL);
		if (kind == BASE_EWMA)
			CHECK_INT(base_load(&b, BASE_SPIKE, snap), -1);
		json_decref(snap);
		base_free(&a);
		base_free(&b);
		base_spec_free(&s);
	}
}

TEST(cold_spike_busy_from_the_start_or_rising)
{
	struct base_spec s = spec(BASE_EWMA,
		"{\"value\":\"v\",\"warmup\":3,\"cold\":\"spike\"}");
	struct base_table t, u;
	struct base_out o;
	json_t *snap;
	int fired = 0;

	base_init(&t, 0, 0);
	base_init(&u, 0, 0);
	/* "busy" is in the first window read (ends at 60 s): no verdict until
	 * its previous window lies after 60 s, and a steady value never
	 * fires; "new" appears at 100 s and rises from 0 at once. */
	for (int64_t end = 60; end <= 170; end += 10) {
		fired += step(&t, &s, "busy", end, 3000, &o) == BASE_FIRE;
		if (end == 100)
			CHECK_INT(step(&t, &s, "new", end, 2500, &o), BASE_FIRE);
	}
	CHECK_INT(fired, 0);
	/* busy's window ending at 180 looks back at the one ending at 120,
	 * wholly after the first window: a threefold rise fires */
	CHECK_INT(step(&t, &s, "busy", 180, 9000, &o), BASE_FIRE);
	CHECK(o.ref == 3000);
	/* the first window and who was in it survive a snapshot */
	snap = base_save(&t, DPART_ALL);
	CHECK_INT(base_load(&u, BASE_EWMA, snap), 0);
	CHECK_INT(step(&u, &s, "busy", 190, 3000, &o), BASE_NO);
	CHECK_INT(step(&u, &s, "busy", 250, 3000 * 3, &o), BASE_FIRE);
	json_decref(snap);
	base_free(&t);
	base_free(&u);
	base_spec_free(&s);
}

/* A partition's learned keys go to another table: the part holds them
 * alone, the adopter's keys of that partition are replaced and its other
 * keys kept, and an adopted warm key fires as it would have. */
TEST(partition_part_taken_over)
{
	struct base_spec s = spec(BASE_EWMA, "{\"value\":\"v\",\"warmup\":2,"
	                                     "\"floor\":10}");
	uint32_t p1 = dpart_intern("nw", 2, 1), p2 = dpart_intern("nw", 2, 2);
	struct base_table t, u;
	struct base_out o;
	json_t *part, *bad;

	base_init(&t, 0, 0);
	base_init(&u, 0, 0);
	dpart_set_current(p1);
	learn(&t, &s, "a", 100);
	dpart_set_current(p2);
	learn(&t, &s, "b", 100);
	part = base_save(&t, p1);
	CHECK_INT(json_array_size(json_object_get(part, "keys")), 1);

	dpart_set_current(p1);
	learn(&u, &s, "stale", 100);        /* the adopter's old view of p1 */
	dpart_set_current(p2);
	learn(&u, &s, "own", 100);
	bad = json_pack("{s:I,s:[[s]]}", "now", (json_int_t)0, "keys", "x");
	CHECK_INT(base_adopt(&u, BASE_EWMA, bad, p1), -1);
	CHECK_INT(u.n, 2);
	CHECK_INT(base_adopt(&u, BASE_EWMA, part, p1), 0);
	CHECK_INT(u.n, 2);                  /* own and a; stale replaced */
	CHECK_INT(u.forgotten, 0);
	dpart_set_current(p1);
	CHECK_INT(step(&u, &s, "a", 240, 100, &o), BASE_NO);    /* warm */
	CHECK_INT(step(&u, &s, "a", 300, 1000, &o), BASE_FIRE);
	CHECK_INT(step(&u, &s, "stale", 300, 1000, &o), BASE_COLD);
	dpart_set_current(0);
	json_decref(part);
	json_decref(bad);
	base_free(&t);
	base_free(&u);
	base_spec_free(&s);
}

TEST(spec_errors)
{
	struct base_spec s;
	char err[256];
	json_t *o = json_loads("{\"value\":\"v\",\"kk\":4}", 0, NULL);

	CHECK_INT(base_spec_json(&s, BASE_EWMA, o, err, sizeof err), -1);
	CHECK_STR(err, "unknown key \"kk\" (known: value, k, floor, warmup, alpha, "
	          "min_dev, cold, ratio)");
	json_decref(o);
	o = json_loads("{\"value\":\"v\",\"alpha\":2}", 0, NULL);
	CHECK_INT(base_spec_json(&s, BASE_EWMA, o, err, sizeof err), -1);
	CHECK_STR(err, "\"alpha\" must be a number from 1e-06 to 1");
	base_spec_free(&s);
	json_decref(o);
}

int main(void)
{
	RUN(warmup_counts_non_overlapping_windows);
	RUN(partition_part_taken_over);
	RUN(k_deviations_with_relative_minimum);
	RUN(floor_and_clipped_learning);
	RUN(ttl_forgets_in_event_time);
	RUN(max_keys_forgets_least_recently_seen);
	RUN(spike_previous_window_and_min_count);
	RUN(snapshot_restores_the_same_future);
	RUN(cold_spike_busy_from_the_start_or_rising);
	RUN(spec_errors);
	dpart_free();
	return t_done();
}
