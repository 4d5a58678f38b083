/* Unit tests for kcat-src: payload framing, dead-letter records, the
 * producer's key extraction, secret property names. */
#include "ksrc.h"
#include "t.h"

#include <jansson.h>
#include <string.h>

#define FRAME(s, at) ksrc_frame_check((s), sizeof(s) - 1, (at))

TEST(frame_accepts_json_and_multibyte_utf8)
{
	size_t at;
	CHECK_INT(FRAME("{\"a\":1}", &at), KSRC_FRAME_OK);
	CHECK_INT(at, 7);
	CHECK_INT(FRAME("h\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \t\r", &at), KSRC_FRAME_OK);
	CHECK_INT(FRAME("", &at), KSRC_FRAME_OK);
}

TEST(frame_rejects_newline_nul_and_bad_utf8_at_first_problem)
{
	size_t at;
	CHECK_INT(FRAME("ab\ncd", &at), KSRC_FRAME_NEWLINE); CHECK_INT(at, 2);
	CHECK_INT(FRAME("ab\0cd\n", &at), KSRC_FRAME_NUL); CHECK_INT(at, 2);
	CHECK_INT(FRAME("a\xff\n", &at), KSRC_FRAME_UTF8); CHECK_INT(at, 1);
	CHECK_INT(FRAME("\xc3\x28", &at), KSRC_FRAME_UTF8); CHECK_INT(at, 0);
	CHECK_INT(FRAME("x\xed\xa0\x80", &at), KSRC_FRAME_UTF8);   /* surrogate */
	CHECK_INT(FRAME("\xc0\xaf", &at), KSRC_FRAME_UTF8);        /* overlong */
	CHECK_INT(FRAME("\xe2\x9c", &at), KSRC_FRAME_UTF8);        /* cut short */
	/* Past the 8-byte fast path too. */
	CHECK_INT(FRAME("0123456789abcdef\n", &at), KSRC_FRAME_NEWLINE);
	CHECK_INT(at, 16);
}

static json_t *dlq_json(const char *p, size_t n)
{
	struct nw_buf b = { 0 };
	ksrc_dlq_record(&b, "why", "top\"ic", 3, 1234567890123LL, p, n);
	json_t *j = json_loadb(b.p, b.len, JSON_ALLOW_NUL, NULL);
	nw_buf_free(&b);
	return j;
}

TEST(dlq_record_is_json_with_location_and_lossless_payload)
{
	json_t *j = dlq_json("a\nb\0c", 5);
	CHECK(j != NULL);
	if (j) {
		CHECK_STR(json_string_value(json_object_get(j, "reason")), "why");
		CHECK_STR(json_string_value(json_object_get(j, "topic")), "top\"ic");
		CHECK_INT(json_integer_value(json_object_get(j, "partition")), 3);
		CHECK_INT(json_integer_value(json_object_get(j, "offset")), 1234567890123LL);
		json_t *line = json_object_get(j, "line");
		CHECK_INT(json_string_length(line), 5);
		CHECK(memcmp(json_string_value(line), "a\nb\0c", 5) == 0);
		CHECK(json_object_get(j, "line_base64") == NULL);
		json_decref(j);
	}
	j = dlq_json("\xff\xfe" "ab", 4);
	CHECK(j != NULL);
	if (j) {
		CHECK_STR(json_string_value(json_object_get(j, "line_base64")), "//5hYg==");
		json_decref(j);
	}
}

static const char *key_of(const char *line, const char *field)
{
	static char out[256];
	const char *v;
	size_t n;
	if (!ksrc_json_key(line, strlen(line), field, strlen(field), &v, &n))
		return "(none)";
	snprintf(out, sizeof out, "%.*s", (int)n, v);
	return out;
}

TEST(key_from_upstream_events)
{
	CHECK_STR(key_of("{\"timestamp\":1763711997,\"event_id\":\"6513\",\"src_ip\":"
	                 "\"10.0.0.5\",\"dst_ip\":\"8.8.8.8\",\"flags\":[\"ACK\"],"
	                 "\"app_layer\":{\"host\":\"a\"}}", "src_ip"), "10.0.0.5");
	CHECK_STR(key_of(" { \"src_ip\" : \"10.0.0.6\" } ", "src_ip"), "10.0.0.6");
	CHECK_STR(key_of("{\"dst_port\":443}", "dst_port"), "443");
}

TEST(key_only_from_a_top_level_member)
{
	/* nested, inside a string, as a value: none of these is the member */
	CHECK_STR(key_of("{\"tags\":{\"src_ip\":\"1.1.1.1\"}}", "src_ip"), "(none)");
	CHECK_STR(key_of("{\"note\":\"\\\"src_ip\\\":\\\"x\\\"\",\"src_ip\":\"2.2.2.2\"}",
	                 "src_ip"), "2.2.2.2");
	CHECK_STR(key_of("{\"a\":\"src_ip\",\"b\":[{\"src_ip\":1}],\"src_ip\":\"3.3.3.3\"}",
	                 "src_ip"), "3.3.3.3");
	CHECK_STR(key_of("{\"a\":\"x\\\\\",\"src_ip\":\"4.4.4.4\"}", "src_ip"), "4.4.4.4");
	CHECK_STR(key_of("{\"src_ip_v6\":\"::1\"}", "src_ip"), "(none)");
}

TEST(key_absent_null_container_or_malformed)
{
	CHECK_STR(key_of("{\"src_ip\":null}", "src_ip"), "(none)");
	CHECK_STR(key_of("{\"src_ip\":{\"a\":1}}", "src_ip"), "(none)");
	CHECK_STR(key_of("{\"src_ip\":[1]}", "src_ip"), "(none)");
	CHECK_STR(key_of("not json", "src_ip"), "(none)");
	CHECK_STR(key_of("[\"src_ip\",\"x\"]", "src_ip"), "(none)");
	CHECK_STR(key_of("{\"src_ip\":\"unterminated", "src_ip"), "(none)");
	CHECK_STR(key_of("{\"a\":1 \"src_ip\":\"x\"}", "src_ip"), "(none)");
	CHECK_STR(key_of("", "src_ip"), "(none)");
	CHECK_STR(key_of("{\"src_ip\":\"\"}", "src_ip"), "");
	CHECK_STR(key_of("{\"src_ip\":\"x\"} trailing", "src_ip"), "(none)");
	CHECK_STR(key_of("{\"src_ip\":\"x\",\"b\":tru}", "src_ip"), "(none)");
}

/* A string key keeps its escapes as written; a number is its token. */
TEST(key_bytes_as_written)
{
	CHECK_STR(key_of("{\"src_ip\":\"a\\u00e9\\\"b\"}", "src_ip"), "a\\u00e9\\\"b");
	CHECK_STR(key_of("{\"n\":-1.5e3}", "n"), "-1.5e3");
	CHECK_STR(key_of("{\"t\":true}", "t"), "true");
	CHECK_STR(key_of("{\"\\u0073rc_ip\":\"5.5.5.5\"}", "src_ip"), "5.5.5.5");
}

/* A repeated member name leaves the line without a key, the same way
 * whatever else it holds and whichever name repeats. */
TEST(key_none_for_duplicate_names)
{
	static const char *const dups[] = {
		"{\"src_ip\":\"a\",\"src_ip\":\"b\"}",
		"{\"src_ip\":\"a\",\"x\":1,\"x\":2}",
		"{\"src_ip\":\"a\",\"x\":1,\"x\":2,\"e\":\"\\u00e9\"}",
		"{\"src_ip\":\"a\",\"x\":1,\"x\":2,\"e\":\"\xc3\xa9\"}",
		"{\"src_ip\":\"a\",\"\\u0073rc_ip\":\"b\"}",
		"{\"src_ip\":\"a\",\"o\":{\"y\":1,\"y\":2}}",
	};

	for (size_t i = 0; i < sizeof dups / sizeof dups[0]; i++)
		CHECK_STR(key_of(dups[i], "src_ip"), "(none)");
	CHECK_STR(key_of("{\"src_ip\":\"a\",\"x\":1,\"e\":\"\\u00e9\"}", "src_ip"), "a");
}

TEST(secret_property_names)
{
	CHECK(ksrc_prop_is_secret("sasl.password"));
	CHECK(ksrc_prop_is_secret("ssl.key.password"));
	CHECK(ksrc_prop_is_secret("sasl.oauthbearer.client.secret"));
	CHECK(ksrc_prop_is_secret("SASL.USERNAME"));
	CHECK(!ksrc_prop_is_secret("fetch.max.bytes"));
	CHECK(!ksrc_prop_is_secret("bootstrap.servers"));
}

int main(void)
{
	nw_log_init("test_kcat-src");
	RUN(frame_accepts_json_and_multibyte_utf8);
	RUN(frame_rejects_newline_nul_and_bad_utf8_at_first_problem);
	RUN(dlq_record_is_json_with_location_and_lossless_payload);
	RUN(key_from_upstream_events);
	RUN(key_only_from_a_top_level_member);
	RUN(key_absent_null_container_or_malformed);
	RUN(key_bytes_as_written);
	RUN(key_none_for_duplicate_names);
	RUN(secret_property_names);
	return t_done();
}
