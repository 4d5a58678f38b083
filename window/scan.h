/*
 * scan.h - the hot-path JSON reader of window: one validating pass over an
 * event line that picks out the few fields the window needs.
 *
 * The scanner accepts exactly the JSON that jansson accepts (strict RFC 8259
 * plus jansson's limits: 64-bit integers, finite reals, no \u0000, nesting
 * at most 2048 deep) and records, for each wanted dotted path, the type and
 * value of the field.  tests/unit/test_window_scan.c holds it against
 * jansson on the whole test corpus.
 *
 * Ownership: a win_paths owns its node names; values handed out point into
 * the scanned line or into the caller's scratch buffer and live as long as
 * those do.
 */
#ifndef WIN_SCAN_H
#define WIN_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIN_JSON_MAX_DEPTH 2048   /* jansson's JSON_PARSER_MAX_DEPTH */

enum win_jtype {
	WJ_NONE = 0,   /* field absent */
	WJ_NULL, WJ_FALSE, WJ_TRUE, WJ_INT, WJ_REAL, WJ_STR, WJ_ARR, WJ_OBJ
};

/* One extracted value.  STR: p/n is the decoded content (no quotes).
 * INT: i (and the raw text in p/n).  REAL: d (raw text in p/n).
 * ARR, OBJ, literals: p/n is the raw text of the value. */
struct win_jval {
	uint8_t type;
	uint32_t n;
	const char *p;
	int64_t i;
	double d;
};

/* A trie of wanted dotted paths.  Node 0 is the whole document; every
 * other node is one path component and its index is the slot its value is
 * recorded in. */
#define WIN_PBUCKETS 64
struct win_pnode {
	char *name;
	uint32_t len;
	int first_child, next_sibling;
	int next_in_bucket;
	int16_t bucket[WIN_PBUCKETS];   /* children by win_pbucket(); -1 empty */
};
struct win_paths {
	struct win_pnode *node;
	int n, cap;
};

void win_paths_init(struct win_paths *t);
/* Slot of a dotted path ("app_layer.status_code"), adding it if new;
 * -1 when the path is empty or has an empty component. */
int  win_paths_add(struct win_paths *t, const char *dotted);
void win_paths_free(struct win_paths *t);

enum win_scan_res { WIN_SCAN_OK = 0, WIN_SCAN_BAD = -1 };

/* Scan line[0..n) (line[n] must be readable and not part of a number; the
 * line reader's terminating NUL does).  vals has t->n entries and is filled
 * for every slot (WJ_NONE when absent); vals[0] describes the document.
 * scratch must hold at least n bytes: decoded strings with escapes go
 * there. */
enum win_scan_res win_scan(const struct win_paths *t, const char *line,
                           size_t n, struct win_jval *vals, char *scratch);

/* Iterate the elements of a scanned array value: *pos starts at 0; each
 * call stores the next element in *el and returns true, false at the end.
 * scratch must hold arr->n bytes. */
bool win_scan_arr_next(const struct win_jval *arr, size_t *pos,
                       struct win_jval *el, char *scratch);

#endif
