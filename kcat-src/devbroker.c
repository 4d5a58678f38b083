/*
 * kafka-devbroker - a Kafka cluster for development and tests: librdkafka's
 * mock cluster (rdkafka_mock.h), which speaks the Kafka protocol over TCP on
 * 127.0.0.1 only.
 *
 *   kafka-devbroker [--brokers N] [--topic NAME:PARTITIONS]...
 *                   [--bootstrap-file FILE] [--fault-broker ID]
 *                   [--down-after DUR --down-for DUR]
 *
 * Prints the bootstrap address on stdout and runs until SIGTERM/SIGINT.
 * SIGUSR1 takes the fault broker down, SIGUSR2 brings it back; so does the
 * --down-after/--down-for timer, once.  Partition p of a created topic is
 * led by broker (p mod N) + 1, so a test knows whose fall it is causing.
 * Each partition keeps only its newest 5 MiB (and 100,000 produce batches):
 * a stream buffer, not storage.
 */
#include "ksrc.h"

#include <librdkafka/rdkafka_mock.h>

#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <unistd.h>

enum { OPT_BROKERS = 256, OPT_TOPIC, OPT_BFILE, OPT_FAULT, OPT_DOWN_AFTER,
       OPT_DOWN_FOR };

static const struct nw_flag flags[] = {
	{ "brokers", OPT_BROKERS, "N", "brokers in the cluster, ids 1..N (default 1)" },
	{ "topic", OPT_TOPIC, "NAME:PARTS", "create topic NAME with PARTS partitions, each\n"
	  "replicated on min(3, N) brokers; partition p is\n"
	  "led by broker (p mod N) + 1 (repeatable; other\n"
	  "topics are created on first use with 4 partitions)" },
	{ "bootstrap-file", OPT_BFILE, "FILE", "also write the bootstrap address to FILE\n"
	  "(atomically: a reader never sees half of it)" },
	{ "fault-broker", OPT_FAULT, "ID", "the broker SIGUSR1 takes down and SIGUSR2 brings\n"
	  "back up (default 1)" },
	{ "down-after", OPT_DOWN_AFTER, "DUR", "take the fault broker down DUR after start..." },
	{ "down-for", OPT_DOWN_FOR, "DUR", "...and bring it back DUR later (once)" },
	{ NULL, 0, NULL, NULL },
};

static const struct nw_cli cli = {
	.head =
"usage: kafka-devbroker [--brokers N] [--topic NAME:PARTITIONS]...\n"
"                       [--bootstrap-file FILE] [--fault-broker ID]\n"
"                       [--down-after DUR --down-for DUR]\n"
"\n"
"Run a local Kafka cluster (librdkafka's mock cluster) on 127.0.0.1; print\n"
"its bootstrap address on stdout; run until SIGTERM or SIGINT.\n"
"\n",
	.flags = flags,
	.tail =
"\n"
"A partition keeps only its newest 5 MiB (and at most 100,000 produce\n"
"batches); older messages are dropped.\n",
};

#define MAX_TOPICS 64

struct topic_spec {
	char name[250];
	int partitions;
};

static volatile sig_atomic_t want_down, want_up;

static void on_usr(int sig)
{
	if (sig == SIGUSR1)
		want_down = 1;
	else
		want_up = 1;
}

static void parse_topic(struct topic_spec *t, const char *s)
{
	const char *colon = strrchr(s, ':');
	uint64_t n;

	if (colon == NULL || colon == s || (size_t)(colon - s) >= sizeof t->name ||
	    nw_parse_u64(colon + 1, &n) != 0 || n < 1 || n > 10000)
		nw_usage_error("--topic: want NAME:PARTITIONS (1..10000), got \"%s\"", s);
	memcpy(t->name, s, (size_t)(colon - s));
	t->name[colon - s] = '\0';
	t->partitions = (int)n;
}

/* FILE.tmp then rename, so a test polling for FILE reads it whole. */
static int write_bootstrap(const char *path, const char *bootstrap)
{
	char tmp[4096];
	FILE *fp;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return -1;
	if ((fp = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(fp, "%s\n", bootstrap);
	if (fclose(fp) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void set_broker(rd_kafka_mock_cluster_t *mc, int32_t id, bool up)
{
	rd_kafka_resp_err_t err = up ? rd_kafka_mock_broker_set_up(mc, id) :
	                               rd_kafka_mock_broker_set_down(mc, id);
	if (err)
		LOG_WARN("cannot take broker %d %s: %s", (int)id, up ? "up" : "down",
		         rd_kafka_err2str(err));
	else
		LOG_INFO("broker %d is %s", (int)id, up ? "up" : "down");
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);     /* a signal cuts it short, which is fine */
}

int main(int argc, char **argv)
{
	static struct topic_spec topics[MAX_TOPICS];
	int ntopics = 0, opt;
	uint64_t nbrokers = 1, fault = 1;
	int64_t down_after = -1, down_for = -1;
	const char *bfile = NULL;
	char err[512];

	nw_log_init("kafka-devbroker");
	while ((opt = nw_getopt(argc, argv, &cli)) != -1) {
		switch (opt) {
		case OPT_BROKERS:
			if (nw_parse_u64(optarg, &nbrokers) != 0 || nbrokers < 1 ||
			    nbrokers > 64)
				nw_usage_error("--brokers: want 1..64, got \"%s\"", optarg);
			break;
		case OPT_TOPIC:
			if (ntopics == MAX_TOPICS)
				nw_usage_error("--topic: at most %d", MAX_TOPICS);
			parse_topic(&topics[ntopics++], optarg);
			break;
		case OPT_BFILE: bfile = optarg; break;
		case OPT_FAULT:
			if (nw_parse_u64(optarg, &fault) != 0 || fault < 1 || fault > 64)
				nw_usage_error("--fault-broker: want a broker id, got \"%s\"",
				               optarg);
			break;
		case OPT_DOWN_AFTER:
		case OPT_DOWN_FOR: {
			int64_t ms;
			if (nw_parse_duration_ms(optarg, &ms) != 0)
				nw_usage_error("--%s: bad duration \"%s\"",
				               opt == OPT_DOWN_AFTER ? "down-after" : "down-for",
				               optarg);
			*(opt == OPT_DOWN_AFTER ? &down_after : &down_for) = ms;
			break;
		}
		}
	}
	nw_cli_no_args(argc, argv);
	if (fault > nbrokers)
		nw_usage_error("--fault-broker %llu: the cluster has brokers 1..%llu",
		               (unsigned long long)fault, (unsigned long long)nbrokers);
	if ((down_after >= 0) != (down_for >= 0))
		nw_usage_error("--down-after and --down-for go together");

	nw_sig_init();
	struct sigaction sa = { .sa_handler = on_usr };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);

	/* The mock cluster needs a client instance to hang off; it is not used
	 * for anything else. */
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	ksrc_conf_logging(conf);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (rk == NULL) {
		rd_kafka_conf_destroy(conf);
		LOG_ERROR("cannot create client: %s", err);
		return NW_EXIT_FAIL;
	}
	rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, (int)nbrokers);
	if (mc == NULL) {
		LOG_ERROR("cannot start the mock cluster");
		rd_kafka_destroy(rk);
		return NW_EXIT_FAIL;
	}
	int status = NW_EXIT_OK;
	int repl = nbrokers < 3 ? (int)nbrokers : 3;
	for (int i = 0; i < ntopics && status == NW_EXIT_OK; i++) {
		rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(
			mc, topics[i].name, topics[i].partitions, repl);
		/* Deterministic leaders (a broker call each, so only when there
		 * is a choice). */
		for (int p = 0; nbrokers > 1 && p < topics[i].partitions && !e; p++)
			e = rd_kafka_mock_partition_set_leader(mc, topics[i].name, p,
			                                       p % (int)nbrokers + 1);
		if (e) {
			LOG_ERROR("cannot create topic %s: %s", topics[i].name,
			          rd_kafka_err2str(e));
			status = NW_EXIT_FAIL;
		} else {
			LOG_INFO("topic=%s partitions=%d replication=%d", topics[i].name,
			         topics[i].partitions, repl);
		}
	}
	const char *bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
	if (status == NW_EXIT_OK && bfile && write_bootstrap(bfile, bootstrap) != 0) {
		LOG_ERROR("cannot write %s: %s", bfile, strerror(errno));
		status = NW_EXIT_FAIL;
	}
	if (status == NW_EXIT_OK) {
		printf("%s\n", bootstrap);
		fflush(stdout);
		LOG_INFO("listening brokers=%llu bootstrap=%s",
		         (unsigned long long)nbrokers, bootstrap);
	}

	int64_t t0 = nw_mono_ms();
	bool timer_down = false, timer_done = down_after < 0;
	while (status == NW_EXIT_OK && !nw_sig_stop) {
		if (want_down) {
			want_down = 0;
			set_broker(mc, (int32_t)fault, false);
		}
		if (want_up) {
			want_up = 0;
			set_broker(mc, (int32_t)fault, true);
		}
		if (!timer_done) {
			int64_t now = nw_mono_ms() - t0;
			if (!timer_down && now >= down_after) {
				set_broker(mc, (int32_t)fault, false);
				timer_down = true;
			} else if (timer_down && now >= down_after + down_for) {
				set_broker(mc, (int32_t)fault, true);
				timer_done = true;
			}
		}
		sleep_ms(50);
	}
	if (nw_sig_stop)
		LOG_INFO("stopping");
	if (bfile)
		unlink(bfile);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return status;
}
