/*
 * gen.h - the telemetry generator's internals: a small PRNG, the event
 * record and its hand-rolled JSON formatter (event.c), scenarios and their
 * parser (scenario.c), stream chaos (chaos.c), the output writer (out.c),
 * the options (opts.c), the event streams and their merge (stream.c) and
 * the Kafka producer child (kafka.c).
 *
 * Ownership: a gen_scenario owns its episode array (gen_scenario_free); the
 * chaos holding area, the output buffer and the stream table are owned by
 * their init/free pairs.  Nothing keeps a pointer to a caller's buffer past
 * a call, except the streams, which point at the scenario's episodes.
 */
#ifndef GEN_H
#define GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- PRNG: splitmix64, one 64-bit state per stream ----------------------- */
struct gen_rng {
	uint64_t s;
};

static inline uint64_t gen_rng_next(struct gen_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi] (inclusive) by multiply-shift; the bias is below
 * 2^-32 for the ranges used here, which is irrelevant for test traffic. */
static inline uint64_t gen_rng_range(struct gen_rng *r, uint64_t lo,
                                     uint64_t hi)
{
	unsigned __int128 m = (unsigned __int128)gen_rng_next(r) * (hi - lo + 1);
	return lo + (uint64_t)(m >> 64);
}

/* A probability as a 64-bit threshold, so a draw is one compare. */
static inline uint64_t gen_prob_thresh(double p)
{
	if (p <= 0)
		return 0;
	if (p >= 1)
		return UINT64_MAX;
	return (uint64_t)(p * 18446744073709551616.0);
}

static inline bool gen_rng_hit(struct gen_rng *r, uint64_t thresh)
{
	return thresh && gen_rng_next(r) < thresh;
}

/* ---- events ------------------------------------------------------------ */
enum gen_flags { GEN_F_ACK, GEN_F_SYN_ACK, GEN_F_ACK_PSH, GEN_F_RST_ACK,
                 GEN_F_SYN };
enum gen_proto { GEN_TCP, GEN_UDP };

struct gen_event {
	int64_t  ts;            /* epoch seconds */
	uint64_t id[2];         /* UUIDv4 bits (version/variant set by format) */
	uint32_t src, dst;      /* IPv4, host order */
	uint32_t src_port, dst_port;
	uint32_t proto;         /* enum gen_proto */
	uint64_t bytes_sent, bytes_received;
	uint32_t latency_ms, packets_sent;
	uint32_t flags;         /* enum gen_flags */
	uint32_t method, host, status;
	uint32_t sg;            /* security group number, 0..999999 */
	/* the log formats (log.c): which line, whose account */
	uint32_t log;           /* enum gen_log */
	uint32_t user;          /* pool account number, when user_name is NULL */
	const char *user_name;  /* an episode's own account */
};

/* The log lines gen writes with --format rfc5424|rfc3164. */
enum gen_log { GEN_LOG_FW, GEN_LOG_SSH_OK, GEN_LOG_SSH_FAIL, GEN_LOG_SUDO,
               GEN_LOG_CRON };
enum gen_format { GEN_FMT_JSON, GEN_FMT_RFC5424, GEN_FMT_RFC3164 };
#define GEN_USERS 200           /* background accounts u000..u199 */

/* Longest formatted event (without '\n'); a buffer of GEN_LINE_MAX always
 * holds one line plus its newline. */
#define GEN_LINE_MAX 768

/* Source addresses: the upstream's pool of 20, or N derived addresses. */
#define GEN_POOL_SIZE 20
#define GEN_MAX_SOURCES (128u * 65536u)
extern const uint32_t gen_src_pool[GEN_POOL_SIZE];
uint32_t gen_source(uint64_t idx);

/* Per-event anomalies of the upstream producer (CHAOS_MODE). */
struct gen_chaos_probs {
	uint64_t spike, error, exfil;     /* gen_prob_thresh values */
};

#define GEN_EXFIL_MIN (10ull * 1024 * 1024)
#define GEN_EXFIL_MAX (60ull * 1024 * 1024)

void gen_event_normal(struct gen_event *e, struct gen_rng *r, uint64_t nsrc);
/* A source number 0..nsrc-1 whose rate falls geometrically from the first
 * to the last, the first skew times the last's (skew 1: uniform). */
uint64_t gen_source_skewed(struct gen_rng *r, uint64_t nsrc, double skew);
void gen_event_chaos(struct gen_event *e, struct gen_rng *r,
                     const struct gen_chaos_probs *p);
/* Writes the JSON line (no newline) to out, which must hold GEN_LINE_MAX
 * bytes; returns its length. */
size_t gen_event_format(char *out, const struct gen_event *e);
/* Dotted quad; out must hold 16 bytes; returns the length. */
size_t gen_ip_format(char *out, uint32_t ip);
int gen_ip_parse(const char *s, uint32_t *out);

/* ---- scenarios ---------------------------------------------------------- */
enum gen_kind {
	GEN_K_BACKGROUND,
	GEN_K_EXFIL,
	GEN_K_PORT_SCAN,
	GEN_K_FLOOD,
	GEN_K_PACKET_FLOOD,
	GEN_K_RESET_STORM,
	GEN_K_LATENCY_SPIKE,
	GEN_K_SSH_BRUTE,        /* the log kinds: --format rfc5424|rfc3164 */
	GEN_K_CRED_STUFF,
	GEN_K_PW_SPRAY,
	GEN_K_FW_SCAN,
	GEN_K_TRAVEL,
	GEN_K_SERVICE,          /* benign shapes: never in --truth */
	GEN_K_BULK,
	GEN_K_COUNT
};

struct gen_kind_desc {
	const char *name;       /* = detect rule name */
	const char *key_field;  /* "src_ip" or "dst_ip" */
	double   rate;          /* default events per second */
	int64_t  duration_ms;   /* default length */
	uint32_t dst;           /* default destination */
	uint32_t port;          /* default (first) destination port */
	bool     log_only;      /* only in the log formats */
	bool     benign;        /* ordinary traffic of an unusual shape: no truth */
};
extern const struct gen_kind_desc gen_kinds[GEN_K_COUNT];

struct gen_episode {
	enum gen_kind kind;
	int64_t  at_ms, duration_ms;   /* offset from the scenario start */
	double   rate;
	uint32_t src, dst, port;
	uint32_t sources;              /* flood: spoofed pool; service: clients */
	uint64_t bytes;                /* bytes_sent of each event, 0: the kind's */
	char     user[33];             /* the account of user-keyed kinds */
};

struct gen_scenario {
	double   bg_rate;              /* background events per second (peak) */
	int64_t  bg_duration_ms;       /* 0: until the last episode + 30 s */
	uint64_t bg_sources;           /* 0: --sources */
	double   bg_skew;              /* busiest / quietest source's rate, >= 1 */
	int64_t  bg_cycle_ms;          /* day/night period, 0: a flat rate */
	double   bg_night;             /* the night's rate / the day's, 0..1 */
	struct gen_episode *ep;
	size_t   nep;
};

#define GEN_MAX_EPISODES 256
#define GEN_SPOOF_BASE 0x64400000u   /* 100.64.0.0: spoofed flood sources */

/* Parse scenario text (NDJSON, one episode per line).  On error returns -1
 * and writes a one-line reason (with the line number) to err. */
int gen_scenario_parse(const char *text, size_t n, struct gen_scenario *sc,
                       char *err, size_t errlen);
/* A built-in name ("demo", "exfil", "flood") or a file path. */
int gen_scenario_load(const char *name, struct gen_scenario *sc, char *err,
                      size_t errlen);
const char *gen_scenario_builtin(const char *name);
const char *gen_scenario_names(void);
void gen_scenario_free(struct gen_scenario *sc);
/* Fill event number k of an episode (the episode's own parts only; the rest
 * comes from gen_event_normal called first). */
void gen_episode_event(const struct gen_episode *ep, uint64_t k,
                       struct gen_rng *r, struct gen_event *e);

/* ---- log lines (log.c) ---------------------------------------------------- */
/* A background log line over the normal event e (its addresses and ports):
 * firewall drops, ssh logins and the odd typo, sudo, cron. */
void gen_log_normal(struct gen_event *e, struct gen_rng *r, uint64_t nsrc);
/* e as a syslog line (no newline) in fmt; out holds GEN_LINE_MAX. */
size_t gen_log_format(char *out, const struct gen_event *e, enum gen_format fmt);
/* Pool account n ("u042") into out (8 bytes). */
void gen_user_name(char *out, uint32_t n);

/* ---- output ------------------------------------------------------------- */
void gen_out_init(int fd);
char *gen_out_reserve(size_t n);          /* room for n bytes at the tail */
void gen_out_commit(size_t n);
void gen_out_write(const void *p, size_t n);
void gen_out_flush(void);
void gen_out_free(void);
void gen_out_on_exit(void (*hook)(void));   /* before exiting on an error */

/* ---- stream chaos --------------------------------------------------------- */
enum gen_bad { GEN_BAD_TRUNCATED, GEN_BAD_TYPES, GEN_BAD_MISSING, GEN_BAD_UTF8,
               GEN_BAD_LONG, GEN_BAD_EMPTY, GEN_BAD_COUNT };
extern const char *const gen_bad_names[GEN_BAD_COUNT];

struct gen_stream_chaos {
	uint64_t ooo, late, dup, bad;     /* gen_prob_thresh values */
	int64_t  ooo_jitter_ms;           /* out-of-order: held up to this */
	int64_t  late_min_ms, late_max_ms;
	unsigned bad_kinds;               /* bit mask of enum gen_bad */
	size_t   hold_max;                /* events held at most */
};

struct gen_counters {
	uint64_t events, bytes, ooo, late, dup, bad, forced;   /* lines: nw_std.lines_out */
};
extern struct gen_counters gen_ctr;

bool gen_chaos_active(const struct gen_stream_chaos *c);
void gen_chaos_init(const struct gen_stream_chaos *c, uint64_t seed,
                    uint64_t nsrc);
/* Deliver one formatted event line (with its '\n', len <= GEN_LINE_MAX)
 * whose event time is ev_ms. */
void gen_chaos_emit(const char *line, size_t len, int64_t ev_ms);
void gen_chaos_drain(void);
void gen_chaos_free(void);
/* Write one malformed line of the given kind built from event e. */
void gen_bad_line(enum gen_bad kind, const struct gen_event *e,
                  struct gen_rng *r);

/* ---- options (opts.c) --------------------------------------------------- */
#define GEN_EPS_DEFAULT     5000
#define GEN_WORKERS_DEFAULT 10
#define GEN_WORKERS_MAX     1024

struct gen_opts {
	double   eps;
	double   rate;                  /* synthetic clock, events/s; 0: eps */
	bool     eps_set;               /* --eps given (scenarios ignore the env) */
	uint64_t count;                 /* 0: no limit */
	int64_t  duration_ms;           /* 0: no limit */
	int64_t  start_ms;              /* -1: wall clock */
	uint64_t seed;
	bool     seed_set;
	uint64_t sources;
	unsigned workers;
	bool     chaos;
	double   p_spike, p_error, p_exfil;
	const char *scenario, *truth, *kafka, *topic, *stats;
	enum gen_format format;
	bool     realtime;
	struct gen_stream_chaos sc;
	double   p_ooo, p_late, p_dup, p_bad;
};
/* Defaults, then the environment, then the flags (argv's strings are
 * kept, not copied).  -h/-V print and exit 0; anything bad exits 2. */
void gen_opts_parse(struct gen_opts *o, int argc, char **argv);


/* ---- streams (stream.c) --------------------------------------------------- */
struct gen_stream {
	const struct gen_episode *ep;   /* NULL: background */
	int64_t  start_ns, end_ns;      /* event time, relative to t0 */
	double   interval_ns;
	uint64_t k;                     /* events emitted so far */
	int64_t  next_ns;
	struct gen_rng *rng;            /* nrng of them, used round-robin */
	unsigned nrng;
	int64_t  first_ts, last_ts;     /* emitted span, epoch seconds */
	/* the background of a scenario: its hosts, their rates, its cycle */
	uint64_t nsrc;
	double   skew, night;
	int64_t  cycle_ns;
};

/* Build the streams for these options (and the scenario, when o->scenario
 * is set; it must outlive the streams).  Returns how many there are. */
size_t gen_streams_setup(const struct gen_opts *o, const struct gen_scenario *sc);
/* The stream whose next event is earliest (ties: lowest index); NULL when
 * every stream has ended. */
struct gen_stream *gen_stream_next(void);
/* The stream's event k was made with timestamp ts (epoch seconds). */
void gen_stream_advance(struct gen_stream *s, int64_t ts);
/* The day/night cycle: false when the stream's next event falls in the
 * part of the peak rate its hour of the cycle does not have; the caller
 * then skips it (gen_stream_skip) instead of emitting it.  One draw of r. */
bool gen_stream_keep(const struct gen_stream *s, struct gen_rng *r);
void gen_stream_skip(struct gen_stream *s);
/* The --truth records: one line per episode stream that emitted events. */
void gen_streams_truth(FILE *fp);
void gen_streams_free(void);

/* ---- the Kafka producer child (kafka.c) --------------------------------- */
/* Start "kcat-src -P"; returns the fd to write to (exits 1 on failure). */
int gen_kafka_start(const char *brokers, const char *topic);
/* Close fd, wait for the child; NW_EXIT_OK or NW_EXIT_FAIL. */
int gen_kafka_stop(int fd);
/* Output failed: if a producer was started, reap it and _exit(1). */
void gen_kafka_gone(void);

#endif
