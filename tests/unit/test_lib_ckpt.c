/* Unit tests for lib/ckpt: snapshot round trip, corruption and truncation
 * fall back to the previous snapshot with a WARN, the completed marker,
 * restore-point selection, pruning, barrier and restore control lines. */
#include "nw.h"
#include "ckpt.h"
#include "t.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void fresh_dir(void)
{
	if (dir[0] && t_rm_rf(dir) != 0)
		abort();
	strcpy(dir, "/tmp/nwckptXXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
}

static char *path_of(const char *name)
{
	static char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

static void write_file(const char *name, const char *s)
{
	FILE *fp = fopen(path_of(name), "w");
	if (fp == NULL)
		abort();
	fputs(s, fp);
	fclose(fp);
}

static int count_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* stderr of the code under test goes to a file we can read back. */
static int saved_err = -1;
static void capture_stderr(void)
{
	int fd = open(path_of(".stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	fflush(stderr);
	saved_err = dup(2);
	dup2(fd, 2);
	close(fd);
}

static char captured[4096];
static const char *captured_stderr(void)
{
	FILE *fp;
	size_t n;
	fflush(stderr);
	dup2(saved_err, 2);
	close(saved_err);
	fp = fopen(path_of(".stderr"), "r");
	n = fread(captured, 1, sizeof captured - 1, fp);
	captured[n] = '\0';
	fclose(fp);
	return captured;
}

TEST(crc32_known_value)
{
	/* The standard check value of CRC-32/ISO-HDLC. */
	CHECK_INT(nw_crc32(0, "123456789", 9), 0xcbf43926u);
	CHECK_INT(nw_crc32(nw_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
	CHECK_INT(nw_crc32(0, "", 0), 0);
}

TEST(round_trip_binary_payload)
{
	char payload[1000], *data = NULL;
	size_t len = 0;
	uint64_t id = 0;

	fresh_dir();
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (char)(i * 7);      /* NULs, newlines, high bytes */
	CHECK_INT(nw_ckpt_write(dir, "window", 3, payload, sizeof payload), 0);
	CHECK_INT(nw_ckpt_write(dir, "window", 12, "twelve", 6), 0);
	CHECK_INT(nw_ckpt_load(dir, "window", 11, &id, &data, &len), 1);
	CHECK_INT(id, 3);
	CHECK_INT(len, sizeof payload);
	CHECK(data && memcmp(data, payload, sizeof payload) == 0);
	free(data);
	CHECK_INT(nw_ckpt_load(dir, "window", 12, &id, &data, &len), 1);
	CHECK_INT(id, 12);
	CHECK_STR(data, "twelve");
	free(data);
	CHECK_INT(nw_ckpt_load(dir, "window", 2, &id, &data, &len), 0);
	CHECK_INT(nw_ckpt_load(dir, "kcat-src", 99, &id, &data, &len), 0);
	/* An empty payload is a valid snapshot. */
	CHECK_INT(nw_ckpt_write(dir, "kcat-src", 5, "", 0), 0);
	CHECK_INT(nw_ckpt_load(dir, "kcat-src", 99, &id, &data, &len), 1);
	CHECK_INT(len, 0);
	free(data);
	/* No temporary file is left behind. */
	CHECK_INT(count_files(), 3);
	/* The header is one readable line. */
	FILE *fp = fopen(path_of("window.12.snap"), "r");
	char hdr[128] = "";
	CHECK(fp && fgets(hdr, sizeof hdr, fp));
	if (fp)
		fclose(fp);
	CHECK(strncmp(hdr, "NWSNAP 1 window 12 6 ", 21) == 0);
}

/* Corrupt the newest snapshot in the given way; load must warn and fall
 * back to the previous one. */
static void corrupt_and_load(void (*damage)(const char *path),
                             const char *why)
{
	char *data = NULL;
	size_t len;
	uint64_t id = 0;

	fresh_dir();
	CHECK_INT(nw_ckpt_write(dir, "window", 7, "seven's state", 13), 0);
	CHECK_INT(nw_ckpt_write(dir, "window", 8, "eight's state", 13), 0);
	damage(path_of("window.8.snap"));
	capture_stderr();
	int rc = nw_ckpt_load(dir, "window", 8, &id, &data, &len);
	const char *err = captured_stderr();
	CHECK_INT(rc, 1);
	CHECK_INT(id, 7);
	CHECK_STR(data, "seven's state");
	free(data);
	CHECK(strstr(err, "WARN") != NULL);
	CHECK(strstr(err, "window.8.snap") != NULL);
	CHECK(strstr(err, why) != NULL);
	if (strstr(err, why) == NULL)
		printf("  stderr was: %s\n", err);
}

static void flip_payload_byte(const char *path)
{
	int fd = open(path, O_RDWR);
	struct stat st;
	char c;
	fstat(fd, &st);
	pread(fd, &c, 1, st.st_size - 3);
	c ^= 0x20;
	pwrite(fd, &c, 1, st.st_size - 3);
	close(fd);
}

static void truncate_payload(const char *path)
{
	struct stat st;
	stat(path, &st);
	truncate(path, st.st_size - 4);
}

static void truncate_header(const char *path)
{
	truncate(path, 5);
}

static void bad_version(const char *path)
{
	int fd = open(path, O_RDWR);
	pwrite(fd, "9", 1, 7);          /* "NWSNAP 1" → "NWSNAP 9" */
	close(fd);
}

TEST(flipped_byte_falls_back_with_warn)
{
	corrupt_and_load(flip_payload_byte, "checksum mismatch");
}

TEST(truncated_payload_falls_back_with_warn)
{
	corrupt_and_load(truncate_payload, "truncated");
}

TEST(truncated_header_falls_back_with_warn)
{
	corrupt_and_load(truncate_header, "no header");
}

TEST(unknown_version_falls_back_with_warn)
{
	corrupt_and_load(bad_version, "unknown format version");
}

TEST(renamed_snapshot_is_rejected)
{
	char *data = NULL;
	size_t len;
	uint64_t id = 0;

	fresh_dir();
	CHECK_INT(nw_ckpt_write(dir, "window", 4, "four", 4), 0);
	char from[256];
	snprintf(from, sizeof from, "%s", path_of("window.4.snap"));
	rename(from, path_of("window.9.snap"));
	capture_stderr();
	CHECK_INT(nw_ckpt_load(dir, "window", 100, &id, &data, &len), 0);
	CHECK(strstr(captured_stderr(), "does not match") != NULL);
}

TEST(completed_marker)
{
	uint64_t id = 0;

	fresh_dir();
	CHECK_INT(nw_ckpt_completed(dir, &id), 0);          /* none yet */
	CHECK_INT(nw_ckpt_mark_completed(dir, 41), 0);
	CHECK_INT(nw_ckpt_completed(dir, &id), 1);
	CHECK_INT(id, 41);
	CHECK_INT(nw_ckpt_mark_completed(dir, 40), 0);      /* never backwards */
	CHECK_INT(nw_ckpt_completed(dir, &id), 1);
	CHECK_INT(id, 41);
	CHECK_INT(nw_ckpt_mark_completed(dir, 18446744073709551615ull), 0);
	CHECK_INT(nw_ckpt_completed(dir, &id), 1);
	CHECK(id == 18446744073709551615ull);
	write_file("completed", "77");                    /* no newline: fine */
	CHECK_INT(nw_ckpt_completed(dir, &id), 1);
	CHECK_INT(id, 77);
	const char *bad[] = { "", "\n", "-1\n", "12x\n", " 5\n", "5\n\n",
	                      "18446744073709551616\n" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		write_file("completed", bad[i]);
		capture_stderr();
		int rc = nw_ckpt_completed(dir, &id);
		captured_stderr();
		CHECK_INT(rc, -1);
	}
	CHECK_INT(count_files(), 1);
}

TEST(restore_point_is_consistent_across_stages)
{
	uint64_t id = 0;

	fresh_dir();
	CHECK_INT(nw_ckpt_restore_point(dir, &id), 0);      /* nothing done */
	for (uint64_t b = 1; b <= 4; b++) {
		nw_ckpt_write(dir, "kcat-src", b, "o", 1);
		nw_ckpt_write(dir, "window", b, "w", 1);
	}
	nw_ckpt_write(dir, "kcat-src", 5, "o", 1);          /* in flight */
	CHECK_INT(nw_ckpt_restore_point(dir, &id), 0);      /* none completed */
	nw_ckpt_mark_completed(dir, 4);
	CHECK_INT(nw_ckpt_restore_point(dir, &id), 1);
	CHECK_INT(id, 4);
	/* window's 4 is damaged: the whole chain goes back to 3. */
	flip_payload_byte(path_of("window.4.snap"));
	capture_stderr();
	CHECK_INT(nw_ckpt_restore_point(dir, &id), 1);
	captured_stderr();
	CHECK_INT(id, 3);
	/* window's 3 is missing: 2, where both stages have one. */
	unlink(path_of("window.3.snap"));
	capture_stderr();
	CHECK_INT(nw_ckpt_restore_point(dir, &id), 1);
	captured_stderr();
	CHECK_INT(id, 2);
}

TEST(prune_keeps_the_newest_completed_and_later)
{
	char *data;
	size_t len;
	uint64_t id;

	fresh_dir();
	for (uint64_t b = 1; b <= 6; b++) {
		nw_ckpt_write(dir, "kcat-src", b, "o", 1);
		nw_ckpt_write(dir, "window", b, "w", 1);
	}
	write_file("unrelated.txt", "x");
	write_file("window.x.snap", "x");
	CHECK_INT(nw_ckpt_prune(dir, "window", 4), 3);
	CHECK_INT(nw_ckpt_load(dir, "window", 3, &id, &data, &len), 0);
	CHECK_INT(nw_ckpt_load(dir, "window", 4, &id, &data, &len), 1);
	free(data);
	CHECK_INT(nw_ckpt_load(dir, "kcat-src", 3, &id, &data, &len), 1);
	free(data);
	CHECK_INT(nw_ckpt_prune(dir, NULL, 5), 5);   /* kcat-src 1-4, window 4 */
	CHECK_INT(count_files(), 6);   /* 5 and 6 of both, and the strays */
	CHECK_INT(nw_ckpt_max_id(dir), 6);
	nw_ckpt_mark_completed(dir, 9);
	CHECK_INT(nw_ckpt_max_id(dir), 9);
}

TEST(max_id_of_missing_dir_is_zero)
{
	uint64_t id;
	CHECK_INT(nw_ckpt_max_id("/nonexistent/nwckpt"), 0);
	CHECK_INT(nw_ckpt_completed("/nonexistent/nwckpt", &id), 0);
}

TEST(write_to_missing_dir_fails_with_error)
{
	capture_stderr();
	int rc = nw_ckpt_write("/nonexistent/nwckpt", "window", 1, "x", 1);
	const char *err = captured_stderr();
	CHECK_INT(rc, -1);
	CHECK(strstr(err, "ERROR") != NULL);
	CHECK_INT(nw_ckpt_write(dir, "bad/stage", 1, "x", 1), -1);
}

TEST(control_lines)
{
	struct nw_buf b = { 0 };
	uint64_t id = 0;
	const char *barrier = "{\"@ctl\":{\"type\":\"barrier\",\"id\":17,"
		"\"offsets\":[{\"topic\":\"t\",\"partition\":0,\"next\":1234}]}}";

	CHECK_INT(nw_ckpt_ctl_parse(barrier, strlen(barrier), &id),
	          NW_CKPT_CTL_BARRIER);
	CHECK_INT(id, 17);
	nw_ckpt_restore_line(&b, 42);
	CHECK_STR(b.p, "{\"@ctl\":{\"type\":\"restore\",\"id\":42}}");
	CHECK_INT(nw_ckpt_ctl_parse(b.p, b.len, &id), NW_CKPT_CTL_RESTORE);
	CHECK_INT(id, 42);
	const char *none[] = {
		"{\"@ctl\":{\"type\":\"flush\",\"id\":1}}",
		"{\"@ctl\":{\"type\":\"barrier\"}}",
		"{\"@ctl\":{\"type\":\"barrier\",\"id\":-1}}",
		"{\"@ctl\":{\"type\":\"barrier\",\"id\":\"3\"}}",
		"{\"@ctl\":{\"type\":\"barrier\",\"id\":3},\"x\":1}",
		"{\"type\":\"alert\"}",
		"{\"@ctl\":",
	};
	for (size_t i = 0; i < sizeof none / sizeof *none; i++)
		CHECK_INT(nw_ckpt_ctl_parse(none[i], strlen(none[i]), &id),
		          NW_CKPT_CTL_NONE);
	nw_buf_free(&b);
}

TEST(dir_from_flag_or_environment)
{
	unsetenv(NW_CKPT_ENV);
	CHECK(nw_ckpt_dir(NULL) == NULL);
	CHECK(nw_ckpt_dir("") == NULL);
	setenv(NW_CKPT_ENV, "", 1);
	CHECK(nw_ckpt_dir(NULL) == NULL);
	setenv(NW_CKPT_ENV, "/run/x/ckpt", 1);
	CHECK_STR(nw_ckpt_dir(NULL), "/run/x/ckpt");
	CHECK_STR(nw_ckpt_dir("/flag"), "/flag");
	unsetenv(NW_CKPT_ENV);
}

/* The part table a stage's payload may end with: found by partition,
 * opaque bytes back intact, no table read as none, a cut one refused. */
TEST(part_table_round_trip)
{
	struct nw_buf b = { 0 };
	struct nw_part pt;
	size_t at, body;

	nw_buf_adds(&b, "stage bytes");
	at = nw_parts_begin(&b);
	nw_parts_add(&b, NULL, 0, -1, "implicit", 8);
	nw_parts_add(&b, "t", 1, 3, "three", 5);
	nw_parts_add(&b, "t", 1, 0, "", 0);
	nw_parts_end(&b, at, 3);
	CHECK_INT(nw_parts_count(b.p, b.len, &body), 3);
	CHECK_INT(body, 11);
	CHECK_INT(nw_parts_find(b.p, b.len, "t", 3, &pt), 1);
	CHECK(pt.len == 5 && memcmp(pt.data, "three", 5) == 0);
	CHECK_INT(nw_parts_find(b.p, b.len, "t", 0, &pt), 1);
	CHECK_INT(pt.len, 0);
	CHECK_INT(nw_parts_find(b.p, b.len, "u", 3, &pt), 0);
	CHECK_INT(nw_parts_get(b.p, b.len, 0, &pt), 0);
	CHECK(pt.topic == NULL && pt.partition == -1 && pt.len == 8);
	CHECK_INT(nw_parts_count("stage bytes", 11, &body), 0);
	CHECK_INT(body, 11);
	memset(b.p + b.len - 16, 0xff, 4);           /* a count past the end */
	CHECK_INT(nw_parts_find(b.p, b.len, "t", 0, &pt), -1);
	nw_buf_free(&b);
}

int main(void)
{
	nw_log_init("test");
	RUN(part_table_round_trip);
	RUN(crc32_known_value);
	RUN(round_trip_binary_payload);
	RUN(flipped_byte_falls_back_with_warn);
	RUN(truncated_payload_falls_back_with_warn);
	RUN(truncated_header_falls_back_with_warn);
	RUN(unknown_version_falls_back_with_warn);
	RUN(renamed_snapshot_is_rejected);
	RUN(completed_marker);
	RUN(restore_point_is_consistent_across_stages);
	RUN(prune_keeps_the_newest_completed_and_later);
	RUN(max_id_of_missing_dir_is_zero);
	RUN(write_to_missing_dir_fails_with_error);
	RUN(control_lines);
	RUN(dir_from_flag_or_environment);
	if (t_rm_rf(dir) != 0)
		return 1;
	return t_done();
}
