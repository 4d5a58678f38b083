/* event.c - one telemetry event: drawing it from the traffic profile of
 * docs/contracts.md and formatting it as the upstream producer does (same
 * field order, same spelling), by hand into a caller's buffer, because this
 * is the hot path of a generator that must beat a million events a second. */
#include "gen.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

/* The upstream's source pool (the sample's addresses come first). */
const uint32_t gen_src_pool[GEN_POOL_SIZE] = {
	IP4(10, 0, 0, 5),       IP4(10, 0, 1, 12),     IP4(172, 16, 0, 50),
	IP4(10, 0, 2, 23),      IP4(192, 168, 1, 100), IP4(10, 0, 0, 6),
	IP4(10, 0, 0, 7),       IP4(10, 0, 1, 13),     IP4(10, 0, 1, 14),
	IP4(10, 0, 2, 24),      IP4(10, 0, 2, 25),     IP4(10, 0, 3, 10),
	IP4(10, 0, 3, 11),      IP4(172, 16, 0, 51),   IP4(172, 16, 0, 52),
	IP4(172, 16, 1, 20),    IP4(192, 168, 1, 101), IP4(192, 168, 1, 102),
	IP4(192, 168, 2, 10),   IP4(192, 168, 2, 11),
};

static const uint32_t dst_pool[10] = {
	IP4(8, 8, 8, 8),        IP4(172, 16, 254, 1),  IP4(1, 1, 1, 1),
	IP4(10, 0, 5, 55),      IP4(8, 8, 4, 4),       IP4(10, 0, 5, 56),
	IP4(172, 16, 254, 2),   IP4(1, 0, 0, 1),       IP4(10, 0, 6, 10),
	IP4(192, 168, 100, 1),
};

/* 443 half of the time, else one of these. */
static const uint32_t other_ports[5] = { 80, 53, 22, 8080, 5432 };
static const uint32_t normal_status[6] = { 200, 201, 204, 301, 304, 404 };

/* Source number idx: the pool first, then 10.128.0.0 upwards, which is
 * outside every address gen uses for anything else. */
uint32_t gen_source(uint64_t idx)
{
	if (idx < GEN_POOL_SIZE)
		return gen_src_pool[idx];
	return IP4(10, 128 + (uint32_t)(idx >> 16), (uint32_t)(idx >> 8) & 255,
	           (uint32_t)idx & 255);
}

void gen_event_normal(struct gen_event *e, struct gen_rng *r, uint64_t nsrc)
{
	e->id[0] = gen_rng_next(r);
	e->id[1] = gen_rng_next(r);
	e->src = nsrc == GEN_POOL_SIZE ? gen_src_pool[gen_rng_range(r, 0, 19)]
	                               : gen_source(gen_rng_range(r, 0, nsrc - 1));
	e->dst = dst_pool[gen_rng_range(r, 0, 9)];
	e->src_port = (uint32_t)gen_rng_range(r, 1024, 65535);
	uint64_t p = gen_rng_range(r, 0, 9);
	e->dst_port = p < 5 ? 443 : other_ports[p - 5];
	e->proto = e->dst_port == 53 ? GEN_UDP : GEN_TCP;
	e->bytes_sent = gen_rng_range(r, 200, 1200);
	e->bytes_received = gen_rng_range(r, 500, 10000);
	e->latency_ms = (uint32_t)gen_rng_range(r, 5, 120);
	e->packets_sent = (uint32_t)gen_rng_range(r, 1, 40);
	/* One draw split into the small categorical fields. */
	uint64_t c = gen_rng_next(r);
	e->flags = (uint32_t)(c % 3);         c /= 3;
	e->method = (uint32_t)(c % 3);        c /= 3;
	e->host = (uint32_t)(c % 2);          c /= 2;
	e->status = normal_status[c % 6];     c /= 6;
	e->sg = (uint32_t)(c % 1000000);
}

/* Host x in [0, 1) has rate density proportional to skew^-x: the inverse
 * of that distribution's CDF at a uniform draw, scaled to nsrc hosts.  A
 * geometric fall keeps every decade of rates equally populated, as busy
 * servers and idle laptops are on a real network. */
uint64_t gen_source_skewed(struct gen_rng *r, uint64_t nsrc, double skew)
{
	double u = (double)(gen_rng_next(r) >> 11) * 0x1p-53;
	if (skew <= 1)
		return (uint64_t)(u * (double)nsrc);
	double l = log(skew);
	double x = -log1p(-u * (1 - 1 / skew)) / l;
	uint64_t i = (uint64_t)(x * (double)nsrc);
	return i < nsrc ? i : nsrc - 1;
}

/* The upstream producer's CHAOS_MODE, one independent draw per anomaly. */
void gen_event_chaos(struct gen_event *e, struct gen_rng *r,
                     const struct gen_chaos_probs *p)
{
	if (gen_rng_hit(r, p->spike))
		e->latency_ms = (uint32_t)gen_rng_range(r, 2000, 7000);
	if (gen_rng_hit(r, p->error)) {
		e->flags = GEN_F_RST_ACK;
		e->status = 503;
	}
	if (gen_rng_hit(r, p->exfil)) {
		e->bytes_sent = gen_rng_range(r, GEN_EXFIL_MIN, GEN_EXFIL_MAX);
		e->dst_port = 53;
		e->proto = GEN_UDP;
	}
}

/* ---- formatting ---------------------------------------------------------- */

#define PUT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	char *t = tmp + sizeof tmp;

	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;
		v /= 100;
		*--t = digits2[d + 1];
		*--t = digits2[d];
	}
	if (v >= 10) {
		*--t = digits2[v * 2 + 1];
		*--t = digits2[v * 2];
	} else {
		*--t = (char)('0' + v);
	}
	size_t n = (size_t)(tmp + sizeof tmp - t);
	memcpy(p, t, n);
	return p + n;
}

static char *put_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

static char *put_ip(char *p, uint32_t ip)
{
	for (int sh = 24; sh >= 0; sh -= 8) {
		p = put_u64(p, (ip >> sh) & 255);
		*p++ = '.';
	}
	return p - 1;
}

size_t gen_ip_format(char *out, uint32_t ip)
{
	char *p = put_ip(out, ip);
	*p = '\0';
	return (size_t)(p - out);
}

int gen_ip_parse(const char *s, uint32_t *out)
{
	unsigned a, b, c, d;
	char tail;

	if (sscanf(s, "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &tail) != 4 ||
	    a > 255 || b > 255 || c > 255 || d > 255)
		return -1;
	for (const char *q = s; *q; q++)
		if ((*q < '0' || *q > '9') && *q != '.')
			return -1;
	*out = IP4(a, b, c, d);
	return 0;
}

static const char hexd[] = "0123456789abcdef";

/* 8-4-4-4-12 lowercase hex, version 4, variant 10xx. */
static char *put_uuid(char *p, const uint64_t id[2])
{
	uint64_t hi = (id[0] & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
	uint64_t lo = (id[1] & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
	static const unsigned char dash_after[] = { 8, 12, 16, 20 };
	unsigned di = 0;

	for (int i = 0; i < 32; i++) {
		uint64_t w = i < 16 ? hi : lo;
		int sh = 60 - 4 * (i & 15);
		if (di < 4 && i == dash_after[di]) {
			*p++ = '-';
			di++;
		}
		*p++ = hexd[(w >> sh) & 15];
	}
	return p;
}

static const struct { const char *s; size_t n; } flag_txt[] = {
#define F(lit) { lit, sizeof(lit) - 1 }
	[GEN_F_ACK]     = F("[\"ACK\"]"),
	[GEN_F_SYN_ACK] = F("[\"SYN\",\"ACK\"]"),
	[GEN_F_ACK_PSH] = F("[\"ACK\",\"PSH\"]"),
	[GEN_F_RST_ACK] = F("[\"RST\",\"ACK\"]"),
	[GEN_F_SYN]     = F("[\"SYN\"]"),
};
static const struct { const char *s; size_t n; } method_txt[] = {
	F("GET"), F("POST"), F("PUT"),
};
static const struct { const char *s; size_t n; } host_txt[] = {
	F("api.internal.prod"), F("db.internal.prod"),
#undef F
};

size_t gen_event_format(char *out, const struct gen_event *e)
{
	char *p = out;

	p = PUT(p, "{\"timestamp\":");
	p = put_i64(p, e->ts);
	p = PUT(p, ",\"event_id\":\"");
	p = put_uuid(p, e->id);
	p = PUT(p, "\",\"src_ip\":\"");
	p = put_ip(p, e->src);
	p = PUT(p, "\",\"dst_ip\":\"");
	p = put_ip(p, e->dst);
	p = PUT(p, "\",\"src_port\":");
	p = put_u64(p, e->src_port);
	p = PUT(p, ",\"dst_port\":");
	p = put_u64(p, e->dst_port);
	p = e->proto == GEN_UDP ? PUT(p, ",\"protocol\":\"UDP\",\"bytes_sent\":")
	                        : PUT(p, ",\"protocol\":\"TCP\",\"bytes_sent\":");
	p = put_u64(p, e->bytes_sent);
	p = PUT(p, ",\"bytes_received\":");
	p = put_u64(p, e->bytes_received);
	p = PUT(p, ",\"latency_ms\":");
	p = put_u64(p, e->latency_ms);
	p = PUT(p, ",\"packets_sent\":");
	p = put_u64(p, e->packets_sent);
	p = PUT(p, ",\"flags\":");
	memcpy(p, flag_txt[e->flags].s, flag_txt[e->flags].n);
	p += flag_txt[e->flags].n;
	p = PUT(p, ",\"app_layer\":{\"protocol\":\"HTTP/1.1\",\"method\":\"");
	memcpy(p, method_txt[e->method].s, method_txt[e->method].n);
	p += method_txt[e->method].n;
	p = PUT(p, "\",\"host\":\"");
	memcpy(p, host_txt[e->host].s, host_txt[e->host].n);
	p += host_txt[e->host].n;
	p = PUT(p, "\",\"status_code\":");
	p = put_u64(p, e->status);
	p = PUT(p, "},\"tags\":{\"env\":\"Production\",\"region\":\"us-east-1\","
	           "\"security_group\":\"sg-");
	uint32_t sg = e->sg % 1000000;
	for (int i = 5; i >= 0; i--) {
		p[i] = (char)('0' + sg % 10);
		sg /= 10;
	}
	p += 6;
	p = PUT(p, "\"}}");
	return (size_t)(p - out);
}
