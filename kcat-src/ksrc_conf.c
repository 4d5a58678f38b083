/* ksrc_conf.c - librdkafka properties (-X, -F), secret masking, and the
 * callbacks that route librdkafka's logs and errors through nw_log. */
#include "ksrc.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

volatile int ksrc_fatal;
char ksrc_fatal_msg[512];

void ksrc_conf_init(struct ksrc_conf *c)
{
	memset(c, 0, sizeof *c);
	c->rd = rd_kafka_conf_new();
	c->start = KSRC_START_BEGINNING;
	c->commit_interval_ms = 1000;
	c->stats_interval_ms = 1000;
	c->batch = 4096;
	c->max_line = NW_MAX_LINE_DEFAULT;
}

void ksrc_conf_free(struct ksrc_conf *c)
{
	if (c->rd)
		rd_kafka_conf_destroy(c->rd);
	c->rd = NULL;
	free(c->parts);
	c->parts = NULL;
}

rd_kafka_conf_t *ksrc_conf_take_rd(struct ksrc_conf *c)
{
	rd_kafka_conf_t *rd = c->rd;
	c->rd = NULL;
	return rd;
}

/* Property names whose values are credentials (sasl.password,
 * ssl.key.password, sasl.oauthbearer.client.secret, ...).  Erring on the
 * side of masking: any name mentioning one of these words. */
bool ksrc_prop_is_secret(const char *name)
{
	static const char *const words[] = { "password", "secret", "sasl",
	                                      "key", "jaas", "token" };
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcasestr(name, words[i]))
			return true;
	return false;
}

/* librdkafka's error text may quote the value, so for a secret property
 * only the property's name is reported. */
static void conf_set_or_die(rd_kafka_conf_t *rd, const char *name,
                            const char *value, const char *origin)
{
	char err[512];

	if (rd_kafka_conf_set(rd, name, value, err, sizeof err) == RD_KAFKA_CONF_OK) {
		LOG_DEBUG("property %s=%s (%s)", name,
		          ksrc_prop_is_secret(name) ? "***" : value, origin);
		return;
	}
	if (ksrc_prop_is_secret(name))
		nw_usage_error("%s: property %s refused (value not shown)", origin,
		               name);
	nw_usage_error("%s: %s", origin, err);
}

void ksrc_conf_must(rd_kafka_conf_t *rd, const char *name, const char *value)
{
	conf_set_or_die(rd, name, value, "built-in setting");
}

void ksrc_conf_set_prop(struct ksrc_conf *c, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char name[256];

	if (eq == NULL || eq == kv || (size_t)(eq - kv) >= sizeof name)
		nw_usage_error("-X wants property=value, got \"%.*s\"",
		               (int)(eq ? eq - kv : (ptrdiff_t)strcspn(kv, "=")), kv);
	memcpy(name, kv, (size_t)(eq - kv));
	name[eq - kv] = '\0';
	conf_set_or_die(c->rd, name, eq + 1, "-X");
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* A properties file keeps credentials out of argv (and so out of ps). */
void ksrc_conf_load_file(struct ksrc_conf *c, const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0;

	if (fp == NULL)
		nw_usage_error("-F %s: %s", path, strerror(errno));
	while (getline(&line, &cap, fp) != -1) {
		char *s = trim(line), *eq, origin[64];
		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		snprintf(origin, sizeof origin, "-F line %d", lineno);
		if ((eq = strchr(s, '=')) == NULL || eq == s) {
			free(line);
			fclose(fp);
			nw_usage_error("%s: %s: want property=value", path, origin);
		}
		*eq = '\0';
		conf_set_or_die(c->rd, trim(s), trim(eq + 1), origin);
	}
	free(line);
	fclose(fp);
}

bool ksrc_err_is_fatal(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR__FATAL:
	case RD_KAFKA_RESP_ERR__AUTHENTICATION:
	case RD_KAFKA_RESP_ERR__SSL:
	case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_ILLEGAL_SASL_STATE:
	case RD_KAFKA_RESP_ERR_UNSUPPORTED_SASL_MECHANISM:
	case RD_KAFKA_RESP_ERR_INVALID_GROUP_ID:
		return true;
	default:
		return false;
	}
}

void ksrc_set_fatal(const char *fmt, ...)
{
	va_list ap;

	if (ksrc_fatal)
		return;          /* the first cause is the one worth reporting */
	va_start(ap, fmt);
	vsnprintf(ksrc_fatal_msg, sizeof ksrc_fatal_msg, fmt, ap);
	va_end(ap);
	ksrc_fatal = 1;
}

/* Broker trouble is retried by librdkafka itself: say so at WARN.  What a
 * retry cannot fix ends the program with one line. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	char buf[256];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof buf);
		ksrc_set_fatal("fatal Kafka error: %s: %s", rd_kafka_err2name(orig), buf);
		return;
	}
	if (ksrc_err_is_fatal((rd_kafka_resp_err_t)err)) {
		ksrc_set_fatal("%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err),
		               reason);
		return;
	}
	LOG_WARN("broker trouble, retrying: %s (%s)", reason,
	         rd_kafka_err2name((rd_kafka_resp_err_t)err));
}

/* Errors reach us through on_error too, so librdkafka's own error lines
 * would only repeat them: they are kept for NW_LOG_LEVEL=debug. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
	if (level == 4)
		LOG_WARN("librdkafka %s: %s", fac, buf);
	else
		LOG_DEBUG("librdkafka %s: %s", fac, buf);
}

void ksrc_conf_logging(rd_kafka_conf_t *rd)
{
	rd_kafka_conf_set_error_cb(rd, on_error);
	rd_kafka_conf_set_log_cb(rd, on_log);
}
