/* Unit tests for lib/: line reader, JSON escaping, dead letters, control
 * lines, durations. */
#include "nw.h"
#include "t.h"

#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

/* Feed s through an unlinked temp file to a reader with the given cap. */
static struct nw_reader *reader_over(const char *s, size_t n, size_t maxlen)
{
	static struct nw_reader r;
	char path[] = "/tmp/nwrdXXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, s, n) != (ssize_t)n)
		abort();
	unlink(path);
	lseek(fd, 0, SEEK_SET);
	nw_reader_init(&r, fd, maxlen);
	return &r;
}

static void reader_done(struct nw_reader *r)
{
	close(r->fd);
	nw_reader_free(r);
}

TEST(reader_lines_and_last_line_without_newline)
{
	struct nw_reader *r = reader_over("a\nbb\r\n\nccc", 11, 16);
	char *l;
	size_t n;
	CHECK_INT(nw_reader_next(r, &l, &n, -1), NW_RD_LINE); CHECK_STR(l, "a");
	CHECK_INT(nw_reader_next(r, &l, &n, -1), NW_RD_LINE); CHECK_STR(l, "bb");
	CHECK_INT(nw_reader_next(r, &l, &n, -1), NW_RD_LINE); CHECK_INT(n, 0);
	CHECK_INT(nw_reader_next(r, &l, &n, -1), NW_RD_LINE); CHECK_STR(l, "ccc");
	CHECK_INT(nw_reader_next(r, &l, &n, -1), NW_RD_EOF);
	reader_done(r);
}

TEST(reader_too_long_line_is_cut_and_skipped)
{
	struct nw_buf in = { 0 };
	nw_buf_adds(&in, "ok\n");
	for (int i = 0; i < 200000; i++)
		nw_buf_addc(&in, 'x');
	nw_buf_adds(&in, "\nafter\n");
	struct nw_reader *r = reader_over(in.p, in.len, 100);
	char *l;
	size_t n;
	CHECK_INT(nw_reader_next(r, &l, &n, -1), NW_RD_LINE); CHECK_STR(l, "ok");
	CHECK_INT(nw_reader_next(r, &l, &n, -1), NW_RD_TOOLONG); CHECK_INT(n, 100);
	CHECK_INT(nw_reader_next(r, &l, &n, -1), NW_RD_LINE); CHECK_STR(l, "after");
	CHECK_INT(nw_reader_next(r, &l, &n, -1), NW_RD_EOF);
	reader_done(r);
	nw_buf_free(&in);
}

TEST(reader_timeout_on_quiet_input)
{
	int fds[2];
	struct nw_reader r;
	char *l;
	size_t n;
	CHECK(pipe(fds) == 0);
	nw_reader_init(&r, fds[0], 0);
	CHECK_INT(nw_reader_next(&r, &l, &n, 10), NW_RD_TIMEOUT);
	close(fds[1]);
	CHECK_INT(nw_reader_next(&r, &l, &n, 10), NW_RD_EOF);
	close(fds[0]);
	nw_reader_free(&r);
}

TEST(jstr_escapes_controls_and_replaces_bad_utf8)
{
	struct nw_buf b = { 0 };
	CHECK(nw_buf_add_jstr(&b, "a\"\\\n\x01\xc3\xa9", 7));
	CHECK_STR(b.p, "\"a\\\"\\\\\\n\\u0001\xc3\xa9\"");
	nw_buf_reset(&b);
	CHECK(!nw_buf_add_jstr(&b, "x\xff\xc0\x80y", 5));
	CHECK_STR(b.p, "\"x\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdy\"");
	nw_buf_reset(&b);
	CHECK(nw_buf_add_jstr(&b, "\0", 1));
	CHECK_STR(b.p, "\"\\u0000\"");
	nw_buf_free(&b);
}

TEST(utf8_validation)
{
	CHECK(nw_utf8_valid("plain ascii text here", 21));
	CHECK(nw_utf8_valid("\xf0\x9f\x9a\xa8", 4));
	CHECK(!nw_utf8_valid("\xed\xa0\x80", 3));      /* surrogate */
	CHECK(!nw_utf8_valid("\xe0\x80\xaf", 3));      /* overlong */
	CHECK(!nw_utf8_valid("abc\xf0\x9f", 5));       /* truncated */
	CHECK_INT(nw_utf8_valid_prefix("abcdefghij\xff", 11), 10);
}

TEST(dead_letter_record_is_valid_json_and_lossless)
{
	char path[] = "/tmp/nwdlqXXXXXX";
	int fd = mkstemp(path);
	struct nw_dlq d;
	CHECK(fd >= 0);
	close(fd);
	CHECK_INT(nw_dlq_open(&d, path), 0);
	nw_dlq_put(&d, "malformed JSON", "{\"a\":", 5);
	nw_dlq_put(&d, "invalid UTF-8", "x\xffy", 3);
	nw_dlq_close(&d);
	CHECK_INT(d.count, 2);
	FILE *fp = fopen(path, "r");
	char line[512];
	json_t *j;
	CHECK(fgets(line, sizeof line, fp) != NULL);
	CHECK((j = json_loads(line, 0, NULL)) != NULL);
	CHECK_STR(json_string_value(json_object_get(j, "line")), "{\"a\":");
	CHECK_STR(json_string_value(json_object_get(j, "reason")), "malformed JSON");
	json_decref(j);
	CHECK(fgets(line, sizeof line, fp) != NULL);
	CHECK((j = json_loads(line, 0, NULL)) != NULL);
	CHECK_STR(json_string_value(json_object_get(j, "line_base64")), "eP95");
	json_decref(j);
	fclose(fp);
	unlink(path);
}

TEST(control_lines)
{
	const char *ok = "{\"@ctl\":{\"type\":\"barrier\",\"id\":17}}";
	const char *two = "{\"@ctl\":{},\"x\":1}";
	json_t *v = nw_ctl_parse(ok, strlen(ok));
	CHECK(v != NULL);
	CHECK_INT(json_integer_value(json_object_get(v, "id")), 17);
	json_decref(v);
	CHECK(nw_ctl_maybe(two, strlen(two)));
	CHECK(nw_ctl_parse(two, strlen(two)) == NULL);
	CHECK(!nw_ctl_maybe("{\"type\":\"window\"}", 17));
	CHECK(nw_ctl_maybe(" { \"@ctl\" :{}}", 14));
}

TEST(durations)
{
	int64_t ms;
	CHECK(nw_parse_duration_ms("60s", &ms) == 0 && ms == 60000);
	CHECK(nw_parse_duration_ms("250ms", &ms) == 0 && ms == 250);
	CHECK(nw_parse_duration_ms("15m", &ms) == 0 && ms == 900000);
	CHECK(nw_parse_duration_ms("1.5h", &ms) == 0 && ms == 5400000);
	CHECK(nw_parse_duration_ms("900", &ms) == 0 && ms == 900000);
	CHECK(nw_parse_duration_ms("0s", &ms) == 0 && ms == 0);
	CHECK(nw_parse_duration_ms("-5s", &ms) != 0);
	CHECK(nw_parse_duration_ms("5x", &ms) != 0);
	CHECK(nw_parse_duration_ms("", &ms) != 0);
	CHECK(nw_parse_duration_ms("s", &ms) != 0);
}

int main(void)
{
	nw_log_init("test_lib");
	RUN(reader_lines_and_last_line_without_newline);
	RUN(reader_too_long_line_is_cut_and_skipped);
	RUN(reader_timeout_on_quiet_input);
	RUN(jstr_escapes_controls_and_replaces_bad_utf8);
	RUN(utf8_validation);
	RUN(dead_letter_record_is_valid_json_and_lossless);
	RUN(control_lines);
	RUN(durations);
	return t_done();
}
