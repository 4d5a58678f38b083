/*
 * event.c - one event line to one enriched line.  The line is scanned once
 * (jscan, duplicate names rejected as in every stage); its text is kept as
 * it is and, for each --field holding an address, a member
 *
 *   "<field>_info":{"scope":"public","country":"DE","city":"Berlin",
 *                   "lat":52.52,"lon":13.4,"asn":3320,"as_org":"…",
 *                   "lists":["drop"],"host":…,"user":…,"owner":…,"team":…}
 *
 * is added before the closing brace (docs/contracts.md "Enriched event").
 * A fact that is unknown is left out.  A non-public address (scope.c)
 * gets its scope and no GeoIP or ASN facts; lists and identity apply to
 * every address.  A field that is absent or not an address string adds
 * nothing (counted in not_ip).  An event that already has a
 * "<field>_info" member is a dead letter: enriching twice is a mistake
 * upstream, and rewriting the member would hide it.
 *
 * Ownership: an enr_event owns its paths, slots and scratch buffer; the
 * data and the names are the caller's.
 */
#include "enr.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void enr_event_init(struct enr_event *e, const char *const *fields, int n)
{
	char name[300];

	memset(e, 0, sizeof *e);
	jscan_paths_init(&e->paths, JSCAN_DUP_REJECT);
	for (int i = 0; i < n && i < ENR_MAX_FIELDS; i++) {
		e->field[e->nfield++] = fields[i];
		jscan_paths_add(&e->paths, fields[i]);        /* slot 2i+1 */
		snprintf(name, sizeof name, "%s_info", fields[i]);
		jscan_paths_add(&e->paths, name);             /* slot 2i+2 */
		nw_buf_add_jstr(&e->key[i], name, strlen(name));
		nw_buf_addc(&e->key[i], ':');
	}
	e->vals = nw_xcalloc((size_t)e->paths.n, sizeof *e->vals);
}

void enr_event_free(struct enr_event *e)
{
	jscan_paths_free(&e->paths);
	for (int i = 0; i < e->nfield; i++)
		nw_buf_free(&e->key[i]);
	free(e->vals);
	free(e->scratch);
	memset(e, 0, sizeof *e);
}

/* The sockaddr libmaxminddb wants for an address (IPv4 for mapped ones,
 * so IPv4 networks of the database answer). */
static const struct sockaddr *enr_sockaddr(ipset_addr a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if ((a >> 32) == 0xffff) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl((uint32_t)a);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		for (int i = 15; i >= 0; i--, a >>= 8)
			s6->sin6_addr.s6_addr[i] = (unsigned char)a;
	}
	return (const struct sockaddr *)ss;
}

/* ,"name": (names are ours, plain ASCII); no printf on the hot path. */
static void enr_add_name(struct nw_buf *b, const char *name)
{
	nw_buf_adds(b, ",\"");
	nw_buf_adds(b, name);
	nw_buf_adds(b, "\":");
}

/* ,"name":value for one value of a database entry at path (a NULL-ended
 * list of keys); false when the entry has no such value. */
static bool enr_mmdb_add(struct nw_buf *b, const char *name,
                         MMDB_entry_s *ent, const char *const *path)
{
	MMDB_entry_data_s v;

	if (MMDB_aget_value(ent, &v, path) != MMDB_SUCCESS || !v.has_data)
		return false;
	switch (v.type) {
	case MMDB_DATA_TYPE_UTF8_STRING:
		enr_add_name(b, name);
		nw_buf_add_jstr(b, v.utf8_string, v.data_size);
		return true;
	case MMDB_DATA_TYPE_DOUBLE:
	case MMDB_DATA_TYPE_FLOAT: {
		/* 10 digits: every coordinate a database holds, no float noise */
		double d = v.type == MMDB_DATA_TYPE_DOUBLE ? v.double_value
		                                           : (double)v.float_value;
		if (!isfinite(d))
			return false;
		nw_buf_printf(b, ",\"%s\":%.10g", name, d);
		return true;
	}
	case MMDB_DATA_TYPE_UINT16:
		nw_buf_printf(b, ",\"%s\":%u", name, (unsigned)v.uint16);
		return true;
	case MMDB_DATA_TYPE_UINT32:
		nw_buf_printf(b, ",\"%s\":%u", name, (unsigned)v.uint32);
		return true;
	default:
		return false;
	}
}

/* The entry of a in db, or false when the database does not hold it. */
static bool enr_mmdb_find(const MMDB_s *db, ipset_addr a, MMDB_entry_s *ent)
{
	struct sockaddr_storage ss;
	int mmerr;
	MMDB_lookup_result_s r = MMDB_lookup_sockaddr(db, enr_sockaddr(a, &ss),
	                                              &mmerr);

	if (mmerr != MMDB_SUCCESS || !r.found_entry)
		return false;
	*ent = r.entry;
	return true;
}

/* country, city, lat, lon (GeoLite2-City, DB-IP lite city layout). */
static void enr_add_geo(struct enr_event *e, ipset_addr a, struct nw_buf *b,
                        struct enr_counts *c)
{
	static const char *const country[] = { "country", "iso_code", NULL };
	static const char *const city[] = { "city", "names", "en", NULL };
	static const char *const lat[] = { "location", "latitude", NULL };
	static const char *const lon[] = { "location", "longitude", NULL };
	MMDB_entry_s ent;
	bool hit = false;

	if (!e->d->have_geo || !enr_mmdb_find(&e->d->geo, a, &ent))
		return;
	hit |= enr_mmdb_add(b, "country", &ent, country);
	hit |= enr_mmdb_add(b, "city", &ent, city);
	hit |= enr_mmdb_add(b, "lat", &ent, lat);
	hit |= enr_mmdb_add(b, "lon", &ent, lon);
	c->geo += hit;
}

/* asn, as_org (GeoLite2-ASN, DB-IP lite ASN layout). */
static void enr_add_asn(struct enr_event *e, ipset_addr a, struct nw_buf *b,
                        struct enr_counts *c)
{
	static const char *const asn[] = { "autonomous_system_number", NULL };
	static const char *const org[] = { "autonomous_system_organization", NULL };
	MMDB_entry_s ent;
	bool hit = false;

	if (!e->d->have_asn || !enr_mmdb_find(&e->d->asn, a, &ent))
		return;
	hit |= enr_mmdb_add(b, "asn", &ent, asn);
	hit |= enr_mmdb_add(b, "as_org", &ent, org);
	c->asn += hit;
}

/* ,"lists":[names] when a is on any list. */
static void enr_add_lists(struct enr_event *e, ipset_addr a, struct nw_buf *b,
                          struct enr_counts *c)
{
	int on = 0;

	for (int i = 0; i < e->d->nlist; i++) {
		if (ipset_find(&e->d->list[i], a) < 0)
			continue;
		nw_buf_adds(b, on++ ? "," : ",\"lists\":[");
		nw_buf_add_jstr(b, e->src->list_name[i], strlen(e->src->list_name[i]));
	}
	if (on) {
		nw_buf_addc(b, ']');
		c->list++;
	}
}

static void enr_add_str(struct nw_buf *b, const char *name, const char *v)
{
	if (v == NULL)
		return;
	enr_add_name(b, name);
	nw_buf_add_jstr(b, v, strlen(v));
}

static void enr_add_ident(struct enr_event *e, ipset_addr a, struct nw_buf *b,
                          struct enr_counts *c)
{
	const struct enr_who *w;

	if (!e->d->have_ident || (w = enr_ident_find(&e->d->ident, a)) == NULL)
		return;
	enr_add_str(b, "host", w->host);
	enr_add_str(b, "user", w->user);
	enr_add_str(b, "owner", w->owner);
	enr_add_str(b, "team", w->team);
	c->identity++;
}

/* "<field>_info":{…} for field i's address a. */
static void enr_add_info(struct enr_event *e, int i, ipset_addr a,
                         struct nw_buf *b, struct enr_counts *c)
{
	const char *scope = enr_scope(a);

	nw_buf_add(b, e->key[i].p, e->key[i].len);
	nw_buf_adds(b, "{\"scope\":\"");
	nw_buf_adds(b, scope ? scope : "public");
	nw_buf_addc(b, '"');
	if (scope == NULL) {
		enr_add_geo(e, a, b, c);
		enr_add_asn(e, a, b, c);
	} else {
		c->scoped++;
	}
	enr_add_lists(e, a, b, c);
	enr_add_ident(e, a, b, c);
	if (scope == NULL)
		e->look[e->nlook++] = (struct enr_look){ i, b->len, a };
	nw_buf_addc(b, '}');
	c->fields++;
}

const char *enr_event(struct enr_event *e, const char *line, size_t n,
                      struct nw_buf *out, struct enr_counts *c)
{
	enum jscan_res r;
	const char *close = line + n;
	bool empty;

	e->nlook = 0;
	if (n > e->scratch_cap) {
		free(e->scratch);
		e->scratch_cap = n;
		e->scratch = nw_xcalloc(1, n);
	}
	r = jscan_scan(&e->paths, line, n, e->vals, e->scratch);
	if (r != JSCAN_OK)
		return jscan_strerror(r);
	if (e->vals[0].type != JSCAN_OBJ)
		return "not a JSON object";
	for (int i = 0; i < e->nfield; i++)
		if (e->vals[2 * i + 2].type != JSCAN_NONE) {
			snprintf(e->why, sizeof e->why, "%s_info is already there "
			         "(enriched twice?)", e->field[i]);
			return e->why;
		}
	while (close[-1] != '}')                /* valid object: a '}' ends it */
		close--;
	close--;
	empty = jscan_ws(line, close)[0] == '{' &&
	        jscan_ws(jscan_ws(line, close) + 1, close) == close;
	nw_buf_add(out, line, (size_t)(close - line));
	for (int i = 0; i < e->nfield; i++) {
		const struct jscan_val *v = &e->vals[2 * i + 1];
		ipset_addr a;
		if (v->type == JSCAN_NONE)
			continue;
		if (v->type != JSCAN_STR || !ipset_parse_addr(v->p, v->n, &a)) {
			c->not_ip++;
			continue;
		}
		if (!empty)
			nw_buf_addc(out, ',');
		empty = false;
		enr_add_info(e, i, a, out, c);
	}
	nw_buf_add(out, close, (size_t)(line + n - close));
	c->events++;
	return NULL;
}
