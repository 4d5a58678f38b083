/*
 * dpart.c - detect's partition tags (dpart.h): a small array searched
 * linearly, since a chain reads a handful of partitions and the current
 * one changes once per run of records of one partition.
 */
#include "dpart.h"
#include "nw.h"

#include <stdlib.h>
#include <string.h>

struct dpart {
	char *topic;
	size_t tlen;
	int32_t partition;
};

static struct dpart *parts;    /* [0] is "no partition" */
static uint32_t nparts, cap, cur;

uint32_t dpart_intern(const char *topic, size_t tlen, int32_t partition)
{
	if (topic == NULL)
		return 0;
	if (nparts == 0) {
		cap = 8;
		parts = nw_xcalloc(cap, sizeof *parts);
		parts[0].partition = -1;
		nparts = 1;
	}
	for (uint32_t i = 1; i < nparts; i++)
		if (parts[i].partition == partition && parts[i].tlen == tlen &&
		    memcmp(parts[i].topic, topic, tlen) == 0)
			return i;
	if (nparts == cap) {
		cap *= 2;
		parts = nw_xreallocarray(parts, cap, sizeof *parts);
	}
	parts[nparts] = (struct dpart){ nw_xmemdup(topic, tlen), tlen, partition };
	return nparts++;
}

uint32_t dpart_count(void)
{
	return nparts ? nparts : 1;
}

const char *dpart_topic(uint32_t tag, size_t *tlen)
{
	if (tag == 0 || tag >= nparts) {
		*tlen = 0;
		return NULL;
	}
	*tlen = parts[tag].tlen;
	return parts[tag].topic;
}

int32_t dpart_partition(uint32_t tag)
{
	return tag == 0 || tag >= nparts ? -1 : parts[tag].partition;
}

uint32_t dpart_current(void)
{
	return cur;
}

void dpart_set_current(uint32_t tag)
{
	cur = tag < dpart_count() ? tag : 0;
}

json_t *dpart_json(uint32_t tag)
{
	size_t tlen;
	const char *t = dpart_topic(tag, &tlen);

	return t ? json_pack("[s%,i]", t, tlen, (int)parts[tag].partition) : NULL;
}

uint32_t dpart_from_json(const json_t *j)
{
	const char *t;
	size_t tlen;
	json_int_t p;

	if (j == NULL || json_unpack((json_t *)j, "[s%,I]", &t, &tlen, &p) != 0 ||
	    p < 0 || p > INT32_MAX)
		return 0;
	return dpart_intern(t, tlen, (int32_t)p);
}

void dpart_free(void)
{
	for (uint32_t i = 1; i < nparts; i++)
		free(parts[i].topic);
	free(parts);
	parts = NULL;
	nparts = cap = cur = 0;
}
