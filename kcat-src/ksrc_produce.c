/* ksrc_produce.c - producer mode: one Kafka message per stdin line, keyed
 * by a JSON field so that a topic is partitioned by source (or, at the end
 * of a repartitioning chain, by destination).  Control lines are the
 * stream's, not events: they are never produced; with a checkpoint
 * directory barriers, restore lines and the consumer's partition and adopt
 * lines go to ksrc_once.c, which makes the output exactly-once across
 * restarts of the chain and takeovers between chains. */
#include "ksrc.h"
#include "stage.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Lines read are nw_std.lines_in, too long ones nw_std.too_long. */
static struct {
	uint64_t produced, delivered, failed, unkeyed;
} pst;
static uint64_t undeliverable;     /* delivery reports with an error */
static rd_kafka_t *prod_rk;
static rd_kafka_topic_t *prod_rkt;
static struct ksrc_once *prod_once;   /* NULL: no checkpoints */

/* Delivery reports: the only proof a message reached the broker. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		pst.delivered++;
		if (prod_once)
			ksrc_once_delivered(prod_once, m->partition, m->offset);
		return;
	}
	pst.failed++;
	undeliverable++;
	if (pst.failed <= 10 || pst.failed % 10000 == 0)
		LOG_WARN("delivery failed: %s total_failed=%llu",
		         rd_kafka_err2str(m->err), (unsigned long long)pst.failed);
}

/* Serve delivery reports before stdin may block, so they do not pile up
 * while the input is quiet. */
static void before_block(void)
{
	rd_kafka_poll(prod_rk, 0);
	nw_stats_tick();
}

/* One message; with checkpoints it carries the chain's tag in a header so
 * that a restart can tell its own messages from other producers', and
 * its source partition (when the partition lines told it) so that a chain
 * taking that partition over can tell which of them it replays. */
static rd_kafka_resp_err_t produce_one(rd_kafka_topic_t *rkt, const char *line,
                                       size_t n, const char *key, size_t klen)
{
	if (prod_once == NULL)
		return rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA,
		                        RD_KAFKA_MSG_F_COPY, (void *)line, n, key,
		                        klen, NULL) == 0
		               ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_last_error();
	/* the headers belong to the message once producev accepts it */
	rd_kafka_headers_t *hd = rd_kafka_headers_new(2);
	const char *src = ksrc_once_src(prod_once);
	rd_kafka_header_add(hd, "nw-chain", -1, ksrc_once_tag(prod_once), 16);
	if (src)
		rd_kafka_header_add(hd, "nw-src", -1, src, -1);
	rd_kafka_resp_err_t err =
		rd_kafka_producev(prod_rk, RD_KAFKA_V_RKT(rkt),
		                  RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
		                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		                  RD_KAFKA_V_VALUE((void *)line, n),
		                  RD_KAFKA_V_KEY(key, klen),
		                  RD_KAFKA_V_HEADERS(hd), RD_KAFKA_V_END);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		rd_kafka_headers_destroy(hd);
	return err;
}

/* Hand one line to librdkafka, waiting for queue room when it is full
 * (brokers away): until a stop request, which leaves the line unsent. */
static void produce_line(const struct ksrc_conf *c, rd_kafka_topic_t *rkt,
                         const char *line, size_t n)
{
	const char *key = NULL;
	size_t klen = 0;

	if (c->key_field && !ksrc_json_key(line, n, c->key_field,
	                                   strlen(c->key_field), &key, &klen)) {
		key = NULL;
		klen = 0;
		pst.unkeyed++;
	}
	for (;;) {
		rd_kafka_resp_err_t err = produce_one(rkt, line, n, key, klen);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			pst.produced++;
			return;
		}
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || nw_sig_stop) {
			pst.failed++;
			LOG_WARN("cannot produce line %llu: %s",
			         (unsigned long long)nw_std.lines_in,
			         rd_kafka_err2str(err));
			return;
		}
		rd_kafka_poll(prod_rk, 50);
	}
}

/* Wait until every message is delivered or has failed (bounded by
 * message.timeout.ms), logging progress while brokers are away. */
static void drain(void)
{
	while (rd_kafka_outq_len(prod_rk) > 0) {
		rd_kafka_flush(prod_rk, 1000);
		nw_stats_tick();
		if (ksrc_fatal)
			return;
		if (rd_kafka_outq_len(prod_rk) > 0)
			LOG_INFO("waiting for delivery of %d messages",
			         rd_kafka_outq_len(prod_rk));
	}
}

/* One stdin line becomes one message, unless it is a replayed line that
 * this chain produced before its restart; delivery reports are served now
 * and then. */
static void prod_on_line(struct nw_stage *st, char *line, size_t n)
{
	if (prod_once == NULL || !ksrc_once_skip(prod_once, line, n))
		produce_line(st->arg, prod_rkt, line, n);
	if ((nw_std.lines_in & 1023) == 0)
		rd_kafka_poll(prod_rk, 0);
}

/* An adopt line names the file of the dead chain's producer snapshot
 * ("producer"); none named (its chain was no repartitioning one, or
 * published before this existed): nothing to read back. */
#define ADOPT_MAX ((size_t)1 << 20)
static int prod_adopt(json_t *ctl, const char *topic, size_t tlen,
                      int32_t part)
{
	const char *path = json_string_value(json_object_get(ctl, "producer"));
	char err[256], *data;
	size_t len;
	int rc;

	if (path == NULL)
		return 0;
	if ((data = nw_read_file(path, ADOPT_MAX, &len, err, sizeof err)) == NULL) {
		LOG_WARN("adopt: %s: what its last owner produced after its "
		         "barrier may come twice", err);
		return 0;
	}
	rc = ksrc_once_adopt(prod_once, topic, tlen, part, data, len);
	free(data);
	return rc;
}

/* The consumer's partition and adopt lines: which source partition the
 * next lines come from, and a source partition taken over from a dead
 * chain (ksrc_once.c).  0, or -1 (logged). */
static int prod_source_ctl(const char *line, size_t n)
{
	json_t *ctl = nw_ctl_parse(line, n);
	const char *type = json_string_value(json_object_get(ctl, "type"));
	const char *topic;
	size_t tlen;
	int32_t part;
	int rc = 0;

	if (type && nw_ctl_topic_part(ctl, &topic, &tlen, &part)) {
		if (strcmp(type, "partition") == 0)
			ksrc_once_source(prod_once, topic, tlen, part);
		else if (strcmp(type, "adopt") == 0)
			rc = prod_adopt(ctl, topic, tlen, part);
	}
	json_decref(ctl);
	return rc;
}

/* Barrier and restore lines (with checkpoints) wait until everything
 * before them is delivered; a message that could not be delivered fails
 * the chain, so the replay from the restore point produces it again.
 * Other control lines are dropped: they are the upstream's, and a reader
 * of the output topic writes its own; with checkpoints the partition and
 * adopt lines are read first (prod_source_ctl). */
static enum nw_stage_verdict prod_on_ctl(struct nw_stage *st,
                                         enum nw_ctl_kind kind, uint64_t id,
                                         const char *line, size_t n)
{
	int rc = 0;

	if (prod_once != NULL && kind == NW_CTL_OTHER &&
	    prod_source_ctl(line, n) != 0)
		nw_stage_stop(st, NW_EXIT_FAIL);
	if (prod_once == NULL ||
	    (kind != NW_CTL_BARRIER && kind != NW_CTL_RESTORE))
		return NW_STAGE_CONSUMED;        /* nothing goes to stdout */
	drain();
	if (ksrc_fatal || undeliverable > 0) {
		LOG_ERROR("%llu messages not delivered: %s %llu cannot complete",
		          (unsigned long long)undeliverable,
		          nw_ctl_kind_name(kind), (unsigned long long)id);
		nw_stage_stop(st, NW_EXIT_FAIL);
		return NW_STAGE_CONSUMED;
	}
	if (kind == NW_CTL_BARRIER)
		rc = ksrc_once_barrier(prod_once, id);
	else
		rc = ksrc_once_restore(prod_once, id);
	if (rc != 0)
		nw_stage_stop(st, NW_EXIT_FAIL);
	return NW_STAGE_CONSUMED;
}

static void prod_on_too_long(struct nw_stage *st, const char *head, size_t n)
{
	const struct ksrc_conf *c = st->arg;

	pst.failed++;
	LOG_WARN("line %llu longer than %zu bytes, not produced",
	         (unsigned long long)nw_std.lines_in, c->max_line);
}

/* A fatal librdkafka error ends the reading (the status says so later). */
static void prod_on_tick(struct nw_stage *st)
{
	if (ksrc_fatal)
		nw_stage_stop(st, NW_EXIT_FAIL);
}

int ksrc_produce(struct ksrc_conf *c)
{
	char err[512];
	int status;

	ksrc_conf_logging(c->rd);
	rd_kafka_conf_t *cconf = c->ckpt_dir ? rd_kafka_conf_dup(c->rd) : NULL;
	rd_kafka_conf_set_dr_msg_cb(c->rd, on_delivery);
	rd_kafka_conf_t *conf = ksrc_conf_take_rd(c);
	if ((prod_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err)) == NULL) {
		rd_kafka_conf_destroy(conf);
		if (cconf)
			rd_kafka_conf_destroy(cconf);
		LOG_ERROR("cannot create producer: %s", err);
		return NW_EXIT_FAIL;
	}
	prod_rkt = rd_kafka_topic_new(prod_rk, c->topics[0], NULL);
	if (cconf && (prod_once = ksrc_once_open(c->ckpt_dir, prod_rk, prod_rkt,
	                                         c->topics[0], cconf)) == NULL) {
		rd_kafka_topic_destroy(prod_rkt);
		rd_kafka_destroy(prod_rk);
		return NW_EXIT_FAIL;
	}
	nw_stats_u64("produced", &pst.produced);
	nw_stats_u64("delivered", &pst.delivered);
	nw_stats_u64("failed", &pst.failed);
	nw_stats_u64("unkeyed", &pst.unkeyed);
	LOG_INFO("producing stdin to topic=%s key_field=%s", c->topics[0],
	         c->key_field ? c->key_field : "(none)");

	/* The tick (1 s) also bounds how long a stop request that lands just
	 * before a read waits on a quiet pipe. */
	struct nw_stage st = { .max_line = c->max_line, .arg = c,
	                       .on_line = prod_on_line, .on_ctl = prod_on_ctl,
	                       .on_too_long = prod_on_too_long,
	                       .on_tick = prod_on_tick, .before_block = before_block };
	status = nw_stage_run(&st);
	if (nw_sig_stop)
		LOG_INFO("stop requested: flushing what was read");
	drain();
	if (ksrc_fatal) {
		LOG_ERROR("%s", ksrc_fatal_msg);
		status = NW_EXIT_FAIL;
	}
	/* Every line read must have a delivery report saying it arrived, but
	 * control lines and replayed lines produced before a restart. */
	uint64_t want = nw_std.lines_in - nw_std.ctl_lines -
	                (prod_once ? ksrc_once_deduplicated(prod_once) : 0);
	if (pst.delivered < want) {
		LOG_ERROR("%llu of %llu lines not delivered",
		          (unsigned long long)(want - pst.delivered),
		          (unsigned long long)want);
		status = NW_EXIT_FAIL;
	}
	LOG_INFO("done lines_in=%llu delivered=%llu unkeyed=%llu",
	         (unsigned long long)nw_std.lines_in,
	         (unsigned long long)pst.delivered,
	         (unsigned long long)pst.unkeyed);
	nw_stats_close();
	ksrc_once_free(prod_once);
	prod_once = NULL;
	rd_kafka_topic_destroy(prod_rkt);
	rd_kafka_destroy(prod_rk);
	return status;
}
