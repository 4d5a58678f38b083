/* Unit tests for lib/stage.c and lib/ctlclass.c: the control-line
 * classifier, the read loop's callbacks, forwarding order and the standard
 * counters in the stats file. */
#include "stage.h"
#include "ckpt.h"
#include "t.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

TEST(classify_barrier_restore_other_none)
{
	uint64_t id = 99;
#define CLS(s) nw_ctl_classify(s, strlen(s), &id)
	CHECK_INT(CLS("{\"@ctl\":{\"type\":\"barrier\",\"id\":7,\"ts\":1}}"),
	          NW_CTL_BARRIER);
	CHECK_INT(id, 7);
	CHECK_INT(CLS("{\"@ctl\":{\"type\":\"restore\",\"id\":0}}"), NW_CTL_RESTORE);
	CHECK_INT(id, 0);
	id = 99;
	CHECK_INT(CLS("{\"@ctl\":{\"type\":\"barrier\",\"id\":\"7\"}}"), NW_CTL_OTHER);
	CHECK_INT(CLS("{\"@ctl\":{\"type\":\"barrier\",\"id\":-1}}"), NW_CTL_OTHER);
	CHECK_INT(CLS("{\"@ctl\":{\"type\":\"barrier\",\"id\":1.5}}"), NW_CTL_OTHER);
	CHECK_INT(CLS("{\"@ctl\":{\"type\":\"barrier\"}}"), NW_CTL_OTHER);
	CHECK_INT(CLS("{\"@ctl\":{\"type\":\"flush\",\"id\":3}}"), NW_CTL_OTHER);
	CHECK_INT(CLS("{\"@ctl\":{}}"), NW_CTL_OTHER);
	CHECK_INT(id, 99);           /* untouched unless barrier or restore */
	CHECK_INT(CLS("{\"@ctl\":{},\"x\":1}"), NW_CTL_NONE);
	CHECK_INT(CLS("{\"@ctl\":{\"type\":\"barrier\",\"id\":1}"), NW_CTL_NONE);
	CHECK_INT(CLS("{\"src_ip\":\"10.0.0.1\"}"), NW_CTL_NONE);
	CHECK_INT(CLS(""), NW_CTL_NONE);
#undef CLS
	CHECK_STR(nw_ctl_kind_name(NW_CTL_RESTORE), "restore");
}

TEST(ckpt_ctl_parse_agrees_with_the_classifier)
{
	const char *str = "{\"@ctl\":{\"type\":\"barrier\",\"id\":\"4\"}}";
	const char *num = "{\"@ctl\":{\"type\":\"barrier\",\"id\":4}}";
	uint64_t id = 0;
	CHECK_INT(nw_ckpt_ctl_parse(str, strlen(str), &id), NW_CKPT_CTL_NONE);
	CHECK_INT(nw_ckpt_ctl_parse(num, strlen(num), &id), NW_CKPT_CTL_BARRIER);
	CHECK_INT(id, 4);
}

/* ---- the loop: input from a temp file, stdout captured in another ----- */

static int input_fd(const char *s)
{
	char path[] = "/tmp/nwstXXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		abort();
	unlink(path);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static struct { int saved, fd; } cap;

static void capture_start(void)
{
	char path[] = "/tmp/nwstoutXXXXXX";
	fflush(stdout);
	cap.fd = mkstemp(path);
	unlink(path);
	cap.saved = dup(1);
	dup2(cap.fd, 1);
}

/* What the stage wrote on stdout; stdout is the harness's again. */
static char *capture_end(void)
{
	static char buf[4096];
	fflush(stdout);
	dup2(cap.saved, 1);
	close(cap.saved);
	lseek(cap.fd, 0, SEEK_SET);
	ssize_t n = read(cap.fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(cap.fd);
	return buf;
}

static struct { int lines, ctls, ends, ticks, stop_at; uint64_t last_id;
                enum nw_ctl_kind last_kind; } seen;

static void on_line(struct nw_stage *st, char *line, size_t n)
{
	char out[64];
	int k = snprintf(out, sizeof out, "data:%.*s", (int)n, line);
	nw_out_line(out, (size_t)k);
	if (++seen.lines == seen.stop_at)
		nw_stage_stop(st, 7);
}

/* Restores are consumed, the rest forwarded. */
static enum nw_stage_verdict on_ctl(struct nw_stage *st, enum nw_ctl_kind kind,
                                    uint64_t id, const char *line, size_t n)
{
	seen.ctls++;
	seen.last_kind = kind;
	seen.last_id = id;
	return kind == NW_CTL_RESTORE ? NW_STAGE_CONSUMED : NW_STAGE_FORWARD;
}

static void on_end(struct nw_stage *st) { seen.ends++; nw_out_line("end", 3); }
static void on_tick(struct nw_stage *st) { seen.ticks++; }

TEST(loop_forwards_control_lines_in_order_and_counts)
{
	const char *in =
		"a\n"
		"{\"@ctl\":{\"type\":\"barrier\",\"id\":3}}\n"
		"b\n"
		"{\"@ctl\":{\"type\":\"restore\",\"id\":2}}\n"
		"0123456789abcdefghij0123456789abcdefghij0123456789\n"
		"{\"@ctl\":{\"type\":\"hello\"}}\n"
		"c";
	struct nw_dlq dlq;
	struct nw_stage st = { .on_line = on_line, .on_ctl = on_ctl,
	                       .on_end = on_end, .on_tick = on_tick,
	                       .dlq = &dlq, .max_line = 48 };

	memset(&seen, 0, sizeof seen);
	memset(&nw_std, 0, sizeof nw_std);
	nw_dlq_open(&dlq, NULL);
	st.fd = input_fd(in);
	capture_start();
	int rc = nw_stage_run(&st);
	char *out = capture_end();
	CHECK_INT(rc, NW_EXIT_OK);
	CHECK_STR(out, "data:a\n"
	               "{\"@ctl\":{\"type\":\"barrier\",\"id\":3}}\n"
	               "data:b\n"
	               "{\"@ctl\":{\"type\":\"hello\"}}\n"
	               "data:c\n"
	               "end\n");
	CHECK_INT(seen.ctls, 3);
	CHECK_INT(seen.last_kind, NW_CTL_OTHER);
	CHECK_INT(seen.ends, 1);
	CHECK(seen.ticks >= 7);
	CHECK_INT(nw_std.lines_in, 7);
	CHECK_INT(nw_std.ctl_lines, 3);
	CHECK_INT(nw_std.too_long, 1);
	CHECK_INT(nw_std.dead_letters, 1);
	CHECK_INT(nw_std.lines_out, 6);
	CHECK_INT(dlq.count, 1);
	close(st.fd);
}

TEST(loop_without_on_ctl_forwards_everything)
{
	struct nw_stage st = { .on_line = on_line };

	memset(&seen, 0, sizeof seen);
	st.fd = input_fd("{\"@ctl\":{\"type\":\"restore\",\"id\":1}}\nx\n");
	capture_start();
	CHECK_INT(nw_stage_run(&st), NW_EXIT_OK);
	CHECK_STR(capture_end(), "{\"@ctl\":{\"type\":\"restore\",\"id\":1}}\n"
	                         "data:x\n");
	close(st.fd);
}

TEST(stop_from_a_callback_ends_the_loop_with_its_status)
{
	struct nw_stage st = { .on_line = on_line, .on_end = on_end };

	memset(&seen, 0, sizeof seen);
	seen.stop_at = 2;
	st.fd = input_fd("1\n2\n3\n");
	capture_start();
	CHECK_INT(nw_stage_run(&st), 7);
	CHECK_STR(capture_end(), "data:1\ndata:2\n");
	CHECK_INT(seen.ends, 0);
	close(st.fd);
}

TEST(read_error_fails_and_is_counted)
{
	struct nw_stage st = { .on_line = on_line, .on_end = on_end };

	memset(&seen, 0, sizeof seen);
	memset(&nw_std, 0, sizeof nw_std);
	st.fd = open("/", O_RDONLY | O_DIRECTORY);   /* read(2): EISDIR */
	CHECK_INT(nw_stage_run(&st), NW_EXIT_FAIL);
	CHECK_INT(nw_std.read_errors, 1);
	CHECK_INT(seen.ends, 0);
	close(st.fd);
}

/* A quiet input: on_tick runs every tick_ms; the test stops it after a few. */
static void tick_then_stop(struct nw_stage *st)
{
	if (++seen.ticks == 3)
		nw_stage_stop(st, NW_EXIT_OK);
}

TEST(ticks_run_while_the_input_is_quiet)
{
	int p[2];
	struct nw_stage st = { .on_line = on_line, .on_tick = tick_then_stop,
	                       .tick_ms = 5 };

	memset(&seen, 0, sizeof seen);
	CHECK(pipe(p) == 0);
	st.fd = p[0];
	CHECK_INT(nw_stage_run(&st), NW_EXIT_OK);
	CHECK_INT(seen.ticks, 3);
	CHECK_INT(seen.lines, 0);
	close(p[0]);
	close(p[1]);
}

TEST(stats_file_starts_with_the_standard_counters)
{
	char path[] = "/tmp/nwstatsXXXXXX", line[4096];
	uint64_t mine = 5;
	int fd = mkstemp(path);
	const char *names[] = { "\"lines_in\":", "\"lines_out\":", "\"ctl_lines\":",
	                        "\"dead_letters\":5", "\"too_long\":",
	                        "\"read_errors\":", "\"reopens\":",
	                        "\"sink_errors\":", "\"mine\":5" };
	const char *prev;

	close(fd);
	nw_stats_init(path, 1000);
	nw_stats_u64("mine", &mine);
	nw_stats_u64("dead_letters", &mine);     /* takes the standard's place */
	nw_stats_close();
	FILE *fp = fopen(path, "r");
	CHECK(fp != NULL && fgets(line, sizeof line, fp) != NULL);
	prev = line;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *at = strstr(line, names[i]);
		CHECK(at != NULL && at > prev);
		prev = at ? at : prev;
	}
	CHECK(strstr(line, "\"rates\":{\"lines_in\":") != NULL);
	/* dead_letters once among the counters (and once among the rates) */
	const char *first = strstr(line, "\"dead_letters\":");
	const char *rates = strstr(line, "\"rates\":");
	CHECK(first != NULL && rates != NULL && first < rates);
	if (first && rates)
		CHECK(strstr(first + 1, "\"dead_letters\":") > rates);
	if (fp)
		fclose(fp);
	unlink(path);
}

int main(void)
{
	nw_log_init("test_lib_stage");
	RUN(classify_barrier_restore_other_none);
	RUN(ckpt_ctl_parse_agrees_with_the_classifier);
	RUN(loop_forwards_control_lines_in_order_and_counts);
	RUN(loop_without_on_ctl_forwards_everything);
	RUN(stop_from_a_callback_ends_the_loop_with_its_status);
	RUN(read_error_fails_and_is_counted);
	RUN(ticks_run_while_the_input_is_quiet);
	RUN(stats_file_starts_with_the_standard_counters);
	return t_done();
}
