/*
 * resend.c - Alertmanager's client contract for open incidents (notify
 * --resend DUR): Alertmanager ends an alert resolve_timeout after it last
 * heard of it, so a client re-sends the alerts that are still firing.
 *
 * notify notes every incident it reads: a firing alert (detect
 * --incidents) is open until its resolution is read.  Every DUR, when no
 * post is in flight, the open ones go to the webhook again as one array, a
 * post of its own outside the delivery queue: no spool mark, no delivery
 * record (the alerts were delivered already, or are queued), a short
 * timeout, and a failure is only counted (the next round tries again).
 *
 * Ownership: the table owns copies of the firing lines; the curl handle
 * and header list are its own.  Incidents opened before a restart of
 * notify and already delivered are not in the table until their next
 * alert (README, Known limits).
 */
#include "ntf.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define RESEND_MAX      10000       /* open incidents kept, at most */
#define RESEND_TIMEOUT  2000        /* ms: a re-send never stalls notify long */

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p, (void)arg;
	return size * n;
}

int ntf_resend_init(struct ntf_resend *r, const char *url, int64_t every_ms)
{
	memset(r, 0, sizeof *r);
	r->every_ms = every_ms;
	r->open = json_object();
	r->easy = curl_easy_init();
	r->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (r->open == NULL || r->easy == NULL || r->hdrs == NULL)
		return -1;
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, (long)RESEND_TIMEOUT);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)RESEND_TIMEOUT);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, discard);
	return 0;
}

void ntf_resend_free(struct ntf_resend *r)
{
	json_decref(r->open);
	if (r->easy)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->hdrs);
	r->open = NULL, r->easy = NULL, r->hdrs = NULL;   /* the counters stay
	                                                      for the last stats */
}

void ntf_resend_note(struct ntf_resend *r, const char *line, size_t len)
{
	json_t *a = json_loadb(line, len, 0, NULL);
	const char *st = json_string_value(json_object_get(a, "status"));
	const char *id = json_string_value(json_object_get(a, "incident_id"));

	if (st != NULL && id != NULL) {
		if (strcmp(st, "resolved") == 0)
			json_object_del(r->open, id);
		else if (strcmp(st, "firing") == 0 &&
		         json_object_size(r->open) < RESEND_MAX)
			json_object_set_new(r->open, id, json_stringn(line, len));
	}
	json_decref(a);
}

/* The open incidents' alerts as Alertmanager's array. */
static char *resend_body(const struct ntf_resend *r)
{
	struct ntf_queue q = { 0 };
	const char *k;
	json_t *v;
	char *body;

	json_object_foreach(r->open, k, v)
		ntf_queue_push(&q, ntf_alert_new(k, json_string_value(v),
		                                 json_string_length(v)));
	body = ntf_am_alerts(q.head, q.count);
	ntf_queue_clear(&q);
	return body;
}

void ntf_resend_tick(struct ntf_resend *r, int64_t now_ms)
{
	long status = 0;
	char *body;

	if (r->every_ms <= 0 || now_ms < r->next || json_object_size(r->open) == 0)
		return;
	r->next = now_ms + r->every_ms;
	if ((body = resend_body(r)) == NULL)
		return;
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, body);
	CURLcode c = curl_easy_perform(r->easy);
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (c == CURLE_OK && status >= 200 && status < 300) {
		r->posts++;
	} else {
		r->failures++;
		LOG_WARN("re-send of open incidents failed, trying again in %lldms "
		         "status=%ld error=\"%s\" incidents=%zu", (long long)r->every_ms,
		         status, c == CURLE_OK ? "" : curl_easy_strerror(c),
		         json_object_size(r->open));
	}
	free(body);
}
