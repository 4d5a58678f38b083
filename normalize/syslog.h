/*
 * syslog.h - syslog headers: RFC 5424 (rfc5424.c) and RFC 3164 / BSD as
 * rsyslog and journald forward it (rfc3164.c), parsed into one struct that
 * points into the caller's line; the pieces both share (PRI, names, civil
 * time) are in sltime.c.
 *
 * Ownership: a struct sl_msg borrows the line it was parsed from; nothing
 * in it is allocated.  Parsers never write to the line.
 */
#ifndef SL_SYSLOG_H
#define SL_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_str { const char *p; size_t n; };   /* n == 0: absent (NILVALUE) */

struct sl_msg {
	int pri;                    /* 0..191, or -1 when the line had none */
	bool has_time;
	int64_t time_ms;            /* epoch ms (UTC) */
	struct sl_str host, app, procid, msgid;
	struct sl_str sd;           /* RFC 5424 STRUCTURED-DATA as written,
	                               n == 0 for NILVALUE; see sl_sd_json */
	struct sl_str msg;          /* MSG, its BOM removed */
};

/* What a 3164 line leaves out: its year and its zone. */
struct sl_clock {
	int year;                   /* > 0: --year; 0: the year of now_ms,
	                               or the one before when that would put
	                               the line more than a week ahead */
	int64_t now_ms;             /* the wall clock, for that guess */
};

/* Each returns NULL and fills *m, or a static reason for a dead letter
 * ("invalid PRI", "invalid timestamp", ...). */
const char *sl_parse_5424(const char *line, size_t n, struct sl_msg *m);
const char *sl_parse_3164(const char *line, size_t n,
                          const struct sl_clock *c, struct sl_msg *m);

/* ---- shared pieces (sltime.c) ------------------------------------------ */
/* "<PRI>" at *p: the value, *p past it; -1 if malformed (0..191, no
 * leading zero, 1..3 digits). */
int sl_pri(const char **p, const char *end);
const char *sl_facility_name(int facility);   /* 0..23 */
const char *sl_severity_name(int severity);   /* 0..7 */
/* Days since 1970-01-01 of a proleptic Gregorian date (valid or not). */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d);
bool sl_date_ok(int y, int m, int d);
/* RFC 3339 FULL-DATE "T" FULL-TIME at *p (5424's TIMESTAMP, also rsyslog's
 * high-precision 3164 stamp): epoch ms, *p past it; false if malformed or
 * impossible. */
bool sl_rfc3339(const char **p, const char *end, int64_t *ms);
/* Local civil time in the process's zone (TZ, set from --tz) as epoch ms;
 * a cache per hour keeps mktime off the per-line path. */
int64_t sl_local_ms(int y, int mon, int d, int h, int mi, int s);

/* ---- structured data (sdata.c) ----------------------------------------- */
/* Validate STRUCTURED-DATA at *p (1*SD-ELEMENT); *p past it.  NULL, or a
 * reason. */
const char *sl_sd_scan(const char **p, const char *end);
struct nw_buf;
/* sd (validated) as a JSON object: SD-ID -> {PARAM-NAME: value}, escapes
 * undone; a PARAM-NAME given more than once gets an array of its values in
 * order.  Returns false (and appends nothing) when an SD-ID repeats, which
 * RFC 5424 forbids. */
bool sl_sd_json(struct nw_buf *b, const char *sd, size_t n);

#endif
