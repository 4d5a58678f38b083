/* test_enrich.c - enrich's pieces without databases: scopes, the identity
 * parser (CSV with quotes and any column order, JSON lines, errors with
 * file:line), lists, and events: members kept, the _info members added
 * before the closing brace, dead-letter reasons. */
#include <stdlib.h>
#include "t.h"
#include "enr.h"

static ipset_addr addr(const char *s)
{
	ipset_addr a = 0;
	if (!ipset_parse_addr(s, strlen(s), &a))
		abort();
	return a;
}

static const char *scope(const char *s)
{
	const char *r = enr_scope(addr(s));
	return r ? r : "public";
}

TEST(scopes)
{
	CHECK_STR(scope("10.255.0.1"), "private");
	CHECK_STR(scope("172.31.9.9"), "private");
	CHECK_STR(scope("172.32.0.1"), "public");
	CHECK_STR(scope("192.168.0.1"), "private");
	CHECK_STR(scope("127.0.0.1"), "loopback");
	CHECK_STR(scope("169.254.1.1"), "link-local");
	CHECK_STR(scope("100.64.0.1"), "shared");
	CHECK_STR(scope("224.0.0.251"), "multicast");
	CHECK_STR(scope("255.255.255.255"), "broadcast");
	CHECK_STR(scope("8.8.8.8"), "public");
	CHECK_STR(scope("::1"), "loopback");
	CHECK_STR(scope("::"), "unspecified");
	CHECK_STR(scope("fd12::1"), "private");
	CHECK_STR(scope("fe80::1"), "link-local");
	CHECK_STR(scope("ff02::1"), "multicast");
	CHECK_STR(scope("2001:4860::8888"), "public");
	CHECK_STR(scope("::ffff:10.0.0.1"), "private");
}

static const char *ident_err(const char *text)
{
	static char err[400];
	struct enr_ident id;

	if (enr_ident_parse(&id, text, strlen(text), "id", err, sizeof err) == 0) {
		enr_ident_free(&id);
		return "ok";
	}
	return err;
}

TEST(identity_csv)
{
	static const char text[] =
		"# who is who\n"
		"team, IP , user,extra,host\r\n"
		"\n"
		"infra,10.0.0.0/8,,x,\n"
		"\"a \"\"b\"\"\",10.1.2.3,alice,y,\"build,7\"\n"
		"lab,2001:db8::/32\n";
	struct enr_ident id;
	char err[300];
	const struct enr_who *w;

	CHECK_INT(enr_ident_parse(&id, text, strlen(text), "id.csv", err, sizeof err), 0);
	CHECK_INT(id.n, 3);
	w = enr_ident_find(&id, addr("10.1.2.3"));
	CHECK(w != NULL && w->line == 5);
	if (w) {
		CHECK_STR(w->team, "a \"b\"");
		CHECK_STR(w->user, "alice");
		CHECK_STR(w->host, "build,7");
		CHECK(w->owner == NULL);
	}
	w = enr_ident_find(&id, addr("10.1.2.4"));
	CHECK(w != NULL && w->user == NULL && w->host == NULL && strcmp(w->team, "infra") == 0);
	w = enr_ident_find(&id, addr("2001:db8::77"));
	CHECK(w != NULL && strcmp(w->team, "lab") == 0);
	CHECK(enr_ident_find(&id, addr("11.0.0.1")) == NULL);
	enr_ident_free(&id);
}

TEST(identity_json)
{
	static const char text[] =
		"{\"ip_or_cidr\":\"192.168.0.0/16\",\"owner\":\"office\",\"n\":[1]}\n"
		"{\"cidr\":\"192.168.1.20\",\"host\":\"pc\\u0032\"}\n";
	struct enr_ident id;
	char err[300];
	const struct enr_who *w;

	CHECK_INT(enr_ident_parse(&id, text, strlen(text), "id.jsonl", err, sizeof err), 0);
	w = enr_ident_find(&id, addr("192.168.1.20"));
	CHECK(w != NULL && strcmp(w->host, "pc2") == 0 && w->owner == NULL);
	w = enr_ident_find(&id, addr("192.168.7.1"));
	CHECK(w != NULL && strcmp(w->owner, "office") == 0);
	enr_ident_free(&id);
}

TEST(identity_errors)
{
	CHECK_STR(ident_err("host,user\n"), "id:1: the header names no ip_or_cidr column");
	CHECK_STR(ident_err("ip,host\n10.0.0.1,\"open\n"), "id:2: unterminated quote");
	CHECK_STR(ident_err("ip,host\n\n10.0.0.1/8,a\n"),
	          "id:3: '10.0.0.1/8' has host bits set (the network is 10.0.0.0/8)");
	CHECK_STR(ident_err("ip,host\n,a\n"), "id:2: no address");
	CHECK_STR(ident_err("ip,host\n10.0.0.1,a\n# c\n10.0.0.1,b\n"),
	          "id:4: 10.0.0.1/32 is also on line 2");
	CHECK_STR(ident_err("{\"ip\":\"10.0.0.1\",\"user\":7}\n"), "id:1: \"user\" is not a string");
	CHECK_STR(ident_err("{\"ip\":\"10.0.0.1\"}\n{\"ip\":\"10.0.0.2\",\n"), "id:2: invalid JSON");
	CHECK_STR(ident_err("{\"ip\":\"10.0.0.1\"}\n[1]\n"), "id:2: not a JSON object");
	CHECK_STR(ident_err(""), "ok");
}

/* A set of data with one list and an identity file, no databases. */
static void mkdata(struct enr_data *d, struct enr_src *src)
{
	static const char *names[] = { "bad" };
	static const char list[] = "; DROP\n198.51.100.0/24 ; SBL1\n2001:db8:bad::/48\n";
	static const char ident[] = "ip,user\n10.0.0.5,carol\n";
	char err[300];

	memset(d, 0, sizeof *d);
	*src = (struct enr_src){ .list_name = names, .nlist = 1 };
	d->list = calloc(1, sizeof *d->list);
	CHECK_INT(enr_list_parse(&d->list[0], list, strlen(list), "l", err, sizeof err), 0);
	d->nlist = 1;
	CHECK_INT(enr_ident_parse(&d->ident, ident, strlen(ident), "i", err, sizeof err), 0);
	d->have_ident = true;
}

static const char *run(struct enr_event *e, const char *line, struct nw_buf *b,
                       struct enr_counts *c)
{
	const char *why;

	nw_buf_reset(b);
	why = enr_event(e, line, strlen(line), b, c);
	if (why)
		return why;
	nw_buf_addc(b, '\0');
	return b->p;
}

TEST(events)
{
	static const char *const fields[] = { "src_ip", "dst_ip" };
	struct enr_data d;
	struct enr_src src;
	struct enr_event e;
	struct enr_counts c = { 0 };
	struct nw_buf b = { 0 };

	mkdata(&d, &src);
	enr_event_init(&e, fields, 2);
	e.d = &d;
	e.src = &src;
	CHECK_STR(run(&e, " { \"src_ip\" : \"10.0.0.5\", \"dst_ip\":\"198.51.100.9\" } ", &b, &c),
	          " { \"src_ip\" : \"10.0.0.5\", \"dst_ip\":\"198.51.100.9\" ,"
	          "\"src_ip_info\":{\"scope\":\"private\",\"user\":\"carol\"},"
	          "\"dst_ip_info\":{\"scope\":\"public\",\"lists\":[\"bad\"]}} ");
	CHECK_STR(run(&e, "{\"dst_ip\":\"2001:db8:bad::1\"}", &b, &c),
	          "{\"dst_ip\":\"2001:db8:bad::1\",\"dst_ip_info\":{\"scope\":\"public\",\"lists\":[\"bad\"]}}");
	CHECK_STR(run(&e, "{\"src_ip\":\"10.0.0.5:22\"}", &b, &c), "{\"src_ip\":\"10.0.0.5:22\"}");
	CHECK_STR(run(&e, "{ }", &b, &c), "{ }");
	CHECK_STR(run(&e, "{\"a\":{\"src_ip\":\"10.0.0.5\"}}", &b, &c), "{\"a\":{\"src_ip\":\"10.0.0.5\"}}");
	CHECK_STR(run(&e, "{\"a\":1,\"a\":2}", &b, &c), "invalid JSON: duplicate key");
	CHECK_STR(run(&e, "\"x\"", &b, &c), "not a JSON object");
	CHECK_STR(run(&e, "{\"dst_ip_info\":null}", &b, &c), "dst_ip_info is already there (enriched twice?)");
	CHECK_STR(run(&e, "{\"src_ip\":", &b, &c), "invalid JSON");
	CHECK_INT(c.events, 5);
	CHECK_INT(c.fields, 3);
	CHECK_INT(c.list, 2);
	CHECK_INT(c.identity, 1);
	CHECK_INT(c.scoped, 1);
	CHECK_INT(c.not_ip, 1);
	nw_buf_free(&b);
	enr_event_free(&e);
	enr_data_free(&d);
}

/* A field name that needs escaping still gives valid JSON. */
TEST(odd_field_name)
{
	static const char *const fields[] = { "a\"b" };
	struct enr_data d = { 0 };
	struct enr_src src = { 0 };
	struct enr_event e;
	struct enr_counts c = { 0 };
	struct nw_buf b = { 0 };

	enr_event_init(&e, fields, 1);
	e.d = &d;
	e.src = &src;
	CHECK_STR(run(&e, "{\"a\\\"b\":\"127.0.0.1\"}", &b, &c),
	          "{\"a\\\"b\":\"127.0.0.1\",\"a\\\"b_info\":{\"scope\":\"loopback\"}}");
	nw_buf_free(&b);
	enr_event_free(&e);
}

int main(void)
{
	RUN(scopes);
	RUN(identity_csv);
	RUN(identity_json);
	RUN(identity_errors);
	RUN(events);
	RUN(odd_field_name);
	enr_scope_free();
	return t_done();
}
