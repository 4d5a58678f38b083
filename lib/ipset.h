/*
 * ipset.h - sets of IPv4 and IPv6 networks with a longest-prefix lookup:
 * detect's rule sets (`key in @trusted`), allowlist and host groups, and
 * enrich's threat-intel lists and identity networks.
 *
 * One 128-bit address space holds both families: an IPv4 address a.b.c.d
 * is the IPv4-mapped IPv6 address ::ffff:a.b.c.d, and a.b.c.d/n is
 * ::ffff:a.b.c.d/(96+n).  So "10.0.0.1" and "::ffff:10.0.0.1" are the same
 * host, and ::/0 holds every address of both families.
 *
 * Networks are added with a value (a group's index; 0 for a plain set),
 * then ipset_build turns them into sorted disjoint ranges, each carrying
 * the value of the longest prefix that covers it, so a lookup is one
 * binary search.  A large set also gets an index by IPv4 block (a /20
 * for a million ranges: about one range a block), so an IPv4 lookup
 * searches only the ranges of its block: a million-prefix list answers in
 * two or three cache misses.
 *
 * Ownership: an ipset owns its arrays; ipset_free releases them.  A zeroed
 * struct ipset is an empty set.
 */
#ifndef IPSET_H
#define IPSET_H

#include <stdbool.h>
#include <stddef.h>

typedef unsigned __int128 ipset_addr;

#define IPSET_INDEX_MIN  4096    /* ranges from which a set is indexed */

struct ipset_net   { ipset_addr lo, hi; int len, val; };
struct ipset_range { ipset_addr lo, hi; int val; };

struct ipset {
	struct ipset_net   *net;    /* as added, until ipset_build */
	int                 nnet, capnet;
	struct ipset_range *r;      /* after ipset_build: sorted, disjoint */
	int                 nr, capr;
	int                *v4idx;  /* large sets: per IPv4 block of v4bits
	                               bits, the ranges starting below it */
	int                 v4bits; /* 12 to 22: about one range a block */
	int                 nnets;  /* distinct networks built in */
};

/* "a.b.c.d", "a.b.c.d/n", an IPv6 address, or one with "/n".  -1 with a
 * reason in err (no host bits may be set below the prefix). */
int  ipset_parse_net(const char *s, size_t n, ipset_addr *addr, int *plen,
                     char *err, size_t errlen);
/* A host address (no prefix); false when s is not one. */
bool ipset_parse_addr(const char *s, size_t n, ipset_addr *a);
/* The network as the user would write it (IPv4 for mapped addresses). */
void ipset_fmt(ipset_addr addr, int plen, char *buf, size_t len);

void ipset_add(struct ipset *s, ipset_addr addr, int plen, int val);
/* A list file: one address or network per line; '#' or ';' starts a
 * comment (plain lists, FireHOL netsets, Spamhaus DROP's "net ; SBL…");
 * blank lines are ignored.  -1 with "origin:line: reason" in err. */
int  ipset_add_list(struct ipset *s, const char *text, size_t n,
                    const char *origin, int val, char *err, size_t errlen);
/* Build the lookup.  -1 when one network was added with two values: then
 * *va and *vb are the values and err names the network. */
int  ipset_build(struct ipset *s, int *va, int *vb, char *err, size_t errlen);
/* The value of the longest prefix holding a, or -1. */
int  ipset_find(const struct ipset *s, ipset_addr a);
void ipset_free(struct ipset *s);

#endif
