/* engine.c - keys, panes, watermark and firing. */
#include "engine.h"
#include "dset.h"

#include <stdlib.h>
#include <string.h>

struct win_pane {
	struct win_pane *next;     /* older pane (lower index) */
	int64_t idx;               /* pane start / pane width */
	uint64_t count;
	uint64_t st[];             /* aggregate states, win_aggs_layout */
};

struct win_key {
	struct win_pane *panes;    /* newest first */
	uint64_t hash;
	uint32_t tag;              /* partition of its last event (engine.h) */
	uint32_t len;
	char key[];
};

#define SLAB_BYTES (256 * 1024)
#define KEY_SEED   UINT64_C(0x6b6579)
#define FAR_WM     (INT64_MAX / 4)

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

int win_engine_init(struct win_engine *e, const struct win_cfg *cfg,
                    const struct win_agg *aggs, int naggs, size_t st_size,
                    const char *const *key_names, const int *key_slots,
                    int nkeys, win_emit_fn emit, void *emit_arg)
{
	memset(e, 0, sizeof *e);
	if (cfg->size <= 0 || cfg->slide <= 0 || cfg->slide > cfg->size ||
	    nkeys < 1 || nkeys > 16)
		return -1;
	e->cfg = *cfg;
	e->pane = gcd64(cfg->size, cfg->slide);
	e->aggs = aggs;
	e->naggs = naggs;
	e->st_size = st_size;
	e->pane_bytes = (sizeof(struct win_pane) + e->st_size + 7) & ~(size_t)7;
	e->acc = nw_xrealloc(NULL, e->st_size ? e->st_size : 8);
	e->fields = nw_xrealloc(NULL, (size_t)nkeys * sizeof *e->fields);
	memset(e->fields, 0, (size_t)nkeys * sizeof *e->fields);
	e->nfields = nkeys;
	for (int i = 0; i < nkeys; i++) {
		struct nw_buf h = { 0 };
		nw_buf_adds(&h, "{\"type\":\"window\",\"key_field\":");
		nw_buf_add_jstr(&h, key_names[i], strlen(key_names[i]));
		nw_buf_adds(&h, ",\"key\":");
		e->fields[i].head = h.p;      /* owned by the field */
		e->fields[i].headlen = h.len;
		e->fields[i].name = key_names[i];
		e->fields[i].slot = key_slots[i];
		e->fields[i].size = cfg->size;
		e->fields[i].tabcap = 64;
		e->fields[i].tab = nw_xrealloc(NULL, 64 * sizeof(struct win_kslot));
		memset(e->fields[i].tab, 0, 64 * sizeof(struct win_kslot));
	}
	e->maxsize = cfg->size;
	e->wm = INT64_MIN;
	win_wm_init(&e->src, cfg->bound);
	e->tagcap = 8;
	e->tags = nw_xcalloc(e->tagcap, sizeof *e->tags);
	e->tags[0].partition = -1;
	e->ntags = 1;
	e->emit = emit;
	e->emit_arg = emit_arg;
	return 0;
}

int win_engine_field_size(struct win_engine *e, int fi, int64_t size)
{
	int64_t L = e->cfg.slide;

	if (size < L || (size - e->cfg.size) % L != 0 || e->keys)
		return -1;
	e->fields[fi].size = size;
	e->pane = gcd64(e->pane, size);
	if (size > e->maxsize)
		e->maxsize = size;
	return 0;
}

/* ---- panes: fixed-size blocks from slabs, recycled through a list ------ */

static struct win_pane *pane_new(struct win_engine *e, int64_t idx)
{
	struct win_pane *p = e->pool;

	if (p == NULL) {
		size_t n = SLAB_BYTES / e->pane_bytes;
		char *slab = nw_xrealloc(NULL, n * e->pane_bytes);
		if (e->nslabs == e->slabcap) {
			e->slabcap = e->slabcap ? e->slabcap * 2 : 16;
			e->slabs = nw_xrealloc(e->slabs, e->slabcap * sizeof *e->slabs);
		}
		e->slabs[e->nslabs++] = slab;
		for (size_t i = 0; i < n; i++) {
			struct win_pane *q = (struct win_pane *)(void *)(slab + i * e->pane_bytes);
			q->next = e->pool;
			e->pool = q;
		}
		p = e->pool;
	}
	e->pool = p->next;
	memset(p, 0, e->pane_bytes);
	p->idx = idx;
	e->panes++;
	return p;
}

static void pane_free(struct win_engine *e, struct win_pane *p)
{
	win_aggs_release(e->aggs, e->naggs, p->st);
	p->next = e->pool;
	e->pool = p;
	e->panes--;
}

/* End of the last window that contains pane idx: it may be freed once the
 * watermark is past that end - 1 + lateness. */
static int64_t pane_last_end(const struct win_engine *e,
                             const struct win_field *f, int64_t idx)
{
	return win_floordiv(idx * e->pane, e->cfg.slide) * e->cfg.slide + f->size;
}

/* ---- keys: one open-addressing table per key field --------------------- */

static size_t key_find(const struct win_field *f, uint64_t h, const char *k,
                       size_t n)
{
	size_t mask = f->tabcap - 1, i = (size_t)h & mask;
	for (; f->tab[i].k; i = (i + 1) & mask)
		if (f->tab[i].hash == h && f->tab[i].k->len == n &&
		    (n == 0 || memcmp(f->tab[i].k->key, k, n) == 0))
			break;
	return i;
}

static void tab_grow(struct win_field *f)
{
	size_t ncap = f->tabcap * 2, mask = ncap - 1;
	struct win_kslot *nt = nw_xrealloc(NULL, ncap * sizeof *nt);

	memset(nt, 0, ncap * sizeof *nt);
	for (size_t i = 0; i < f->tabcap; i++) {
		if (!f->tab[i].k)
			continue;
		size_t j = (size_t)f->tab[i].hash & mask;
		while (nt[j].k)
			j = (j + 1) & mask;
		nt[j] = f->tab[i];
	}
	free(f->tab);
	f->tab = nt;
	f->tabcap = ncap;
}

static struct win_key *key_add(struct win_engine *e, struct win_field *f,
                               size_t slot, uint64_t h, const char *k, size_t n)
{
	struct win_key *key = nw_xrealloc(NULL, sizeof *key + n);

	key->panes = NULL;
	key->tag = e->cur_tag;
	key->hash = h;
	key->len = (uint32_t)n;
	memcpy(key->key, k, n);
	f->tab[slot].hash = h;
	f->tab[slot].k = key;
	if (++f->tabn * 2 > f->tabcap)
		tab_grow(f);
	if (f->nlive == f->livecap) {
		f->livecap = f->livecap ? f->livecap * 2 : 64;
		f->live = nw_xrealloc(f->live, f->livecap * sizeof *f->live);
	}
	f->live[f->nlive++] = key;
	e->keys++;
	return key;
}

/* Remove a key from its table (backward-shift deletion keeps probe chains
 * whole without tombstones) and free it. */
static void key_drop(struct win_engine *e, struct win_field *f,
                     struct win_key *key)
{
	size_t mask = f->tabcap - 1;
	size_t i = key_find(f, key->hash, key->key, key->len);
	size_t j = i;

	for (;;) {
		j = (j + 1) & mask;
		if (!f->tab[j].k)
			break;
		size_t home = (size_t)f->tab[j].hash & mask;
		/* move j back to i unless its home lies cyclically in (i, j] */
		if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
			f->tab[i] = f->tab[j];
			i = j;
		}
	}
	f->tab[i].k = NULL;
	f->tab[i].hash = 0;
	f->tabn--;
	e->keys--;
	free(key);
}

static int key_cmp(const void *a, const void *b)
{
	const struct win_key *x = *(struct win_key *const *)a;
	const struct win_key *y = *(struct win_key *const *)b;
	int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Bring the live array into key order: sort the keys added since the last
 * firing and merge them in, so each key is sorted about once. */
static void live_settle(struct win_engine *e, struct win_field *f)
{
	size_t a = 0, b = f->nsorted, o = 0;

	if (f->nsorted == f->nlive)
		return;
	qsort(f->live + f->nsorted, f->nlive - f->nsorted, sizeof *f->live, key_cmp);
	if (e->tmpcap < f->nlive) {
		e->tmpcap = f->livecap;
		e->tmp = nw_xrealloc(e->tmp, e->tmpcap * sizeof *e->tmp);
	}
	while (a < f->nsorted && b < f->nlive)
		e->tmp[o++] = key_cmp(&f->live[a], &f->live[b]) <= 0 ?
		              f->live[a++] : f->live[b++];
	while (a < f->nsorted)
		e->tmp[o++] = f->live[a++];
	while (b < f->nlive)
		e->tmp[o++] = f->live[b++];
	memcpy(f->live, e->tmp, o * sizeof *f->live);
	f->nsorted = f->nlive;
}

/* ---- records ------------------------------------------------------------ */

/* A key as a JSON string: most keys need no escaping and are copied. */
static void add_key(struct nw_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f) {
			nw_buf_add_jstr(b, s, n);
			return;
		}
	}
	nw_buf_addc(b, '"');
	nw_buf_add(b, s, n);
	nw_buf_addc(b, '"');
}

/* Combine the key's panes of window [end - size, end) and emit the record;
 * nothing when the window holds no event. */
static void emit_window(struct win_engine *e, const struct win_field *f,
                        const struct win_key *k, int64_t end)
{
	int64_t lo = win_floordiv(end - f->size, e->pane);
	int64_t hi = win_floordiv(end, e->pane);
	uint64_t count = 0;
	struct nw_buf *b = &e->rec;

	memset(e->acc, 0, e->st_size);
	for (const struct win_pane *p = k->panes; p && p->idx >= lo; p = p->next) {
		if (p->idx >= hi)
			continue;
		count += p->count;
		win_aggs_merge(e->aggs, e->naggs, e->acc, p->st);
	}
	if (count == 0)
		return;
	nw_buf_reset(b);
	nw_buf_reserve(b, f->headlen + k->len + 256);
	nw_buf_add(b, f->head, f->headlen);
	add_key(b, k->key, k->len);
	nw_buf_adds(b, ",\"window_start\":");
	nw_buf_add_i64(b, end - f->size);
	nw_buf_adds(b, ",\"window_end\":");
	nw_buf_add_i64(b, end);
	nw_buf_adds(b, ",\"count\":");
	nw_buf_add_u64(b, count);
	win_aggs_print(e->aggs, e->naggs, e->acc, b);
	nw_buf_addc(b, '}');
	win_aggs_release(e->aggs, e->naggs, e->acc);
	e->records++;
	e->emit(b->p, b->len, &e->tags[k->tag], e->emit_arg);
}

/* Fire window end for every key field; free panes (and keys) no window
 * needs any more.  Returns the smallest pane start among panes that later
 * windows need, or INT64_MAX when there are none. */
static int64_t fire(struct win_engine *e, int64_t end)
{
	int64_t min_next = INT64_MAX;

	for (int fi = 0; fi < e->nfields; fi++) {
		struct win_field *f = &e->fields[fi];
		int64_t next_lo = win_floordiv(end + e->cfg.slide - f->size, e->pane);
		size_t j = 0;

		live_settle(e, f);
		for (size_t i = 0; i < f->nlive; i++) {
			struct win_key *k = f->live[i];
			struct win_pane **pp, *p;

			emit_window(e, f, k, end);
			/* free the tail of panes that no open window needs */
			for (pp = &k->panes; (p = *pp) != NULL; ) {
				int64_t pe = pane_last_end(e, f, p->idx);
				if (pe <= end && pe - 1 + e->cfg.lateness <= e->wm) {
					*pp = p->next;
					pane_free(e, p);
					continue;
				}
				if (p->idx >= next_lo && p->idx * e->pane < min_next)
					min_next = p->idx * e->pane;
				pp = &p->next;
			}
			if (k->panes == NULL)
				key_drop(e, f, k);
			else
				f->live[j++] = k;
		}
		f->nlive = f->nsorted = j;
	}
	return min_next;
}

void win_engine_advance(struct win_engine *e, int64_t wm)
{
	int64_t S = e->cfg.size, L = e->cfg.slide, end, last;

	if (wm <= e->wm)
		return;
	/* first end not fired yet: smallest start + S with start % L == 0 and
	 * end - 1 > old watermark */
	end = e->wm == INT64_MIN ? INT64_MIN :
	      win_floordiv(e->wm + 1 - S, L) * L + L + S;
	e->wm = wm;
	last = win_floordiv(wm + 1 - S, L) * L + S;
	if (e->keys == 0)
		return;
	if (end == INT64_MIN) {
		/* first advance: start at the earliest window holding data */
		int64_t lo = INT64_MAX;
		for (int fi = 0; fi < e->nfields; fi++)
			for (size_t i = 0; i < e->fields[fi].nlive; i++) {
				const struct win_pane *p = e->fields[fi].live[i]->panes;
				while (p->next)
					p = p->next;
				if (p->idx * e->pane < lo)
					lo = p->idx * e->pane;
			}
		end = win_floordiv(lo - S, L) * L + L + S;
	}
	while (end <= last && e->keys > 0) {
		int64_t next = fire(e, end);
		if (next == INT64_MAX)
			break;
		/* skip windows that hold no data: the next end after next */
		int64_t skip = win_floordiv(next - S, L) * L + L + S;
		end = skip > end + L ? skip : end + L;
	}
}

/* Within the allowed lateness, the windows holding ts that already fired
 * fire again: end by end, then field by field, as they fired.  Every
 * field's first such end is the same (sizes differ by whole slides). */
static void refire(struct win_engine *e, int64_t ts, struct win_key *const *k,
                   const int *kfirst)
{
	int64_t L = e->cfg.slide, A = e->cfg.lateness, S = e->cfg.size;
	int64_t base = win_floordiv(ts, L) * L;

	for (int64_t end = win_floordiv(ts - S, L) * L + L + S;
	     end <= base + e->maxsize && end - 1 <= e->wm; end += L) {
		if (end - 1 + A <= e->wm)
			continue;
		for (int fi = 0; fi < e->nfields; fi++) {
			struct win_field *f = &e->fields[fi];
			if (end > base + f->size)
				continue;
			for (int j = kfirst[fi]; j < kfirst[fi + 1]; j++)
				if (k[j]) {
					emit_window(e, f, k[j], end);
					e->refired++;
				}
		}
	}
}

/* The key's pane for idx, made when new (panes are kept newest first). */
static struct win_pane *key_pane(struct win_engine *e, struct win_key *k,
                                 int64_t idx)
{
	struct win_pane **pp, *p;

	for (pp = &k->panes; (p = *pp) != NULL && p->idx > idx; pp = &p->next)
		;
	if (p == NULL || p->idx != idx) {
		struct win_pane *np = pane_new(e, idx);
		np->next = p;
		*pp = np;
		p = np;
	}
	return p;
}

enum win_ev win_engine_event_keys(struct win_engine *e, int64_t ts,
                                  const struct win_kref *keys,
                                  const int *kfirst, const struct win_in *in)
{
	int64_t L = e->cfg.slide, A = e->cfg.lateness;
	int64_t last_end = win_floordiv(ts, L) * L + e->maxsize;
	int64_t idx = win_floordiv(ts, e->pane);
	struct win_key *k[WIN_EVENT_KEYS];
	uint64_t hashes[WIN_EVENT_KEYS];
	uint64_t need = 0;

	if (e->wm != INT64_MIN && last_end - 1 + A <= e->wm) {
		e->late++;
		return WIN_EV_LATE;
	}
	for (int fi = 0; fi < e->nfields; fi++)
		for (int j = kfirst[fi]; j < kfirst[fi + 1]; j++) {
			struct win_field *f = &e->fields[fi];
			hashes[j] = win_hash(keys[j].p, keys[j].n, KEY_SEED);
			k[j] = f->tab[key_find(f, hashes[j], keys[j].p, keys[j].n)].k;
			need += k[j] == NULL;
		}
	if (need && e->keys + need > e->cfg.max_keys) {
		e->key_limit++;
		return WIN_EV_KEY_LIMIT;
	}
	for (int fi = 0; fi < e->nfields; fi++) {
		struct win_field *f = &e->fields[fi];
		/* a shorter field's windows of this event may all be past */
		if (win_floordiv(ts, L) * L + f->size - 1 + A <= e->wm)
			continue;
		for (int j = kfirst[fi]; j < kfirst[fi + 1]; j++) {
			struct win_pane *p;
			if (k[j] == NULL)     /* found again: an earlier add may grow the table */
				k[j] = key_add(e, f, key_find(f, hashes[j], keys[j].p, keys[j].n),
				               hashes[j], keys[j].p, keys[j].n);
			p = key_pane(e, k[j], idx);
			p->count++;
			win_aggs_update(e->aggs, e->naggs, p->st, in);
			k[j]->tag = e->cur_tag;
		}
	}
	e->events++;
	/* within allowed lateness: windows that already fired fire again */
	if (e->wm != INT64_MIN)
		refire(e, ts, k, kfirst);
	win_engine_advance(e, win_wm_event(&e->src, ts));
	return WIN_EV_OK;
}

enum win_ev win_engine_event(struct win_engine *e, int64_t ts,
                             const struct jscan_val *vals,
                             const struct win_in *in)
{
	struct win_kref keys[16];
	int kfirst[17], nk = 0;

	for (int fi = 0; fi < e->nfields; fi++) {
		const struct jscan_val *kv = e->fields[fi].slot >= 0 ?
		                             &vals[e->fields[fi].slot] : NULL;
		kfirst[fi] = nk;
		if (kv && kv->type == JSCAN_STR)
			keys[nk++] = (struct win_kref){ kv->p, kv->n, 0 };
	}
	kfirst[e->nfields] = nk;
	return win_engine_event_keys(e, ts, keys, kfirst, in);
}

void win_engine_finish(struct win_engine *e)
{
	win_engine_advance(e, FAR_WM);
}

static void key_free_panes(struct win_engine *e, struct win_key *k)
{
	while (k->panes) {
		struct win_pane *p = k->panes;
		k->panes = p->next;
		pane_free(e, p);
	}
}

/* Free every key of a field and its panes (the table is left as is). */
static void field_drop_keys(struct win_engine *e, struct win_field *f)
{
	for (size_t i = 0; i < f->nlive; i++) {
		key_free_panes(e, f->live[i]);
		free(f->live[i]);
	}
	e->keys -= f->nlive;
	f->nlive = f->nsorted = 0;
}

void win_engine_free(struct win_engine *e)
{
	for (int fi = 0; fi < e->nfields; fi++) {
		struct win_field *f = &e->fields[fi];
		field_drop_keys(e, f);
		free(f->live);
		free(f->tab);
		free(f->head);
	}
	for (size_t i = 0; i < e->nslabs; i++)
		free(e->slabs[i]);
	free(e->slabs);
	free(e->fields);
	free(e->acc);
	free(e->tmp);
	for (uint32_t i = 0; i < e->ntags; i++)
		free(e->tags[i].topic);
	free(e->tags);
	nw_buf_free(&e->rec);
	win_wm_free(&e->src);
	memset(e, 0, sizeof *e);
}

/* ---- checkpoints (win_ckpt.c): the state as panes, out and back in ------ */

void win_engine_walk(const struct win_engine *e, win_walk_fn fn, void *arg)
{
	for (int fi = 0; fi < e->nfields; fi++) {
		const struct win_field *f = &e->fields[fi];
		for (size_t i = 0; i < f->nlive; i++) {
			const struct win_key *k = f->live[i];
			for (const struct win_pane *p = k->panes; p; p = p->next)
				fn(arg, fi, k->key, k->len, k->tag, p->idx, p->count,
				   p->st);
		}
	}
}

void *win_engine_put(struct win_engine *e, int fi, const char *key,
                     size_t klen, uint32_t tag, int64_t idx, uint64_t count)
{
	struct win_field *f = &e->fields[fi];
	uint64_t h = win_hash(key, klen, KEY_SEED);
	size_t slot = key_find(f, h, key, klen);
	struct win_key *k = f->tab[slot].k;
	struct win_pane **pp, *p;

	if (k == NULL)
		k = key_add(e, f, slot, h, key, klen);
	k->tag = tag < e->ntags ? tag : 0;
	for (pp = &k->panes; (p = *pp) != NULL && p->idx > idx; pp = &p->next)
		;
	if (p != NULL && p->idx == idx)
		return NULL;                  /* the same pane twice */
	p = pane_new(e, idx);
	p->next = *pp;
	*pp = p;
	p->count = count;
	return p->st;
}

void win_engine_clear(struct win_engine *e)
{
	for (int fi = 0; fi < e->nfields; fi++) {
		struct win_field *f = &e->fields[fi];
		field_drop_keys(e, f);
		memset(f->tab, 0, f->tabcap * sizeof *f->tab);
		f->tabn = 0;
	}
	e->wm = INT64_MIN;
	win_wm_clear(&e->src);
}

/* ---- partition tags ------------------------------------------------------ */

uint32_t win_engine_tag(struct win_engine *e, const char *topic, size_t tlen,
                        int32_t partition)
{
	struct win_tag *t;

	if (topic == NULL)
		return 0;
	for (uint32_t i = 1; i < e->ntags; i++)
		if (e->tags[i].partition == partition && e->tags[i].tlen == tlen &&
		    memcmp(e->tags[i].topic, topic, tlen) == 0)
			return i;
	if (e->ntags == e->tagcap) {
		e->tagcap *= 2;
		e->tags = nw_xreallocarray(e->tags, e->tagcap, sizeof *e->tags);
	}
	t = &e->tags[e->ntags];
	t->topic = nw_xmalloc(tlen + 1);
	memcpy(t->topic, topic, tlen);
	t->topic[tlen] = '\0';
	t->tlen = tlen;
	t->partition = partition;
	return e->ntags++;
}

void win_engine_set_tag(struct win_engine *e, uint32_t tag)
{
	e->cur_tag = tag < e->ntags ? tag : 0;
}

/* The keys of one field whose last event had this tag leave it, with
 * their panes; the others keep their order (and the sorted prefix stays
 * sorted). */
static void field_drop_tag(struct win_engine *e, struct win_field *f,
                           uint32_t tag)
{
	size_t kept = 0, kept_sorted = 0;

	for (size_t i = 0; i < f->nlive; i++) {
		struct win_key *k = f->live[i];
		if (k->tag == tag) {
			key_free_panes(e, k);
			key_drop(e, f, k);
			continue;
		}
		kept_sorted += i < f->nsorted;
		f->live[kept++] = k;
	}
	f->nlive = kept;
	f->nsorted = kept_sorted;
}

void win_engine_drop_tag(struct win_engine *e, uint32_t tag)
{
	for (int fi = 0; fi < e->nfields; fi++)
		field_drop_tag(e, &e->fields[fi], tag);
}
