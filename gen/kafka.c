/*
 * kafka.c - gen's Kafka output: gen does not speak Kafka itself, it feeds
 * its output into a "kcat-src -P" child (found next to this binary, else on
 * PATH; "netwatch-kcat-src" for an installed netwatch-gen) through a pipe,
 * keyed by src_ip.  The child's failure is gen's.
 *
 * Ownership: this file owns the child (its pid); the caller owns the write
 * end of the pipe that gen_kafka_start returns, and hands it back to
 * gen_kafka_stop, which closes it.
 */
#include "gen.h"
#include "nw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t kafka_pid = -1;

/* Start the producer; returns the fd to write events to.  Exits 1 when
 * the pipe or the fork fails. */
int gen_kafka_start(const char *brokers, const char *topic)
{
	char self[4096], name[4200] = "kcat-src", path[8400];
	int fds[2];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	const char *prog = name;

	/* The producer has the prefix of this binary's name: an installed
	 * netwatch-gen runs netwatch-kcat-src (make install). */
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			size_t bl = strlen(slash + 1);
			if (bl > 3 && strcmp(slash + 1 + bl - 3, "gen") == 0)
				snprintf(name, sizeof name, "%.*skcat-src",
				         (int)(bl - 3), slash + 1);
			snprintf(path, sizeof path, "%s/%s", self, name);
			if (access(path, X_OK) == 0)
				prog = path;
		}
	}
	if (pipe(fds) < 0) {
		LOG_ERROR("pipe: %s", strerror(errno));
		exit(NW_EXIT_FAIL);
	}
	kafka_pid = fork();
	if (kafka_pid < 0) {
		LOG_ERROR("fork: %s", strerror(errno));
		exit(NW_EXIT_FAIL);
	}
	if (kafka_pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execlp(prog, "kcat-src", "-P", "-b", brokers, "-t", topic,
		       "--key-field", "src_ip", (char *)NULL);
		LOG_ERROR("cannot run %s: %s", prog, strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	LOG_INFO("producing via %s pid=%d topic=%s", prog, (int)kafka_pid, topic);
	return fds[1];
}

/* Close the pipe and wait for the producer; its failure is ours. */
int gen_kafka_stop(int fd)
{
	int st;
	close(fd);
	while (waitpid(kafka_pid, &st, 0) < 0)
		if (errno != EINTR)
			return NW_EXIT_FAIL;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return NW_EXIT_OK;
	LOG_ERROR("kcat-src failed status=%d", WIFEXITED(st) ? WEXITSTATUS(st)
	          : 128 + WTERMSIG(st));
	return NW_EXIT_FAIL;
}

/* Writing to the producer failed and gen is about to exit: the producer
 * went away, which is a runtime failure (exit 1), not a closed reader.
 * Returns when there is no producer. */
void gen_kafka_gone(void)
{
	if (kafka_pid <= 0)
		return;
	int st;
	while (waitpid(kafka_pid, &st, 0) < 0 && errno == EINTR)
		;
	LOG_ERROR("kcat-src went away status=%d", WIFEXITED(st) ?
	          WEXITSTATUS(st) : 128 + WTERMSIG(st));
	_exit(NW_EXIT_FAIL);
}
