/* log.c - gen's syslog lines (--format rfc5424|rfc3164): the log path's
 * test traffic, the lines normalize's built-in patterns read.
 *
 * A telemetry event becomes a firewall log line (netfilter's LOG format,
 * so the telemetry kinds appear as drops: a port scan is a sweep of DPTs);
 * the background adds ssh logins of 200 accounts, each from its own
 * machine, a typo now and then, sudo and cron; the log kinds (scenario.c)
 * set the line and the account.  Formatting writes into the caller's
 * buffer, as event.c does. */
#include "gen.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Background mix, in per-mille of lines. */
static const struct { enum gen_log log; unsigned permille; } mix[] = {
	{ GEN_LOG_FW, 450 }, { GEN_LOG_SSH_OK, 400 }, { GEN_LOG_SSH_FAIL, 10 },
	{ GEN_LOG_SUDO, 100 }, { GEN_LOG_CRON, 40 },
};

void gen_user_name(char *out, uint32_t n)
{
	snprintf(out, 8, "u%03u", n % 1000);
}

void gen_log_normal(struct gen_event *e, struct gen_rng *r, uint64_t nsrc)
{
	uint64_t d = gen_rng_range(r, 0, 999);
	size_t i = 0;

	while (i + 1 < sizeof mix / sizeof mix[0] && d >= mix[i].permille)
		d -= mix[i++].permille;
	e->log = mix[i].log;
	e->user = (uint32_t)gen_rng_range(r, 0, GEN_USERS - 1);
	e->user_name = NULL;
	if (e->log != GEN_LOG_FW)    /* an account logs in from its own machine */
		e->src = nsrc == GEN_POOL_SIZE ? gen_src_pool[e->user % GEN_POOL_SIZE]
		                               : gen_source(e->user % nsrc);
}

/* The PRI, host and tag of each line. */
static const struct { unsigned pri; const char *host, *app; } kinds[] = {
	[GEN_LOG_FW]       = { 4,  "fw1", "kernel" },    /* kern.warning */
	[GEN_LOG_SSH_OK]   = { 86, "gw1", "sshd" },      /* authpriv.info */
	[GEN_LOG_SSH_FAIL] = { 86, "gw1", "sshd" },
	[GEN_LOG_SUDO]     = { 85, "gw1", "sudo" },      /* authpriv.notice */
	[GEN_LOG_CRON]     = { 78, "gw1", "CRON" },      /* cron.info */
};

static const char *const flag_words[] = {
	[GEN_F_ACK] = "ACK", [GEN_F_SYN_ACK] = "ACK SYN",
	[GEN_F_ACK_PSH] = "ACK PSH", [GEN_F_RST_ACK] = "ACK RST", [GEN_F_SYN] = "SYN",
};

static int fw_line(char *p, size_t n, const struct gen_event *e)
{
	char s[16], d[16];
	uint64_t len = e->bytes_sent < 40 ? 40 : e->bytes_sent > 65535 ? 65535 : e->bytes_sent;

	gen_ip_format(s, e->src);
	gen_ip_format(d, e->dst);
	if (e->proto == GEN_UDP)
		return snprintf(p, n, "[%lld.000000] NW-FW: IN=eth0 OUT=eth1 SRC=%s "
		                "DST=%s LEN=%llu TOS=0x00 PREC=0x00 TTL=63 ID=%u "
		                "PROTO=UDP SPT=%u DPT=%u LEN=%llu",
		                (long long)(e->ts % 10000000), s, d,
		                (unsigned long long)len, (unsigned)(e->id[0] & 0xffff),
		                e->src_port, e->dst_port, (unsigned long long)len - 20);
	return snprintf(p, n, "[%lld.000000] NW-FW: IN=eth0 OUT=eth1 SRC=%s DST=%s "
	                "LEN=%llu TOS=0x00 PREC=0x00 TTL=63 ID=%u DF PROTO=TCP "
	                "SPT=%u DPT=%u WINDOW=64240 RES=0x00 %s URGP=0",
	                (long long)(e->ts % 10000000), s, d, (unsigned long long)len,
	                (unsigned)(e->id[0] & 0xffff), e->src_port, e->dst_port,
	                flag_words[e->flags < 5 ? e->flags : 0]);
}

/* The message part of e's line into p. */
static int message(char *p, size_t n, const struct gen_event *e)
{
	char user[40], src[16];

	if (e->user_name)
		snprintf(user, sizeof user, "%s", e->user_name);
	else
		gen_user_name(user, e->user);
	gen_ip_format(src, e->src);
	switch (e->log) {
	case GEN_LOG_SSH_OK:
		return snprintf(p, n, "Accepted publickey for %s from %s port %u ssh2: "
		                "ED25519 SHA256:%016llx", user, src, e->src_port,
		                (unsigned long long)e->id[1]);
	case GEN_LOG_SSH_FAIL:
		return snprintf(p, n, "Failed password for %s from %s port %u ssh2",
		                user, src, e->src_port);
	case GEN_LOG_SUDO:
		return snprintf(p, n, "  %s : TTY=pts/%u ; PWD=/home/%s ; USER=root ; "
		                "COMMAND=/usr/bin/systemctl status nginx", user,
		                e->src_port % 8, user);
	case GEN_LOG_CRON:
		return snprintf(p, n, "(root) CMD (run-parts /etc/cron.hourly)");
	default:
		return fw_line(p, n, e);
	}
}

size_t gen_log_format(char *out, const struct gen_event *e, enum gen_format fmt)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	unsigned k = e->log <= GEN_LOG_CRON ? e->log : GEN_LOG_FW;
	time_t t = (time_t)e->ts;
	struct tm tm;
	char tag[32];
	int h, m;

	gmtime_r(&t, &tm);
	if (k == GEN_LOG_FW)                 /* the kernel logs without a pid */
		snprintf(tag, sizeof tag, "%s", kinds[k].app);
	else
		snprintf(tag, sizeof tag, "%s[%u]", kinds[k].app,
		         1000 + e->src_port % 30000);
	if (fmt == GEN_FMT_RFC5424)
		h = snprintf(out, GEN_LINE_MAX, "<%u>1 %04d-%02d-%02dT%02d:%02d:%02d.000Z "
		             "%s %s %u - - ", kinds[k].pri, tm.tm_year + 1900,
		             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		             tm.tm_sec, kinds[k].host, kinds[k].app,
		             1000 + e->src_port % 30000);
	else
		h = snprintf(out, GEN_LINE_MAX, "<%u>%.3s %2d %02d:%02d:%02d %s %s: ",
		             kinds[k].pri, &months[3 * tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min,
		             tm.tm_sec, kinds[k].host, tag);
	m = message(out + h, GEN_LINE_MAX - (size_t)h, e);
	return (size_t)(h + m) < GEN_LINE_MAX ? (size_t)(h + m) : GEN_LINE_MAX - 1;
}
