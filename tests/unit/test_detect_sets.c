/* test_detect_sets.c - network sets in rule sets: the rules file's "sets"
 * (files relative to it, inline lists), --set, what an `in` test reads,
 * the allowlist, host groups and their threshold overrides, and every
 * loading error. */
#include <stdlib.h>
#include <unistd.h>
#include "t.h"
#include "rules.h"

static char dir[64];
static struct nw_buf got;      /* alert lines emitted, '\n'-separated */
static int nalerts, withheld;

static void cap(const char *line, size_t n)
{
	nw_buf_add(&got, line, n);
	nw_buf_addc(&got, '\n');
	nalerts++;
}

/* Write text to dir/name; returns the path (static, one at a time). */
static const char *put(const char *name, const char *text)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	return path;
}

static char *path_of(const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

static struct rule_set *load(struct rule_src *src, char *err, size_t len)
{
	struct rule_set *rs = rule_set_load(src, err, len);
	if (rs == NULL)
		printf("  %s\n", err);
	return rs;
}

static void run(struct rule_set *rs, const char *key_field, const char *key,
                const char *rest)
{
	static struct rec r;
	char line[512];

	snprintf(line, sizeof line, "{\"type\":\"window\",\"key_field\":\"%s\","
	         "\"key\":\"%s\",\"window_start\":0,\"window_end\":60000%s}",
	         key_field, key, rest);
	nw_buf_reset(&got);
	nalerts = 0;
	if (rec_parse(&r, line, strlen(line)) == NULL)
		withheld = rule_set_apply(rs, &r, cap);
	else
		printf("  bad record %s\n", line);
}

static const char *load_err(struct rule_src *src)
{
	static char err[768];
	struct rule_set *rs = rule_set_load(src, err, sizeof err);
	if (rs) {
		rule_set_free(rs);
		return "(loaded)";
	}
	return err;
}

TEST(sets_in_rules_file)
{
	char err[768];
	put("backup.txt", "# backups\n10.9.0.0/16\n2001:db8:9::/48\n");
	char *rules = path_of("r.json");
	put("r.json", "{\"sets\":{\"backup\":\"backup.txt\",\"pay\":[\"10.20.0.0/24\"]},"
	    "\"rules\":[{\"name\":\"big\",\"when\":\"count > 5 && !(key in @backup)\"},"
	    "{\"name\":\"pay\",\"key_field\":\"dst_ip\",\"when\":\"count > 1 && dst_ip in @pay\"}]}");
	struct rule_src src = { .path = rules };
	struct rule_set *rs = load(&src, err, sizeof err);

	CHECK(rs != NULL);
	if (rs == NULL)
		goto out;
	CHECK_INT(rs->hosts.nset, 2);
	run(rs, "src_ip", "10.9.3.4", ",\"count\":10");
	CHECK_INT(nalerts, 0);
	run(rs, "src_ip", "2001:db8:9::7", ",\"count\":10");
	CHECK_INT(nalerts, 0);
	run(rs, "src_ip", "::ffff:10.9.3.4", ",\"count\":10");   /* mapped: the same host */
	CHECK_INT(nalerts, 0);
	run(rs, "src_ip", "10.8.3.4", ",\"count\":10");
	CHECK_INT(nalerts, 1);
	run(rs, "src_ip", "backup-host", ",\"count\":10");      /* no address: in no set */
	CHECK_INT(nalerts, 1);
	run(rs, "dst_ip", "10.20.0.9", ",\"count\":2");
	CHECK_INT(nalerts, 1);
	CHECK(strstr(got.p, "\"rule\":\"pay\"") != NULL);
	CHECK(strstr(got.p, "host_group") == NULL);
	run(rs, "dst_ip", "10.20.1.9", ",\"count\":2");
	CHECK_INT(nalerts, 0);
	rule_set_free(rs);
out:
	free(rules);
}

/* src_ip in @s reads the key of a src_ip record, a string member src_ip
 * of another record, and is a missing field otherwise. */
TEST(what_in_reads)
{
	char err[768];
	char *set = path_of("t.txt");
	char *sets[] = { NULL };
	char spec[160];
	put("t.txt", "192.0.2.0/24\n");
	snprintf(spec, sizeof spec, "trusted=%s", set);
	sets[0] = spec;
	char *flags[] = { "t: count >= 1 && src_ip in @trusted" };
	struct rule_src src = { .flags = flags, .nflags = 1, .sets = sets, .nsets = 1 };
	struct rule_set *rs = load(&src, err, sizeof err);

	CHECK(rs != NULL);
	if (rs == NULL)
		goto out;
	run(rs, "src_ip", "192.0.2.1", ",\"count\":1");
	CHECK_INT(nalerts, 1);
	run(rs, "src_ip", "192.0.3.1", ",\"count\":1");
	CHECK_INT(nalerts, 0);
	run(rs, "dst_ip", "192.0.2.1", ",\"count\":1,\"src_ip\":\"192.0.2.200\"");
	CHECK_INT(nalerts, 1);
	run(rs, "dst_ip", "192.0.2.1", ",\"count\":1,\"src_ip\":\"198.51.100.1\"");
	CHECK_INT(nalerts, 0);
	CHECK_INT((int)rs->v[0].missing_field, 0);
	run(rs, "dst_ip", "192.0.2.1", ",\"count\":1");
	CHECK_INT(nalerts, 0);
	CHECK_INT((int)rs->v[0].missing_field, 1);
	run(rs, "dst_ip", "192.0.2.1", ",\"count\":1,\"src_ip\":5");
	CHECK_INT((int)rs->v[0].missing_field, 2);
	rule_set_free(rs);
out:
	free(set);
}

TEST(allowlist)
{
	char err[768];
	char *allow = path_of("allow.txt");
	put("allow.txt", "10.7.0.0/16\n");
	char *flags[] = { "busy: count > 5" };
	struct rule_src src = { .flags = flags, .nflags = 1, .allow = allow };
	struct rule_set *rs = load(&src, err, sizeof err);

	CHECK(rs != NULL);
	if (rs == NULL)
		goto out;
	run(rs, "src_ip", "10.7.1.1", ",\"count\":10");   /* whatever the key_field */
	CHECK_INT(nalerts + 10 * withheld, 10);
	run(rs, "dst_ip", "10.7.1.1", ",\"count\":10");
	CHECK_INT(nalerts + 10 * withheld, 10);
	run(rs, "dst_ip", "10.7.1.1", ",\"count\":1");    /* would not fire anyway */
	CHECK_INT(nalerts + 10 * withheld, 0);
	run(rs, "src_ip", "10.8.1.1", ",\"count\":10");
	CHECK_INT(nalerts + 10 * withheld, 1);
	CHECK_INT((int)rs->v[0].fired, 1);
	rule_set_free(rs);
out:
	free(allow);
}

TEST(groups_override_thresholds)
{
	char err[768];
	char *groups = path_of("g.json");
	put("g.json", "[{\"name\":\"backup\",\"networks\":[\"10.9.0.0/16\"],"
	    "\"thresholds\":{\"data_exfiltration\":2e9}},"
	    "{\"name\":\"payment\",\"networks\":[\"10.20.0.0/24\",\"10.9.5.0/24\"],"
	    "\"thresholds\":{\"data_exfiltration\":10000000}},"
	    "{\"name\":\"plain\",\"networks\":[\"10.30.0.0/16\"]}]");
	struct rule_src src = { .groups = groups };
	struct rule_set *rs = load(&src, err, sizeof err);

	CHECK(rs != NULL);
	if (rs == NULL)
		goto out;
	/* the backup subnet moves 80 MB: below its 2 GB */
	run(rs, "src_ip", "10.9.1.1", ",\"count\":10,\"sum_bytes_sent\":80000000");
	CHECK_INT(nalerts, 0);
	run(rs, "src_ip", "10.9.1.1", ",\"count\":10,\"sum_bytes_sent\":2000000001");
	CHECK_INT(nalerts, 1);
	CHECK(strstr(got.p, "\"key\":\"10.9.1.1\",\"host_group\":\"backup\","
	             "\"window_start\"") != NULL);
	CHECK(strstr(got.p, "\"threshold\":2000000000,") != NULL);
	/* the longest prefix wins: 10.9.5.0/24 is payment's */
	run(rs, "src_ip", "10.9.5.1", ",\"count\":10,\"sum_bytes_sent\":20000000");
	CHECK_INT(nalerts, 1);
	CHECK(strstr(got.p, "\"host_group\":\"payment\"") != NULL);
	CHECK(strstr(got.p, "\"threshold\":10000000,") != NULL);
	/* a group without overrides keeps the rule's threshold but names itself */
	run(rs, "src_ip", "10.30.0.1", ",\"count\":10,\"sum_bytes_sent\":20000000");
	CHECK_INT(nalerts, 0);
	run(rs, "src_ip", "10.30.0.1", ",\"count\":10,\"sum_bytes_sent\":60000000");
	CHECK_INT(nalerts, 1);
	CHECK(strstr(got.p, "\"host_group\":\"plain\"") != NULL);
	CHECK(strstr(got.p, "\"threshold\":50000000,") != NULL);
	/* outside every group: the built-in rule, its alert as without groups */
	run(rs, "src_ip", "10.0.0.5", ",\"count\":12,\"sum_bytes_sent\":61234567");
	CHECK_INT(nalerts, 1);
	CHECK(strstr(got.p, "host_group") == NULL);
	CHECK(strstr(got.p, "\"value\":61234567,\"threshold\":50000000,\"message\":"
	             "\"DATA EXFILTRATION DETECTED! IP: 10.0.0.5 transferred 61234567 "
	             "bytes in 60s.\"") != NULL);
	/* after an overridden record, the next one outside gets the rule's own */
	run(rs, "src_ip", "10.9.5.1", ",\"count\":10,\"sum_bytes_sent\":20000000");
	run(rs, "src_ip", "10.0.0.6", ",\"count\":10,\"sum_bytes_sent\":20000000");
	CHECK_INT(nalerts, 0);
	rule_set_free(rs);
out:
	free(groups);
}

TEST(loading_errors)
{
	char *r = path_of("r.json"), *g = path_of("g.json"), *l = path_of("l.txt");
	char *sets[1], spec[160];
	char *flags[] = { "x: count > 1 && key in @nope" };
	char want[400];

	put("r.json", "{\"sets\":{\"a\":\"missing.txt\"},\"rules\":[{\"name\":\"x\",\"when\":\"count > 1\"}]}");
	snprintf(want, sizeof want, "%s/missing.txt: No such file or directory", dir);
	CHECK_STR(load_err(&(struct rule_src){ .path = r }), want);

	put("l.txt", "10.0.0.0/8\n\n10.0.0.1/8\n");
	put("r.json", "{\"sets\":{\"a\":\"l.txt\"},\"rules\":[{\"name\":\"x\",\"when\":\"count > 1\"}]}");
	snprintf(want, sizeof want, "%s/l.txt:3: '10.0.0.1/8' has host bits set "
	         "(the network is 10.0.0.0/8)", dir);
	CHECK_STR(load_err(&(struct rule_src){ .path = r }), want);

	put("r.json", "{\"sets\":{\"a\":[\"10.0.0.0/8\",7]},\"rules\":[{\"name\":\"x\",\"when\":\"count > 1\"}]}");
	snprintf(want, sizeof want, "%s: set \"a\": item 2: not a string", r);
	CHECK_STR(load_err(&(struct rule_src){ .path = r }), want);

	put("r.json", "{\"sets\":{\"a-b\":[]},\"rules\":[{\"name\":\"x\",\"when\":\"count > 1\"}]}");
	snprintf(want, sizeof want, "%s: set name 'a-b' must be a letter or '_', "
	         "then letters, digits or '_' (at most 64)", r);
	CHECK_STR(load_err(&(struct rule_src){ .path = r }), want);

	CHECK_STR(load_err(&(struct rule_src){ .flags = flags, .nflags = 1 }),
	          "--rule: rule \"x\": when: column 21: no set @nope (define it under "
	          "\"sets\" in the rules file, or with --set NAME=FILE)");

	snprintf(spec, sizeof spec, "a=%s", l);
	sets[0] = spec;
	put("l.txt", "10.0.0.0/8\n");
	put("r.json", "{\"sets\":{\"a\":[]},\"rules\":[{\"name\":\"x\",\"when\":\"count > 1\"}]}");
	snprintf(want, sizeof want, "%s: set @a defined twice", r);
	CHECK_STR(load_err(&(struct rule_src){ .path = r, .sets = sets, .nsets = 1 }), want);
	sets[0] = "nofile";
	CHECK_STR(load_err(&(struct rule_src){ .sets = sets, .nsets = 1 }),
	          "--set 'nofile': expected NAME=FILE");

	put("g.json", "[{\"name\":\"a\",\"networks\":[\"10.0.0.0/8\"]},"
	    "{\"name\":\"b\",\"networks\":[\"10.0.0.0/8\"]}]");
	snprintf(want, sizeof want, "%s: network 10.0.0.0/8 is in groups \"a\" and \"b\"", g);
	CHECK_STR(load_err(&(struct rule_src){ .groups = g }), want);
	put("g.json", "[{\"name\":\"a\",\"networks\":[\"10.0.0.0/8\"],\"thresholds\":{\"nope\":1}}]");
	snprintf(want, sizeof want, "%s: group \"a\": thresholds: no rule \"nope\"", g);
	CHECK_STR(load_err(&(struct rule_src){ .groups = g }), want);
	put("g.json", "[{\"name\":\"a\",\"networks\":[\"10.0.0.0/8\"],\"thresholds\":{\"x\":1}}]");
	char *cmp[] = { "x: count > count_max" };
	snprintf(want, sizeof want, "%s: group \"a\": thresholds: rule \"x\" compares "
	         "nothing with its threshold, so a group cannot override it", g);
	CHECK_STR(load_err(&(struct rule_src){ .groups = g, .flags = cmp, .nflags = 1 }),
	          "--rule: rule \"x\": when: compares nothing with a number, so the "
	          "threshold is unknown (give \"threshold\")");
	put("r.json", "[{\"name\":\"x\",\"when\":\"count > max\",\"threshold\":3}]");
	CHECK_STR(load_err(&(struct rule_src){ .groups = g, .path = r }), want);
	put("g.json", "[{\"name\":\"a\",\"networks\":[]}]");
	snprintf(want, sizeof want, "%s: group \"a\": \"networks\" must be a non-empty "
	         "array of addresses and networks", g);
	CHECK_STR(load_err(&(struct rule_src){ .groups = g }), want);
	put("g.json", "[{\"name\":\"a\",\"nets\":[]}]");
	snprintf(want, sizeof want, "%s: group \"a\": unknown key \"nets\" (known: "
	         "name, networks, thresholds)", g);
	CHECK_STR(load_err(&(struct rule_src){ .groups = g }), want);
	put("g.json", "{}");
	snprintf(want, sizeof want, "%s: expected an array of groups [{\"name\":…, "
	         "\"networks\":[…], \"thresholds\":{…}}]", g);
	CHECK_STR(load_err(&(struct rule_src){ .groups = g }), want);
	put("l.txt", "example.org\n");
	snprintf(want, sizeof want, "--allow %s:1: 'example.org' is not an IPv4 or "
	         "IPv6 address or network", l);
	CHECK_STR(load_err(&(struct rule_src){ .allow = l }), want);
	free(r);
	free(g);
	free(l);
}

int main(void)
{
	int rc;

	nw_log_set_level(NW_ERROR);
	snprintf(dir, sizeof dir, "/tmp/test_detect_sets.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(sets_in_rules_file);
	RUN(what_in_reads);
	RUN(allowlist);
	RUN(groups_override_thresholds);
	RUN(loading_errors);
	rc = t_done();
	nw_buf_free(&got);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
