/*
 * kspec.h - what a --key names: one field, as before, or a key made of
 * parts, and the keys one event counts under.
 *
 * SPEC:  PART { "+" PART } [ "@" DUR ]      PART: FIELD | FIELD[]
 * FIELD is a dotted path holding a string; FIELD[] an array of strings,
 * each element one key ("src_ip+dst_ip_info.lists[]": one key per source
 * and list, "10.0.0.5|drop").  Parts are joined by '|'.  An array part
 * that is absent, null or empty gives the event no key of this field (it
 * is not missing: being on no list is the usual case).  @DUR gives this
 * field's windows their own size (window's engine checks it against the
 * slide).  The record's key_field is the SPEC as written.
 *
 * Ownership: a win_kspec holds slots into the parser's path trie only.
 * The keys of an event point into the scanned line, the parser's scratch
 * or a win_kbuf, valid until the next event.
 */
#ifndef WIN_KSPEC_H
#define WIN_KSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jscan.h"
#include "nw.h"

#define WIN_KSPEC_PARTS 4
#define WIN_KSPEC_EACH  16     /* elements of one array part */
#define WIN_EVENT_KEYS  64     /* keys of one event over every field */

struct win_kspec {
	int nparts;
	int slot[WIN_KSPEC_PARTS];
	bool arr[WIN_KSPEC_PARTS];
	bool plain;                /* one scalar part: the classic key */
	int64_t size;              /* @DUR in ms; 0: the window's --size */
};

/* One key of one event: p, or (p NULL) at off in the caller's buf until
 * win_kspec_fix points it there once the buffer stops growing. */
struct win_kref { const char *p; size_t n, off; };

/* Parse SPEC, adding its paths to t.  -1 with a message in err. */
int win_kspec_parse(struct win_kspec *k, const char *spec,
                    struct jscan_paths *t, char *err, size_t errlen);

enum win_kres { WK_OK, WK_MISSING, WK_NOT_STRING, WK_TOO_MANY };

/* The keys of one scanned event for k, appended at out[*n] (at most
 * max - *n of them, distinct).  A compound key is written into buf, which
 * the caller resets once per event; scratch holds the line's length.  A
 * scalar part absent or null is WK_MISSING, a part of the wrong type
 * WK_NOT_STRING. */
enum win_kres win_kspec_keys(const struct win_kspec *k,
                             const struct jscan_val *vals, char *scratch,
                             struct nw_buf *buf, struct win_kref *out,
                             int *n, int max);
/* Point the keys kept in buf at it (after the last win_kspec_keys). */
void win_kspec_fix(struct win_kref *r, int n, const struct nw_buf *buf);

#endif
