/* test_gen.c - gen's internals: the formatter against the upstream sample,
 * UUIDs, addresses, the PRNG's ranges, the scenario parser, malformed lines. */
#include "gen.h"
#include "nw.h"
#include "t.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first line of tests/data/upstream-events.ndjson. */
static const char sample1[] =
	"{\"timestamp\":1763711997,\"event_id\":\"6513270e-269e-4d37-b2a7-4de452e6b438\","
	"\"src_ip\":\"10.0.0.5\",\"dst_ip\":\"8.8.8.8\",\"src_port\":36143,\"dst_port\":443,"
	"\"protocol\":\"TCP\",\"bytes_sent\":971,\"bytes_received\":6491,\"latency_ms\":47,"
	"\"packets_sent\":8,\"flags\":[\"ACK\"],\"app_layer\":{\"protocol\":\"HTTP/1.1\","
	"\"method\":\"GET\",\"host\":\"api.internal.prod\",\"status_code\":200},"
	"\"tags\":{\"env\":\"Production\",\"region\":\"us-east-1\",\"security_group\":\"sg-090122\"}}";

TEST(format_matches_upstream_sample)
{
	struct gen_event e = {
		.ts = 1763711997, .id = { 0x6513270e269e4d37ULL, 0xb2a74de452e6b438ULL },
		.src = 0x0a000005, .dst = 0x08080808, .src_port = 36143, .dst_port = 443,
		.proto = GEN_TCP, .bytes_sent = 971, .bytes_received = 6491,
		.latency_ms = 47, .packets_sent = 8, .flags = GEN_F_ACK, .method = 0,
		.host = 0, .status = 200, .sg = 90122,
	};
	char buf[GEN_LINE_MAX];
	size_t n = gen_event_format(buf, &e);
	buf[n] = '\0';
	CHECK_STR(buf, sample1);
}

TEST(uuid_version_and_variant)
{
	struct gen_event e = { 0 };
	char buf[GEN_LINE_MAX];
	e.id[0] = UINT64_MAX;            /* all ones: version/variant must be forced */
	e.id[1] = 0;
	size_t n = gen_event_format(buf, &e);
	buf[n] = '\0';
	CHECK(strstr(buf, "\"ffffffff-ffff-4fff-8000-000000000000\"") != NULL);
}

TEST(longest_event_fits)
{
	struct gen_event e = {
		.ts = INT64_MIN, .id = { UINT64_MAX, UINT64_MAX }, .src = UINT32_MAX,
		.dst = UINT32_MAX, .src_port = UINT32_MAX, .dst_port = UINT32_MAX,
		.bytes_sent = INT64_MAX, .bytes_received = INT64_MAX,
		.latency_ms = UINT32_MAX, .packets_sent = UINT32_MAX,
		.flags = GEN_F_SYN_ACK, .method = 1, .host = 0, .status = UINT32_MAX,
		.sg = 999999,
	};
	char buf[GEN_LINE_MAX];
	size_t n = gen_event_format(buf, &e);
	CHECK(n < GEN_LINE_MAX);
	json_t *o = json_loadb(buf, n, 0, NULL);
	CHECK(o != NULL);
	json_decref(o);
}

TEST(ip_parse_and_format)
{
	uint32_t ip = 0;
	char buf[16];
	CHECK_INT(gen_ip_parse("10.66.0.2", &ip), 0);
	CHECK_INT(ip, 0x0a420002);
	gen_ip_format(buf, ip);
	CHECK_STR(buf, "10.66.0.2");
	CHECK_INT(gen_ip_parse("256.1.1.1", &ip), -1);
	CHECK_INT(gen_ip_parse("1.2.3", &ip), -1);
	CHECK_INT(gen_ip_parse("1.2.3.4x", &ip), -1);
	CHECK_INT(gen_ip_parse(" 1.2.3.4", &ip), -1);
	CHECK_INT(gen_ip_parse("+1.2.3.4", &ip), -1);
}

TEST(sources_distinct)
{
	/* The pool first, then derived addresses that never repeat. */
	CHECK_INT(gen_source(0), gen_src_pool[0]);
	CHECK_INT(gen_source(19), gen_src_pool[19]);
	CHECK(gen_source(20) != gen_source(21));
	CHECK_INT(gen_source(GEN_MAX_SOURCES - 1) >> 24, 10);
	CHECK_INT((gen_source(GEN_MAX_SOURCES - 1) >> 16) & 255, 255);
}

TEST(rng_ranges_and_probabilities)
{
	struct gen_rng r = { 42 };
	uint64_t lo_seen = 0, hi_seen = 0, hits = 0;
	for (int i = 0; i < 100000; i++) {
		uint64_t v = gen_rng_range(&r, 5, 120);
		CHECK(v >= 5 && v <= 120);
		lo_seen += v == 5;
		hi_seen += v == 120;
		hits += gen_rng_hit(&r, gen_prob_thresh(0.25));
	}
	CHECK(lo_seen > 0 && hi_seen > 0);
	CHECK(hits > 24000 && hits < 26000);
	CHECK_INT(gen_prob_thresh(0), 0);
	CHECK(!gen_rng_hit(&r, gen_prob_thresh(0)));
	CHECK(gen_rng_hit(&r, gen_prob_thresh(1)));
}

TEST(normal_profile)
{
	struct gen_rng r = { 7 };
	struct gen_event e;
	for (int i = 0; i < 20000; i++) {
		gen_event_normal(&e, &r, GEN_POOL_SIZE);
		CHECK(e.bytes_sent >= 200 && e.bytes_sent <= 1200);
		CHECK(e.bytes_received >= 500 && e.bytes_received <= 10000);
		CHECK(e.packets_sent >= 1 && e.packets_sent <= 40);
		CHECK(e.latency_ms >= 5 && e.latency_ms <= 120);
		CHECK(e.flags <= GEN_F_ACK_PSH);
		CHECK(e.status < 500);
		if (t_failed_now)
			break;
	}
}

static int parse(const char *text, struct gen_scenario *sc, char *err)
{
	return gen_scenario_parse(text, strlen(text), sc, err, 200);
}

TEST(scenario_builtin_demo_has_every_kind)
{
	struct gen_scenario sc;
	char err[200];
	unsigned seen = 0;
	unsigned telemetry = 0;
	CHECK_INT(gen_scenario_load("demo", &sc, err, sizeof err), 0);
	for (size_t i = 0; i < sc.nep; i++)
		seen |= 1u << sc.ep[i].kind;
	for (int k = 1; k < GEN_K_COUNT; k++)
		if (!gen_kinds[k].log_only && !gen_kinds[k].benign)
			telemetry |= 1u << k;
	CHECK_INT(seen, telemetry);
	CHECK_INT(sc.bg_duration_ms, 530000);
	gen_scenario_free(&sc);
}

/* The logs scenario has every log kind, and each line of every kind is a
 * syslog line of the format asked for. */
TEST(scenario_logs_and_log_lines)
{
	struct gen_scenario sc;
	struct gen_rng r = { 5 };
	struct gen_event e;
	char err[200], line[GEN_LINE_MAX];
	unsigned seen = 0, logs = 0;

	CHECK_INT(gen_scenario_load("logs", &sc, err, sizeof err), 0);
	for (size_t i = 0; i < sc.nep; i++)
		seen |= 1u << sc.ep[i].kind;
	for (int k = 1; k < GEN_K_COUNT; k++)
		if (gen_kinds[k].log_only)
			logs |= 1u << k;
	CHECK_INT(seen, logs);
	for (size_t i = 0; i < sc.nep; i++)
		for (uint64_t k = 0; k < 3; k++) {
			gen_event_normal(&e, &r, GEN_POOL_SIZE);
			e.ts = 1780000000 + (int64_t)k;
			e.log = GEN_LOG_FW;
			e.user_name = NULL;
			gen_episode_event(&sc.ep[i], k, &r, &e);
			size_t n = gen_log_format(line, &e, GEN_FMT_RFC3164);
			CHECK(n > 20 && n < GEN_LINE_MAX && strncmp(line, "<", 1) == 0);
			CHECK(strstr(line, "May 28 20:26:4") != NULL);
			n = gen_log_format(line, &e, GEN_FMT_RFC5424);
			CHECK(strstr(line, ">1 2026-05-28T20:26:4") != NULL);
		}
	/* the account of a user-keyed kind is the scenario's */
	CHECK_STR(sc.ep[2].user, "carol");
	gen_scenario_free(&sc);
}

TEST(scenario_file_fields)
{
	struct gen_scenario sc;
	char err[200] = "";
	const char *text =
		"# comment\n\n"
		"{\"kind\":\"background\",\"rate\":50,\"duration\":\"2m\"}\n"
		"  {\"kind\":\"port_scan\",\"at\":10,\"src\":\"1.2.3.4\",\"port\":1000}\r\n"
		"{\"kind\":\"flood\",\"at\":\"1m\",\"duration\":\"30s\",\"rate\":3000,"
		"\"sources\":5000}";
	CHECK_INT(parse(text, &sc, err), 0);
	CHECK_STR(err, "");
	CHECK(sc.bg_rate == 50);
	CHECK_INT(sc.bg_duration_ms, 120000);
	CHECK_INT(sc.nep, 2);
	CHECK_INT(sc.ep[0].kind, GEN_K_PORT_SCAN);
	CHECK_INT(sc.ep[0].at_ms, 10000);
	CHECK_INT(sc.ep[0].duration_ms, 30000);
	CHECK_INT(sc.ep[0].src, 0x01020304);
	CHECK_INT(sc.ep[0].port, 1000);
	CHECK_INT(sc.ep[1].at_ms, 60000);
	CHECK_INT(sc.ep[1].sources, 5000);
	CHECK(sc.ep[1].rate == 3000);
	gen_scenario_free(&sc);
}

TEST(scenario_errors_name_the_line)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "{\"kind\":\"nope\",\"at\":1}", "line 1: unknown kind" },
		{ "\n{\"kind\":\"flood\"}", "line 2: missing field \"at\"" },
		{ "{\"kind\":\"flood\",\"at\":1,\"bogus\":1}", "line 1: unknown field" },
		{ "{\"kind\":\"flood\",\"at\":-1}", "line 1: bad value for \"at\"" },
		{ "{\"kind\":\"flood\",\"at\":1,\"rate\":0}", "line 1: bad value for \"rate\"" },
		{ "{\"kind\":\"flood\",\"at\":1,\"src\":\"1.2.3\"}", "line 1: bad value" },
		{ "{\"kind\":\"flood\",\"at\":1,\"port\":70000}", "line 1: bad value" },
		{ "{\"kind\":\"flood\",\"at\":1,\"duration\":0}", "line 1: bad value" },
		{ "{\"kind\":\"flood\",\"at\":1", "line 1: not JSON" },
		{ "[1]", "line 1: not a JSON object" },
		{ "{\"kind\":\"background\",\"rate\":0}", "no episodes" },
		{ "{\"kind\":\"flood\",\"at\":1,\"at\":2}", "line 1: not JSON" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct gen_scenario sc;
		char err[200] = "";
		CHECK_INT(parse(cases[i].text, &sc, err), -1);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0) {
			printf("  case %zu: got \"%s\", want \"%s...\"\n", i, err,
			       cases[i].want);
			t_failed_now = 1;
		}
		CHECK(sc.ep == NULL);
	}
}

/* The shapes of real networks: the background's own hosts, their rates
 * 1000x apart, the night's thinner traffic; a service's clients, a bulk
 * mover's volume; neither of them in the truth. */
TEST(real_network_shapes)
{
	struct gen_scenario sc;
	struct gen_rng r = { 11 };
	struct gen_event e;
	char err[200];
	uint64_t first = 0, last = 0;

	CHECK_INT(parse("{\"kind\":\"background\",\"sources\":100,\"skew\":1000,"
	                "\"cycle\":\"10m\",\"night\":0.1}\n"
	                "{\"kind\":\"service\",\"at\":0,\"sources\":50}\n"
	                "{\"kind\":\"bulk\",\"at\":\"1m\",\"bytes\":1000000}\n",
	                &sc, err), 0);
	CHECK_INT(sc.bg_sources, 100);
	CHECK_INT(sc.bg_cycle_ms, 600000);
	CHECK_INT(sc.ep[0].duration_ms, sc.bg_duration_ms);  /* serves throughout */
	for (int i = 0; i < 200000; i++) {
		uint64_t h = gen_source_skewed(&r, 100, 1000);
		CHECK(h < 100);
		first += h == 0;
		last += h == 99;
	}
	CHECK(last > 0 && first > 500 * last && first < 2000 * last);
	for (int i = 0; i < 1000; i++) {
		gen_event_normal(&e, &r, GEN_POOL_SIZE);
		gen_episode_event(&sc.ep[0], (uint64_t)i, &r, &e);
		bool client = false;
		for (uint64_t j = 0; j < 50; j++)
			client |= e.src == gen_source(j);
		CHECK(client && e.dst == sc.ep[0].dst);
		gen_episode_event(&sc.ep[1], (uint64_t)i, &r, &e);
		CHECK(e.bytes_sent >= 950000 && e.bytes_sent <= 1050000);
	}
	CHECK(gen_kinds[GEN_K_SERVICE].benign && gen_kinds[GEN_K_BULK].benign);
	gen_scenario_free(&sc);
	CHECK(parse("{\"kind\":\"background\",\"night\":2}\n", &sc, err) < 0);
	CHECK(parse("{\"kind\":\"background\",\"skew\":0.5}\n", &sc, err) < 0);
}

TEST(episode_shapes)
{
	struct gen_scenario sc;
	char err[200];
	struct gen_rng r = { 9 };
	struct gen_event e;
	CHECK_INT(gen_scenario_load("demo", &sc, err, sizeof err), 0);
	for (size_t i = 0; i < sc.nep; i++) {
		const struct gen_episode *ep = &sc.ep[i];
		unsigned rst = 0;
		for (uint64_t k = 0; k < 100; k++) {
			gen_event_normal(&e, &r, GEN_POOL_SIZE);
			gen_episode_event(ep, k, &r, &e);
			switch (ep->kind) {
			case GEN_K_EXFIL:
				CHECK(e.bytes_sent >= GEN_EXFIL_MIN && e.bytes_sent <= GEN_EXFIL_MAX);
				CHECK(e.dst_port == 53 && e.proto == GEN_UDP);
				break;
			case GEN_K_PORT_SCAN:
				CHECK_INT(e.dst_port, ep->port + k);
				CHECK_INT(e.flags, GEN_F_SYN);
				break;
			case GEN_K_FLOOD:
				CHECK_INT(e.dst, ep->dst);
				CHECK(e.src >= GEN_SPOOF_BASE && e.src < GEN_SPOOF_BASE + ep->sources);
				break;
			case GEN_K_PACKET_FLOOD:
				CHECK(e.packets_sent >= 1000 && e.packets_sent <= 1500);
				break;
			case GEN_K_RESET_STORM:
				rst += e.flags == GEN_F_RST_ACK && e.status == 503;
				break;
			case GEN_K_LATENCY_SPIKE:
				CHECK(e.latency_ms >= 2000 && e.latency_ms <= 7000);
				break;
			default:
				break;
			}
			if (ep->kind != GEN_K_FLOOD)
				CHECK_INT(e.src, ep->src);
		}
		if (ep->kind == GEN_K_RESET_STORM)
			CHECK_INT(rst, 90);
	}
	gen_scenario_free(&sc);
}

/* Capture what gen_bad_line writes, through a pipe into a file. */
static size_t bad_line(enum gen_bad kind, char *out, size_t cap, uint64_t seed)
{
	char path[] = "/tmp/test_gen.XXXXXX";
	int fd = mkstemp(path);
	struct gen_rng r = { seed };
	struct gen_event e;

	gen_event_normal(&e, &r, GEN_POOL_SIZE);
	e.ts = 1763712000;
	gen_out_init(fd);
	gen_bad_line(kind, &e, &r);
	gen_out_flush();
	gen_out_free();
	off_t n = lseek(fd, 0, SEEK_END);
	ssize_t got = pread(fd, out, cap, 0);
	close(fd);
	unlink(path);
	(void)got;
	return (size_t)n;
}

TEST(malformed_lines)
{
	static char buf[2 * 1024 * 1024];
	for (uint64_t seed = 1; seed <= 20; seed++) {
		size_t n = bad_line(GEN_BAD_TRUNCATED, buf, sizeof buf, seed);
		CHECK(n > 1 && buf[n - 1] == '\n');
		CHECK(json_loadb(buf, n - 1, 0, NULL) == NULL);

		/* wrong types / missing fields: still JSON, but not the schema */
		n = bad_line(GEN_BAD_TYPES, buf, sizeof buf, seed);
		json_t *o = json_loadb(buf, n - 1, 0, NULL);
		CHECK(o != NULL);
		CHECK(!json_is_integer(json_object_get(o, "timestamp")) ||
		      !json_is_integer(json_object_get(o, "bytes_sent")) ||
		      !json_is_string(json_object_get(o, "src_ip")) ||
		      !json_is_array(json_object_get(o, "flags")));
		json_decref(o);
		n = bad_line(GEN_BAD_MISSING, buf, sizeof buf, seed);
		o = json_loadb(buf, n - 1, 0, NULL);
		CHECK(o != NULL);
		CHECK_INT(json_object_size(o), 13);
		json_decref(o);

		n = bad_line(GEN_BAD_UTF8, buf, sizeof buf, seed);
		CHECK(!nw_utf8_valid(buf, n));
		n = bad_line(GEN_BAD_EMPTY, buf, sizeof buf, seed);
		CHECK_INT(n, 1);
	}
	size_t n = bad_line(GEN_BAD_LONG, buf, sizeof buf, 1);
	CHECK(n > 1024 * 1024 + 1 && n < sizeof buf);
	CHECK(memchr(buf, '\n', n - 1) == NULL);
	json_t *o = json_loadb(buf, n - 1, 0, NULL);
	CHECK(o != NULL);                  /* valid JSON, just too long */
	json_decref(o);
}

int main(void)
{
	nw_log_init("test_gen");
	RUN(format_matches_upstream_sample);
	RUN(uuid_version_and_variant);
	RUN(longest_event_fits);
	RUN(ip_parse_and_format);
	RUN(sources_distinct);
	RUN(rng_ranges_and_probabilities);
	RUN(normal_profile);
	RUN(scenario_builtin_demo_has_every_kind);
	RUN(scenario_file_fields);
	RUN(scenario_logs_and_log_lines);
	RUN(scenario_errors_name_the_line);
	RUN(episode_shapes);
	RUN(real_network_shapes);
	RUN(malformed_lines);
	return t_done();
}
