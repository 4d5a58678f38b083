/* stats.c - the periodic one-line JSON snapshot of a stage's counters.
 *
 * Written to FILE.tmp and renamed over FILE, so a reader (scripts/status)
 * never sees half a line.  The standard counters (nw.h, struct
 * nw_std_counters) are registered first for every stage. */
#include "nw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum st_kind { ST_U64, ST_GAUGE, ST_I64, ST_DBL, ST_FN };

struct st_entry {
	const char *name;
	enum st_kind kind;
	const void *p;
	void (*fn)(struct nw_buf *, void *);
	void *arg;
	uint64_t last;         /* u64 value at the previous write, for rates */
};

static struct {
	char *path, *tmp;
	int interval_ms;
	int64_t started, last_write;
	unsigned countdown;
	struct st_entry *v;
	size_t n, cap;
} st;

struct nw_std_counters nw_std;

static void st_add(const char *name, enum st_kind kind, const void *p,
                   void (*fn)(struct nw_buf *, void *), void *arg);

/* The standard counters come first in every stage's stats. */
static void st_add_std(void)
{
	nw_stats_u64("lines_in", &nw_std.lines_in);
	nw_stats_u64("lines_out", &nw_std.lines_out);
	nw_stats_u64("ctl_lines", &nw_std.ctl_lines);
	nw_stats_u64("dead_letters", &nw_std.dead_letters);
	nw_stats_u64("too_long", &nw_std.too_long);
	nw_stats_u64("read_errors", &nw_std.read_errors);
	nw_stats_u64("reopens", &nw_std.reopens);
	nw_stats_u64("sink_errors", &nw_sink_errors);
}

void nw_stats_init(const char *path, int interval_ms)
{
	st_add_std();
	st.started = st.last_write = nw_mono_ms();
	st.interval_ms = interval_ms > 0 ? interval_ms : 1000;

	if (path == NULL)
		path = getenv("NW_STATS_FILE");
	if (path == NULL || *path == '\0')
		return;
	st.path = nw_xstrdup(path);
	st.tmp = nw_xmalloc(strlen(path) + 8);
	sprintf(st.tmp, "%s.tmp", path);
}

static void st_add(const char *name, enum st_kind kind, const void *p,
                   void (*fn)(struct nw_buf *, void *), void *arg)
{
	/* One key once: a stage that counts a standard name itself (its own
	 * read loop's ctl_lines, say) takes the standard counter's place. */
	for (size_t i = 0; i < st.n; i++)
		if (strcmp(st.v[i].name, name) == 0) {
			st.v[i] = (struct st_entry){ name, kind, p, fn, arg, 0 };
			return;
		}
	if (st.n == st.cap) {
		st.cap = st.cap ? st.cap * 2 : 16;
		st.v = nw_xreallocarray(st.v, st.cap, sizeof *st.v);
	}
	st.v[st.n++] = (struct st_entry){ name, kind, p, fn, arg, 0 };
}

void nw_stats_u64(const char *n, const uint64_t *p) { st_add(n, ST_U64, p, NULL, NULL); }
void nw_stats_gauge(const char *n, const uint64_t *p) { st_add(n, ST_GAUGE, p, NULL, NULL); }
void nw_stats_i64(const char *n, const int64_t *p) { st_add(n, ST_I64, p, NULL, NULL); }
void nw_stats_dbl(const char *n, const double *p) { st_add(n, ST_DBL, p, NULL, NULL); }
void nw_stats_fn(const char *n, void (*fn)(struct nw_buf *, void *), void *arg)
{
	st_add(n, ST_FN, NULL, fn, arg);
}

static void st_render(struct nw_buf *b, int64_t now)
{
	double secs = (double)(now - st.last_write) / 1000.0;

	nw_buf_printf(b, "{\"stage\":\"%s\",\"pid\":%ld,\"time_ms\":%lld,"
	              "\"uptime_ms\":%lld", nw_stage(), (long)getpid(),
	              (long long)nw_wall_ms(), (long long)(now - st.started));
	for (size_t i = 0; i < st.n; i++) {
		struct st_entry *e = &st.v[i];
		nw_buf_printf(b, ",\"%s\":", e->name);
		switch (e->kind) {
		case ST_U64:
		case ST_GAUGE: nw_buf_add_u64(b, *(const uint64_t *)e->p); break;
		case ST_I64: nw_buf_add_i64(b, *(const int64_t *)e->p); break;
		case ST_DBL: nw_buf_printf(b, "%.17g", *(const double *)e->p); break;
		case ST_FN:  e->fn(b, e->arg); break;
		}
	}
	nw_buf_adds(b, ",\"rates\":{");
	bool first = true;
	for (size_t i = 0; i < st.n; i++) {
		struct st_entry *e = &st.v[i];
		if (e->kind != ST_U64)
			continue;
		uint64_t v = *(const uint64_t *)e->p;
		double rate = secs > 0 ? (double)(v - e->last) / secs : 0;
		nw_buf_printf(b, "%s\"%s\":%.1f", first ? "" : ",", e->name, rate);
		e->last = v;
		first = false;
	}
	nw_buf_adds(b, "}}\n");
}

void nw_stats_write(void)
{
	struct nw_buf b = { 0 };
	int64_t now = nw_mono_ms();

	if (st.path == NULL)
		return;
	st_render(&b, now);
	st.last_write = now;
	FILE *fp = fopen(st.tmp, "w");
	if (fp == NULL) {
		LOG_WARN("cannot write stats file=%s: %s", st.tmp, strerror(errno));
	} else {
		bool ok = fwrite(b.p, 1, b.len, fp) == b.len;
		if (fclose(fp) != 0 || !ok || rename(st.tmp, st.path) != 0)
			LOG_WARN("cannot replace stats file=%s: %s", st.path,
			         strerror(errno));
	}
	nw_buf_free(&b);
}

/* Called per line: looks at the clock only every 256 calls. */
void nw_stats_tick(void)
{
	if (st.path == NULL || (st.countdown++ & 255) != 0)
		return;
	if (nw_mono_ms() - st.last_write >= st.interval_ms)
		nw_stats_write();
}

/* Called by the line reader before it may block: a stage whose input is
 * slow (a few alerts a minute) still refreshes its file every interval. */
void nw_stats_idle(void)
{
	if (st.path != NULL && nw_mono_ms() - st.last_write >= st.interval_ms)
		nw_stats_write();
}

void nw_stats_close(void)
{
	nw_stats_write();
	free(st.path);
	free(st.tmp);
	free(st.v);
	memset(&st, 0, sizeof st);
}
