/* test_window_geo.c - spread_km's maths (window/geo.c) and keys made of
 * parts and array elements (window/kspec.c, through the parser). */
#include "t.h"
#include "agg.h"
#include "engine.h"
#include "event.h"
#include "geo.h"

#include <math.h>

#define NEAR(a, b, tol) CHECK(fabs((a) - (b)) <= (tol))

TEST(great_circle_distances)
{
	/* same place, pole to pole along a meridian, a quarter and half of
	 * the equator (exact multiples of the radius) */
	NEAR(win_geo_km(51.5, -0.12, 51.5, -0.12), 0, 1e-9);
	NEAR(win_geo_km(0, 0, 0, 90), M_PI / 2 * WIN_EARTH_KM, 1e-6);
	NEAR(win_geo_km(0, 0, 0, 180), M_PI * WIN_EARTH_KM, 1e-6);
	NEAR(win_geo_km(90, 0, -90, 0), M_PI * WIN_EARTH_KM, 1e-6);
	/* near-antipodes stay finite (rounding may push haversine's a past 1) */
	CHECK(win_geo_km(10, 20, -10, -160) <= M_PI * WIN_EARTH_KM + 1e-6);
	/* every longitude is the same point at a pole */
	NEAR(win_geo_km(90, 0, 90, 120), 0, 1e-6);
	/* across the date line: 2 degrees of the equator, not 358 */
	NEAR(win_geo_km(0, 179, 0, -179), 2 * M_PI / 180 * WIN_EARTH_KM, 1e-6);
	/* symmetric */
	NEAR(win_geo_km(48.8566, 2.3522, 51.5074, -0.1278),
	     win_geo_km(51.5074, -0.1278, 48.8566, 2.3522), 1e-9);
	/* published great-circle distances: London-Paris 343.5 km,
	 * London-New York 5570 km, Sydney-London 16994 km */
	NEAR(win_geo_km(51.5074, -0.1278, 48.8566, 2.3522), 343.5, 1.0);
	NEAR(win_geo_km(51.5074, -0.1278, 40.7128, -74.0060), 5570, 5);
	NEAR(win_geo_km(-33.8688, 151.2093, 51.5074, -0.1278), 16994, 10);
	/* short distances keep their precision: 0.001 degree of latitude */
	NEAR(win_geo_km(45, 7, 45.001, 7), 0.001 * M_PI / 180 * WIN_EARTH_KM, 1e-6);
}

TEST(spread_state_add_and_merge)
{
	struct win_geo g = { 0 }, a = { 0 }, b = { 0 };

	win_geo_add(&g, 51.5, -0.12);
	CHECK_INT(g.n, 1);
	NEAR(g.best, 0, 0);
	win_geo_add(&g, 51.5, -0.12);          /* the same place: kept once */
	CHECK_INT(g.n, 1);
	win_geo_add(&g, 48.85, 2.35);
	win_geo_add(&g, 40.71, -74.0);
	CHECK_INT(g.n, 3);
	NEAR(g.best, win_geo_km(48.85, 2.35, 40.71, -74.0), 1e-9);
	/* panes: the far pair split between two states is found on merge */
	win_geo_add(&a, 51.5, -0.12);
	win_geo_add(&b, -33.87, 151.21);
	win_geo_merge(&a, &b);
	NEAR(a.best, win_geo_km(51.5, -0.12, -33.87, 151.21), 1e-9);
	CHECK_INT(a.n, 2);
	/* merging is the same as adding every place to one state */
	struct win_geo one = { 0 }, x = { 0 }, y = { 0 };
	for (int i = 0; i < 6; i++) {
		win_geo_add(i % 2 ? &x : &y, i * 10.0, i * 20.0);
		win_geo_add(&one, i * 10.0, i * 20.0);
	}
	win_geo_merge(&x, &y);
	NEAR(x.best, one.best, 1e-9);
	/* bounded: past WIN_GEO_PTS places a new one is still measured */
	struct win_geo full = { 0 };
	for (int i = 0; i < WIN_GEO_PTS; i++)
		win_geo_add(&full, 50.0 + i * 0.01, 0);
	CHECK_INT(full.n, WIN_GEO_PTS);
	win_geo_add(&full, -50.0, 0);
	CHECK_INT(full.n, WIN_GEO_PTS);
	NEAR(full.best, win_geo_km(50.07, 0, -50.0, 0), 1e-9);
}

TEST(spread_km_aggregate_reads_lat_and_lon)
{
	struct win_agg a;
	struct win_parser p;
	char err[256];
	int64_t ts;
	const char *keys[] = { "user" };
	static const char ok[] = "{\"timestamp\":1,\"user\":\"u\",\"g\":{\"lat\":1.5,\"lon\":-2}}";
	static const char none[] = "{\"timestamp\":1,\"user\":\"u\",\"g\":{\"scope\":\"private\"}}";
	static const char bad[] = "{\"timestamp\":1,\"user\":\"u\",\"g\":{\"lat\":\"x\",\"lon\":2}}";

	CHECK_INT(win_agg_parse("spread_km(g)", &a, err, sizeof err), 0);
	CHECK_STR(a.name, "spread_km_g");
	CHECK_INT(win_parser_init(&p, "timestamp", WT_AUTO, keys, 1, &a, 1, err,
	                          sizeof err), 0);
	CHECK(win_parse_event(&p, ok, strlen(ok), &ts) == NULL);
	CHECK(p.in[0].has);
	NEAR(p.in[0].d, 1.5, 0);
	NEAR(p.in[0].lon, -2, 0);
	CHECK(win_parse_event(&p, none, strlen(none), &ts) == NULL);
	CHECK(!p.in[0].has);
	CHECK_STR(win_parse_event(&p, bad, strlen(bad), &ts), "wrong type for g.lat");
	win_parser_free(&p);
	win_agg_free(&a);
}

/* The keys the parser found for field i, joined by spaces. */
static void keys_of(const struct win_parser *p, int i, char *out, size_t n)
{
	out[0] = '\0';
	for (int j = p->kfirst[i]; j < p->kfirst[i + 1]; j++)
		snprintf(out + strlen(out), n - strlen(out), "%s%.*s", j > p->kfirst[i] ? " " : "",
		         (int)p->keys[j].n, p->keys[j].p);
}

TEST(keys_of_parts_and_array_elements)
{
	struct win_parser p;
	char err[256], got[512];
	int64_t ts;
	const char *keys[] = { "src_ip", "src_ip+d.lists[]", "d.lists[]", "user@1h" };
	static const char two[] = "{\"timestamp\":1,\"src_ip\":\"10.0.0.5\",\"user\":\"u\","
	                          "\"d\":{\"lists\":[\"drop\",\"fire\\u0068ol\",\"drop\"]}}";
	static const char none[] = "{\"timestamp\":1,\"src_ip\":\"10.0.0.6\",\"user\":\"u\",\"d\":{}}";
	static const char num[] = "{\"timestamp\":1,\"src_ip\":\"10.0.0.6\",\"user\":\"u\",\"d\":{\"lists\":[1]}}";

	CHECK_INT(win_parser_init(&p, "timestamp", WT_AUTO, keys, 4, NULL, 0, err,
	                          sizeof err), 0);
	CHECK(p.kspec[0].plain && !p.kspec[1].plain && !p.kspec[2].plain);
	CHECK_INT(p.kspec[3].size, 3600000);
	CHECK(win_parse_event(&p, two, strlen(two), &ts) == NULL);
	keys_of(&p, 0, got, sizeof got);
	CHECK_STR(got, "10.0.0.5");
	keys_of(&p, 1, got, sizeof got);      /* escapes decoded, repeats once */
	CHECK_STR(got, "10.0.0.5|drop 10.0.0.5|firehol");
	keys_of(&p, 2, got, sizeof got);
	CHECK_STR(got, "drop firehol");
	keys_of(&p, 3, got, sizeof got);
	CHECK_STR(got, "u");
	/* on no list: no key of the list fields, and not a dead letter */
	CHECK(win_parse_event(&p, none, strlen(none), &ts) == NULL);
	CHECK_INT(p.kfirst[2] - p.kfirst[1], 0);
	CHECK_INT(p.kfirst[3] - p.kfirst[2], 0);
	CHECK_STR(win_parse_event(&p, num, strlen(num), &ts),
	          "non-string key src_ip+d.lists[]");
	win_parser_free(&p);

	struct win_parser q;
	const char *badkeys[][1] = { { "a+" }, { "a@x" }, { "+a" }, { "a[]b" } };
	for (size_t i = 0; i < sizeof badkeys / sizeof badkeys[0]; i++) {
		CHECK_INT(win_parser_init(&q, "timestamp", WT_AUTO, badkeys[i], 1, NULL,
		                          0, err, sizeof err), -1);
		win_parser_free(&q);
	}
}

static char recs[4096];
static void collect(const char *rec, size_t n, const struct win_tag *tag, void *arg)
{
	snprintf(recs + strlen(recs), sizeof recs - strlen(recs), "%.*s\n", (int)n, rec);
}

/* A field with windows of its own size: same ends as the others, its own
 * start; sizes that would end elsewhere are refused. */
TEST(field_of_its_own_size)
{
	struct win_engine e;
	struct win_cfg c = { 10000, 10000, 0, 0, 100 };
	static const char *const names[] = { "a", "a@30s" };
	static const int slots[] = { 1, 1 };
	struct jscan_val v[2] = { { 0 } };
	struct win_in in[1] = { { 0 } };

	recs[0] = '\0';
	CHECK_INT(win_engine_init(&e, &c, NULL, 0, 0, names, slots, 2, collect, NULL), 0);
	CHECK_INT(win_engine_field_size(&e, 1, 25000), -1);   /* not whole slides away */
	CHECK_INT(win_engine_field_size(&e, 1, 5000), -1);    /* under the slide */
	CHECK_INT(win_engine_field_size(&e, 1, 30000), 0);
	v[1].type = JSCAN_STR, v[1].p = "k", v[1].n = 1;
	win_engine_event(&e, 1000, v, in);
	win_engine_event(&e, 25000, v, in);
	win_engine_finish(&e);
	CHECK_STR(recs,
	    "{\"type\":\"window\",\"key_field\":\"a\",\"key\":\"k\",\"window_start\":0,\"window_end\":10000,\"count\":1}\n"
	    "{\"type\":\"window\",\"key_field\":\"a@30s\",\"key\":\"k\",\"window_start\":-20000,\"window_end\":10000,\"count\":1}\n"
	    "{\"type\":\"window\",\"key_field\":\"a@30s\",\"key\":\"k\",\"window_start\":-10000,\"window_end\":20000,\"count\":1}\n"
	    "{\"type\":\"window\",\"key_field\":\"a\",\"key\":\"k\",\"window_start\":20000,\"window_end\":30000,\"count\":1}\n"
	    "{\"type\":\"window\",\"key_field\":\"a@30s\",\"key\":\"k\",\"window_start\":0,\"window_end\":30000,\"count\":2}\n"
	    "{\"type\":\"window\",\"key_field\":\"a@30s\",\"key\":\"k\",\"window_start\":10000,\"window_end\":40000,\"count\":1}\n"
	    "{\"type\":\"window\",\"key_field\":\"a@30s\",\"key\":\"k\",\"window_start\":20000,\"window_end\":50000,\"count\":1}\n");
	win_engine_free(&e);
}

int main(void)
{
	RUN(field_of_its_own_size);
	RUN(great_circle_distances);
	RUN(spread_state_add_and_merge);
	RUN(spread_km_aggregate_reads_lat_and_lon);
	RUN(keys_of_parts_and_array_elements);
	return t_done();
}
