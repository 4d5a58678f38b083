/* win_ckpt.c - window snapshots: the engine's panes in a compact binary
 * form (native byte order: a snapshot is read back on the machine and
 * build that wrote it).
 *
 *   u32 magic "NWIN", u32 version
 *   u32 n, n bytes   fingerprint: the flags that shape the state (size,
 *                    slide, bound, lateness, key fields, aggregates, state
 *                    size); a snapshot with another one is refused
 *   i64 max_ts, i64 watermark, u64 panes
 *   per pane: u32 field, u32 key length, key, i64 pane index, u64 count,
 *             the aggregate state block (distinct sets zeroed), then per
 *             distinct aggregate: u8 0, u32 n, n u64 hashes (exact) or
 *             u8 1 and the sketch's registers
 *   version 2 only, the watermark source's partitions (wmark.h):
 *   u32 n, per partition: u8 named, u32 topic length, topic, i32
 *             partition, i64 highest timestamp (INT64_MIN: none yet; the
 *             implicit partition: named 0, empty topic, partition -1)
 *
 * Version 1 snapshots (no partition table) are still read: their max_ts
 * becomes the implicit partition's, which is what a stream without
 * partition lines had.
 *
 * Version 3 (written now) splits the state by input partition, so one
 * partition's state can move to another chain (docs/recovery.md,
 * "Takeover"): the header and the partition table as in version 2, no
 * panes there, then lib's part table (ckpt.h) with one part per partition
 * tag of the main engine (its keys, and the partition's highest
 * timestamp) and one per side engine (route.h).  A part:
 *
 *   u32 n, n bytes fingerprint; u8 kind (0: keys of the main engine, 1: a
 *   side engine); i64 the partition's highest timestamp; i64 the
 *   engine's watermark; u64 panes; the panes as above
 *
 * A part read alone (win_ckpt_adopt) becomes a side engine.
 */
#include "win_ckpt.h"
#include "route.h"
#include "ckpt.h"
#include "dset.h"

#include <stdlib.h>
#include <string.h>

#define WIN_CKPT_STAGE   "window"
#define WIN_SNAP_MAGIC   0x4e57494eu
#define WIN_SNAP_VERSION 3u
#define PART_MAIN 0
#define PART_SIDE 1

static void put(struct nw_buf *b, const void *p, size_t n) { nw_buf_add(b, p, n); }
static void put_u8(struct nw_buf *b, uint8_t v) { put(b, &v, 1); }
static void put_u32(struct nw_buf *b, uint32_t v) { put(b, &v, 4); }
static void put_u64(struct nw_buf *b, uint64_t v) { put(b, &v, 8); }
static void put_i64(struct nw_buf *b, int64_t v) { put(b, &v, 8); }
static void put_i32(struct nw_buf *b, int32_t v) { put(b, &v, 4); }
static void put_str(struct nw_buf *b, const char *s, size_t n)
{
	put_u32(b, (uint32_t)n);
	put(b, s, n);
}

/* A bounds-checked reader: any read past the end fails and stays failed. */
struct rd {
	const char *p, *end;
	bool bad;
};
static const void *take(struct rd *r, size_t n)
{
	const char *p = r->p;
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	return p;
}
/* Read one value of n bytes into *v (left as is past the end). */
static void get(struct rd *r, void *v, size_t n)
{
	const void *q = take(r, n);
	if (q != NULL)
		memcpy(v, q, n);
}
static uint8_t  get_u8(struct rd *r)  { uint8_t v = 0xff; get(r, &v, 1); return v; }
static uint32_t get_u32(struct rd *r) { uint32_t v = 0; get(r, &v, 4); return v; }
static uint64_t get_u64(struct rd *r) { uint64_t v = 0; get(r, &v, 8); return v; }
static int32_t  get_i32(struct rd *r) { int32_t v = 0; get(r, &v, 4); return v; }
static int64_t  get_i64(struct rd *r) { int64_t v = 0; get(r, &v, 8); return v; }

static void fingerprint(const struct win_engine *e, struct nw_buf *b)
{
	put_i64(b, e->cfg.size);
	put_i64(b, e->cfg.slide);
	put_i64(b, e->cfg.bound);
	put_i64(b, e->cfg.lateness);
	put_u32(b, (uint32_t)e->nfields);
	for (int i = 0; i < e->nfields; i++)
		put_str(b, e->fields[i].name, strlen(e->fields[i].name));
	put_u32(b, (uint32_t)e->naggs);
	for (int i = 0; i < e->naggs; i++) {
		put_u32(b, (uint32_t)e->aggs[i].fn);
		put_str(b, e->aggs[i].name, strlen(e->aggs[i].name));
		put_u64(b, e->aggs[i].off);
	}
	put_u64(b, e->st_size);
}

/* ---- save ----------------------------------------------------------------- */

/* Panes gathered by partition tag (one buffer when `one`). */
struct save_ctx {
	const struct win_engine *e;
	struct nw_buf *bufs;    /* per tag */
	uint64_t *panes;        /* per tag */
	bool one;
	void *scratch;          /* a state block with the distinct sets zeroed */
};

static void put_dset(struct nw_buf *b, const struct win_dset *d)
{
	if (d->cap == WIN_DSET_HLL) {
		put_u8(b, 1);
		put(b, d->u.hll, WIN_HLL_M);
		return;
	}
	put_u8(b, 0);
	put_u32(b, d->n);
	if (d->cap == 0) {
		for (uint32_t i = 0; i < d->n; i++)
			put_u64(b, d->u.one[i]);
	} else {
		for (uint32_t i = 0; i < d->cap; i++)
			if (d->u.tab[i])
				put_u64(b, d->u.tab[i]);
	}
}

static void save_pane(void *arg, int field, const char *key, size_t klen,
                      uint32_t tag, int64_t idx, uint64_t count,
                      const void *st)
{
	struct save_ctx *c = arg;
	const struct win_engine *e = c->e;
	uint32_t t = c->one ? 0 : tag;
	struct nw_buf *b = &c->bufs[t];

	put_u32(b, (uint32_t)field);
	put_str(b, key, klen);
	put_i64(b, idx);
	put_u64(b, count);
	memcpy(c->scratch, st, e->st_size);
	for (int i = 0; i < e->naggs; i++)
		if (e->aggs[i].fn == WF_DISTINCT)
			memset((char *)c->scratch + e->aggs[i].off, 0,
			       sizeof(struct win_dset));
	put(b, c->scratch, e->st_size);
	for (int i = 0; i < e->naggs; i++)
		if (e->aggs[i].fn == WF_DISTINCT)
			put_dset(b, (const struct win_dset *)(const void *)
			         ((const char *)st + e->aggs[i].off));
	c->panes[t]++;
}

/* The watermark source's table: what each partition has reached. */
static void save_parts(const struct win_wm *w, struct nw_buf *b)
{
	put_u32(b, (uint32_t)w->n);
	for (size_t i = 0; i < w->n; i++) {
		const struct win_wm_part *p = &w->parts[i];
		put_u8(b, p->topic != NULL);
		put_str(b, p->topic ? p->topic : "", p->tlen);
		put_i32(b, p->partition);
		put_i64(b, p->max_ts);
	}
}

/* The highest timestamp the source holds for a partition, INT64_MIN when
 * it holds none. */
static int64_t src_max_ts(const struct win_wm *w, const struct win_tag *t)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct win_wm_part *p = &w->parts[i];
		if ((p->topic == NULL) != (t->topic == NULL))
			continue;
		if (p->topic == NULL ||
		    (p->partition == t->partition && p->tlen == t->tlen &&
		     memcmp(p->topic, t->topic, t->tlen) == 0))
			return p->max_ts;
	}
	return INT64_MIN;
}

static bool src_has(const struct win_wm *w, const struct win_tag *t)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->parts[i].topic && t->topic &&
		    w->parts[i].partition == t->partition &&
		    w->parts[i].tlen == t->tlen &&
		    memcmp(w->parts[i].topic, t->topic, t->tlen) == 0)
			return true;
	return false;
}

/* One part: the header of the part format, then its panes. */
static void part_put(struct nw_buf *b, const struct nw_buf *fp, uint8_t kind,
                     int64_t max_ts, int64_t wm, uint64_t panes,
                     const struct nw_buf *pane_bytes)
{
	put_str(b, fp->p, fp->len);
	put_u8(b, kind);
	put_i64(b, max_ts);
	put_i64(b, wm);
	put_u64(b, panes);
	if (pane_bytes->len)
		put(b, pane_bytes->p, pane_bytes->len);
}

/* Walk an engine's panes into per-tag buffers (or one). */
static void gather(const struct win_engine *e, bool one, struct save_ctx *c)
{
	size_t n = one ? 1 : e->ntags;

	c->e = e;
	c->one = one;
	c->bufs = nw_xcalloc(n, sizeof *c->bufs);
	c->panes = nw_xcalloc(n, sizeof *c->panes);
	c->scratch = nw_xcalloc(1, e->st_size ? e->st_size : 1);
	win_engine_walk(e, save_pane, c);
}

static void gather_free(struct save_ctx *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		nw_buf_free(&c->bufs[i]);
	free(c->bufs);
	free(c->panes);
	free(c->scratch);
}

/* The main engine's parts: one per tag with keys or with a place in the
 * watermark source.  Returns how many. */
static uint32_t main_parts(const struct win_engine *e, const struct nw_buf *fp,
                           struct nw_buf *b)
{
	struct save_ctx c;
	struct nw_buf part = { 0 };
	uint32_t n = 0;

	gather(e, false, &c);
	for (uint32_t t = 0; t < e->ntags; t++) {
		const struct win_tag *tg = &e->tags[t];
		if (c.panes[t] == 0 && (tg->topic == NULL || !src_has(&e->src, tg)))
			continue;
		nw_buf_reset(&part);
		part_put(&part, fp, PART_MAIN, src_max_ts(&e->src, tg), e->wm,
		         c.panes[t], &c.bufs[t]);
		nw_parts_add(b, tg->topic, tg->tlen, tg->partition, part.p, part.len);
		n++;
	}
	nw_buf_free(&part);
	gather_free(&c, e->ntags);
	return n;
}

static void side_part(const struct win_side *s, const struct nw_buf *fp,
                      struct nw_buf *b)
{
	struct save_ctx c;
	struct nw_buf part = { 0 };
	const struct win_engine *e = &s->eng;

	gather(e, true, &c);
	part_put(&part, fp, PART_SIDE, e->src.max_ts, e->wm, c.panes[0],
	         &c.bufs[0]);
	nw_parts_add(b, s->topic, s->tlen, s->partition, part.p, part.len);
	nw_buf_free(&part);
	gather_free(&c, 1);
}

int win_ckpt_save(const struct win_route *r, const char *dir, uint64_t id)
{
	const struct win_engine *e = r->main;
	struct nw_buf b = { 0 }, fp = { 0 };
	size_t begin;
	uint32_t nparts;
	int rc;

	fingerprint(e, &fp);
	put_u32(&b, WIN_SNAP_MAGIC);
	put_u32(&b, WIN_SNAP_VERSION);
	put_str(&b, fp.p, fp.len);
	put_i64(&b, e->src.max_ts);
	put_i64(&b, e->wm);
	save_parts(&e->src, &b);
	begin = nw_parts_begin(&b);
	nparts = main_parts(e, &fp, &b);
	for (size_t i = 0; i < r->nsides; i++)
		side_part(r->sides[i], &fp, &b);
	nw_parts_end(&b, begin, nparts + (uint32_t)r->nsides);
	rc = nw_ckpt_write(dir, WIN_CKPT_STAGE, id, b.p, b.len);
	if (rc == 0)
		LOG_DEBUG("snapshot id=%llu keys=%llu sides=%zu bytes=%zu",
		          (unsigned long long)id, (unsigned long long)e->keys,
		          r->nsides, b.len);
	nw_buf_free(&fp);
	nw_buf_free(&b);
	return rc;
}

/* ---- load ----------------------------------------------------------------- */

static bool load_dset(struct rd *r, struct win_dset *d)
{
	uint8_t form = get_u8(r);
	const void *reg;

	memset(d, 0, sizeof *d);
	if (form == 1) {
		if ((reg = take(r, WIN_HLL_M)) == NULL)
			return false;
		d->u.hll = nw_xmemdup(reg, WIN_HLL_M);
		d->cap = WIN_DSET_HLL;
		return true;
	}
	if (form != 0)
		return false;
	uint32_t n = get_u32(r);
	if (r->bad || n > (size_t)(r->end - r->p) / 8)
		return false;
	for (uint32_t i = 0; i < n; i++)
		win_dset_add(d, get_u64(r));
	return !r->bad && d->n == n;
}

static bool load_pane(struct win_engine *e, struct rd *r, uint32_t tag)
{
	uint32_t field = get_u32(r), klen = get_u32(r);
	const char *key = take(r, klen);
	int64_t idx = get_i64(r);
	uint64_t count = get_u64(r);
	const void *st = take(r, e->st_size);
	char *dst;

	if (r->bad || field >= (uint32_t)e->nfields || count == 0)
		return false;
	if ((dst = win_engine_put(e, (int)field, key, klen, tag, idx, count)) == NULL)
		return false;
	memcpy(dst, st, e->st_size);
	for (int i = 0; i < e->naggs; i++)
		if (e->aggs[i].fn == WF_DISTINCT &&
		    !load_dset(r, (struct win_dset *)(void *)(dst + e->aggs[i].off)))
			return false;
	return true;
}

static bool load_panes(struct win_engine *e, struct rd *r, uint64_t n,
                       uint32_t tag)
{
	for (uint64_t i = 0; i < n && !r->bad; i++)
		if (!load_pane(e, r, tag))
			r->bad = true;
	return !r->bad;
}

/* Version 2's partition table into the watermark source; version 1 has
 * none: its highest timestamp was the implicit partition's. */
static bool load_parts(struct win_wm *w, struct rd *r, uint32_t ver,
                       int64_t max_ts)
{
	if (ver == 1) {
		if (max_ts != INT64_MIN)
			win_wm_restore_part(w, NULL, 0, -1, max_ts);
		return true;
	}
	uint32_t n = get_u32(r);
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		uint8_t named = get_u8(r);
		uint32_t tlen = get_u32(r);
		const char *topic = take(r, tlen);
		int32_t part = get_i32(r);
		int64_t ts = get_i64(r);
		if (r->bad || named > 1)
			return false;
		win_wm_restore_part(w, named ? topic : NULL, tlen, part, ts);
	}
	return !r->bad;
}

/* A part's header; NULL when it is sound, else why not. */
struct part_hdr {
	uint8_t kind;
	int64_t max_ts, wm;
	uint64_t panes;
};
static const char *part_hdr(struct rd *r, const struct nw_buf *fp,
                            struct part_hdr *h)
{
	uint32_t fplen = get_u32(r);
	const void *sfp = take(r, fplen);

	h->kind = get_u8(r);
	h->max_ts = get_i64(r);
	h->wm = get_i64(r);
	h->panes = get_u64(r);
	if (r->bad || h->kind > PART_SIDE)
		return "damaged part";
	if (fplen != fp->len || memcmp(sfp, fp->p, fp->len) != 0)
		return "taken with other --size/--slide/--out-of-orderness/"
		       "--allowed-lateness/--key/--agg flags";
	return NULL;
}

/* A part as a side engine of the route: its panes, its partition's
 * highest timestamp and its engine's watermark. */
static const char *side_load(struct win_route *rt, const struct nw_part *pt,
                             const struct part_hdr *h, struct rd *r)
{
	struct win_engine *s = win_route_side(rt, pt->topic, pt->tlen,
	                                      pt->partition);

	if (!load_panes(s, r, h->panes, s->cur_tag) || r->p != r->end)
		return "damaged pane data";
	s->wm = h->wm;
	if (h->max_ts != INT64_MIN)
		win_wm_restore_part(&s->src, pt->topic, pt->tlen, pt->partition,
		                    h->max_ts);
	win_wm_restore_wm(&s->src, h->max_ts, h->wm);
	win_wm_partition(&s->src, pt->topic, pt->tlen, pt->partition);
	return NULL;
}

/* Version 3's parts: main keys back under their tag, side engines back as
 * side engines. */
static const char *load_v3_parts(struct win_route *rt, const char *data,
                                 size_t len, const struct nw_buf *fp)
{
	size_t body;
	int n = nw_parts_count(data, len, &body);
	struct nw_part pt;
	struct part_hdr h;
	const char *why;

	if (n < 0)
		return "damaged part table";
	for (int i = 0; i < n; i++) {
		if (nw_parts_get(data, len, (uint32_t)i, &pt) != 0)
			return "damaged part table";
		struct rd r = { pt.data, pt.data + pt.len, false };
		if ((why = part_hdr(&r, fp, &h)) != NULL)
			return why;
		if (h.kind == PART_SIDE && pt.topic != NULL) {
			if ((why = side_load(rt, &pt, &h, &r)) != NULL)
				return why;
			continue;
		}
		uint32_t tag = win_engine_tag(rt->main, pt.topic, pt.tlen,
		                              pt.partition);
		if (!load_panes(rt->main, &r, h.panes, tag) || r.p != r.end)
			return "damaged pane data";
	}
	return NULL;
}

int win_ckpt_load(struct win_route *rt, const char *dir, uint64_t id)
{
	struct win_engine *e = rt->main;
	struct nw_buf fp = { 0 };
	char *data = NULL;
	size_t len, body;
	struct rd r;
	const char *why = NULL;

	win_route_clear(rt);
	win_engine_clear(e);
	if (id == 0) {
		LOG_INFO("restore: starting from empty state");
		return 0;
	}
	if (nw_ckpt_load_id(dir, WIN_CKPT_STAGE, id, &data, &len) != 1) {
		LOG_ERROR("restore: no usable snapshot %s/window.%llu.snap", dir,
		          (unsigned long long)id);
		return -1;
	}
	r = (struct rd){ data, data + len, false };
	fingerprint(e, &fp);
	uint32_t magic = get_u32(&r), ver = get_u32(&r);
	uint32_t fplen = get_u32(&r);
	const void *sfp = take(&r, fplen);
	if (r.bad || magic != WIN_SNAP_MAGIC || ver < 1 || ver > WIN_SNAP_VERSION) {
		why = "not a window snapshot of this version";
	} else if (fplen != fp.len || memcmp(sfp, fp.p, fp.len) != 0) {
		why = "taken with other --size/--slide/--out-of-orderness/"
		      "--allowed-lateness/--key/--agg flags";
	} else {
		int64_t max_ts = get_i64(&r), wm = get_i64(&r);
		if (ver < 3) {
			if (!load_panes(e, &r, get_u64(&r), 0) ||
			    !load_parts(&e->src, &r, ver, max_ts) || r.p != r.end)
				why = "damaged pane data";
		} else if (nw_parts_count(data, len, &body) < 0 ||
		           (r.end = data + body, !load_parts(&e->src, &r, ver, max_ts)) ||
		           r.p != r.end) {
			why = "damaged pane data";
		} else {
			why = load_v3_parts(rt, data, len, &fp);
		}
		e->wm = wm;
		win_wm_restore_wm(&e->src, max_ts, wm);
	}
	free(data);
	nw_buf_free(&fp);
	if (why != NULL) {
		win_route_clear(rt);
		win_engine_clear(e);
		LOG_ERROR("restore: snapshot %llu refused: %s",
		          (unsigned long long)id, why);
		return -1;
	}
	LOG_INFO("restore: snapshot id=%llu keys=%llu sides=%zu",
	         (unsigned long long)id, (unsigned long long)e->keys, rt->nsides);
	return 0;
}

/* ---- takeover ------------------------------------------------------------- */

int win_ckpt_adopt(struct win_route *rt, const char *topic, size_t tlen,
                   int32_t partition, const char *data, size_t len)
{
	struct nw_buf fp = { 0 };
	struct nw_part pt = { topic, tlen, partition, data, len };
	struct part_hdr h;
	struct rd r = { data, data + len, false };
	struct win_engine *m = rt->main;
	const char *why = NULL;

	/* The part supersedes whatever the main engine held of it. */
	win_engine_drop_tag(m, win_engine_tag(m, topic, tlen, partition));
	win_engine_advance(m, win_wm_revoke(&m->src, topic, tlen, partition));
	fingerprint(m, &fp);
	if (len == 0)
		win_route_side(rt, topic, tlen, partition);
	else if ((why = part_hdr(&r, &fp, &h)) == NULL)
		why = side_load(rt, &pt, &h, &r);
	nw_buf_free(&fp);
	if (why != NULL) {
		win_route_side(rt, topic, tlen, partition);
		LOG_WARN("adopt: state of topic=%.*s partition=%d refused (%s): "
		         "the partition starts with empty state", (int)tlen, topic,
		         (int)partition, why);
		return -1;
	}
	LOG_INFO("adopt: topic=%.*s partition=%d keys=%llu", (int)tlen, topic,
	         (int)partition, (unsigned long long)
	         win_route_find(rt, topic, tlen, partition)->keys);
	return 0;
}
