/* Unit tests for notify: response verdicts, Retry-After, format choice and
 * limits, the id table, and the spool journal (replay, torn tail, lock). */
#include "ntf.h"
#include "t.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

TEST(classify_table)
{
	CHECK_INT(ntf_classify(CURLE_OK, 200), NTF_DELIVERED);
	CHECK_INT(ntf_classify(CURLE_OK, 204), NTF_DELIVERED);
	CHECK_INT(ntf_classify(CURLE_OK, 429), NTF_WAIT);
	CHECK_INT(ntf_classify(CURLE_OK, 500), NTF_RETRY);
	CHECK_INT(ntf_classify(CURLE_OK, 503), NTF_RETRY);
	CHECK_INT(ntf_classify(CURLE_OK, 408), NTF_RETRY);
	CHECK_INT(ntf_classify(CURLE_OK, 400), NTF_DEAD);
	CHECK_INT(ntf_classify(CURLE_OK, 404), NTF_DEAD);
	CHECK_INT(ntf_classify(CURLE_OK, 302), NTF_DEAD);
	CHECK_INT(ntf_classify(CURLE_OPERATION_TIMEDOUT, 0), NTF_RETRY);
	CHECK_INT(ntf_classify(CURLE_COULDNT_CONNECT, 0), NTF_RETRY);
}

TEST(retry_after)
{
	CHECK_INT(ntf_retry_after_header(" 2\r\n", 0), 2000);
	CHECK_INT(ntf_retry_after_header("1.5", 0), 1500);
	CHECK_INT(ntf_retry_after_header("0", 0), 0);
	CHECK_INT(ntf_retry_after_header("soon", 0), -1);
	CHECK_INT(ntf_retry_after_header("", 0), -1);
	CHECK_INT(ntf_retry_after_header("-3", 0), -1);
	/* An HTTP date 30 s after "now". */
	CHECK_INT(ntf_retry_after_header("Wed, 21 Oct 2015 07:28:30 GMT",
	                                 1445412480000LL), 30000);
	const char *b = "{\"message\":\"rate limited\",\"retry_after\":0.25,\"global\":false}";
	CHECK_INT(ntf_retry_after_body(b, strlen(b)), 250);
	CHECK_INT(ntf_retry_after_body("{}", 2), -1);
	CHECK_INT(ntf_retry_after_body("nope", 4), -1);
}

TEST(format_for_host)
{
	CHECK_INT(ntf_format_for_host("hooks.slack.com"), NTF_FMT_SLACK);
	CHECK_INT(ntf_format_for_host("HOOKS.SLACK.COM"), NTF_FMT_SLACK);
	CHECK_INT(ntf_format_for_host("discord.com"), NTF_FMT_DISCORD);
	CHECK_INT(ntf_format_for_host("canary.discord.com"), NTF_FMT_DISCORD);
	CHECK_INT(ntf_format_for_host("discordapp.com"), NTF_FMT_DISCORD);
	CHECK_INT(ntf_format_for_host("notdiscord.com"), NTF_FMT_GENERIC);
	CHECK_INT(ntf_format_for_host("discord.com.evil.net"), NTF_FMT_GENERIC);
	CHECK_INT(ntf_format_for_host("127.0.0.1"), NTF_FMT_GENERIC);
	CHECK_INT(ntf_format_for_host(NULL), NTF_FMT_GENERIC);
	/* Alertmanager by its API path, on any host */
	CHECK_INT(ntf_format_for_url("http://am:9093/api/v2/alerts", "am"), NTF_FMT_AM);
	CHECK_INT(ntf_format_for_url("http://am/x/api/v2/alerts?a=1", "am"), NTF_FMT_AM);
	CHECK_INT(ntf_format_for_url("http://am/api/v2/alerts/x", "am"), NTF_FMT_GENERIC);
	CHECK_INT(ntf_format_for_url("https://hooks.slack.com/services/T/B/x",
	                             "hooks.slack.com"), NTF_FMT_SLACK);
	CHECK_INT(ntf_format_for_url(NULL, ""), NTF_FMT_GENERIC);
}

/* Labels name the incident, annotations carry the rest, times are
 * Alertmanager's; a digest is one array. */
TEST(alertmanager_payload)
{
	static const char a[] = "{\"type\":\"alert\",\"alert_id\":\"x1\","
		"\"rule\":\"flood\",\"severity\":\"high\",\"key_field\":\"dst_ip\","
		"\"key\":\"10.0.0.9\",\"metric\":\"distinct_src_ip\",\"value\":250,"
		"\"threshold\":200,\"window_start\":1763711940000,"
		"\"window_end\":1763712000000,\"message\":\"FLOOD\","
		"\"aggregates\":{\"count\":1.5}}";
	char *s = ntf_fmt_alert(NTF_FMT_AM, a, strlen(a));
	json_t *j = json_loads(s, 0, NULL), *it = json_array_get(j, 0);
	CHECK_INT(json_array_size(j), 1);
	CHECK(s != NULL);
	json_t *l = json_object_get(it, "labels"), *an = json_object_get(it, "annotations");
	CHECK_INT(json_object_size(l), 4);
	CHECK_STR(json_string_value(json_object_get(l, "alertname")), "flood");
	CHECK_STR(json_string_value(json_object_get(l, "key")), "10.0.0.9");
	CHECK_STR(json_string_value(json_object_get(an, "summary")), "FLOOD");
	CHECK_STR(json_string_value(json_object_get(an, "alert_id")), "x1");
	CHECK_STR(json_string_value(json_object_get(an, "value")), "250");
	CHECK_STR(json_string_value(json_object_get(an, "window_end")),
	          "2025-11-21T08:00:00.000Z");
	CHECK_STR(json_string_value(json_object_get(an, "agg_count")), "1.5");
	CHECK(json_object_get(it, "startsAt") == NULL);
	json_decref(j);
	free(s);

	struct ntf_queue q = { 0 };
	const char *b = "{\"type\":\"alert\",\"alert_id\":\"y\"}";
	for (int i = 0; i < 3; i++)
		ntf_queue_push(&q, ntf_alert_new("y", b, strlen(b)));
	s = ntf_fmt_digest(NTF_FMT_AM, q.head, 3);
	j = json_loads(s, 0, NULL);
	CHECK_INT(json_array_size(j), 3);
	CHECK_STR(json_string_value(json_object_get(json_object_get(
		json_array_get(j, 2), "labels"), "alertname")), "netwatch");
	json_decref(j);
	free(s);
	ntf_queue_clear(&q);
}

TEST(url_public_hides_path)
{
	char pub[256], host[128];
	CHECK(ntf_url_public("https://hooks.slack.com/services/T0/B0/secret",
	                     pub, sizeof pub, host, sizeof host));
	CHECK_STR(pub, "https://hooks.slack.com");
	CHECK_STR(host, "hooks.slack.com");
	CHECK(ntf_url_public("http://u:pw@127.0.0.1:8080/x?token=1", pub, sizeof pub,
	                     host, sizeof host));
	CHECK_STR(pub, "http://127.0.0.1:8080");
	CHECK(!ntf_url_public("ftp://example.com/x", pub, sizeof pub, host, sizeof host));
	CHECK(!ntf_url_public("not a url", pub, sizeof pub, host, sizeof host));
}

TEST(alert_check_reasons)
{
	char id[NTF_ID_MAX + 1];
	const char *ok = "{\"type\":\"alert\",\"alert_id\":\"9f1c2b3a4d5e6f70\"}";
	CHECK(ntf_alert_check(ok, strlen(ok), id) == NULL);
	CHECK_STR(id, "9f1c2b3a4d5e6f70");
	CHECK_STR(ntf_alert_check("{", 1, id), "invalid JSON");
	CHECK_STR(ntf_alert_check("[1]", 3, id), "not a JSON object");
	const char *w = "{\"type\":\"window\"}";
	CHECK_STR(ntf_alert_check(w, strlen(w), id), "not an alert");
	const char *bad = "{\"type\":\"alert\",\"alert_id\":\"a b\"}";
	CHECK_STR(ntf_alert_check(bad, strlen(bad), id), "alert without a usable alert_id");
	const char *num = "{\"type\":\"alert\",\"alert_id\":17}";
	CHECK_STR(ntf_alert_check(num, strlen(num), id), "alert without a usable alert_id");
}

/* A long message is cut within Discord's and Slack's limits. */
TEST(format_limits)
{
	struct nw_buf b = { 0 };
	nw_buf_adds(&b, "{\"type\":\"alert\",\"alert_id\":\"x1\",\"message\":\"");
	for (int i = 0; i < 5000; i++)
		nw_buf_adds(&b, "é*");
	nw_buf_adds(&b, "\"}");
	char *d = ntf_fmt_alert(NTF_FMT_DISCORD, b.p, b.len);
	json_t *j = json_loads(d, 0, NULL);
	CHECK(j != NULL);
	const char *content = json_string_value(json_object_get(j, "content"));
	CHECK(content && ntf_utf8_chars(content) <= NTF_DC_CONTENT);
	CHECK(content && strstr(content, "\xE2\x80\xA6") != NULL);
	json_decref(j);
	free(d);
	char *s = ntf_fmt_alert(NTF_FMT_SLACK, b.p, b.len);
	j = json_loads(s, 0, NULL);
	CHECK(j && ntf_utf8_chars(json_string_value(json_object_get(j, "text")))
	           <= NTF_SL_TEXT);
	json_decref(j);
	free(s);
	nw_buf_free(&b);
}

TEST(digest_generic_lists_every_id)
{
	struct ntf_queue q = { 0 };
	char id[32], line[128];
	for (int i = 0; i < 25; i++) {
		snprintf(id, sizeof id, "id%d", i);
		snprintf(line, sizeof line,
		         "{\"type\":\"alert\",\"alert_id\":\"%s\",\"message\":\"m%d\"}", id, i);
		ntf_queue_push(&q, ntf_alert_new(id, line, strlen(line)));
	}
	char *g = ntf_fmt_digest(NTF_FMT_GENERIC, q.head, 20);
	json_t *j = json_loads(g, 0, NULL);
	CHECK_INT(json_integer_value(json_object_get(j, "count")), 20);
	CHECK_INT(json_array_size(json_object_get(j, "alert_ids")), 20);
	CHECK_INT(json_array_size(json_object_get(j, "alerts")), NTF_DIGEST_SHOW);
	json_decref(j);
	free(g);
	char *d = ntf_fmt_digest(NTF_FMT_DISCORD, q.head, 25);
	j = json_loads(d, 0, NULL);
	CHECK_STR(json_string_value(json_object_get(j, "content")),
	          "🚨 **25 alerts** (digest)");
	json_decref(j);
	free(d);
	ntf_queue_clear(&q);
}

TEST(ids_table)
{
	struct ntf_ids *t = ntf_ids_new();
	char id[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(id, sizeof id, "a%d", i);
		ntf_ids_put(t, id, i);
	}
	CHECK_INT(ntf_ids_count(t), 5000);
	CHECK(ntf_ids_has(t, "a0") && ntf_ids_has(t, "a4999") && !ntf_ids_has(t, "a5000"));
	ntf_ids_del(t, "a10");
	CHECK(!ntf_ids_has(t, "a10"));
	ntf_ids_expire(t, 1000, 100000);        /* older than 1000 go */
	CHECK(!ntf_ids_has(t, "a999") && ntf_ids_has(t, "a1000"));
	ntf_ids_expire(t, 0, 10);               /* only the newest 10 stay */
	CHECK_INT(ntf_ids_count(t), 10);
	CHECK(ntf_ids_has(t, "a4990") && !ntf_ids_has(t, "a4989"));
	ntf_ids_free(t);
}

static void add_alert(struct ntf_spool *s, const char *id)
{
	char line[128];
	snprintf(line, sizeof line, "{\"type\":\"alert\",\"alert_id\":\"%s\"}", id);
	struct ntf_alert *a = ntf_alert_new(id, line, strlen(line));
	ntf_spool_add(s, a);
	ntf_alert_free(a);
}

TEST(spool_replay_torn_tail_and_lock)
{
	char dir[] = "/tmp/nwspoolXXXXXX";
	struct ntf_spool s, s2;
	struct ntf_queue q = { 0 };

	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(ntf_spool_open(&s, dir, 3600000, 1000, &q), 0);
	CHECK_INT(ntf_spool_open(&s2, dir, 3600000, 1000, &q), -1);   /* locked */
	add_alert(&s, "a1");
	add_alert(&s, "a2");
	add_alert(&s, "a3");
	ntf_spool_done(&s, "a2", true, nw_wall_ms());
	ntf_spool_done(&s, "a3", false, nw_wall_ms());
	CHECK_INT(ntf_spool_sync(&s), 0);
	/* A crash mid-write leaves half a record. */
	CHECK(write(s.fd, "+ {\"type\":\"al", 13) == 13);
	ntf_spool_close(&s);

	CHECK_INT(ntf_spool_open(&s, dir, 3600000, 1000, &q), 0);
	CHECK_INT(q.count, 1);
	CHECK(q.head && strcmp(q.head->id, "a1") == 0);
	CHECK(ntf_ids_has(s.delivered, "a2"));      /* remembered */
	CHECK(!ntf_ids_has(s.delivered, "a3"));     /* dead: not remembered */
	ntf_spool_close(&s);
	ntf_queue_clear(&q);

	/* Compaction kept the same meaning. */
	CHECK_INT(ntf_spool_open(&s, dir, 3600000, 1000, &q), 0);
	CHECK_INT(q.count, 1);
	CHECK(ntf_ids_has(s.delivered, "a2"));
	ntf_spool_close(&s);
	ntf_queue_clear(&q);
	CHECK(t_rm_rf(dir) == 0);
}

int main(void)
{
	nw_log_init("test_notify");
	nw_log_set_level(NW_ERROR);
	RUN(classify_table);
	RUN(retry_after);
	RUN(format_for_host);
	RUN(alertmanager_payload);
	RUN(url_public_hides_path);
	RUN(alert_check_reasons);
	RUN(format_limits);
	RUN(digest_generic_lists_every_id);
	RUN(ids_table);
	RUN(spool_replay_torn_tail_and_lock);
	return t_done();
}
