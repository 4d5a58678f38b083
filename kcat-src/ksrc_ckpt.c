/* ksrc_ckpt.c - kcat-src's part of the barrier checkpoints
 * (docs/recovery.md): pick the restore point and write the restore line at
 * start (and again on a rewind in place), seek partitions to its offsets,
 * emit barriers, and follow the completed marker to commit and to prune.
 *
 * Barriers come every interval, except after a restore line: then the
 * first comes after RAMP_FIRST_MS and the gap doubles up to the interval,
 * so a chain restarted every few seconds still completes barriers and
 * each restart replays only a little (docs/recovery.md, "Frequent
 * failures").
 *
 * Offsets travel as rd_kafka_topic_partition_list_t, so the consumer keeps
 * its partition table to itself. */
#include "ksrc.h"
#include "ckpt.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define KSRC_CKPT_STAGE "kcat-src"
#define RAMP_FIRST_MS 250         /* first barrier after a restore line */

struct ksrc_ckpt {
	const char *dir;
	int64_t interval_ms;
	int64_t next_due;                 /* monotonic ms of the next barrier */
	int64_t gap_ms;                   /* the gap before the one after it */
	uint64_t restored;                /* restore point, 0: none */
	rd_kafka_topic_partition_list_t *start;  /* its offsets, NULL: none */
	uint64_t next_id;                 /* id of the next barrier */
	uint64_t first_id;                /* first barrier after the restore line */
	uint64_t done;                    /* newest completed id acted on */
	uint64_t prune_below;             /* a completed id of our own barriers */
	uint64_t barriers;                /* counter (stats) */
};

/* {"offsets":[{"topic":…,"partition":…,"next":…},…]} or the same list
 * inside a barrier: the one JSON shape of both. */
static void offsets_json(struct nw_buf *b,
                         const rd_kafka_topic_partition_list_t *l)
{
	nw_buf_adds(b, "\"offsets\":[");
	for (int i = 0; i < l->cnt; i++) {
		const rd_kafka_topic_partition_t *e = &l->elems[i];
		nw_buf_adds(b, i ? ",{\"topic\":" : "{\"topic\":");
		nw_buf_add_jstr(b, e->topic, strlen(e->topic));
		nw_buf_printf(b, ",\"partition\":%d,\"next\":%lld}",
		              (int)e->partition, (long long)e->offset);
	}
	nw_buf_addc(b, ']');
}

static rd_kafka_topic_partition_list_t *offsets_parse(const char *s,
                                                      size_t n)
{
	json_t *root = json_loadb(s, n, 0, NULL), *arr, *e;
	rd_kafka_topic_partition_list_t *l = NULL;
	size_t i;

	arr = json_object_get(root, "offsets");
	if (!json_is_array(arr))
		goto out;
	l = rd_kafka_topic_partition_list_new((int)json_array_size(arr));
	json_array_foreach(arr, i, e) {
		const char *t = json_string_value(json_object_get(e, "topic"));
		json_t *p = json_object_get(e, "partition");
		json_t *o = json_object_get(e, "next");
		if (t == NULL || !json_is_integer(p) || !json_is_integer(o) ||
		    json_integer_value(p) < 0 || json_integer_value(o) < 0) {
			rd_kafka_topic_partition_list_destroy(l);
			l = NULL;
			goto out;
		}
		rd_kafka_topic_partition_list_add(l, t,
			(int32_t)json_integer_value(p))->offset = json_integer_value(o);
	}
out:
	json_decref(root);
	return l;
}

/* The offsets kcat-src recorded for barrier id, NULL if unreadable. */
static rd_kafka_topic_partition_list_t *snap_offsets(const char *dir,
                                                     uint64_t id)
{
	rd_kafka_topic_partition_list_t *l = NULL;
	char *data;
	size_t len;

	if (nw_ckpt_load_id(dir, KSRC_CKPT_STAGE, id, &data, &len) == 1) {
		l = offsets_parse(data, len);
		if (l == NULL)
			LOG_WARN("checkpoint %llu of kcat-src holds no offsets",
			         (unsigned long long)id);
		free(data);
	}
	return l;
}

/* Choose the restore point and load its offsets (ck->start). */
static int pick_restore_point(struct ksrc_ckpt *ck)
{
	uint64_t rp = 0;

	if (nw_ckpt_restore_point(ck->dir, &rp) < 0)
		return -1;
	if (ck->start)
		rd_kafka_topic_partition_list_destroy(ck->start);
	ck->start = NULL;
	if (rp > 0 && (ck->start = snap_offsets(ck->dir, rp)) == NULL) {
		LOG_ERROR("restore point %llu has no usable kcat-src snapshot",
		          (unsigned long long)rp);
		return -1;
	}
	ck->restored = rp;
	if (rp > ck->done)
		ck->done = rp;
	return 0;
}

/* Write the restore line (every stateful stage downstream resets to
 * snapshot ck->restored, 0: to empty state) and start the barrier ramp. */
static void restore_line(struct ksrc_ckpt *ck)
{
	struct nw_buf line = { 0 };

	nw_ckpt_restore_line(&line, ck->restored);
	nw_out_line(line.p, line.len);
	nw_out_flush();
	nw_buf_free(&line);
	/* Pruning waits for a barrier written after this line. */
	ck->first_id = ck->next_id;
	ck->gap_ms = RAMP_FIRST_MS < ck->interval_ms ? RAMP_FIRST_MS : ck->interval_ms;
	ck->next_due = nw_mono_ms() + ck->gap_ms;
}

struct ksrc_ckpt *ksrc_ckpt_open(const char *dir, int64_t interval_ms)
{
	struct ksrc_ckpt *ck;

	if (dir == NULL)
		return NULL;
	ck = nw_xcalloc(1, sizeof *ck);
	ck->dir = dir;
	ck->interval_ms = interval_ms;
	if (pick_restore_point(ck) != 0) {
		ksrc_ckpt_free(ck);
		return NULL;
	}
	ck->next_id = nw_ckpt_max_id(dir) + 1;
	LOG_INFO("checkpoints dir=%s restore=%llu next_barrier=%llu", dir,
	         (unsigned long long)ck->restored, (unsigned long long)ck->next_id);
	/* The first line of the stream. */
	restore_line(ck);
	nw_stats_u64("barriers", &ck->barriers);
	return ck;
}

int ksrc_ckpt_rewind(struct ksrc_ckpt *ck)
{
	if (pick_restore_point(ck) != 0)
		return -1;
	LOG_INFO("rewinding to restore=%llu next_barrier=%llu",
	         (unsigned long long)ck->restored, (unsigned long long)ck->next_id);
	return 0;
}

void ksrc_ckpt_restore_line(struct ksrc_ckpt *ck)
{
	restore_line(ck);
}

void ksrc_ckpt_free(struct ksrc_ckpt *ck)
{
	if (ck == NULL)
		return;
	if (ck->start)
		rd_kafka_topic_partition_list_destroy(ck->start);
	free(ck);
}

int64_t ksrc_ckpt_seek_one(const struct ksrc_ckpt *ck, const char *topic,
                           int32_t partition)
{
	const rd_kafka_topic_partition_t *e;

	if (ck == NULL || ck->start == NULL)
		return -1;
	e = rd_kafka_topic_partition_list_find(ck->start, topic, partition);
	return e ? e->offset : -1;
}

bool ksrc_ckpt_due(const struct ksrc_ckpt *ck)
{
	return ck != NULL && nw_mono_ms() >= ck->next_due;
}

int ksrc_ckpt_barrier(struct ksrc_ckpt *ck,
                      const rd_kafka_topic_partition_list_t *pos)
{
	struct nw_buf snap = { 0 }, line = { 0 };
	uint64_t id = ck->next_id;
	int rc;

	ck->next_due = nw_mono_ms() + ck->gap_ms;
	ck->gap_ms = ck->gap_ms * 2 < ck->interval_ms ? ck->gap_ms * 2 : ck->interval_ms;
	nw_buf_addc(&snap, '{');
	offsets_json(&snap, pos);
	nw_buf_addc(&snap, '}');
	/* Snapshot first: a barrier that completes always has it on disk. */
	rc = nw_ckpt_write(ck->dir, KSRC_CKPT_STAGE, id, snap.p, snap.len);
	if (rc == 0) {
		nw_buf_printf(&line, "{\"@ctl\":{\"type\":\"barrier\",\"id\":%llu,",
		              (unsigned long long)id);
		offsets_json(&line, pos);
		nw_buf_adds(&line, "}}");
		nw_out_line(line.p, line.len);
		ck->next_id++;
		ck->barriers++;
		LOG_DEBUG("barrier id=%llu partitions=%d", (unsigned long long)id,
		          pos->cnt);
	}
	nw_buf_free(&snap);
	nw_buf_free(&line);
	return rc;
}

rd_kafka_topic_partition_list_t *ksrc_ckpt_completed(struct ksrc_ckpt *ck)
{
	uint64_t id;

	if (ck == NULL || nw_ckpt_completed(ck->dir, &id) != 1 ||
	    id <= ck->done)
		return NULL;
	ck->done = id;
	/* Prune only below a barrier of our own that completed: it passed
	 * every stage after our restore line, so no stage can still be asked
	 * to load anything older.  One completed set is kept below the newest
	 * as a fallback. */
	if (id >= ck->first_id) {
		if (ck->prune_below > 0)
			nw_ckpt_prune(ck->dir, NULL, ck->prune_below);
		ck->prune_below = id;
	}
	LOG_DEBUG("barrier completed id=%llu", (unsigned long long)id);
	return snap_offsets(ck->dir, id);
}

uint64_t ksrc_ckpt_done_id(const struct ksrc_ckpt *ck)
{
	return ck ? ck->done : 0;
}

const char *ksrc_ckpt_dir(const struct ksrc_ckpt *ck)
{
	return ck ? ck->dir : NULL;
}
