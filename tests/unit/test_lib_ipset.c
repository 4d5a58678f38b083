/* test_lib_ipset.c - network sets: parsing, longest prefix, both
 * families in one space, the edges (/0, /32, /128, the last address),
 * plain-list files and their errors. */
#include <stdint.h>
#include <stdlib.h>
#include "t.h"
#include "ipset.h"

/* Build a set from "NET=VAL" words (VAL 0 when absent); -1 on error. */
static int mk(struct ipset *s, const char *const *nets, int n)
{
	char err[200];
	int va, vb;

	memset(s, 0, sizeof *s);
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(nets[i], '=');
		size_t len = eq ? (size_t)(eq - nets[i]) : strlen(nets[i]);
		ipset_addr a;
		int plen;
		if (ipset_parse_net(nets[i], len, &a, &plen, err, sizeof err) < 0) {
			printf("  %s\n", err);
			return -1;
		}
		ipset_add(s, a, plen, eq ? atoi(eq + 1) : 0);
	}
	return ipset_build(s, &va, &vb, err, sizeof err);
}

static int find(const struct ipset *s, const char *addr)
{
	ipset_addr a;
	if (!ipset_parse_addr(addr, strlen(addr), &a))
		return -2;
	return ipset_find(s, a);
}

static const char *net_err(const char *net)
{
	static char err[200];
	ipset_addr a;
	int plen;
	if (ipset_parse_net(net, strlen(net), &a, &plen, err, sizeof err) == 0)
		return "(ok)";
	return err;
}

TEST(membership_v4)
{
	static const char *const nets[] = { "10.0.0.0/8", "192.168.1.7", "172.16.0.0/12" };
	struct ipset s;
	CHECK_INT(mk(&s, nets, 3), 0);
	CHECK_INT(find(&s, "10.0.0.0"), 0);
	CHECK_INT(find(&s, "10.255.255.255"), 0);
	CHECK_INT(find(&s, "11.0.0.0"), -1);
	CHECK_INT(find(&s, "9.255.255.255"), -1);
	CHECK_INT(find(&s, "192.168.1.7"), 0);
	CHECK_INT(find(&s, "192.168.1.6"), -1);
	CHECK_INT(find(&s, "192.168.1.8"), -1);
	CHECK_INT(find(&s, "172.31.255.255"), 0);
	CHECK_INT(find(&s, "172.32.0.0"), -1);
	CHECK_INT(s.nr, 3);
	CHECK_INT(s.nnets, 3);
	ipset_free(&s);
}

TEST(membership_v6_and_mapped)
{
	static const char *const nets[] = { "2001:db8::/32", "fe80::1/128", "10.1.0.0/16" };
	struct ipset s;
	CHECK_INT(mk(&s, nets, 3), 0);
	CHECK_INT(find(&s, "2001:db8::1"), 0);
	CHECK_INT(find(&s, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), 0);
	CHECK_INT(find(&s, "2001:db9::"), -1);
	CHECK_INT(find(&s, "fe80::1"), 0);
	CHECK_INT(find(&s, "fe80::2"), -1);
	/* an IPv4-mapped IPv6 address is the IPv4 host */
	CHECK_INT(find(&s, "::ffff:10.1.2.3"), 0);
	CHECK_INT(find(&s, "::ffff:10.2.0.0"), -1);
	/* but IPv4-compatible (::a.b.c.d) and NAT64 forms are other addresses */
	CHECK_INT(find(&s, "::10.1.2.3"), -1);
	ipset_free(&s);
}

TEST(mapped_network_is_the_ipv4_network)
{
	static const char *const nets[] = { "::ffff:10.0.0.0/104" };
	struct ipset s;
	CHECK_INT(mk(&s, nets, 1), 0);
	CHECK_INT(find(&s, "10.200.0.1"), 0);
	CHECK_INT(find(&s, "11.0.0.1"), -1);
	ipset_free(&s);
}

TEST(prefix_edges)
{
	static const char *const v4all[] = { "0.0.0.0/0" };
	static const char *const all[] = { "::/0" };
	static const char *const host[] = { "255.255.255.255/32", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "::/128" };
	struct ipset s;

	CHECK_INT(mk(&s, v4all, 1), 0);       /* every IPv4 address, no IPv6 */
	CHECK_INT(find(&s, "0.0.0.0"), 0);
	CHECK_INT(find(&s, "255.255.255.255"), 0);
	CHECK_INT(find(&s, "::1"), -1);
	CHECK_INT(find(&s, "2001:db8::1"), -1);
	ipset_free(&s);

	CHECK_INT(mk(&s, all, 1), 0);         /* every address of both families */
	CHECK_INT(find(&s, "::"), 0);
	CHECK_INT(find(&s, "1.2.3.4"), 0);
	CHECK_INT(find(&s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 0);
	CHECK_INT(s.nr, 1);
	ipset_free(&s);

	CHECK_INT(mk(&s, host, 3), 0);        /* the first and last addresses */
	CHECK_INT(find(&s, "255.255.255.255"), 0);
	CHECK_INT(find(&s, "255.255.255.254"), -1);
	CHECK_INT(find(&s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 0);
	CHECK_INT(find(&s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), -1);
	CHECK_INT(find(&s, "::"), 0);
	CHECK_INT(find(&s, "::1"), -1);
	ipset_free(&s);
}

TEST(longest_prefix_wins)
{
	static const char *const nets[] = {
		"10.0.0.0/8=1", "10.1.0.0/16=2", "10.1.2.0/24=3", "10.1.2.3=4",
		"::/0=5", "10.1.255.0/24=6",
	};
	struct ipset s;
	CHECK_INT(mk(&s, nets, 6), 0);
	CHECK_INT(find(&s, "10.0.0.1"), 1);
	CHECK_INT(find(&s, "10.1.0.1"), 2);
	CHECK_INT(find(&s, "10.1.2.1"), 3);
	CHECK_INT(find(&s, "10.1.2.3"), 4);
	CHECK_INT(find(&s, "10.1.2.4"), 3);
	CHECK_INT(find(&s, "10.1.3.0"), 2);
	CHECK_INT(find(&s, "10.1.255.255"), 6);   /* ends with its parent */
	CHECK_INT(find(&s, "10.2.0.0"), 1);
	CHECK_INT(find(&s, "11.0.0.0"), 5);
	CHECK_INT(find(&s, "2001:db8::"), 5);
	CHECK_INT(find(&s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 5);
	ipset_free(&s);
}

TEST(duplicates_and_adjacent_merge)
{
	static const char *const nets[] = { "10.0.0.0/25", "10.0.0.128/25", "10.0.0.0/25", "10.0.0.7" };
	static const char *const clash[] = { "10.0.0.0/8=1", "10.0.0.0/8=2" };
	struct ipset s;
	char err[100];
	int va = 0, vb = 0;

	CHECK_INT(mk(&s, nets, 4), 0);
	CHECK_INT(s.nr, 1);                    /* one range 10.0.0.0/24 */
	CHECK_INT(s.nnets, 3);
	CHECK_INT(find(&s, "10.0.0.255"), 0);
	CHECK_INT(find(&s, "10.0.1.0"), -1);
	ipset_free(&s);

	CHECK_INT(mk(&s, clash, 2), -1);
	ipset_free(&s);
	memset(&s, 0, sizeof s);
	ipset_add(&s, (ipset_addr)0xffff << 32 | 0x0a000000, 104, 1);
	ipset_add(&s, (ipset_addr)0xffff << 32 | 0x0a000000, 104, 2);
	CHECK_INT(ipset_build(&s, &va, &vb, err, sizeof err), -1);
	CHECK_STR(err, "10.0.0.0/8");
	CHECK_INT(va * 10 + vb, 12);
	ipset_free(&s);
}

TEST(empty_set)
{
	struct ipset s;
	CHECK_INT(mk(&s, NULL, 0), 0);
	CHECK_INT(find(&s, "10.0.0.1"), -1);
	ipset_free(&s);
}

TEST(bad_input)
{
	CHECK_STR(net_err("10.0.0.0/8"), "(ok)");
	CHECK_STR(net_err("::/0"), "(ok)");
	CHECK_STR(net_err("10.0.0.1/8"), "'10.0.0.1/8' has host bits set (the network is 10.0.0.0/8)");
	CHECK_STR(net_err("2001:db8::1/32"), "'2001:db8::1/32' has host bits set (the network is 2001:db8::/32)");
	CHECK_STR(net_err("10.0.0.0/33"), "'10.0.0.0/33': the prefix length must be 0 to 32");
	CHECK_STR(net_err("::/129"), "'::/129': the prefix length must be 0 to 128");
	CHECK_STR(net_err("10.0.0.0/"), "'10.0.0.0/': the prefix length must be 0 to 32");
	CHECK_STR(net_err("10.0.0.0/08"), "'10.0.0.0/08': the prefix length must be 0 to 32");
	CHECK_STR(net_err("10.0.0.0/-1"), "'10.0.0.0/-1': the prefix length must be 0 to 32");
	CHECK_STR(net_err("10.0.0.256"), "'10.0.0.256' is not an IPv4 or IPv6 address or network");
	CHECK_STR(net_err("10.0.0"), "'10.0.0' is not an IPv4 or IPv6 address or network");
	CHECK_STR(net_err("host.example"), "'host.example' is not an IPv4 or IPv6 address or network");
	CHECK_STR(net_err("fe80::1%eth0"), "'fe80::1%eth0' is not an IPv4 or IPv6 address or network");
	CHECK_STR(net_err(""), "'' is not an IPv4 or IPv6 address or network");
	CHECK_STR(net_err("/8"), "'/8' is not an IPv4 or IPv6 address or network");
	ipset_addr a;
	CHECK(!ipset_parse_addr("10.0.0.0/8", 10, &a));
	CHECK(!ipset_parse_addr("", 0, &a));
	CHECK(!ipset_parse_addr("1.2.3.4\0", 8, &a));   /* a NUL inside a key */
	CHECK(ipset_parse_addr("1.2.3.4", 7, &a));
}

TEST(plain_list)
{
	static const char text[] =
		"# backup servers\n"
		"\n"
		"  10.9.0.0/16   # the backup subnet\r\n"
		"2001:db8::5\n"
		"\t192.0.2.1";
	struct ipset s = { 0 };
	char err[200];
	int va, vb;

	CHECK_INT(ipset_add_list(&s, text, strlen(text), "b.txt", 0, err, sizeof err), 0);
	CHECK_INT(ipset_build(&s, &va, &vb, err, sizeof err), 0);
	CHECK_INT(s.nnets, 3);
	CHECK_INT(find(&s, "10.9.1.1"), 0);
	CHECK_INT(find(&s, "2001:db8::5"), 0);
	CHECK_INT(find(&s, "192.0.2.1"), 0);
	CHECK_INT(find(&s, "192.0.2.2"), -1);
	ipset_free(&s);

	static const char bad[] = "10.0.0.1\n# ok\n10.0.0.1 10.0.0.2\n";
	CHECK_INT(ipset_add_list(&s, bad, strlen(bad), "b.txt", 0, err, sizeof err), -1);
	CHECK_STR(err, "b.txt:3: '10.0.0.1 10.0.0.2' is not an IPv4 or IPv6 address or network");
	ipset_free(&s);
}

/* Spamhaus DROP ("net ; SBL…", "; comment" lines) and a FireHOL netset
 * ('#' headers, bare addresses and networks), IPv4 and IPv6. */
TEST(drop_and_firehol)
{
	static const char drop[] =
		"; Spamhaus DROP List 2026/12/01 - (c) 2026 The Spamhaus Project\n"
		"; Last-Modified: Tue, 01 Dec 2026 10:00:00 GMT\n"
		"1.10.16.0/20 ; SBL256894\n"
		"2a06:5280::/29 ; SBL462300\n";
	static const char firehol[] =
		"#\n# firehol_level1\n#\n# Source : http://iplists.firehol.org/\n"
		"0.0.0.0/8\n5.188.10.0/23\n203.0.113.7\n";
	struct ipset s = { 0 };
	char err[200];
	int va, vb;

	CHECK_INT(ipset_add_list(&s, drop, strlen(drop), "drop.txt", 0, err, sizeof err), 0);
	CHECK_INT(ipset_add_list(&s, firehol, strlen(firehol), "l1.netset", 0, err, sizeof err), 0);
	CHECK_INT(ipset_build(&s, &va, &vb, err, sizeof err), 0);
	CHECK_INT(s.nnets, 5);
	CHECK_INT(find(&s, "1.10.31.255"), 0);
	CHECK_INT(find(&s, "1.10.32.0"), -1);
	CHECK_INT(find(&s, "2a06:5287::1"), 0);
	CHECK_INT(find(&s, "2a06:5288::1"), -1);
	CHECK_INT(find(&s, "5.188.11.1"), 0);
	CHECK_INT(find(&s, "203.0.113.7"), 0);
	CHECK_INT(find(&s, "203.0.113.8"), -1);
	ipset_free(&s);
}

/* xorshift64: a fixed sequence, so a failure repeats. */
static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* The longest prefix by brute force over nets, or -1. */
static int naive(const struct ipset_net *nets, int n, ipset_addr a)
{
	int best = -1, len = -1;
	for (int i = 0; i < n; i++)
		if (a >= nets[i].lo && a <= nets[i].hi && nets[i].len > len)
			best = nets[i].val, len = nets[i].len;
	return best;
}

/* A set large enough for the IPv4 index: random IPv4 networks (some
 * nested, some wider than a /16) and a few IPv6 ones, against brute force
 * at every network's edges and at random addresses. */
TEST(indexed_against_brute_force)
{
	enum { N = 6000 };
	struct ipset_net *nets = calloc(N, sizeof *nets);
	struct ipset s = { 0 };
	int va, vb, bad = 0;
	char err[100];

	for (int i = 0; i < N; i++) {
		int plen = i % 50 == 0 ? 96 + 8 + (int)(rnd() % 8)
		                       : 96 + 16 + (int)(rnd() % 17);
		ipset_addr a = (ipset_addr)0xffff << 32 | (uint32_t)rnd();
		if (i % 100 == 1) {
			a = (ipset_addr)0x2001 << 112 | (ipset_addr)rnd() << 64;
			plen = 32 + (int)(rnd() % 33);
		}
		ipset_addr host = plen >= 128 ? 0 : ~(ipset_addr)0 >> plen;
		a &= ~host;
		/* the value from the network, so a repeat is no clash */
		int val = (int)(((uint64_t)a ^ (uint64_t)(a >> 64) ^
		                 (uint64_t)plen * 2654435761u) & 0x7fffffff);
		nets[i] = (struct ipset_net){ a, a | host, plen, val };
		ipset_add(&s, a, plen, val);
	}
	CHECK_INT(ipset_build(&s, &va, &vb, err, sizeof err), 0);
	CHECK(s.v4idx != NULL);
	for (int i = 0; i < N && bad < 5; i++) {
		ipset_addr probe[4] = { nets[i].lo, nets[i].hi, nets[i].lo - 1,
		                        nets[i].hi + 1 };
		for (int k = 0; k < 4; k++)
			if (ipset_find(&s, probe[k]) != naive(nets, N, probe[k]))
				bad++;
	}
	for (int i = 0; i < 20000 && bad < 5; i++) {
		ipset_addr a = (ipset_addr)0xffff << 32 | (uint32_t)rnd();
		if (ipset_find(&s, a) != naive(nets, N, a))
			bad++;
	}
	CHECK_INT(bad, 0);
	ipset_free(&s);
	free(nets);
}

/* Random nested and overlapping networks, clustered so prefixes nest,
 * against brute force at every boundary and at random addresses. */
TEST(random_against_brute_force)
{
	for (int round = 0; round < 200; round++) {
		struct ipset_net nets[40];
		struct ipset s = { 0 };
		int n = 1 + (int)(rnd() % 40), va, vb, bad = 0;
		char err[100];
		for (int i = 0; i < n; i++) {
			/* a few high bits vary, so networks meet and nest */
			ipset_addr a = (ipset_addr)(rnd() % 4) << 126 | (ipset_addr)rnd() << 40;
			int plen = round % 2 ? (int)(rnd() % 129) : 96 + (int)(rnd() % 33);
			if (round % 2 == 0)
				a = (ipset_addr)0xffff << 32 | (uint32_t)(rnd() % 8) << 29 | (uint32_t)rnd();
			ipset_addr host = plen >= 128 ? 0 : ~(ipset_addr)0 >> plen;
			a &= ~host;
			/* one value per (network): a clash is not what this tests */
			int val = (int)((uint64_t)(a >> 64) ^ (uint64_t)a ^ (uint64_t)plen) & 7;
			nets[i] = (struct ipset_net){ a, a | host, plen, val };
			ipset_add(&s, a, plen, val);
		}
		CHECK_INT(ipset_build(&s, &va, &vb, err, sizeof err), 0);
		for (int i = 0; i < n; i++) {
			ipset_addr probe[4] = { nets[i].lo, nets[i].hi, nets[i].lo - 1,
			                        nets[i].hi + 1 };
			for (int k = 0; k < 4; k++)
				bad += ipset_find(&s, probe[k]) != naive(nets, n, probe[k]);
		}
		for (int k = 0; k < 50; k++) {
			ipset_addr a = round % 2 ? (ipset_addr)(rnd() % 4) << 126 | (ipset_addr)rnd() << 40
			                         : (ipset_addr)0xffff << 32 | (uint32_t)rnd();
			bad += ipset_find(&s, a) != naive(nets, n, a);
		}
		CHECK_INT(bad, 0);
		for (int i = 1; i < s.nr; i++)        /* sorted, disjoint, merged */
			CHECK(s.r[i - 1].hi < s.r[i].lo &&
			      (s.r[i - 1].hi + 1 != s.r[i].lo || s.r[i - 1].val != s.r[i].val));
		ipset_free(&s);
	}
}

TEST(format)
{
	char buf[64];
	ipset_fmt((ipset_addr)0xffff << 32 | 0xc0a80100, 120, buf, sizeof buf);
	CHECK_STR(buf, "192.168.1.0/24");
	ipset_fmt(0, 0, buf, sizeof buf);
	CHECK_STR(buf, "::/0");
	ipset_fmt((ipset_addr)0xffff << 32, 96, buf, sizeof buf);
	CHECK_STR(buf, "0.0.0.0/0");
}

int main(void)
{
	RUN(membership_v4);
	RUN(membership_v6_and_mapped);
	RUN(mapped_network_is_the_ipv4_network);
	RUN(prefix_edges);
	RUN(longest_prefix_wins);
	RUN(duplicates_and_adjacent_merge);
	RUN(empty_set);
	RUN(bad_input);
	RUN(plain_list);
	RUN(drop_and_firehol);
	RUN(random_against_brute_force);
	RUN(indexed_against_brute_force);
	RUN(format);
	return t_done();
}
