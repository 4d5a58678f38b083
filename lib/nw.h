/*
 * nw.h - code shared by every netwatch stage: logging, line input with a
 * length cap, buffered stdout that turns EPIPE into a documented exit status,
 * side outputs (dead-letter, late, suppressed), the periodic stats file,
 * control-line recognition, signals, and small parsers for flags.
 *
 * Ownership: every nw_* object is created by its open or init function and
 * released by the matching close or free; nothing here keeps a pointer to a
 * caller's buffer past the call, except the nw_stats_ functions, which keep the counter
 * addresses given to them (they must outlive the stats writer).
 */
#ifndef NW_H
#define NW_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses shared by every stage (documented in the README). */
#define NW_EXIT_OK    0   /* end of input, or SIGTERM/SIGINT */
#define NW_EXIT_FAIL  1   /* runtime failure */
#define NW_EXIT_USAGE 2   /* bad flag, bad config */
#define NW_EXIT_PIPE  3   /* stdout's reader went away (EPIPE) */

#define NW_MAX_LINE_DEFAULT (1024 * 1024)

/* ---- logging: "LEVEL stage: message key=value" on stderr ---------------- */
enum nw_level { NW_ERROR, NW_WARN, NW_INFO, NW_DEBUG };
void nw_log_init(const char *stage);      /* NW_LOG_LEVEL=error|warn|info|debug */
void nw_log_set_level(enum nw_level lvl);
bool nw_log_enabled(enum nw_level lvl);
const char *nw_stage(void);
void nw_log(enum nw_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define LOG_ERROR(...) nw_log(NW_ERROR, __VA_ARGS__)
#define LOG_WARN(...)  nw_log(NW_WARN, __VA_ARGS__)
#define LOG_INFO(...)  nw_log(NW_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) do { if (nw_log_enabled(NW_DEBUG)) nw_log(NW_DEBUG, __VA_ARGS__); } while (0)

/* A bad flag or config: one clear line on stderr, exit 2. */
void nw_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* --version output, the same on every program. */
void nw_print_version(void);

/* ---- memory: one policy for the whole tree (lib/alloc.c) --------------
 * Allocate with these, never with bare malloc: out of memory logs one line
 * ("ERROR stage: out of memory bytes=N") and exits NW_EXIT_FAIL, so callers
 * never check for NULL.  Free with free(3).  nw_set_oom_handler installs a
 * hook run first (tests); it should not return. */
void *nw_xmalloc(size_t n);
void *nw_xcalloc(size_t count, size_t size);
void *nw_xrealloc(void *p, size_t n);
void *nw_xreallocarray(void *p, size_t count, size_t size);  /* overflow-checked */
char *nw_xstrdup(const char *s);
char *nw_xstrndup(const char *s, size_t n);
void *nw_xmemdup(const void *p, size_t n);
void nw_oom(size_t n) __attribute__((noreturn));
void nw_set_oom_handler(void (*hook)(size_t n));

/* ---- growable byte buffer -------------------------------------------- */
struct nw_buf {
	char  *p;
	size_t len, cap;
};
void nw_buf_reserve(struct nw_buf *b, size_t extra);
void nw_buf_add(struct nw_buf *b, const void *s, size_t n);
void nw_buf_adds(struct nw_buf *b, const char *s);
void nw_buf_addc(struct nw_buf *b, char c);
void nw_buf_printf(struct nw_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void nw_buf_add_i64(struct nw_buf *b, int64_t v);
void nw_buf_add_u64(struct nw_buf *b, uint64_t v);
/* A JSON string literal (with quotes).  Invalid UTF-8 becomes U+FFFD and
 * control bytes (NUL included) are \u-escaped, so the result is valid JSON
 * whatever the input.  Returns false when something had to be replaced. */
bool nw_buf_add_jstr(struct nw_buf *b, const char *s, size_t n);
/* The bytes as a base64 JSON string literal (with quotes). */
void nw_buf_add_b64(struct nw_buf *b, const void *data, size_t n);
void nw_buf_reset(struct nw_buf *b);
void nw_buf_free(struct nw_buf *b);

/* Length of the valid UTF-8 sequence at s (1 for ASCII), 0 when invalid. */
size_t nw_utf8_seq(const unsigned char *s, size_t n);
/* Length of the valid UTF-8 prefix of s (== n when all of it is valid). */
size_t nw_utf8_valid_prefix(const char *s, size_t n);
/* 64-bit FNV-1a over n bytes, continuing from h (start from
 * NW_FNV1A_INIT): the hash behind alert ids, incident ids and digest keys,
 * which must stay the same from release to release. */
#define NW_FNV1A_INIT 0xcbf29ce484222325ULL
static inline uint64_t nw_fnv1a(uint64_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const unsigned char *)p)[i]) * 0x100000001b3ULL;
	return h;
}

static inline bool nw_utf8_valid(const char *s, size_t n)
{
	return nw_utf8_valid_prefix(s, n) == n;
}

/* ---- line input ------------------------------------------------------ */
enum nw_rd {
	NW_RD_LINE,     /* (*line, *len) is one line, NUL-terminated, no '\n' */
	NW_RD_TOOLONG,  /* over max length: *line is its first max bytes; the
	                   rest of it is skipped */
	NW_RD_EOF,
	NW_RD_TIMEOUT,  /* nothing arrived within timeout_ms */
	NW_RD_INTR,     /* a signal arrived: check nw_sig_* */
	NW_RD_ERR       /* read error, errno set */
};
struct nw_reader {
	int     fd;
	char   *buf;
	size_t  cap, start, end, maxlen;
	bool    eof, skipping;
	uint64_t lines, bytes;     /* lines returned, bytes read */
	void  (*before_block)(void);  /* called before a read that may block */
	/* Under scripts/supervise: the input FIFO to reopen at EOF (see
	 * nw_reader_init), its end marker, and how often it was reopened. */
	char   *reopen, *reopen_eof;
	uint64_t reopens;
};
/* When env NW_REOPEN_INPUT names a FIFO that is the same file as fd (the
 * supervisor sets it to a stage's input FIFO), EOF is not the end: the
 * upstream stage died and is being restarted, so the reader reopens the
 * FIFO and waits for the new writer.  The input really ends when a stop
 * signal arrived (nw_sig_stop) or the file NW_REOPEN_INPUT.eof exists (the
 * supervisor creates it when the upstream stage finished for good). */
int  nw_reader_init(struct nw_reader *r, int fd, size_t maxlen);
/* timeout_ms < 0 waits forever.  The returned line stays valid until the
 * next call. */
enum nw_rd nw_reader_next(struct nw_reader *r, char **line, size_t *len,
                          int timeout_ms);
void nw_reader_free(struct nw_reader *r);

/* ---- stdout and side outputs ----------------------------------------- */
/* stdout gets a large buffer and is flushed before every blocking read of
 * the input, so a quiet pipeline still delivers promptly.  A write error
 * with EPIPE exits NW_EXIT_PIPE (after the hook, if set, unless the hook
 * returns true: it has dealt with it, the failed output is dropped and the
 * program goes on); any other write error exits NW_EXIT_FAIL. */
void nw_out_init(void);
void nw_out_line(const char *s, size_t n);   /* appends '\n' */
void nw_out_flush(void);
void nw_out_on_epipe(bool (*hook)(void));

/* A side output: an append-only NDJSON file ("-" is stderr).  Flushed
 * together with stdout.  NULL path: no file (callers then log instead). */
struct nw_sink;
struct nw_sink *nw_sink_open(const char *path);   /* NULL on error, errno set */
void nw_sink_line(struct nw_sink *s, const char *line, size_t n);
void nw_sink_flush(struct nw_sink *s);
void nw_sink_close(struct nw_sink *s);
/* Side-output writes that failed (in every stage's stats as sink_errors). */
extern uint64_t nw_sink_errors;

/* Dead-letter output: {"reason":…,"line":…} per rejected line, plus
 * "line_base64" of the raw bytes when they are not valid UTF-8 (so nothing
 * is lost).  Counts per call; without a file the first few are logged at WARN
 * and then one line per 10000, never silently. */
struct nw_dlq {
	struct nw_sink *sink;
	uint64_t count;
	uint64_t logged;
};
int  nw_dlq_open(struct nw_dlq *d, const char *path);  /* path may be NULL */
void nw_dlq_put(struct nw_dlq *d, const char *reason, const char *line,
                size_t n);
/* The same with more members between "reason" and "line": extra is
 * rendered JSON members without braces, e.g. "\"offset\":12" (or NULL). */
void nw_dlq_put_with(struct nw_dlq *d, const char *reason, const char *extra,
                     const void *line, size_t n);
/* Appends the dead-letter record itself to b (no newline). */
void nw_dlq_format(struct nw_buf *b, const char *reason, const char *extra,
                   const void *line, size_t n);
void nw_dlq_close(struct nw_dlq *d);

/* ---- stats: one JSON line, replaced atomically ------------------------- */
/* {"stage":…,"pid":…,"time_ms":…,"uptime_ms":…, <counters>, "rates":{…}}
 * Rates are per second for every u64 counter since the previous write. */
/* The standard counters: lib registers them (and sink_errors) first in
 * every stage's stats, under these names, so tools need no per-stage table
 * (README "Stats").  lib counts what it sees itself: lines_out in
 * nw_out_line, dead_letters in nw_dlq_put*, the input ones in
 * nw_reader_next, ctl_lines in the stage loop (stage.h).  A stage that
 * reads or writes another way adds to them, or registers a counter of its
 * own under the standard name, which then takes the standard one's place. */
struct nw_std_counters {
	uint64_t lines_in;      /* input lines: data, control and too long */
	uint64_t lines_out;     /* lines written on stdout, control lines too */
	uint64_t ctl_lines;     /* control lines read ({"@ctl":…}) */
	uint64_t dead_letters;  /* records put on the dead-letter output */
	uint64_t too_long;      /* input lines over the length cap */
	uint64_t read_errors;   /* failed reads of the input */
	uint64_t reopens;       /* input FIFO reopened for a restarted writer */
};
extern struct nw_std_counters nw_std;
/* path NULL: env NW_STATS_FILE if set (the supervisor sets it), else off. */
void nw_stats_init(const char *path, int interval_ms);
void nw_stats_u64(const char *name, const uint64_t *p);
/* A level that goes up and down (keys held, queue length): no rate. */
void nw_stats_gauge(const char *name, const uint64_t *p);
void nw_stats_i64(const char *name, const int64_t *p);
void nw_stats_dbl(const char *name, const double *p);
/* fn appends one JSON value (object, array, number) to out. */
void nw_stats_fn(const char *name, void (*fn)(struct nw_buf *out, void *arg),
                 void *arg);
void nw_stats_tick(void);    /* cheap; writes when the interval has passed */
void nw_stats_idle(void);    /* the same, checking the clock every call (the
                                line reader calls it before it may block) */
void nw_stats_write(void);   /* now */
void nw_stats_close(void);   /* final write, then free */

/* ---- control lines: {"@ctl":{…}} -------------------------------------- */
/* Fast test on the first bytes: could this line be a control line?  A line
 * that passes must still be confirmed with nw_ctl_parse. */
bool nw_ctl_maybe(const char *line, size_t n);
/* Returns the "@ctl" value (a new reference the caller must json_decref)
 * when the line is an object whose only key is "@ctl", else NULL.  Declared
 * with void * to keep jansson out of this header. */
void *nw_ctl_parse(const char *line, size_t n);
/* The "topic" (a string) and "partition" (an integer 0..INT32_MAX) members
 * of a parsed control line or of one of its list members; false when o has
 * not both (docs/contracts.md §4). */
bool nw_ctl_topic_part(const void *o, const char **topic, size_t *tlen,
                       int32_t *part);

/* ---- signals ----------------------------------------------------------- */
extern volatile sig_atomic_t nw_sig_stop;   /* SIGTERM or SIGINT seen */
extern volatile sig_atomic_t nw_sig_hup;    /* SIGHUP seen (caller clears) */
void nw_sig_init(void);   /* handlers without SA_RESTART; SIGPIPE ignored */
/* Install one handler without SA_RESTART (blocking calls return EINTR). */
void nw_sig_on(int sig, void (*handler)(int));

/* ---- flags (lib/flags.c; the getopt loop itself is in cli.h) ---------- */
/* Durations: "250ms", "5s", "10m", "1h", "1d"; a bare number is seconds. */
int nw_parse_duration_ms(const char *s, int64_t *out_ms);
int nw_parse_u64(const char *s, uint64_t *out);
int nw_parse_i64(const char *s, int64_t *out);
int nw_parse_double(const char *s, double *out);

/* ---- durable files ----------------------------------------------------- */
/* write(2) until all n bytes are out (EINTR retried): 0, or -1 with errno. */
int nw_write_all(int fd, const void *p, size_t n);
/* fsync a directory, so a rename or create in it survives a crash. */
int nw_fsync_dir(const char *dir);
/* A whole file (configuration, lists) at most max bytes: a NUL-terminated
 * buffer the caller frees, and its length in *n; or NULL with "path:
 * reason" in err (lib/readfile.c). */
char *nw_read_file(const char *path, size_t max, size_t *n, char *err,
                   size_t errlen);

/* ---- time -------------------------------------------------------------- */
int64_t nw_wall_ms(void);   /* wall clock, epoch ms: logs and stats only */
int64_t nw_mono_ms(void);   /* monotonic, for timeouts and rates */

#endif
