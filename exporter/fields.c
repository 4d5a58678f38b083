/* fields.c - the stats-field table and the functions for structured
 * fields (fields.h). */
#include "fields.h"
#include "jscan.h"

#include <stdlib.h>
#include <string.h>

enum fld_how {
	FLD_COUNTER,   /* netwatch_<metric>_total */
	FLD_GAUGE,     /* netwatch_<metric> */
	FLD_MS,        /* a gauge in milliseconds, exposed in seconds */
	FLD_FN,        /* structured: fn makes the metrics */
	FLD_SKIP,      /* not a metric (pid, rates: Prometheus makes its own) */
};

struct fld {
	const char *stage;   /* the program; NULL: every stage's field */
	const char *field;
	const char *metric;  /* NULL: <stage>_<field>, with _total for counters */
	enum fld_how how;
	void (*fn)(struct fld_ctx *c, const struct jscan_member *m);
	const char *help;
};

static void fld_watermark(struct fld_ctx *c, const struct jscan_member *m);
static void fld_partitions(struct fld_ctx *c, const struct jscan_member *m);
static void fld_rules(struct fld_ctx *c, const struct jscan_member *m);
static void fld_mode(struct fld_ctx *c, const struct jscan_member *m);

#define STD(f, m, h)   { NULL, f, "stage_" m, FLD_COUNTER, NULL, h }
#define CTR(st, f, h)  { st, f, NULL, FLD_COUNTER, NULL, h }
#define GAU(st, f, m, h) { st, f, m, FLD_GAUGE, NULL, h }
#define FN(st, f, fn)  { st, f, NULL, FLD_FN, fn, NULL }
#define SKIP(f)        { NULL, f, NULL, FLD_SKIP, NULL, NULL }

static const struct fld table[] = {
	/* every stage: lib's standard counters (README "Stats") */
	STD("lines_in", "lines_in",
	    "Input lines read: data, control and too long."),
	STD("lines_out", "lines_out",
	    "Lines written on stdout, control lines included."),
	STD("ctl_lines", "ctl_lines", "Control lines read."),
	STD("dead_letters", "dead_letters",
	    "Records put on the dead-letter output."),
	STD("too_long", "too_long_lines", "Input lines over the length cap."),
	STD("read_errors", "read_errors", "Failed reads of the input."),
	STD("reopens", "reopens",
	    "Input FIFO reopened for a restarted upstream stage."),
	STD("sink_errors", "sink_errors",
	    "Side-output writes (dead letter, late, suppressed) that failed."),
	{ NULL, "uptime_ms", "stage_uptime_seconds", FLD_MS, NULL,
	  "Seconds the stage process had run when it wrote its stats." },
	{ NULL, "time_ms", "stage_stats_timestamp_seconds", FLD_MS, NULL,
	  "When the stage last wrote its stats file (Unix time): a stale "
	  "value means a stuck or dead stage." },
	SKIP("stage"),
	SKIP("pid"),
	SKIP("rates"),

	/* kcat-src: consumer, then producer mode (-P) */
	CTR("kcat-src", "messages", "Kafka messages consumed."),
	CTR("kcat-src", "bytes", "Payload bytes consumed."),
	CTR("kcat-src", "null_payloads", "Messages without a payload."),
	CTR("kcat-src", "skipped_by_time",
	    "Messages before an -o @TIMESTAMP_MS start, skipped."),
	CTR("kcat-src", "errors", "Consumer errors."),
	CTR("kcat-src", "barriers", "Checkpoint barriers emitted."),
	CTR("kcat-src", "produced", "Lines handed to the producer (-P)."),
	CTR("kcat-src", "delivered", "Messages the broker acknowledged (-P)."),
	CTR("kcat-src", "failed", "Messages that could not be delivered (-P)."),
	CTR("kcat-src", "unkeyed", "Messages produced without a key (-P)."),
	FN("kcat-src", "partitions", fld_partitions),

	/* window */
	CTR("window", "events", "Events accepted."),
	CTR("window", "records", "Window records written."),
	CTR("window", "late", "Events behind the watermark."),
	CTR("window", "refired", "Windows fired again for late events."),
	CTR("window", "key_limit", "Events dropped at the --max-keys limit."),
	CTR("window", "unkeyed", "Events with no key field (--missing-key skip)."),
	GAU("window", "keys", "window_keys", "Live keys."),
	GAU("window", "panes", "window_panes", "Open panes."),
	FN("window", "watermark", fld_watermark),

	/* detect */
	CTR("detect", "records_in", "Window records read."),
	CTR("detect", "alerts_out", "Alerts written."),
	CTR("detect", "reloads", "Rule files reloaded."),
	CTR("detect", "reload_failures", "Rule reloads rejected."),
	CTR("detect", "allowed", "Alerts held back by the --allow list."),
	CTR("detect", "incidents_opened", "Incidents opened (--incidents)."),
	CTR("detect", "partitions_adopted",
	    "Partitions taken over from a chain that died, with detect's part of "
	    "them (adopt lines)."),
	CTR("detect", "incidents_resolved", "Incidents resolved (--incidents)."),
	GAU("detect", "incidents_tracked", "detect_incidents_tracked",
	    "Incidents open or pending (--incidents)."),
	FN("detect", "rules", fld_rules),

	/* throttle */
	CTR("throttle", "alerts", "Alerts read."),
	CTR("throttle", "passed", "Alerts passed on."),
	CTR("throttle", "replayed", "Alerts passed again after a replay."),
	CTR("throttle", "suppressed", "Alerts suppressed as repeats."),
	CTR("throttle", "local_passed", "Alerts passed by the local table "
	    "while Redis was away."),
	CTR("throttle", "local_suppressed", "Alerts suppressed by the local "
	    "table while Redis was away."),
	CTR("throttle", "blank", "Alerts with an empty key."),
	CTR("throttle", "redis_errors", "Failed Redis commands."),
	CTR("throttle", "outages", "Times Redis became unavailable."),
	CTR("throttle", "synced", "Local keys written back to Redis after "
	    "an outage."),
	CTR("throttle", "local_evicted", "Keys evicted from the local table."),
	CTR("throttle", "round_trips", "Redis round trips."),
	GAU("throttle", "queued", "throttle_queued_alerts",
	    "Alerts held for a verdict (closed mode while Redis is away)."),
	GAU("throttle", "redis_up", "throttle_redis_up",
	    "1 while Redis answers, 0 during an outage."),
	GAU("throttle", "local_keys", "throttle_local_keys",
	    "Keys in the local TTL table."),
	FN("throttle", "mode", fld_mode),

	/* notify */
	CTR("notify", "alerts_in", "Alerts read."),
	CTR("notify", "delivered", "Alerts delivered (2xx)."),
	CTR("notify", "dead", "Alerts given up on."),
	CTR("notify", "duplicates", "Alerts skipped as already spooled."),
	CTR("notify", "posts", "HTTP posts made."),
	CTR("notify", "digests", "Digest posts made."),
	CTR("notify", "post_failures", "HTTP posts that failed."),
	CTR("notify", "barriers", "Checkpoint barriers completed."),
	CTR("notify", "resend_posts", "Re-sends of the open incidents (--resend)."),
	CTR("notify", "resend_failures", "Re-sends of the open incidents that failed."),
	GAU("notify", "waiting", "notify_queue_alerts",
	    "Alerts in the spool not yet delivered or given up on."),

	/* normalize */
	CTR("normalize", "signals_out", "JSON signals written."),
	CTR("normalize", "rfc5424", "Syslog lines read as RFC 5424."),
	CTR("normalize", "rfc3164", "Syslog lines read as RFC 3164."),
	CTR("normalize", "invalid_utf8", "Lines with bytes that are not UTF-8."),
	CTR("normalize", "matched", "Messages a pattern matched."),
	CTR("normalize", "unmatched", "Messages no pattern matched."),
	CTR("normalize", "type_errors", "Captured values that did not fit "
	    "their pattern's type."),

	/* enrich */
	CTR("enrich", "events", "Events enriched and written."),
	CTR("enrich", "fields_enriched", "Address fields given an _info object."),
	CTR("enrich", "geo_hits", "Addresses the GeoIP database knew."),
	CTR("enrich", "asn_hits", "Addresses the ASN database knew."),
	CTR("enrich", "list_hits", "Addresses on at least one --list."),
	CTR("enrich", "identity_hits", "Addresses the identity file knew."),
	CTR("enrich", "not_public", "Private, loopback and other addresses "
	    "not looked up."),
	CTR("enrich", "not_ip", "Fields that held no IP address."),
	CTR("enrich", "reloads", "Data files reloaded."),
	CTR("enrich", "reload_failures", "Reloads rejected (the old data kept)."),
	CTR("enrich", "lookups", "Lookup requests sent (--lookup), retries "
	    "after a 429 included."),
	CTR("enrich", "lookup_answers", "Lookups answered with JSON (cached)."),
	CTR("enrich", "lookup_failures", "Lookups that failed: an HTTP error, a "
	    "timeout, no JSON, no connection."),
	CTR("enrich", "lookup_timeouts", "Lookups that failed by --timeout."),
	CTR("enrich", "lookup_throttled", "429 answers waited out (Retry-After)."),
	CTR("enrich", "lookup_coalesced", "Addresses wanted again while their "
	    "lookup was queued or in flight (no new request)."),
	CTR("enrich", "cache_hits", "Addresses answered from the lookup cache."),
	CTR("enrich", "cache_evicted", "Cached answers dropped for room (--cache)."),
	CTR("enrich", "cache_expired", "Cached answers dropped by age (--cache-ttl)."),
	CTR("enrich", "events_failed", "Events written with enrich_errors (and "
	    "to --failed)."),
	GAU("enrich", "lookups_in_flight", "enrich_lookups_in_flight",
	    "Lookup requests in flight."),
	GAU("enrich", "lookups_queued", "enrich_lookups_queued",
	    "Lookups waiting for a free --concurrency slot or a 429 pause."),
	GAU("enrich", "cache_entries", "enrich_cache_entries",
	    "Answers in the lookup cache."),
	GAU("enrich", "pending", "enrich_pending",
	    "Events and control lines waiting for lookups (at most --max-pending)."),
	GAU("enrich", "pending_peak", "enrich_pending_peak",
	    "The most events and control lines that waited at once."),

	/* gen */
	CTR("gen", "events", "Events generated."),
	CTR("gen", "bytes", "Bytes written."),
	CTR("gen", "out_of_order", "Events made out of order."),
	CTR("gen", "late", "Events made late."),
	CTR("gen", "duplicates", "Events duplicated."),
	CTR("gen", "malformed", "Malformed lines written."),
	CTR("gen", "hold_overflow", "Events released early from the "
	    "reordering hold."),
};
#define NTABLE (sizeof table / sizeof table[0])

/* The stage's own entry first, then the one for every stage. */
static const struct fld *fld_find(const char *stage, const char *name,
                                  size_t nlen)
{
	const struct fld *any = NULL;

	for (size_t i = 0; i < NTABLE; i++) {
		const struct fld *f = &table[i];
		if (strlen(f->field) != nlen || memcmp(f->field, name, nlen) != 0)
			continue;
		if (f->stage && strcmp(f->stage, stage) == 0)
			return f;
		if (f->stage == NULL)
			any = f;
	}
	return any;
}

/* A family named after the stage: "<stage>_<what><suffix>". */
static struct prom_fam *fld_family(struct fld_ctx *c, const char *what,
                                   const char *suffix, enum prom_type type,
                                   const char *help)
{
	char raw[200], name[200];

	snprintf(raw, sizeof raw, "%s_%s%s", c->stage, what, suffix);
	prom_name(name, sizeof name, raw);
	return prom_family(c->p, name, type, help);
}

static void fld_number(struct prom_fam *f, const struct prom_lset *ls,
                       const struct jscan_val *v)
{
	if (v->type == JSCAN_INT)
		prom_i64(f, ls, v->i);
	else if (v->type == JSCAN_REAL)
		prom_dbl(f, ls, v->d);
	else if (v->type == JSCAN_TRUE || v->type == JSCAN_FALSE)
		prom_sample(f, ls, v->type == JSCAN_TRUE ? "1" : "0");
}

static bool fld_numeric(const struct jscan_val *v)
{
	return v->type == JSCAN_INT || v->type == JSCAN_REAL;
}

/* One top-level member, by the table. */
static void fld_member(struct fld_ctx *c, const struct jscan_member *m)
{
	const struct fld *f = fld_find(c->stage, m->name, m->nlen);
	char field[128], help[200];

	if (f && f->how == FLD_FN) {
		f->fn(c, m);
		return;
	}
	if ((f && f->how == FLD_SKIP) || !fld_numeric(&m->v))
		return;
	if (f && f->how == FLD_MS && m->v.type == JSCAN_INT) {
		prom_ms(prom_family(c->p, f->metric, PROM_GAUGE, f->help), &c->ls,
		        m->v.i);
		return;
	}
	if (f && f->metric) {
		char name[160];
		snprintf(name, sizeof name, "%s%s", f->metric,
		         f->how == FLD_COUNTER ? "_total" : "");
		fld_number(prom_family(c->p, name, f->how == FLD_COUNTER ?
		           PROM_COUNTER : PROM_GAUGE, f->help), &c->ls, &m->v);
		return;
	}
	snprintf(field, sizeof field, "%.*s", (int)m->nlen, m->name);
	if (f) {
		fld_number(fld_family(c, field, f->how == FLD_COUNTER ? "_total" :
		           "", f->how == FLD_COUNTER ? PROM_COUNTER : PROM_GAUGE,
		           f->help), &c->ls, &m->v);
		return;
	}
	snprintf(help, sizeof help, "Stats field %s of %s (not in the "
	         "exporter's table, so of unknown type).", field, c->stage);
	fld_number(fld_family(c, field, "", PROM_UNTYPED, help), &c->ls, &m->v);
}

/* Walk the members of the object text obj[0..n) (already validated). */
static void fld_each(const char *obj, size_t n,
                     void (*fn)(struct fld_ctx *, const struct jscan_member *,
                                void *), struct fld_ctx *c, void *arg)
{
	struct jscan_iter it;
	struct jscan_member m;
	char *scratch = nw_xmalloc(n + 1);

	if (jscan_iter_begin(&it, obj, n, scratch, JSCAN_DUP_LAST) == JSCAN_OK)
		while (jscan_iter_next(&it, &m) == 1)
			fn(c, &m, arg);
	jscan_iter_free(&it);
	free(scratch);
}

static void fld_top(struct fld_ctx *c, const struct jscan_member *m, void *arg)
{
	if (m->nlen == 7 && memcmp(m->name, "time_ms", 7) == 0 &&
	    m->v.type == JSCAN_INT)
		c->time_ms = m->v.i;
	fld_member(c, m);
}

int fld_stats_line(struct fld_ctx *c, const char *line, size_t n)
{
	struct jscan_iter it;
	struct jscan_member m;
	char *scratch = nw_xmalloc(n + 1);
	int rc;

	/* A whole pass first: members handed out before a line proves bad
	 * must be dropped, so nothing is added until it proved good. */
	rc = jscan_iter_begin(&it, line, n, scratch, JSCAN_DUP_LAST);
	if (rc == JSCAN_OK)
		while ((rc = jscan_iter_next(&it, &m)) == 1)
			;
	jscan_iter_free(&it);
	free(scratch);
	if (rc != 0)
		return -1;
	fld_each(line, n, fld_top, c, NULL);
	return 0;
}

/* ---- structured fields ----------------------------------------------- */

/* window: the watermark (event time, ms; INT64_MIN before the first
 * event) and how far it is behind the wall clock at the stats write. */
static void fld_watermark(struct fld_ctx *c, const struct jscan_member *m)
{
	const int64_t unset = (int64_t)1 << 60;

	if (m->v.type != JSCAN_INT || m->v.i <= -unset || m->v.i >= unset)
		return;
	prom_ms(prom_family(c->p, "window_watermark_timestamp_seconds",
	                    PROM_GAUGE, "The event-time watermark (Unix time)."),
	        &c->ls, m->v.i);
	if (c->time_ms > 0)
		prom_ms(prom_family(c->p, "window_watermark_delay_seconds",
		                    PROM_GAUGE, "The watermark's delay behind the "
		                    "wall clock when the stats were written."),
		        &c->ls, c->time_ms - m->v.i);
}

/* One element of kcat-src's partitions: topic, partition, owned, next,
 * lag (-1 when unknown). */
struct fld_part {
	char topic[256], partition[24];
	struct jscan_val owned, next, lag;
};

static void fld_part_member(struct fld_ctx *c, const struct jscan_member *m,
                            void *arg)
{
	struct fld_part *pt = arg;

	if (m->nlen == 5 && memcmp(m->name, "topic", 5) == 0 &&
	    m->v.type == JSCAN_STR)
		snprintf(pt->topic, sizeof pt->topic, "%.*s", (int)m->v.n, m->v.p);
	else if (m->nlen == 9 && memcmp(m->name, "partition", 9) == 0 &&
	         m->v.type == JSCAN_INT)
		snprintf(pt->partition, sizeof pt->partition, "%lld",
		         (long long)m->v.i);
	else if (m->nlen == 5 && memcmp(m->name, "owned", 5) == 0)
		pt->owned = m->v;
	else if (m->nlen == 4 && memcmp(m->name, "next", 4) == 0)
		pt->next = m->v;
	else if (m->nlen == 3 && memcmp(m->name, "lag", 3) == 0)
		pt->lag = m->v;
}

static void fld_partitions(struct fld_ctx *c, const struct jscan_member *m)
{
	struct jscan_val el;
	size_t pos = 0;
	char *scratch;

	if (m->v.type != JSCAN_ARR)
		return;
	scratch = nw_xmalloc(m->v.n + 1);
	while (jscan_arr_next(&m->v, &pos, &el, scratch)) {
		struct fld_part pt = { .topic = "" };
		if (el.type != JSCAN_OBJ)
			continue;
		fld_each(el.p, el.n, fld_part_member, c, &pt);
		if (pt.partition[0] == '\0')
			continue;
		struct prom_lset ls = prom_with(prom_with(c->ls, "topic", pt.topic),
		                                "partition", pt.partition);
		if (pt.lag.type == JSCAN_INT && pt.lag.i >= 0)
			prom_i64(prom_family(c->p, "kcat_src_partition_lag_messages",
			         PROM_GAUGE, "Messages behind the partition's high "
			         "watermark."), &ls, pt.lag.i);
		if (pt.next.type == JSCAN_INT && pt.next.i >= 0)
			prom_i64(prom_family(c->p, "kcat_src_partition_next_offset",
			         PROM_GAUGE, "The offset after the last message "
			         "written."), &ls, pt.next.i);
		if (pt.owned.type == JSCAN_TRUE || pt.owned.type == JSCAN_FALSE)
			prom_sample(prom_family(c->p, "kcat_src_partition_owned",
			            PROM_GAUGE, "1 while the partition is assigned to "
			            "this consumer."), &ls,
			            pt.owned.type == JSCAN_TRUE ? "1" : "0");
	}
	free(scratch);
}

/* detect: {"rule":{"fired":N,"missing_field":N,"div_by_zero":N},...}:
 * each number a counter labelled with the rule. */
static void fld_rule_counter(struct fld_ctx *c, const struct jscan_member *m,
                             void *arg)
{
	const struct prom_lset *ls = arg;
	char what[128], help[160];

	static const struct { const char *name, *help; } helps[] = {
		{ "fired", "Alerts the rule fired." },
		{ "missing_field", "Records the rule skipped: a field it reads "
		  "was missing." },
		{ "div_by_zero", "Records where the rule's expression divided by "
		  "zero." },
	};

	if (m->v.type != JSCAN_INT)
		return;
	snprintf(what, sizeof what, "rule_%.*s", (int)m->nlen, m->name);
	snprintf(help, sizeof help, "Per rule: %.*s.", (int)m->nlen, m->name);
	for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++)
		if (strlen(helps[i].name) == m->nlen &&
		    memcmp(helps[i].name, m->name, m->nlen) == 0)
			snprintf(help, sizeof help, "%s", helps[i].help);
	prom_i64(fld_family(c, what, "_total", PROM_COUNTER, help), ls, m->v.i);
}

static void fld_rule(struct fld_ctx *c, const struct jscan_member *m,
                     void *arg)
{
	char *rule;

	if (m->v.type != JSCAN_OBJ)
		return;
	rule = nw_xstrndup(m->name, m->nlen);
	struct prom_lset ls = prom_with(c->ls, "rule", rule);
	fld_each(m->v.p, m->v.n, fld_rule_counter, c, &ls);
	free(rule);
}

static void fld_rules(struct fld_ctx *c, const struct jscan_member *m)
{
	if (m->v.type == JSCAN_OBJ)
		fld_each(m->v.p, m->v.n, fld_rule, c, NULL);
}

/* throttle: "open" or "closed", what it does while Redis is away. */
static void fld_mode(struct fld_ctx *c, const struct jscan_member *m)
{
	char mode[32];

	if (m->v.type != JSCAN_STR)
		return;
	snprintf(mode, sizeof mode, "%.*s", (int)m->v.n, m->v.p);
	struct prom_lset ls = prom_with(c->ls, "mode", mode);
	prom_sample(prom_family(c->p, "throttle_on_redis_down_info", PROM_GAUGE,
	            "What throttle does while Redis is away (--on-redis-down)."),
	            &ls, "1");
}
