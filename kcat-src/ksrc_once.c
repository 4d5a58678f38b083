/* ksrc_once.c - the producer's part of the barrier checkpoints
 * (docs/recovery.md, "Repartitioning"): `kcat-src -P` as the last stage of
 * a chain that reads one topic and writes another, so that a restart of
 * that chain neither loses nor repeats a message in the output topic.
 *
 *  - barrier N: every message before it is delivered (the caller drained
 *    the producer), then the snapshot "kcat-src-P.N" records, per partition
 *    of the output topic, where this chain's messages after N can start,
 *    then N is marked completed: the producer is the chain's sink;
 *  - restore R: the replay from R will produce again what this chain
 *    produced after barrier R before it died.  The messages of the output
 *    topic from R's positions to the end that carry this chain's tag (a
 *    header, the hash of the host name and the checkpoint directory's
 *    path) are read back and
 *    their payload hashes kept; a replayed line whose hash is there is
 *    dropped once (a multiset: two equal lines are two messages).
 *
 * Ownership: struct ksrc_once owns its tables and the read-back consumer's
 * conf; it borrows the producer handle, its topic and the directory. */
#include "ksrc.h"
#include "ckpt.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ONCE_STAGE  "kcat-src-P"
#define ONCE_HEADER "nw-chain"
#define META_TIMEOUT_MS 10000

/* One message of ours found after the restore point. */
struct once_ent {
	uint64_t h;         /* FNV-1a of the payload */
	int32_t  part;
	int64_t  off;
	bool     used;      /* matched by a replayed line */
};

struct ksrc_once {
	const char *dir;
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	const char *topic;
	rd_kafka_conf_t *cconf;      /* for the read-back consumer */
	char tag[17];                /* 16 hex digits + NUL */
	int32_t np;                  /* partitions of the output topic */
	int64_t *next;               /* per partition: ours after here */
	struct once_ent *ents;       /* sorted by (h, off) */
	size_t nents, unused;
	uint64_t deduplicated;       /* replayed lines not produced again */
};

/* The partition count of the output topic (it must exist: a repartition
 * topic is created with the partition count its readers expect). */
static int32_t topic_partitions(rd_kafka_t *rk, rd_kafka_topic_t *rkt)
{
	const struct rd_kafka_metadata *md;
	int32_t np = -1;
	rd_kafka_resp_err_t err;

	err = rd_kafka_metadata(rk, 0, rkt, &md, META_TIMEOUT_MS);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		LOG_ERROR("cannot read the metadata of topic %s: %s",
		          rd_kafka_topic_name(rkt), rd_kafka_err2str(err));
		return -1;
	}
	if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
		np = md->topics[0].partition_cnt;
	else
		LOG_ERROR("topic %s has no partitions (create it first)",
		          rd_kafka_topic_name(rkt));
	rd_kafka_metadata_destroy(md);
	return np > 0 ? np : -1;
}

/* The end of every partition now (the caller drained: nothing of ours is
 * in flight). */
static int high_marks(struct ksrc_once *o, int64_t *hi)
{
	for (int32_t p = 0; p < o->np; p++) {
		int64_t lo;
		rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
			o->rk, o->topic, p, &lo, &hi[p], META_TIMEOUT_MS);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			LOG_ERROR("cannot read the end of %s/%d: %s", o->topic,
			          (int)p, rd_kafka_err2str(err));
			return -1;
		}
	}
	return 0;
}

/* {"topic":"t","next":[o0,o1,…]}: the snapshot payload. */
static int snap_write(struct ksrc_once *o, uint64_t id, const int64_t *next)
{
	struct nw_buf b = { 0 };
	int rc;

	nw_buf_adds(&b, "{\"topic\":");
	nw_buf_add_jstr(&b, o->topic, strlen(o->topic));
	nw_buf_adds(&b, ",\"next\":[");
	for (int32_t p = 0; p < o->np; p++)
		nw_buf_printf(&b, p ? ",%lld" : "%lld", (long long)next[p]);
	nw_buf_adds(&b, "]}");
	rc = nw_ckpt_write(o->dir, ONCE_STAGE, id, b.p, b.len);
	nw_buf_free(&b);
	return rc;
}

/* 1 with next[] filled from snapshot id, 0 when there is none, -1 when it
 * is unreadable or for another topic or partition count (logged). */
static int snap_read(struct ksrc_once *o, uint64_t id, int64_t *next)
{
	char *data;
	size_t len;
	int rc = nw_ckpt_load_id(o->dir, ONCE_STAGE, id, &data, &len);

	if (rc != 1)
		return rc;
	json_t *root = json_loadb(data, len, 0, NULL);
	json_t *arr = json_object_get(root, "next");
	const char *t = json_string_value(json_object_get(root, "topic"));
	rc = -1;
	if (t && strcmp(t, o->topic) == 0 && json_is_array(arr) &&
	    json_array_size(arr) == (size_t)o->np) {
		rc = 1;
		for (int32_t p = 0; p < o->np; p++) {
			json_t *v = json_array_get(arr, (size_t)p);
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				rc = -1;
			else
				next[p] = json_integer_value(v);
		}
	}
	if (rc < 0)
		LOG_WARN("snapshot %llu of %s is not for topic %s with %d "
		         "partitions", (unsigned long long)id, ONCE_STAGE,
		         o->topic, (int)o->np);
	json_decref(root);
	free(data);
	return rc;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct once_ent *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return (x->off > y->off) - (x->off < y->off);
}

/* Is this message one of ours?  (Our tag in its last nw-chain header.) */
static bool ours(struct ksrc_once *o, rd_kafka_message_t *m)
{
	rd_kafka_headers_t *hdrs;
	const void *v;
	size_t vn;

	return rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
	       rd_kafka_header_get_last(hdrs, ONCE_HEADER, &v, &vn) ==
	               RD_KAFKA_RESP_ERR_NO_ERROR &&
	       vn == 16 && memcmp(v, o->tag, 16) == 0;
}

/* Read partition p from `from` up to `to` (exclusive) with the legacy
 * consumer (no group needed), keeping a table entry per message of ours. */
static int read_back_part(struct ksrc_once *o, rd_kafka_t *ck, int32_t p,
                          int64_t from, int64_t to)
{
	rd_kafka_topic_t *t = rd_kafka_topic_new(ck, o->topic, NULL);
	rd_kafka_message_t *batch[512];
	int64_t at = from;
	int64_t deadline = nw_mono_ms() + 60000;
	int rc = 0;

	if (rd_kafka_consume_start(t, p, from) != 0) {
		LOG_ERROR("read-back of %s/%d: %s", o->topic, (int)p,
		          rd_kafka_err2str(rd_kafka_last_error()));
		rd_kafka_topic_destroy(t);
		return -1;
	}
	while (at < to && rc == 0) {
		if (nw_sig_stop || nw_mono_ms() > deadline) {
			LOG_ERROR("read-back of %s/%d stopped at %lld of %lld",
			          o->topic, (int)p, (long long)at, (long long)to);
			rc = -1;
			break;
		}
		ssize_t n = rd_kafka_consume_batch(t, p, 1000, batch, 512);
		for (ssize_t i = 0; i < n; i++) {
			rd_kafka_message_t *m = batch[i];
			if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->offset < to) {
				at = m->offset + 1;
				if (ours(o, m)) {
					o->ents = nw_xreallocarray(o->ents, o->nents + 1,
					                           sizeof *o->ents);
					o->ents[o->nents++] = (struct once_ent){
						.h = nw_fnv1a(NW_FNV1A_INIT, m->payload, m->len),
						.part = p, .off = m->offset };
				}
			} else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				at = to > m->offset ? to : m->offset;   /* compacted away */
			}
			rd_kafka_message_destroy(m);
		}
	}
	rd_kafka_consume_stop(t, p);
	rd_kafka_topic_destroy(t);
	return rc;
}

/* Fill the table with our messages in [from[p], hi[p]) of every partition. */
static int read_back(struct ksrc_once *o, const int64_t *from,
                     const int64_t *hi)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_dup(o->cconf);
	rd_kafka_t *ck = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
	int rc = 0;

	if (ck == NULL) {
		rd_kafka_conf_destroy(conf);
		LOG_ERROR("cannot create the read-back consumer: %s", err);
		return -1;
	}
	for (int32_t p = 0; p < o->np && rc == 0; p++)
		if (from[p] < hi[p])
			rc = read_back_part(o, ck, p, from[p], hi[p]);
	rd_kafka_destroy(ck);
	if (o->nents > 0)
		qsort(o->ents, o->nents, sizeof *o->ents, ent_cmp);
	o->unused = o->nents;
	return rc;
}

static void table_clear(struct ksrc_once *o)
{
	free(o->ents);
	o->ents = NULL;
	o->nents = o->unused = 0;
}

struct ksrc_once *ksrc_once_open(const char *dir, rd_kafka_t *rk,
                                 rd_kafka_topic_t *rkt, const char *topic,
                                 rd_kafka_conf_t *cconf)
{
	struct ksrc_once *o = nw_xcalloc(1, sizeof *o);
	char *real = realpath(dir, NULL), host[256] = "";
	const char *id = real ? real : dir;
	uint64_t h;

	o->dir = dir;
	o->rk = rk;
	o->rkt = rkt;
	o->topic = topic;
	o->cconf = cconf;
	ksrc_conf_must(cconf, "enable.partition.eof", "true");
	ksrc_conf_must(cconf, "enable.auto.commit", "false");
	/* The host and the directory: two chains on two machines may use the
	 * same path. */
	gethostname(host, sizeof host - 1);
	h = nw_fnv1a(NW_FNV1A_INIT, host, strlen(host) + 1);
	h = nw_fnv1a(h, id, strlen(id));
	snprintf(o->tag, sizeof o->tag, "%016llx", (unsigned long long)h);
	free(real);
	if ((o->np = topic_partitions(rk, rkt)) < 0) {
		ksrc_once_free(o);
		return NULL;
	}
	o->next = nw_xcalloc((size_t)o->np, sizeof *o->next);
	nw_stats_u64("deduplicated", &o->deduplicated);
	LOG_INFO("checkpoints in %s: tag %s, %d partitions", dir, o->tag,
	         (int)o->np);
	return o;
}

void ksrc_once_free(struct ksrc_once *o)
{
	if (o == NULL)
		return;
	table_clear(o);
	free(o->next);
	if (o->cconf)
		rd_kafka_conf_destroy(o->cconf);
	free(o);
}

const char *ksrc_once_tag(const struct ksrc_once *o)
{
	return o->tag;
}

void ksrc_once_delivered(struct ksrc_once *o, int32_t partition,
                         int64_t offset)
{
	if (partition >= 0 && partition < o->np && offset + 1 > o->next[partition])
		o->next[partition] = offset + 1;
}

int ksrc_once_barrier(struct ksrc_once *o, uint64_t id)
{
	int64_t *snap = nw_xmalloc((size_t)o->np * sizeof *snap);
	int rc;

	/* Messages read back and not yet matched belong after this barrier:
	 * a restore to it must find them again. */
	memcpy(snap, o->next, (size_t)o->np * sizeof *snap);
	for (size_t i = 0; i < o->nents && o->unused > 0; i++)
		if (!o->ents[i].used && o->ents[i].off < snap[o->ents[i].part])
			snap[o->ents[i].part] = o->ents[i].off;
	rc = snap_write(o, id, snap);
	free(snap);
	if (rc == 0)
		rc = nw_ckpt_mark_completed(o->dir, id);
	return rc;
}

int ksrc_once_restore(struct ksrc_once *o, uint64_t id)
{
	int64_t *hi = nw_xcalloc((size_t)o->np, sizeof *hi);
	int rc = -1, have;

	table_clear(o);
	if (high_marks(o, hi) != 0)
		goto out;
	have = snap_read(o, id, o->next);
	if (have == 1) {
		rc = read_back(o, o->next, hi);
	} else if (id == 0 && have == 0) {
		/* A first start: nothing of ours can be after today's end.  The
		 * base is kept as snapshot 0 for a restart before any barrier. */
		memcpy(o->next, hi, (size_t)o->np * sizeof *hi);
		rc = snap_write(o, 0, hi);
	} else {
		LOG_ERROR("restore point %llu has no usable %s snapshot",
		          (unsigned long long)id, ONCE_STAGE);
	}
	for (int32_t p = 0; p < o->np && rc == 0; p++)
		if (hi[p] > o->next[p])
			o->next[p] = hi[p];
	if (rc == 0)
		LOG_INFO("restore %llu: %zu messages already produced after it",
		         (unsigned long long)id, o->nents);
out:
	free(hi);
	return rc;
}

bool ksrc_once_skip(struct ksrc_once *o, const char *line, size_t n)
{
	if (o->unused == 0)
		return false;
	uint64_t h = nw_fnv1a(NW_FNV1A_INIT, line, n);
	size_t lo = 0, hi = o->nents;

	while (lo < hi) {                  /* first entry with this hash */
		size_t mid = lo + (hi - lo) / 2;
		if (o->ents[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < o->nents && o->ents[lo].h == h; lo++)
		if (!o->ents[lo].used) {
			o->ents[lo].used = true;
			if (--o->unused == 0)
				table_clear(o);
			o->deduplicated++;
			return true;
		}
	return false;
}

uint64_t ksrc_once_deduplicated(const struct ksrc_once *o)
{
	return o->deduplicated;
}
