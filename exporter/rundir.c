/* rundir.c - the supervisor's state file and the stats files of a run
 * directory (rundir.h). */
#include "rundir.h"
#include "fields.h"

#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* ---- the state file: KEY=value lines ------------------------------------ */

struct rd_state {
	char **key, **val;
	size_t n;
};

static void rd_state_free(struct rd_state *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->key[i]);
		free(s->val[i]);
	}
	free(s->key);
	free(s->val);
	memset(s, 0, sizeof *s);
}

/* 0, or -1 when there is no state file (errno ENOENT) or it is unreadable. */
static int rd_state_load(struct rd_state *s, const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	memset(s, 0, sizeof *s);
	if (fp == NULL) {
		if (errno != ENOENT)
			LOG_WARN("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) >= 0) {
		char *eq = strchr(line, '=');
		if (eq == NULL)
			continue;
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		s->key = nw_xreallocarray(s->key, s->n + 1, sizeof *s->key);
		s->val = nw_xreallocarray(s->val, s->n + 1, sizeof *s->val);
		s->key[s->n] = nw_xstrndup(line, (size_t)(eq - line));
		s->val[s->n] = nw_xstrdup(eq + 1);
		s->n++;
	}
	free(line);
	fclose(fp);
	return 0;
}

static const char *rd_get(const struct rd_state *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->key[i], key) == 0)
			return s->val[i];
	return NULL;
}

/* stage_<n>_<what> */
static const char *rd_stage_get(const struct rd_state *s, int n,
                                const char *what)
{
	char key[64];

	snprintf(key, sizeof key, "stage_%d_%s", n, what);
	return rd_get(s, key);
}

static bool rd_int(const char *s, int64_t *v)
{
	return s != NULL && nw_parse_i64(s, v) == 0;
}

/* ---- supervisor metrics ------------------------------------------------ */

/* The numeric per-stage keys of the state file, like fields.c's table. */
static const struct {
	const char *key, *metric;
	enum prom_type type;
	bool ms;               /* a time in ms, exposed in seconds */
	const char *help;
} rd_stage_keys[] = {
	{ "restarts", "stage_restarts_total", PROM_COUNTER, false,
	  "Restarts of the stage by the supervisor." },
	{ "rewinds", "stage_rewinds_total", PROM_COUNTER, false,
	  "In-place rewinds of a kcat-src first stage." },
	{ "last_exit", "stage_last_exit_status", PROM_GAUGE, false,
	  "Exit status of the stage's last run (absent before the first exit)." },
	{ "started_ms", "stage_start_time_seconds", PROM_GAUGE, true,
	  "When the supervisor last started the stage (Unix time)." },
};

static const char *const rd_stage_states[] = {
	"new", "running", "backoff", "failed", "done", "stopped",
};
static const char *const rd_phases[] = { "running", "stopping", "done" };

/* One gauge per possible value, 1 for the current one (a state set). */
static void rd_stateset(struct prom *p, const char *metric, const char *help,
                        const struct prom_lset *ls, const char *label,
                        const char *const *values, size_t nvalues,
                        const char *cur)
{
	struct prom_fam *f = prom_family(p, metric, PROM_GAUGE, help);

	for (size_t i = 0; i < nvalues; i++) {
		struct prom_lset l = prom_with(*ls, label, values[i]);
		prom_sample(f, &l, cur && strcmp(cur, values[i]) == 0 ? "1" : "0");
	}
}

/* Is the supervisor that wrote the state still running? */
static bool rd_alive(const struct rd_state *s)
{
	int64_t pid;
	const char *phase = rd_get(s, "phase");

	if (!rd_int(rd_get(s, "supervisor_pid"), &pid) || pid <= 0 ||
	    (phase && strcmp(phase, "done") == 0))
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static void rd_up(struct prom *p, const struct prom_lset *ls, bool up)
{
	prom_sample(prom_family(p, "supervisor_up", PROM_GAUGE,
	            "1 while the chain's supervisor runs."), ls, up ? "1" : "0");
}

static void rd_supervisor(struct prom *p, const struct rd_state *s,
                          const struct prom_lset *ls)
{
	int64_t v;

	rd_up(p, ls, rd_alive(s));
	if (rd_int(rd_get(s, "started_ms"), &v))
		prom_ms(prom_family(p, "supervisor_start_time_seconds", PROM_GAUGE,
		        "When the supervisor started (Unix time)."), ls, v);
	rd_stateset(p, "chain_phase", "The chain's phase: 1 for the current "
	            "one.", ls, "phase", rd_phases,
	            sizeof rd_phases / sizeof rd_phases[0], rd_get(s, "phase"));
}

static void rd_stage_state(struct prom *p, const struct rd_state *s, int n,
                           const struct prom_lset *ls)
{
	const char *st = rd_stage_get(s, n, "state");
	int64_t v;

	prom_sample(prom_family(p, "stage_up", PROM_GAUGE,
	            "1 while the stage runs (state running)."), ls,
	            st && strcmp(st, "running") == 0 ? "1" : "0");
	rd_stateset(p, "stage_state", "The stage's state in the supervisor: 1 "
	            "for the current one.", ls, "state", rd_stage_states,
	            sizeof rd_stage_states / sizeof rd_stage_states[0], st);
	for (size_t i = 0; i < sizeof rd_stage_keys / sizeof rd_stage_keys[0];
	     i++) {
		if (!rd_int(rd_stage_get(s, n, rd_stage_keys[i].key), &v))
			continue;       /* "-": no exit yet */
		struct prom_fam *f = prom_family(p, rd_stage_keys[i].metric,
		                                 rd_stage_keys[i].type,
		                                 rd_stage_keys[i].help);
		if (rd_stage_keys[i].ms) {
			if (v > 0)
				prom_ms(f, ls, v);
		} else {
			prom_i64(f, ls, v);
		}
	}
}

/* ---- stats files ------------------------------------------------------- */

/* The stage's stats line, if it has written one yet. */
static void rd_stats(struct prom *p, const char *path, const char *stage,
                     const struct prom_lset *ls)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (fp == NULL)
		return;
	len = getline(&line, &cap, fp);
	fclose(fp);
	if (len > 0) {
		struct fld_ctx c = { p, *ls, stage, 0 };
		if (fld_stats_line(&c, line, (size_t)len) < 0)
			LOG_WARN("stats file is not one JSON object file=%s", path);
	}
	free(line);
}

static void rd_stage(struct prom *p, const char *run_dir, const char *chain,
                     int n, const char *name, const struct rd_state *s)
{
	char pos[16], path[4096];

	snprintf(pos, sizeof pos, "%d", n);
	struct prom_lset ls = prom_with(prom_with(prom_with(
		(struct prom_lset){ .n = 0 }, "chain", chain), "stage", name),
		"position", pos);
	if (s)
		rd_stage_state(p, s, n, &ls);
	snprintf(path, sizeof path, "%s/%d-%s.stats", run_dir, n, name);
	rd_stats(p, path, name, &ls);
}

/* No state file: one stage per <n>-<name>.stats. */
static void rd_stats_only(struct prom *p, const char *run_dir,
                          const char *chain)
{
	char pat[4096];
	glob_t g;

	snprintf(pat, sizeof pat, "%s/*.stats", run_dir);
	if (glob(pat, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;
		char *end, *name;
		long n = strtol(base, &end, 10);
		if (end == base || *end != '-' || n <= 0 || n > 1000)
			continue;
		name = nw_xstrndup(end + 1, strlen(end + 1) - strlen(".stats"));
		rd_stage(p, run_dir, chain, (int)n, name, NULL);
		free(name);
	}
	globfree(&g);
}

void rd_collect(struct prom *p, const char *run_dir, const char *chain)
{
	char path[4096];
	struct rd_state s;
	struct prom_lset ls = prom_with((struct prom_lset){ .n = 0 }, "chain",
	                                chain);
	int64_t nst;

	snprintf(path, sizeof path, "%s/state", run_dir);
	if (rd_state_load(&s, path) < 0) {
		rd_up(p, &ls, false);
		rd_stats_only(p, run_dir, chain);
		return;
	}
	rd_supervisor(p, &s, &ls);
	if (rd_int(rd_get(&s, "stages"), &nst))
		for (int n = 1; n <= nst && n <= 1000; n++) {
			const char *name = rd_stage_get(&s, n, "name");
			if (name && *name && strchr(name, '/') == NULL)
				rd_stage(p, run_dir, chain, n, name, &s);
		}
	rd_state_free(&s);
}
