/*
 * lookup.c - the external lookups (--lookup URL): one HTTP GET per
 * distinct address over a libcurl multi handle, at most `concurrency` in
 * flight, however many events wait for the answer.  curl's socket API
 * (curl_multi_socket_action) with one poll(2) on its sockets and the
 * caller's descriptor (stdin): a turn costs per transfer with news, not
 * per transfer in flight.  A lookup is created
 * by the first slot that wants its address (queued, in a table by
 * address), started when there is room, and on its end every waiting slot
 * gets the answer or the reason it failed.
 *
 *   2xx with a JSON body   the answer: cached, and each slot gets the
 *                          body without its whitespace (one line)
 *   429                    no new request starts before Retry-After
 *                          (seconds or an HTTP date; 1 s without one,
 *                          60 s at most) and the lookup goes first in
 *                          line again, max_429 times; then it fails
 *   anything else          fails: "timeout" (--timeout), "HTTP 500",
 *                          "response is not JSON", curl's reason
 *
 * Failures are not cached: a later event asks again.
 *
 * Ownership: the lookuper owns the multi handle, the header list, the
 * idle easy handles, every lookup (its easy handle while in flight, body
 * and waiter list) and the table; the
 * config, the cache, the queue and the counters are the caller's.
 */
#include "lk.h"

#include <curl/curl.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LK_BODY_MAX     (1u << 20)    /* a longer answer is an error */
#define LK_WAIT_429_MS  1000          /* a 429 without Retry-After */
#define LK_WAIT_MAX_MS  60000         /* longest pause a 429 may ask */

struct enr_lk_waiter { struct enr_pend *p; int i; };

struct enr_lk {
	struct enr_lk *hnext;           /* table chain */
	struct enr_lk *qnext;           /* start queue */
	ipset_addr a;
	char ip[64];
	struct enr_lk_waiter *w;
	int nw, capw;
	CURL *easy;                     /* while in flight */
	struct nw_buf body;
	bool too_big;
	int n429;
	int64_t retry_ms;               /* Retry-After of this answer, -1 */
};

struct enr_lkr {
	const struct enr_lk_cfg *cfg;
	struct enr_cache *cache;
	struct enr_pq *pq;
	struct enr_lk_counts *n;
	CURLM *multi;
	struct curl_slist *hdrs;
	struct enr_lk **bucket;
	size_t nbucket, nlk;
	struct enr_lk *qhead, *qtail;
	CURL **idle;                    /* handles between transfers */
	int nidle;
	int64_t paused_until;           /* mono ms: a 429's Retry-After */
	struct nw_buf url;
	/* curl's sockets and timer (the socket API: only the transfers with
	 * news are touched, however many are in flight); pfd[0] is the
	 * caller's descriptor */
	struct pollfd *pfd;
	int npfd, cappfd;
	int64_t timer_at;               /* mono ms, -1: none */
};

bool enr_lk_url(struct nw_buf *b, const char *tmpl, const char *ip)
{
	const char *at = strstr(tmpl, "{ip}");

	if (at == NULL)
		return false;
	nw_buf_reset(b);
	nw_buf_add(b, tmpl, (size_t)(at - tmpl));
	nw_buf_adds(b, ip);         /* digits, dots, colons: nothing to escape */
	nw_buf_adds(b, at + 4);
	nw_buf_addc(b, '\0');
	return true;
}

int64_t enr_retry_after(const char *v, int64_t now_wall_ms)
{
	char buf[128], *end;
	long s;
	time_t t;

	v += strspn(v, " \t");
	snprintf(buf, sizeof buf, "%.*s", (int)strcspn(v, "\r\n"), v);
	if (buf[0] == '\0')
		return -1;
	s = strtol(buf, &end, 10);
	if (end != buf && end[strspn(end, " \t")] == '\0')
		return s >= 0 && s < 1000000 ? (int64_t)s * 1000 : -1;
	if ((t = curl_getdate(buf, NULL)) == (time_t)-1)
		return -1;
	return (int64_t)t * 1000 > now_wall_ms ? (int64_t)t * 1000 - now_wall_ms : 0;
}

void enr_addr_fmt(ipset_addr a, char *buf, size_t len)
{
	ipset_fmt(a, 128, buf, len);
	buf[strcspn(buf, "/")] = '\0';       /* a host: no "/32" */
}

/* ---- the table of lookups queued or in flight, by address ------------ */
static struct enr_lk **lk_slot(struct enr_lkr *l, ipset_addr a)
{
	struct enr_lk **pp = &l->bucket[enr_addr_hash(a) & (l->nbucket - 1)];

	while (*pp && (*pp)->a != a)
		pp = &(*pp)->hnext;
	return pp;
}

/* Twice the buckets once there are twice as many lookups. */
static void lk_grow(struct enr_lkr *l)
{
	struct enr_lk **old = l->bucket;
	size_t nold = l->nbucket;

	l->nbucket *= 2;
	l->bucket = nw_xcalloc(l->nbucket, sizeof *l->bucket);
	for (size_t b = 0; b < nold; b++)
		for (struct enr_lk *k = old[b], *next; k; k = next) {
			next = k->hnext;
			k->hnext = NULL;
			*lk_slot(l, k->a) = k;
		}
	free(old);
}

/* ---- curl callbacks ---------------------------------------------------- */
static size_t lk_on_body(char *p, size_t size, size_t n, void *arg)
{
	struct enr_lk *k = arg;

	if (k->body.len + n > LK_BODY_MAX) {
		k->too_big = true;
		return 0;                       /* curl stops: CURLE_WRITE_ERROR */
	}
	nw_buf_add(&k->body, p, n);
	return size * n;
}

static size_t lk_on_header(char *p, size_t size, size_t n, void *arg)
{
	struct enr_lk *k = arg;
	static const char name[] = "retry-after:";

	if (n > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
		char v[128];
		snprintf(v, sizeof v, "%.*s", (int)(n - (sizeof name - 1)),
		         p + sizeof name - 1);
		k->retry_ms = enr_retry_after(v, nw_wall_ms());
	}
	return size * n;
}

/* ---- starting ---------------------------------------------------------- */
/* An easy handle with the options every request shares: one of the
 * idle ones (a transfer that ended gives its handle back), or a new one. */
static CURL *lk_easy(struct enr_lkr *l)
{
	CURL *e;

	if (l->nidle > 0)
		return l->idle[--l->nidle];
	if ((e = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, l->hdrs);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "netwatch-enrich/" NW_VERSION);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)l->cfg->timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, lk_on_body);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, lk_on_header);
	return e;
}

/* A handle whose transfer ended: kept for the next request while fewer
 * than --concurrency are idle. */
static void lk_easy_done(struct enr_lkr *l, CURL *e)
{
	curl_multi_remove_handle(l->multi, e);
	if (l->nidle < l->cfg->concurrency)
		l->idle[l->nidle++] = e;
	else
		curl_easy_cleanup(e);
}

static int lk_start(struct enr_lkr *l, struct enr_lk *k)
{
	CURL *e = lk_easy(l);

	if (e == NULL)
		return -1;
	enr_lk_url(&l->url, l->cfg->url, k->ip);    /* the flag has "{ip}" */
	curl_easy_setopt(e, CURLOPT_URL, l->url.p);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, k);
	curl_easy_setopt(e, CURLOPT_PRIVATE, k);
	if (curl_multi_add_handle(l->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		return -1;
	}
	nw_buf_reset(&k->body);
	k->too_big = false;
	k->retry_ms = -1;
	k->easy = e;
	l->n->requests++;
	l->n->inflight++;
	return 0;
}

static void lk_finish(struct enr_lkr *l, struct enr_lk *k, const char *body,
                      size_t len, const char *err);

/* The queued lookups while there is room and no 429 pause. */
static void lk_start_due(struct enr_lkr *l)
{
	while (l->qhead && l->n->inflight < (uint64_t)l->cfg->concurrency &&
	       nw_mono_ms() >= l->paused_until) {
		struct enr_lk *k = l->qhead;
		l->qhead = k->qnext;
		if (l->qhead == NULL)
			l->qtail = NULL;
		k->qnext = NULL;
		l->n->queued--;
		if (lk_start(l, k) < 0)
			lk_finish(l, k, NULL, 0, "cannot start a request");
	}
}

static void lk_enqueue(struct enr_lkr *l, struct enr_lk *k, bool first)
{
	if (first) {
		k->qnext = l->qhead;
		l->qhead = k;
		if (l->qtail == NULL)
			l->qtail = k;
	} else {
		*(l->qtail ? &l->qtail->qnext : &l->qhead) = k;
		l->qtail = k;
	}
	l->n->queued++;
}

void enr_lk_want(struct enr_lkr *l, ipset_addr a, struct enr_pend *p, int i)
{
	struct enr_lk **pp = lk_slot(l, a), *k = *pp;

	if (k == NULL) {
		k = *pp = nw_xcalloc(1, sizeof *k);
		k->a = a;
		enr_addr_fmt(a, k->ip, sizeof k->ip);
		lk_enqueue(l, k, false);
		if (++l->nlk > 2 * l->nbucket)
			lk_grow(l);
	} else {
		l->n->coalesced++;
	}
	if (k->nw == k->capw) {
		k->capw = k->capw ? 2 * k->capw : 2;
		k->w = nw_xreallocarray(k->w, (size_t)k->capw, sizeof *k->w);
	}
	k->w[k->nw++] = (struct enr_lk_waiter){ p, i };
}

/* ---- ending ------------------------------------------------------------ */
/* Out of the table; every waiter gets a copy of body or err; freed. */
static void lk_finish(struct enr_lkr *l, struct enr_lk *k, const char *body,
                      size_t len, const char *err)
{
	*lk_slot(l, k->a) = k->hnext;
	l->nlk--;
	for (int j = 0; j < k->nw; j++) {
		struct enr_slot *s = &k->w[j].p->slot[k->w[j].i];
		if (body) {
			s->body = nw_xmemdup(body, len);
			s->body_len = len;
		} else {
			s->err = nw_xstrdup(err);
		}
		enr_pq_slot_done(l->pq, k->w[j].p, k->w[j].i);
	}
	free(k->w);
	nw_buf_free(&k->body);
	free(k);
}

/* A valid JSON text without the whitespace between its tokens (so it is
 * one line, and as the service wrote it otherwise); false when not JSON. */
static bool lk_json_squeeze(struct nw_buf *b)
{
	json_error_t jerr;
	json_t *j = json_loadb(b->p, b->len, JSON_DECODE_ANY, &jerr);
	size_t o = 0;
	bool in_str = false;

	if (j == NULL)
		return false;
	json_decref(j);
	for (size_t i = 0; i < b->len; i++) {
		char c = b->p[i];
		if (in_str) {
			if (c == '\\')
				b->p[o++] = b->p[i++];      /* the escaped byte follows */
			else if (c == '"')
				in_str = false;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		} else if (c == '"') {
			in_str = true;
		}
		b->p[o++] = b->p[i];
	}
	b->len = o;
	return true;
}

/* A 429 that may still wait: pause new starts, go first in line again. */
static bool lk_throttled(struct enr_lkr *l, struct enr_lk *k)
{
	int64_t wait = k->retry_ms >= 0 ? k->retry_ms : LK_WAIT_429_MS;

	if (++k->n429 > l->cfg->max_429)
		return false;
	if (wait > LK_WAIT_MAX_MS)
		wait = LK_WAIT_MAX_MS;
	if (nw_mono_ms() + wait > l->paused_until)
		l->paused_until = nw_mono_ms() + wait;
	l->n->throttled++;
	LOG_DEBUG("429 for %s: no new request for %lld ms", k->ip, (long long)wait);
	lk_enqueue(l, k, true);
	return true;
}

/* One transfer ended: the answer, a retry after a 429, or a failure. */
static void lk_done(struct enr_lkr *l, CURL *e, CURLcode code)
{
	struct enr_lk *k;
	long status = 0;
	char why[200];

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&k);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	lk_easy_done(l, e);
	k->easy = NULL;
	l->n->inflight--;
	if (code == CURLE_OK && status == 429 && lk_throttled(l, k))
		return;
	if (code == CURLE_OK && status >= 200 && status < 300) {
		if (lk_json_squeeze(&k->body)) {
			l->n->ok++;
			enr_cache_put(l->cache, k->a, k->body.p, k->body.len, nw_mono_ms());
			lk_finish(l, k, k->body.p, k->body.len, NULL);
			return;
		}
		snprintf(why, sizeof why, "response is not JSON");
	} else if (code == CURLE_OK) {
		snprintf(why, sizeof why, "HTTP %ld", status);
	} else if (code == CURLE_OPERATION_TIMEDOUT) {
		snprintf(why, sizeof why, "timeout");
		l->n->timeouts++;
	} else {
		snprintf(why, sizeof why, "%s", k->too_big ? "response too long"
		                                           : curl_easy_strerror(code));
	}
	l->n->failures++;
	LOG_DEBUG("lookup of %s failed: %s", k->ip, why);
	lk_finish(l, k, NULL, 0, why);
}

/* CURLMOPT_SOCKETFUNCTION: keep pfd[1..] in step with what curl wants
 * to wait for on each of its sockets. */
static int lk_on_socket(CURL *e, curl_socket_t fd, int what, void *arg,
                        void *sockp)
{
	struct enr_lkr *l = arg;
	int i = 1;

	while (i < l->npfd && l->pfd[i].fd != fd)
		i++;
	if (what == CURL_POLL_REMOVE) {
		if (i < l->npfd)
			l->pfd[i] = l->pfd[--l->npfd];
		return 0;
	}
	if (i == l->npfd) {
		if (l->npfd == l->cappfd) {
			l->cappfd *= 2;
			l->pfd = nw_xreallocarray(l->pfd, (size_t)l->cappfd, sizeof *l->pfd);
		}
		l->npfd++;
	}
	l->pfd[i] = (struct pollfd){ .fd = fd,
		.events = (short)((what & CURL_POLL_IN ? POLLIN : 0) |
		                  (what & CURL_POLL_OUT ? POLLOUT : 0)) };
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: when curl wants to be called without news. */
static int lk_on_timer(CURLM *m, long ms, void *arg)
{
	struct enr_lkr *l = arg;

	l->timer_at = ms < 0 ? -1 : nw_mono_ms() + ms;
	return 0;
}

/* Hand curl the sockets with news and its timer if due; take what ended. */
static void lk_act(struct enr_lkr *l)
{
	int running, left, n = l->npfd;
	CURLMsg *m;

	for (int i = n - 1; i >= 1; i--) {      /* curl may shrink pfd meanwhile */
		if (i >= l->npfd || l->pfd[i].revents == 0)
			continue;
		short r = l->pfd[i].revents;
		l->pfd[i].revents = 0;
		curl_multi_socket_action(l->multi, l->pfd[i].fd,
		                         (r & POLLIN ? CURL_CSELECT_IN : 0) |
		                         (r & POLLOUT ? CURL_CSELECT_OUT : 0) |
		                         (r & (POLLERR | POLLHUP) ? CURL_CSELECT_ERR : 0),
		                         &running);
	}
	if (l->timer_at >= 0 && nw_mono_ms() >= l->timer_at) {
		l->timer_at = -1;
		curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	while ((m = curl_multi_info_read(l->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE)
			lk_done(l, m->easy_handle, m->data.result);
}

bool enr_lk_poll(struct enr_lkr *l, int fd, int wait_ms)
{
	int64_t now;

	lk_start_due(l);
	lk_act(l);                        /* the timers of what just started */
	now = nw_mono_ms();
	if (l->timer_at >= 0 && l->timer_at - now < wait_ms)
		wait_ms = l->timer_at > now ? (int)(l->timer_at - now) : 0;
	if (l->qhead && l->n->inflight < (uint64_t)l->cfg->concurrency &&
	    l->paused_until - now < wait_ms)   /* a 429 pause ends */
		wait_ms = l->paused_until > now ? (int)(l->paused_until - now) : 0;
	l->pfd[0] = (struct pollfd){ .fd = fd, .events = POLLIN };   /* < 0: unused */
	if (poll(l->pfd, (nfds_t)l->npfd, wait_ms) < 0)
		return false;                 /* a signal: the caller looks */
	lk_act(l);
	lk_start_due(l);
	return fd >= 0 && (l->pfd[0].revents & (POLLIN | POLLHUP | POLLERR));
}

bool enr_lk_busy(const struct enr_lkr *l)
{
	return l->nlk > 0;
}

struct enr_lkr *enr_lk_new(const struct enr_lk_cfg *cfg, struct enr_cache *cache,
                           struct enr_pq *pq, struct enr_lk_counts *n)
{
	struct enr_lkr *l = nw_xcalloc(1, sizeof *l);

	*l = (struct enr_lkr){ .cfg = cfg, .cache = cache, .pq = pq, .n = n,
	                       .nbucket = 64 };
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (l->multi = curl_multi_init()) == NULL) {
		free(l);
		return NULL;
	}
	l->bucket = nw_xcalloc(l->nbucket, sizeof *l->bucket);
	l->cappfd = 16;
	l->npfd = 1;
	l->pfd = nw_xcalloc((size_t)l->cappfd, sizeof *l->pfd);
	l->timer_at = -1;
	l->idle = nw_xcalloc((size_t)cfg->concurrency, sizeof *l->idle);
	curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, lk_on_socket);
	curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
	curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, lk_on_timer);
	curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
	for (int i = 0; cfg->headers && cfg->headers[i]; i++)
		l->hdrs = curl_slist_append(l->hdrs, cfg->headers[i]);
	return l;
}

/* Lookups still queued or in flight (a stop signal) end without news:
 * their entries are freed with the queue. */
void enr_lk_free(struct enr_lkr *l)
{
	for (size_t b = 0; b < l->nbucket; b++)
		for (struct enr_lk *k = l->bucket[b], *next; k; k = next) {
			next = k->hnext;
			if (k->easy) {
				curl_multi_remove_handle(l->multi, k->easy);
				curl_easy_cleanup(k->easy);
			}
			free(k->w);
			nw_buf_free(&k->body);
			free(k);
		}
	free(l->bucket);
	while (l->nidle > 0)
		curl_easy_cleanup(l->idle[--l->nidle]);
	free(l->idle);
	curl_slist_free_all(l->hdrs);
	curl_multi_cleanup(l->multi);
	free(l->pfd);
	nw_buf_free(&l->url);
	free(l);
	curl_global_cleanup();
}
