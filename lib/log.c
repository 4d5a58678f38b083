/* log.c - one line per event on stderr: "LEVEL stage: message key=value". */
#include "nw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_stage = "netwatch";
static enum nw_level log_level = NW_INFO;
static const char *const log_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

void nw_log_init(const char *stage)
{
	const char *env = getenv("NW_LOG_LEVEL");

	log_stage = stage;
	if (env == NULL)
		return;
	for (int i = 0; i <= NW_DEBUG; i++)
		if (strcasecmp(env, log_names[i]) == 0)
			log_level = (enum nw_level)i;
}

void nw_log_set_level(enum nw_level lvl) { log_level = lvl; }
bool nw_log_enabled(enum nw_level lvl) { return lvl <= log_level; }
const char *nw_stage(void) { return log_stage; }

/* Format into one buffer and emit it with a single write(2), so lines from
 * stages sharing a terminal never interleave mid-line. */
static void log_emit(const char *prefix, const char *fmt, va_list ap)
{
	char line[2048];
	int saved = errno;
	int n = snprintf(line, sizeof line, "%s%s: ", prefix, log_stage);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
	errno = saved;
}

void nw_log(enum nw_level lvl, const char *fmt, ...)
{
	char prefix[16];
	va_list ap;

	if (lvl > log_level)
		return;
	snprintf(prefix, sizeof prefix, "%s ", log_names[lvl]);
	va_start(ap, fmt);
	log_emit(prefix, fmt, ap);
	va_end(ap);
}

void nw_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit("", fmt, ap);
	va_end(ap);
	exit(NW_EXIT_USAGE);
}

void nw_print_version(void)
{
	printf("%s (netwatch) %s\n", log_stage, NW_VERSION);
}
