/* redisurl.c - the Redis URL parser (redisurl.h).
 *
 *   redis://[[user]:password@]host[:port][/db][?db=N]
 *   unix://[[user]:password@]/path/to/redis.sock[?db=N]
 *
 * A pure function over the string: no I/O, no allocation, fixed-size
 * fields.  Error messages describe the part that is wrong and never quote
 * the user info, so a typo cannot leak a password into a log. */
#include "redisurl.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define URL_DEFAULT_PORT 6379
#define URL_DB_MAX       1000000   /* Redis itself caps databases far lower */

static int url_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int url_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into out (NUL-terminated).  -1 on a bad escape, an
 * encoded NUL, or when it does not fit. */
static int pct_decode(const char *s, size_t n, char *out, size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				return -1;
			c = hi * 16 + lo;
			if (c == 0)
				return -1;
			i += 2;
		}
		if (o + 1 >= outsz)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* Decimal digits only, value in [lo, hi]. */
static int parse_num(const char *s, size_t n, long lo, long hi, int *out)
{
	long v = 0;

	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* "user:password" → both fields.  A password is required: AUTH needs one. */
static int parse_userinfo(const char *s, size_t n, struct nw_redis_url *u,
                          char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', n);

	if (colon == NULL)
		return url_err(err, errlen, "user info without a password "
		               "(write user:password@ or :password@)");
	if (pct_decode(s, (size_t)(colon - s), u->user, sizeof u->user) < 0)
		return url_err(err, errlen, "bad user name (percent-encoding or "
		               "longer than %d bytes)", NW_REDIS_URL_SECRET_MAX - 1);
	if (pct_decode(colon + 1, n - (size_t)(colon - s) - 1, u->password,
	               sizeof u->password) < 0)
		return url_err(err, errlen, "bad password (percent-encoding or "
		               "longer than %d bytes)", NW_REDIS_URL_SECRET_MAX - 1);
	if (u->password[0] == '\0')
		return url_err(err, errlen, "empty password after ':'");
	u->has_password = true;
	return 0;
}

static bool host_char(int c)
{
	return isalnum(c) || c == '.' || c == '-' || c == '_';
}

/* host[:port] or [ipv6][:port] */
static int parse_hostport(const char *s, size_t n, struct nw_redis_url *u,
                          char *err, size_t errlen)
{
	const char *h = s, *port = NULL;
	size_t hn;

	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);
		if (rb == NULL)
			return url_err(err, errlen, "unclosed '[' in host");
		h = s + 1;
		hn = (size_t)(rb - h);
		for (size_t i = 0; i < hn; i++)
			if (!isxdigit((unsigned char)h[i]) && h[i] != ':' && h[i] != '.')
				return url_err(err, errlen, "bad IPv6 address in host");
		if (rb + 1 < s + n) {
			if (rb[1] != ':')
				return url_err(err, errlen, "unexpected text after ']'");
			port = rb + 2;
		}
	} else {
		const char *colon = memchr(s, ':', n);
		hn = colon ? (size_t)(colon - s) : n;
		if (colon && memchr(colon + 1, ':', n - hn - 1))
			return url_err(err, errlen, "an IPv6 host must be in brackets");
		for (size_t i = 0; i < hn; i++)
			if (!host_char((unsigned char)h[i]))
				return url_err(err, errlen, "bad character in host");
		if (colon)
			port = colon + 1;
	}
	if (hn == 0)
		return url_err(err, errlen, "missing host");
	if (hn >= sizeof u->host)
		return url_err(err, errlen, "host longer than %d bytes",
		               NW_REDIS_URL_HOST_MAX - 1);
	memcpy(u->host, h, hn);
	u->host[hn] = '\0';
	if (port && parse_num(port, (size_t)(s + n - port), 1, 65535, &u->port) < 0)
		return url_err(err, errlen, "bad port (want 1-65535)");
	return 0;
}

/* "?db=N" (the only parameter). */
static int parse_query(const char *q, size_t n, struct nw_redis_url *u, bool have_db,
                       char *err, size_t errlen)
{
	if (n < 3 || memcmp(q, "db=", 3) != 0)
		return url_err(err, errlen, "unknown URL parameter (only ?db=N)");
	if (have_db)
		return url_err(err, errlen, "database given twice");
	if (parse_num(q + 3, n - 3, 0, URL_DB_MAX, &u->db) < 0)
		return url_err(err, errlen, "bad database number");
	return 0;
}

static int parse_tcp(const char *p, struct nw_redis_url *u, char *err, size_t errlen)
{
	/* The password may hold '/', ':', '?' or '@': the host starts after
	 * the last '@' (nothing after the user info may contain one). */
	const char *at = strrchr(p, '@');
	bool have_db = false;

	if (at) {
		if (parse_userinfo(p, (size_t)(at - p), u, err, errlen) < 0)
			return -1;
		p = at + 1;
	}
	const char *end = p + strlen(p), *qend = end;
	const char *q = memchr(p, '?', (size_t)(end - p));
	if (q)
		end = q;
	const char *slash = memchr(p, '/', (size_t)(end - p));
	if (parse_hostport(p, (size_t)((slash ? slash : end) - p), u, err,
	                   errlen) < 0)
		return -1;
	if (slash && slash + 1 < end) {
		if (parse_num(slash + 1, (size_t)(end - slash - 1), 0, URL_DB_MAX,
		              &u->db) < 0)
			return url_err(err, errlen, "bad database number after '/'");
		have_db = true;
	}
	if (q && parse_query(q + 1, (size_t)(qend - q - 1), u, have_db, err,
	                     errlen) < 0)
		return -1;
	return 0;
}

static int parse_unix(const char *p, struct nw_redis_url *u, char *err, size_t errlen)
{
	if (p[0] != '/') {
		/* user info ends at the first "@/" */
		const char *at = strstr(p, "@/");
		if (at == NULL)
			return url_err(err, errlen, "unix socket path must be absolute "
			               "(unix:///path/to/redis.sock)");
		if (parse_userinfo(p, (size_t)(at - p), u, err, errlen) < 0)
			return -1;
		p = at + 1;
	}
	const char *end = p + strlen(p);
	const char *q = memchr(p, '?', (size_t)(end - p));
	size_t pn = (size_t)((q ? q : end) - p);
	if (pn < 2)
		return url_err(err, errlen, "missing unix socket path");
	if (pn >= sizeof u->path)
		return url_err(err, errlen, "unix socket path longer than %d bytes",
		               NW_REDIS_URL_PATH_MAX - 1);
	memcpy(u->path, p, pn);
	u->path[pn] = '\0';
	if (q && parse_query(q + 1, (size_t)(end - q - 1), u, false, err,
	                     errlen) < 0)
		return -1;
	return 0;
}

int nw_redis_url_parse(const char *s, struct nw_redis_url *u, char *err, size_t errlen)
{
	memset(u, 0, sizeof *u);
	u->port = URL_DEFAULT_PORT;
	if (err && errlen)
		err[0] = '\0';
	if (s == NULL || *s == '\0')
		return url_err(err, errlen, "empty Redis URL");
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x21 || (unsigned char)*c == 0x7f)
			return url_err(err, errlen, "space or control character in "
			               "Redis URL");
	if (strchr(s, '#'))
		return url_err(err, errlen, "'#' in Redis URL (percent-encode it "
		               "as %%23 in a password)");

	int rc;
	if (strncasecmp(s, "redis://", 8) == 0) {
		u->kind = NW_REDIS_URL_TCP;
		rc = parse_tcp(s + 8, u, err, errlen);
	} else if (strncasecmp(s, "unix://", 7) == 0) {
		u->kind = NW_REDIS_URL_UNIX;
		rc = parse_unix(s + 7, u, err, errlen);
	} else if (strncasecmp(s, "rediss://", 9) == 0) {
		rc = url_err(err, errlen, "rediss:// (TLS) is not supported");
	} else {
		rc = url_err(err, errlen, "Redis URL must start with redis:// or "
		             "unix://");
	}
	if (rc < 0)
		nw_redis_url_wipe(u);
	return rc;
}

void nw_redis_url_redacted(const struct nw_redis_url *u, char *out, size_t n)
{
	char db[24] = "";

	if (u->db != 0)
		snprintf(db, sizeof db, "%s%d", u->kind == NW_REDIS_URL_UNIX ? "?db=" : "/",
		         u->db);
	if (u->kind == NW_REDIS_URL_UNIX)
		snprintf(out, n, "unix://%s%s", u->path, db);
	else if (strchr(u->host, ':'))
		snprintf(out, n, "redis://[%s]:%d%s", u->host, u->port, db);
	else
		snprintf(out, n, "redis://%s:%d%s", u->host, u->port, db);
}

void nw_redis_url_wipe(struct nw_redis_url *u)
{
	explicit_bzero(u->password, sizeof u->password);
	explicit_bzero(u->user, sizeof u->user);
	u->has_password = false;
}

void nw_redis_url_scrub_arg(char *arg)
{
	char *at = strrchr(arg, '@'), *p = strstr(arg, "://");

	if (at == NULL || p == NULL || at < p)
		return;
	for (p += 3; p < at; p++)
		*p = '*';
}
