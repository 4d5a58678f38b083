/*
 * data.c - loading enrich's local data: the GeoIP and ASN databases
 * (libmaxminddb, any MaxMind-format file), the --list files and the
 * identity file.  A load builds a whole new enr_data and fails as a whole,
 * so a SIGHUP reload swaps in only a complete set (main.c).
 *
 * Ownership: enr_data_load fills the caller's struct; enr_data_free
 * releases what it holds.
 */
#include "enr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int enr_list_parse(struct ipset *s, const char *text, size_t n,
                   const char *origin, char *err, size_t errlen)
{
	int va, vb;

	memset(s, 0, sizeof *s);
	if (ipset_add_list(s, text, n, origin, 0, err, errlen) < 0 ||
	    ipset_build(s, &va, &vb, err, errlen) < 0) {
		ipset_free(s);
		return -1;
	}
	return 0;
}

/* A MaxMind-format database, opened whole into memory (MMDB_MODE_MMAP
 * maps it; the map stays valid if the file is replaced on disk). */
static int enr_mmdb_open(const char *path, MMDB_s *db, char *err, size_t errlen)
{
	int rc = MMDB_open(path, MMDB_MODE_MMAP, db);

	if (rc != MMDB_SUCCESS) {
		snprintf(err, errlen, "%s: %s%s%s", path, MMDB_strerror(rc),
		         rc == MMDB_IO_ERROR ? ": " : "",
		         rc == MMDB_IO_ERROR ? strerror(errno) : "");
		return -1;
	}
	return 0;
}

/* A file read whole and handed to a parser. */
static int enr_parse_file(const char *path, struct ipset *list,
                          struct enr_ident *id, char *err, size_t errlen)
{
	size_t n;
	char *text = nw_read_file(path, ENR_MAX_BYTES, &n, err, errlen);
	int rc;

	if (text == NULL)
		return -1;
	rc = list ? enr_list_parse(list, text, n, path, err, errlen)
	          : enr_ident_parse(id, text, n, path, err, errlen);
	free(text);
	return rc;
}

int enr_data_load(const struct enr_src *src, struct enr_data *d, char *err,
                  size_t errlen)
{
	memset(d, 0, sizeof *d);
	if (src->geoip && enr_mmdb_open(src->geoip, &d->geo, err, errlen) < 0)
		goto fail;
	d->have_geo = src->geoip != NULL;
	if (src->asn && enr_mmdb_open(src->asn, &d->asn, err, errlen) < 0)
		goto fail;
	d->have_asn = src->asn != NULL;
	d->list = nw_xcalloc((size_t)src->nlist + 1, sizeof *d->list);
	for (; d->nlist < src->nlist; d->nlist++)
		if (enr_parse_file(src->list_path[d->nlist], &d->list[d->nlist],
		                   NULL, err, errlen) < 0)
			goto fail;
	if (src->identity &&
	    enr_parse_file(src->identity, NULL, &d->ident, err, errlen) < 0)
		goto fail;
	d->have_ident = src->identity != NULL;
	return 0;
fail:
	enr_data_free(d);
	return -1;
}

void enr_data_free(struct enr_data *d)
{
	if (d->have_geo)
		MMDB_close(&d->geo);
	if (d->have_asn)
		MMDB_close(&d->asn);
	for (int i = 0; i < d->nlist; i++)
		ipset_free(&d->list[i]);
	free(d->list);
	enr_ident_free(&d->ident);
	memset(d, 0, sizeof *d);
}
