/* test_normalize.c - syslog headers: RFC 5424's own examples (section 6.5),
 * every header field and its limits, structured data and its escapes,
 * RFC 3164 as forwarders write it (tags, PIDs, missing hosts, the year
 * guess across New Year), dead-letter reasons, and a property test:
 * normalize(format(x)) = x for generated RFC 5424 records. */
#include <jansson.h>
#include <stdlib.h>
#include <time.h>
#include "t.h"
#include "nz.h"

#define T2026 1780000000000LL   /* 2026-05-28, the clock of these tests */

/* normalize one line (format f, year 0 = guess, clock now) -> parsed JSON,
 * or NULL with *why set. */
static json_t *norm(enum nz_format f, const char *line, int64_t now,
                    const char **why)
{
	struct nz_opts o = { .format = f };
	struct nz_counts c = { 0 };
	struct nw_buf b = { 0 };
	json_t *j = NULL;

	*why = nz_line(&o, line, strlen(line), now, &b, &c);
	if (*why == NULL) {
		j = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, NULL);
		if (j == NULL)
			printf("  not JSON: %.*s\n", (int)b.len, b.p);
	}
	nw_buf_free(&b);
	return j;
}

static const char *s(json_t *j, const char *k)
{
	return json_string_value(json_object_get(j, k));
}
static long long i(json_t *j, const char *k)
{
	return json_integer_value(json_object_get(j, k));
}

TEST(rfc5424_examples)
{
	const char *why;
	json_t *j;

	/* 6.5 example 1: no STRUCTURED-DATA, a BOM before MSG */
	j = norm(NZ_AUTO, "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - "
	         "ID47 - \xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8", T2026, &why);
	CHECK(j != NULL);
	CHECK_INT(i(j, "timestamp"), 1065910455003LL);
	CHECK_STR(s(j, "host"), "mymachine.example.com");
	CHECK_STR(s(j, "app"), "su");
	CHECK(json_object_get(j, "procid") == NULL);          /* NILVALUE */
	CHECK_STR(s(j, "msgid"), "ID47");
	CHECK_STR(s(j, "facility"), "auth");
	CHECK_INT(i(j, "facility_num"), 4);
	CHECK_STR(s(j, "severity"), "crit");
	CHECK_INT(i(j, "severity_num"), 2);
	CHECK_STR(s(j, "message"), "'su root' failed for lonvick on /dev/pts/8");
	json_decref(j);

	/* example 2: microseconds and an offset */
	j = norm(NZ_AUTO, "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc "
	         "8710 - - %% It's time to make the do-nuts.", T2026, &why);
	CHECK_INT(i(j, "timestamp"), 1061727255000LL);
	CHECK_STR(s(j, "procid"), "8710");
	CHECK_STR(s(j, "facility"), "local4");
	CHECK_STR(s(j, "severity"), "notice");
	CHECK_STR(s(j, "message"), "%% It's time to make the do-nuts.");
	json_decref(j);

	/* examples 3 and 4: structured data, one and two elements, no MSG */
	j = norm(NZ_AUTO, "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com "
	         "evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource="
	         "\"Application\" eventID=\"1011\"][examplePriority@32473 "
	         "class=\"high\"]", T2026, &why);
	json_t *sd = json_object_get(j, "structured_data");
	CHECK_STR(s(json_object_get(sd, "exampleSDID@32473"), "eventSource"), "Application");
	CHECK_STR(s(json_object_get(sd, "exampleSDID@32473"), "eventID"), "1011");
	CHECK_STR(s(json_object_get(sd, "examplePriority@32473"), "class"), "high");
	CHECK_STR(s(j, "message"), "");
	json_decref(j);
}

TEST(rfc5424_fields_and_limits)
{
	static const struct { const char *line, *why; } bad[] = {
		{ "<192>1 - h a p m -", "invalid PRI" },
		{ "<01>1 - h a p m -", "invalid PRI" },
		{ "<>1 - h a p m -", "invalid PRI" },
		{ "<13>1 2003-02-29T00:00:00Z h a p m -", "invalid timestamp" },
		{ "<13>1 2003-10-11T24:00:00Z h a p m -", "invalid timestamp" },
		{ "<13>1 2003-10-11T22:14:15 h a p m -", "invalid timestamp" },
		{ "<13>1 2003-10-11T22:14:15.1234567Z h a p m -", "invalid timestamp" },
		{ "<13>1 - h a p", "invalid MSGID" },
		{ "<13>1 - h aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa p m -", "invalid APP-NAME" },
		{ "<13>1 - h a p m [x a=\"1\"", "invalid STRUCTURED-DATA: no closing ]" },
		{ "<13>1 - h a p m [x a=1]", "invalid STRUCTURED-DATA: bad PARAM-VALUE" },
		{ "<13>1 - h a p m [x@1 a=\"1\"][x@1 b=\"2\"]", "invalid STRUCTURED-DATA: SD-ID repeated" },
		{ "<13>1 - h a p m [x]y", "invalid STRUCTURED-DATA" },
		{ "plain text", "no syslog header (--format none takes bare messages)" },
	};
	const char *why;
	json_t *j;

	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		j = norm(NZ_AUTO, bad[k].line, T2026, &why);
		CHECK(j == NULL);
		CHECK_STR(why, bad[k].why);
		json_decref(j);
	}
	/* a leap day, a NILVALUE stamp (null), escapes undone, a repeated
	 * PARAM-NAME as an array */
	j = norm(NZ_RFC5424, "<0>1 2004-02-29T00:00:00+01:00 - - - - -", T2026, &why);
	CHECK_INT(i(j, "timestamp"), 1078009200000LL);
	CHECK_STR(s(j, "facility"), "kern");
	CHECK_STR(s(j, "severity"), "emerg");
	CHECK(json_object_get(j, "host") == NULL);
	json_decref(j);
	j = norm(NZ_RFC5424, "<14>1 - h a p m [x@1 q=\"a\\\"b\\\\c\\]d\\e\" r=\"1\" r=\"2\"] m", T2026, &why);
	CHECK(json_is_null(json_object_get(j, "timestamp")));
	json_t *x = json_object_get(json_object_get(j, "structured_data"), "x@1");
	CHECK_STR(s(x, "q"), "a\"b\\c]d\\e");
	CHECK_INT(json_array_size(json_object_get(x, "r")), 2);
	CHECK_STR(json_string_value(json_array_get(json_object_get(x, "r"), 1)), "2");
	json_decref(j);
}

TEST(nul_and_invalid_utf8)
{
	struct nz_opts o = { .format = NZ_AUTO };
	struct nz_counts c = { 0 };
	struct nw_buf b = { 0 };
	static const char nul[] = "<13>1 - h a p m - a\0b";

	CHECK_STR(nz_line(&o, nul, sizeof nul - 1, T2026, &b, &c), "NUL byte in line");
	nw_buf_reset(&b);
	const char bad[] = "<13>1 - h a p m - caf\xE9";
	CHECK(nz_line(&o, bad, strlen(bad), T2026, &b, &c) == NULL);
	json_t *j = json_loadb(b.p, b.len, 0, NULL);
	CHECK_STR(s(j, "message"), "caf\xEF\xBF\xBD");
	CHECK(s(j, "raw_base64") != NULL);           /* nothing lost */
	CHECK_INT(c.invalid_utf8, 1);
	json_decref(j);
	nw_buf_free(&b);
}

TEST(rfc3164_as_forwarded)
{
	const char *why;
	json_t *j;

	j = norm(NZ_AUTO, "<34>Oct 11 22:14:15 mymachine su: 'su root' failed", T2026, &why);
	CHECK_STR(s(j, "host"), "mymachine");
	CHECK_STR(s(j, "app"), "su");
	CHECK_STR(s(j, "message"), "'su root' failed");
	CHECK_STR(s(j, "facility"), "auth");
	/* 2025-10-11 22:14:15 UTC: the stamp would be ahead of a May clock in
	 * 2026's year, so it is last year's */
	CHECK_INT(i(j, "timestamp"), 1760220855000LL);
	json_decref(j);
	/* no PRI (a /var/log file), day space-padded, TAG[PID] */
	j = norm(NZ_AUTO, "May  1 08:00:01 gw sshd[4242]: Failed password for root", T2026, &why);
	CHECK_STR(s(j, "app"), "sshd");
	CHECK_STR(s(j, "procid"), "4242");
	CHECK(json_object_get(j, "facility") == NULL);
	CHECK_INT(i(j, "timestamp"), 1777622401000LL);   /* 2026-05-01 */
	json_decref(j);
	/* journald without a host; rsyslog's RFC 3339 stamp */
	j = norm(NZ_RFC3164, "<38>May 27 10:00:00 sudo[77]: pam_unix(sudo:session)", T2026, &why);
	CHECK(json_object_get(j, "host") == NULL);
	CHECK_STR(s(j, "app"), "sudo");
	json_decref(j);
	j = norm(NZ_AUTO, "2026-05-27T10:00:00.250+02:00 fw kernel: IN=eth0 SRC=1.2.3.4", T2026, &why);
	CHECK_INT(i(j, "timestamp"), 1779868800250LL);
	CHECK_STR(s(j, "host"), "fw");
	CHECK_STR(s(j, "app"), "kernel");
	CHECK_STR(s(j, "message"), "IN=eth0 SRC=1.2.3.4");
	json_decref(j);
	/* no tag: the rest is the message */
	j = norm(NZ_AUTO, "<13>May 27 10:00:00 host just some text", T2026, &why);
	CHECK_STR(s(j, "host"), "host");
	CHECK(json_object_get(j, "app") == NULL);
	CHECK_STR(s(j, "message"), "just some text");
	json_decref(j);
	/* impossible dates */
	j = norm(NZ_AUTO, "<13>Feb 30 10:00:00 h t: x", T2026, &why);
	CHECK(j == NULL);
	CHECK_STR(why, "invalid timestamp");
	j = norm(NZ_AUTO, "<13>Foo 10 10:00:00 h t: x", T2026, &why);
	CHECK_STR(why, "invalid timestamp");
	/* --format none: the line is the message */
	j = norm(NZ_NONE, "anything at all", T2026, &why);
	CHECK_STR(s(j, "message"), "anything at all");
	json_decref(j);
}

/* New Year: a December stamp read on January 2 is last year's; a stamp
 * of today is this year's; --year wins. */
TEST(rfc3164_year_rollover)
{
	struct nz_opts o = { .format = NZ_RFC3164 };
	struct nz_counts c = { 0 };
	struct nw_buf b = { 0 };
	const int64_t jan2 = 1767312000000LL;          /* 2026-01-02 00:00 UTC */
	const char dec[] = "Dec 31 23:59:59 h t: x", jan[] = "Jan  1 00:00:01 h t: x";

	CHECK(nz_line(&o, dec, strlen(dec), jan2, &b, &c) == NULL);
	CHECK(strstr(b.p, "\"timestamp\":1767225599000") != NULL);   /* 2025 */
	nw_buf_reset(&b);
	CHECK(nz_line(&o, jan, strlen(jan), jan2, &b, &c) == NULL);
	CHECK(strstr(b.p, "\"timestamp\":1767225601000") != NULL);   /* 2026 */
	nw_buf_reset(&b);
	o.year = 2030;
	CHECK(nz_line(&o, dec, strlen(dec), jan2, &b, &c) == NULL);
	CHECK(strstr(b.p, "\"timestamp\":1924991999000") != NULL);
	nw_buf_free(&b);
}

/* Printable US-ASCII without SP, '=', ']', '"' (valid in every header
 * field and SD name), 1..max characters. */
static void rnd_token(char *out, int max, unsigned *seed)
{
	static const char cs[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                         "0123456789.-_@:/%!#$&*+,;?^|~()";
	int n = 1 + (int)(rand_r(seed) % (unsigned)max);
	for (int k = 0; k < n; k++)
		out[k] = cs[rand_r(seed) % (sizeof cs - 1)];
	out[n] = '\0';
	if (n == 1 && out[0] == '-')
		out[0] = 'x';                  /* "-" alone is NILVALUE */
}

TEST(property_format_then_normalize)
{
	unsigned seed = 20261201;
	char host[64], app[64], pid[64], mid[64], sdid[40], pn[40], pv[64],
	     line[1024], esc[160], msg[128];
	const char *why;
	int round;

	for (round = 0; round < 2000; round++) {
		int pri = (int)(rand_r(&seed) % 192);
		int64_t ms = (int64_t)(rand_r(&seed) % 2000000000u) * 1000 +
		             rand_r(&seed) % 1000;
		time_t t = (time_t)(ms / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		rnd_token(host, 60, &seed);
		rnd_token(app, 48, &seed);
		rnd_token(pid, 20, &seed);
		rnd_token(mid, 32, &seed);
		rnd_token(sdid, 32, &seed);
		rnd_token(pn, 32, &seed);
		rnd_token(pv, 40, &seed);
		/* the value with '"', '\' and ']' mixed in, escaped */
		size_t e = 0;
		for (size_t k = 0; pv[k]; k++) {
			if (k % 7 == 3)
				pv[k] = "\"\\]"[k % 3];
			if (pv[k] == '"' || pv[k] == '\\' || pv[k] == ']')
				esc[e++] = '\\';
			esc[e++] = pv[k];
		}
		esc[e] = '\0';
		snprintf(msg, sizeof msg, "message %d: caf\xC3\xA9 [x] \"q\"", round);
		snprintf(line, sizeof line, "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%03dZ "
		         "%s %s %s %s [%s %s=\"%s\"] %s", pri, tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		         (int)(ms % 1000), host, app, pid, mid, sdid, pn, esc, msg);
		json_t *j = norm(NZ_AUTO, line, T2026, &why);
		int ok = j != NULL && i(j, "timestamp") == ms &&
		         i(j, "facility_num") == pri >> 3 &&
		         i(j, "severity_num") == (pri & 7) &&
		         !strcmp(s(j, "host"), host) && !strcmp(s(j, "app"), app) &&
		         !strcmp(s(j, "procid"), pid) && !strcmp(s(j, "msgid"), mid) &&
		         !strcmp(s(json_object_get(json_object_get(j, "structured_data"),
		                                   sdid), pn), pv) &&
		         !strcmp(s(j, "message"), msg);
		if (!ok) {
			printf("  round %d: %s -> %s\n", round, line, why ? why : "mismatch");
			CHECK(ok);
			json_decref(j);
			break;
		}
		json_decref(j);
	}
	CHECK_INT(round, 2000);     /* every round compared equal */
}

/* Pattern files: every load error names the file, the pattern and what is
 * wrong. */
TEST(pattern_file_errors)
{
	static const struct { const char *json, *err; } bad[] = {
		{ "{}", "want an array of patterns" },
		{ "[{\"name\":\"a\"}]", "pattern \"a\": \"regex\" must be a string" },
		{ "[{\"regex\":\"x\"}]", "pattern 1: \"name\" must be a non-empty string" },
		{ "[{\"name\":\"a\",\"regex\":\"(x\"}]", "pattern \"a\": regex: column 3: missing closing parenthesis" },
		{ "[{\"name\":\"a\",\"regex\":\"x\",\"typo\":1}]", "pattern 1: unknown key \"typo\"" },
		{ "[{\"name\":\"a\",\"regex\":\"x\"},{\"name\":\"a\",\"regex\":\"y\"}]", "pattern \"a\": the name is taken" },
		{ "[{\"name\":\"a\",\"regex\":\"(?<host>x)\"}]", "group \"host\" is a header field's name" },
		{ "[{\"name\":\"a\",\"regex\":\"(?<n>x)\",\"types\":{\"m\":\"int\"}}]", "types: no group named \"m\"" },
		{ "[{\"name\":\"a\",\"regex\":\"(?<n>x)\",\"types\":{\"n\":\"long\"}}]", "types: \"n\": want int, float, string or flags" },
		{ "[{\"name\":\"a\",\"regex\":\"(?<n>x)\",\"set\":{\"n\":1}}]", "set: \"n\" is also a group" },
		{ "[{\"name\":\"a\",\"regex\":\"(?J)(?<n>x)|(?<n>y)\"}]", "group \"n\" named twice" },
	};
	char err[512];

	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		struct nz_patterns *ps = nz_pat_load(NULL, 0, bad[k].json, err, sizeof err);
		CHECK(ps == NULL);
		if (strstr(err, bad[k].err) == NULL)
			printf("  %s: got \"%s\"\n", bad[k].json, err);
		CHECK(strstr(err, bad[k].err) != NULL);
		nz_pat_free(ps);
	}
	struct nz_patterns *ps = nz_pat_load(NULL, 0, nz_builtin_json, err, sizeof err);
	CHECK(ps != NULL);
	CHECK(nz_pat_count(ps) >= 8);
	nz_pat_free(ps);
}

/* Types, the app filter, first match wins, unmatched lines. */
TEST(patterns_apply)
{
	static const char file[] = "[{\"name\":\"num\",\"app\":\"t\","
		"\"regex\":\"n=(?<n>\\\\S+) f=(?<f>\\\\S+)(?: w=(?<w>.*))?\","
		"\"types\":{\"n\":\"int\",\"f\":\"float\",\"w\":\"flags\"},"
		"\"set\":{\"k\":[1,\"x\"]}},"
		"{\"name\":\"any\",\"regex\":\"n=\"}]";
	char err[512];
	struct nz_opts o = { .format = NZ_RFC3164 };
	struct nz_counts c = { 0 };
	struct nw_buf b = { 0 };
	json_t *j;

	o.pats = nz_pat_load(NULL, 0, file, err, sizeof err);
	CHECK(o.pats != NULL);
	if (o.pats == NULL) {
		printf("  %s\n", err);
		return;
	}
	const char l1[] = "May 27 10:00:00 h t: n=42 f=2.5 w=SYN ACK";
	CHECK(nz_line(&o, l1, strlen(l1), T2026, &b, &c) == NULL);
	j = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, NULL);
	CHECK_STR(s(j, "pattern"), "num");
	CHECK_INT(i(j, "n"), 42);
	CHECK(json_real_value(json_object_get(j, "f")) == 2.5);
	CHECK_INT(json_array_size(json_object_get(j, "w")), 2);
	CHECK_INT(json_array_size(json_object_get(j, "k")), 2);
	json_decref(j);
	/* not an int: kept as a string, counted; another app: the next pattern */
	nw_buf_reset(&b);
	const char l2[] = "May 27 10:00:00 h t: n=4x2 f=nan";
	CHECK(nz_line(&o, l2, strlen(l2), T2026, &b, &c) == NULL);
	j = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, NULL);
	CHECK_STR(s(j, "n"), "4x2");
	CHECK_STR(s(j, "f"), "nan");
	CHECK(json_object_get(j, "w") == NULL);      /* an unset group: absent */
	CHECK_INT(c.type_errors, 2);
	json_decref(j);
	nw_buf_reset(&b);
	const char l3[] = "May 27 10:00:00 h other: n=1 f=1";
	CHECK(nz_line(&o, l3, strlen(l3), T2026, &b, &c) == NULL);
	CHECK(strstr(b.p, "\"pattern\":\"any\"") != NULL);
	/* unmatched: header fields only, or a dead letter */
	nw_buf_reset(&b);
	const char l4[] = "May 27 10:00:00 h other: nothing here";
	CHECK(nz_line(&o, l4, strlen(l4), T2026, &b, &c) == NULL);
	CHECK(strstr(b.p, "\"pattern\"") == NULL);
	o.unmatched_dlq = true;
	CHECK_STR(nz_line(&o, l4, strlen(l4), T2026, &b, &c), "no pattern matched");
	CHECK_INT(c.matched, 3);
	CHECK_INT(c.unmatched, 2);
	nw_buf_free(&b);
	nz_pat_free(o.pats);
}

/* The built-in patterns on the wordings real machines write: OpenSSH from
 * 6.x to 9.x, sudo, iptables LOG and nftables log (IPv4 and IPv6). */
TEST(builtin_patterns_real_lines)
{
	static const struct { const char *line, *pattern, *want; } cases[] = {
		{ "Dec  1 08:00:01 gw sshd[4242]: Failed password for root from 203.0.113.9 port 52144 ssh2",
		  "sshd_failed", "root 203.0.113.9 52144 auth_failure" },
		{ "Dec  1 08:00:01 gw sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 52144 ssh2",
		  "sshd_failed_invalid_user", "admin 203.0.113.9 52144 auth_failure" },
		{ "Dec  1 08:00:01 gw sshd[4242]: Failed publickey for git from 2001:db8::5 port 40022 ssh2: RSA SHA256:abc",
		  "sshd_failed", "git 2001:db8::5 40022 auth_failure" },
		{ "Dec  1 08:00:01 gw sshd[4242]: Failed none for invalid user  from 203.0.113.9 port 1 ssh2",
		  "sshd_failed_invalid_user", " 203.0.113.9 1 auth_failure" },
		{ "Dec  1 08:00:02 gw sshd[4242]: Invalid user oracle from 203.0.113.9 port 52146",
		  "sshd_invalid_user", "oracle 203.0.113.9 52146 invalid_user" },
		{ "Dec  1 08:00:02 gw sshd[4242]: Invalid user oracle from 203.0.113.9",
		  "sshd_invalid_user", "oracle 203.0.113.9 - invalid_user" },
		{ "Dec  1 08:00:03 gw sshd[1]: Accepted password for bob from 198.51.100.8 port 40000 ssh2",
		  "sshd_accepted", "bob 198.51.100.8 40000 auth_success" },
		{ "Dec  1 08:00:03 gw sshd[1]: Accepted publickey for alice from 198.51.100.7 port 50022 ssh2: ED25519 SHA256:x",
		  "sshd_accepted", "alice 198.51.100.7 50022 auth_success" },
		{ "Dec  1 08:00:04 gw sshd[1]: Connection closed by authenticating user root 203.0.113.9 port 52150 [preauth]",
		  "sshd_closed_authenticating", "root 203.0.113.9 52150 auth_abandoned" },
		{ "Dec  1 08:00:04 gw sshd[1]: Disconnected from authenticating user root 203.0.113.9 port 52150 [preauth]",
		  "sshd_closed_authenticating", "root 203.0.113.9 52150 auth_abandoned" },
		{ "Dec  1 08:00:05 gw sshd[1]: error: maximum authentication attempts exceeded for invalid user admin from 203.0.113.9 port 52151 ssh2 [preauth]",
		  "sshd_max_attempts", "admin 203.0.113.9 52151 auth_max_attempts" },
		{ "Dec  1 08:00:06 gw sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
		  "sudo_command", "alice - - sudo" },
		{ "Dec  1 08:00:07 fw kernel: [123.456] DROP: IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=203.0.113.9 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=1 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0",
		  "netfilter", "- 203.0.113.9 40000 netfilter" },
		{ "Dec  1 08:00:07 fw kernel: nft-drop: IN=eth0 OUT= SRC=2001:db8::9 DST=2001:db8::1 LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=TCP SPT=40001 DPT=443 WINDOW=64800 RES=0x00 ACK RST URGP=0",
		  "netfilter", "- 2001:db8::9 40001 netfilter" },
	};
	char err[256];
	struct nz_opts o = { .format = NZ_AUTO };
	struct nz_counts c = { 0 };
	struct nw_buf b = { 0 }, got = { 0 };

	o.pats = nz_pat_load(NULL, 0, nz_builtin_json, err, sizeof err);
	CHECK(o.pats != NULL);
	for (size_t k = 0; o.pats && k < sizeof cases / sizeof cases[0]; k++) {
		nw_buf_reset(&b);
		CHECK(nz_line(&o, cases[k].line, strlen(cases[k].line), T2026, &b, &c) == NULL);
		json_t *j = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, NULL);
		json_t *port = json_object_get(j, "src_port");
		nw_buf_reset(&got);
		if (json_is_integer(port))
			nw_buf_printf(&got, "%s %s %lld %s", s(j, "user") ? s(j, "user") : "-",
			              s(j, "src_ip") ? s(j, "src_ip") : "-",
			              (long long)json_integer_value(port), s(j, "event"));
		else
			nw_buf_printf(&got, "%s %s - %s", s(j, "user") ? s(j, "user") : "-",
			              s(j, "src_ip") ? s(j, "src_ip") : "-", s(j, "event"));
		CHECK_STR(s(j, "pattern"), cases[k].pattern);
		CHECK_STR(got.p, cases[k].want);
		json_decref(j);
	}
	/* nftables' flags, in the order the kernel writes them */
	nw_buf_reset(&b);
	CHECK(nz_line(&o, cases[13].line, strlen(cases[13].line), T2026, &b, &c) == NULL);
	CHECK(strstr(b.p, "\"flags\":[\"ACK\",\"RST\"]") != NULL);
	nw_buf_free(&b);
	nw_buf_free(&got);
	nz_pat_free(o.pats);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	RUN(rfc5424_examples);
	RUN(rfc5424_fields_and_limits);
	RUN(nul_and_invalid_utf8);
	RUN(rfc3164_as_forwarded);
	RUN(rfc3164_year_rollover);
	RUN(property_format_then_normalize);
	RUN(pattern_file_errors);
	RUN(patterns_apply);
	RUN(builtin_patterns_real_lines);
	return t_done();
}
