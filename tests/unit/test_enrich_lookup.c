/* test_enrich_lookup.c - the pieces of enrich --lookup without a network:
 * the cache (LRU order, the bound, TTL expiry, replacing an answer), the
 * pending queue (input order, --unordered, control lines never before an
 * event read ahead of them), the splice of answers and errors into an
 * event, the {ip} URL and Retry-After. */
#include <stdlib.h>
#include "t.h"
#include "enr.h"
#include "lk.h"

static ipset_addr addr(const char *s)
{
	ipset_addr a = 0;
	if (!ipset_parse_addr(s, strlen(s), &a))
		abort();
	return a;
}

static const char *get(struct enr_cache *c, const char *ip, int64_t now)
{
	size_t n;
	return enr_cache_get(c, addr(ip), now, &n);
}

static void put(struct enr_cache *c, const char *ip, const char *v, int64_t now)
{
	enr_cache_put(c, addr(ip), v, strlen(v), now);
}

TEST(cache_lru)
{
	struct enr_cache c;

	enr_cache_init(&c, 3, 1000);
	put(&c, "1.1.1.1", "a", 0);
	put(&c, "2.2.2.2", "b", 0);
	put(&c, "2001:db8::3", "c", 0);
	CHECK_STR(get(&c, "1.1.1.1", 1), "a");      /* now the most recent */
	put(&c, "4.4.4.4", "d", 2);                  /* evicts 2.2.2.2 */
	CHECK(get(&c, "2.2.2.2", 3) == NULL);
	CHECK_STR(get(&c, "1.1.1.1", 3), "a");
	CHECK_STR(get(&c, "2001:db8::3", 3), "c");
	CHECK_STR(get(&c, "4.4.4.4", 3), "d");
	CHECK_INT(c.n, 3);
	CHECK_INT(c.evicted, 1);
	put(&c, "4.4.4.4", "dd", 4);                 /* replaced, not added */
	CHECK_STR(get(&c, "4.4.4.4", 4), "dd");
	CHECK_INT(c.n, 3);
	/* many more than it holds: still 3, the last three */
	char ip[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof ip, "10.0.%d.%d", i >> 8, i & 255);
		put(&c, ip, ip, 5);
	}
	CHECK_INT(c.n, 3);
	CHECK_STR(get(&c, "10.0.3.231", 5), "10.0.3.231");
	CHECK(get(&c, "10.0.3.228", 5) == NULL);
	enr_cache_free(&c);
}

TEST(cache_ttl)
{
	struct enr_cache c;

	enr_cache_init(&c, 10, 1000);
	put(&c, "1.1.1.1", "a", 100);
	CHECK_STR(get(&c, "1.1.1.1", 1099), "a");    /* a get does not renew it */
	CHECK(get(&c, "1.1.1.1", 1100) == NULL);
	CHECK_INT(c.expired, 1);
	CHECK_INT(c.n, 0);
	put(&c, "1.1.1.1", "b", 2000);               /* a new answer, a new age */
	CHECK_STR(get(&c, "1.1.1.1", 2999), "b");
	enr_cache_free(&c);
}

/* ---- the pending queue: emitted entries' texts joined with '|' */
static struct nw_buf seen;

static void record(void *arg, struct enr_pend *p)
{
	(void)arg;
	if (seen.len)
		nw_buf_addc(&seen, '|');
	nw_buf_add(&seen, p->text, p->len);
	nw_buf_addc(&seen, '\0');
	seen.len--;
}

static struct enr_pend *ev(struct enr_pq *q, const char *t, int nslot)
{
	struct enr_pend *p = enr_pq_push(q, t, strlen(t), false, nslot);
	if (nslot == 0)
		enr_pq_drain(q);
	return p;
}

static void ctl(struct enr_pq *q, const char *t)
{
	enr_pq_push(q, t, strlen(t), true, 0);
	enr_pq_drain(q);
}

static const char *emitted(void)
{
	return seen.p ? seen.p : "";
}

TEST(pending_ordered)
{
	struct enr_pq q;

	nw_buf_reset(&seen);
	enr_pq_init(&q, false, record, NULL);
	struct enr_pend *a = ev(&q, "a", 2);
	struct enr_pend *b = ev(&q, "b", 1);
	ev(&q, "c", 0);
	ctl(&q, "B1");
	struct enr_pend *d = ev(&q, "d", 1);
	CHECK_STR(emitted(), "");
	enr_pq_slot_done(&q, b, 0);                  /* b waits behind a */
	enr_pq_slot_done(&q, a, 1);
	CHECK_STR(emitted(), "");
	CHECK_INT(q.count, 5);
	enr_pq_slot_done(&q, a, 0);                  /* a, b, c, the barrier */
	CHECK_STR(emitted(), "a|b|c|B1");
	CHECK_INT(q.count, 1);
	enr_pq_slot_done(&q, d, 0);
	CHECK_STR(emitted(), "a|b|c|B1|d");
	CHECK_INT(q.count, 0);
	enr_pq_free(&q);
}

TEST(pending_unordered)
{
	struct enr_pq q;

	nw_buf_reset(&seen);
	enr_pq_init(&q, true, record, NULL);
	struct enr_pend *a = ev(&q, "a", 1);
	struct enr_pend *b = ev(&q, "b", 1);
	ev(&q, "c", 0);                              /* ready: passes a and b */
	CHECK_STR(emitted(), "c");
	enr_pq_slot_done(&q, b, 0);
	CHECK_STR(emitted(), "c|b");
	ctl(&q, "B1");                               /* waits for a */
	struct enr_pend *d = ev(&q, "d", 1);
	ev(&q, "e", 0);                              /* behind the barrier */
	enr_pq_slot_done(&q, d, 0);
	CHECK_STR(emitted(), "c|b");
	ctl(&q, "B2");
	enr_pq_slot_done(&q, a, 0);                  /* a, B1, e, d (ready) */
	CHECK_STR(emitted(), "c|b|a|B1|d|e|B2");
	CHECK_INT(q.count, 0);
	CHECK(q.first_ctl == UINT64_MAX);
	/* an event after a barrier still held: it waits with the barrier */
	struct enr_pend *f = ev(&q, "f", 1);
	ctl(&q, "B3");
	struct enr_pend *g = ev(&q, "g", 1);
	enr_pq_slot_done(&q, g, 0);
	CHECK_STR(emitted(), "c|b|a|B1|d|e|B2");
	enr_pq_slot_done(&q, f, 0);
	CHECK_STR(emitted(), "c|b|a|B1|d|e|B2|f|B3|g");
	enr_pq_free(&q);
}

/* Entries still queued are freed with the queue (a stop signal). */
TEST(pending_free)
{
	struct enr_pq q;

	enr_pq_init(&q, false, record, NULL);
	struct enr_pend *a = ev(&q, "a", 1);
	a->slot[0].body = nw_xstrdup("{}");
	ctl(&q, "B");
	CHECK_INT(q.count, 2);
	enr_pq_free(&q);
	CHECK_INT(q.count, 0);
}

TEST(splice)
{
	struct enr_pq q;
	static const char *const field[] = { "src_ip", "dst_ip" };
	const char *t = "{\"src_ip\":\"8.8.8.8\",\"dst_ip\":\"1.1.1.1\","
	                "\"src_ip_info\":{\"scope\":\"public\"},"
	                "\"dst_ip_info\":{\"scope\":\"public\"}} ";
	struct nw_buf out = { 0 };

	enr_pq_init(&q, false, record, NULL);
	struct enr_pend *p = enr_pq_push(&q, t, strlen(t), false, 2);
	p->slot[0] = (struct enr_slot){ .at = strstr(t, "}") - t, .field = 0,
	                                .ip = "8.8.8.8", .body = nw_xstrdup("{\"s\":1}"),
	                                .body_len = 7 };
	p->slot[1] = (struct enr_slot){ .at = strstr(t, "}}") - t, .field = 1,
	                                .ip = "1.1.1.1", .err = nw_xstrdup("HTTP 500") };
	CHECK_INT(enr_splice(p, field, &out), 1);
	nw_buf_addc(&out, '\0');
	CHECK_STR(out.p, "{\"src_ip\":\"8.8.8.8\",\"dst_ip\":\"1.1.1.1\","
	          "\"src_ip_info\":{\"scope\":\"public\",\"lookup\":{\"s\":1}},"
	          "\"dst_ip_info\":{\"scope\":\"public\"},\"enrich_errors\":"
	          "[{\"field\":\"dst_ip\",\"ip\":\"1.1.1.1\",\"error\":\"HTTP 500\"}]} ");
	nw_buf_free(&out);
	enr_pq_free(&q);
}

TEST(url_and_retry_after)
{
	struct nw_buf b = { 0 };
	char ip[64];

	CHECK(enr_lk_url(&b, "http://h/c?ip={ip}&v=2", "2001:db8::1"));
	CHECK_STR(b.p, "http://h/c?ip=2001:db8::1&v=2");
	CHECK(!enr_lk_url(&b, "http://h/c", "1.2.3.4"));
	enr_addr_fmt(addr("192.0.2.1"), ip, sizeof ip);
	CHECK_STR(ip, "192.0.2.1");
	enr_addr_fmt(addr("2001:db8::1"), ip, sizeof ip);
	CHECK_STR(ip, "2001:db8::1");
	CHECK_INT(enr_retry_after(" 3\r\n", 0), 3000);
	CHECK_INT(enr_retry_after("0", 0), 0);
	CHECK_INT(enr_retry_after("soon", 0), -1);
	CHECK_INT(enr_retry_after("", 0), -1);
	/* an HTTP date 5 s after "now" */
	CHECK_INT(enr_retry_after("Thu, 01 Jan 2026 00:00:05 GMT",
	                          1767225600000LL), 5000);
	CHECK_INT(enr_retry_after("Thu, 01 Jan 2026 00:00:05 GMT",
	                          1767225700000LL), 0);
	nw_buf_free(&b);
}

int main(void)
{
	RUN(cache_lru);
	RUN(cache_ttl);
	RUN(pending_ordered);
	RUN(pending_unordered);
	RUN(pending_free);
	RUN(splice);
	RUN(url_and_retry_after);
	nw_buf_free(&seen);
	return t_done();
}
