/* test_detect_incident.c - detect --incidents: one firing alert per
 * incident, --for, the resolution after --resolve-after with its start,
 * end, duration and peak, a new incident after a resolution, ids that are
 * functions of the input, snapshots that restore the same future, and a
 * partition's part taken over by another table (a chain that died). */
#include <jansson.h>
#include <stdlib.h>
#include "t.h"
#include "dpart.h"
#include "incident.h"

static struct nw_buf got;          /* every emitted line, one per line */
static int nemit;

static void cap(const char *line, size_t n)
{
	nw_buf_add(&got, line, n);
	nw_buf_addc(&got, '\n');
	nemit++;
}

static struct rule ru = { .name = "port_scan", .metric = "distinct_dst_port",
                          .severity = SEV_WARNING };

/* A match of ru for key at window_end end (60 s windows), value v. */
static void match(struct inc_table *t, const char *key, int64_t end, double v)
{
	struct rec r = { .key_field = "src_ip", .kflen = 6, .key = key,
	                 .klen = strlen(key), .window_start = end - 60000,
	                 .window_end = end };
	char line[256];
	struct rule_match m = { &ru, &r, NULL, v,
		rule_alert_id(ru.name, key, strlen(key), end) };
	int n = snprintf(line, sizeof line, "{\"type\":\"alert\",\"alert_id\":"
	                 "\"%016llx\",\"rule\":\"port_scan\",\"key\":\"%s\","
	                 "\"window_end\":%lld}", (unsigned long long)m.alert_id,
	                 key, (long long)end);
	inc_advance(t, end, dpart_current(), cap);
	inc_match(t, &m, line, (size_t)n, cap);
}

/* Line i of what was emitted, parsed. */
static json_t *line_at(int i)
{
	const char *p = got.p ? got.p : "";
	for (; i > 0 && p; i--)
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	return p ? json_loadb(p, strcspn(p, "\n"), JSON_REJECT_DUPLICATES, NULL) : NULL;
}

static const char *s(json_t *j, const char *k)
{
	return json_string_value(json_object_get(j, k));
}

TEST(one_alert_per_incident_then_resolved)
{
	struct inc_table t;
	json_t *a, *r;

	nw_buf_reset(&got);
	nemit = 0;
	inc_init(&t, 0, 30000);
	match(&t, "10.0.0.1", 60000, 25);
	match(&t, "10.0.0.1", 70000, 40);          /* still open: nothing */
	match(&t, "10.0.0.1", 80000, 31);
	CHECK_INT(nemit, 1);
	inc_advance(&t, 100000, 0, cap);              /* 20 s quiet: still open */
	CHECK_INT(nemit, 1);
	inc_advance(&t, 110000, 0, cap);              /* 30 s: resolved */
	CHECK_INT(nemit, 2);
	a = line_at(0);
	r = line_at(1);
	CHECK_STR(s(a, "status"), "firing");
	CHECK_STR(s(a, "incident_id"), s(a, "alert_id"));
	CHECK_INT(json_integer_value(json_object_get(a, "incident_start")), 0);
	CHECK_STR(s(r, "status"), "resolved");
	CHECK_STR(s(r, "incident_id"), s(a, "incident_id"));
	CHECK(strcmp(s(r, "alert_id"), s(a, "alert_id")) != 0);
	CHECK_INT(json_integer_value(json_object_get(r, "incident_start")), 0);
	CHECK_INT(json_integer_value(json_object_get(r, "incident_end")), 80000);
	CHECK_INT(json_integer_value(json_object_get(r, "duration_s")), 80);
	CHECK_INT(json_integer_value(json_object_get(r, "peak")), 40);
	CHECK_STR(s(r, "message"),
	          "RESOLVED: port_scan src_ip=10.0.0.1 after 80s (peak distinct_dst_port 40)");
	CHECK_INT(t.opened, 1);
	CHECK_INT(t.resolved, 1);
	CHECK_INT(t.n, 0);                         /* nothing kept after */
	json_decref(a);
	json_decref(r);
	/* The condition again: a new incident, a new id. */
	match(&t, "10.0.0.1", 200000, 22);
	CHECK_INT(nemit, 3);
	a = line_at(2);
	CHECK_STR(s(a, "status"), "firing");
	json_decref(a);
	inc_free(&t);
}

TEST(for_holds_the_alert_back)
{
	struct inc_table t;

	nw_buf_reset(&got);
	nemit = 0;
	inc_init(&t, 20000, 30000);
	match(&t, "k", 60000, 21);
	match(&t, "k", 70000, 21);
	CHECK_INT(nemit, 0);                       /* held for 10 s < 20 s */
	match(&t, "k", 80000, 21);
	CHECK_INT(nemit, 1);
	json_t *a = line_at(0);
	CHECK_INT(json_integer_value(json_object_get(a, "incident_start")), 0);
	json_decref(a);
	/* A streak that breaks off before --for never alerts. */
	match(&t, "j", 60000, 21);
	inc_advance(&t, 200000, 0, cap);              /* k resolves, j is dropped */
	CHECK_INT(nemit, 2);
	match(&t, "j", 210000, 21);
	CHECK_INT(nemit, 2);
	inc_free(&t);
}

/* Save in the middle, restore into a fresh table: the same future. */
TEST(snapshot_restores_the_same_future)
{
	struct inc_table t, u;
	struct nw_buf snap = { 0 }, before = { 0 };

	nw_buf_reset(&got);
	nemit = 0;
	inc_init(&t, 0, 30000);
	match(&t, "10.0.0.1", 60000, 25);
	match(&t, "10.0.0.2", 60000, 99);
	inc_save(&t, DPART_ALL, &snap);
	match(&t, "10.0.0.1", 70000, 50);
	inc_advance(&t, 120000, 0, cap);
	nw_buf_add(&before, got.p, got.len);
	CHECK_INT(nemit, 4);

	nw_buf_reset(&got);
	nemit = 0;
	inc_init(&u, 0, 30000);
	CHECK_INT(inc_load(&u, snap.p, snap.len), 0);
	CHECK_INT(u.n, 2);
	match(&u, "10.0.0.1", 70000, 50);
	inc_advance(&u, 120000, 0, cap);
	CHECK_INT(nemit, 2);                       /* the two resolutions */
	/* ... byte for byte the ones the first table wrote after the save */
	CHECK(before.p && got.p && strstr(before.p, got.p) != NULL);
	CHECK_INT(inc_load(&u, "x\n[", 3), -1);
	CHECK_INT(u.n, 0);
	nw_buf_free(&snap);
	nw_buf_free(&before);
	inc_free(&t);
	inc_free(&u);
}

/* The dead chain's table opens an incident in partition 1 and one in 2;
 * the survivor, minutes ahead in its own partition, adopts partition 1's
 * part: the incident stays open while the survivor's own time moves, and
 * resolves on partition 1's records, under the dead chain's id. */
TEST(partition_part_taken_over)
{
	uint32_t p1 = dpart_intern("nw", 2, 1), p2 = dpart_intern("nw", 2, 2);
	struct inc_table t, u, w;
	struct nw_buf part = { 0 }, all = { 0 };
	json_t *a;
	char opened[17];

	nw_buf_reset(&got);
	nemit = 0;
	inc_init(&t, 0, 30000);
	dpart_set_current(p1);
	match(&t, "10.0.0.1", 60000, 25);
	a = line_at(0);
	snprintf(opened, sizeof opened, "%s", s(a, "incident_id"));
	json_decref(a);
	dpart_set_current(p2);
	match(&t, "10.0.0.2", 60000, 30);
	inc_save(&t, p1, &part);
	CHECK(strstr(part.p, "10.0.0.1") != NULL);
	CHECK(strstr(part.p, "10.0.0.2") == NULL);

	inc_init(&u, 0, 30000);
	match(&u, "10.0.0.9", 600000, 40);          /* the survivor's own */
	CHECK_INT(inc_adopt(&u, p1, "x\n[", 3), -1);
	CHECK_INT(u.n, 1);
	CHECK_INT(inc_adopt(&u, p1, part.p, part.len), 0);
	CHECK_INT(u.n, 2);
	nw_buf_reset(&got);
	nemit = 0;
	inc_advance(&u, 700000, p2, cap);             /* 10.0.0.9 resolves */
	CHECK_INT(nemit, 1);
	CHECK_INT(u.n, 1);                            /* the adopted one waits */

	dpart_set_current(p1);
	match(&u, "10.0.0.1", 70000, 50);             /* still open: no alert */
	CHECK_INT(nemit, 1);
	inc_save(&u, DPART_ALL, &all);
	inc_advance(&u, 120000, p1, cap);
	CHECK_INT(nemit, 2);
	a = line_at(1);
	CHECK_STR(s(a, "status"), "resolved");
	CHECK_STR(s(a, "incident_id"), opened);
	json_decref(a);

	/* the side and its time come back from a snapshot */
	inc_init(&w, 0, 30000);
	CHECK_INT(inc_load(&w, all.p, all.len), 0);
	CHECK_INT(w.nsides, 1);
	CHECK_INT(w.n, 1);
	inc_advance(&w, 800000, p2, cap);             /* not its time */
	CHECK_INT(w.n, 1);
	/* taken over without a part: its entries stay, and wait for its time */
	inc_set_side(&t, p2);
	inc_advance(&t, 900000, 0, cap);
	CHECK_INT(t.n, 1);                            /* 10.0.0.2, of p2 */
	inc_advance(&t, 900000, p2, cap);
	CHECK_INT(t.n, 0);
	dpart_set_current(0);
	nw_buf_free(&part);
	nw_buf_free(&all);
	inc_free(&t);
	inc_free(&u);
	inc_free(&w);
}

int main(void)
{
	RUN(one_alert_per_incident_then_resolved);
	RUN(for_holds_the_alert_back);
	RUN(snapshot_restores_the_same_future);
	RUN(partition_part_taken_over);
	nw_buf_free(&got);
	dpart_free();
	return t_done();
}
