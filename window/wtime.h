/*
 * wtime.h - event timestamps: numbers in s/ms/us/ns (or guessed from their
 * magnitude) and RFC 3339 strings, all to integer epoch milliseconds.
 */
#ifndef WIN_TIME_H
#define WIN_TIME_H

#include <stdint.h>
#include "jscan.h"

enum win_tunit { WT_AUTO, WT_S, WT_MS, WT_US, WT_NS, WT_RFC3339 };

/* Accepted range: 1970-01-01 to the end of 9999, in epoch ms. */
#define WIN_TS_MAX INT64_C(253402300799999)

enum win_ts_err {
	WTS_OK = 0,
	WTS_MISSING,       /* no such field (or null) */
	WTS_TYPE,          /* not a number (or not a string for rfc3339) */
	WTS_BAD,           /* a string that is not RFC 3339 */
	WTS_RANGE          /* before 1970 or after 9999 */
};

int win_tunit_parse(const char *s, enum win_tunit *out);
/* Convert an extracted timestamp value to epoch ms (rounded down). */
enum win_ts_err win_ts_from(const struct jscan_val *v, enum win_tunit unit,
                            int64_t *ms);
/* The RFC 3339 reader alone: 0 and *ms on success. */
int win_rfc3339(const char *s, size_t n, int64_t *ms);
const char *win_ts_errstr(enum win_ts_err e);

#endif
