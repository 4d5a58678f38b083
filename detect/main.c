/*
 * detect - threshold and baseline rules over window records -> alerts.
 *
 * Reads window records (docs/contracts.md §2) on stdin, evaluates every rule
 * on each, and writes one alert (§3) per rule that matches.  Control lines
 * pass through in order; anything else goes to the dead-letter output.
 * SIGHUP reloads the rules file, the sets, the allowlist and the groups;
 * a bad file keeps the old rules.  detect's state, the incidents and what
 * the baseline rules learned, is snapshotted at barriers and put back at
 * restore lines when a checkpoint directory is set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw.h"
#include "cli.h"
#include "stage.h"
#include "ckpt.h"
#include "dpart.h"
#include "incident.h"
#include "rec.h"
#include "rules.h"
#include "snap.h"

#include <jansson.h>

enum { O_SEED = 256 };   /* long-only flags */

static const struct nw_flag det_flags[] = {
	{ "rules", 'r', "FILE", "rules file (JSON); SIGHUP reloads it" },
	{ "rule", 'e', "'NAME: EXPR'", "one more rule (severity warning, metric = first\n"
	  "field of EXPR, threshold = the number it is\n"
	  "compared with); may be repeated" },
	{ "set", 'S', "NAME=FILE", "the network set @NAME for expressions (key in\n"
	  "@NAME): a file of addresses and CIDR networks,\n"
	  "one a line; may be repeated" },
	{ "allow", 'a', "FILE", "keys in this list (same format) never alert" },
	{ "groups", 'g', "FILE", "host groups (JSON): networks, per-rule thresholds" },
	{ "check", 'c', NULL, "validate the rules, print them, exit 0 (or 2)" },
	{ "dead-letter", 'd', "FILE", "write rejected input lines to FILE" },
	{ "stats", 's', "FILE", "keep a JSON snapshot of the counters in FILE" },
	{ "print-default-rules", 'p', NULL, "print the built-in rules file and exit" },
	{ "incidents", 'i', NULL, "one alert per incident (rule, key): firing once,\n"
	  "then resolved when its rule stops matching\n"
	  "(the default)" },
	{ "seed-alerts", O_SEED, NULL, "no incidents: an alert for every matching\n"
	  "window, no resolutions (the seed's behaviour)" },
	{ "for", 'F', "DUR", "incidents: open only once the rule has matched\n"
	  "for DUR of event time  [0s]" },
	{ "resolve-after", 'R', "DUR", "incidents: resolve once the rule has not\n"
	  "matched for DUR of event time  [60s]" },
	{ "max-keys", 'm', "N", "keys each baseline or spike rule remembers; the\n"
	  "least recently seen is forgotten first  [100000]" },
	{ "key-ttl", 'T', "DUR", "a baseline key not seen for DUR of event time is\n"
	  "forgotten  [7d]" },
	{ "checkpoint-dir", 'k', "DIR", "snapshot the incidents and what the baselines\n"
	  "learned at barriers, restore them at a restore\n"
	  "line (default: env NW_CHECKPOINT_DIR)" },
	{ NULL, 0, NULL, NULL },
};

static const struct nw_cli det_cli = {
	.head =
"usage: detect [--rules FILE] [--rule 'NAME: EXPR']... [--check]\n"
"              [--set NAME=FILE]... [--allow FILE] [--groups FILE]\n"
"              [--dead-letter FILE] [--stats FILE] [--print-default-rules]\n"
"              [--incidents [--for DUR] [--resolve-after DUR] | --seed-alerts]\n"
"              [--max-keys N] [--key-ttl DUR] [--checkpoint-dir DIR]\n"
"\n"
"Reads window records on stdin and writes an alert for every rule that\n"
"matches one, as incidents that open and resolve unless --seed-alerts.\n"
"Without --rules or --rule the built-in rules are used.\n"
"\n",
	.flags = det_flags,
	.tail =
"\n"
"Expressions: fields of the window record, numbers (1e6), + - * /,\n"
"< <= > >= == !=, && || !, parentheses, FIELD in @SET.  See README.md,\n"
"section detect.\n",
};

struct det_opts {
	const char *rules_path, *dlq_path, *stats_path;
	char **flag_rules;        /* the --rule values (argv's strings) */
	int nflag;
	char **flag_sets;         /* the --set values (argv's strings) */
	int nset;
	const char *allow_path, *groups_path, *ckpt_dir;
	bool check, incidents;
	int64_t for_ms, resolve_ms, key_ttl_ms;
	uint64_t max_keys;
};

/* A partition line's text and its tag (det_partition_ctl). */
struct det_pline {
	char *text;
	size_t n;
	uint32_t tag;
};
#define DET_PLINES 32

/* The running detector: the rules in force, the input's parse buffers,
 * the dead-letter output and detect's own counters. */
static struct {
	struct det_opts o;
	struct rule_set *rules;
	struct rec rec;
	struct nw_dlq dlq;
	struct inc_table inc;         /* unless --seed-alerts */
	const char *ckpt_dir;         /* snapshots of incidents and baselines */
	uint64_t records_in, alerts_out, allowed, reloads, reload_failures;
	uint64_t adopted;             /* partitions taken over (adopt lines) */
	struct det_pline plines[DET_PLINES];   /* owned texts */
	size_t nplines;
} D;

/* Incidents are the default; --seed-alerts turns them off, and then the
 * incident flags have nothing to act on, which is a mistake worth saying. */
static void det_parse_flags(int argc, char **argv, struct det_opts *o)
{
	bool seed = false, inc_flag = false;
	int c;

	*o = (struct det_opts){
		.flag_rules = nw_xcalloc((size_t)argc + 1, sizeof *o->flag_rules),
		.flag_sets = nw_xcalloc((size_t)argc + 1, sizeof *o->flag_sets),
		.resolve_ms = 60000, .incidents = true };
	while ((c = nw_getopt(argc, argv, &det_cli)) != -1) {
		switch (c) {
		case 'r': o->rules_path = optarg; break;
		case 'e': o->flag_rules[o->nflag++] = optarg; break;
		case 'S': o->flag_sets[o->nset++] = optarg; break;
		case 'a': o->allow_path = optarg; break;
		case 'g': o->groups_path = optarg; break;
		case 'c': o->check = true; break;
		case 'd': o->dlq_path = optarg; break;
		case 's': o->stats_path = optarg; break;
		case 'p': fputs(rule_default_json, stdout); exit(NW_EXIT_OK);
		case 'i': inc_flag = true; break;
		case O_SEED: seed = true; break;
		case 'F': o->for_ms = nw_flag_duration_ms("--for", optarg, 0);
		          inc_flag = true; break;
		case 'R': o->resolve_ms = nw_flag_duration_ms("--resolve-after", optarg, 1);
		          inc_flag = true; break;
		case 'k': o->ckpt_dir = optarg; break;
		case 'm': o->max_keys = nw_flag_count("--max-keys", optarg, 1, UINT32_MAX); break;
		case 'T': o->key_ttl_ms = nw_flag_duration_ms("--key-ttl", optarg, 1); break;
		}
	}
	nw_cli_no_args(argc, argv);
	if (seed && inc_flag)
		nw_usage_error("--seed-alerts: no incidents, so no --incidents, "
		               "--for or --resolve-after");
	o->incidents = !seed;
}

/* The rule set's sources, as the flags name them. */
static struct rule_set *det_load(char *err, size_t errlen)
{
	struct rule_src src = {
		.path = D.o.rules_path, .flags = D.o.flag_rules, .nflags = D.o.nflag,
		.sets = D.o.flag_sets, .nsets = D.o.nset,
		.allow = D.o.allow_path, .groups = D.o.groups_path,
		.max_keys = D.o.max_keys, .key_ttl_ms = D.o.key_ttl_ms };

	return rule_set_load(&src, err, errlen);
}

static void det_out(const char *line, size_t n)
{
	nw_out_line(line, n);
	D.alerts_out++;
}

/* A rule matched: what its incident says, or with --seed-alerts its alert. */
static void det_emit_alert(const char *line, size_t n)
{
	if (D.o.incidents)
		inc_match(&D.inc, &D.rules->last, line, n, det_out);
	else
		det_out(line, n);
}

/* Restore line id: detect.ID.snap.  A set without one was completed by a
 * detect that kept no snapshot (a release before incidents were the
 * default and baselines existed: its barrier could not have completed had
 * a snapshot failed), so nothing was open or learned; a damaged one is an
 * error, and the supervisor restarts the chain from an older set. */
static int det_restore_id(uint64_t id)
{
	char *data = NULL;
	size_t len = 0;
	int got = id == 0 ? 0 : nw_ckpt_load_id(D.ckpt_dir, "detect", id, &data, &len);
	int rc;

	if (got == 0 && id != 0)
		LOG_WARN("restore: no %s/detect.%llu.snap (taken by a detect "
		         "without state), starting with none", D.ckpt_dir,
		         (unsigned long long)id);
	rc = det_snap_load(&D.inc, D.rules, got == 1 ? data : "", got == 1 ? len : 0);
	if (got < 0)
		rc = -1;
	if (rc != 0)
		LOG_ERROR("restore: no usable snapshot %s/detect.%llu.snap",
		          D.ckpt_dir, (unsigned long long)id);
	free(data);
	return rc;
}

/* An adopt line (window passes it on): the partition's part of detect's
 * state from the chain that died, in the file it names, replaces what this
 * detect holds of the partition.  Without a part (none published, a file
 * that cannot be read, a damaged one: warned) the partition keeps what it
 * has here; either way its records now come from a window engine of its
 * own, so its incidents resolve on its own event time. */
#define ADOPT_MAX ((size_t)1 << 31)
static void det_adopt(void *ctl)
{
	const char *topic, *path = json_string_value(json_object_get(ctl, "detect"));
	size_t tlen, len = 0;
	int32_t part;
	uint32_t tag;
	char *data = NULL, err[256];

	if (!nw_ctl_topic_part(ctl, &topic, &tlen, &part))
		return;
	tag = dpart_intern(topic, tlen, part);
	D.adopted++;
	if (path && (data = nw_read_file(path, ADOPT_MAX, &len, err,
	                                 sizeof err)) == NULL)
		LOG_WARN("adopt: %s", err);
	if (data && det_snap_adopt(&D.inc, D.rules, tag, data, len) == 0) {
		LOG_INFO("adopt: topic=%.*s partition=%d incidents_held=%llu",
		         (int)tlen, topic, (int)part, (unsigned long long)D.inc.n);
	} else {
		if (data)
			LOG_WARN("adopt: %s is damaged: topic=%.*s partition=%d "
			         "keeps what this detect has of it", path, (int)tlen,
			         topic, (int)part);
		else
			LOG_INFO("adopt: topic=%.*s partition=%d without detect's "
			         "part", (int)tlen, topic, (int)part);
		inc_set_side(&D.inc, tag);
	}
	free(data);
}

/* window's partition and adopt lines (docs/contracts.md §4) end here:
 * true when line was one (consumed).  A partition line comes before most
 * records of a chain on a multi-partition topic, always one of a few
 * texts: the texts seen are kept with their tags, so a repeat costs a
 * compare instead of a parse. */
static bool det_partition_ctl(const char *line, size_t n)
{
	json_t *ctl;
	const char *type, *topic;
	size_t tlen;
	int32_t part;
	bool ours = true;

	for (size_t i = 0; i < D.nplines; i++)
		if (D.plines[i].n == n && memcmp(D.plines[i].text, line, n) == 0) {
			dpart_set_current(D.plines[i].tag);
			return true;
		}
	ctl = nw_ctl_parse(line, n);
	type = json_string_value(json_object_get(ctl, "type"));
	if (type && strcmp(type, "partition") == 0 &&
	    nw_ctl_topic_part(ctl, &topic, &tlen, &part)) {
		dpart_set_current(dpart_intern(topic, tlen, part));
		if (D.nplines < DET_PLINES)
			D.plines[D.nplines++] = (struct det_pline){
				nw_xmemdup(line, n), n, dpart_current() };
	} else if (type && strcmp(type, "adopt") == 0)
		det_adopt(ctl);
	else
		ours = false;
	json_decref(ctl);
	return ours;
}

/* Barriers snapshot the incidents and the baselines, a restore puts them
 * back (window's protocol, docs/recovery.md); without a checkpoint
 * directory detect passes every control line on. */
static enum nw_stage_verdict det_on_ctl(struct nw_stage *st,
                                        enum nw_ctl_kind kind, uint64_t id,
                                        const char *line, size_t n)
{
	struct nw_buf b = { 0 };
	int rc = 0;

	if (kind == NW_CTL_OTHER && det_partition_ctl(line, n))
		return NW_STAGE_CONSUMED;
	if (D.ckpt_dir == NULL)
		return NW_STAGE_FORWARD;
	if (kind == NW_CTL_BARRIER) {
		det_snap_save(&D.inc, D.rules, &b);
		rc = nw_ckpt_write(D.ckpt_dir, "detect", id, b.p, b.len);
		nw_buf_free(&b);
	} else if (kind == NW_CTL_RESTORE) {
		rc = det_restore_id(id);
	}
	if (rc != 0) {
		nw_stage_stop(st, NW_EXIT_FAIL);
		return NW_STAGE_CONSUMED;
	}
	return NW_STAGE_FORWARD;
}

/* SIGHUP: build the new set completely, then swap; keep the old on error. */
static void det_reload(void)
{
	char err[768];
	struct rule_set *rs;

	if (D.o.rules_path == NULL && D.o.nset == 0 && D.o.allow_path == NULL &&
	    D.o.groups_path == NULL) {
		LOG_INFO("SIGHUP: no rules file to reload");
		return;
	}
	rs = det_load(err, sizeof err);
	if (rs == NULL) {
		D.reload_failures++;
		LOG_ERROR("rules reload failed, keeping the %d old rules: %s",
		          D.rules->n, err);
		return;
	}
	rule_set_carry(rs, D.rules);
	rule_set_free(D.rules);
	D.rules = rs;
	D.reloads++;
	LOG_INFO("rules reloaded file=%s rules=%d sets=%d groups=%d",
	         D.o.rules_path ? D.o.rules_path : "-", rs->n, rs->hosts.nset,
	         rs->hosts.ngroup);
}

/* A window record: every rule that matches it writes an alert. */
static void det_on_line(struct nw_stage *st, char *line, size_t n)
{
	const char *why;

	if ((why = rec_parse(&D.rec, line, n)) != NULL) {
		nw_dlq_put(&D.dlq, why, line, n);
		return;
	}
	D.records_in++;
	if (D.o.incidents)       /* what ended before this window resolves */
		inc_advance(&D.inc, D.rec.window_end, dpart_current(), det_out);
	D.allowed += (uint64_t)rule_set_apply(D.rules, &D.rec, det_emit_alert);
}

static void det_on_tick(struct nw_stage *st)
{
	if (nw_sig_hup) {
		nw_sig_hup = 0;
		det_reload();
	}
}

/* --check: the rules as detect understood them. */
static void det_check_report(void)
{
	static const char *const sev[] = { "info", "warning", "critical" };

	for (int i = 0; i < D.rules->n; i++) {
		const struct rule *r = &D.rules->v[i];
		printf("%-20s %-8s %-10s %s\n", r->name, sev[r->severity],
		       r->key_field ? r->key_field : "*", r->when);
		if (r->base.kind == BASE_EWMA) {
			printf("%-20s baseline of %s: k %g, floor %g, warmup %d, alpha %g, "
			       "min_dev %g, cold %s", "", r->base.value, r->base.k,
			       r->base.floor, r->base.warmup, r->base.alpha,
			       r->base.min_dev, r->base.cold_when ? "when" :
			       r->base.cold_spike ? "spike" : "quiet");
			if (r->base.cold_spike)
				printf(" (ratio %g)", r->base.ratio);
			putchar('\n');
		} else if (r->base.kind == BASE_SPIKE)
			printf("%-20s spike of %s: ratio %g, min %g, ref_min %g\n", "",
			       r->base.value, r->base.ratio, r->base.min, r->base.ref_min);
	}
	for (int i = 0; i < D.rules->hosts.nset; i++)
		printf("set @%s: %d networks\n", D.rules->hosts.set[i].name,
		       D.rules->hosts.set[i].s.nnets);
	if (D.rules->hosts.have_allow)
		printf("allowlist: %d networks\n", D.rules->hosts.allow.nnets);
	for (int i = 0; i < D.rules->hosts.ngroup; i++)
		printf("group %s: %d threshold overrides\n",
		       D.rules->hosts.group[i].name, D.rules->hosts.group[i].nthr);
	printf("%d rules OK\n", D.rules->n);
}

/* The standard counters come from lib; these are detect's own. */
static void det_stats_setup(void)
{
	nw_stats_init(D.o.stats_path, 1000);
	nw_stats_u64("records_in", &D.records_in);
	nw_stats_u64("alerts_out", &D.alerts_out);
	nw_stats_u64("allowed", &D.allowed);
	nw_stats_u64("reloads", &D.reloads);
	nw_stats_u64("reload_failures", &D.reload_failures);
	nw_stats_u64("partitions_adopted", &D.adopted);
	nw_stats_fn("rules", rule_set_stats, &D.rules);
	if (D.o.incidents) {
		nw_stats_u64("incidents_opened", &D.inc.opened);
		nw_stats_u64("incidents_resolved", &D.inc.resolved);
		nw_stats_gauge("incidents_tracked", &D.inc.n);
	}
}

int main(int argc, char **argv)
{
	char err[768];
	int rc;

	nw_log_init("detect");
	det_parse_flags(argc, argv, &D.o);
	D.rules = det_load(err, sizeof err);
	if (D.rules == NULL)
		nw_usage_error("%s", err);
	if (D.o.check) {
		det_check_report();
		rule_set_free(D.rules);
		free(D.o.flag_rules);
		free(D.o.flag_sets);
		return NW_EXIT_OK;
	}

	nw_sig_init();
	nw_out_init();
	if (nw_dlq_open(&D.dlq, D.o.dlq_path) < 0)
		nw_usage_error("--dead-letter %s: %s", D.o.dlq_path, strerror(errno));
	det_stats_setup();
	LOG_INFO("started rules=%d source=%s", D.rules->n,
	         D.o.rules_path ? D.o.rules_path : D.o.nflag ? "--rule" : "built-in");

	inc_init(&D.inc, D.o.for_ms, D.o.resolve_ms);
	D.ckpt_dir = nw_ckpt_dir(D.o.ckpt_dir);
	struct nw_stage st = { .on_line = det_on_line, .on_tick = det_on_tick,
	                       .on_ctl = det_on_ctl, .dlq = &D.dlq };
	rc = nw_stage_run(&st);

	LOG_INFO("done records=%llu alerts=%llu ctl_lines=%llu dead_letters=%llu",
	         (unsigned long long)D.records_in, (unsigned long long)D.alerts_out,
	         (unsigned long long)nw_std.ctl_lines,
	         (unsigned long long)nw_std.dead_letters);
	nw_stats_close();
	nw_dlq_close(&D.dlq);
	rec_free(&D.rec);
	rule_set_free(D.rules);
	inc_free(&D.inc);
	dpart_free();
	for (size_t i = 0; i < D.nplines; i++)
		free(D.plines[i].text);
	free(D.o.flag_rules);
	free(D.o.flag_sets);
	return rc;
}
