/*
 * jscan.h - the project's one JSON reader: a validating single pass over a
 * line that either fills slots for wanted dotted paths (window's events,
 * throttle's alerts) or hands out the members of an object one by one
 * (detect's records, kcat-src's message keys, control lines).
 *
 * It accepts exactly the JSON that jansson accepts (strict RFC 8259 plus
 * jansson's limits: 64-bit integers, finite reals, no \u0000 unless
 * JSCAN_ALLOW_NUL, never NUL in a member name, nesting at most 2048 deep).
 * Duplicate member names follow the policy given: JSCAN_DUP_REJECT (what
 * every stage uses, docs/contracts.md "Duplicate member names") fails the
 * line with JSCAN_DUP at the second name, in any object at any depth, as
 * jansson's JSON_REJECT_DUPLICATES does; JSCAN_DUP_LAST keeps the last
 * value, as jansson does by default.  tests/unit/test_lib_jscan.c and
 * tests/fuzz/fuzz_lib_jscan.c hold it against jansson under both.
 *
 * Ownership: a jscan_paths owns its node names; an iterator owns its key
 * table until it ends (or jscan_iter_free).  Values handed out point into
 * the scanned line or into the caller's scratch buffer and live as long as
 * those do.
 */
#ifndef JSCAN_H
#define JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSCAN_MAX_DEPTH 2048   /* jansson's JSON_PARSER_MAX_DEPTH */

/* Duplicate-name policy; one of these, optionally | JSCAN_ALLOW_NUL, is a
 * scan's mode. */
enum jscan_dup { JSCAN_DUP_REJECT = 0, JSCAN_DUP_LAST = 1 };
#define JSCAN_DUP_MASK  0x0fu
#define JSCAN_ALLOW_NUL 0x10u   /* \u0000 in string values (JSON_ALLOW_NUL) */

enum jscan_type {
	JSCAN_NONE = 0,   /* field absent */
	JSCAN_NULL, JSCAN_FALSE, JSCAN_TRUE, JSCAN_INT, JSCAN_REAL, JSCAN_STR,
	JSCAN_ARR, JSCAN_OBJ
};

/* Verdicts.  JSCAN_NOTOBJ: valid JSON, but not the object an iterator
 * wanted. */
enum jscan_res { JSCAN_OK = 0, JSCAN_BAD = -1, JSCAN_DUP = -2, JSCAN_NOTOBJ = 1 };

/* One extracted value.  STR: p/n is the decoded content (no quotes).
 * INT: i (and the raw text in p/n).  REAL: d (raw text in p/n).
 * ARR, OBJ, literals: p/n is the raw text of the value. */
struct jscan_val {
	uint8_t type;
	uint32_t n;
	const char *p;
	int64_t i;
	double d;
};

/* ---- paths to slots ------------------------------------------------------ */

/* A trie of wanted dotted paths.  Node 0 is the whole document; every
 * other node is one path component and its index is the slot its value is
 * recorded in. */
#define JSCAN_PBUCKETS 64
struct jscan_pnode {
	char *name;
	uint32_t len;
	int first_child, next_sibling;
	int next_in_bucket;
	int16_t bucket[JSCAN_PBUCKETS];   /* children by pbucket(); -1 empty */
};
struct jscan_paths {
	struct jscan_pnode *node;
	int n, cap;
	unsigned mode;                    /* enum jscan_dup | JSCAN_ALLOW_NUL */
};

void jscan_paths_init(struct jscan_paths *t, unsigned mode);
/* Slot of a dotted path ("app_layer.status_code"), adding it if new;
 * -1 when the path is empty or has an empty component. */
int  jscan_paths_add(struct jscan_paths *t, const char *dotted);
void jscan_paths_free(struct jscan_paths *t);

/* Scan line[0..n) (nothing past it is read).  vals has t->n entries and is filled
 * for every slot (JSCAN_NONE when absent); vals[0] describes the document.
 * scratch must hold at least n bytes: decoded strings with escapes go
 * there.  JSCAN_OK, JSCAN_BAD or JSCAN_DUP. */
enum jscan_res jscan_scan(const struct jscan_paths *t, const char *line,
                          size_t n, struct jscan_val *vals, char *scratch);

/* Iterate the elements of a scanned array value: *pos starts at 0; each
 * call stores the next element in *el and returns true, false at the end.
 * scratch must hold arr->n bytes. */
bool jscan_arr_next(const struct jscan_val *arr, size_t *pos,
                    struct jscan_val *el, char *scratch);

/* ---- members of an object ------------------------------------------------ */

/* One member: its decoded name, its value (as jscan_scan records one) and
 * the value's JSON text as written. */
struct jscan_member {
	const char *name, *raw;
	size_t nlen, rawn;
	struct jscan_val v;
};

/* Internal state of a scan; embedded so an iterator needs no allocation
 * for objects of up to JSCAN_KEYS_INLINE members. */
#define JSCAN_KEYS_INLINE 64
struct jscan_key { const char *p; uint32_t n; };
struct jscan_state {
	const char *p, *end;
	const struct jscan_paths *t;
	struct jscan_val *vals;
	char *scratch;                 /* next free byte for decoded strings */
	int depth;
	unsigned mode;
	bool dups;                     /* mode rejects duplicate names */
	struct jscan_key *keys;        /* names of every open object, stacked */
	uint32_t nkeys, capkeys;
	struct jscan_key local[JSCAN_KEYS_INLINE];
};

/* The names of one open object: a 64-bit Bloom filter while it is small,
 * a hash index (into jscan_state.keys) once it is large. */
struct jscan_frame {
	uint32_t base;                 /* its first name in jscan_state.keys */
	uint64_t bloom;
	uint32_t *idx, icap;
};

struct jscan_iter {
	struct jscan_state s;
	struct jscan_frame top;        /* the iterated object */
	const char *line;
	int state;                     /* 0 first member, 1 more, 2 done */
};

/* Start on line[0..n) (nothing past it is read; scratch of n bytes holds
 * decoded names and strings until the line is done).
 * JSCAN_OK: the line is an object whose members jscan_iter_next gives;
 * JSCAN_NOTOBJ: valid JSON that is not an object; JSCAN_BAD, JSCAN_DUP. */
enum jscan_res jscan_iter_begin(struct jscan_iter *it, const char *line,
                                size_t n, char *scratch, unsigned mode);
/* 1 with the next member in *m, 0 after the last one once the whole line
 * has proved valid, JSCAN_BAD or JSCAN_DUP when it is not (members given
 * before then must be discarded). */
int  jscan_iter_next(struct jscan_iter *it, struct jscan_member *m);
/* Byte offset where the line proved invalid (after JSCAN_BAD/JSCAN_DUP). */
size_t jscan_iter_offset(const struct jscan_iter *it);
/* Release what an iterator abandoned before its end holds (idempotent). */
void jscan_iter_free(struct jscan_iter *it);

/* ---- small helpers ---------------------------------------------------------- */

/* First byte at or after p that is not JSON whitespace. */
static inline const char *jscan_ws(const char *p, const char *end)
{
	while (p < end && (unsigned char)*p <= ' ' &&
	       (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* The dead-letter text of a failed verdict; JSCAN_DUP gives the one every
 * stage uses: "invalid JSON: duplicate key". */
const char *jscan_strerror(enum jscan_res r);

#endif
