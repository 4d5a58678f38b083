/* ksrc_consume.c - the consumer: Kafka messages -> one payload per line.
 *
 * Two ways in, one way out.  Static mode (no -G) starts a fetcher per
 * partition on one queue and takes messages in batches; group mode (-G)
 * polls the balanced consumer one message at a time, so a rebalance
 * callback always sees exactly what has been written.  Both hand each
 * message to msg_handle(), which writes it (or dead-letters it) and moves
 * the partition's "next offset written".  After a batch, stdout is flushed
 * and "next written" becomes "next flushed"; only flushed offsets are ever
 * committed (at-least-once).
 *
 * The per-partition table is also what a checkpoint needs: a barrier
 * control line is the list of (topic, partition, next_flushed) taken
 * between two batches, and a restore is a list of start offsets given to
 * static_start().  A rewind in place (SIGUSR1 from the supervisor,
 * ksrc_rewind.c) seeks every owned partition back to the restore point, or
 * to where it started in this process when the restore point does not
 * name it, without leaving the group.
 *
 * Partition markers (on unless --no-partition-markers): before a message
 * whose (topic, partition) differs from the last one written, a control
 * line {"@ctl":{"type":"partition","topic":T,"partition":N}}, so window
 * can keep a watermark per partition (docs/contracts.md); one line per
 * run of messages of one partition, which a fetch makes thousands long.
 * An assignment (static mode: the start) writes {"@ctl":{"type":"assign",
 * "partitions":[{"topic":T,"partition":N},…]}} before any message of
 * them, so window knows which partitions to wait for; a revocation writes
 * {"@ctl":{"type":"revoke","partitions":[…]}} once what was written of
 * them is flushed.  After either, or a seek, the next message announces
 * its partition again.
 *
 * Takeover (docs/recovery.md): with -G, checkpoints and a state Redis
 * (ksrc_share.c), every completed barrier publishes, for each partition we
 * own, its next offset and window's part of it; a partition assigned to
 * us that neither this process nor our restore point has a position for
 * starts at its published offset, announced by an adopt line (before the
 * assign line) that hands window the part.
 */
#include "ksrc.h"
#include "ckpt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kpart {
	bool known;              /* partition exists in our table */
	bool assigned;           /* we own it now: its messages are written */
	bool eof;                /* at the end, no message since */
	int64_t next_written;    /* offset after the last message handled, -1 */
	int64_t next_flushed;    /* the same, once stdout was flushed */
	int64_t committed;       /* last offset committed (group mode), -1 */
	int64_t next_done;       /* next of the newest completed barrier, -1 */
	int64_t skip_before_ts;  /* -o @ts fallback: drop older ones, -1 off */
	int64_t origin;          /* where it started here without a restore
	                          * point (maybe logical): a rewind's fallback */
};

struct ktopic {
	const char *name;
	rd_kafka_topic_t *rkt;   /* static mode: our handle; group: NULL */
	struct kpart *p;         /* indexed by partition id */
	int32_t np;
};

struct ksrc {
	struct ksrc_conf *c;
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;     /* static mode: every fetcher feeds it */
	struct ktopic t[KSRC_MAX_TOPICS];
	const rd_kafka_topic_t *last_rkt;
	int last_t;
	rd_kafka_message_t **msgs;
	struct nw_dlq dlq;
	bool done;               /* -c reached or -e satisfied */
	int64_t next_commit;
	struct ksrc_ckpt *ck;    /* barrier checkpoints, NULL: off */
	int mark_t;              /* partition last announced, -1: none */
	int32_t mark_p;
	struct nw_buf mark;      /* scratch for marker lines */
	struct ksrc_share *sh;   /* state Redis for takeover, NULL: off */
	struct nw_buf adopt;     /* adopt lines waiting for the assign line */
	/* counters (stats) */
	uint64_t messages, bytes, dead_letters, null_payloads, consumed;
	uint64_t skipped_by_time, errors;
	int exit_status;         /* set when leaving the loop for a status */
};

/* ---- the partition table --------------------------------------------- */

static struct kpart *part_get(struct ksrc *k, int ti, int32_t partition)
{
	struct ktopic *t = &k->t[ti];

	if (partition < 0)
		return NULL;
	if (partition >= t->np) {
		int32_t np = partition + 1;
		struct kpart *p = nw_xreallocarray(t->p, (size_t)np, sizeof *p);
		memset(p + t->np, 0, (size_t)(np - t->np) * sizeof *p);
		t->p = p;
		t->np = np;
	}
	struct kpart *kp = &t->p[partition];
	if (!kp->known) {
		kp->known = true;
		kp->next_written = kp->next_flushed = kp->committed = -1;
		kp->next_done = -1;
		kp->skip_before_ts = -1;
		kp->origin = RD_KAFKA_OFFSET_INVALID;
	}
	return kp;
}

static int topic_index(struct ksrc *k, const char *name)
{
	for (int i = 0; i < k->c->ntopics; i++)
		if (strcmp(k->t[i].name, name) == 0)
			return i;
	return -1;
}

/* The topic of a message, cached on its handle: batches mostly come from
 * the same topic, so this is one pointer compare per message. */
static struct kpart *msg_part(struct ksrc *k, const rd_kafka_message_t *m,
                              int *ti)
{
	if (m->rkt != k->last_rkt) {
		int i = topic_index(k, rd_kafka_topic_name(m->rkt));
		if (i < 0)
			return NULL;
		k->last_rkt = m->rkt;
		k->last_t = i;
	}
	*ti = k->last_t;
	if (m->partition < 0 || m->partition >= k->t[*ti].np)
		return NULL;
	struct kpart *kp = &k->t[*ti].p[m->partition];
	return kp->known ? kp : NULL;
}

#define FOREACH_PART(k, ti, pi, kp) \
	for (int ti = 0; ti < (k)->c->ntopics; ti++) \
		for (int32_t pi = 0; pi < (k)->t[ti].np; pi++) \
			for (struct kpart *kp = &(k)->t[ti].p[pi]; kp; kp = NULL) \
				if (kp->known)

/* -e: done once every partition we own sits at its end. */
static void check_all_eof(struct ksrc *k)
{
	int owned = 0;

	FOREACH_PART(k, ti, pi, kp) {
		if (!kp->assigned)
			continue;
		if (!kp->eof)
			return;
		owned++;
	}
	if (owned > 0) {
		LOG_INFO("every partition at its end (-e)");
		k->done = true;
	}
}

/* Flush stdout and the dead-letter file: only now are the offsets handled
 * so far safe to commit. */
static void flush_outputs(struct ksrc *k)
{
	nw_out_flush();
	FOREACH_PART(k, ti, pi, kp)
		kp->next_flushed = kp->next_written;
}

/* ---- partition markers ------------------------------------------------- */

/* The next message announces its partition whatever the last one was. */
static void mark_forget(struct ksrc *k)
{
	k->mark_t = -1;
}

static void mark_add_part(struct nw_buf *b, const char *topic, int32_t p)
{
	nw_buf_adds(b, "\"topic\":");
	nw_buf_add_jstr(b, topic, strlen(topic));
	nw_buf_printf(b, ",\"partition\":%d", (int)p);
}

/* Before a message of (ti, p): the partition line when it changes. */
static void mark_partition(struct ksrc *k, int ti, int32_t p)
{
	if (k->c->no_markers || (k->mark_t == ti && k->mark_p == p))
		return;
	nw_buf_reset(&k->mark);
	nw_buf_adds(&k->mark, "{\"@ctl\":{\"type\":\"partition\",");
	mark_add_part(&k->mark, k->t[ti].name, p);
	nw_buf_adds(&k->mark, "}}");
	nw_out_line(k->mark.p, k->mark.len);
	k->mark_t = ti;
	k->mark_p = p;
}

/* The partitions of an assignment join window's watermark, those of a
 * revocation leave it (type "assign" or "revoke"). */
static void mark_list(struct ksrc *k, const char *type,
                      const rd_kafka_topic_partition_list_t *l)
{
	mark_forget(k);
	if (k->c->no_markers || l->cnt == 0)
		return;
	nw_buf_reset(&k->mark);
	nw_buf_printf(&k->mark, "{\"@ctl\":{\"type\":\"%s\",\"partitions\":[",
	              type);
	for (int i = 0; i < l->cnt; i++) {
		nw_buf_adds(&k->mark, i ? ",{" : "{");
		mark_add_part(&k->mark, l->elems[i].topic, l->elems[i].partition);
		nw_buf_addc(&k->mark, '}');
	}
	nw_buf_adds(&k->mark, "]}}");
	nw_out_line(k->mark.p, k->mark.len);
	nw_out_flush();
}

/* ---- takeover (ksrc_share.c) ------------------------------------------- */

/* Write a stage's part to DIR/adopt-<stage>.<partition>.<topic>
 * (temporary file, rename); the path, or NULL when it could not be
 * written (logged). */
static char *adopt_file(struct ksrc *k, const char *stage, const char *topic,
                        int32_t p, const char *data, size_t len)
{
	const char *dir = ksrc_ckpt_dir(k->ck);
	char *path = NULL, *tmp = NULL;
	FILE *f;

	if (asprintf(&path, "%s/adopt-%s.%d.%s", dir, stage, (int)p, topic) < 0 ||
	    asprintf(&tmp, "%s/.adopt-%s.%d.%s.tmp", dir, stage, (int)p, topic) < 0)
		nw_oom(0);
	bool ok = (f = fopen(tmp, "w")) != NULL && fwrite(data, 1, len, f) == len;
	if (f != NULL && fclose(f) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0) {
		LOG_WARN("cannot write %s: %s: the partition starts with empty %s "
		         "state", path, strerror(errno), stage);
		free(path);
		path = NULL;
	}
	free(tmp);
	return path;
}

/* The partition's published entry: its next offset (-1: none, or Redis
 * away), and an adopt line waiting in k->adopt, naming the file of
 * window's part ("state"), of detect's ("detect") and of a repartitioning
 * chain's producer snapshot ("producer"). */
static int64_t adopt_entry(struct ksrc *k, const char *topic, int32_t p)
{
	struct ksrc_entry en;
	int64_t next;

	if (ksrc_share_get(k->sh, topic, p, &en) != 1)
		return -1;
	nw_buf_adds(&k->adopt, "{\"@ctl\":{\"type\":\"adopt\",");
	mark_add_part(&k->adopt, topic, p);
	nw_buf_printf(&k->adopt, ",\"barrier\":%llu,\"next\":%lld",
	              (unsigned long long)en.barrier, (long long)en.next);
	for (int i = 0; i < KSRC_SHARE_NSTAGES; i++) {
		char *path = en.len[i] == 0 ? NULL :
		             adopt_file(k, ksrc_share_stage[i], topic, p, en.state[i],
		                        en.len[i]);
		if (path == NULL)
			continue;
		nw_buf_printf(&k->adopt, ",\"%s\":", ksrc_share_field[i]);
		nw_buf_add_jstr(&k->adopt, path, strlen(path));
		free(path);
	}
	nw_buf_adds(&k->adopt, "}}\n");
	LOG_INFO("taking over topic=%s partition=%d offset=%lld window_bytes=%zu "
	         "detect_bytes=%zu producer_bytes=%zu (barrier %llu of its last "
	         "owner)", topic, (int)p, (long long)en.next,
	         en.len[KSRC_SHARE_WINDOW], en.len[KSRC_SHARE_DETECT],
	         en.len[KSRC_SHARE_PRODUCER], (unsigned long long)en.barrier);
	next = en.next;
	ksrc_entry_free(&en);
	return next;
}

/* The adopt lines, each before any message of its partition. */
static void adopt_flush(struct ksrc *k)
{
	size_t at = 0;

	while (at < k->adopt.len) {
		const char *nl = memchr(k->adopt.p + at, '\n', k->adopt.len - at);
		nw_out_line(k->adopt.p + at, (size_t)(nl - (k->adopt.p + at)));
		at = (size_t)(nl - k->adopt.p) + 1;
	}
	nw_buf_reset(&k->adopt);
}

/* A completed barrier: publish, for every partition it names that we
 * still own, its next offset and window's and detect's parts of it then
 * (a stage without a snapshot, or without parts, publishes none), and the
 * producer's snapshot whole (a repartitioning chain's: not split by
 * source partition, and a tag and an offset per output partition). */
static void share_publish(struct ksrc *k, const rd_kafka_topic_partition_list_t *l)
{
	uint64_t id = ksrc_ckpt_done_id(k->ck);
	char *data[KSRC_SHARE_NSTAGES] = { NULL };
	size_t len[KSRC_SHARE_NSTAGES] = { 0 };
	struct nw_part pt;

	for (int s = 0; s < KSRC_SHARE_NSTAGES; s++)
		if (nw_ckpt_load_id(ksrc_ckpt_dir(k->ck), ksrc_share_stage[s], id,
		                    &data[s], &len[s]) != 1)
			data[s] = NULL;
	for (int i = 0; i < l->cnt; i++) {
		const rd_kafka_topic_partition_t *e = &l->elems[i];
		const void *part[KSRC_SHARE_NSTAGES];
		size_t plen[KSRC_SHARE_NSTAGES];
		int ti = topic_index(k, e->topic);
		if (ti < 0 || e->partition >= k->t[ti].np ||
		    !k->t[ti].p[e->partition].assigned)
			continue;
		for (int s = 0; s < KSRC_SHARE_NSTAGES; s++) {
			bool whole = s == KSRC_SHARE_PRODUCER;
			bool found = data[s] != NULL &&
			             (whole || nw_parts_find(data[s], len[s], e->topic,
			                                     e->partition, &pt) == 1);
			part[s] = !found ? NULL : whole ? data[s] : pt.data;
			plen[s] = !found ? 0 : whole ? len[s] : pt.len;
		}
		ksrc_share_put(k->sh, e->topic, e->partition, id, e->offset, part,
		               plen);
	}
	for (int s = 0; s < KSRC_SHARE_NSTAGES; s++)
		free(data[s]);
}

/* ---- checkpoints (ksrc_ckpt.c) ---------------------------------------- */

/* Where each newly assigned partition starts: where this process left it
 * (its window still holds that state: a partition revoked and given back
 * in a rebalance); else the restore point's offset; else its entry in the
 * state Redis, taken over with window's part of it; else (kept as
 * librdkafka has it) the group's committed offset or -o.  A partition
 * placed here counts as written up to there, so a barrier before its
 * first message records the same. */
static void ckpt_seek(struct ksrc *k, rd_kafka_topic_partition_list_t *l)
{
	mark_forget(k);
	for (int i = 0; i < l->cnt; i++) {
		rd_kafka_topic_partition_t *e = &l->elems[i];
		int ti = topic_index(k, e->topic);
		if (ti < 0)
			continue;
		struct kpart *kp = part_get(k, ti, e->partition);
		const char *how = "continuing";
		int64_t off = kp->next_written;
		kp->origin = e->offset;
		if (k->sh)
			ksrc_share_claim(k->sh, e->topic, e->partition);
		if (off < 0) {
			how = "restoring";
			off = ksrc_ckpt_seek_one(k->ck, e->topic, e->partition);
		}
		if (off < 0 && k->sh) {
			how = "taking over";
			off = adopt_entry(k, e->topic, e->partition);
		}
		if (off < 0)
			continue;
		e->offset = off;
		kp->next_written = kp->next_flushed = off;
		kp->skip_before_ts = -1;
		LOG_INFO("%s topic=%s partition=%d offset=%lld", how, e->topic,
		         (int)e->partition, (long long)off);
	}
}

/* Every interval: flush, then our snapshot and the barrier line with the
 * next offset of every owned partition; and learn which barrier notify
 * completed, whose offsets are the only ones -G commits. */
static void ckpt_barrier(struct ksrc *k)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);

	flush_outputs(k);
	FOREACH_PART(k, ti, pi, kp)
		if (kp->assigned && kp->next_flushed >= 0)
			rd_kafka_topic_partition_list_add(l, k->t[ti].name, pi)->offset =
				kp->next_flushed;
	if (ksrc_ckpt_barrier(k->ck, l) != 0) {
		rd_kafka_topic_partition_list_destroy(l);
		ksrc_set_fatal("cannot write a checkpoint");
		return;
	}
	nw_out_flush();
	rd_kafka_topic_partition_list_destroy(l);
	if ((l = ksrc_ckpt_completed(k->ck)) == NULL)
		return;
	if (k->sh)
		share_publish(k, l);
	for (int i = 0; i < l->cnt; i++) {
		int ti = topic_index(k, l->elems[i].topic);
		if (ti >= 0)
			part_get(k, ti, l->elems[i].partition)->next_done =
				l->elems[i].offset;
	}
	rd_kafka_topic_partition_list_destroy(l);
}

/* ---- rewind in place ---------------------------------------------------- */

/* Where an owned partition goes back to: the restore point's offset, else
 * where it started in this process; a group partition that started from
 * the committed offset asks for it again (with checkpoints only completed
 * barriers are committed), else -o. */
static int64_t rewind_offset(struct ksrc *k, int ti, int32_t p,
                             const struct kpart *kp)
{
	int64_t off = ksrc_ckpt_seek_one(k->ck, k->t[ti].name, p);

	if (off < 0 && k->sh)
		off = adopt_entry(k, k->t[ti].name, p);
	if (off >= 0 || kp->origin >= 0 || kp->origin == RD_KAFKA_OFFSET_BEGINNING ||
	    kp->origin == RD_KAFKA_OFFSET_END || kp->origin <= RD_KAFKA_OFFSET_TAIL_BASE)
		return off >= 0 ? off : kp->origin;
	if (k->c->group) {
		rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
		rd_kafka_topic_partition_list_add(l, k->t[ti].name, p);
		if (rd_kafka_committed(k->rk, l, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
		    l->elems[0].offset >= 0)
			off = l->elems[0].offset;
		rd_kafka_topic_partition_list_destroy(l);
		if (off >= 0)
			return off;
	}
	return k->c->start == KSRC_START_END ? RD_KAFKA_OFFSET_END :
	       RD_KAFKA_OFFSET_BEGINNING;
}

/* The supervisor restarted the stages after us and asks us to go back to
 * the restore point instead of dying (SIGUSR1): drop the unwritten
 * output, seek every owned partition back, wait for the new reader and
 * start it like a fresh start would: restore line, then assign line.
 * Returns -1 when we should stop (a signal, an error). */
static int rewind_in_place(struct ksrc *k)
{
	const char *path = ksrc_rewind_path();
	rd_kafka_topic_partition_list_t *l;
	int rc = 0;

	ksrc_rewind_req = 0;
	if (k->ck == NULL || path == NULL) {
		LOG_WARN("rewind requested (SIGUSR1) without checkpoints or "
		         "NW_REOPEN_OUTPUT: ignored");
		return 0;
	}
	ksrc_out_detach();
	if (ksrc_ckpt_rewind(k->ck) != 0) {
		ksrc_set_fatal("cannot pick a restore point to rewind to");
		return -1;
	}
	l = rd_kafka_topic_partition_list_new(8);
	nw_buf_reset(&k->adopt);
	FOREACH_PART(k, ti, pi, kp) {
		if (!kp->assigned) {
			/* window goes back to the restore point: nothing of
			 * this process's reading of it is left to continue */
			kp->next_written = kp->next_flushed = -1;
			continue;
		}
		int64_t off = rewind_offset(k, ti, pi, kp);
		rd_kafka_topic_partition_list_add(l, k->t[ti].name, pi)->offset = off;
		kp->next_written = kp->next_flushed = off >= 0 ? off : -1;
		kp->eof = false;
		if (k->c->start == KSRC_START_TIME && off == RD_KAFKA_OFFSET_BEGINNING)
			kp->skip_before_ts = k->c->start_value;   /* as at start */
		LOG_INFO("rewinding topic=%s partition=%d offset=%lld", k->t[ti].name,
		         (int)pi, (long long)off);
	}
	if (l->cnt > 0) {
		rd_kafka_error_t *e = rd_kafka_seek_partitions(k->rk, l, 5000);
		if (e) {
			ksrc_set_fatal("cannot seek to the restore point: %s",
			               rd_kafka_error_string(e));
			rd_kafka_error_destroy(e);
			rc = -1;
		}
		for (int i = 0; rc == 0 && i < l->cnt; i++)
			if (l->elems[i].err) {
				ksrc_set_fatal("cannot seek topic=%s partition=%d: %s",
				               l->elems[i].topic, (int)l->elems[i].partition,
				               rd_kafka_err2str(l->elems[i].err));
				rc = -1;
			}
	}
	if (rc == 0 && ksrc_out_reattach(path) != 0)
		rc = -1;
	if (rc == 0) {
		ksrc_ckpt_restore_line(k->ck);
		adopt_flush(k);
		mark_list(k, "assign", l);
	}
	rd_kafka_topic_partition_list_destroy(l);
	return rc;
}

/* ---- commits (group mode) -------------------------------------------- */

/* Commit next_flushed of every owned partition that moved (or only those in
 * `only`).  Sync on revocation and exit, async otherwise. */
static void commit_flushed(struct ksrc *k, bool sync,
                           const rd_kafka_topic_partition_list_t *only)
{
	rd_kafka_topic_partition_list_t *l;

	if (k->c->group == NULL)
		return;
	l = rd_kafka_topic_partition_list_new(8);
	FOREACH_PART(k, ti, pi, kp) {
		/* With checkpoints, only what a completed barrier covers. */
		int64_t next = k->ck ? kp->next_done : kp->next_flushed;
		if (!kp->assigned || next < 0 || next == kp->committed)
			continue;
		if (only && !rd_kafka_topic_partition_list_find(only, k->t[ti].name, pi))
			continue;
		rd_kafka_topic_partition_list_add(l, k->t[ti].name, pi)->offset = next;
	}
	if (l->cnt > 0) {
		rd_kafka_resp_err_t err = rd_kafka_commit(k->rk, l, !sync);
		if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
			LOG_WARN("offset commit failed, will retry: %s",
			         rd_kafka_err2str(err));
		} else {
			for (int i = 0; i < l->cnt; i++) {
				int ti = topic_index(k, l->elems[i].topic);
				part_get(k, ti, l->elems[i].partition)->committed =
					l->elems[i].offset;
			}
			LOG_DEBUG("committed %d partitions%s", l->cnt,
			          sync ? " (sync)" : "");
		}
	}
	rd_kafka_topic_partition_list_destroy(l);
}

/* An async commit that failed: forget it so the next round retries. */
static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *l, void *opaque)
{
	struct ksrc *k = opaque;

	if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET)
		return;
	LOG_WARN("offset commit failed, will retry: %s", rd_kafka_err2str(err));
	for (int i = 0; l && i < l->cnt; i++) {
		int ti = topic_index(k, l->elems[i].topic);
		if (ti >= 0)
			part_get(k, ti, l->elems[i].partition)->committed = -1;
	}
}

static void log_parts(const char *what, const rd_kafka_topic_partition_list_t *l)
{
	for (int i = 0; i < l->cnt; i++)
		LOG_INFO("%s topic=%s partition=%d", what, l->elems[i].topic,
		         (int)l->elems[i].partition);
	if (l->cnt == 0)
		LOG_INFO("%s no partitions", what);
}

/* Every assignment and revocation is logged.  Before giving partitions
 * away, what was written of them is flushed and committed synchronously,
 * so the next owner starts exactly after it. */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *l, void *opaque)
{
	struct ksrc *k = opaque;
	bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	rd_kafka_error_t *e = NULL;

	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		log_parts("assigned", l);
		for (int i = 0; i < l->cnt; i++) {
			int ti = topic_index(k, l->elems[i].topic);
			struct kpart *kp = ti < 0 ? NULL : part_get(k, ti, l->elems[i].partition);
			if (kp) {
				/* next_written stays: ckpt_seek may continue there */
				kp->assigned = true;
				kp->eof = false;
				kp->committed = -1;
				kp->next_done = -1;
			}
		}
		ckpt_seek(k, l);
		adopt_flush(k);
		mark_list(k, "assign", l);
		if (coop)
			e = rd_kafka_incremental_assign(rk, l);
		else
			err = rd_kafka_assign(rk, l);
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		log_parts("revoked", l);
		flush_outputs(k);
		if (!rd_kafka_assignment_lost(rk))
			commit_flushed(k, true, l);
		mark_list(k, "revoke", l);
		for (int i = 0; i < l->cnt; i++) {
			int ti = topic_index(k, l->elems[i].topic);
			if (ti >= 0)
				part_get(k, ti, l->elems[i].partition)->assigned = false;
		}
		if (coop)
			e = rd_kafka_incremental_unassign(rk, l);
		else
			err = rd_kafka_assign(rk, NULL);
		break;
	default:
		LOG_WARN("rebalance failed: %s", rd_kafka_err2str(err));
		FOREACH_PART(k, ti, pi, kp)
			kp->assigned = false;
		err = rd_kafka_assign(rk, NULL);
	}
	if (e) {
		LOG_WARN("assignment change failed: %s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	} else if (err && err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS &&
	           err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
		LOG_WARN("assignment change failed: %s", rd_kafka_err2str(err));
	}
	if (k->c->exit_eof)
		check_all_eof(k);
}

/* ---- one message ------------------------------------------------------ */

static void msg_error(struct ksrc *k, const rd_kafka_message_t *m)
{
	const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "-";
	int ti;

	switch (m->err) {
	case RD_KAFKA_RESP_ERR__PARTITION_EOF: {
		struct kpart *kp = msg_part(k, m, &ti);
		if (kp && kp->assigned) {
			kp->eof = true;
			if (k->c->exit_eof)
				check_all_eof(k);
		}
		return;
	}
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
		if (k->c->exit_eof) {
			ksrc_set_fatal("unknown topic or partition: %s [%d]", topic,
			               (int)m->partition);
			return;
		}
		break;
	default:
		if (ksrc_err_is_fatal(m->err)) {
			ksrc_set_fatal("%s: %s", topic, rd_kafka_message_errstr(m));
			return;
		}
	}
	k->errors++;
	LOG_WARN("consume error, retrying: topic=%s partition=%d: %s", topic,
	         (int)m->partition, rd_kafka_message_errstr(m));
}

/* Write one message (or dead-letter it, or count a null payload) and move
 * its partition's "next written" past it. */
static void msg_handle(struct ksrc *k, const rd_kafka_message_t *m)
{
	struct kpart *kp;
	size_t at;
	int ti;

	if (m->err) {
		msg_error(k, m);
		return;
	}
	if ((kp = msg_part(k, m, &ti)) == NULL || !kp->assigned)
		return;                  /* no longer ours: the next owner has it */
	kp->eof = false;
	if (kp->skip_before_ts >= 0) {
		if (rd_kafka_message_timestamp(m, NULL) < kp->skip_before_ts) {
			k->skipped_by_time++;
			kp->next_written = m->offset + 1;
			return;
		}
		kp->skip_before_ts = -1;   /* from here on, everything */
	}
	k->consumed++;
	if (m->payload == NULL) {
		k->null_payloads++;
	} else {
		enum ksrc_frame f = ksrc_frame_check(m->payload, m->len, &at);
		if (f == KSRC_FRAME_OK) {
			mark_partition(k, ti, m->partition);
			nw_out_line(m->payload, m->len);
			k->messages++;
			k->bytes += m->len;
		} else {
			ksrc_dlq_put(&k->dlq, ksrc_frame_reason(f), k->t[ti].name,
			             m->partition, m->offset, m->payload, m->len);
			k->dead_letters = k->dlq.count;
		}
	}
	kp->next_written = m->offset + 1;
	if (k->c->count && k->consumed >= k->c->count) {
		LOG_INFO("message count reached (-c %llu)",
		         (unsigned long long)k->c->count);
		k->done = true;
	}
}

/* ---- static mode: every (or the -p) partitions, one queue ------------- */

/* Wait for the topic's metadata: broker trouble is retried, an unknown
 * topic is fatal with -e and waited for without. Returns partitions, or -1
 * on stop. */
static int topic_partitions(struct ksrc *k, int ti)
{
	struct ktopic *t = &k->t[ti];
	int64_t next_warn = 0;

	while (!nw_sig_stop && !ksrc_fatal) {
		/* All topics: asking for one by name may create it on brokers
		 * with auto-creation on, and a typo must not make a topic. */
		const struct rd_kafka_metadata *md;
		rd_kafka_resp_err_t err = rd_kafka_metadata(k->rk, 1, NULL, &md, 5000);
		int n = -1;
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
			for (int i = 0; i < md->topic_cnt; i++)
				if (strcmp(md->topics[i].topic, t->name) == 0) {
					err = md->topics[i].err;
					if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
						n = md->topics[i].partition_cnt;
				}
			rd_kafka_metadata_destroy(md);
		}
		if (n > 0)
			return n;
		if (ksrc_err_is_fatal(err)) {
			ksrc_set_fatal("topic %s: %s", t->name, rd_kafka_err2str(err));
			break;
		}
		if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && k->c->exit_eof) {
			ksrc_set_fatal("unknown topic: %s", t->name);
			break;
		}
		if (nw_mono_ms() >= next_warn) {
			LOG_WARN("no metadata for topic=%s yet, retrying: %s", t->name,
			         rd_kafka_err2str(err));
			next_warn = nw_mono_ms() + 10000;
		}
		for (int i = 0; i < 10 && !nw_sig_stop; i++)
			rd_kafka_poll(k->rk, 100);
	}
	return -1;
}

/* -o @ts: ask the brokers for the first offset at or after ts.  A broker
 * that cannot answer (the dev broker) gives -1: then read from the
 * beginning and drop messages older than ts until the first that is not,
 * which is the same position. */
static void start_by_time(struct ksrc *k, rd_kafka_topic_partition_list_t *l)
{
	int64_t ts = k->c->start_value;

	for (int i = 0; i < l->cnt; i++)
		l->elems[i].offset = ts;
	rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(k->rk, l, 10000);
	for (int i = 0; i < l->cnt; i++) {
		rd_kafka_topic_partition_t *e = &l->elems[i];
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR && e->err == 0 && e->offset >= 0)
			continue;
		struct kpart *kp = part_get(k, topic_index(k, e->topic), e->partition);
		kp->skip_before_ts = ts;
		e->offset = RD_KAFKA_OFFSET_BEGINNING;
		LOG_INFO("no offset for time %lld from the broker, scanning from the "
		         "beginning topic=%s partition=%d", (long long)ts, e->topic,
		         (int)e->partition);
	}
}

static int64_t start_offset(const struct ksrc_conf *c)
{
	switch (c->start) {
	case KSRC_START_END:
		return RD_KAFKA_OFFSET_END;
	case KSRC_START_STORED:
		return RD_KAFKA_OFFSET_STORED;
	case KSRC_START_OFFSET:
		return c->start_value >= 0 ? c->start_value :
		       RD_KAFKA_OFFSET_TAIL(-c->start_value);
	default:
		return RD_KAFKA_OFFSET_BEGINNING;
	}
}

/* Start one fetcher per partition, all on k->q.  The list's offsets are the
 * start positions (a later restore passes its own). */
static const char *offset_name(int64_t off, char *buf, size_t n)
{
	if (off == RD_KAFKA_OFFSET_BEGINNING)
		return "beginning";
	if (off == RD_KAFKA_OFFSET_END)
		return "end";
	if (off <= RD_KAFKA_OFFSET_TAIL_BASE)
		snprintf(buf, n, "end-%lld", (long long)(RD_KAFKA_OFFSET_TAIL_BASE - off));
	else
		snprintf(buf, n, "%lld", (long long)off);
	return buf;
}

static int static_start(struct ksrc *k, rd_kafka_topic_partition_list_t *l)
{
	char buf[32];

	for (int i = 0; i < l->cnt; i++) {
		rd_kafka_topic_partition_t *e = &l->elems[i];
		int ti = topic_index(k, e->topic);
		if (rd_kafka_consume_start_queue(k->t[ti].rkt, e->partition, e->offset,
		                                 k->q) == -1) {
			LOG_ERROR("cannot start topic=%s partition=%d: %s", e->topic,
			          (int)e->partition, rd_kafka_err2str(rd_kafka_last_error()));
			return -1;
		}
		part_get(k, ti, e->partition)->assigned = true;
		LOG_INFO("reading topic=%s partition=%d from=%s", e->topic,
		         (int)e->partition, offset_name(e->offset, buf, sizeof buf));
	}
	return 0;
}

static int static_assign(struct ksrc *k)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);
	int rc = 0;

	for (int ti = 0; ti < k->c->ntopics && rc == 0; ti++) {
		int n = topic_partitions(k, ti);
		if (n < 0) {
			rc = -1;
			break;
		}
		/* Only now: a topic handle makes librdkafka ask for the topic by
		 * name, which creates it on brokers with auto-creation on. */
		k->t[ti].rkt = rd_kafka_topic_new(k->rk, k->t[ti].name, NULL);
		for (int i = 0; i < (k->c->parts ? k->c->nparts : n); i++) {
			int32_t p = k->c->parts ? k->c->parts[i] : i;
			if (p >= n) {
				ksrc_set_fatal("topic %s has %d partitions, no partition %d",
				               k->t[ti].name, n, (int)p);
				rc = -1;
				break;
			}
			part_get(k, ti, p);
			rd_kafka_topic_partition_list_add(l, k->t[ti].name, p)->offset =
				start_offset(k->c);
		}
	}
	if (rc == 0) {
		if (k->c->start == KSRC_START_TIME)
			start_by_time(k, l);
		ckpt_seek(k, l);
		mark_list(k, "assign", l);
		rc = static_start(k, l);
	}
	rd_kafka_topic_partition_list_destroy(l);
	return rc;
}

static void static_stop(struct ksrc *k)
{
	FOREACH_PART(k, ti, pi, kp)
		if (kp->assigned) {
			rd_kafka_consume_stop(k->t[ti].rkt, pi);
			kp->assigned = false;
		}
}

/* ---- setup and the loop ----------------------------------------------- */

/* Throughput defaults: big fetches and a deep pre-fetch queue.  -X and -F
 * win: these only fill in properties still at librdkafka's default. */
static void consumer_defaults(struct ksrc *k, rd_kafka_conf_t *rd)
{
	static const char *const defs[][2] = {
		{ "fetch.message.max.bytes", "4194304" },
		{ "fetch.max.bytes", "104857600" },
		{ "queued.min.messages", "500000" },
		{ "queued.max.messages.kbytes", "262144" },
		{ "fetch.wait.max.ms", "100" },
		/* fallen behind retention: lose as little as possible */
		{ "auto.offset.reset", "earliest" },
	};
	rd_kafka_conf_t *fresh = rd_kafka_conf_new();

	/* Only where the user left librdkafka's own default in place. */
	for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
		char val[64], dv[64];
		size_t n = sizeof val, dn = sizeof dv;
		bool user_set =
			rd_kafka_conf_get(rd, defs[i][0], val, &n) == RD_KAFKA_CONF_OK &&
			(rd_kafka_conf_get(fresh, defs[i][0], dv, &dn) != RD_KAFKA_CONF_OK ||
			 strcmp(val, dv) != 0);
		if (!user_set)
			ksrc_conf_must(rd, defs[i][0], defs[i][1]);
	}
	rd_kafka_conf_destroy(fresh);
	ksrc_conf_must(rd, "enable.partition.eof", k->c->exit_eof ? "true" : "false");
	if (k->c->group) {
		ksrc_conf_must(rd, "group.id", k->c->group);
		ksrc_conf_must(rd, "enable.auto.commit", "false");
		ksrc_conf_must(rd, "enable.auto.offset.store", "false");
		if (k->c->start == KSRC_START_END)
			ksrc_conf_must(rd, "auto.offset.reset", "latest");
		rd_kafka_conf_set_rebalance_cb(rd, on_rebalance);
		rd_kafka_conf_set_offset_commit_cb(rd, on_commit);
	}
	rd_kafka_conf_set_opaque(rd, k);
	ksrc_conf_logging(rd);
}

static int consumer_open(struct ksrc *k)
{
	char err[512];

	consumer_defaults(k, k->c->rd);
	rd_kafka_conf_t *rd = ksrc_conf_take_rd(k->c);
	if ((k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, rd, err, sizeof err)) == NULL) {
		rd_kafka_conf_destroy(rd);
		LOG_ERROR("cannot create consumer: %s", err);
		return -1;
	}
	if (k->c->group) {
		/* Subscribe only to topics that exist: brokers that predate
		 * allow.auto.create.topics (the dev broker) create what a group
		 * subscribes to, and a typo must not become a topic. */
		for (int i = 0; i < k->c->ntopics; i++)
			if (topic_partitions(k, i) < 0)
				return -1;
		rd_kafka_poll_set_consumer(k->rk);
		rd_kafka_topic_partition_list_t *l =
			rd_kafka_topic_partition_list_new(k->c->ntopics);
		for (int i = 0; i < k->c->ntopics; i++)
			rd_kafka_topic_partition_list_add(l, k->t[i].name,
			                                  RD_KAFKA_PARTITION_UA);
		rd_kafka_resp_err_t e = rd_kafka_subscribe(k->rk, l);
		rd_kafka_topic_partition_list_destroy(l);
		if (e) {
			LOG_ERROR("cannot subscribe: %s", rd_kafka_err2str(e));
			return -1;
		}
		LOG_INFO("joining group=%s", k->c->group);
		return 0;
	}
	/* Errors and logs of the main queue are served with the messages. */
	k->q = rd_kafka_queue_new(k->rk);
	rd_kafka_queue_t *mainq = rd_kafka_queue_get_main(k->rk);
	rd_kafka_queue_forward(mainq, k->q);
	rd_kafka_queue_destroy(mainq);
	return static_assign(k);
}

/* Take up to c->batch messages.  When nothing is waiting, outputs are
 * flushed before blocking (a quiet stream still delivers promptly), then
 * we wait at most timeout_ms for one message. */
static size_t fetch_some(struct ksrc *k, int timeout_ms)
{
	size_t n = 0;

	if (k->c->group) {
		rd_kafka_message_t *m;
		while (n < (size_t)k->c->batch && !k->done && !ksrc_fatal) {
			if ((m = rd_kafka_consumer_poll(k->rk, 0)) == NULL) {
				if (n > 0)
					break;
				flush_outputs(k);
				if ((m = rd_kafka_consumer_poll(k->rk, timeout_ms)) == NULL)
					break;
			}
			msg_handle(k, m);
			rd_kafka_message_destroy(m);
			n++;
		}
		return n;
	}
	ssize_t r = rd_kafka_consume_batch_queue(k->q, 0, k->msgs, (size_t)k->c->batch);
	if (r == 0) {
		flush_outputs(k);
		r = rd_kafka_consume_batch_queue(k->q, timeout_ms, k->msgs, 1);
	}
	for (ssize_t i = 0; i < r; i++) {
		if (!k->done && !ksrc_fatal)
			msg_handle(k, k->msgs[i]);
		rd_kafka_message_destroy(k->msgs[i]);
	}
	return r > 0 ? (size_t)r : 0;
}

static void stats_lag(struct nw_buf *b, void *arg)
{
	struct ksrc *k = arg;
	bool first = true;

	nw_buf_addc(b, '[');
	FOREACH_PART(k, ti, pi, kp) {
		int64_t lo = -1, hi = -1;
		if (!kp->assigned && kp->next_flushed < 0)
			continue;     /* never read here */
		rd_kafka_get_watermark_offsets(k->rk, k->t[ti].name, pi, &lo, &hi);
		nw_buf_adds(b, first ? "{\"topic\":" : ",{\"topic\":");
		first = false;
		nw_buf_add_jstr(b, k->t[ti].name, strlen(k->t[ti].name));
		nw_buf_printf(b, ",\"partition\":%d,\"owned\":%s,\"next\":%lld,"
		              "\"lag\":%lld}", (int)pi, kp->assigned ? "true" : "false",
		              (long long)kp->next_flushed,
		              (long long)(hi >= 0 && kp->next_flushed >= 0 ?
		                          hi - kp->next_flushed : -1));
	}
	nw_buf_addc(b, ']');
}

static void stats_register(struct ksrc *k)
{
	nw_stats_u64("messages", &k->messages);
	nw_stats_u64("bytes", &k->bytes);
	nw_stats_u64("null_payloads", &k->null_payloads);
	nw_stats_u64("skipped_by_time", &k->skipped_by_time);
	nw_stats_u64("errors", &k->errors);
	nw_stats_fn("partitions", stats_lag, k);
}

/* EPIPE: the next stage died.  Under a supervisor that rewinds us in
 * place, let go of the output and wait for its SIGUSR1 (the main loop);
 * otherwise exit 3 as documented. */
static bool on_epipe(void)
{
	if (ksrc_rewind_path()) {
		LOG_INFO("downstream closed its end (EPIPE): waiting to be rewound");
		ksrc_out_detach();
		return true;
	}
	LOG_INFO("nothing unwritten is committed");
	return false;
}

/* Detached after EPIPE: wait (consuming nothing) for the supervisor's
 * SIGUSR1, at most REWIND_WAIT_MS, then give up as without it: exit 3.
 * Returns -1 to leave the main loop. */
#define REWIND_WAIT_MS 10000
static int wait_for_rewind(struct ksrc *k)
{
	int64_t until = nw_mono_ms() + REWIND_WAIT_MS;
	struct timespec ts = { 0, 10 * 1000000 };

	while (!ksrc_rewind_req && !nw_sig_stop) {
		if (nw_mono_ms() >= until) {
			LOG_INFO("no rewind came: exiting status=%d", NW_EXIT_PIPE);
			k->exit_status = NW_EXIT_PIPE;
			return -1;
		}
		nanosleep(&ts, NULL);    /* the signal cuts it short */
	}
	return nw_sig_stop ? -1 : rewind_in_place(k);
}

int ksrc_consume(struct ksrc_conf *c)
{
	struct ksrc *k = nw_xcalloc(1, sizeof *k);
	int status = NW_EXIT_OK;

	k->msgs = nw_xcalloc((size_t)c->batch, sizeof *k->msgs);
	k->c = c;
	mark_forget(k);
	for (int i = 0; i < c->ntopics; i++)
		k->t[i].name = c->topics[i];
	if (nw_dlq_open(&k->dlq, c->dead_letter) != 0) {
		LOG_ERROR("cannot open dead-letter file %s: %s", c->dead_letter,
		          strerror(errno));
		free(k->msgs);
		free(k);
		return NW_EXIT_FAIL;
	}
	nw_out_on_epipe(on_epipe);
	stats_register(k);
	if (c->ckpt_dir && (k->ck = ksrc_ckpt_open(c->ckpt_dir,
	                                           c->ckpt_interval_ms)) == NULL) {
		nw_dlq_close(&k->dlq);
		free(k->msgs);
		free(k);
		return NW_EXIT_FAIL;
	}
	if (k->ck && c->group)
		k->sh = ksrc_share_open(c->state_redis, c->group);
	k->next_commit = nw_mono_ms() + c->commit_interval_ms;

	if (consumer_open(k) == 0) {
		/* The loop: fetch, write, flush, commit what was flushed. */
		while (!nw_sig_stop && !k->done && !ksrc_fatal) {
			/* Commit on the interval, and as soon as the stream goes
			 * quiet, so a burst is committed before anything else
			 * (a rebalance, a stop) can get in the way. */
			if (ksrc_out_is_detached()) {
				if (wait_for_rewind(k) != 0)
					break;
				continue;
			}
			size_t n = fetch_some(k, 100);
			if (ksrc_rewind_req && rewind_in_place(k) != 0)
				break;
			if (ksrc_ckpt_due(k->ck))
				ckpt_barrier(k);
			if (n == 0 || nw_mono_ms() >= k->next_commit) {
				flush_outputs(k);
				commit_flushed(k, false, NULL);
				k->next_commit = nw_mono_ms() + c->commit_interval_ms;
			}
			/* an idle fetch waits up to 100 ms: look at the clock, or
			 * the stats (owned partitions) would lag by 256 of them */
			if (n == 0)
				nw_stats_idle();
			else
				nw_stats_tick();
		}
	} else if (!ksrc_fatal && !nw_sig_stop) {
		status = NW_EXIT_FAIL;
	}

	/* Tear down: flush, commit, leave the group. */
	if (nw_sig_stop)
		LOG_INFO("stop requested: flushing and committing");
	flush_outputs(k);
	if (k->rk && c->group && !ksrc_fatal) {
		commit_flushed(k, true, NULL);
		rd_kafka_consumer_close(k->rk);
	}
	if (ksrc_fatal) {
		LOG_ERROR("%s", ksrc_fatal_msg);
		status = NW_EXIT_FAIL;
	} else if (k->exit_status) {
		status = k->exit_status;
	}
	LOG_INFO("done messages=%llu bytes=%llu dead_letters=%llu null_payloads=%llu",
	         (unsigned long long)k->messages, (unsigned long long)k->bytes,
	         (unsigned long long)k->dead_letters,
	         (unsigned long long)k->null_payloads);
	nw_stats_close();
	if (k->rk) {
		if (!c->group) {
			static_stop(k);
			for (int i = 0; i < c->ntopics; i++)
				if (k->t[i].rkt)
					rd_kafka_topic_destroy(k->t[i].rkt);
		}
		if (k->q)
			rd_kafka_queue_destroy(k->q);
		/* After a fatal error the group cannot be left politely. */
		rd_kafka_destroy_flags(k->rk, ksrc_fatal ?
		                       RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE : 0);
	}
	nw_dlq_close(&k->dlq);
	ksrc_ckpt_free(k->ck);
	ksrc_share_free(k->sh);
	nw_buf_free(&k->mark);
	nw_buf_free(&k->adopt);
	for (int i = 0; i < c->ntopics; i++)
		free(k->t[i].p);
	free(k->msgs);
	free(k);
	return status;
}
