/* Unit tests for throttle: the Redis URL parser, the key template, line
 * classification and the local TTL table. */
#include "thr.h"
#include "t.h"

#include <stdlib.h>

static int parse(const char *s, struct nw_redis_url *u, char *err)
{
	return nw_redis_url_parse(s, u, err, 200);
}

TEST(url_tcp_forms)
{
	struct nw_redis_url u;
	char err[200];

	CHECK_INT(parse("redis://127.0.0.1", &u, err), 0);
	CHECK_INT(u.kind, NW_REDIS_URL_TCP);
	CHECK_STR(u.host, "127.0.0.1");
	CHECK_INT(u.port, 6379);
	CHECK_INT(u.db, 0);
	CHECK(!u.has_password);

	CHECK_INT(parse("redis://cache.example-1.net:6380/3", &u, err), 0);
	CHECK_STR(u.host, "cache.example-1.net");
	CHECK_INT(u.port, 6380);
	CHECK_INT(u.db, 3);

	CHECK_INT(parse("REDIS://localhost:1/", &u, err), 0);
	CHECK_INT(u.port, 1);
	CHECK_INT(u.db, 0);

	CHECK_INT(parse("redis://[::1]:7000/2", &u, err), 0);
	CHECK_STR(u.host, "::1");
	CHECK_INT(u.port, 7000);
	CHECK_INT(u.db, 2);

	CHECK_INT(parse("redis://h?db=5", &u, err), 0);
	CHECK_INT(u.db, 5);
}

TEST(url_userinfo)
{
	struct nw_redis_url u;
	char err[200];

	CHECK_INT(parse("redis://:s3cret@h:1234/1", &u, err), 0);
	CHECK(u.has_password);
	CHECK_STR(u.password, "s3cret");
	CHECK_STR(u.user, "");
	CHECK_STR(u.host, "h");
	CHECK_INT(u.port, 1234);

	CHECK_INT(parse("redis://alice:pw@h", &u, err), 0);
	CHECK_STR(u.user, "alice");
	CHECK_STR(u.password, "pw");

	/* the last '@' ends the user info; '/', ':' and '@' may be in it */
	CHECK_INT(parse("redis://:a/b:c@d@h:9", &u, err), 0);
	CHECK_STR(u.password, "a/b:c@d");
	CHECK_STR(u.host, "h");
	CHECK_INT(u.port, 9);

	CHECK_INT(parse("redis://:a?b@h?db=3", &u, err), 0);
	CHECK_STR(u.password, "a?b");
	CHECK_INT(u.db, 3);

	CHECK_INT(parse("redis://:p%40ss%2Fw%23@h", &u, err), 0);
	CHECK_STR(u.password, "p@ss/w#");

	CHECK_INT(parse("redis://alice@h", &u, err), -1);
	CHECK(strstr(err, "without a password") != NULL);
	CHECK_INT(parse("redis://:@h", &u, err), -1);
	CHECK_INT(parse("redis://:bad%zzpw@h", &u, err), -1);
	CHECK_INT(parse("redis://:nul%00@h", &u, err), -1);
	CHECK_INT(parse("redis://:trunc%4@h", &u, err), -1);
}

TEST(url_unix_forms)
{
	struct nw_redis_url u;
	char err[200];

	CHECK_INT(parse("unix:///run/redis/redis.sock", &u, err), 0);
	CHECK_INT(u.kind, NW_REDIS_URL_UNIX);
	CHECK_STR(u.path, "/run/redis/redis.sock");
	CHECK_INT(u.db, 0);

	CHECK_INT(parse("unix:///tmp/r.sock?db=4", &u, err), 0);
	CHECK_STR(u.path, "/tmp/r.sock");
	CHECK_INT(u.db, 4);

	CHECK_INT(parse("unix://:p?w@/tmp/r.sock?db=1", &u, err), 0);
	CHECK_STR(u.password, "p?w");
	CHECK_INT(u.db, 1);

	CHECK_INT(parse("unix://:pw@/tmp/r.sock", &u, err), 0);
	CHECK_STR(u.password, "pw");
	CHECK_STR(u.path, "/tmp/r.sock");

	CHECK_INT(parse("unix://relative.sock", &u, err), -1);
	CHECK_INT(parse("unix:///", &u, err), -1);
	CHECK_INT(parse("unix:///tmp/r.sock?timeout=3", &u, err), -1);
	char longp[200] = "unix:///";
	memset(longp + 8, 'a', 150);
	longp[158] = '\0';
	CHECK_INT(parse(longp, &u, err), -1);
}

TEST(url_malformed)
{
	static const char *const bad[] = {
		"", "127.0.0.1:6379", "http://h", "redis://", "redis://:6379",
		"redis://h:", "redis://h:0", "redis://h:65536", "redis://h:12a",
		"redis://h/x", "redis://h/-1", "redis://h/1?db=2", "redis://h?x=1",
		"redis://h h", "redis://h\n", "redis://::1", "redis://[::1",
		"redis://[::1]x", "redis://h#frag", "rediss://h", "redis://h$/",
		"redis://h:99999999999",
	};
	struct nw_redis_url u;
	char err[200];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		int rc = parse(bad[i], &u, err);
		if (rc != -1 || err[0] == '\0')
			printf("  accepted or no message: [%s]\n", bad[i]);
		CHECK_INT(rc, -1);
		CHECK(err[0] != '\0');
		CHECK(!u.has_password);
	}
}

/* No error message may quote the password. */
TEST(url_errors_never_show_password)
{
	static const char *const bad[] = {
		"redis://:hunter2@", "redis://:hunter2@h:0", "redis://:hunter2@h/x",
		"redis://u:hunter2@[::1", "unix://:hunter2@rel", "redis://:hunter2%@h",
		"rediss://:hunter2@h",
	};
	struct nw_redis_url u;
	char err[200];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_INT(parse(bad[i], &u, err), -1);
		CHECK(strstr(err, "hunter2") == NULL);
	}
}

TEST(url_redacted)
{
	struct nw_redis_url u;
	char err[200], out[400];

	CHECK_INT(parse("redis://bob:hunter2@db.local:6380/2", &u, err), 0);
	nw_redis_url_redacted(&u, out, sizeof out);
	CHECK_STR(out, "redis://db.local:6380/2");
	CHECK_INT(parse("redis://:hunter2@[::1]", &u, err), 0);
	nw_redis_url_redacted(&u, out, sizeof out);
	CHECK_STR(out, "redis://[::1]:6379");
	CHECK_INT(parse("unix://:hunter2@/tmp/s.sock?db=1", &u, err), 0);
	nw_redis_url_redacted(&u, out, sizeof out);
	CHECK_STR(out, "unix:///tmp/s.sock?db=1");
	nw_redis_url_wipe(&u);
	CHECK_STR(u.password, "");
	CHECK(!u.has_password);
}

static int render(const char *tmpl, char *out, size_t outsz)
{
	struct thr_fields f = { "10.0.0.5", "src_ip", "port_scan", 8, 6, 9 };
	struct nw_buf b = { 0 };
	char err[200];
	int rc = thr_tmpl_render(tmpl, &f, &b, err, sizeof err);

	snprintf(out, outsz, "%.*s", (int)b.len, b.p ? b.p : "");
	nw_buf_free(&b);
	return rc;
}

TEST(template_placeholders)
{
	char out[200];

	CHECK_INT(render("alert:throttle:{key}", out, sizeof out), 0);
	CHECK_STR(out, "alert:throttle:10.0.0.5");
	CHECK_INT(render("t:{rule}:{key_field}={key}", out, sizeof out), 0);
	CHECK_STR(out, "t:port_scan:src_ip=10.0.0.5");
	CHECK_INT(render("{{literal}}{key}", out, sizeof out), 0);
	CHECK_STR(out, "{literal}10.0.0.5");
	CHECK_INT(render("", out, sizeof out), 0);
	CHECK_STR(out, "");
	CHECK_INT(render("x:{src_ip}", out, sizeof out), -1);
	CHECK_INT(render("x:{key", out, sizeof out), -1);
	CHECK_INT(render("x:key}", out, sizeof out), -1);
	CHECK_INT(render("{}", out, sizeof out), -1);
}

static const char *classify(const char *line, struct thr_item *it)
{
	const char *reason = NULL;

	CHECK_INT(thr_item_init(it, line, strlen(line), "k:{rule}:{key}", &reason), 0);
	return reason;
}

TEST(item_kinds)
{
	struct thr_item it;
	const char *why;

	static const char alert[] = "{\"type\":\"alert\",\"alert_id\":\"9f1c\","
		"\"rule\":\"flood\",\"key_field\":\"dst_ip\",\"key\":\"10.9.9.9\",\"value\":3}";
	why = classify(alert, &it);
	CHECK(why == NULL);
	CHECK_INT(it.kind, THR_ALERT);
	CHECK_INT(it.state, THR_WAIT);
	CHECK_STR(it.key, "k:flood:10.9.9.9");
	CHECK_STR(it.id, "9f1c");
	CHECK_STR(it.rule, "flood");
	CHECK_STR(it.line, alert);         /* the exact bytes */
	CHECK_INT(it.line_len, strlen(alert));
	thr_item_free(&it);

	classify("{\"@ctl\":{\"type\":\"barrier\",\"id\":1}}", &it);
	CHECK_INT(it.kind, THR_CTL);
	CHECK_INT(it.state, THR_PASS);
	thr_item_free(&it);

	classify("  \t", &it);
	CHECK_INT(it.kind, THR_BLANK);
	thr_item_free(&it);

	static const char *const bad[] = {
		"nope", "[1]", "{\"type\":\"window\",\"key\":\"a\"}",
		"{\"type\":\"alert\",\"rule\":\"r\",\"key_field\":\"f\",\"key\":\"k\"}",
		"{\"type\":\"alert\",\"alert_id\":7,\"rule\":\"r\",\"key_field\":\"f\",\"key\":\"k\"}",
		"{\"type\":\"alert\",\"alert_id\":\"\",\"rule\":\"r\",\"key_field\":\"f\",\"key\":\"k\"}",
		"{\"type\":\"alert\",\"alert_id\":\"a\",\"key_field\":\"f\",\"key\":\"k\"}",
		"{\"type\":\"alert\",\"alert_id\":\"a\",\"rule\":\"r\",\"key\":\"k\"}",
		"{\"type\":\"alert\",\"alert_id\":\"a\",\"rule\":\"r\",\"key_field\":\"f\"}",
		"{\"@ctl\":1,\"x\":2}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = classify(bad[i], &it);
		CHECK_INT(it.kind, THR_BAD);
		CHECK(why != NULL);
		thr_item_free(&it);
	}
}

TEST(item_long_key_rejected)
{
	struct thr_item it;
	struct nw_buf b = { 0 };
	const char *why;

	nw_buf_adds(&b, "{\"type\":\"alert\",\"alert_id\":\"a\",\"rule\":\"r\","
	            "\"key_field\":\"f\",\"key\":\"");
	for (int i = 0; i < THR_KEY_MAX; i++)
		nw_buf_addc(&b, 'x');
	nw_buf_adds(&b, "\"}");
	CHECK_INT(thr_item_init(&it, b.p, b.len, "k:{key}", &why), 0);
	CHECK_INT(it.kind, THR_BAD);
	CHECK(why != NULL && strstr(why, "too long") != NULL);
	thr_item_free(&it);
	nw_buf_free(&b);
}

/* A repeated member name refuses the line as invalid JSON, the same way
 * whatever else it holds: escapes, non-ASCII text, nesting (issue dup1 /
 * dup2: the second once passed a scanner the first did not). */
TEST(item_duplicate_names_rejected_whatever_the_line_holds)
{
	struct thr_item it;
	static const char *const dups[] = {
		"{\"type\":\"alert\",\"alert_id\":\"a\",\"rule\":\"r\",\"key_field\":\"f\","
		"\"key\":\"k\",\"x\":1,\"x\":2}",
		"{\"type\":\"alert\",\"alert_id\":\"a\",\"rule\":\"r\",\"key_field\":\"f\","
		"\"key\":\"k\",\"x\":1,\"x\":2,\"e\":\"\\u00e9\"}",
		"{\"type\":\"alert\",\"alert_id\":\"a\",\"rule\":\"r\",\"key_field\":\"f\","
		"\"key\":\"k\",\"x\":1,\"x\":2,\"e\":\"\xc3\xa9\"}",
		"{\"type\":\"alert\",\"alert_id\":\"a\",\"alert_id\":\"b\",\"rule\":\"r\","
		"\"key_field\":\"f\",\"key\":\"k\"}",
		"{\"type\":\"alert\",\"alert_id\":\"a\",\"rule\":\"r\",\"key_field\":\"f\","
		"\"key\":\"k\",\"\\u006bey\":\"j\"}",
		"{\"type\":\"alert\",\"alert_id\":\"a\",\"rule\":\"r\",\"key_field\":\"f\","
		"\"key\":\"k\",\"n\":[{\"y\":1,\"y\":2}]}",
	};

	for (size_t i = 0; i < sizeof dups / sizeof dups[0]; i++) {
		CHECK_STR(classify(dups[i], &it), "invalid JSON: duplicate key");
		CHECK_INT(it.kind, THR_BAD);
		thr_item_free(&it);
	}
	/* the same line without the repeat is an alert, escapes and all */
	CHECK(classify("{\"type\":\"alert\",\"alert_id\":\"a\",\"rule\":\"r\","
	               "\"key_field\":\"f\",\"key\":\"\\u00e9\",\"x\":1}", &it) == NULL);
	CHECK_INT(it.kind, THR_ALERT);
	CHECK_STR(it.key, "k:r:\xc3\xa9");
	thr_item_free(&it);
	CHECK_STR(classify("42", &it), "invalid JSON");
	thr_item_free(&it);
}

static enum thr_lres claim(struct thr_local *t, const char *k, const char *id,
                           int64_t now, char *holder)
{
	return thr_local_claim(t, k, strlen(k), id, strlen(id), now, 1000, holder);
}

TEST(local_set_nx_semantics)
{
	struct thr_local *t = thr_local_new(8);
	char holder[THR_ID_MAX + 1] = "";

	CHECK_INT(claim(t, "a", "id1", 0, holder), THR_L_CLAIMED);
	CHECK_INT(claim(t, "a", "id1", 10, holder), THR_L_SAME);
	CHECK_INT(claim(t, "a", "id2", 20, holder), THR_L_OTHER);
	CHECK_STR(holder, "id1");
	CHECK_INT(claim(t, "b", "id2", 30, holder), THR_L_CLAIMED);
	CHECK_INT(thr_local_size(t), 2);
	/* "a" expires at 1000, "b" at 1030 */
	CHECK_INT(claim(t, "a", "id3", 1000, holder), THR_L_CLAIMED);
	CHECK_INT(claim(t, "b", "id4", 1001, holder), THR_L_OTHER);
	CHECK_INT(thr_local_size(t), 2);
	thr_local_free(t);
}

TEST(local_bounded_evicts_oldest)
{
	struct thr_local *t = thr_local_new(4);
	char key[16], holder[THR_ID_MAX + 1];

	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof key, "k%d", i);
		CHECK_INT(claim(t, key, "x", i, holder), THR_L_CLAIMED);
		CHECK(thr_local_size(t) <= 4);
	}
	CHECK_INT(thr_local_size(t), 4);
	CHECK_INT(thr_local_evicted(t), 6);
	CHECK_INT(claim(t, "k9", "y", 20, holder), THR_L_OTHER);   /* kept */
	CHECK_INT(claim(t, "k0", "y", 20, holder), THR_L_CLAIMED); /* evicted */
	thr_local_free(t);
}

static int collect(void *arg, const char *key, size_t klen, const char *id,
                   size_t idlen, int64_t left_ms)
{
	struct nw_buf *b = arg;
	nw_buf_printf(b, "%.*s=%.*s/%lld ", (int)klen, key, (int)idlen, id,
	              (long long)left_ms);
	return 0;
}

TEST(local_note_renews_and_each_lists_live)
{
	struct thr_local *t = thr_local_new(8);
	struct nw_buf b = { 0 };
	char holder[THR_ID_MAX + 1];

	thr_local_note(t, "a", 1, "id1", 3, 0, 1000);
	thr_local_note(t, "b", 1, "id2", 3, 100, 1000);
	thr_local_note(t, "a", 1, "id3", 3, 200, 1000);   /* renewed */
	CHECK_INT(thr_local_size(t), 2);
	CHECK_INT(claim(t, "a", "zz", 300, holder), THR_L_OTHER);
	CHECK_STR(holder, "id3");
	CHECK_INT(thr_local_each(t, 500, collect, &b), 2);
	CHECK_STR(b.p, "b=id2/600 a=id3/700 ");
	nw_buf_reset(&b);
	CHECK_INT(thr_local_each(t, 1150, collect, &b), 1);
	CHECK_STR(b.p, "a=id3/50 ");
	nw_buf_free(&b);
	thr_local_free(t);
}

int main(void)
{
	RUN(url_tcp_forms);
	RUN(url_userinfo);
	RUN(url_unix_forms);
	RUN(url_malformed);
	RUN(url_errors_never_show_password);
	RUN(url_redacted);
	RUN(template_placeholders);
	RUN(item_kinds);
	RUN(item_long_key_rejected);
	RUN(item_duplicate_names_rejected_whatever_the_line_holds);
	RUN(local_set_nx_semantics);
	RUN(local_bounded_evicts_oldest);
	RUN(local_note_renews_and_each_lists_live);
	return t_done();
}
