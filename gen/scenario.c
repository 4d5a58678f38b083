/* scenario.c - attack scenarios: the episode kinds (a table: defaults and
 * what each injects), the NDJSON scenario format, and the built-in ones.
 *
 * A scenario file has one JSON object per line; blank lines and lines
 * starting with '#' are skipped.  {"kind":"background",...} sets the
 * background traffic; every other line is one episode.  See README "### gen".
 */
#include "gen.h"
#include "nw.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

/* Defaults give at least the intensities docs/contracts.md promises; the
 * 70 s lengths leave one whole 60 s window (slide 10 s) inside an episode
 * whatever its alignment. */
const struct gen_kind_desc gen_kinds[GEN_K_COUNT] = {
	[GEN_K_BACKGROUND]    = { "background", NULL, 200, 0, 0, 0, false, false },
	[GEN_K_EXFIL]         = { "data_exfiltration", "src_ip", 0.5, 70000,
	                          IP4(8, 8, 8, 8), 53, false, false },
	[GEN_K_PORT_SCAN]     = { "port_scan", "src_ip", 10, 30000,
	                          IP4(10, 99, 0, 2), 1, false, false },
	[GEN_K_FLOOD]         = { "flood", "dst_ip", 2500, 70000,
	                          IP4(10, 99, 0, 1), 80, false, false },
	[GEN_K_PACKET_FLOOD]  = { "packet_flood", "src_ip", 250, 70000,
	                          IP4(10, 99, 0, 3), 443, false, false },
	[GEN_K_RESET_STORM]   = { "reset_storm", "src_ip", 30, 70000,
	                          IP4(10, 99, 0, 4), 443, false, false },
	[GEN_K_LATENCY_SPIKE] = { "latency_spike", "src_ip", 30, 70000,
	                          IP4(10, 99, 0, 5), 443, false, false },
	/* The log kinds (detect/auth.json's rules; docs/detect.md): slow, as
	 * attacks on logins are, and long enough to cross their thresholds
	 * inside one 10-minute window. */
	[GEN_K_SSH_BRUTE]     = { "ssh_brute_force", "src_ip", 0.2, 300000,
	                          IP4(10, 99, 0, 22), 22, true, false },
	[GEN_K_CRED_STUFF]    = { "credential_stuffing", "src_ip", 0.05, 360000,
	                          IP4(10, 99, 0, 22), 22, true, false },
	[GEN_K_PW_SPRAY]      = { "password_spray", "user", 0.1, 300000,
	                          IP4(10, 99, 0, 22), 22, true, false },
	[GEN_K_FW_SCAN]       = { "firewall_scan", "src_ip", 0.2, 240000,
	                          IP4(10, 99, 0, 30), 1, true, false },
	[GEN_K_TRAVEL]        = { "impossible_travel", "user", 1.0 / 600, 1200000,
	                          IP4(203, 0, 113, 80), 22, true, false },
	/* Benign shapes that fixed thresholds mistake for attacks: a service
	 * every host uses (for as long as the background runs, unless told),
	 * and a bulk mover, 80 MB a minute as a nightly backup moves. */
	[GEN_K_SERVICE]       = { "service", "dst_ip", 300, 0,
	                          IP4(10, 0, 5, 53), 53, false, true },
	[GEN_K_BULK]          = { "bulk", "src_ip", 1, 180000,
	                          IP4(10, 0, 9, 200), 873, false, true },
};

#define FLOOD_SOURCES_DEFAULT 4096
#define SERVICE_CLIENTS_DEFAULT 3000
#define BULK_BYTES_DEFAULT 1333333        /* a minute at 1/s: 80 MB */
#define MAX_SKEW 1e6
#define FLOOD_SOURCES_MAX (1u << 22)      /* 100.64.0.0/10 */
#define MAX_SPAN_MS (30LL * 86400 * 1000)
#define MAX_RATE 1e7

static const struct { const char *name, *text; } builtins[] = {
	{ "demo",
	  "# every kind once over a 200 events/s background (~9 min of event time)\n"
	  "{\"kind\":\"background\",\"rate\":200}\n"
	  "{\"kind\":\"data_exfiltration\",\"at\":\"20s\",\"src\":\"10.66.0.1\"}\n"
	  "{\"kind\":\"port_scan\",\"at\":\"110s\",\"src\":\"10.66.0.2\"}\n"
	  "{\"kind\":\"flood\",\"at\":\"160s\",\"dst\":\"10.99.0.1\"}\n"
	  "{\"kind\":\"packet_flood\",\"at\":\"250s\",\"src\":\"10.66.0.4\"}\n"
	  "{\"kind\":\"reset_storm\",\"at\":\"340s\",\"src\":\"10.66.0.5\"}\n"
	  "{\"kind\":\"latency_spike\",\"at\":\"430s\",\"src\":\"10.66.0.6\"}\n" },
	{ "exfil",
	  "# one exfiltration over a 200 events/s background (130 s)\n"
	  "{\"kind\":\"background\",\"rate\":200}\n"
	  "{\"kind\":\"data_exfiltration\",\"at\":\"30s\",\"src\":\"10.66.0.1\"}\n" },
	{ "flood",
	  "# one spoofed flood over a 200 events/s background (130 s)\n"
	  "{\"kind\":\"background\",\"rate\":200}\n"
	  "{\"kind\":\"flood\",\"at\":\"30s\",\"dst\":\"10.99.0.1\"}\n" },
	/* The shapes of real networks (issue 16); the measured detection
	 * quality on each is README's "Detection quality" table. */
	{ "shared",
	  "# 3,000 hosts that all use a DNS resolver and a proxy, and three\n"
	  "# attacks among them (~5 min)\n"
	  "{\"kind\":\"background\",\"rate\":300,\"sources\":3000}\n"
	  "{\"kind\":\"service\",\"at\":\"0s\",\"dst\":\"10.0.5.53\",\"port\":53,\"rate\":400}\n"
	  "{\"kind\":\"service\",\"at\":\"0s\",\"dst\":\"10.0.5.80\",\"port\":3128,\"rate\":300}\n"
	  "{\"kind\":\"flood\",\"at\":\"60s\",\"dst\":\"10.99.0.1\"}\n"
	  "{\"kind\":\"port_scan\",\"at\":\"150s\",\"src\":\"10.66.0.2\"}\n"
	  "{\"kind\":\"data_exfiltration\",\"at\":\"210s\",\"src\":\"10.66.0.1\"}\n" },
	{ "backup",
	  "# three nights (a day is 10 min): a backup server moving 80 MB a\n"
	  "# minute and a file server 45 MB, 3 min each night; one real\n"
	  "# exfiltration (~25 min)\n"
	  "{\"kind\":\"background\",\"rate\":200}\n"
	  "{\"kind\":\"bulk\",\"at\":\"1m\",\"src\":\"10.0.6.10\"}\n"
	  "{\"kind\":\"bulk\",\"at\":\"1m\",\"src\":\"10.0.6.11\",\"bytes\":750000}\n"
	  "{\"kind\":\"bulk\",\"at\":\"11m\",\"src\":\"10.0.6.10\"}\n"
	  "{\"kind\":\"bulk\",\"at\":\"11m\",\"src\":\"10.0.6.11\",\"bytes\":750000}\n"
	  "{\"kind\":\"data_exfiltration\",\"at\":\"15m\",\"src\":\"10.66.0.1\"}\n"
	  "{\"kind\":\"bulk\",\"at\":\"21m\",\"src\":\"10.0.6.10\"}\n"
	  "{\"kind\":\"bulk\",\"at\":\"21m\",\"src\":\"10.0.6.11\",\"bytes\":750000}\n" },
	{ "skew",
	  "# 200 hosts whose rates differ by 1000x (the busiest 17 events/s,\n"
	  "# the quietest one a minute), four attacks (~7 min)\n"
	  "{\"kind\":\"background\",\"rate\":500,\"sources\":200,\"skew\":1000}\n"
	  "{\"kind\":\"port_scan\",\"at\":\"60s\",\"src\":\"10.66.0.2\"}\n"
	  "{\"kind\":\"packet_flood\",\"at\":\"120s\",\"src\":\"10.66.0.4\"}\n"
	  "{\"kind\":\"reset_storm\",\"at\":\"210s\",\"src\":\"10.66.0.5\"}\n"
	  "{\"kind\":\"latency_spike\",\"at\":\"300s\",\"src\":\"10.66.0.6\"}\n" },
	{ "diurnal",
	  "# three days of 10 min: 400 events/s at noon, 20 at midnight, from\n"
	  "# 100 hosts; attacks by night and by day (30 min)\n"
	  "{\"kind\":\"background\",\"rate\":400,\"sources\":100,\"cycle\":\"10m\",\"night\":0.05,\"duration\":\"30m\"}\n"
	  "{\"kind\":\"data_exfiltration\",\"at\":\"570s\",\"src\":\"10.66.0.1\"}\n"
	  "{\"kind\":\"port_scan\",\"at\":\"15m\",\"src\":\"10.66.0.2\"}\n"
	  "{\"kind\":\"flood\",\"at\":\"1170s\",\"dst\":\"10.99.0.1\"}\n"
	  "{\"kind\":\"reset_storm\",\"at\":\"25m\",\"src\":\"10.66.0.5\"}\n" },
	{ "slowscan",
	  "# a port scan of 5 ports a minute for an hour (70 min)\n"
	  "{\"kind\":\"background\",\"rate\":200,\"duration\":\"70m\"}\n"
	  "{\"kind\":\"port_scan\",\"at\":\"5m\",\"duration\":\"60m\",\"rate\":0.083333,\"src\":\"10.66.0.2\",\"dst\":\"10.0.5.55\"}\n" },
	{ "lowslow",
	  "# a laptop of the pool (10 events/s of ~700 bytes) sends 40 MB a\n"
	  "# minute to an unknown host for 10 min, below the 50 MB threshold\n"
	  "# (30 min)\n"
	  "{\"kind\":\"background\",\"rate\":200,\"duration\":\"30m\"}\n"
	  "{\"kind\":\"data_exfiltration\",\"at\":\"15m\",\"duration\":\"10m\",\"rate\":1,\"bytes\":666666,\"src\":\"10.0.0.7\",\"dst\":\"203.0.113.50\",\"port\":443}\n" },
	{ "logs",
	  "# the log path (--format rfc5424|rfc3164): every log kind over 5\n"
	  "# lines/s of logins, sudo, cron and firewall drops (~40 min)\n"
	  "{\"kind\":\"background\",\"rate\":5}\n"
	  "{\"kind\":\"ssh_brute_force\",\"at\":\"2m\",\"src\":\"203.0.113.10\"}\n"
	  "{\"kind\":\"credential_stuffing\",\"at\":\"9m\",\"src\":\"203.0.113.20\"}\n"
	  "{\"kind\":\"password_spray\",\"at\":\"17m\",\"src\":\"203.0.113.100\",\"user\":\"carol\"}\n"
	  "{\"kind\":\"firewall_scan\",\"at\":\"24m\",\"src\":\"198.51.100.77\"}\n"
	  "{\"kind\":\"impossible_travel\",\"at\":\"30m\",\"src\":\"198.51.100.10\",\"dst\":\"203.0.113.80\",\"user\":\"dave\"}\n" },
};

const char *gen_scenario_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return builtins[i].text;
	return NULL;
}

const char *gen_scenario_names(void)
{
	return "demo, exfil, flood, logs, shared, backup, skew, diurnal, "
	       "slowscan, lowslow";
}

void gen_scenario_free(struct gen_scenario *sc)
{
	free(sc->ep);
	memset(sc, 0, sizeof *sc);
}

static int fail(char *err, size_t errlen, unsigned lineno, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, unsigned lineno, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "line %u: ", lineno);
	if (n < 0 || (size_t)n >= errlen)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* A span: "70s", "2m", "250ms", or a number of seconds. */
static int get_span(json_t *v, int64_t *out)
{
	if (json_is_string(v))
		return nw_parse_duration_ms(json_string_value(v), out) == 0 &&
		       *out <= MAX_SPAN_MS ? 0 : -1;
	if (json_is_number(v)) {
		double d = json_number_value(v);
		if (!(d >= 0 && d * 1000 <= (double)MAX_SPAN_MS))
			return -1;
		*out = (int64_t)(d * 1000 + 0.5);
		return 0;
	}
	return -1;
}

/* Events per second, 0..MAX_RATE. */
static int get_rate(json_t *v, double *out)
{
	if (!json_is_number(v) || !(json_number_value(v) >= 0) ||
	    json_number_value(v) > MAX_RATE)
		return -1;
	*out = json_number_value(v);
	return 0;
}

static int get_ip(json_t *v, uint32_t *out)
{
	return json_is_string(v) ? gen_ip_parse(json_string_value(v), out) : -1;
}

static int get_uint(json_t *v, uint64_t lo, uint64_t hi, uint32_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)lo ||
	    json_integer_value(v) > (json_int_t)hi)
		return -1;
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

/* An account name: 1..32 of [A-Za-z0-9._-], as sshd logs it. */
static int get_user(json_t *v, char *out, size_t sz)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	size_t n = strlen(s);
	if (n == 0 || n >= sz || strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
		return -1;
	memcpy(out, s, n + 1);
	return 0;
}

/* A number lo..hi. */
static int get_num(json_t *v, double lo, double hi, double *out)
{
	if (!json_is_number(v) || !(json_number_value(v) >= lo) ||
	    json_number_value(v) > hi)
		return -1;
	*out = json_number_value(v);
	return 0;
}

/* The background's shape: its hosts, how their rates differ, its day and
 * night.  0: parsed, -1: a bad value, 1: not one of these fields. */
static int parse_bg_shape(const char *key, json_t *v, struct gen_scenario *sc)
{
	uint32_t n;

	if (strcmp(key, "sources") == 0) {
		if (get_uint(v, 1, GEN_MAX_SOURCES, &n) < 0)
			return -1;
		sc->bg_sources = n;
		return 0;
	}
	if (strcmp(key, "skew") == 0)
		return get_num(v, 1, MAX_SKEW, &sc->bg_skew);
	if (strcmp(key, "cycle") == 0)
		return get_span(v, &sc->bg_cycle_ms) < 0 || sc->bg_cycle_ms == 0
		       ? -1 : 0;
	if (strcmp(key, "night") == 0)
		return get_num(v, 0, 1, &sc->bg_night);
	return 1;
}

/* One object: the background or an episode (appended to sc). */
static int parse_obj(json_t *o, struct gen_scenario *sc, unsigned lineno,
                     char *err, size_t errlen)
{
	json_t *kv = json_object_get(o, "kind");
	const char *key;
	json_t *v;
	int k, shape;

	if (!json_is_string(kv))
		return fail(err, errlen, lineno, "missing string field \"kind\"");
	for (k = 0; k < GEN_K_COUNT; k++)
		if (strcmp(gen_kinds[k].name, json_string_value(kv)) == 0)
			break;
	if (k == GEN_K_COUNT)
		return fail(err, errlen, lineno, "unknown kind \"%.40s\"",
		            json_string_value(kv));

	if (k == GEN_K_BACKGROUND) {
		json_object_foreach(o, key, v) {
			if (strcmp(key, "kind") == 0)
				continue;
			if (strcmp(key, "rate") == 0) {
				if (get_rate(v, &sc->bg_rate) < 0)
					return fail(err, errlen, lineno,
					            "\"rate\" must be a number 0..%g", MAX_RATE);
			} else if (strcmp(key, "duration") == 0) {
				if (get_span(v, &sc->bg_duration_ms) < 0)
					return fail(err, errlen, lineno, "bad \"duration\"");
			} else if ((shape = parse_bg_shape(key, v, sc)) < 0) {
				return fail(err, errlen, lineno, "bad value for \"%s\"", key);
			} else if (shape > 0) {
				return fail(err, errlen, lineno,
				            "unknown field \"%.40s\" for background", key);
			}
		}
		return 0;
	}

	if (sc->nep >= GEN_MAX_EPISODES)
		return fail(err, errlen, lineno, "more than %d episodes",
		            GEN_MAX_EPISODES);
	struct gen_episode *ep = &sc->ep[sc->nep];
	const struct gen_kind_desc *d = &gen_kinds[k];
	*ep = (struct gen_episode){
		.kind = (enum gen_kind)k, .at_ms = -1,
		.duration_ms = d->duration_ms, .rate = d->rate,
		.src = IP4(10, 66, 0, 0) + (uint32_t)(sc->nep % 250) + 1,
		.dst = d->dst, .port = d->port,
		.sources = k == GEN_K_SERVICE ? SERVICE_CLIENTS_DEFAULT
		                              : FLOOD_SOURCES_DEFAULT,
		.bytes = k == GEN_K_BULK ? BULK_BYTES_DEFAULT : 0,
	};
	json_object_foreach(o, key, v) {
		int bad = 0;
		if (strcmp(key, "kind") == 0)
			continue;
		else if (strcmp(key, "at") == 0)
			bad = get_span(v, &ep->at_ms);
		else if (strcmp(key, "duration") == 0)
			bad = get_span(v, &ep->duration_ms) || ep->duration_ms == 0;
		else if (strcmp(key, "rate") == 0)
			bad = get_rate(v, &ep->rate) || ep->rate == 0;
		else if (strcmp(key, "src") == 0)
			bad = get_ip(v, &ep->src);
		else if (strcmp(key, "dst") == 0)
			bad = get_ip(v, &ep->dst);
		else if (strcmp(key, "port") == 0)
			bad = get_uint(v, 0, 65535, &ep->port);
		else if (strcmp(key, "sources") == 0)
			bad = get_uint(v, 1, FLOOD_SOURCES_MAX, &ep->sources);
		else if (strcmp(key, "user") == 0)
			bad = get_user(v, ep->user, sizeof ep->user);
		else if (strcmp(key, "bytes") == 0)
			bad = !json_is_integer(v) || json_integer_value(v) < 1 ||
			      (ep->bytes = (uint64_t)json_integer_value(v), 0);
		else
			return fail(err, errlen, lineno, "unknown field \"%.40s\"", key);
		if (bad)
			return fail(err, errlen, lineno, "bad value for \"%s\"", key);
	}
	if (ep->at_ms < 0)
		return fail(err, errlen, lineno, "missing field \"at\"");
	if (ep->user[0] == '\0')          /* the account of a user-keyed kind */
		snprintf(ep->user, sizeof ep->user, "svc%zu", sc->nep + 1);
	sc->nep++;
	return 0;
}

int gen_scenario_parse(const char *text, size_t n, struct gen_scenario *sc,
                       char *err, size_t errlen)
{
	unsigned lineno = 0;
	size_t i = 0;

	memset(sc, 0, sizeof *sc);
	sc->bg_rate = gen_kinds[GEN_K_BACKGROUND].rate;
	sc->ep = nw_xcalloc(GEN_MAX_EPISODES, sizeof *sc->ep);
	while (i < n) {
		const char *line = text + i;
		const char *nl = memchr(line, '\n', n - i);
		size_t len = nl ? (size_t)(nl - line) : n - i;
		i += len + (nl != NULL);
		lineno++;
		while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
		                   line[len - 1] == '\t'))
			len--;
		size_t s = 0;
		while (s < len && (line[s] == ' ' || line[s] == '\t'))
			s++;
		if (s == len || line[s] == '#')
			continue;
		json_error_t jerr;
		json_t *o = json_loadb(line + s, len - s, JSON_REJECT_DUPLICATES, &jerr);
		int rc;
		if (o == NULL)
			rc = fail(err, errlen, lineno, "not JSON: %s", jerr.text);
		else if (!json_is_object(o))
			rc = fail(err, errlen, lineno, "not a JSON object");
		else
			rc = parse_obj(o, sc, lineno, err, errlen);
		json_decref(o);
		if (rc < 0) {
			gen_scenario_free(sc);
			return -1;
		}
	}
	if (sc->nep == 0 && sc->bg_rate == 0) {
		snprintf(err, errlen, "no episodes and no background traffic");
		gen_scenario_free(sc);
		return -1;
	}
	if (sc->bg_duration_ms == 0) {
		/* Until the last episode ends, plus 30 s so its windows close. */
		for (size_t e = 0; e < sc->nep; e++) {
			int64_t end = sc->ep[e].at_ms + sc->ep[e].duration_ms;
			if (end > sc->bg_duration_ms)
				sc->bg_duration_ms = end;
		}
		sc->bg_duration_ms += 30000;
	}
	/* A service without a duration serves as long as the background. */
	for (size_t e = 0; e < sc->nep; e++)
		if (sc->ep[e].duration_ms == 0)
			sc->ep[e].duration_ms = sc->ep[e].at_ms < sc->bg_duration_ms
			                        ? sc->bg_duration_ms - sc->ep[e].at_ms : 1;
	return 0;
}

int gen_scenario_load(const char *name, struct gen_scenario *sc, char *err,
                      size_t errlen)
{
	const char *text = gen_scenario_builtin(name);
	if (text)
		return gen_scenario_parse(text, strlen(text), sc, err, errlen);

	FILE *fp = fopen(name, "r");
	if (fp == NULL) {
		snprintf(err, errlen, "no built-in scenario \"%s\" (built-in: %s) "
		         "and cannot open it as a file: %s", name,
		         gen_scenario_names(), strerror(errno));
		return -1;
	}
	struct nw_buf b = { 0 };
	char chunk[8192];
	size_t got;
	int rc = 0;
	while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0) {
		if (b.len + got > 4 * 1024 * 1024) {
			snprintf(err, errlen, "%s: scenario file over 4 MiB", name);
			rc = -1;
			break;
		}
		nw_buf_add(&b, chunk, got);
	}
	if (rc == 0 && ferror(fp)) {
		snprintf(err, errlen, "%s: read error: %s", name, strerror(errno));
		rc = -1;
	}
	fclose(fp);
	if (rc == 0) {
		char sub[200];
		rc = gen_scenario_parse(b.p ? b.p : "", b.len, sc, sub, sizeof sub);
		if (rc < 0)
			snprintf(err, errlen, "%s: %s", name, sub);
	}
	nw_buf_free(&b);
	return rc;
}

/* What each kind injects, on top of a normal event (see the kinds table). */
void gen_episode_event(const struct gen_episode *ep, uint64_t k,
                       struct gen_rng *r, struct gen_event *e)
{
	e->src = ep->src;
	e->dst = ep->dst;
	switch (ep->kind) {
	case GEN_K_BACKGROUND:
	case GEN_K_COUNT:
		break;
	case GEN_K_EXFIL:
		e->bytes_sent = gen_rng_range(r, GEN_EXFIL_MIN, GEN_EXFIL_MAX);
		e->dst_port = ep->port;
		e->proto = GEN_UDP;
		break;
	case GEN_K_PORT_SCAN:
		/* Sequential ports, SYN only, tiny probes. */
		e->dst_port = (uint32_t)((ep->port + k) % 65536);
		e->proto = GEN_TCP;
		e->flags = GEN_F_SYN;
		e->bytes_sent = gen_rng_range(r, 40, 80);
		e->bytes_received = gen_rng_range(r, 0, 60);
		e->packets_sent = 1;
		break;
	case GEN_K_FLOOD:
		/* Spoofed sources from 100.64.0.0/10, SYNs to one target. */
		e->src = GEN_SPOOF_BASE + (uint32_t)gen_rng_range(r, 0, ep->sources - 1);
		e->dst_port = ep->port;
		e->proto = GEN_TCP;
		e->flags = GEN_F_SYN;
		e->bytes_sent = gen_rng_range(r, 40, 120);
		e->packets_sent = (uint32_t)gen_rng_range(r, 1, 3);
		break;
	case GEN_K_PACKET_FLOOD:
		e->dst_port = ep->port;
		e->proto = GEN_TCP;
		e->packets_sent = (uint32_t)gen_rng_range(r, 1000, 1500);
		break;
	case GEN_K_RESET_STORM:
		/* Nine in ten are resets with a 503, deterministically. */
		e->dst_port = ep->port;
		e->proto = GEN_TCP;
		if (k % 10 != 9) {
			e->flags = GEN_F_RST_ACK;
			e->status = 503;
		}
		break;
	case GEN_K_LATENCY_SPIKE:
		e->dst_port = ep->port;
		e->proto = GEN_TCP;
		e->latency_ms = (uint32_t)gen_rng_range(r, 2000, 7000);
		break;
	case GEN_K_SSH_BRUTE: {
		/* a few accounts, over and over */
		static const char *const names[] = { "root", "invalid user admin",
		                                     "oracle" };
		e->log = GEN_LOG_SSH_FAIL;
		e->user_name = names[k % 3];
		break;
	}
	case GEN_K_CRED_STUFF:
		/* a list of accounts, one try each */
		e->log = GEN_LOG_SSH_FAIL;
		e->user = (uint32_t)((k * 7 + 3) % GEN_USERS);
		break;
	case GEN_K_PW_SPRAY:
		/* one account from eight sources */
		e->log = GEN_LOG_SSH_FAIL;
		e->user_name = ep->user;
		e->src = ep->src + (uint32_t)(k % 8);
		break;
	case GEN_K_FW_SCAN:
		/* a slow sweep, one port after the other */
		e->log = GEN_LOG_FW;
		e->dst_port = (uint32_t)((ep->port + k) % 65536);
		e->proto = GEN_TCP;
		e->flags = GEN_F_SYN;
		e->bytes_sent = 60;
		break;
	case GEN_K_TRAVEL:
		/* one account, logged in from two places (src, then dst) */
		e->log = GEN_LOG_SSH_OK;
		e->user_name = ep->user;
		e->src = k % 2 ? ep->dst : ep->src;
		break;
	case GEN_K_SERVICE:
		/* any of the first `sources` hosts, an ordinary request */
		e->src = gen_source(gen_rng_range(r, 0, ep->sources - 1));
		e->dst_port = ep->port;
		e->proto = ep->port == 53 ? GEN_UDP : GEN_TCP;
		break;
	case GEN_K_BULK:
		e->dst_port = ep->port;
		e->proto = GEN_TCP;
		e->flags = GEN_F_ACK_PSH;
		break;
	}
	/* The episode's own volume, within 5% of what it asks. */
	if (ep->bytes)
		e->bytes_sent = gen_rng_range(r, ep->bytes - ep->bytes / 20,
		                              ep->bytes + ep->bytes / 20);
}
