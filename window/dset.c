/* dset.c - exact-then-sketch distinct sets and the hash they use. */
#include "nw.h"
#include "dset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

uint64_t win_hash(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = seed ^ ((uint64_t)n * UINT64_C(0x9e3779b97f4a7c15));
	uint64_t w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ mix64(w)) * UINT64_C(0x9e3779b97f4a7c15);
		h = (h << 29) | (h >> 35);
	}
	w = 0;
	memcpy(&w, s, n);
	h ^= mix64(w ^ ((uint64_t)n << 59));
	return mix64(h);
}

uint64_t win_hash_jval(const struct jscan_val *v)
{
	switch (v->type) {
	case JSCAN_STR:
		return win_hash(v->p, v->n, 0x5354);
	case JSCAN_INT:
		return mix64((uint64_t)v->i ^ UINT64_C(0x494e54));
	case JSCAN_REAL:
		if (v->d == floor(v->d) && fabs(v->d) < 9.2e18)
			return mix64((uint64_t)(int64_t)v->d ^ UINT64_C(0x494e54));
		uint64_t bits;
		memcpy(&bits, &v->d, 8);
		return mix64(bits ^ UINT64_C(0x5245414c));
	default:
		return mix64(v->type);
	}
}

static uint8_t *hll_new(void)
{
	return nw_xcalloc(WIN_HLL_M, 1);
}

static void hll_add(uint8_t *reg, uint64_t h)
{
	uint32_t idx = (uint32_t)(h >> (64 - WIN_HLL_P));
	uint64_t w = h << WIN_HLL_P;
	uint8_t rank = w ? (uint8_t)(__builtin_clzll(w) + 1) : 64 - WIN_HLL_P + 1;
	if (rank > reg[idx])
		reg[idx] = rank;
}

/* Every hash the exact forms hold, for conversion and merging. */
static void each_hash(const struct win_dset *d, void (*fn)(void *, uint64_t),
                      void *arg)
{
	if (d->cap == 0) {
		for (uint32_t i = 0; i < d->n; i++)
			fn(arg, d->u.one[i]);
	} else {
		for (uint32_t i = 0; i < d->cap; i++)
			if (d->u.tab[i])
				fn(arg, d->u.tab[i]);
	}
}

static void to_hll_cb(void *arg, uint64_t h) { hll_add(arg, h); }

static void to_hll(struct win_dset *d)
{
	uint8_t *reg = hll_new();
	each_hash(d, to_hll_cb, reg);
	win_dset_free(d);
	d->cap = WIN_DSET_HLL;
	d->u.hll = reg;
}

static bool tab_put(uint64_t *tab, uint32_t cap, uint64_t h)
{
	uint32_t mask = cap - 1, i = (uint32_t)h & mask;
	while (tab[i]) {
		if (tab[i] == h)
			return false;
		i = (i + 1) & mask;
	}
	tab[i] = h;
	return true;
}

static void grow(struct win_dset *d, uint32_t ncap)
{
	uint64_t *tab = nw_xcalloc(ncap, sizeof *tab);
	if (d->cap == 0) {
		for (uint32_t i = 0; i < d->n; i++)
			tab_put(tab, ncap, d->u.one[i]);
	} else {
		for (uint32_t i = 0; i < d->cap; i++)
			if (d->u.tab[i])
				tab_put(tab, ncap, d->u.tab[i]);
		free(d->u.tab);
	}
	d->u.tab = tab;
	d->cap = ncap;
}

void win_dset_add(struct win_dset *d, uint64_t h)
{
	if (d->cap == WIN_DSET_HLL) {
		hll_add(d->u.hll, h);
		return;
	}
	if (h == 0)
		h = 1;              /* 0 marks an empty slot */
	if (d->cap == 0) {
		for (uint32_t i = 0; i < d->n; i++)
			if (d->u.one[i] == h)
				return;
		if (d->n < 2) {
			d->u.one[d->n++] = h;
			return;
		}
		grow(d, 8);
	}
	if (!tab_put(d->u.tab, d->cap, h))
		return;
	if (++d->n > WIN_DSET_CAP)
		to_hll(d);
	else if (d->n * 4 > d->cap * 3)
		grow(d, d->cap * 2);
}

static void add_cb(void *arg, uint64_t h) { win_dset_add(arg, h); }

void win_dset_merge(struct win_dset *dst, const struct win_dset *src)
{
	if (src->cap != WIN_DSET_HLL) {
		each_hash(src, add_cb, dst);
		return;
	}
	if (dst->cap != WIN_DSET_HLL)
		to_hll(dst);
	for (uint32_t i = 0; i < WIN_HLL_M; i++)
		if (src->u.hll[i] > dst->u.hll[i])
			dst->u.hll[i] = src->u.hll[i];
}

/* Ertl, "New cardinality estimation algorithms for HyperLogLog sketches"
 * (2017): the improved raw estimator, unbiased over the whole range. */
static double hll_sigma(double x)
{
	double y = 1, z = x, zp;
	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (z != zp);
	return z;
}

static double hll_tau(double x)
{
	double y = 1, z, zp;
	if (x == 0 || x == 1)
		return 0;
	z = 1 - x;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != zp);
	return z / 3;
}

static uint64_t hll_estimate(const uint8_t *reg)
{
	enum { Q = 64 - WIN_HLL_P };
	uint32_t c[Q + 2] = { 0 };
	double m = WIN_HLL_M, z;

	for (uint32_t i = 0; i < WIN_HLL_M; i++)
		c[reg[i]]++;
	if (c[0] == WIN_HLL_M)
		return 0;
	z = m * hll_tau(1 - c[Q + 1] / m);
	for (int k = Q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += m * hll_sigma(c[0] / m);
	return (uint64_t)llround(m * m / (2 * log(2)) / z);
}

uint64_t win_dset_count(const struct win_dset *d, bool *approx)
{
	if (d->cap == WIN_DSET_HLL) {
		*approx = true;
		return hll_estimate(d->u.hll);
	}
	*approx = false;
	return d->n;
}

void win_dset_free(struct win_dset *d)
{
	if (d->cap == WIN_DSET_HLL)
		free(d->u.hll);
	else if (d->cap != 0)
		free(d->u.tab);
	memset(d, 0, sizeof *d);
}
