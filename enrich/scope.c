/*
 * scope.c - the address ranges that are not looked up: private, loopback,
 * link-local and the other special-purpose blocks of RFC 6890 that never
 * route on the Internet.  Documentation blocks (192.0.2.0/24, 2001:db8::/32
 * ...) count as public on purpose: test traffic and demos use them for
 * "outside" hosts.
 *
 * Ownership: the table is one static ipset, built on first use and kept
 * for the life of the process (enr_scope_free releases it).
 */
#include "enr.h"

#include <stdlib.h>
#include <string.h>

static const struct { const char *net, *scope; } enr_scope_tab[] = {
	{ "0.0.0.0/8",       "unspecified" },
	{ "10.0.0.0/8",      "private" },
	{ "100.64.0.0/10",   "shared" },         /* carrier-grade NAT */
	{ "127.0.0.0/8",     "loopback" },
	{ "169.254.0.0/16",  "link-local" },
	{ "172.16.0.0/12",   "private" },
	{ "192.168.0.0/16",  "private" },
	{ "224.0.0.0/4",     "multicast" },
	{ "240.0.0.0/4",     "reserved" },
	{ "255.255.255.255", "broadcast" },
	{ "::/128",          "unspecified" },
	{ "::1",             "loopback" },
	{ "fc00::/7",        "private" },        /* unique local */
	{ "fe80::/10",       "link-local" },
	{ "ff00::/8",        "multicast" },
};
#define ENR_NSCOPE (int)(sizeof enr_scope_tab / sizeof enr_scope_tab[0])

static struct ipset enr_scopes;
static bool enr_scopes_built;

/* The table is fixed and valid: a failure here is a bug, not input. */
static void enr_scope_build(void)
{
	char err[200];
	int va, vb;

	for (int i = 0; i < ENR_NSCOPE; i++) {
		ipset_addr a;
		int plen;
		if (ipset_parse_net(enr_scope_tab[i].net, strlen(enr_scope_tab[i].net),
		                    &a, &plen, err, sizeof err) < 0)
			abort();
		ipset_add(&enr_scopes, a, plen, i);
	}
	if (ipset_build(&enr_scopes, &va, &vb, err, sizeof err) < 0)
		abort();
	enr_scopes_built = true;
}

const char *enr_scope(ipset_addr a)
{
	int i;

	if (!enr_scopes_built)
		enr_scope_build();
	i = ipset_find(&enr_scopes, a);
	return i < 0 ? NULL : enr_scope_tab[i].scope;
}

void enr_scope_free(void)
{
	ipset_free(&enr_scopes);
	enr_scopes_built = false;
}
