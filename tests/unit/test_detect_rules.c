/* test_detect_rules.c - rules files, --rule, record parsing, alerts. */
#include <stdlib.h>
#include "t.h"
#include "rules.h"

static struct nw_buf got;      /* alert lines emitted, '\n'-separated */
static int nalerts;

static void cap(const char *line, size_t n)
{
	nw_buf_add(&got, line, n);
	nw_buf_addc(&got, '\n');
	nalerts++;
}

static struct rule_set *load_json(const char *json, char *err, size_t len)
{
	struct rule_set *rs = calloc(1, sizeof *rs);
	if (rule_set_add_json(rs, json, strlen(json), "t.json", err, len) < 0) {
		rule_set_free(rs);
		return NULL;
	}
	rs->val = calloc((size_t)rs->syms.n + 1, sizeof *rs->val);
	rs->ref = calloc((size_t)rs->syms.n + 1, sizeof *rs->ref);
	rs->stamp = calloc((size_t)rs->syms.n + 1, sizeof *rs->stamp);
	return rs;
}

static const char *json_err(const char *json)
{
	static char err[512];
	struct rule_set *rs = load_json(json, err, sizeof err);
	if (rs) {
		rule_set_free(rs);
		return "(loaded)";
	}
	return err;
}

static const char *flag_err(const char *spec)
{
	static char err[512];
	char *flags[1] = { (char *)spec };
	struct rule_src src = { .flags = flags, .nflags = 1 };
	struct rule_set *rs = rule_set_load(&src, err, sizeof err);
	if (rs) {
		rule_set_free(rs);
		return "(loaded)";
	}
	return err;
}

/* Run one record line through rs; returns the dead-letter reason or NULL. */
static const char *run(struct rule_set *rs, const char *line)
{
	static struct rec r;
	const char *why;

	nw_buf_reset(&got);
	nalerts = 0;
	why = rec_parse(&r, line, strlen(line));
	if (why == NULL)
		rule_set_apply(rs, &r, cap);
	return why;
}

#define REC(key_field, key, rest) \
	"{\"type\":\"window\",\"key_field\":\"" key_field "\",\"key\":\"" key \
	"\",\"window_start\":1763711940000,\"window_end\":1763712000000," rest "}"

TEST(default_rules)
{
	char err[256];
	struct rule_set *rs = rule_set_load(&(struct rule_src){ 0 },
	                                    err, sizeof err);
	static const char *const names[] = { "data_exfiltration", "port_scan",
		"flood", "packet_flood", "reset_storm", "latency_spike",
		"bytes_baseline", "sources_baseline",
		"listed_destination", "listed_source", "slow_scan" };

	CHECK(rs != NULL);
	if (rs == NULL)
		return;
	CHECK_INT(rs->n, 11);
	for (int i = 0; i < 11 && i < rs->n; i++)
		CHECK_STR(rs->v[i].name, names[i]);
	rule_set_free(rs);
}

TEST(seed_message_exact)
{
	char err[256];
	struct rule_set *rs = rule_set_load(&(struct rule_src){ 0 },
	                                    err, sizeof err);

	CHECK(run(rs, REC("src_ip", "10.0.0.5", "\"count\":12,\"sum_bytes_sent\":61234567")) == NULL);
	CHECK_INT(nalerts, 1);
	CHECK(strstr(got.p, "\"message\":\"DATA EXFILTRATION DETECTED! IP: 10.0.0.5 "
	             "transferred 61234567 bytes in 60s.\"") != NULL);
	CHECK(strstr(got.p, "\"alert_id\":\"9d16da436911daa4\"") != NULL);
	CHECK(strstr(got.p, "\"value\":61234567,\"threshold\":50000000,") != NULL);
	/* exactly at the threshold: "more than" does not fire */
	run(rs, REC("src_ip", "10.0.0.5", "\"count\":12,\"sum_bytes_sent\":50000000"));
	CHECK_INT(nalerts, 0);
	/* the same bytes toward one destination are not exfiltration */
	run(rs, REC("dst_ip", "10.0.0.5", "\"count\":12,\"sum_bytes_sent\":61234567"));
	CHECK_INT(nalerts, 0);
	rule_set_free(rs);
}

TEST(alert_layout)
{
	char err[256];
	struct rule_set *rs = load_json("[{\"name\":\"r\",\"severity\":\"info\","
		"\"when\":\"avg_latency_ms > 1000\"}]", err, sizeof err);

	CHECK(rs != NULL);
	run(rs, REC("src_ip", "1.2.3.4", "\"count\":3,\"avg_latency_ms\":2500.25,"
	    "\"approx\":[\"distinct_src_ip\"]"));
	CHECK(strncmp(got.p, "{\"type\":\"alert\",\"alert_id\":\"", 28) == 0);
	CHECK(strstr(got.p, "\",\"rule\":\"r\",\"severity\":\"info\",\"key_field\":\"src_ip\","
	             "\"key\":\"1.2.3.4\",\"window_start\":1763711940000,\"window_end\":"
	             "1763712000000,\"metric\":\"avg_latency_ms\",\"value\":2500.25,"
	             "\"threshold\":1000,\"message\":\"r src_ip 1.2.3.4: avg_latency_ms "
	             "2500.25 (threshold 1000) in 60s\",\"aggregates\":{\"count\":3,"
	             "\"avg_latency_ms\":2500.25,\"approx\":[\"distinct_src_ip\"]}}\n") != NULL);
	rule_set_free(rs);
}

TEST(flag_rules)
{
	char err[256];
	char *flags[] = { "big: sum_bytes_sent > 5e7", " ratio : rst_count / count >= 0.8" };
	struct rule_src src = { .flags = flags, .nflags = 2 };
	struct rule_set *rs = rule_set_load(&src, err, sizeof err);

	CHECK(rs != NULL);
	if (rs == NULL)
		return;
	CHECK_INT(rs->n, 2);
	CHECK_STR(rs->v[0].metric, "sum_bytes_sent");
	CHECK(rs->v[0].threshold == 5e7);
	CHECK_INT(rs->v[0].severity, SEV_WARNING);
	CHECK_STR(rs->v[1].name, "ratio");
	CHECK_STR(rs->v[1].metric, "rst_count");
	CHECK(rs->v[1].threshold == 0.8);
	run(rs, REC("src_ip", "9.9.9.9", "\"count\":0,\"rst_count\":0,\"sum_bytes_sent\":6e7"));
	CHECK_INT(nalerts, 1);
	CHECK_INT(rs->v[1].div_by_zero, 1);
	run(rs, REC("src_ip", "9.9.9.9", "\"count\":10"));
	CHECK_INT(nalerts, 0);
	CHECK_INT(rs->v[0].missing_field, 1);
	CHECK_INT(rs->v[1].missing_field, 1);
	rule_set_free(rs);
}

TEST(flag_rule_errors)
{
	CHECK_STR(flag_err("no colon here"), "--rule 'no colon here': expected 'NAME: EXPRESSION'");
	CHECK_STR(flag_err("bad name: a > 1"), "--rule 'bad name: a > 1': the name must "
	          "be letters, digits, '_', '-' or '.' (at most 64)");
	CHECK_STR(flag_err("x: a > b"), "--rule: rule \"x\": when: compares nothing with "
	          "a number, so the threshold is unknown (give \"threshold\")");
	CHECK_STR(flag_err("x: count >> 3"), "--rule: rule \"x\": when: column 8: expected "
	          "a field, a number, '(', '-' or '!', found '>'");
	CHECK_STR(flag_err("x: 1 > 0"), "--rule: rule \"x\": when: names no field, so "
	          "there is no metric to report");
}

TEST(file_errors)
{
	CHECK_STR(json_err("[{\"name\":\"a\",\"when\":\"x > 1\",\"sevrity\":\"info\"}]"),
	          "t.json: rule \"a\": unknown key \"sevrity\" (known: name, severity, "
	          "when, metric, threshold, message, key_field, baseline, spike)");
	CHECK_STR(json_err("[{\"name\":\"a\",\"when\":\"x > 1\",\"severity\":\"high\"}]"),
	          "t.json: rule \"a\": \"severity\" must be \"info\", \"warning\" or \"critical\"");
	CHECK_STR(json_err("[{\"name\":\"a\"}]"),
	          "t.json: rule \"a\": \"when\" (the expression) is missing");
	CHECK_STR(json_err("[{\"when\":\"x > 1\"}]"),
	          "t.json: rule #1: \"name\" must be a string of letters, digits, '_', "
	          "'-' or '.' (at most 64)");
	CHECK_STR(json_err("[{\"name\":\"a\",\"when\":\"x > 1\"},{\"name\":\"a\",\"when\":\"x > 2\"}]"),
	          "t.json: rule \"a\": rule name used twice");
	CHECK_STR(json_err("[{\"name\":\"a\",\"when\":\"x > (1\"}]"),
	          "t.json: rule \"a\": when: column 7: expected ')' to close '(' of "
	          "column 5, found end of expression");
	CHECK_STR(json_err("[{\"name\":\"a\",\"when\":\"x > 1\",\"message\":\"x {oops\"}]"),
	          "t.json: rule \"a\": message: column 8: expected a field name and '}' "
	          "after '{' (write '{{' for a brace)");
	CHECK_STR(json_err("[{\"name\":\"a\",\"when\":\"x > 1\",\"threshold\":\"1\"}]"),
	          "t.json: rule \"a\": \"threshold\" must be a number");
	CHECK_STR(json_err("[]"), "t.json: expected a non-empty array of rules, or "
	          "{\"rules\":[…]}");
	CHECK_STR(json_err("{\"rules\":[],\"x\":1}"), "t.json: expected a non-empty "
	          "array of rules, or {\"rules\":[…]}");
	CHECK_STR(json_err("[{\"name\":"), "t.json: line 1 column 9: unexpected token near end of file");
}

TEST(templates)
{
	char err[256];
	struct rule_set *rs = load_json("{\"rules\":[{\"name\":\"t\",\"when\":\"count > 0\","
		"\"message\":\"{{{key}}} {key_field} {window_seconds}s {window_start}-"
		"{window_end} {rule}/{severity} {metric}={value}>{threshold} "
		"ratio={avg_x} s={s} arr={approx} gone={nope}\"}]}", err, sizeof err);

	CHECK(rs != NULL);
	if (rs == NULL) {
		printf("  %s\n", err);
		return;
	}
	run(rs, "{\"type\":\"window\",\"key_field\":\"k\",\"key\":\"v\",\"window_start\":0,"
	    "\"window_end\":90500,\"count\":7,\"avg_x\":0.333333,\"s\":\"str\","
	    "\"approx\":[\"a\"]}");
	CHECK(strstr(got.p, "\"message\":\"{v} k 90.5s 0-90500 t/warning count=7>0 "
	             "ratio=0.33 s=str arr=[\\\"a\\\"] gone={nope}\"") != NULL);
	rule_set_free(rs);
}

TEST(record_reasons)
{
	char err[256];
	struct rule_set *rs = rule_set_load(&(struct rule_src){ 0 },
	                                    err, sizeof err);

	CHECK(strncmp(run(rs, "not json"), "not JSON: ", 10) == 0);
	CHECK_STR(run(rs, "[1,2]"), "not a window record: not a JSON object");
	CHECK_STR(run(rs, "{\"type\":\"event\"}"), "not a window record: \"type\" is not \"window\"");
	CHECK_STR(run(rs, "{\"type\":\"window\",\"key\":\"x\"}"),
	          "window record without a string \"key_field\"");
	CHECK_STR(run(rs, "{\"type\":\"window\",\"key_field\":\"src_ip\",\"key\":1}"),
	          "window record without a string \"key\"");
	CHECK_STR(run(rs, "{\"type\":\"window\",\"key_field\":\"a\",\"key\":\"b\","
	              "\"window_start\":1.5,\"window_end\":2}"),
	          "window record without an integer \"window_start\"");
	CHECK_STR(run(rs, "{\"type\":\"window\",\"key_field\":\"a\",\"key\":\"b\","
	              "\"window_start\":1}"),
	          "window record without an integer \"window_end\"");
	CHECK_STR(run(rs, "{\"type\":\"window\",\"key_field\":\"a\",\"key\":\"b\","
	              "\"window_start\":5,\"window_end\":5}"),
	          "window record with window_end not after window_start");
	CHECK_STR(run(rs, REC("src_ip", "a", "\"count\":1,\"count\":2")),
	          "invalid JSON: duplicate key");
	CHECK(strncmp(run(rs, REC("src_ip", "a", "\"count\":1e999")), "not JSON", 8) == 0);
	CHECK(strncmp(run(rs, REC("src_ip", "a", "\"count\":01")), "not JSON", 8) == 0);
	CHECK(strncmp(run(rs, REC("src_ip", "a", "\"count\":1} x")), "not JSON", 8) == 0);
	CHECK(run(rs, REC("src_ip", "a", "\"count\":1")) == NULL);
	/* past int64: not JSON, as for jansson; 19 digits within it are fine */
	CHECK(run(rs, REC("src_ip", "a", "\"count\":9999999999999999999,\"sum_bytes_sent\":1234567890123456789")) != NULL);
	CHECK(run(rs, REC("src_ip", "a", "\"count\":1,\"sum_bytes_sent\":1234567890123456789")) == NULL);
	CHECK_INT(nalerts, 1);
	CHECK(strstr(got.p, "\"sum_bytes_sent\":1234567890123456789}") != NULL);
	rule_set_free(rs);
}

/* Blanks and escapes in a record change nothing in its alerts. */
TEST(spacing_and_escapes_do_not_change_alerts)
{
	char err[256];
	struct rule_set *rs = rule_set_load(&(struct rule_src){ 0 },
	                                    err, sizeof err);
	char *plain, *odd;

	run(rs, REC("src_ip", "10.0.0.7", "\"count\":300,\"sum_bytes_sent\":60000000,"
	    "\"avg_latency_ms\":2345.678901234,\"rst_count\":280,\"approx\":[]"));
	CHECK_INT(nalerts, 3);
	plain = strdup(got.p);
	run(rs, "{ \"type\" : \"window\", \"key_field\":\"src_\\u0069p\",\"key\":\"10.0.0.7\","
	    "\"window_start\":1763711940000,\"window_end\":1763712000000,\"count\":300,"
	    "\"sum_bytes_sent\":60000000,\"avg_latency_ms\":2345.678901234,"
	    "\"rst_count\":280,\"approx\":[] }");
	odd = strdup(got.p);
	CHECK_STR(odd, plain);
	free(plain);
	free(odd);
	rule_set_free(rs);
}

/* A repeated member name is refused the same way whatever else the record
 * holds (escapes, non-ASCII text, nesting), and wherever the repeat is. */
TEST(duplicate_names_rejected_whatever_the_line_holds)
{
	char err[256];
	struct rule_set *rs = rule_set_load(&(struct rule_src){ 0 },
	                                    err, sizeof err);
	static const char *const dups[] = {
		REC("src_ip", "a", "\"count\":1,\"x\":1,\"x\":2"),
		REC("src_ip", "a", "\"count\":1,\"x\":1,\"x\":2,\"e\":\"\\u00e9\""),
		REC("src_ip", "a", "\"count\":1,\"x\":1,\"x\":2,\"e\":\"\xc3\xa9\""),
		REC("src_ip", "a", "\"count\":1,\"x\":1,\"\\u0078\":2"),
		REC("src_ip", "a", "\"count\":1,\"o\":{\"y\":1,\"y\":2}"),
		REC("src_ip", "a", "\"count\":1,\"window_end\":1763712000000"),
	};

	for (size_t i = 0; i < sizeof dups / sizeof dups[0]; i++)
		CHECK_STR(run(rs, dups[i]), "invalid JSON: duplicate key");
	CHECK(run(rs, REC("src_ip", "a", "\"count\":1,\"x\":1,\"e\":\"\\u00e9\"")) == NULL);
	rule_set_free(rs);
}

TEST(numbers_format)
{
	struct nw_buf b = { 0 };
#define FJ(v, s) do { nw_buf_reset(&b); rule_fmt_json(&b, v); CHECK_STR(b.p, s); } while (0)
#define FT(v, s) do { nw_buf_reset(&b); rule_fmt_text(&b, v); CHECK_STR(b.p, s); } while (0)
	FJ(61234567, "61234567");
	FJ(0.1, "0.1");
	FJ(3000.123456, "3000.123456");
	FJ(-2.5, "-2.5");
	FJ(1e20, "1e+20");
	FJ(1.0 / 3, "0.3333333333333333");
	FT(60, "60");
	FT(90.5, "90.5");
	FT(3000.123456, "3000.12");
	FT(2.5, "2.5");
	FT(0.333333, "0.33");
	FT(0.000123, "0.000123");
	nw_buf_free(&b);
}

int main(void)
{
	RUN(default_rules);
	RUN(seed_message_exact);
	RUN(alert_layout);
	RUN(flag_rules);
	RUN(flag_rule_errors);
	RUN(file_errors);
	RUN(templates);
	RUN(record_reasons);
	RUN(spacing_and_escapes_do_not_change_alerts);
	RUN(duplicate_names_rejected_whatever_the_line_holds);
	RUN(numbers_format);
	nw_buf_free(&got);
	return t_done();
}
