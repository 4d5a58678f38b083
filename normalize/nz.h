/*
 * nz.h - normalize's line -> signal step (emit.c), shared by main.c and the
 * tests: which header parser a line goes to and the JSON it becomes.
 *
 * Ownership: nz_line appends to the caller's buffer and counts in the
 * caller's counters; it keeps nothing.
 */
#ifndef NZ_H
#define NZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nw.h"
#include "syslog.h"

enum nz_format { NZ_AUTO, NZ_RFC5424, NZ_RFC3164, NZ_NONE, NZ_FORMATS };
/* Their names, in the enum's order ("auto", "rfc5424", ...). */
extern const char *const nz_format_names[NZ_FORMATS];

struct nz_patterns;

struct nz_opts {
	enum nz_format format;
	int year;                   /* --year, 0: guessed (struct sl_clock) */
	const char *tz, *dlq_path, *stats_path;
	uint64_t max_line;
	char **pattern_files;       /* --patterns, in order (argv's strings) */
	int npattern_files;
	bool no_builtin, unmatched_dlq, check;
	struct nz_patterns *pats;   /* loaded: the files', then the built-in */
};

struct nz_counts {              /* stats */
	uint64_t signals, rfc5424, rfc3164, invalid_utf8;
	uint64_t matched, unmatched, type_errors;
};

const char *nz_format_name(enum nz_format f);

/* One input line (no newline) -> one JSON object appended to out.  Returns
 * NULL, or the dead-letter reason (out then holds nothing useful).  now_ms:
 * the wall clock, for the year of RFC 3164 stamps. */
const char *nz_line(const struct nz_opts *o, const char *line, size_t n,
                    int64_t now_ms, struct nw_buf *out, struct nz_counts *c);

/* ---- patterns (patterns.c) --------------------------------------------- */
/* The built-in pattern file (normalize/patterns.json, compiled in). */
extern const char nz_builtin_json[];
/* files in order, then builtin (NULL: none).  NULL on error, with err
 * naming the file, the pattern and what is wrong. */
struct nz_patterns *nz_pat_load(char *const *files, int nfiles,
                                const char *builtin, char *err, size_t sz);
void nz_pat_free(struct nz_patterns *ps);
int  nz_pat_count(const struct nz_patterns *ps);
void nz_pat_list(const struct nz_patterns *ps, FILE *out);
/* The first pattern (in order, its app filter passed) that matches m's
 * message: its members appended to b (,"pattern":…,groups…,set…) and its
 * index returned; -1 when none matches.  *utf8_ok is cleared when a value
 * needed U+FFFD. */
int  nz_pat_apply(struct nz_patterns *ps, const struct sl_msg *m,
                  struct nw_buf *b, uint64_t *type_errors, bool *utf8_ok);

#endif
