/* ipset.c - network sets: parsing addresses, CIDR networks and list files,
 * and the sorted-range longest-prefix lookup (see ipset.h). */
#include "ipset.h"
#include "nw.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IPSET_MAX ((ipset_addr)~(ipset_addr)0)
#define IPSET_V4MAPPED ((ipset_addr)0xffff << 32)

/* The mask of the host bits below a prefix of plen bits. */
static ipset_addr ipset_hostmask(int plen)
{
	return plen >= 128 ? 0 : IPSET_MAX >> plen;
}

/* The address part of s (no prefix) into *a; false when it is none. */
static bool ipset_pton(const char *s, size_t n, ipset_addr *a)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	unsigned char b[16];

	if (n == 0 || n >= sizeof tmp || memchr(s, '\0', n))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (memchr(s, ':', n) == NULL) {
		if (inet_pton(AF_INET, tmp, b) != 1)
			return false;
		*a = IPSET_V4MAPPED | (ipset_addr)((uint32_t)b[0] << 24 |
		     (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
		return true;
	}
	if (inet_pton(AF_INET6, tmp, b) != 1)
		return false;
	*a = 0;
	for (int i = 0; i < 16; i++)
		*a = *a << 8 | b[i];
	return true;
}

bool ipset_parse_addr(const char *s, size_t n, ipset_addr *a)
{
	return ipset_pton(s, n, a);
}

static bool ipset_is_v4(ipset_addr addr, int plen)
{
	return plen >= 96 && (addr >> 32) == 0xffff;
}

void ipset_fmt(ipset_addr addr, int plen, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];
	unsigned char b[16];

	if (ipset_is_v4(addr, plen)) {
		uint32_t v = (uint32_t)addr;
		snprintf(buf, len, "%u.%u.%u.%u/%d", v >> 24, v >> 16 & 255,
		         v >> 8 & 255, v & 255, plen - 96);
		return;
	}
	for (int i = 15; i >= 0; i--, addr >>= 8)
		b[i] = (unsigned char)addr;
	inet_ntop(AF_INET6, b, tmp, sizeof tmp);
	snprintf(buf, len, "%s/%d", tmp, plen);
}

int ipset_parse_net(const char *s, size_t n, ipset_addr *addr, int *plen,
                    char *err, size_t errlen)
{
	const char *slash = memchr(s, '/', n);
	size_t an = slash ? (size_t)(slash - s) : n;
	bool v4 = memchr(s, ':', an) == NULL;
	int max = v4 ? 32 : 128, len = max;

	if (!ipset_pton(s, an, addr)) {
		snprintf(err, errlen, "'%.*s' is not an IPv4 or IPv6 address or "
		         "network", (int)(n > 60 ? 60 : n), s);
		return -1;
	}
	if (slash) {
		const char *p = slash + 1, *end = s + n;
		len = 0;
		if (p == end || end - p > 3 || (end - p > 1 && *p == '0'))
			len = -1;
		for (; len >= 0 && p < end; p++)
			len = isdigit((unsigned char)*p) ? len * 10 + (*p - '0') : -1;
		if (len < 0 || len > max) {
			snprintf(err, errlen, "'%.*s': the prefix length must be 0 to %d",
			         (int)(n > 60 ? 60 : n), s, max);
			return -1;
		}
	}
	*plen = v4 ? len + 96 : len;
	if (*addr & ipset_hostmask(*plen)) {
		char net[64];
		ipset_fmt(*addr & ~ipset_hostmask(*plen), *plen, net, sizeof net);
		snprintf(err, errlen, "'%.*s' has host bits set (the network is %s)",
		         (int)(n > 60 ? 60 : n), s, net);
		return -1;
	}
	return 0;
}

void ipset_add(struct ipset *s, ipset_addr addr, int plen, int val)
{
	if (s->nnet == s->capnet) {
		s->capnet = s->capnet ? s->capnet * 2 : 16;
		s->net = nw_xreallocarray(s->net, (size_t)s->capnet, sizeof *s->net);
	}
	s->net[s->nnet++] = (struct ipset_net){ addr, addr | ipset_hostmask(plen),
	                                        plen, val };
}

/* Where a line's comment starts ('#', or ';' as in Spamhaus DROP
 * "1.2.3.0/24 ; SBL123"), or e when it has none. */
static const char *ipset_comment_start(const char *p, const char *e)
{
	for (; p < e; p++)
		if (*p == '#' || *p == ';')
			return p;
	return e;
}

int ipset_add_list(struct ipset *s, const char *text, size_t n,
                   const char *origin, int val, char *err, size_t errlen)
{
	const char *p = text, *end = text + n;

	for (int line = 1; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		char why[200];
		ipset_addr a;
		int plen;

		e = ipset_comment_start(p, e);
		while (p < e && isspace((unsigned char)*p))
			p++;
		while (e > p && isspace((unsigned char)e[-1]))
			e--;
		if (e > p) {
			if (ipset_parse_net(p, (size_t)(e - p), &a, &plen, why,
			                    sizeof why) < 0) {
				snprintf(err, errlen, "%s:%d: %s", origin, line, why);
				return -1;
			}
			ipset_add(s, a, plen, val);
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* Start ascending, then the wider network first, so each network comes
 * after every network that holds it. */
static int ipset_cmp(const void *x, const void *y)
{
	const struct ipset_net *a = x, *b = y;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return (a->val > b->val) - (a->val < b->val);
}

/* Append [lo, hi] with val, merged into the last range when they touch. */
static void ipset_emit(struct ipset *s, ipset_addr lo, ipset_addr hi, int val)
{
	struct ipset_range *last = s->nr ? &s->r[s->nr - 1] : NULL;

	if (last && last->val == val && last->hi + 1 == lo) {
		last->hi = hi;
		return;
	}
	if (s->nr == s->capr) {       /* doubling: a million networks load */
		s->capr = s->capr ? s->capr * 2 : 16;
		s->r = nw_xreallocarray(s->r, (size_t)s->capr, sizeof *s->r);
	}
	s->r[s->nr++] = (struct ipset_range){ lo, hi, val };
}

/* The IPv4 index: v4idx[b] is the number of ranges starting below the
 * b-th block of 2^(32 - v4bits) IPv4 addresses (b up to 2^v4bits, the end
 * of IPv4).  About one range a block keeps each search one or two steps. */
static void ipset_index(struct ipset *s)
{
	int j = 0, bits = 12;

	free(s->v4idx);
	s->v4idx = NULL;
	s->v4bits = 0;
	if (s->nr < IPSET_INDEX_MIN)
		return;
	while (bits < 22 && (1 << bits) < s->nr)
		bits++;
	s->v4bits = bits;
	s->v4idx = nw_xreallocarray(NULL, ((size_t)1 << bits) + 1, sizeof (int));
	for (int64_t blk = 0; blk <= (int64_t)1 << bits; blk++) {
		ipset_addr start = IPSET_V4MAPPED + ((ipset_addr)blk << (32 - bits));
		while (j < s->nr && s->r[j].lo < start)
			j++;
		s->v4idx[blk] = j;
	}
}

/* One sweep over the sorted networks with a stack of those that hold the
 * current position (at most 129 deep: one per prefix length).  Each
 * position belongs to the innermost network on the stack. */
int ipset_build(struct ipset *s, int *va, int *vb, char *err, size_t errlen)
{
	int stack[130], sp = 0, uniq = 0;
	ipset_addr cur = 0;
	bool done = false;

	free(s->r);
	s->r = NULL;
	s->nr = s->capr = 0;
	if (s->nnet > 0)
		qsort(s->net, (size_t)s->nnet, sizeof *s->net, ipset_cmp);
	for (int i = 0; i < s->nnet; i++) {
		const struct ipset_net *p = &s->net[i];
		if (i > 0 && p->lo == p[-1].lo && p->len == p[-1].len) {
			if (p->val == p[-1].val)
				continue;
			*va = p[-1].val, *vb = p->val;
			ipset_fmt(p->lo, p->len, err, errlen);
			return -1;
		}
		uniq++;
		while (sp > 0 && s->net[stack[sp - 1]].hi < p->lo) {
			const struct ipset_net *t = &s->net[stack[--sp]];
			if (cur <= t->hi)
				ipset_emit(s, cur, t->hi, t->val);
			cur = t->hi + 1;            /* t->hi < p->lo: no overflow */
		}
		if (sp > 0 && cur < p->lo)
			ipset_emit(s, cur, p->lo - 1, s->net[stack[sp - 1]].val);
		cur = p->lo;
		stack[sp++] = i;
	}
	while (sp > 0) {
		const struct ipset_net *t = &s->net[stack[--sp]];
		if (!done && cur <= t->hi)
			ipset_emit(s, cur, t->hi, t->val);
		if (t->hi == IPSET_MAX)
			done = true;
		else
			cur = t->hi + 1;
	}
	s->nnets = uniq;
	ipset_index(s);
	free(s->net);
	s->net = NULL;
	s->nnet = s->capnet = 0;
	return 0;
}

int ipset_find(const struct ipset *s, ipset_addr a)
{
	int lo = 0, hi = s->nr - 1, at = -1;

	if (s->v4idx != NULL && (a >> 32) == 0xffff) {
		/* only the range holding the block's start or one inside it can
		 * hold a: those from v4idx[b] - 1 to v4idx[b + 1] - 1 */
		uint32_t b = (uint32_t)a >> (32 - s->v4bits);
		lo = s->v4idx[b] > 0 ? s->v4idx[b] - 1 : 0;
		hi = s->v4idx[b + 1] - 1;
	}

	while (lo <= hi) {             /* the last range starting at or below a */
		int mid = lo + (hi - lo) / 2;
		if (s->r[mid].lo <= a) {
			at = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return at >= 0 && a <= s->r[at].hi ? s->r[at].val : -1;
}

void ipset_free(struct ipset *s)
{
	free(s->net);
	free(s->r);
	free(s->v4idx);
	memset(s, 0, sizeof *s);
}
