/* sym.c - interned field names with an open-addressing hash table. */
#include "sym.h"
#include "nw.h"

#include <stdlib.h>
#include <string.h>

/* Field names are short: hash them eight bytes at a time (a multiply and
 * a rotate per word), with the length mixed in.  Collisions only cost a
 * memcmp, since every lookup compares the names too. */
uint64_t sym_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h = (h << 29) | (h >> 35);
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
	}
	h ^= h >> 32;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

int sym_find(const struct sym_table *t, const char *s, size_t n, uint64_t h)
{
	if (t->slots == NULL)
		return -1;
	for (uint32_t i = (uint32_t)h & t->mask;; i = (i + 1) & t->mask) {
		int k = t->slots[i];
		if (k < 0)
			return -1;
		if (t->hashes[k] == h && t->lens[k] == n &&
		    memcmp(t->names[k], s, n) == 0)
			return k;
	}
}

/* Keep the table at most half full so probes stay short. */
static void sym_rehash(struct sym_table *t)
{
	uint32_t size = t->mask ? (t->mask + 1) * 2 : 16;
	free(t->slots);
	t->slots = nw_xmalloc(size * sizeof *t->slots);
	for (uint32_t i = 0; i < size; i++)
		t->slots[i] = -1;
	t->mask = size - 1;
	for (int k = 0; k < t->n; k++) {
		uint32_t i = (uint32_t)t->hashes[k] & t->mask;
		while (t->slots[i] >= 0)
			i = (i + 1) & t->mask;
		t->slots[i] = k;
	}
}

int sym_intern(struct sym_table *t, const char *s, size_t n)
{
	uint64_t h = sym_hash(s, n);
	int k = sym_find(t, s, n, h);

	if (k >= 0)
		return k;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		t->names = nw_xrealloc(t->names, (size_t)t->cap * sizeof *t->names);
		t->lens = nw_xrealloc(t->lens, (size_t)t->cap * sizeof *t->lens);
		t->hashes = nw_xrealloc(t->hashes, (size_t)t->cap * sizeof *t->hashes);
	}
	k = t->n++;
	t->names[k] = nw_xmalloc(n + 1);
	memcpy(t->names[k], s, n);
	t->names[k][n] = '\0';
	t->lens[k] = (uint32_t)n;
	t->hashes[k] = h;
	if ((uint32_t)t->n * 2 > t->mask)
		sym_rehash(t);
	else {
		uint32_t i = (uint32_t)h & t->mask;
		while (t->slots[i] >= 0)
			i = (i + 1) & t->mask;
		t->slots[i] = k;
	}
	return k;
}

void sym_free(struct sym_table *t)
{
	for (int k = 0; k < t->n; k++)
		free(t->names[k]);
	free(t->names);
	free(t->lens);
	free(t->hashes);
	free(t->slots);
	memset(t, 0, sizeof *t);
}
