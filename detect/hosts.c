/* hosts.c - loading named network sets, the allowlist and host groups
 * (see hosts.h). */
#include "hosts.h"
#include "cfg.h"
#include "nw.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Set names are what may follow '@' in an expression. */
static bool hosts_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64 || (!isalpha((unsigned char)s[0]) && s[0] != '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

int hosts_set_find(const struct hosts *h, const char *name, size_t n)
{
	for (int i = 0; i < h->nset; i++)
		if (strlen(h->set[i].name) == n && memcmp(h->set[i].name, name, n) == 0)
			return i;
	return -1;
}

/* A new empty set named name, or NULL (err set) when the name is bad or
 * taken. */
static struct ipset *hosts_new_set(struct hosts *h, const char *name, size_t n,
                                   char *err, size_t errlen)
{
	if (!hosts_name_ok(name, n)) {
		snprintf(err, errlen, "set name '%.*s' must be a letter or '_', then "
		         "letters, digits or '_' (at most 64)", (int)(n > 64 ? 64 : n),
		         name);
		return NULL;
	}
	if (hosts_set_find(h, name, n) >= 0) {
		snprintf(err, errlen, "set @%.*s defined twice", (int)n, name);
		return NULL;
	}
	h->set = nw_xreallocarray(h->set, (size_t)h->nset + 1, sizeof *h->set);
	h->set[h->nset] = (struct hosts_set){ .name = nw_xstrndup(name, n) };
	return &h->set[h->nset++].s;
}

/* Add a plain-list file to s and build it. */
static int hosts_list_file(struct ipset *s, const char *path, char *err,
                           size_t errlen)
{
	size_t n;
	char *text = cfg_read(path, &n, err, errlen);
	int va, vb, rc;

	if (text == NULL)
		return -1;
	rc = ipset_add_list(s, text, n, path, 0, err, errlen);
	free(text);
	return rc < 0 ? -1 : ipset_build(s, &va, &vb, err, errlen);
}

int hosts_set_flag(struct hosts *h, const char *spec, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');
	struct ipset *s;
	char why[512];

	if (eq == NULL || eq[1] == '\0') {
		snprintf(err, errlen, "--set '%s': expected NAME=FILE", spec);
		return -1;
	}
	if ((s = hosts_new_set(h, spec, (size_t)(eq - spec), why, sizeof why)) == NULL ||
	    hosts_list_file(s, eq + 1, why, sizeof why) < 0) {
		snprintf(err, errlen, "--set %s", why);
		return -1;
	}
	return 0;
}

/* An inline list: an array of address or network strings. */
static int hosts_list_json(struct ipset *s, json_t *arr, char *err, size_t errlen)
{
	size_t i;
	json_t *v;
	int va, vb;

	json_array_foreach(arr, i, v) {
		ipset_addr a;
		int plen;
		char why[200];
		if (!json_is_string(v)) {
			snprintf(err, errlen, "item %zu: not a string", i + 1);
			return -1;
		}
		if (ipset_parse_net(json_string_value(v), json_string_length(v), &a,
		                    &plen, why, sizeof why) < 0) {
			snprintf(err, errlen, "item %zu: %s", i + 1, why);
			return -1;
		}
		ipset_add(s, a, plen, 0);
	}
	return ipset_build(s, &va, &vb, err, errlen);
}

int hosts_set_json(struct hosts *h, json_t *sets, const char *origin,
                   char *err, size_t errlen)
{
	const char *k;
	json_t *v;
	char why[512];

	if (!json_is_object(sets)) {
		snprintf(err, errlen, "%s: \"sets\" must be an object of NAME: "
		         "\"FILE\" or NAME: [\"CIDR\", …]", origin);
		return -1;
	}
	json_object_foreach(sets, k, v) {
		struct ipset *s = hosts_new_set(h, k, strlen(k), why, sizeof why);
		int rc = -1;
		if (s == NULL) {
			snprintf(err, errlen, "%s: %s", origin, why);
			return -1;
		}
		if (json_is_string(v)) {
			char *path = cfg_path_near(origin, json_string_value(v));
			rc = hosts_list_file(s, path, err, errlen);
			free(path);
			if (rc < 0)
				return -1;       /* err names the file and line */
			continue;
		}
		if (json_is_array(v))
			rc = hosts_list_json(s, v, why, sizeof why);
		else
			snprintf(why, sizeof why, "must be a file name or an array "
			         "of addresses and networks");
		if (rc < 0) {
			snprintf(err, errlen, "%s: set \"%s\": %s", origin, k, why);
			return -1;
		}
	}
	return 0;
}

int hosts_allow_load(struct hosts *h, const char *path, char *err, size_t errlen)
{
	char why[512];

	h->have_allow = true;
	if (hosts_list_file(&h->allow, path, why, sizeof why) < 0) {
		snprintf(err, errlen, "--allow %s", why);
		return -1;
	}
	return 0;
}

/* ---- groups ------------------------------------------------------------ */

static int hosts_group_networks(struct hosts *h, json_t *v, int gi,
                                char *err, size_t errlen)
{
	size_t i;
	json_t *n;

	if (!json_is_array(v) || json_array_size(v) == 0) {
		snprintf(err, errlen, "\"networks\" must be a non-empty array of "
		         "addresses and networks");
		return -1;
	}
	json_array_foreach(v, i, n) {
		ipset_addr a;
		int plen;
		char why[200];
		if (!json_is_string(n) ||
		    ipset_parse_net(json_string_value(n), json_string_length(n), &a,
		                    &plen, why, sizeof why) < 0) {
			snprintf(err, errlen, "networks: item %zu: %s", i + 1,
			         json_is_string(n) ? why : "not a string");
			return -1;
		}
		ipset_add(&h->gnet, a, plen, gi);
	}
	return 0;
}

static int hosts_group_thresholds(struct hosts_group *g, json_t *v, char *err,
                                  size_t errlen)
{
	const char *k;
	json_t *t;

	if (!json_is_object(v)) {
		snprintf(err, errlen, "\"thresholds\" must be an object of rule "
		         "name: number");
		return -1;
	}
	json_object_foreach(v, k, t) {
		if (!json_is_number(t) || !isfinite(json_number_value(t))) {
			snprintf(err, errlen, "thresholds: \"%s\" must be a number", k);
			return -1;
		}
		g->thr = nw_xreallocarray(g->thr, (size_t)g->nthr + 1, sizeof *g->thr);
		g->thr[g->nthr++] = (struct hosts_thr){ nw_xstrdup(k),
		                                        json_number_value(t) };
	}
	return 0;
}

/* One {"name", "networks", "thresholds"} object as group gi. */
static int hosts_group(struct hosts *h, json_t *o, int gi, char *err,
                       size_t errlen)
{
	struct hosts_group *g = &h->group[gi];
	json_t *v = json_is_object(o) ? json_object_get(o, "name") : NULL;
	const char *k;

	if (!json_is_string(v) || !cfg_name_ok(json_string_value(v))) {
		snprintf(err, errlen, "\"name\" must be a string of letters, digits, "
		         "'_', '-' or '.' (at most 64)");
		return -1;
	}
	for (int i = 0; i < gi; i++)
		if (strcmp(h->group[i].name, json_string_value(v)) == 0) {
			snprintf(err, errlen, "group name used twice");
			return -1;
		}
	g->name = nw_xstrdup(json_string_value(v));
	json_object_foreach(o, k, v) {
		int rc = 0;
		if (strcmp(k, "networks") == 0)
			rc = hosts_group_networks(h, v, gi, err, errlen);
		else if (strcmp(k, "thresholds") == 0)
			rc = hosts_group_thresholds(g, v, err, errlen);
		else if (strcmp(k, "name") != 0) {
			snprintf(err, errlen, "unknown key \"%s\" (known: name, networks, "
			         "thresholds)", k);
			rc = -1;
		}
		if (rc < 0)
			return -1;
	}
	if (json_object_get(o, "networks") == NULL) {
		snprintf(err, errlen, "\"networks\" is missing");
		return -1;
	}
	return 0;
}

int hosts_groups_load(struct hosts *h, const char *path, char *err,
                      size_t errlen)
{
	json_error_t je;
	json_t *root, *o;
	size_t n, i;
	char *text = cfg_read(path, &n, err, errlen), why[512], net[64];
	int va, vb;

	if (text == NULL)
		return -1;
	h->groups_origin = nw_xstrdup(path);
	root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (root == NULL) {
		snprintf(err, errlen, "%s: line %d column %d: %s", path, je.line,
		         je.column, je.text);
		return -1;
	}
	if (!json_is_array(root)) {
		snprintf(err, errlen, "%s: expected an array of groups "
		         "[{\"name\":…, \"networks\":[…], \"thresholds\":{…}}]", path);
		goto fail;
	}
	h->group = nw_xcalloc(json_array_size(root) + 1, sizeof *h->group);
	json_array_foreach(root, i, o) {
		h->ngroup = (int)i + 1;
		if (hosts_group(h, o, (int)i, why, sizeof why) < 0) {
			json_t *nm = json_is_object(o) ? json_object_get(o, "name") : NULL;
			if (json_is_string(nm))
				snprintf(err, errlen, "%s: group \"%s\": %s", path,
				         json_string_value(nm), why);
			else
				snprintf(err, errlen, "%s: group #%zu: %s", path, i + 1, why);
			goto fail;
		}
	}
	if (ipset_build(&h->gnet, &va, &vb, net, sizeof net) < 0) {
		snprintf(err, errlen, "%s: network %s is in groups \"%s\" and \"%s\"",
		         path, net, h->group[va].name, h->group[vb].name);
		goto fail;
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	return -1;
}

void hosts_free(struct hosts *h)
{
	for (int i = 0; i < h->nset; i++) {
		free(h->set[i].name);
		ipset_free(&h->set[i].s);
	}
	free(h->set);
	ipset_free(&h->allow);
	ipset_free(&h->gnet);
	for (int i = 0; i < h->ngroup; i++) {
		for (int j = 0; j < h->group[i].nthr; j++)
			free(h->group[i].thr[j].rule);
		free(h->group[i].thr);
		free(h->group[i].name);
	}
	free(h->group);
	free(h->groups_origin);
	memset(h, 0, sizeof *h);
}
