/*
 * enr.h - enrich's pieces, shared by main.c and the tests: the local data
 * (data.c: GeoIP and ASN databases, threat-intel lists, identity), the
 * address scopes (scope.c), the identity file parser (ident.c) and the
 * step that turns one event into one enriched event (event.c).
 *
 * Ownership: an enr_data owns everything it loaded (the open .mmdb files,
 * the sets, the identity strings); enr_data_free releases it all.  The
 * paths in an enr_src are the caller's (argv).  enr_event appends to the
 * caller's buffer and counts in the caller's counters; it keeps nothing.
 */
#ifndef ENR_H
#define ENR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <maxminddb.h>

#include "ipset.h"
#include "jscan.h"
#include "nw.h"

#define ENR_MAX_FIELDS 32
#define ENR_MAX_BYTES  (256u * 1024 * 1024)   /* largest list or identity file */

/* Where the data comes from (the flags): every path is reread on SIGHUP. */
struct enr_src {
	const char *geoip, *asn, *identity;     /* NULL: none */
	const char **list_name, **list_path;    /* --list NAME=FILE, in order */
	int nlist;
};

/* One identity entry: the owner of the network the ipset maps to it. */
struct enr_who { char *host, *user, *owner, *team; int line; };

struct enr_ident {
	struct ipset nets;          /* network -> index into who */
	struct enr_who *who;
	int n, cap;
};

struct enr_data {
	MMDB_s geo, asn;
	bool have_geo, have_asn;
	struct ipset *list;         /* one per --list, in order */
	int nlist;
	struct enr_ident ident;
	bool have_ident;
};

struct enr_counts {             /* stats */
	uint64_t events, fields, geo, asn, list, identity, scoped, not_ip;
	uint64_t reloads, reload_failures;
};

/* ---- data.c ------------------------------------------------------------ */
/* Load everything src names into d (zeroed first); -1 with "file:line:
 * reason" in err, d then holds nothing. */
int  enr_data_load(const struct enr_src *src, struct enr_data *d, char *err,
                   size_t errlen);
void enr_data_free(struct enr_data *d);
/* A list file (plain, Spamhaus DROP, FireHOL netset) into a built set. */
int  enr_list_parse(struct ipset *s, const char *text, size_t n,
                    const char *origin, char *err, size_t errlen);

/* ---- ident.c ----------------------------------------------------------- */
/* An identity file: CSV with a header naming ip_or_cidr (or ip, cidr) and
 * any of host, user, owner, team; or JSON lines with those members.  The
 * result is built (longest prefix wins).  -1 with "origin:line: reason". */
int  enr_ident_parse(struct enr_ident *id, const char *text, size_t n,
                     const char *origin, char *err, size_t errlen);
const struct enr_who *enr_ident_find(const struct enr_ident *id, ipset_addr a);
void enr_ident_free(struct enr_ident *id);

/* ---- scope.c ----------------------------------------------------------- */
/* "private", "loopback", "link-local", ... for an address that is not
 * looked up, or NULL for a public one. */
const char *enr_scope(ipset_addr a);
void enr_scope_free(void);

/* ---- event.c ----------------------------------------------------------- */
struct enr_event {
	const struct enr_data *d;
	const struct enr_src *src;          /* the list names */
	struct jscan_paths paths;           /* slot 2i+1: field i, 2i+2: its _info */
	const char *field[ENR_MAX_FIELDS];
	struct nw_buf key[ENR_MAX_FIELDS];  /* "<field>_info": as JSON text */
	int nfield;
	struct jscan_val *vals;
	char *scratch;
	size_t scratch_cap;
	char why[320];                      /* a dead-letter reason */
	/* The public addresses of the last event (the ones --lookup asks
	 * about): field index, address, and where in out the '}' that closes
	 * their "<field>_info" object is. */
	struct enr_look { int field; size_t at; ipset_addr a; } look[ENR_MAX_FIELDS];
	int nlook;
};
void enr_event_init(struct enr_event *e, const char *const *fields, int n);
void enr_event_free(struct enr_event *e);
/* One event line -> the enriched line appended to out.  NULL, or the
 * dead-letter reason (out then holds nothing useful). */
const char *enr_event(struct enr_event *e, const char *line, size_t n,
                      struct nw_buf *out, struct enr_counts *c);

#endif
