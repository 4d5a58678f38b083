/*
 * dset.h - distinct counting: an exact set of 64-bit value hashes while it
 * stays at or below WIN_DSET_CAP values, then a HyperLogLog sketch of
 * 2^14 registers (standard error 0.8%, so well inside 2%) read with
 * Ertl's improved estimator, which needs no bias tables.
 *
 * Ownership: a win_dset owns its table or sketch; win_dset_free releases
 * it.  A zeroed win_dset is an empty set.
 */
#ifndef WIN_DSET_H
#define WIN_DSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jscan.h"

#define WIN_DSET_CAP   1024
#define WIN_HLL_P      14
#define WIN_HLL_M      (1u << WIN_HLL_P)

struct win_dset {
	uint32_t n;        /* distinct hashes held (exact forms) */
	uint32_t cap;      /* 0: inline one[]; WIN_DSET_HLL: sketch; else table */
	union {
		uint64_t one[2];
		uint64_t *tab;
		uint8_t *hll;
	} u;
};
#define WIN_DSET_HLL UINT32_MAX

void win_dset_add(struct win_dset *d, uint64_t h);
void win_dset_merge(struct win_dset *dst, const struct win_dset *src);
/* Number of distinct values; *approx says whether it is a sketch estimate. */
uint64_t win_dset_count(const struct win_dset *d, bool *approx);
void win_dset_free(struct win_dset *d);

/* Hashes: bytes, and the value of an extracted JSON scalar (numbers by
 * value, so 443 and 443.0 are one value). */
uint64_t win_hash(const void *p, size_t n, uint64_t seed);
uint64_t win_hash_jval(const struct jscan_val *v);

#endif
