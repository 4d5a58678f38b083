/* Unit tests for the supervisor support in lib/: reopening the input FIFO
 * at EOF (NW_REOPEN_INPUT) and the default stats file (NW_STATS_FILE). */
#include "nw.h"
#include "t.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/nwreopenXXXXXX";
static char fifo[64], eof_marker[80];

/* A fresh FIFO named by NW_REOPEN_INPUT, and a reader on it that does not
 * block at open (no writer yet). */
static int fifo_reader(struct nw_reader *r)
{
	unlink(fifo);
	unlink(eof_marker);
	if (mkfifo(fifo, 0600) != 0)
		abort();
	setenv("NW_REOPEN_INPUT", fifo, 1);
	int fd = open(fifo, O_RDONLY | O_NONBLOCK);
	if (fd < 0 || nw_reader_init(r, fd, 0) != 0)
		abort();
	return fd;
}

static void put(const char *s)
{
	int w = open(fifo, O_WRONLY | O_NONBLOCK);   /* a reader is there */
	if (w < 0 || write(w, s, strlen(s)) != (ssize_t)strlen(s))
		abort();
	close(w);
}

/* What the supervisor does when the upstream stage finished for good. */
static void finish(void)
{
	int fd = open(eof_marker, O_WRONLY | O_CREAT, 0600);
	if (fd < 0)
		abort();
	close(fd);
	fd = open(fifo, O_RDWR);
	if (fd < 0)
		abort();
	close(fd);
}

static void reader_done(struct nw_reader *r)
{
	close(r->fd);
	nw_reader_free(r);
	unsetenv("NW_REOPEN_INPUT");
}

TEST(reopen_waits_for_a_new_writer_after_eof)
{
	struct nw_reader r;
	char *l;
	size_t n;
	fifo_reader(&r);
	CHECK(r.reopen != NULL);
	put("a\nb\n");
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_LINE); CHECK_STR(l, "a");
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_LINE); CHECK_STR(l, "b");
	/* The writer is gone: not the end, the reader waits for another. */
	CHECK_INT(nw_reader_next(&r, &l, &n, 50), NW_RD_TIMEOUT);
	CHECK_INT(nw_reader_next(&r, &l, &n, 50), NW_RD_TIMEOUT);
	CHECK_INT(r.reopens, 1);
	put("c\n");
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_LINE); CHECK_STR(l, "c");
	CHECK_INT(nw_reader_next(&r, &l, &n, 50), NW_RD_TIMEOUT);
	CHECK_INT(r.reopens, 2);
	finish();
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_EOF);
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_EOF);   /* sticky */
	CHECK_INT(r.lines, 3);
	reader_done(&r);
}

TEST(reopen_hands_out_a_dead_writers_partial_line)
{
	struct nw_reader r;
	char *l;
	size_t n;
	fifo_reader(&r);
	put("whole\n{\"cut\":");
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_LINE); CHECK_STR(l, "whole");
	/* Handed out on its own (the stage dead-letters it), never glued to
	 * the next writer's first line. */
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_LINE);
	CHECK_STR(l, "{\"cut\":");
	put("{\"next\":1}\n");
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_LINE);
	CHECK_STR(l, "{\"next\":1}");
	finish();
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_EOF);
	reader_done(&r);
}

TEST(reopen_ends_on_a_marker_created_before_eof)
{
	struct nw_reader r;
	char *l;
	size_t n;
	fifo_reader(&r);
	int w = open(fifo, O_WRONLY | O_NONBLOCK);
	CHECK(w >= 0);
	CHECK(write(w, "x\n", 2) == 2);
	int fd = open(eof_marker, O_WRONLY | O_CREAT, 0600);
	close(fd);
	close(w);
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_LINE); CHECK_STR(l, "x");
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_EOF);
	CHECK_INT(r.reopens, 0);
	reader_done(&r);
}

TEST(reopen_ends_on_stop_signal)
{
	struct nw_reader r;
	char *l;
	size_t n;
	fifo_reader(&r);
	put("x\n");
	nw_sig_stop = 1;
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_LINE);
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_EOF);
	nw_sig_stop = 0;
	reader_done(&r);
}

/* No timeout: the wait for a writer must block (poll), not spin on the
 * non-blocking FIFO's 0-byte reads; a child plays the restarted stage. */
TEST(reopen_blocking_read_waits_without_spinning)
{
	struct nw_reader r;
	char *l;
	size_t n;
	fifo_reader(&r);
	put("1\n");
	pid_t pid = fork();
	if (pid == 0) {
		usleep(150 * 1000);
		put("2\n");
		usleep(50 * 1000);
		finish();
		_exit(0);
	}
	alarm(10);                 /* a hang fails the test instead */
	CHECK_INT(nw_reader_next(&r, &l, &n, -1), NW_RD_LINE); CHECK_STR(l, "1");
	int64_t t0 = nw_mono_ms();
	CHECK_INT(nw_reader_next(&r, &l, &n, -1), NW_RD_LINE); CHECK_STR(l, "2");
	CHECK(nw_mono_ms() - t0 >= 100);
	CHECK_INT(nw_reader_next(&r, &l, &n, -1), NW_RD_EOF);
	alarm(0);
	/* One reopen per writer that went away, not one per wake-up. */
	CHECK(r.reopens >= 1 && r.reopens <= 3);
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
	reader_done(&r);
}

TEST(reopen_ignored_when_env_names_another_file)
{
	struct nw_reader r;
	char *l;
	size_t n;
	int fds[2];
	unlink(fifo);
	CHECK(mkfifo(fifo, 0600) == 0);
	setenv("NW_REOPEN_INPUT", fifo, 1);
	CHECK(pipe(fds) == 0);
	CHECK_INT(nw_reader_init(&r, fds[0], 0), 0);
	CHECK(r.reopen == NULL);
	CHECK(write(fds[1], "p\n", 2) == 2);
	close(fds[1]);
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_LINE); CHECK_STR(l, "p");
	CHECK_INT(nw_reader_next(&r, &l, &n, 100), NW_RD_EOF);
	reader_done(&r);
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

TEST(stats_file_defaults_to_env)
{
	char env_path[96], flag_path[96];
	uint64_t v = 7;
	snprintf(env_path, sizeof env_path, "%s/env.stats", dir);
	snprintf(flag_path, sizeof flag_path, "%s/flag.stats", dir);
	setenv("NW_STATS_FILE", env_path, 1);
	nw_stats_init(NULL, 1000);
	nw_stats_u64("things", &v);
	nw_stats_close();
	char *s = slurp(env_path);
	CHECK(s != NULL && strstr(s, "\"things\":7") != NULL);
	/* An explicit --stats path wins over the environment. */
	unlink(env_path);
	nw_stats_init(flag_path, 1000);
	nw_stats_close();
	CHECK(slurp(flag_path) != NULL);
	CHECK(access(env_path, F_OK) != 0);
	unsetenv("NW_STATS_FILE");
	unlink(flag_path);
}

/* A slow stage's file is refreshed while its reader waits, not only every
 * few hundred lines. */
TEST(stats_refreshed_while_reader_waits)
{
	char path[96];
	uint64_t v = 1;
	int fds[2];
	struct nw_reader r;
	char *l;
	size_t n;
	snprintf(path, sizeof path, "%s/idle.stats", dir);
	nw_stats_init(path, 50);
	nw_stats_u64("things", &v);
	CHECK(pipe(fds) == 0);
	CHECK_INT(nw_reader_init(&r, fds[0], 0), 0);
	CHECK(write(fds[1], "a\n", 2) == 2);
	CHECK_INT(nw_reader_next(&r, &l, &n, 10), NW_RD_LINE);
	CHECK(access(path, F_OK) != 0);          /* too early */
	v = 2;
	usleep(80 * 1000);
	CHECK_INT(nw_reader_next(&r, &l, &n, 10), NW_RD_TIMEOUT);
	char *s = slurp(path);
	CHECK(s != NULL && strstr(s, "\"things\":2") != NULL);
	close(fds[1]);
	close(fds[0]);
	nw_reader_free(&r);
	nw_stats_close();
	unlink(path);
}

int main(void)
{
	nw_log_init("test_lib_reopen");
	nw_log_set_level(NW_WARN);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(fifo, sizeof fifo, "%s/in", dir);
	snprintf(eof_marker, sizeof eof_marker, "%s/in.eof", dir);
	RUN(reopen_waits_for_a_new_writer_after_eof);
	RUN(reopen_hands_out_a_dead_writers_partial_line);
	RUN(reopen_ends_on_a_marker_created_before_eof);
	RUN(reopen_ends_on_stop_signal);
	RUN(reopen_blocking_read_waits_without_spinning);
	RUN(reopen_ignored_when_env_names_another_file);
	RUN(stats_file_defaults_to_env);
	RUN(stats_refreshed_while_reader_waits);
	unlink(fifo);
	unlink(eof_marker);
	rmdir(dir);
	return t_done();
}
