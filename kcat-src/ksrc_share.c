/* ksrc_share.c - partition state shared through Redis, so that the other
 * chains of a consumer group can take over a dead chain's partitions with
 * their window state (docs/recovery.md, "Takeover").
 *
 * Per (group, topic, partition), two keys:
 *
 *   nw:part:{G}:{T}:{P}:gen   the owner generation, INCR'd by every
 *                             member the partition is assigned to
 *   nw:part:{G}:{T}:{P}       hash: gen, barrier, next, state, detect,
 *                             producer
 *
 * A member writes the hash only while the generation is still its own (a
 * Lua script checks and writes in one step), so a chain that lost the
 * partition, however late its write, cannot overwrite the new owner's
 * entry.  "state" is window's part of the partition at that barrier and
 * "detect" detect's (lib/ckpt.h's part table), "producer" the snapshot of
 * a repartitioning chain's kcat-src -P then (whole), opaque here.
 *
 * Redis being away costs the takeover, never the chain: every call gives
 * up after a short timeout, logs at WARN (once per outage) and the caller
 * goes on as without Redis.
 *
 * Ownership: the share owns its connection, its copy of the URL and its
 * generation table; ksrc_share_get hands back malloc'd parts
 * (ksrc_entry_free).
 */
#include "ksrc.h"
#include "redisconn.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#define SHARE_TIMEOUT_MS 1000

struct share_gen {
	char *topic;
	int32_t partition;
	long long gen;
};

struct ksrc_share {
	struct nw_redis_url url;
	char shown[NW_REDIS_URL_HOST_MAX + 64];   /* redacted, for logs */
	const char *group;
	redisContext *c;
	bool down_logged;
	struct share_gen *gens;
	size_t ngens, cap;
	struct nw_buf key;
};

const char *const ksrc_share_stage[KSRC_SHARE_NSTAGES] = { "window", "detect",
                                                           "kcat-src-P" };
const char *const ksrc_share_field[KSRC_SHARE_NSTAGES] = { "state", "detect",
                                                           "producer" };

/* ARGV: the generation, the barrier, the next offset, then a field name
 * and its value for each stage (ksrc_share_field[]). */
static const char PUT_LUA[] =
	"if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end "
	"redis.call('HSET', KEYS[1], 'gen', ARGV[1], 'barrier', ARGV[2], "
	"'next', ARGV[3], unpack(ARGV, 4)) "
	"return 1";

void ksrc_entry_free(struct ksrc_entry *en)
{
	for (int i = 0; i < KSRC_SHARE_NSTAGES; i++)
		free(en->state[i]);
	memset(en, 0, sizeof *en);
}

struct ksrc_share *ksrc_share_open(const char *url, const char *group)
{
	struct ksrc_share *s;
	char err[256];

	if (url == NULL || *url == '\0' || strcmp(url, "off") == 0 || group == NULL)
		return NULL;
	s = nw_xcalloc(1, sizeof *s);
	if (nw_redis_url_parse(url, &s->url, err, sizeof err) != 0)
		nw_usage_error("--state-redis: %s", err);
	nw_redis_url_redacted(&s->url, s->shown, sizeof s->shown);
	s->group = group;
	LOG_INFO("partition state shared through %s (takeover)", s->shown);
	return s;
}

void ksrc_share_free(struct ksrc_share *s)
{
	if (s == NULL)
		return;
	if (s->c)
		redisFree(s->c);
	for (size_t i = 0; i < s->ngens; i++)
		free(s->gens[i].topic);
	free(s->gens);
	nw_buf_free(&s->key);
	nw_redis_url_wipe(&s->url);
	free(s);
}

static void share_down(struct ksrc_share *s, const char *what)
{
	if (!s->down_logged)
		LOG_WARN("state redis %s: %s (takeover state not shared until it "
		         "answers)", s->shown, what);
	s->down_logged = true;
	if (s->c) {
		redisFree(s->c);
		s->c = NULL;
	}
}

/* One command; NULL (and the connection dropped) when Redis does not
 * answer or answers with an error. */
static redisReply *share_cmd(struct ksrc_share *s, int argc, const char **argv,
                             const size_t *lens)
{
	redisReply *r;

	if (s->c == NULL)
		return NULL;
	r = redisCommandArgv(s->c, argc, argv, lens);
	if (r == NULL) {
		share_down(s, s->c->errstr);
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		share_down(s, r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* Connect (AUTH and SELECT as the URL says) unless connected. */
static bool share_up(struct ksrc_share *s)
{
	struct nw_redis_fail f;

	if (s->c)
		return true;
	if ((s->c = nw_redis_connect(&s->url, SHARE_TIMEOUT_MS, &f)) == NULL) {
		share_down(s, f.text);
		return false;
	}
	if (s->down_logged)
		LOG_INFO("state redis %s answers again", s->shown);
	s->down_logged = false;
	return true;
}

/* nw:part:{G}:{T}:{P}[suffix] into s->key (NUL-terminated). */
static const char *share_key(struct ksrc_share *s, const char *topic,
                             int32_t partition, const char *suffix)
{
	nw_buf_reset(&s->key);
	nw_buf_printf(&s->key, "nw:part:{%s}:{%s}:{%d}%s", s->group, topic,
	              (int)partition, suffix);
	nw_buf_addc(&s->key, '\0');
	return s->key.p;
}

static struct share_gen *gen_slot(struct ksrc_share *s, const char *topic,
                                  int32_t partition)
{
	for (size_t i = 0; i < s->ngens; i++)
		if (s->gens[i].partition == partition &&
		    strcmp(s->gens[i].topic, topic) == 0)
			return &s->gens[i];
	if (s->ngens == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->gens = nw_xreallocarray(s->gens, s->cap, sizeof *s->gens);
	}
	s->gens[s->ngens] = (struct share_gen){ nw_xstrdup(topic), partition, 0 };
	return &s->gens[s->ngens++];
}

int ksrc_share_claim(struct ksrc_share *s, const char *topic, int32_t partition)
{
	struct share_gen *g = gen_slot(s, topic, partition);
	const char *argv[2] = { "INCR", NULL };
	redisReply *r;

	g->gen = 0;
	if (!share_up(s))
		return -1;
	argv[1] = share_key(s, topic, partition, ":gen");
	if ((r = share_cmd(s, 2, argv, NULL)) == NULL)
		return -1;
	g->gen = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	LOG_DEBUG("owner generation topic=%s partition=%d gen=%lld", topic,
	          (int)partition, g->gen);
	return g->gen > 0 ? 0 : -1;
}

int ksrc_share_get(struct ksrc_share *s, const char *topic, int32_t partition,
                   struct ksrc_entry *out)
{
	const char *argv[3 + 2 + KSRC_SHARE_NSTAGES] = { "HMGET", NULL, "barrier",
	                                                "next" };
	const int argc = 4 + KSRC_SHARE_NSTAGES;
	redisReply *r;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (!share_up(s))
		return -1;
	argv[1] = share_key(s, topic, partition, "");
	for (int i = 0; i < KSRC_SHARE_NSTAGES; i++)
		argv[4 + i] = ksrc_share_field[i];
	if ((r = share_cmd(s, argc, argv, NULL)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == (size_t)argc - 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[1]->type == REDIS_REPLY_STRING) {
		out->barrier = strtoull(r->element[0]->str, NULL, 10);
		out->next = strtoll(r->element[1]->str, NULL, 10);
		for (int i = 0; i < KSRC_SHARE_NSTAGES; i++) {
			const redisReply *e = r->element[2 + i];
			if (e->type == REDIS_REPLY_STRING && e->len) {
				out->len[i] = e->len;
				out->state[i] = nw_xmemdup(e->str, e->len);
			}
		}
		rc = out->next >= 0 ? 1 : 0;
	}
	freeReplyObject(r);
	return rc;
}

int ksrc_share_put(struct ksrc_share *s, const char *topic, int32_t partition,
                   uint64_t barrier, int64_t next,
                   const void *const state[KSRC_SHARE_NSTAGES],
                   const size_t len[KSRC_SHARE_NSTAGES])
{
	struct share_gen *g = gen_slot(s, topic, partition);
	char gen[24], bar[24], nxt[24];
	enum { ARGC = 8 + 2 * KSRC_SHARE_NSTAGES };
	const char *argv[ARGC];
	size_t lens[ARGC];
	char *k1, *k2;
	redisReply *r;
	int rc;

	if (g->gen <= 0 || !share_up(s))
		return -1;
	k1 = nw_xstrdup(share_key(s, topic, partition, ""));
	k2 = nw_xstrdup(share_key(s, topic, partition, ":gen"));
	snprintf(gen, sizeof gen, "%lld", g->gen);
	snprintf(bar, sizeof bar, "%llu", (unsigned long long)barrier);
	snprintf(nxt, sizeof nxt, "%lld", (long long)next);
	const char *v[8] = { "EVAL", PUT_LUA, "2", k1, k2, gen, bar, nxt };
	for (int i = 0; i < 8; i++) {
		argv[i] = v[i];
		lens[i] = strlen(v[i]);
	}
	for (int i = 0; i < KSRC_SHARE_NSTAGES; i++) {
		argv[8 + 2 * i] = ksrc_share_field[i];
		lens[8 + 2 * i] = strlen(ksrc_share_field[i]);
		argv[9 + 2 * i] = len[i] ? state[i] : "";
		lens[9 + 2 * i] = len[i];
	}
	r = share_cmd(s, ARGC, argv, lens);
	free(k1);
	free(k2);
	if (r == NULL)
		return -1;
	rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1 ? 0 : 1;
	freeReplyObject(r);
	if (rc == 1) {
		LOG_INFO("partition taken over elsewhere, state not published: "
		         "topic=%s partition=%d", topic, (int)partition);
		g->gen = 0;
	}
	return rc;
}
