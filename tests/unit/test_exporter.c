/* The exporter's exposition writer and stats-field table: families come
 * out grouped with HELP and TYPE, label values and help are escaped,
 * milliseconds become exact seconds, each stats field gets its type from
 * the table (throttle's levels as gauges, counters with _total), the
 * structured fields (partitions, rules, watermark, mode) their own
 * metrics, an unknown field an untyped one, a bad line nothing. */
#include "nw.h"
#include "t.h"
#include "fields.h"
#include "http.h"
#include "prom.h"

#include <stdlib.h>
#include <string.h>

/* The rendered page of one stats line of stage st. */
static char *render_line(const char *st, const char *line, int *rc)
{
	struct prom p;
	struct nw_buf b = { 0 };
	struct prom_lset ls = prom_with((struct prom_lset){ .n = 0 }, "stage", st);
	struct fld_ctx c = { &p, ls, st, 0 };

	prom_init(&p);
	*rc = fld_stats_line(&c, line, strlen(line));
	prom_render(&p, &b);
	prom_free(&p);
	nw_buf_addc(&b, '\0');
	return b.p;
}

static bool has(const char *page, const char *want)
{
	return strstr(page, want) != NULL;
}

TEST(families_grouped_and_escaped)
{
	struct prom p;
	struct nw_buf b = { 0 };
	struct prom_lset a = prom_with((struct prom_lset){ .n = 0 }, "rule",
	                               "say \"hi\"\\\n");

	prom_init(&p);
	prom_u64(prom_family(&p, "a_total", PROM_COUNTER, "A's help\\ok\nx"),
	         NULL, 1);
	prom_u64(prom_family(&p, "b", PROM_GAUGE, "B."), &a, 2);
	prom_u64(prom_family(&p, "a_total", PROM_GAUGE, "ignored"), &a, 3);
	prom_family(&p, "empty", PROM_GAUGE, "no samples: not rendered");
	prom_render(&p, &b);
	nw_buf_addc(&b, '\0');
	CHECK_STR(b.p,
	          "# HELP netwatch_a_total A's help\\\\ok\\nx\n"
	          "# TYPE netwatch_a_total counter\n"
	          "netwatch_a_total 1\n"
	          "netwatch_a_total{rule=\"say \\\"hi\\\"\\\\\\n\"} 3\n"
	          "# HELP netwatch_b B.\n"
	          "# TYPE netwatch_b gauge\n"
	          "netwatch_b{rule=\"say \\\"hi\\\"\\\\\\n\"} 2\n");
	nw_buf_free(&b);
	prom_free(&p);
}

TEST(values_and_names)
{
	struct prom p;
	struct nw_buf b = { 0 };
	struct prom_fam *f;
	char name[32];

	prom_init(&p);
	f = prom_family(&p, "v", PROM_GAUGE, "v");
	prom_ms(f, NULL, 1234);
	prom_ms(f, NULL, -5);
	prom_ms(f, NULL, 0);
	prom_i64(f, NULL, -7);
	prom_dbl(f, NULL, 0.5);
	prom_render(&p, &b);
	nw_buf_addc(&b, '\0');
	CHECK(has(b.p, "netwatch_v 1.234\nnetwatch_v -0.005\nnetwatch_v 0.000\n"
	          "netwatch_v -7\nnetwatch_v 0.5\n"));
	prom_name(name, sizeof name, "kcat-src.x y");
	CHECK_STR(name, "kcat_src_x_y");
	nw_buf_free(&b);
	prom_free(&p);
}

TEST(table_types)
{
	int rc;
	char *pg = render_line("throttle",
		"{\"stage\":\"throttle\",\"pid\":9,\"time_ms\":1000,"
		"\"uptime_ms\":2500,\"lines_in\":10,\"mode\":\"closed\","
		"\"passed\":4,\"queued\":3,\"redis_up\":1,\"local_keys\":8,"
		"\"brand_new\":2.5,\"rates\":{\"lines_in\":1.0}}", &rc);

	CHECK_INT(rc, 0);
	CHECK(has(pg, "# TYPE netwatch_stage_lines_in_total counter\n"
	          "netwatch_stage_lines_in_total{stage=\"throttle\"} 10\n"));
	CHECK(has(pg, "netwatch_stage_uptime_seconds{stage=\"throttle\"} 2.500\n"));
	CHECK(has(pg, "netwatch_stage_stats_timestamp_seconds{stage=\"throttle\"} 1.000\n"));
	CHECK(has(pg, "# TYPE netwatch_throttle_passed_total counter\n"));
	CHECK(has(pg, "# TYPE netwatch_throttle_queued_alerts gauge\n"
	          "netwatch_throttle_queued_alerts{stage=\"throttle\"} 3\n"));
	CHECK(has(pg, "# TYPE netwatch_throttle_redis_up gauge\n"));
	CHECK(has(pg, "# TYPE netwatch_throttle_local_keys gauge\n"));
	CHECK(has(pg, "netwatch_throttle_on_redis_down_info{stage=\"throttle\","
	          "mode=\"closed\"} 1\n"));
	CHECK(has(pg, "# TYPE netwatch_throttle_brand_new untyped\n"
	          "netwatch_throttle_brand_new{stage=\"throttle\"} 2.5\n"));
	CHECK(!has(pg, "pid"));
	CHECK(!has(pg, "rates"));
	free(pg);
}

TEST(same_field_per_stage)
{
	int rc;
	char *n = render_line("notify", "{\"delivered\":5,\"waiting\":2}", &rc);
	char *k = render_line("kcat-src", "{\"delivered\":6}", &rc);

	CHECK(has(n, "netwatch_notify_delivered_total{stage=\"notify\"} 5\n"));
	CHECK(has(n, "# TYPE netwatch_notify_queue_alerts gauge\n"
	          "netwatch_notify_queue_alerts{stage=\"notify\"} 2\n"));
	CHECK(has(k, "netwatch_kcat_src_delivered_total{stage=\"kcat-src\"} 6\n"));
	free(n);
	free(k);
}

TEST(structured_fields)
{
	int rc;
	char *w = render_line("window", "{\"time_ms\":10000,\"watermark\":7500}",
	                      &rc);
	char *u = render_line("window",
		"{\"time_ms\":10000,\"watermark\":-9223372036854775808}", &rc);
	char *k = render_line("kcat-src", "{\"partitions\":[{\"topic\":\"t\","
		"\"partition\":3,\"owned\":true,\"next\":10,\"lag\":4},{\"topic\":"
		"\"t\",\"partition\":4,\"owned\":false,\"next\":-1,\"lag\":-1}]}", &rc);
	char *d = render_line("detect", "{\"rules\":{\"r1\":{\"fired\":2,"
		"\"missing_field\":1,\"div_by_zero\":0}}}", &rc);

	CHECK(has(w, "netwatch_window_watermark_timestamp_seconds{stage=\"window\"} 7.500\n"));
	CHECK(has(w, "netwatch_window_watermark_delay_seconds{stage=\"window\"} 2.500\n"));
	CHECK(!has(u, "watermark"));
	CHECK(has(k, "netwatch_kcat_src_partition_lag_messages{stage=\"kcat-src\","
	          "topic=\"t\",partition=\"3\"} 4\n"));
	CHECK(!has(k, "partition=\"4\"} -1"));
	CHECK(has(k, "netwatch_kcat_src_partition_owned{stage=\"kcat-src\","
	          "topic=\"t\",partition=\"4\"} 0\n"));
	CHECK(has(d, "# TYPE netwatch_detect_rule_fired_total counter\n"
	          "netwatch_detect_rule_fired_total{stage=\"detect\",rule=\"r1\"} 2\n"));
	CHECK(has(d, "netwatch_detect_rule_missing_field_total{stage=\"detect\","
	          "rule=\"r1\"} 1\n"));
	free(w);
	free(u);
	free(k);
	free(d);
}

TEST(bad_line_adds_nothing)
{
	int rc;
	char *pg = render_line("window", "{\"lines_in\":5,\"late\":", &rc);

	CHECK_INT(rc, -1);
	CHECK_STR(pg, "");
	free(pg);
	pg = render_line("window", "[1,2]", &rc);
	CHECK_INT(rc, -1);
	free(pg);
}

TEST(listen_addresses)
{
	char h[64], p[16], err[200];

	CHECK_INT(http_split_addr("127.0.0.1:9464", h, sizeof h, p, sizeof p,
	                          err, sizeof err), 0);
	CHECK_STR(h, "127.0.0.1");
	CHECK_STR(p, "9464");
	CHECK_INT(http_split_addr("[::1]:80", h, sizeof h, p, sizeof p, err,
	                          sizeof err), 0);
	CHECK_STR(h, "::1");
	CHECK_INT(http_split_addr(":9464", h, sizeof h, p, sizeof p, err,
	                          sizeof err), -1);
	CHECK(strstr(err, "give the address") != NULL);
	CHECK_INT(http_split_addr("localhost", h, sizeof h, p, sizeof p, err,
	                          sizeof err), -1);
	CHECK_INT(http_split_addr("[::1]9", h, sizeof h, p, sizeof p, err,
	                          sizeof err), -1);
}

int main(void)
{
	RUN(families_grouped_and_escaped);
	RUN(values_and_names);
	RUN(table_types);
	RUN(same_field_per_stage);
	RUN(structured_fields);
	RUN(bad_line_adds_nothing);
	RUN(listen_addresses);
	return t_done();
}
