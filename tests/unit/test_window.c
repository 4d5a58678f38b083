/* Unit tests for window: timestamps in every unit, window assignment,
 * watermark and lateness at every boundary, output order, key limits and
 * freeing, distinct counting accuracy, aggregate specs, real formatting. */
#include "nw.h"
#include "t.h"
#include "agg.h"
#include "dset.h"
#include "engine.h"
#include "event.h"
#include "jscan.h"
#include "wtime.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- timestamps ------------------------------------------------------- */

/* The timestamp of {"timestamp":<json>} in unit, or a negative error. */
static int64_t ts_of(const char *json, enum win_tunit unit)
{
	struct jscan_paths p;
	struct jscan_val vals[4];
	char line[256], scratch[256];
	int64_t ms = -1;

	jscan_paths_init(&p, JSCAN_DUP_REJECT);
	int slot = jscan_paths_add(&p, "timestamp");
	snprintf(line, sizeof line, "{\"timestamp\":%s}", json);
	if (jscan_scan(&p, line, strlen(line), vals, scratch) != JSCAN_OK)
		ms = -100;
	else {
		enum win_ts_err e = win_ts_from(&vals[slot], unit, &ms);
		if (e != WTS_OK)
			ms = -(int64_t)e;
	}
	jscan_paths_free(&p);
	return ms;
}

TEST(timestamps_each_unit)
{
	CHECK_INT(ts_of("1763711997", WT_S), 1763711997000);
	CHECK_INT(ts_of("1763711997123", WT_MS), 1763711997123);
	CHECK_INT(ts_of("1763711997123456", WT_US), 1763711997123);
	CHECK_INT(ts_of("1763711997123456789", WT_NS), 1763711997123);
	CHECK_INT(ts_of("1763711997.1239", WT_S), 1763711997123);
	CHECK_INT(ts_of("1.763711997e9", WT_S), 1763711997000);
	CHECK_INT(ts_of("17637119971.5e-1", WT_MS), 1763711997);
	CHECK_INT(ts_of("0", WT_S), 0);
	CHECK_INT(ts_of("0.0009", WT_S), 0);
	CHECK_INT(ts_of("-0", WT_S), 0);
	CHECK_INT(ts_of("-1", WT_MS), -WTS_RANGE);
	CHECK_INT(ts_of("253402300799999", WT_MS), WIN_TS_MAX);
	CHECK_INT(ts_of("253402300800000", WT_MS), -WTS_RANGE);
	CHECK_INT(ts_of("1e300", WT_S), -WTS_RANGE);
	CHECK_INT(ts_of("\"1763711997\"", WT_S), -WTS_TYPE);
	CHECK_INT(ts_of("true", WT_AUTO), -WTS_TYPE);
	CHECK_INT(ts_of("null", WT_AUTO), -WTS_MISSING);
	CHECK_INT(ts_of("1763711997", WT_RFC3339), -WTS_TYPE);
}

TEST(timestamps_auto_by_magnitude)
{
	CHECK_INT(ts_of("1763711997", WT_AUTO), 1763711997000);
	CHECK_INT(ts_of("1763711997123", WT_AUTO), 1763711997123);
	CHECK_INT(ts_of("1763711997123456", WT_AUTO), 1763711997123);
	CHECK_INT(ts_of("1763711997123456789", WT_AUTO), 1763711997123);
	CHECK_INT(ts_of("99999999999", WT_AUTO), 99999999999000);  /* < 1e11: s */
	CHECK_INT(ts_of("100000000000", WT_AUTO), 100000000000);   /* ms */
	CHECK_INT(ts_of("99999999999999", WT_AUTO), 99999999999999);
	CHECK_INT(ts_of("100000000000000", WT_AUTO), 100000000000); /* us */
	CHECK_INT(ts_of("\"2025-11-21T07:59:57Z\"", WT_AUTO), 1763711997000);
}

TEST(timestamps_rfc3339)
{
	CHECK_INT(ts_of("\"2025-11-21T07:59:57Z\"", WT_RFC3339), 1763711997000);
	CHECK_INT(ts_of("\"2025-11-21t07:59:57.123456z\"", WT_RFC3339), 1763711997123);
	CHECK_INT(ts_of("\"2025-11-21 08:59:57.5+01:00\"", WT_RFC3339), 1763711997500);
	CHECK_INT(ts_of("\"2025-11-21T02:29:57-05:30\"", WT_RFC3339), 1763711997000);
	CHECK_INT(ts_of("\"1970-01-01T00:00:00Z\"", WT_RFC3339), 0);
	CHECK_INT(ts_of("\"2024-02-29T00:00:00Z\"", WT_RFC3339), 1709164800000);
	CHECK_INT(ts_of("\"9999-12-31T23:59:59.999Z\"", WT_RFC3339), WIN_TS_MAX);
	CHECK_INT(ts_of("\"1969-12-31T23:59:59Z\"", WT_RFC3339), -WTS_RANGE);
	CHECK_INT(ts_of("\"2025-02-29T00:00:00Z\"", WT_RFC3339), -WTS_BAD);
	CHECK_INT(ts_of("\"2025-13-01T00:00:00Z\"", WT_RFC3339), -WTS_BAD);
	CHECK_INT(ts_of("\"2025-11-21T07:59:57\"", WT_RFC3339), -WTS_BAD);
	CHECK_INT(ts_of("\"2025-11-21T07:59:57.Z\"", WT_RFC3339), -WTS_BAD);
	CHECK_INT(ts_of("\"2025-11-21T24:00:00Z\"", WT_RFC3339), -WTS_BAD);
	CHECK_INT(ts_of("\"2025-11-21T07:59:57Zjunk\"", WT_RFC3339), -WTS_BAD);
	CHECK_INT(ts_of("\"yesterday\"", WT_AUTO), -WTS_BAD);
}

/* ---- the engine --------------------------------------------------------- */

static char out[4 << 20];
static size_t outlen;
static int nrec;

static void collect(const char *rec, size_t n, const struct win_tag *tag, void *arg)
{
	(void)arg;
	if (outlen + n + 1 < sizeof out) {
		memcpy(out + outlen, rec, n);
		outlen += n;
		out[outlen++] = '\n';
		out[outlen] = '\0';
	}
	nrec++;
}

static struct win_agg no_aggs[1];

static void eng_new(struct win_engine *e, int64_t size, int64_t slide,
                    int64_t bound, int64_t lateness, uint64_t max_keys,
                    int nkeys)
{
	static const char *const names[] = { "src_ip", "dst_ip" };
	static const int slots[] = { 1, 2 };
	struct win_cfg c = { size, slide, bound, lateness, max_keys };
	outlen = 0;
	out[0] = '\0';
	nrec = 0;
	if (win_engine_init(e, &c, no_aggs, 0, 0, names, slots, nkeys, collect, NULL) < 0)
		abort();
}

static enum win_ev ev2(struct win_engine *e, int64_t ts, const char *k1,
                       const char *k2)
{
	struct jscan_val v[3] = { { 0 } };
	struct win_in in[1] = { { 0 } };
	v[1].type = JSCAN_STR, v[1].p = k1, v[1].n = (uint32_t)strlen(k1);
	v[2].type = JSCAN_STR, v[2].p = k2, v[2].n = (uint32_t)strlen(k2);
	return win_engine_event(e, ts, v, in);
}

static enum win_ev ev(struct win_engine *e, int64_t ts, const char *k)
{
	return ev2(e, ts, k, "d");
}

/* Does the output hold a record for key k, window_end end, count n? */
static bool has(const char *k, int64_t end, int n)
{
	char a[128], b[128];
	snprintf(a, sizeof a, "\"key\":\"%s\",", k);
	snprintf(b, sizeof b, "\"window_end\":%lld,\"count\":%d}", (long long)end, n);
	for (char *line = out; *line; ) {
		char *nl = strchr(line, '\n');
		*nl = '\0';
		bool m = strstr(line, a) && strstr(line, b);
		*nl = '\n';
		if (m)
			return true;
		line = nl + 1;
	}
	return false;
}

TEST(event_exactly_at_window_end_opens_next_window)
{
	struct win_engine e;
	eng_new(&e, 10000, 10000, 0, 0, 100, 1);
	CHECK_INT(ev(&e, 9999, "a"), WIN_EV_OK);
	CHECK_INT(nrec, 0);
	CHECK_INT(ev(&e, 10000, "a"), WIN_EV_OK);  /* wm 9999 = end - 1: fires */
	CHECK_INT(nrec, 1);
	CHECK(has("a", 10000, 1));
	win_engine_finish(&e);
	CHECK(has("a", 20000, 1));
	CHECK_INT(nrec, 2);
	CHECK(strstr(out, "\"window_start\":10000,\"window_end\":20000") != NULL);
	win_engine_free(&e);
}

TEST(event_at_slide_boundary_is_in_size_over_slide_windows)
{
	struct win_engine e;
	eng_new(&e, 60000, 10000, 5000, 0, 100, 1);
	ev(&e, 10000, "a");
	ev(&e, 9999, "b");
	win_engine_finish(&e);
	for (int64_t end = 20000; end <= 70000; end += 10000)
		CHECK(has("a", end, 1));
	CHECK(!has("a", 10000, 1));
	CHECK(!has("a", 80000, 1));
	for (int64_t end = 10000; end <= 60000; end += 10000)
		CHECK(has("b", end, 1));
	CHECK(!has("b", 70000, 1));
	CHECK_INT(nrec, 12);
	win_engine_free(&e);
}

TEST(watermark_fires_at_end_minus_one)
{
	struct win_engine e;
	eng_new(&e, 10000, 10000, 5000, 0, 100, 1);
	ev(&e, 0, "a");
	ev(&e, 14999, "a");          /* wm 9998: window [0,10000) still open */
	CHECK_INT(nrec, 0);
	CHECK_INT(e.wm, 9998);
	ev(&e, 15000, "a");          /* wm 9999 */
	CHECK_INT(nrec, 1);
	CHECK(has("a", 10000, 1));
	win_engine_free(&e);
}

TEST(one_ms_before_watermark_is_late_without_lateness)
{
	struct win_engine e;
	eng_new(&e, 10000, 10000, 5000, 0, 100, 1);
	ev(&e, 0, "a");
	ev(&e, 15000, "a");          /* wm 9999: [0,10000) fired */
	CHECK_INT(ev(&e, 9999, "a"), WIN_EV_LATE);
	CHECK_INT(e.late, 1);
	CHECK_INT(ev(&e, 10000, "a"), WIN_EV_OK);
	CHECK_INT(ev(&e, 0, "zz"), WIN_EV_LATE);
	win_engine_finish(&e);
	CHECK(has("a", 20000, 2));
	CHECK_INT(nrec, 2);
	win_engine_free(&e);
}

TEST(allowed_lateness_refires_updated_record)
{
	struct win_engine e;
	eng_new(&e, 10000, 10000, 5000, 1, 100, 1);
	ev(&e, 0, "a");
	ev(&e, 15000, "a");          /* wm 9999 */
	CHECK_INT(nrec, 1);
	CHECK_INT(ev(&e, 9999, "a"), WIN_EV_OK);   /* 9999 + 1 > wm: re-fire */
	CHECK_INT(nrec, 2);
	CHECK(has("a", 10000, 2));
	CHECK_INT(e.refired, 1);
	ev(&e, 15001, "a");          /* wm 10000 = end - 1 + lateness */
	CHECK_INT(ev(&e, 9999, "a"), WIN_EV_LATE);
	win_engine_finish(&e);
	win_engine_free(&e);
}

TEST(timestamp_zero_and_far_future)
{
	struct win_engine e;
	eng_new(&e, 60000, 10000, 5000, 0, 100, 1);
	ev(&e, 0, "a");
	ev(&e, WIN_TS_MAX, "a");     /* the watermark leaps: no endless loop */
	CHECK_INT(nrec, 6);
	CHECK(strstr(out, "\"window_start\":-50000,\"window_end\":10000,\"count\":1") != NULL);
	CHECK(has("a", 60000, 1));
	CHECK_INT(ev(&e, 1000, "a"), WIN_EV_LATE);
	win_engine_finish(&e);
	CHECK_INT(nrec, 12);
	CHECK(has("a", 253402300850000, 1));   /* last window of the far event */
	CHECK_INT(e.keys, 0);
	CHECK_INT(e.panes, 0);
	win_engine_free(&e);
}

TEST(order_is_end_then_key_field_then_key_bytewise)
{
	struct win_engine e;
	eng_new(&e, 10000, 10000, 0, 0, 100, 2);
	ev2(&e, 1, "b", "z");
	ev2(&e, 2, "ab", "y");
	ev2(&e, 3, "a", "z");
	ev2(&e, 4, "\xc3\xa9", "y");
	ev2(&e, 10001, "a", "y");
	win_engine_finish(&e);
	const char *want[] = { "\"src_ip\",\"key\":\"a\"", "\"src_ip\",\"key\":\"ab\"",
	                       "\"src_ip\",\"key\":\"b\"", "\"src_ip\",\"key\":\"\xc3\xa9\"",
	                       "\"dst_ip\",\"key\":\"y\"", "\"dst_ip\",\"key\":\"z\"",
	                       "\"src_ip\",\"key\":\"a\"", "\"dst_ip\",\"key\":\"y\"" };
	char *p = out;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		char *q = strstr(p, want[i]);
		char *nl = strchr(p, '\n');
		CHECK(q != NULL && nl != NULL && q < nl);
		if (nl)
			p = nl + 1;
	}
	CHECK_INT(nrec, 8);
	win_engine_free(&e);
}

TEST(key_state_freed_and_key_limit)
{
	struct win_engine e;
	eng_new(&e, 10000, 10000, 0, 0, 2, 1);
	CHECK_INT(ev(&e, 1, "a"), WIN_EV_OK);
	CHECK_INT(ev(&e, 2, "b"), WIN_EV_OK);
	CHECK_INT(ev(&e, 3, "c"), WIN_EV_KEY_LIMIT);
	CHECK_INT(ev(&e, 4, "a"), WIN_EV_OK);
	CHECK_INT(e.keys, 2);
	CHECK_INT(e.key_limit, 1);
	CHECK_INT(ev(&e, 10000, "c"), WIN_EV_KEY_LIMIT);  /* a, b still open */
	CHECK_INT(ev(&e, 10001, "a"), WIN_EV_OK);  /* fires [0,10000): b freed */
	CHECK_INT(e.keys, 1);
	CHECK_INT(ev(&e, 10002, "c"), WIN_EV_OK);
	CHECK(has("a", 10000, 2));
	CHECK(has("b", 10000, 1));
	win_engine_finish(&e);
	CHECK_INT(e.keys, 0);
	CHECK_INT(e.panes, 0);
	win_engine_free(&e);
}

TEST(many_keys_come_out_sorted)
{
	struct win_engine e;
	char k[16], prev[64] = "", pend[32] = "";
	eng_new(&e, 20000, 10000, 0, 0, 100000, 1);
	for (int i = 0; i < 5000; i++) {   /* keys arrive between firings */
		snprintf(k, sizeof k, "k%d", (i * 7919) % 5000);
		ev(&e, (int64_t)i * 6, k);
	}
	win_engine_finish(&e);
	win_engine_free(&e);
	CHECK_INT(nrec, 10000);
	for (char *line = out; *line; ) {
		char *nl = strchr(line, '\n'), key[64], end[32];
		if (sscanf(line, "{\"type\":\"window\",\"key_field\":\"src_ip\",\"key\":\"%63[^\"]\","
		           "\"window_start\":%*d,\"window_end\":%31[0-9]", key, end) != 2) {
			CHECK(0);
			break;
		}
		if (strcmp(end, pend) == 0 && strcmp(prev, key) >= 0) {
			printf("  %s after %s in window_end %s\n", key, prev, end);
			CHECK(0);
			break;
		}
		snprintf(prev, sizeof prev, "%s", key);
		snprintf(pend, sizeof pend, "%s", end);
		line = nl + 1;
	}
}

/* ---- distinct ----------------------------------------------------------- */

TEST(distinct_exact_then_sketch_within_2_percent)
{
	static const uint64_t sizes[] = { 1, 2, 3, 500, 1024, 1025, 3000, 20000, 100000, 1000000 };
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		struct win_dset d = { 0 }, m = { 0 };
		bool approx;
		char v[32];
		for (uint64_t i = 0; i < sizes[s]; i++) {
			int n = snprintf(v, sizeof v, "10.%u.%u.%u", (unsigned)(i >> 16),
			                 (unsigned)(i >> 8 & 255), (unsigned)(i & 255));
			win_dset_add(&d, win_hash(v, (size_t)n, 7));
			win_dset_add(&d, win_hash(v, (size_t)n, 7));   /* duplicates */
		}
		uint64_t c = win_dset_count(&d, &approx);
		if (sizes[s] <= WIN_DSET_CAP) {
			CHECK(!approx);
			CHECK_INT(c, sizes[s]);
		} else {
			double err = fabs((double)c - (double)sizes[s]) / (double)sizes[s];
			CHECK(approx);
			if (err > 0.02)
				printf("  n=%llu estimate=%llu\n", (unsigned long long)sizes[s],
				       (unsigned long long)c);
			CHECK(err <= 0.02);
		}
		win_dset_merge(&m, &d);
		win_dset_merge(&m, &d);
		CHECK_INT(win_dset_count(&m, &approx), c);
		win_dset_free(&d);
		win_dset_free(&m);
	}
}

TEST(distinct_numbers_by_value)
{
	struct jscan_val a = { .type = JSCAN_INT, .i = 443, .d = 443 };
	struct jscan_val b = { .type = JSCAN_REAL, .d = 443.0 };
	struct jscan_val c = { .type = JSCAN_STR, .p = "443", .n = 3 };
	CHECK(win_hash_jval(&a) == win_hash_jval(&b));
	CHECK(win_hash_jval(&a) != win_hash_jval(&c));
}

/* ---- aggregate specs and formatting --------------------------------------- */

TEST(agg_specs)
{
	struct win_agg a;
	char err[256];
	CHECK_INT(win_agg_parse("max(app_layer.status_code)", &a, err, sizeof err), 0);
	CHECK_STR(a.name, "max_app_layer_status_code");
	CHECK_STR(a.field, "app_layer.status_code");
	win_agg_free(&a);
	CHECK_INT(win_agg_parse("rst=count_if(flags contains \"RST\")", &a, err, sizeof err), 0);
	CHECK_STR(a.name, "rst");
	CHECK_INT(a.op, WO_CONTAINS);
	CHECK_STR(a.vs, "RST");
	CHECK(!a.vnum);
	win_agg_free(&a);
	CHECK_INT(win_agg_parse("big=count_if(bytes_sent>=5e7)", &a, err, sizeof err), 0);
	CHECK_INT(a.op, WO_GE);
	CHECK(a.vnum && a.vd == 5e7);
	win_agg_free(&a);
	CHECK_INT(win_agg_parse("udp=count_if(protocol = UDP)", &a, err, sizeof err), 0);
	CHECK_INT(a.op, WO_EQ);
	win_agg_free(&a);
	static const char *const bad[] = {
		"sum", "sum()", "median(x)", "sum(a..b)", "sum(x", "count_if(x > 1)",
		"n=count_if(x ~ 1)", "n=count_if(x >)", "sum(x) ", "a.b=sum(x)",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = win_agg_parse(bad[i], &a, err, sizeof err);
		if (rc == 0)
			printf("  accepted bad spec %s\n", bad[i]);
		CHECK(rc < 0);
	}
}

TEST(reals_print_as_jansson_prints_them)
{
	static const double v[] = {
		0.1, 1.0, 47.0, 35.5, 34.714285714285715, 2.0 / 3, 1e20, 1e21, 1e-5,
		123456789012345678.0, 1.5e300, -0.0, 5e-324, -2.5, 1e16, 1e17,
		9007199254740993.0, 0.000123, 1763711997.123,
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct nw_buf b = { 0 };
		json_t *j = json_real(v[i]);
		char *s = json_dumps(j, JSON_ENCODE_ANY);
		win_fmt_real(&b, v[i]);
		nw_buf_addc(&b, '\0');
		CHECK_STR(b.p, s);
		free(s);
		json_decref(j);
		nw_buf_free(&b);
	}
}

/* ---- duplicate member names ------------------------------------------------ */

/* A repeated member name dead-letters the event the same way whatever else
 * the line holds (escapes, non-ASCII text), wherever the repeat is (a
 * wanted field or not, nested, escaped). */
TEST(duplicate_names_dead_lettered_whatever_the_line_holds)
{
	struct win_parser p;
	struct win_agg a;
	const char *keys[] = { "src_ip" };
	char err[256];
	int64_t ts;
	static const char *const dups[] = {
		"{\"timestamp\":1,\"src_ip\":\"a\",\"x\":1,\"x\":2}",
		"{\"timestamp\":1,\"src_ip\":\"a\",\"x\":1,\"x\":2,\"e\":\"\\u00e9\"}",
		"{\"timestamp\":1,\"src_ip\":\"a\",\"x\":1,\"x\":2,\"e\":\"\xc3\xa9\"}",
		"{\"timestamp\":1,\"src_ip\":\"a\",\"src_ip\":\"b\"}",
		"{\"timestamp\":1,\"src_ip\":\"a\",\"src\\u005fip\":\"b\"}",
		"{\"timestamp\":1,\"src_ip\":\"a\",\"app_layer\":{\"status_code\":1,\"status_code\":2}}",
		"{\"timestamp\":1,\"src_ip\":\"a\",\"flags\":[{\"k\":1,\"k\":2}]}",
	};

	CHECK_INT(win_agg_parse("max(app_layer.status_code)", &a, err, sizeof err), 0);
	CHECK_INT(win_parser_init(&p, "timestamp", WT_AUTO, keys, 1, &a, 1, err,
	                          sizeof err), 0);
	for (size_t i = 0; i < sizeof dups / sizeof dups[0]; i++)
		CHECK_STR(win_parse_event(&p, dups[i], strlen(dups[i]), &ts),
		          "invalid JSON: duplicate key");
	static const char ok[] = "{\"timestamp\":1,\"src_ip\":\"a\",\"x\":1,\"e\":\"\\u00e9\"}";
	CHECK(win_parse_event(&p, ok, strlen(ok), &ts) == NULL);
	win_parser_free(&p);
	win_agg_free(&a);
}

int main(void)
{
	RUN(timestamps_each_unit);
	RUN(timestamps_auto_by_magnitude);
	RUN(timestamps_rfc3339);
	RUN(event_exactly_at_window_end_opens_next_window);
	RUN(event_at_slide_boundary_is_in_size_over_slide_windows);
	RUN(watermark_fires_at_end_minus_one);
	RUN(one_ms_before_watermark_is_late_without_lateness);
	RUN(allowed_lateness_refires_updated_record);
	RUN(timestamp_zero_and_far_future);
	RUN(order_is_end_then_key_field_then_key_bytewise);
	RUN(key_state_freed_and_key_limit);
	RUN(many_keys_come_out_sorted);
	RUN(distinct_exact_then_sketch_within_2_percent);
	RUN(distinct_numbers_by_value);
	RUN(agg_specs);
	RUN(reals_print_as_jansson_prints_them);
	RUN(duplicate_names_dead_lettered_whatever_the_line_holds);
	return t_done();
}
