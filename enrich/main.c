/*
 * enrich - events in, the same events out with facts about their
 * addresses: for each --field (src_ip and dst_ip by default) that holds an
 * IPv4 or IPv6 address, a "<field>_info" object with its scope (private,
 * loopback, link-local … are not looked up), country, city, latitude and
 * longitude (--geoip), ASN and organisation (--asn), the --list names it
 * is on, and its host, user, owner and team (--identity).  Every fact
 * comes from local files (data.c); the per-event work is event.c.
 * SIGHUP reloads every file and swaps the new data in only when all of it
 * loaded.  Lines that are not JSON objects are dead letters; control lines
 * pass in order.  With --lookup, each public address is also asked of an
 * HTTP service, asynchronously (async.c); the flags and the headers'
 * secrets (from the environment or a file, never argv) are read here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw.h"
#include "cli.h"
#include "stage.h"
#include "enr.h"
#include "lk.h"

struct enr_opts {
	const char *fields[ENR_MAX_FIELDS];
	int nfield;
	struct enr_src src;
	const char *dlq_path, *stats_path;
	uint64_t max_line;
	bool check;
	/* --lookup */
	struct enr_async_cfg async;
	const char *failed_path;
	const char **hdr_arg;          /* --lookup-header as given */
	char **hdr;                    /* resolved, NULL-ended */
	int nhdr;
};

static struct {
	struct enr_opts o;
	struct enr_data data;
	struct enr_event ev;
	struct nw_dlq dlq;
	struct nw_buf out;
	struct enr_counts n;
	struct enr_async async;
} E;

enum { O_FIELD = 256, O_GEOIP, O_ASN, O_LIST, O_IDENTITY, O_DLQ, O_STATS,
       O_MAXLINE, O_CHECK, O_LOOKUP, O_HEADER, O_CONC, O_CACHE, O_TTL,
       O_TIMEOUT, O_UNORDERED, O_MAXPEND, O_FAILED };

static const struct nw_flag enr_flags[] = {
	{ "field", O_FIELD, "NAME", "a top-level member holding an IP address; may be\n"
	  "repeated  [src_ip and dst_ip]" },
	{ "geoip", O_GEOIP, "FILE", "a MaxMind-format city database (GeoLite2-City,\n"
	  "DB-IP lite city)" },
	{ "asn", O_ASN, "FILE", "a MaxMind-format ASN database (GeoLite2-ASN, DB-IP\n"
	  "lite ASN)" },
	{ "list", O_LIST, "NAME=FILE", "a threat-intel list: one IP or CIDR a line, '#' or\n"
	  "';' comments (plain, Spamhaus DROP, FireHOL); may be\nrepeated" },
	{ "identity", O_IDENTITY, "FILE", "ip_or_cidr,host,user,owner,team as CSV with a\n"
	  "header or as JSON lines" },
	{ "lookup", O_LOOKUP, "URL", "ask an HTTP service about each public address:\n"
	  "GET URL with {ip} replaced; the JSON answer goes in\n"
	  "<field>_info.lookup" },
	{ "lookup-header", O_HEADER, "H", "a request header 'Name: value'; 'Name: env:VAR'\n"
	  "or 'Name: @FILE' takes the value from the\n"
	  "environment or a file (keys never in argv); may be\n"
	  "repeated" },
	{ "concurrency", O_CONC, "N", "lookups in flight at most  [32]" },
	{ "cache", O_CACHE, "N", "answers kept, least recently used dropped first\n"
	  "[100000]" },
	{ "cache-ttl", O_TTL, "DUR", "how long an answer is used  [1h]" },
	{ "timeout", O_TIMEOUT, "DUR", "per lookup; then it fails  [5s]" },
	{ "max-pending", O_MAXPEND, "N", "events waiting for lookups at most; past that\n"
	  "reading pauses  [10000]" },
	{ "unordered", O_UNORDERED, NULL, "an event leaves when its lookups are done, not\n"
	  "in input order (control lines still in order)" },
	{ "failed", O_FAILED, "FILE", "a copy of each event with a failed lookup" },
	{ "check", O_CHECK, NULL, "load every file, print what was loaded, exit 0 (2\n"
	  "on error)" },
	{ "dead-letter", O_DLQ, "FILE", "rejected lines as {\"reason\":...,\"line\":...}" },
	{ "stats", O_STATS, "FILE", "counters as one JSON line, replaced every second" },
	{ "max-line", O_MAXLINE, "SIZE", "longest input line  [1M]" },
	{ NULL, 0, NULL, NULL },
};

static const struct nw_cli enr_cli = {
	.head =
"usage: enrich [--field NAME]... [--geoip FILE.mmdb] [--asn FILE.mmdb]\n"
"              [--list NAME=FILE]... [--identity FILE] [--lookup URL]\n"
"              [--lookup-header H]... [--concurrency N] [--cache N]\n"
"              [--cache-ttl DUR] [--timeout DUR] [--max-pending N]\n"
"              [--unordered] [--failed FILE] [--dead-letter FILE]\n"
"              [--stats FILE] [--max-line SIZE] [--check]\n"
"\n"
"Reads JSON events on stdin and writes each with a \"<field>_info\" object\n"
"for every address field: scope, country, city, lat, lon, asn, as_org,\n"
"lists, host, user, owner, team, and with --lookup the service's answer\n"
"(lookup) or \"enrich_errors\".  SIGHUP reloads every file.  Lines that\n"
"are not JSON objects are dead letters; control lines pass in order.\n"
"\n",
	.tail = "\nDUR: 250ms, 5s, 10m, 1h.\n",
	.flags = enr_flags,
};

/* --field: a top-level name (a dot would make "<field>_info" a path). */
static void enr_flag_field(struct enr_opts *o, const char *arg)
{
	if (arg[0] == '\0' || strchr(arg, '.') != NULL || strlen(arg) > 200)
		nw_usage_error("--field: want a top-level member name, not \"%s\"",
		               arg);
	if (o->nfield == ENR_MAX_FIELDS)
		nw_usage_error("--field: at most %d fields", ENR_MAX_FIELDS);
	o->fields[o->nfield++] = arg;
}

/* --list NAME=FILE: the name is argv's text up to '=' (cut there). */
static void enr_flag_list(struct enr_src *src, char *arg)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg || eq[1] == '\0')
		nw_usage_error("--list: want NAME=FILE, not \"%s\"", arg);
	*eq = '\0';
	src->list_name[src->nlist] = arg;
	src->list_path[src->nlist++] = eq + 1;
}

/* The --lookup flags. */
static void enr_flag_lookup(struct enr_opts *o, int c, const char *arg)
{
	struct enr_async_cfg *a = &o->async;

	switch (c) {
	case O_LOOKUP:
		if (strstr(arg, "{ip}") == NULL)
			nw_usage_error("--lookup: want a URL with {ip} in it");
		a->lk.url = arg;
		break;
	case O_HEADER: o->hdr_arg[o->nhdr++] = arg; break;
	case O_CONC:
		a->lk.concurrency = (int)nw_flag_count("--concurrency", arg, 1, 10000);
		break;
	case O_CACHE:
		a->cache_max = nw_flag_count("--cache", arg, 1, 10000000);
		break;
	case O_TTL: a->cache_ttl_ms = nw_flag_duration_ms("--cache-ttl", arg, 1); break;
	case O_TIMEOUT: a->lk.timeout_ms = nw_flag_duration_ms("--timeout", arg, 1); break;
	case O_MAXPEND:
		a->max_pending = nw_flag_count("--max-pending", arg, 1, 100000000);
		break;
	case O_UNORDERED: a->unordered = true; break;
	case O_FAILED: o->failed_path = arg; break;
	}
}

/* A header's value: "env:VAR" from the environment, "@FILE" the file's
 * first line, anything else as given.  The result is the caller's. */
static char *enr_header_value(const char *name, const char *v)
{
	char err[512];
	size_t n;
	char *s;

	if (strncmp(v, "env:", 4) == 0) {
		const char *e = getenv(v + 4);
		if (e == NULL || *e == '\0')
			nw_usage_error("--lookup-header %s: %s is not set", name, v + 4);
		s = nw_xstrdup(e);
	} else if (v[0] == '@') {
		if ((s = nw_read_file(v + 1, 65536, &n, err, sizeof err)) == NULL)
			nw_usage_error("--lookup-header %s: %s", name, err);
		s[strcspn(s, "\r\n")] = '\0';
	} else {
		s = nw_xstrdup(v);
	}
	if (strpbrk(s, "\r\n") != NULL)
		nw_usage_error("--lookup-header %s: the value has a line break", name);
	return s;
}

/* --lookup-header "Name: value" -> "Name: resolved value" for curl. */
static void enr_resolve_headers(struct enr_opts *o)
{
	o->hdr = nw_xcalloc((size_t)o->nhdr + 1, sizeof *o->hdr);
	for (int i = 0; i < o->nhdr; i++) {
		const char *h = o->hdr_arg[i], *colon = strchr(h, ':');
		struct nw_buf b = { 0 };
		char *v;
		if (colon == NULL || colon == h)
			nw_usage_error("--lookup-header: want 'Name: value', not \"%s\"", h);
		nw_buf_add(&b, h, (size_t)(colon - h));
		v = enr_header_value(b.p, colon + 1 + strspn(colon + 1, " \t"));
		nw_buf_adds(&b, ": ");
		nw_buf_adds(&b, v);
		nw_buf_addc(&b, '\0');
		free(v);
		o->hdr[i] = b.p;
	}
	o->async.lk.headers = (const char *const *)o->hdr;
}

static void enr_parse_flags(int argc, char **argv, struct enr_opts *o)
{
	int c;

	*o = (struct enr_opts){ .max_line = NW_MAX_LINE_DEFAULT,
		.async = { .lk = { .concurrency = 32, .timeout_ms = 5000, .max_429 = 5 },
		           .cache_max = 100000, .cache_ttl_ms = 3600 * 1000,
		           .max_pending = 10000 } };
	o->hdr_arg = nw_xcalloc((size_t)argc + 1, sizeof (char *));
	o->src.list_name = nw_xcalloc((size_t)argc + 1, sizeof (char *));
	o->src.list_path = nw_xcalloc((size_t)argc + 1, sizeof (char *));
	while ((c = nw_getopt(argc, argv, &enr_cli)) != -1) {
		switch (c) {
		case O_FIELD: enr_flag_field(o, optarg); break;
		case O_GEOIP: o->src.geoip = optarg; break;
		case O_ASN: o->src.asn = optarg; break;
		case O_LIST: enr_flag_list(&o->src, optarg); break;
		case O_IDENTITY: o->src.identity = optarg; break;
		case O_DLQ: o->dlq_path = optarg; break;
		case O_STATS: o->stats_path = optarg; break;
		case O_MAXLINE:
			o->max_line = nw_flag_size("--max-line", optarg, 64,
			                           (uint64_t)1 << 32);
			break;
		case O_CHECK: o->check = true; break;
		default: enr_flag_lookup(o, c, optarg); break;
		}
	}
	nw_cli_no_args(argc, argv);
	if (o->async.lk.url == NULL && (o->nhdr > 0 || o->failed_path))
		nw_usage_error("--lookup-header and --failed need --lookup");
	enr_resolve_headers(o);
	if (o->nfield == 0) {
		o->fields[o->nfield++] = "src_ip";
		o->fields[o->nfield++] = "dst_ip";
	}
}

/* SIGHUP: load everything anew, then swap; keep the old data on error. */
static void enr_reload(void)
{
	struct enr_data d;
	char err[1024];

	if (enr_data_load(&E.o.src, &d, err, sizeof err) < 0) {
		E.n.reload_failures++;
		LOG_ERROR("reload failed, keeping the old data: %s", err);
		return;
	}
	enr_data_free(&E.data);
	E.data = d;
	E.n.reloads++;
	LOG_INFO("reloaded lists=%d identities=%d", d.nlist, d.ident.n);
}

static void enr_on_line(struct nw_stage *st, char *line, size_t n)
{
	const char *why;

	(void)st;
	nw_buf_reset(&E.out);
	why = enr_event(&E.ev, line, n, &E.out, &E.n);
	if (why != NULL) {
		nw_dlq_put(&E.dlq, why, line, n);
		return;
	}
	nw_out_line(E.out.p, E.out.len);
}

static void enr_on_tick(struct nw_stage *st)
{
	(void)st;
	if (nw_sig_hup) {
		nw_sig_hup = 0;
		enr_reload();
	}
}

/* --lookup: the --failed file and the lookuper (the URL is not logged:
 * some services take a key in it). */
static void enr_lookup_setup(void)
{
	E.async.ev = &E.ev;
	E.async.dlq = &E.dlq;
	E.async.n = &E.n;
	if (E.o.failed_path &&
	    (E.async.failed = nw_sink_open(E.o.failed_path)) == NULL)
		nw_usage_error("--failed %s: %s", E.o.failed_path, strerror(errno));
	if (enr_async_init(&E.async, &E.o.async) < 0) {
		LOG_ERROR("cannot start libcurl");
		exit(NW_EXIT_FAIL);
	}
	enr_async_stats(&E.async);
}

/* --check: what was loaded, one line a source. */
static void enr_check_report(void)
{
	const struct enr_src *s = &E.o.src;

	if (s->geoip)
		printf("geoip %s: %s\n", s->geoip, E.data.geo.metadata.database_type);
	if (s->asn)
		printf("asn %s: %s\n", s->asn, E.data.asn.metadata.database_type);
	for (int i = 0; i < E.data.nlist; i++)
		printf("list %s %s: %d networks\n", s->list_name[i], s->list_path[i],
		       E.data.list[i].nnets);
	if (s->identity)
		printf("identity %s: %d entries\n", s->identity, E.data.ident.n);
}

static void enr_stats_setup(void)
{
	nw_stats_init(E.o.stats_path, 1000);
	nw_stats_u64("events", &E.n.events);
	nw_stats_u64("fields_enriched", &E.n.fields);
	nw_stats_u64("geo_hits", &E.n.geo);
	nw_stats_u64("asn_hits", &E.n.asn);
	nw_stats_u64("list_hits", &E.n.list);
	nw_stats_u64("identity_hits", &E.n.identity);
	nw_stats_u64("not_public", &E.n.scoped);
	nw_stats_u64("not_ip", &E.n.not_ip);
	nw_stats_u64("reloads", &E.n.reloads);
	nw_stats_u64("reload_failures", &E.n.reload_failures);
}

static void enr_cleanup(void)
{
	enr_event_free(&E.ev);
	enr_data_free(&E.data);
	enr_scope_free();
	nw_buf_free(&E.out);
	free(E.o.src.list_name);
	free(E.o.src.list_path);
	for (int i = 0; i < E.o.nhdr; i++)
		free(E.o.hdr[i]);
	free(E.o.hdr);
	free(E.o.hdr_arg);
}

int main(int argc, char **argv)
{
	char err[1024];
	int rc;

	nw_log_init("enrich");
	enr_parse_flags(argc, argv, &E.o);
	if (enr_data_load(&E.o.src, &E.data, err, sizeof err) < 0)
		nw_usage_error("%s", err);
	if (E.o.check) {
		enr_check_report();
		enr_cleanup();
		return NW_EXIT_OK;
	}
	enr_event_init(&E.ev, E.o.fields, E.o.nfield);
	E.ev.d = &E.data;
	E.ev.src = &E.o.src;
	nw_sig_init();
	nw_out_init();
	if (nw_dlq_open(&E.dlq, E.o.dlq_path) < 0)
		nw_usage_error("--dead-letter %s: %s", E.o.dlq_path, strerror(errno));
	enr_stats_setup();
	if (E.o.async.lk.url)
		enr_lookup_setup();
	LOG_INFO("started fields=%d geoip=%s asn=%s lists=%d identities=%d "
	         "lookup=%s", E.o.nfield, E.o.src.geoip ? "yes" : "no",
	         E.o.src.asn ? "yes" : "no", E.data.nlist, E.data.ident.n,
	         E.o.async.lk.url ? "yes" : "no");

	struct nw_stage st = { .on_line = enr_on_line, .on_tick = enr_on_tick,
	                       .dlq = &E.dlq, .max_line = E.o.max_line };
	rc = E.o.async.lk.url ? enr_async_run(&E.async, &st) : nw_stage_run(&st);

	LOG_INFO("done lines=%llu events=%llu fields=%llu dead_letters=%llu",
	         (unsigned long long)nw_std.lines_in,
	         (unsigned long long)E.n.events, (unsigned long long)E.n.fields,
	         (unsigned long long)nw_std.dead_letters);
	if (E.o.async.lk.url)
		LOG_INFO("lookups=%llu answers=%llu failures=%llu cache_hits=%llu "
		         "events_failed=%llu left_waiting=%llu",
		         (unsigned long long)E.async.lkn.requests,
		         (unsigned long long)E.async.lkn.ok,
		         (unsigned long long)E.async.lkn.failures,
		         (unsigned long long)E.async.lkn.cache_hits,
		         (unsigned long long)E.async.failed_events,
		         (unsigned long long)E.async.pq.count);
	nw_stats_close();
	nw_dlq_close(&E.dlq);
	enr_async_free(&E.async);
	nw_sink_close(E.async.failed);
	enr_cleanup();
	return rc;
}
