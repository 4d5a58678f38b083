/*
 * nz.h - normalize's line -> signal step (emit.c), shared by main.c and the
 * tests: which header parser a line goes to and the JSON it becomes.
 *
 * Ownership: nz_line appends to the caller's buffer and counts in the
 * caller's counters; it keeps nothing.
 */
#ifndef NZ_H
#define NZ_H

#include <stddef.h>
#include <stdint.h>

#include "nw.h"
#include "syslog.h"

enum nz_format { NZ_AUTO, NZ_RFC5424, NZ_RFC3164, NZ_NONE };

struct nz_opts {
	enum nz_format format;
	int year;                   /* --year, 0: guessed (struct sl_clock) */
	const char *tz, *dlq_path, *stats_path;
	uint64_t max_line;
};

struct nz_counts {              /* stats */
	uint64_t signals, rfc5424, rfc3164, invalid_utf8;
};

int nz_format_parse(const char *s, enum nz_format *out);
const char *nz_format_name(enum nz_format f);

/* One input line (no newline) -> one JSON object appended to out.  Returns
 * NULL, or the dead-letter reason (out then holds nothing useful).  now_ms:
 * the wall clock, for the year of RFC 3164 stamps. */
const char *nz_line(const struct nz_opts *o, const char *line, size_t n,
                    int64_t now_ms, struct nw_buf *out, struct nz_counts *c);

#endif
