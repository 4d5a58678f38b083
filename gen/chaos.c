/* chaos.c - stream chaos: what a real pipe of telemetry does to events
 * between producer and consumer.  Out-of-order and late delivery hold an
 * event back by some event time (a min-heap of fixed-size slots, bounded:
 * when full the earliest is let out); duplicates are a second, slightly
 * delayed copy of a line with the same event_id; malformed lines are extra
 * lines made from a throwaway event (so the clean events, and the ground
 * truth, stay whole). */
#include "gen.h"
#include "nw.h"

#include <stdlib.h>
#include <string.h>

const char *const gen_bad_names[GEN_BAD_COUNT] = {
	[GEN_BAD_TRUNCATED] = "truncated", [GEN_BAD_TYPES] = "types",
	[GEN_BAD_MISSING] = "missing",     [GEN_BAD_UTF8] = "utf8",
	[GEN_BAD_LONG] = "long",           [GEN_BAD_EMPTY] = "empty",
};

#define DUP_DELAY_MAX_MS 2000
#define LONG_PAD (1024 * 1024 + 4096)    /* over the stages' 1 MiB cap */

struct held {
	int64_t  release_ms;
	uint64_t seq;          /* ties leave in arrival order */
	uint32_t slot;
	uint32_t len;
};

static struct gen_stream_chaos cfg;
static struct gen_rng crng;
static uint64_t c_nsrc;
static struct held *heap;
static size_t nheap;
static char *slots;               /* hold_max * GEN_LINE_MAX bytes */
static uint32_t *free_slot;       /* stack of free slot numbers */
static size_t nfree;
static uint64_t seq;
static int64_t clock_ms = INT64_MIN;
static unsigned bad_list[GEN_BAD_COUNT], nbad;

bool gen_chaos_active(const struct gen_stream_chaos *c)
{
	return c->ooo || c->late || c->dup || c->bad;
}

void gen_chaos_init(const struct gen_stream_chaos *c, uint64_t seed,
                    uint64_t nsrc)
{
	cfg = *c;
	crng.s = seed ^ 0x6368616f73ULL;   /* its own stream: "chaos" */
	c_nsrc = nsrc;
	if (cfg.hold_max == 0)
		cfg.hold_max = 1;
	heap = nw_xreallocarray(NULL, cfg.hold_max, sizeof *heap);
	slots = nw_xreallocarray(NULL, cfg.hold_max, GEN_LINE_MAX);
	free_slot = nw_xreallocarray(NULL, cfg.hold_max, sizeof *free_slot);
	for (size_t i = 0; i < cfg.hold_max; i++)
		free_slot[i] = (uint32_t)(cfg.hold_max - 1 - i);
	nfree = cfg.hold_max;
	nbad = 0;
	for (unsigned k = 0; k < GEN_BAD_COUNT; k++)
		if (cfg.bad_kinds & (1u << k))
			bad_list[nbad++] = k;
}

void gen_chaos_free(void)
{
	free(heap);
	free(slots);
	free(free_slot);
	heap = NULL;
	slots = NULL;
	free_slot = NULL;
	nheap = nfree = 0;
}

static bool held_before(const struct held *a, const struct held *b)
{
	return a->release_ms < b->release_ms ||
	       (a->release_ms == b->release_ms && a->seq < b->seq);
}

static void heap_push(struct held h)
{
	size_t i = nheap++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!held_before(&h, &heap[up]))
			break;
		heap[i] = heap[up];
		i = up;
	}
	heap[i] = h;
}

static struct held heap_pop(void)
{
	struct held top = heap[0], last = heap[--nheap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= nheap)
			break;
		if (c + 1 < nheap && held_before(&heap[c + 1], &heap[c]))
			c++;
		if (!held_before(&heap[c], &last))
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (nheap)
		heap[i] = last;
	return top;
}

static void release_top(void)
{
	struct held h = heap_pop();
	gen_out_write(slots + (size_t)h.slot * GEN_LINE_MAX, h.len);
	nw_std.lines_out++;
	free_slot[nfree++] = h.slot;
}

/* Keep a copy of line (with its '\n') until the stream reaches release. */
static void hold(const char *line, size_t len, int64_t release_ms)
{
	if (nfree == 0) {
		gen_ctr.forced++;
		release_top();
	}
	uint32_t s = free_slot[--nfree];
	memcpy(slots + (size_t)s * GEN_LINE_MAX, line, len);
	heap_push((struct held){ release_ms, seq++, s, (uint32_t)len });
}

/* ---- malformed lines ------------------------------------------------------ */

/* Replace del bytes at `at` with ins; buf has room (GEN_LINE_MAX * 2). */
static size_t splice(char *buf, size_t len, size_t at, size_t del,
                     const char *ins, size_t insn)
{
	memmove(buf + at + insn, buf + at + del, len - at - del);
	memcpy(buf + at, ins, insn);
	return len - del + insn;
}

/* The value of "key": in a formatted event, as [*vs, *ve). */
static bool find_value(const char *buf, size_t len, const char *key,
                       size_t *vs, size_t *ve)
{
	char pat[40];
	size_t pn = (size_t)snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = memmem(buf, len, pat, pn);
	if (p == NULL)
		return false;
	size_t s = (size_t)(p - buf) + pn, e = s;
	char close = buf[s] == '"' ? '"' : buf[s] == '[' ? ']' : 0;
	if (close) {
		const char *q = memchr(buf + s + 1, close, len - s - 1);
		e = q ? (size_t)(q - buf) + 1 : len;
	} else {
		while (e < len && buf[e] != ',' && buf[e] != '}')
			e++;
	}
	*vs = s;
	*ve = e;
	return true;
}

static void bad_types(char *buf, size_t *len, struct gen_rng *r)
{
	static const char *const keys[] = { "timestamp", "bytes_sent",
	                                    "src_ip", "flags" };
	unsigned k = (unsigned)gen_rng_range(r, 0, 3);
	size_t vs, ve;

	if (!find_value(buf, *len, keys[k], &vs, &ve))
		return;
	if (k < 2) {                                 /* number as a string */
		*len = splice(buf, *len, ve, 0, "\"", 1);
		*len = splice(buf, *len, vs, 0, "\"", 1);
	} else if (k == 2) {                         /* address as a number */
		*len = splice(buf, *len, vs, ve - vs, "167772165", 9);
	} else {                                     /* array as a string */
		*len = splice(buf, *len, vs, ve - vs, "\"ACK\"", 5);
	}
}

static void bad_missing(char *buf, size_t *len, struct gen_rng *r)
{
	static const char *const keys[] = { "timestamp", "event_id", "src_ip",
	                                    "bytes_sent" };
	const char *key = keys[gen_rng_range(r, 0, 3)];
	size_t vs, ve;

	if (!find_value(buf, *len, key, &vs, &ve))
		return;
	size_t ks = vs - strlen(key) - 3;        /* back over "key": */
	*len = splice(buf, *len, ks, ve + 1 - ks, "", 0);   /* and its comma */
}

void gen_bad_line(enum gen_bad kind, const struct gen_event *e,
                  struct gen_rng *r)
{
	char buf[GEN_LINE_MAX * 2];
	size_t len = gen_event_format(buf, e), vs, ve;

	switch (kind) {
	case GEN_BAD_TRUNCATED:
		len = gen_rng_range(r, 1, len - 2);
		break;
	case GEN_BAD_TYPES:
		bad_types(buf, &len, r);
		break;
	case GEN_BAD_MISSING:
		bad_missing(buf, &len, r);
		break;
	case GEN_BAD_UTF8:
		if (find_value(buf, len, "host", &vs, &ve))
			len = splice(buf, len, vs + 1, 0, "\xff\xfe\xc3\x28", 4);
		break;
	case GEN_BAD_LONG: {
		static char pad[65536];
		if (pad[0] != 'x')
			memset(pad, 'x', sizeof pad);
		gen_out_write(buf, len - 1);                /* drop the final '}' */
		gen_out_write(",\"padding\":\"", 12);
		for (size_t left = LONG_PAD; left > 0; ) {
			size_t n = left < sizeof pad ? left : sizeof pad;
			gen_out_write(pad, n);
			left -= n;
		}
		gen_out_write("\"}\n", 3);
		nw_std.lines_out++;
		return;
	}
	case GEN_BAD_EMPTY:
	case GEN_BAD_COUNT:
		len = 0;
		break;
	}
	buf[len++] = '\n';
	gen_out_write(buf, len);
	nw_std.lines_out++;
}

/* ---- the stream ------------------------------------------------------------ */

void gen_chaos_emit(const char *line, size_t len, int64_t ev_ms)
{
	if (ev_ms > clock_ms)
		clock_ms = ev_ms;
	while (nheap && heap[0].release_ms <= clock_ms)
		release_top();

	if (nbad && gen_rng_hit(&crng, cfg.bad)) {
		struct gen_event junk;
		gen_event_normal(&junk, &crng, c_nsrc);
		junk.ts = ev_ms / 1000;
		gen_bad_line(bad_list[gen_rng_range(&crng, 0, nbad - 1)], &junk, &crng);
		gen_ctr.bad++;
	}
	if (gen_rng_hit(&crng, cfg.late)) {
		gen_ctr.late++;
		hold(line, len, ev_ms + (int64_t)gen_rng_range(&crng,
		     (uint64_t)cfg.late_min_ms, (uint64_t)cfg.late_max_ms));
	} else if (gen_rng_hit(&crng, cfg.ooo)) {
		gen_ctr.ooo++;
		hold(line, len, ev_ms + (int64_t)gen_rng_range(&crng, 1,
		     (uint64_t)cfg.ooo_jitter_ms));
	} else {
		gen_out_write(line, len);
		nw_std.lines_out++;
	}
	if (gen_rng_hit(&crng, cfg.dup)) {
		gen_ctr.dup++;
		hold(line, len, clock_ms + (int64_t)gen_rng_range(&crng, 0,
		     DUP_DELAY_MAX_MS));
	}
}

/* End of the stream: everything still held goes out, earliest first. */
void gen_chaos_drain(void)
{
	while (nheap)
		release_top();
}
