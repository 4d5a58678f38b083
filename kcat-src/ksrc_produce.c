/* ksrc_produce.c - producer mode: one Kafka message per stdin line, keyed
 * by a JSON field so that a topic is partitioned by source. */
#include "ksrc.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static struct {
	uint64_t lines, produced, delivered, failed, unkeyed, too_long;
} pst;
static rd_kafka_t *prod_rk;

/* Delivery reports: the only proof a message reached the broker. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		pst.delivered++;
		return;
	}
	pst.failed++;
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
		if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
		                     (void *)line, n, key, klen, NULL) == 0) {
			pst.produced++;
			return;
		}
		rd_kafka_resp_err_t err = rd_kafka_last_error();
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || nw_sig_stop) {
			pst.failed++;
			LOG_WARN("cannot produce line %llu: %s",
			         (unsigned long long)pst.lines, rd_kafka_err2str(err));
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

int ksrc_produce(struct ksrc_conf *c)
{
	struct nw_reader rd;
	char err[512], *line;
	size_t n;
	int status = NW_EXIT_OK;

	rd_kafka_conf_set_dr_msg_cb(c->rd, on_delivery);
	ksrc_conf_logging(c->rd);
	rd_kafka_conf_t *conf = ksrc_conf_take_rd(c);
	if ((prod_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err)) == NULL) {
		rd_kafka_conf_destroy(conf);
		LOG_ERROR("cannot create producer: %s", err);
		return NW_EXIT_FAIL;
	}
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(prod_rk, c->topics[0], NULL);
	nw_stats_u64("lines", &pst.lines);
	nw_stats_u64("produced", &pst.produced);
	nw_stats_u64("delivered", &pst.delivered);
	nw_stats_u64("failed", &pst.failed);
	nw_stats_u64("unkeyed", &pst.unkeyed);
	nw_stats_u64("too_long", &pst.too_long);
	if (nw_reader_init(&rd, STDIN_FILENO, c->max_line) != 0) {
		LOG_ERROR("out of memory");
		rd_kafka_topic_destroy(rkt);
		rd_kafka_destroy(prod_rk);
		return NW_EXIT_FAIL;
	}
	rd.before_block = before_block;
	LOG_INFO("producing stdin to topic=%s key_field=%s", c->topics[0],
	         c->key_field ? c->key_field : "(none)");

	while (!nw_sig_stop && !ksrc_fatal) {
		/* A timeout, so a stop request that lands just before the
		 * read is seen within a second even on a quiet pipe. */
		enum nw_rd r = nw_reader_next(&rd, &line, &n, 1000);
		if (r == NW_RD_EOF)
			break;
		if (r == NW_RD_INTR || r == NW_RD_TIMEOUT)
			continue;
		if (r == NW_RD_ERR) {
			LOG_ERROR("cannot read stdin: %s", strerror(errno));
			status = NW_EXIT_FAIL;
			break;
		}
		pst.lines++;
		if (r == NW_RD_TOOLONG) {
			pst.too_long++;
			pst.failed++;
			LOG_WARN("line %llu longer than %zu bytes, not produced",
			         (unsigned long long)pst.lines, c->max_line);
			continue;
		}
		produce_line(c, rkt, line, n);
		if ((pst.lines & 1023) == 0) {
			rd_kafka_poll(prod_rk, 0);
			nw_stats_tick();
		}
	}
	if (nw_sig_stop)
		LOG_INFO("stop requested: flushing what was read");
	drain();
	nw_reader_free(&rd);
	if (ksrc_fatal) {
		LOG_ERROR("%s", ksrc_fatal_msg);
		status = NW_EXIT_FAIL;
	}
	/* Every line read must have a delivery report saying it arrived. */
	if (pst.delivered < pst.lines) {
		LOG_ERROR("%llu of %llu lines not delivered",
		          (unsigned long long)(pst.lines - pst.delivered),
		          (unsigned long long)pst.lines);
		status = NW_EXIT_FAIL;
	}
	LOG_INFO("done lines=%llu delivered=%llu unkeyed=%llu",
	         (unsigned long long)pst.lines, (unsigned long long)pst.delivered,
	         (unsigned long long)pst.unkeyed);
	nw_stats_close();
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(prod_rk);
	return status;
}
