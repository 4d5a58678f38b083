/*
 * http.c - one webhook post at a time over a libcurl multi handle, so the
 * event loop can wait on the transfer and on stdin together.
 *
 * The easy handle is reused (keep-alive) and configured once: http/https
 * only, TLS peer and host verification on, no redirects (a 3xx is a
 * permanent failure, so an alert never goes to another host), connect and
 * total timeouts.  The URL is a secret: it is never logged, and curl's
 * error text is scrubbed of it before it reaches a log line.
 */
#include "ntf.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BODY_KEEP (16 * 1024)   /* response bytes kept for errors and 429 */

struct ntf_http {
	CURLM *multi;
	CURL *easy;
	struct curl_slist *hdrs;    /* the fixed headers ... */
	struct curl_slist *post_hdrs;   /* ... and this post's key */
	char *url, *path;           /* path: the secret part, for scrubbing */
	char errbuf[CURL_ERROR_SIZE];
	struct nw_buf body;
	int64_t retry_header_ms;    /* Retry-After of the last response */
	bool busy, done;
	CURLcode code;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct ntf_http *h = arg;
	size_t len = size * n;
	if (h->body.len < BODY_KEEP)
		nw_buf_add(&h->body, p, len < BODY_KEEP - h->body.len ?
		           len : BODY_KEEP - h->body.len);
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	static const char name[] = "retry-after:";
	struct ntf_http *h = arg;
	size_t len = size * n;
	char v[128];

	if (len > 5 && strncmp(p, "HTTP/", 5) == 0)
		h->retry_header_ms = -1;        /* a new response begins */
	if (len > sizeof name - 1 && len - (sizeof name - 1) < sizeof v &&
	    strncasecmp(p, name, sizeof name - 1) == 0) {
		size_t k = len - (sizeof name - 1);
		memcpy(v, p + sizeof name - 1, k);
		v[k] = '\0';
		h->retry_header_ms = ntf_retry_after_header(v, nw_wall_ms());
	}
	return len;
}

bool ntf_url_public(const char *url, char *out, size_t outsz, char *host,
                    size_t hostsz)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *h = NULL, *port = NULL;
	bool ok = false;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0)) {
		if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT)
		    == CURLUE_OK)
			snprintf(out, outsz, "%s://%s:%s", scheme, h, port);
		else
			snprintf(out, outsz, "%s://%s", scheme, h);
		snprintf(host, hostsz, "%s", h);
		ok = true;
	}
	curl_free(scheme);
	curl_free(h);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

/* The part of the URL after scheme://host[:port], or NULL. */
static char *url_secret_part(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	return p && strlen(p) > 1 ? nw_xstrdup(p) : NULL;
}

struct ntf_http *ntf_http_new(const char *url, int64_t timeout_ms,
                              int64_t connect_timeout_ms)
{
	struct ntf_http *h = nw_xcalloc(1, sizeof *h);
	h->url = nw_xstrdup(url);
	h->path = url_secret_part(url);
	h->multi = curl_multi_init();
	h->easy = curl_easy_init();
	h->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	h->hdrs = curl_slist_append(h->hdrs, "Expect:");
	h->hdrs = curl_slist_append(h->hdrs, "User-Agent: netwatch-notify/" NW_VERSION);
	if (!h->url || !h->multi || !h->easy || !h->hdrs) {
		ntf_http_free(h);
		return NULL;
	}
	CURL *e = h->easy;
	curl_easy_setopt(e, CURLOPT_URL, h->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
	return h;
}

void ntf_http_free(struct ntf_http *h)
{
	if (h == NULL)
		return;
	if (h->busy)
		curl_multi_remove_handle(h->multi, h->easy);
	if (h->easy)
		curl_easy_cleanup(h->easy);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	curl_slist_free_all(h->hdrs);
	curl_slist_free_all(h->post_hdrs);
	nw_buf_free(&h->body);
	free(h->url);
	free(h->path);
	free(h);
}

void *ntf_http_multi(struct ntf_http *h) { return h->multi; }
bool ntf_http_busy(const struct ntf_http *h) { return h->busy; }

/* The fixed headers plus "Idempotency-Key: key" (the IETF httpapi draft's
 * header), rebuilt for every post.  The key is an alert_id, whose
 * alphabet (ntf_alert_check) cannot break a header line. */
static int post_headers(struct ntf_http *h, const char *key)
{
	char line[sizeof "Idempotency-Key: " + NTF_KEY_MAX + 2];
	struct curl_slist *l = NULL, *n;

	for (const struct curl_slist *s = h->hdrs; s; s = s->next) {
		if ((n = curl_slist_append(l, s->data)) == NULL)
			goto fail;
		l = n;
	}
	if (key) {
		snprintf(line, sizeof line, "Idempotency-Key: \"%s\"", key);
		if ((n = curl_slist_append(l, line)) == NULL)
			goto fail;
		l = n;
	}
	curl_slist_free_all(h->post_hdrs);
	h->post_hdrs = l;
	curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, h->post_hdrs);
	return 0;
fail:
	curl_slist_free_all(l);
	return -1;
}

int ntf_http_start(struct ntf_http *h, const char *body, size_t len,
                   const char *key)
{
	if (post_headers(h, key) != 0)
		return -1;
	nw_buf_reset(&h->body);
	h->errbuf[0] = '\0';
	h->retry_header_ms = -1;
	h->done = false;
	curl_easy_setopt(h->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h->easy, CURLOPT_COPYPOSTFIELDS, body);
	if (curl_multi_add_handle(h->multi, h->easy) != CURLM_OK)
		return -1;
	h->busy = true;
	return 0;
}

bool ntf_http_poll(struct ntf_http *h)
{
	int running, left;
	CURLMsg *m;

	curl_multi_perform(h->multi, &running);
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE && m->easy_handle == h->easy) {
			h->code = m->data.result;
			curl_multi_remove_handle(h->multi, h->easy);
			h->busy = false;
			h->done = true;
		}
	bool d = h->done;
	h->done = false;
	return d;
}

enum ntf_verdict ntf_classify(int curl_code, long status)
{
	static const struct { long lo, hi; enum ntf_verdict v; } table[] = {
		{ 200, 299, NTF_DELIVERED },
		{ 429, 429, NTF_WAIT },
		{ 408, 408, NTF_RETRY },     /* the receiver timed out reading us */
		{ 500, 599, NTF_RETRY },
	};
	if (curl_code != CURLE_OK)
		return NTF_RETRY;            /* timeouts, connection errors */
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (status >= table[i].lo && status <= table[i].hi)
			return table[i].v;
	return NTF_DEAD;                 /* other 4xx, 3xx (not followed), odd */
}

int64_t ntf_retry_after_header(const char *v, int64_t now_wall_ms)
{
	char buf[128], *end;

	while (*v == ' ' || *v == '\t')
		v++;
	snprintf(buf, sizeof buf, "%s", v);
	size_t n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == '\n' ||
	                 buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	if (n == 0)
		return -1;
	double s = strtod(buf, &end);
	if (end != buf && *end == '\0')
		return s >= 0 && s < 1e9 ? (int64_t)(s * 1000 + 0.5) : -1;
	time_t t = curl_getdate(buf, NULL);      /* an HTTP date */
	if (t == (time_t)-1)
		return -1;
	int64_t ms = (int64_t)t * 1000 - now_wall_ms;
	return ms > 0 ? ms : 0;
}

int64_t ntf_retry_after_body(const char *body, size_t len)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	json_t *v = json_object_get(j, "retry_after");
	int64_t ms = -1;
	if (json_is_number(v)) {
		double s = json_number_value(v);
		if (s >= 0 && s < 1e9)
			ms = (int64_t)(s * 1000 + 0.5);
	}
	json_decref(j);
	return ms;
}

/* Printable start of the response body, for the dead letter and the log. */
static void body_start(char *out, size_t sz, const struct nw_buf *b)
{
	size_t i, j = 0;
	for (i = 0; i < b->len && j + 1 < sz; i++) {
		unsigned char c = (unsigned char)b->p[i];
		out[j++] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
	}
	out[j] = '\0';
}

/* Replace every occurrence of the secret in s (in place, shortens). */
static void scrub(char *s, const char *secret)
{
	static const char mark[] = "<redacted>";
	char *p;
	size_t n = secret ? strlen(secret) : 0;
	if (n <= sizeof mark)
		return;                   /* too short to hold a token */
	while ((p = strstr(s, secret)) != NULL) {
		memcpy(p, mark, sizeof mark - 1);
		memmove(p + sizeof mark - 1, p + n, strlen(p + n) + 1);
	}
}

void ntf_http_result(struct ntf_http *h, struct ntf_result *r)
{
	long status = 0;

	memset(r, 0, sizeof *r);
	curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
	r->status = h->code == CURLE_OK ? status : 0;
	r->verdict = ntf_classify(h->code, r->status);
	r->wait_ms = -1;
	if (r->verdict == NTF_WAIT) {
		int64_t b = ntf_retry_after_body(h->body.p ? h->body.p : "", h->body.len);
		r->wait_ms = h->retry_header_ms > b ? h->retry_header_ms : b;
	}
	if (h->code != CURLE_OK) {
		snprintf(r->what, sizeof r->what, "%s",
		         h->errbuf[0] ? h->errbuf : curl_easy_strerror(h->code));
		scrub(r->what, h->url);
		scrub(r->what, h->path);
	} else {
		body_start(r->what, sizeof r->what, &h->body);
	}
}
