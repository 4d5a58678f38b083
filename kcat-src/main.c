/*
 * kcat-src - Kafka -> NDJSON source of the netwatch pipeline, and its
 * NDJSON -> Kafka producer mode.
 *
 *   kcat-src -b BROKERS -t TOPIC [-t TOPIC]... [-G GROUP | -p PARTITIONS]
 *            [-o beginning|end|stored|OFFSET|-N|@TIMESTAMP_MS] [-e] [-c COUNT]
 *            [-X prop=value]... [-F FILE] [--dead-letter FILE] [--stats FILE]
 *   kcat-src -P -b BROKERS -t TOPIC [--key-field FIELD] [-X prop=value]...
 *
 * Consumer: each message's payload is written verbatim as one line.  A
 * payload with a newline, a NUL byte or invalid UTF-8 goes to the dead
 * letters with its topic, partition and offset; null payloads are counted
 * and skipped.  With -G, only offsets of messages already written and
 * flushed to stdout are committed.
 */
#include "ksrc.h"
#include "ckpt.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>

enum {
	OPT_DEAD = 256, OPT_STATS, OPT_STATS_INT, OPT_COMMIT_INT, OPT_BATCH,
	OPT_KEY, OPT_MAXLINE, OPT_CKPT_DIR, OPT_CKPT_INT, OPT_NO_MARKERS,
	OPT_STATE_REDIS
};

static const struct nw_flag flags[] = {
	{ "brokers", 'b', "LIST", "bootstrap servers, host:port[,host:port...]" },
	{ "topic", 't', "TOPIC", "topic to read (repeatable; one with -P)" },
	{ "group", 'G', "GROUP", "join balanced consumer group GROUP; commits the\n"
	  "offsets of messages written to stdout" },
	{ "partitions", 'p', "LIST", "read only these partitions, e.g. 0,2,4-7\n"
	  "(default: every partition; not with -G)" },
	{ "offset", 'o', "WHERE", "start at beginning (default), end, stored (-G),\n"
	  "OFFSET, -N (N before the end) or @TIMESTAMP_MS;\n"
	  "with -G: where a partition without a committed\n"
	  "offset starts (beginning or end)" },
	{ "exit", 'e', NULL, "exit once every partition is at its end" },
	{ "count", 'c', "N", "exit after N messages" },
	{ "property", 'X', "P=V", "any librdkafka property (SASL, TLS, fetch sizes)" },
	{ "config", 'F', "FILE", "librdkafka properties, one P=V per line (keep\n"
	  "secrets here: argv is visible to every user)" },
	{ "dead-letter", OPT_DEAD, "FILE", "rejected payloads as NDJSON records (default: log)" },
	{ "stats", OPT_STATS, "FILE", "JSON counters, rates and lag, replaced each second" },
	{ "stats-interval", OPT_STATS_INT, "DUR", "how often --stats is written (default 1s)" },
	{ "commit-interval", OPT_COMMIT_INT, "DUR", "how often -G commits (default 1s)" },
	{ "batch", OPT_BATCH, "N", "messages taken per fetch call (default 4096)" },
	{ "checkpoint-dir", OPT_CKPT_DIR, "DIR", "barrier checkpoints in DIR (default: env\n"
	  "NW_CHECKPOINT_DIR; none: off); see\n"
	  "docs/recovery.md" },
	{ "state-redis", OPT_STATE_REDIS, "URL", "with -G and checkpoints: each partition's state\n"
	  "at every completed barrier in this Redis, so the\n"
	  "group's other chains take over a dead chain's\n"
	  "partitions with it (default: env REDIS_URL;\n"
	  "off: never)" },
	{ "checkpoint-interval", OPT_CKPT_INT, "DUR", "time between barriers (default 5s)" },
	{ "no-partition-markers", OPT_NO_MARKERS, NULL, "no {\"@ctl\":{\"type\":\"partition\",…}} line\n"
	  "before each run of one partition's messages (nor\n"
	  "revoke lines); window needs them for a watermark\n"
	  "per partition" },
	{ "produce", 'P', NULL, "producer mode: one message per stdin line (control\n"
	  "lines are not produced; with checkpoints, each\n"
	  "line once across restarts)" },
	{ "key-field", OPT_KEY, "FIELD", "-P: key each message by this top-level JSON field" },
	{ "max-line", OPT_MAXLINE, "BYTES", "-P: longest line accepted (default 1048576)" },
	{ NULL, 0, NULL, NULL },
};

static const struct nw_cli cli = {
	.head =
"usage: kcat-src -b BROKERS -t TOPIC [-t TOPIC]... [-G GROUP | -p PARTITIONS]\n"
"                [-o beginning|end|stored|OFFSET|-N|@TIMESTAMP_MS] [-e] [-c COUNT]\n"
"                [-X prop=value]... [-F FILE] [--dead-letter FILE] [--stats FILE]\n"
"       kcat-src -P -b BROKERS -t TOPIC [--key-field FIELD] [-X prop=value]...\n"
"                [--checkpoint-dir DIR]\n"
"\n"
"Consume Kafka topics to stdout, one message payload per line (NDJSON), or\n"
"with -P produce stdin lines to a topic.\n"
"\n",
	.flags = flags,
	.tail =
"\n"
"Exit status: 0 done (end with -e/-c, or SIGTERM/SIGINT after a commit),\n"
"1 runtime failure (authentication, unknown topic with -e, undelivered\n"
"messages with -P), 2 bad flag, 3 stdout closed (EPIPE; nothing unwritten is\n"
"committed).\n",
};

/* "0,2,4-7" -> a list of partition ids. */
static void parse_partitions(struct ksrc_conf *c, const char *s)
{
	const char *p = s;

	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b = a;
		if (end == p || a < 0 || a > 1000000)
			nw_usage_error("-p: bad partition list \"%s\"", s);
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a || b > 1000000)
				nw_usage_error("-p: bad partition range in \"%s\"", s);
		}
		if (*end != ',' && *end != '\0')
			nw_usage_error("-p: bad partition list \"%s\"", s);
		for (long i = a; i <= b; i++) {
			bool dup = false;
			for (int j = 0; j < c->nparts && !dup; j++)
				dup = c->parts[j] == i;
			if (dup)
				continue;        /* "0,0-3" means each once */
			if (c->nparts == 10000)
				nw_usage_error("-p: more than 10000 partitions");
			c->parts = nw_xreallocarray(c->parts, (size_t)c->nparts + 1,
			                            sizeof *c->parts);
			c->parts[c->nparts++] = (int32_t)i;
		}
		p = *end ? end + 1 : end;
	}
	if (c->nparts == 0)
		nw_usage_error("-p: empty partition list");
}

static void parse_offset(struct ksrc_conf *c, const char *s)
{
	static const struct { const char *name; enum ksrc_start start; } names[] = {
		{ "beginning", KSRC_START_BEGINNING }, { "end", KSRC_START_END },
		{ "stored", KSRC_START_STORED },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i].name) == 0) {
			c->start = names[i].start;
			return;
		}
	if (s[0] == '@') {
		if (nw_parse_i64(s + 1, &c->start_value) != 0 || c->start_value < 0)
			nw_usage_error("-o: bad timestamp \"%s\" (want @EPOCH_MS)", s);
		c->start = KSRC_START_TIME;
		return;
	}
	if (nw_parse_i64(s, &c->start_value) != 0)
		nw_usage_error("-o: want beginning, end, stored, OFFSET, -N or "
		               "@TIMESTAMP_MS, got \"%s\"", s);
	c->start = KSRC_START_OFFSET;
}

/* Intervals: from 1ms to a day. */
static int64_t parse_dur(const char *flag, const char *s)
{
	int64_t ms = nw_flag_duration_ms(flag, s, 1);
	if (ms > 86400000)
		nw_usage_error("%s: bad duration \"%s\" (at most 1d)", flag, s);
	return ms;
}

/* Flags that mean nothing in the other mode are refused, not ignored. */
static void check_flags(const struct ksrc_conf *c, bool have_offset)
{
	if (c->brokers == NULL)
		nw_usage_error("-b BROKERS is required");
	if (c->ntopics == 0)
		nw_usage_error("-t TOPIC is required");
	if (c->produce) {
		if (c->ntopics > 1)
			nw_usage_error("-P takes exactly one -t TOPIC");
		if (c->group || c->parts || have_offset || c->exit_eof || c->count ||
		    c->dead_letter || c->no_markers)
			nw_usage_error("-G, -p, -o, -e, -c, --dead-letter and "
			               "--no-partition-markers are consumer flags, not "
			               "for -P");
		return;
	}
	if (c->key_field)
		nw_usage_error("--key-field is for producer mode (-P)");
	if (c->group && c->parts)
		nw_usage_error("-G and -p exclude each other: a group assigns "
		               "partitions itself");
	if (c->group && c->start != KSRC_START_BEGINNING &&
	    c->start != KSRC_START_END && c->start != KSRC_START_STORED)
		nw_usage_error("with -G, -o is beginning, end or stored (where a "
		               "partition without a committed offset starts)");
	if (!c->group && c->start == KSRC_START_STORED)
		nw_usage_error("-o stored needs -G GROUP");
}

int main(int argc, char **argv)
{
	struct ksrc_conf c;
	bool have_offset = false;
	int opt, status;

	nw_log_init("kcat-src");
	ksrc_conf_init(&c);
	while ((opt = nw_getopt(argc, argv, &cli)) != -1) {
		switch (opt) {
		case 'b': c.brokers = optarg; break;
		case 't':
			if (c.ntopics == KSRC_MAX_TOPICS)
				nw_usage_error("-t: at most %d topics", KSRC_MAX_TOPICS);
			if (*optarg == '\0')
				nw_usage_error("-t: empty topic name");
			c.topics[c.ntopics++] = optarg;
			break;
		case 'G': c.group = optarg; break;
		case 'p': parse_partitions(&c, optarg); break;
		case 'o': parse_offset(&c, optarg); have_offset = true; break;
		case 'e': c.exit_eof = true; break;
		case 'c': c.count = nw_flag_count("-c", optarg, 1, UINT64_MAX); break;
		case 'X': ksrc_conf_set_prop(&c, optarg); break;
		case 'F': ksrc_conf_load_file(&c, optarg); break;
		case 'P': c.produce = true; break;
		case OPT_DEAD: c.dead_letter = optarg; break;
		case OPT_STATS: c.stats_path = optarg; break;
		case OPT_STATS_INT:
			c.stats_interval_ms = (int)parse_dur("--stats-interval", optarg);
			break;
		case OPT_COMMIT_INT:
			c.commit_interval_ms = parse_dur("--commit-interval", optarg);
			break;
		case OPT_CKPT_DIR: c.ckpt_dir = optarg; break;
		case OPT_STATE_REDIS: c.state_redis = optarg; break;
		case OPT_NO_MARKERS: c.no_markers = true; break;
		case OPT_CKPT_INT:
			c.ckpt_interval_ms = parse_dur("--checkpoint-interval", optarg);
			break;
		case OPT_BATCH: c.batch = (int)nw_flag_count("--batch", optarg, 1, 1000000); break;
		case OPT_KEY:
			if (*optarg == '\0')
				nw_usage_error("--key-field: empty field name");
			c.key_field = optarg;
			break;
		case OPT_MAXLINE:
			c.max_line = nw_flag_count("--max-line", optarg, 1, 1u << 30);
			break;
		}
	}
	nw_cli_no_args(argc, argv);
	if (c.group && !have_offset)
		c.start = KSRC_START_STORED;   /* committed, else the beginning */
	c.ckpt_dir = nw_ckpt_dir(c.ckpt_dir);
	if (c.state_redis == NULL)
		c.state_redis = getenv("REDIS_URL");
	check_flags(&c, have_offset);
	ksrc_conf_must(c.rd, "bootstrap.servers", c.brokers);

	nw_sig_init();
	if (!c.produce)
		ksrc_rewind_sig_init();
	nw_out_init();
	nw_stats_init(c.stats_path, c.stats_interval_ms);
	status = c.produce ? ksrc_produce(&c) : ksrc_consume(&c);
	ksrc_conf_free(&c);
	return status;
}
