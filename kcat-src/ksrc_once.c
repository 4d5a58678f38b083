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
 *    dropped once (a multiset: two equal lines are two messages);
 *  - adopt (docs/recovery.md, "Takeover"): another chain of the group died
 *    and this chain resumes one of its source partitions from the dead
 *    chain's last completed barrier.  Every message carries its source
 *    partition (header nw-src, "topic/partition", learnt from the
 *    partition lines), and the dead chain's snapshot at that barrier (its
 *    tag and positions, published with the partition) says where its
 *    messages after the barrier lie: those with its tag and that source
 *    are read back the same way, and a replayed line of that source
 *    partition whose hash is there is dropped once.
 *
 * Each read-back is a "spec" (a tag, a source partition or any, where to
 * start); the table's entries say which spec found them, and a barrier
 * records, per spec with entries still waiting, the lowest of their
 * offsets, so that a restore to it (or the next adopter of the partition)
 * finds them again.
 *
 * Ownership: struct ksrc_once owns its tables, its specs' strings and the
 * read-back consumer's conf; it borrows the producer handle, its topic
 * and the directory. */
#include "ksrc.h"
#include "ckpt.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ONCE_STAGE  "kcat-src-P"
#define ONCE_HEADER "nw-chain"
#define SRC_HEADER  "nw-src"
#define META_TIMEOUT_MS 10000

/* Whose messages a read-back keeps: spec 0 is this chain's own (any
 * source), the others a dead chain's of one source partition. */
struct once_spec {
	char tag[17];
	char *src;          /* "topic/partition", NULL: any */
};

/* One message found after a restore or takeover point. */
struct once_ent {
	uint64_t h;         /* FNV-1a of the payload */
	int32_t  part;
	int64_t  off;
	uint32_t spec;      /* index in specs[] */
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
	struct once_ent *ents;       /* sorted by (h, off, part) */
	size_t nents, unused;
	struct once_spec *specs;     /* specs[0]: ours */
	size_t nspecs;
	char *src;                   /* source of the lines now, NULL: none */
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

static void add_next(struct nw_buf *b, const int64_t *next, int32_t np)
{
	nw_buf_adds(b, "\"next\":[");
	for (int32_t p = 0; p < np; p++)
		nw_buf_printf(b, p ? ",%lld" : "%lld", (long long)next[p]);
	nw_buf_adds(b, "]");
}

/* Where spec i's entries still waiting start, per partition (none
 * waiting in a partition: our own next there, after all of them).
 * False when none of spec i's entries waits. */
static bool spec_low(const struct ksrc_once *o, uint32_t i, int64_t *low)
{
	bool any = false;

	memcpy(low, o->next, (size_t)o->np * sizeof *low);
	for (size_t e = 0; e < o->nents && o->unused > 0; e++)
		if (o->ents[e].spec == i && !o->ents[e].used) {
			any = true;
			if (o->ents[e].off < low[o->ents[e].part])
				low[o->ents[e].part] = o->ents[e].off;
		}
	return any;
}

/* The snapshot payload: {"topic":T,"tag":OURS,"next":[o0,o1,…],
 * "adopted":[{"src":"T/P","tag":DEAD,"next":[…]},…]}, the adopted list
 * naming the dead chains' messages still waiting for their replay. */
static int snap_write(struct ksrc_once *o, uint64_t id, const int64_t *next)
{
	struct nw_buf b = { 0 };
	int64_t *low = nw_xmalloc((size_t)o->np * sizeof *low);
	bool first = true;
	int rc;

	nw_buf_adds(&b, "{\"topic\":");
	nw_buf_add_jstr(&b, o->topic, strlen(o->topic));
	nw_buf_printf(&b, ",\"tag\":\"%s\",", o->tag);
	add_next(&b, next, o->np);
	nw_buf_adds(&b, ",\"adopted\":[");
	for (uint32_t i = 1; i < o->nspecs; i++) {
		if (!spec_low(o, i, low))
			continue;
		nw_buf_adds(&b, first ? "{\"src\":" : ",{\"src\":");
		nw_buf_add_jstr(&b, o->specs[i].src, strlen(o->specs[i].src));
		nw_buf_printf(&b, ",\"tag\":\"%s\",", o->specs[i].tag);
		add_next(&b, low, o->np);
		nw_buf_adds(&b, "}");
		first = false;
	}
	nw_buf_adds(&b, "]}");
	free(low);
	rc = nw_ckpt_write(o->dir, ONCE_STAGE, id, b.p, b.len);
	nw_buf_free(&b);
	return rc;
}

/* A "next" array of this topic's partition count into next[]. */
static bool next_array(const struct ksrc_once *o, json_t *arr, int64_t *next)
{
	if (!json_is_array(arr) || json_array_size(arr) != (size_t)o->np)
		return false;
	for (int32_t p = 0; p < o->np; p++) {
		json_t *v = json_array_get(arr, (size_t)p);
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return false;
		next[p] = json_integer_value(v);
	}
	return true;
}

/* A snapshot payload of our topic and partition count: the parsed root
 * (caller json_decref) with next[] filled, or NULL (logged, with what). */
static json_t *snap_parse(const struct ksrc_once *o, const char *data,
                          size_t len, int64_t *next, const char *what)
{
	json_t *root = json_loadb(data, len, 0, NULL);
	const char *t = json_string_value(json_object_get(root, "topic"));

	if (t && strcmp(t, o->topic) == 0 &&
	    next_array(o, json_object_get(root, "next"), next))
		return root;
	LOG_WARN("%s of %s is not for topic %s with %d partitions", what,
	         ONCE_STAGE, o->topic, (int)o->np);
	json_decref(root);
	return NULL;
}

/* A tag as written by snap_write: 16 hex digits. */
static const char *tag_of(json_t *o)
{
	const char *t = json_string_value(json_object_get(o, "tag"));

	return t && strlen(t) == 16 ? t : NULL;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct once_ent *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return (x->part > y->part) - (x->part < y->part);
}

/* Does the message's last header `name` hold exactly val? */
static bool header_is(rd_kafka_headers_t *hdrs, const char *name,
                      const char *val)
{
	const void *v;
	size_t vn;

	return rd_kafka_header_get_last(hdrs, name, &v, &vn) ==
	               RD_KAFKA_RESP_ERR_NO_ERROR &&
	       vn == strlen(val) && memcmp(v, val, vn) == 0;
}

/* Is this message one spec sp keeps?  (Its tag in the last nw-chain
 * header and, for a dead chain's, its source in the last nw-src.) */
static bool kept(const struct once_spec *sp, rd_kafka_message_t *m)
{
	rd_kafka_headers_t *hdrs;

	return rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
	       header_is(hdrs, ONCE_HEADER, sp->tag) &&
	       (sp->src == NULL || header_is(hdrs, SRC_HEADER, sp->src));
}

/* Read partition p from `from` up to `to` (exclusive) with the legacy
 * consumer (no group needed), keeping a table entry per message spec sp
 * keeps. */
static int read_back_part(struct ksrc_once *o, rd_kafka_t *ck, uint32_t sp,
                          int32_t p, int64_t from, int64_t to)
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
				if (kept(&o->specs[sp], m)) {
					o->ents = nw_xreallocarray(o->ents, o->nents + 1,
					                           sizeof *o->ents);
					o->ents[o->nents++] = (struct once_ent){
						.h = nw_fnv1a(NW_FNV1A_INIT, m->payload, m->len),
						.part = p, .off = m->offset, .spec = sp };
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

/* Add spec sp's messages in [from[p], hi[p]) of every partition to the
 * table (left unsorted: table_sort). */
static int read_back(struct ksrc_once *o, uint32_t sp, const int64_t *from,
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
			rc = read_back_part(o, ck, sp, p, from[p], hi[p]);
	rd_kafka_destroy(ck);
	return rc;
}

/* Sort the table and keep a message found twice once (a chain taking
 * back a partition it published itself reads its own messages twice),
 * matched if either copy was, then count what waits. */
static void table_sort(struct ksrc_once *o)
{
	size_t w = 0;

	if (o->nents > 0)
		qsort(o->ents, o->nents, sizeof *o->ents, ent_cmp);
	for (size_t r = 0; r < o->nents; r++)
		if (w == 0 || ent_cmp(&o->ents[w - 1], &o->ents[r]) != 0)
			o->ents[w++] = o->ents[r];
		else
			o->ents[w - 1].used |= o->ents[r].used;
	o->nents = w;
	o->unused = 0;
	for (size_t r = 0; r < o->nents; r++)
		o->unused += !o->ents[r].used;
}

/* A new spec: its index. */
static uint32_t spec_add(struct ksrc_once *o, const char *tag, const char *src)
{
	o->specs = nw_xreallocarray(o->specs, o->nspecs + 1, sizeof *o->specs);
	snprintf(o->specs[o->nspecs].tag, sizeof o->specs[o->nspecs].tag, "%s",
	         tag);
	o->specs[o->nspecs].src = src ? nw_xstrdup(src) : NULL;
	return (uint32_t)o->nspecs++;
}

/* Read back every dead chain's messages a snapshot's "adopted" list names
 * (only those of source src, unless src is NULL). */
static int read_adopted(struct ksrc_once *o, json_t *root, const char *src,
                        const int64_t *hi)
{
	int64_t *from = nw_xmalloc((size_t)o->np * sizeof *from);
	json_t *a;
	size_t i;
	int rc = 0;

	json_array_foreach(json_object_get(root, "adopted"), i, a) {
		const char *s = json_string_value(json_object_get(a, "src"));
		const char *tag = tag_of(a);
		if (s == NULL || tag == NULL ||
		    !next_array(o, json_object_get(a, "next"), from)) {
			LOG_WARN("%s: an unreadable adopted entry skipped", ONCE_STAGE);
			continue;
		}
		if (rc == 0 && (src == NULL || strcmp(s, src) == 0))
			rc = read_back(o, spec_add(o, tag, s), from, hi);
	}
	free(from);
	return rc;
}

static void table_clear(struct ksrc_once *o)
{
	free(o->ents);
	o->ents = NULL;
	o->nents = o->unused = 0;
	for (size_t i = 1; i < o->nspecs; i++)
		free(o->specs[i].src);
	o->nspecs = o->nspecs ? 1 : 0;
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
	spec_add(o, o->tag, NULL);
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
	free(o->specs);
	free(o->src);
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
	 * a restore to it must find them again (ours by our own positions,
	 * a dead chain's in the adopted list). */
	spec_low(o, 0, snap);
	rc = snap_write(o, id, snap);
	free(snap);
	if (rc == 0)
		rc = nw_ckpt_mark_completed(o->dir, id);
	return rc;
}

int ksrc_once_restore(struct ksrc_once *o, uint64_t id)
{
	int64_t *hi = nw_xcalloc((size_t)o->np, sizeof *hi);
	json_t *root = NULL;
	char *data = NULL;
	size_t len;
	int rc = -1, have;

	table_clear(o);
	free(o->src);
	o->src = NULL;
	if (high_marks(o, hi) != 0)
		goto out;
	have = nw_ckpt_load_id(o->dir, ONCE_STAGE, id, &data, &len);
	if (have == 1 &&
	    (root = snap_parse(o, data, len, o->next, "the restore point")) != NULL) {
		rc = read_back(o, 0, o->next, hi);
		if (rc == 0)
			rc = read_adopted(o, root, NULL, hi);
		table_sort(o);
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
	json_decref(root);
	free(data);
	free(hi);
	return rc;
}

/* "topic/partition": the nw-src header's value (malloc'd). */
static char *src_name(const char *topic, size_t tlen, int32_t partition)
{
	char *s;

	if (asprintf(&s, "%.*s/%d", (int)tlen, topic, (int)partition) < 0)
		nw_oom(0);
	return s;
}

void ksrc_once_source(struct ksrc_once *o, const char *topic, size_t tlen,
                      int32_t partition)
{
	free(o->src);
	o->src = src_name(topic, tlen, partition);
}

const char *ksrc_once_src(const struct ksrc_once *o)
{
	return o->src;
}

int ksrc_once_adopt(struct ksrc_once *o, const char *topic, size_t tlen,
                    int32_t partition, const char *blob, size_t len)
{
	int64_t *hi = nw_xcalloc((size_t)o->np, sizeof *hi);
	int64_t *from = nw_xmalloc((size_t)o->np * sizeof *from);
	char *src = src_name(topic, tlen, partition);
	json_t *root = snap_parse(o, blob, len, from, "the adopted partition's");
	size_t before = o->nents;
	int rc = -1;

	if (root == NULL || tag_of(root) == NULL) {
		LOG_WARN("adopt %s: no usable %s part: what its last owner produced "
		         "after its barrier may come twice", src, ONCE_STAGE);
		rc = 0;
		goto out;
	}
	if (high_marks(o, hi) != 0)
		goto out;
	rc = read_back(o, spec_add(o, tag_of(root), src), from, hi);
	if (rc == 0)
		rc = read_adopted(o, root, src, hi);
	table_sort(o);
	LOG_INFO("adopt %s: %zu messages of chain %s already produced after its "
	         "barrier", src, o->nents - before, tag_of(root));
out:
	json_decref(root);
	free(src);
	free(from);
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
	for (; lo < o->nents && o->ents[lo].h == h; lo++) {
		const char *want = o->specs[o->ents[lo].spec].src;
		if (!o->ents[lo].used &&
		    (want == NULL || (o->src && strcmp(want, o->src) == 0))) {
			o->ents[lo].used = true;
			if (--o->unused == 0)
				table_clear(o);
			o->deduplicated++;
			return true;
		}
	}
	return false;
}

uint64_t ksrc_once_deduplicated(const struct ksrc_once *o)
{
	return o->deduplicated;
}
