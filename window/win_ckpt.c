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
 */
#include "win_ckpt.h"
#include "ckpt.h"
#include "dset.h"

#include <stdlib.h>
#include <string.h>

#define WIN_CKPT_STAGE   "window"
#define WIN_SNAP_MAGIC   0x4e57494eu
#define WIN_SNAP_VERSION 1u

static void put(struct nw_buf *b, const void *p, size_t n) { nw_buf_add(b, p, n); }
static void put_u8(struct nw_buf *b, uint8_t v) { put(b, &v, 1); }
static void put_u32(struct nw_buf *b, uint32_t v) { put(b, &v, 4); }
static void put_u64(struct nw_buf *b, uint64_t v) { put(b, &v, 8); }
static void put_i64(struct nw_buf *b, int64_t v) { put(b, &v, 8); }
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

struct save_ctx {
	const struct win_engine *e;
	struct nw_buf *b;
	void *scratch;          /* a state block with the distinct sets zeroed */
	uint64_t panes;
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
                      int64_t idx, uint64_t count, const void *st)
{
	struct save_ctx *c = arg;
	const struct win_engine *e = c->e;

	put_u32(c->b, (uint32_t)field);
	put_str(c->b, key, klen);
	put_i64(c->b, idx);
	put_u64(c->b, count);
	memcpy(c->scratch, st, e->st_size);
	for (int i = 0; i < e->naggs; i++)
		if (e->aggs[i].fn == WF_DISTINCT)
			memset((char *)c->scratch + e->aggs[i].off, 0,
			       sizeof(struct win_dset));
	put(c->b, c->scratch, e->st_size);
	for (int i = 0; i < e->naggs; i++)
		if (e->aggs[i].fn == WF_DISTINCT)
			put_dset(c->b, (const struct win_dset *)(const void *)
			         ((const char *)st + e->aggs[i].off));
	c->panes++;
}

int win_ckpt_save(const struct win_engine *e, const char *dir, uint64_t id)
{
	struct nw_buf b = { 0 }, fp = { 0 };
	struct save_ctx c = { .e = e, .b = &b };
	size_t npanes_at;
	int rc;

	c.scratch = nw_xcalloc(1, e->st_size);
	fingerprint(e, &fp);
	put_u32(&b, WIN_SNAP_MAGIC);
	put_u32(&b, WIN_SNAP_VERSION);
	put_str(&b, fp.p, fp.len);
	put_i64(&b, e->max_ts);
	put_i64(&b, e->wm);
	npanes_at = b.len;
	put_u64(&b, 0);                      /* filled in below */
	win_engine_walk(e, save_pane, &c);
	memcpy(b.p + npanes_at, &c.panes, 8);
	rc = nw_ckpt_write(dir, WIN_CKPT_STAGE, id, b.p, b.len);
	if (rc == 0)
		LOG_DEBUG("snapshot id=%llu panes=%llu bytes=%zu",
		          (unsigned long long)id, (unsigned long long)c.panes, b.len);
	free(c.scratch);
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

static bool load_pane(struct win_engine *e, struct rd *r)
{
	uint32_t field = get_u32(r), klen = get_u32(r);
	const char *key = take(r, klen);
	int64_t idx = get_i64(r);
	uint64_t count = get_u64(r);
	const void *st = take(r, e->st_size);
	char *dst;

	if (r->bad || field >= (uint32_t)e->nfields || count == 0)
		return false;
	if ((dst = win_engine_put(e, (int)field, key, klen, idx, count)) == NULL)
		return false;
	memcpy(dst, st, e->st_size);
	for (int i = 0; i < e->naggs; i++)
		if (e->aggs[i].fn == WF_DISTINCT &&
		    !load_dset(r, (struct win_dset *)(void *)(dst + e->aggs[i].off)))
			return false;
	return true;
}

int win_ckpt_load(struct win_engine *e, const char *dir, uint64_t id)
{
	struct nw_buf fp = { 0 };
	char *data = NULL;
	size_t len;
	struct rd r;
	const char *why = NULL;
	uint64_t panes = 0;

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
	if (r.bad || magic != WIN_SNAP_MAGIC || ver != WIN_SNAP_VERSION) {
		why = "not a window snapshot of this version";
	} else if (fplen != fp.len || memcmp(sfp, fp.p, fp.len) != 0) {
		why = "taken with other --size/--slide/--out-of-orderness/"
		      "--allowed-lateness/--key/--agg flags";
	} else {
		int64_t max_ts = get_i64(&r), wm = get_i64(&r);
		uint64_t n = get_u64(&r);
		for (panes = 0; panes < n && !r.bad; panes++)
			if (!load_pane(e, &r))
				r.bad = true;
		if (r.bad || r.p != r.end)
			why = "damaged pane data";
		e->max_ts = max_ts;
		e->wm = wm;
	}
	free(data);
	nw_buf_free(&fp);
	if (why != NULL) {
		win_engine_clear(e);
		LOG_ERROR("restore: snapshot %llu refused: %s",
		          (unsigned long long)id, why);
		return -1;
	}
	LOG_INFO("restore: snapshot id=%llu keys=%llu panes=%llu",
	         (unsigned long long)id, (unsigned long long)e->keys,
	         (unsigned long long)panes);
	return 0;
}
