/*
 * hosts.h - what a rule set knows about hosts: named network sets, used in
 * expressions as `key in @backup_servers` (from the rules file's "sets" or
 * --set NAME=FILE), the allowlist (--allow FILE: keys that never alert) and
 * host groups (--groups FILE: networks with a name and per-rule threshold
 * overrides, the longest prefix winning).
 *
 * Lists are plain text (ipset_add_list); the groups file is JSON.  Rule
 * names in a group's thresholds are only recorded here: rules.c checks
 * them against its rules.
 *
 * Ownership: a struct hosts (zeroed to start) owns every name, set and
 * group; hosts_free releases them.
 */
#ifndef HOSTS_H
#define HOSTS_H

#include <jansson.h>
#include <stdbool.h>
#include "ipset.h"

struct hosts_set   { char *name; struct ipset s; };
struct hosts_thr   { char *rule; double v; };
struct hosts_group { char *name; struct hosts_thr *thr; int nthr; };

struct hosts {
	struct hosts_set   *set;
	int                 nset;
	struct ipset        allow;
	bool                have_allow;
	struct ipset        gnet;      /* network -> index into group */
	struct hosts_group *group;
	int                 ngroup;
	char               *groups_origin;   /* the groups file, for errors */
};

/* --set NAME=FILE. */
int  hosts_set_flag(struct hosts *h, const char *spec, char *err, size_t errlen);
/* A rules file's "sets" object: NAME: "FILE" (relative to the rules
 * file) or NAME: ["CIDR", …]. */
int  hosts_set_json(struct hosts *h, json_t *sets, const char *origin,
                    char *err, size_t errlen);
/* Index of the named set, or -1. */
int  hosts_set_find(const struct hosts *h, const char *name, size_t n);
int  hosts_allow_load(struct hosts *h, const char *path, char *err, size_t errlen);
int  hosts_groups_load(struct hosts *h, const char *path, char *err,
                       size_t errlen);
void hosts_free(struct hosts *h);

#endif
