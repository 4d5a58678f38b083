/*
 * cfg.h - reading detect's configuration files (rules, network lists,
 * host groups) whole, with one size cap and one style of error.
 *
 * Ownership: cfg_read returns a NUL-terminated buffer the caller frees.
 */
#ifndef CFG_H
#define CFG_H

#include <stddef.h>

#define CFG_MAX_BYTES (64u * 1024 * 1024)

/* The file's bytes (and *n), or NULL with "path: reason" in err. */
char *cfg_read(const char *path, size_t *n, char *err, size_t errlen);
/* path as written when absolute (or base has no directory), else joined to
 * base's directory: files named in a config file are relative to it. */
char *cfg_path_near(const char *base, const char *path);

#endif
