/*
 * cfg.h - reading detect's configuration files (rules, network lists,
 * host groups) whole, with one size cap and one style of error.
 *
 * Ownership: cfg_read returns a NUL-terminated buffer the caller frees.
 */
#ifndef CFG_H
#define CFG_H

#include <stdbool.h>
#include <stddef.h>

#define CFG_MAX_BYTES (64u * 1024 * 1024)

/* A rule's or a host group's name: 1 to 64 letters, digits, '_', '-', '.'. */
bool  cfg_name_ok(const char *s);
/* The file's bytes (and *n), or NULL with "path: reason" in err. */
char *cfg_read(const char *path, size_t *n, char *err, size_t errlen);
/* path as written when absolute (or base has no directory), else joined to
 * base's directory: files named in a config file are relative to it. */
char *cfg_path_near(const char *base, const char *path);

#endif
