/*
 * sym.h - interned field names.  A rule set names each record field its
 * expressions use once; records are then bound to those names by a hashed
 * lookup per field, so evaluation reads plain arrays.
 *
 * Ownership: a sym_table owns copies of its names; sym_free releases them.
 */
#ifndef SYM_H
#define SYM_H

#include <stddef.h>
#include <stdint.h>

struct sym_table {
	char     **names;
	uint32_t  *lens;
	uint64_t  *hashes;
	int        n, cap;
	int       *slots;      /* open addressing: index into names, -1 free */
	uint32_t   mask;
};

uint64_t sym_hash(const char *s, size_t n);
/* Index of the name, adding it when new. */
int  sym_intern(struct sym_table *t, const char *s, size_t n);
/* Index of the name, or -1; h must be sym_hash(s, n). */
int  sym_find(const struct sym_table *t, const char *s, size_t n, uint64_t h);
void sym_free(struct sym_table *t);

#endif
