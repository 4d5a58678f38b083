/* ckpt.c - barrier checkpoints: durable snapshot files, the completed
 * marker, restore-point selection and pruning (see ckpt.h). */
#include "nw.h"
#include "ckpt.h"
#include "stage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CKPT_SUFFIX ".snap"
#define CKPT_HDR_MAX 256

const char *nw_ckpt_dir(const char *flag)
{
	const char *env;

	if (flag != NULL && *flag != '\0')
		return flag;
	env = getenv(NW_CKPT_ENV);
	return env != NULL && *env != '\0' ? env : NULL;
}

/* Table-driven CRC-32, table built on first use. */
uint32_t nw_crc32(uint32_t crc, const void *p, size_t n)
{
	static uint32_t table[256];
	static bool ready;
	const unsigned char *s = p;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *s++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* Write the parts to dir/name through dir/.name.tmp: write, fsync, rename,
 * fsync the directory.  The one way every checkpoint file is written. */
static int atomic_write(const char *dir, const char *name,
                        const void *a, size_t alen,
                        const void *b, size_t blen)
{
	struct nw_buf tmp = { 0 }, dst = { 0 };
	int fd, e, rc = -1;

	nw_buf_printf(&tmp, "%s/.%s.tmp", dir, name);
	nw_buf_printf(&dst, "%s/%s", dir, name);
	fd = open(tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto out;
	if (nw_write_all(fd, a, alen) != 0 || nw_write_all(fd, b, blen) != 0 ||
	    fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlink(tmp.p);
		errno = e;
		goto out;
	}
	if (close(fd) != 0 || rename(tmp.p, dst.p) != 0) {
		e = errno;
		unlink(tmp.p);
		errno = e;
		goto out;
	}
	rc = nw_fsync_dir(dir);
out:
	if (rc != 0) {
		e = errno;
		LOG_ERROR("cannot write checkpoint file %s: %s", dst.p,
		          strerror(e));
		errno = e;
	}
	nw_buf_free(&tmp);
	nw_buf_free(&dst);
	return rc;
}

int nw_ckpt_write(const char *dir, const char *stage, uint64_t id,
                  const void *data, size_t len)
{
	char hdr[CKPT_HDR_MAX], name[CKPT_HDR_MAX];
	int hn;

	if (strchr(stage, '/') != NULL || strchr(stage, ' ') != NULL ||
	    strlen(stage) > 64) {
		errno = EINVAL;
		return -1;
	}
	hn = snprintf(hdr, sizeof hdr, "%s %d %s %llu %zu %08x\n",
	              NW_CKPT_MAGIC, NW_CKPT_VERSION, stage,
	              (unsigned long long)id, len, nw_crc32(0, data, len));
	snprintf(name, sizeof name, "%s.%llu%s", stage, (unsigned long long)id,
	         CKPT_SUFFIX);
	return atomic_write(dir, name, hdr, (size_t)hn, data, len);
}

/* Strict decimal u64 of s[0..n). */
static bool parse_u64n(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Read a whole small file into a malloc'd NUL-terminated buffer. */
static int slurp(const char *path, char **data, size_t *len)
{
	struct nw_buf b = { 0 };
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			nw_buf_free(&b);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		nw_buf_add(&b, chunk, (size_t)r);
	}
	close(fd);
	nw_buf_reserve(&b, 1);
	b.p[b.len] = '\0';
	*data = b.p;
	*len = b.len;
	return 0;
}

int nw_ckpt_completed(const char *dir, uint64_t *id)
{
	struct nw_buf path = { 0 };
	char *s = NULL;
	size_t n = 0;
	int rc;

	nw_buf_printf(&path, "%s/%s", dir, NW_CKPT_COMPLETED);
	if (slurp(path.p, &s, &n) != 0) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc < 0)
			LOG_ERROR("cannot read %s: %s", path.p, strerror(errno));
		nw_buf_free(&path);
		return rc;
	}
	if (n > 0 && s[n - 1] == '\n')
		n--;
	rc = parse_u64n(s, n, id) ? 1 : -1;
	if (rc < 0)
		LOG_ERROR("malformed checkpoint marker %s", path.p);
	free(s);
	nw_buf_free(&path);
	return rc;
}

int nw_ckpt_mark_completed(const char *dir, uint64_t id)
{
	uint64_t cur;
	char line[32];
	int n;

	if (nw_ckpt_completed(dir, &cur) == 1 && cur >= id)
		return 0;
	n = snprintf(line, sizeof line, "%llu\n", (unsigned long long)id);
	return atomic_write(dir, NW_CKPT_COMPLETED, line, (size_t)n, "", 0);
}

/* "<stage>.<id>.snap" → stage length and id; false for anything else
 * (temporary files start with a dot and never match). */
static bool snap_name(const char *name, size_t *stage_len, uint64_t *id)
{
	size_t n = strlen(name), sl = strlen(CKPT_SUFFIX);
	const char *dot;

	if (name[0] == '.' || n <= sl ||
	    strcmp(name + n - sl, CKPT_SUFFIX) != 0)
		return false;
	n -= sl;
	dot = memrchr(name, '.', n);
	if (dot == NULL || dot == name)
		return false;
	if (!parse_u64n(dot + 1, n - (size_t)(dot + 1 - name), id))
		return false;
	*stage_len = (size_t)(dot - name);
	return true;
}

static int ent_cmp_desc(const void *a, const void *b)
{
	const struct nw_ckpt_ent *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? 1 : -1;
	return strcmp(x->stage, y->stage);
}

int nw_ckpt_list(const char *dir, const char *stage,
                      struct nw_ckpt_ent **out, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct nw_ckpt_ent *v = NULL;
	size_t n = 0, cap = 0, sl;
	uint64_t id;

	*out = NULL, *count = 0;
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		LOG_ERROR("cannot open checkpoint dir %s: %s", dir,
		          strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!snap_name(de->d_name, &sl, &id))
			continue;
		if (stage != NULL &&
		    (strlen(stage) != sl || memcmp(stage, de->d_name, sl) != 0))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = nw_xreallocarray(v, cap, sizeof *v);
		}
		v[n].stage = nw_xstrndup(de->d_name, sl);
		v[n++].id = id;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof *v, ent_cmp_desc);
	*out = v, *count = n;
	return 0;
}

void nw_ckpt_list_free(struct nw_ckpt_ent *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].stage);
	free(v);
}

/* Check one snapshot's header against its name, its length and its CRC.
 * Returns the payload's offset in buf, or 0 with *why set. */
static size_t snap_check(const char *buf, size_t n, const char *stage,
                         uint64_t id, size_t *plen, const char **why)
{
	const char *nl = memchr(buf, '\n', n < CKPT_HDR_MAX ? n : CKPT_HDR_MAX);
	char magic[16], hstage[80];
	unsigned long long hid;
	size_t hlen, off;
	unsigned crc;
	int ver, used = 0;

	if (nl == NULL) {
		*why = "no header";
		return 0;
	}
	char hdr[CKPT_HDR_MAX + 1];
	memcpy(hdr, buf, (size_t)(nl - buf));
	hdr[nl - buf] = '\0';
	if (sscanf(hdr, "%15s %d %79s %llu %zu %8x%n", magic, &ver, hstage,
	           &hid, &hlen, &crc, &used) != 6 || hdr[used] != '\0' ||
	    strcmp(magic, NW_CKPT_MAGIC) != 0) {
		*why = "bad header";
		return 0;
	}
	if (ver != NW_CKPT_VERSION) {
		*why = "unknown format version";
		return 0;
	}
	if (strcmp(hstage, stage) != 0 || hid != id) {
		*why = "header does not match the file name";
		return 0;
	}
	off = (size_t)(nl - buf) + 1;
	if (n - off != hlen) {
		*why = n - off < hlen ? "truncated" : "trailing bytes";
		return 0;
	}
	if (nw_crc32(0, buf + off, hlen) != crc) {
		*why = "checksum mismatch";
		return 0;
	}
	*plen = hlen;
	return off;
}

int nw_ckpt_load_id(const char *dir, const char *stage, uint64_t id,
                    char **data, size_t *len)
{
	struct nw_buf path = { 0 };
	const char *why = NULL;
	char *buf;
	size_t n, off, plen = 0;
	struct stat st;

	nw_buf_printf(&path, "%s/%s.%llu%s", dir, stage,
	              (unsigned long long)id, CKPT_SUFFIX);
	if (stat(path.p, &st) != 0) {
		nw_buf_free(&path);
		return 0;
	}
	if ((uint64_t)st.st_size > NW_CKPT_MAX_LEN + CKPT_HDR_MAX) {
		LOG_WARN("checkpoint %s is corrupt (too large), skipping it",
		         path.p);
		nw_buf_free(&path);
		return -1;
	}
	if (slurp(path.p, &buf, &n) != 0) {
		LOG_WARN("cannot read checkpoint %s: %s", path.p,
		         strerror(errno));
		nw_buf_free(&path);
		return errno == ENOENT ? 0 : -1;
	}
	off = snap_check(buf, n, stage, id, &plen, &why);
	if (off == 0) {
		LOG_WARN("checkpoint %s is corrupt (%s), skipping it", path.p,
		         why);
		free(buf);
		nw_buf_free(&path);
		return -1;
	}
	memmove(buf, buf + off, plen);
	buf[plen] = '\0';
	*data = buf;
	*len = plen;
	nw_buf_free(&path);
	return 1;
}

int nw_ckpt_load(const char *dir, const char *stage, uint64_t max_id,
                 uint64_t *id, char **data, size_t *len)
{
	struct nw_ckpt_ent *v;
	size_t n;
	int rc = 0;

	if (nw_ckpt_list(dir, stage, &v, &n) != 0)
		return -1;
	for (size_t i = 0; i < n && rc != 1; i++) {
		if (v[i].id > max_id)
			continue;
		if (nw_ckpt_load_id(dir, stage, v[i].id, data, len) == 1) {
			*id = v[i].id;
			rc = 1;
		}
	}
	nw_ckpt_list_free(v, n);
	return rc;
}

/* Is every snapshot with this id valid, and does every stage in need[]
 * have one? */
static bool id_usable(const char *dir, const struct nw_ckpt_ent *v, size_t n,
                      uint64_t id, char **need, size_t nneed)
{
	size_t have = 0;

	for (size_t i = 0; i < n; i++) {
		char *data;
		size_t len;
		if (v[i].id != id)
			continue;
		if (nw_ckpt_load_id(dir, v[i].stage, id, &data, &len) != 1)
			return false;
		free(data);
		for (size_t k = 0; k < nneed; k++)
			if (strcmp(need[k], v[i].stage) == 0)
				have++;
	}
	return have == nneed;
}

int nw_ckpt_restore_point(const char *dir, uint64_t *id)
{
	struct nw_ckpt_ent *v;
	char **need = NULL;
	size_t n, nneed = 0;
	uint64_t done, last = UINT64_MAX;
	int rc;

	rc = nw_ckpt_completed(dir, &done);
	if (rc <= 0)
		return rc;
	if (nw_ckpt_list(dir, NULL, &v, &n) != 0)
		return -1;
	need = nw_xcalloc(n + 1, sizeof *need);
	rc = 0;
	/* Newest first: an id qualifies when all its files are valid and
	 * every stage met at a newer (failed) id has a file there too, so the
	 * whole chain restores from the same barrier. */
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (v[i].id > done || v[i].id == last)
			continue;
		last = v[i].id;
		for (size_t j = i; j < n && v[j].id == last; j++) {
			bool seen = false;
			for (size_t k = 0; k < nneed; k++)
				seen |= strcmp(need[k], v[j].stage) == 0;
			if (!seen)
				need[nneed++] = v[j].stage;
		}
		if (id_usable(dir, v, n, last, need, nneed)) {
			*id = last;
			rc = 1;
		} else {
			LOG_WARN("checkpoint %llu is not usable, trying an "
			         "older one", (unsigned long long)last);
		}
	}
	free(need);
	nw_ckpt_list_free(v, n);
	return rc;
}

int nw_ckpt_prune(const char *dir, const char *stage, uint64_t keep_id)
{
	struct nw_ckpt_ent *v;
	struct nw_buf path = { 0 };
	size_t n;
	int removed = 0;

	if (nw_ckpt_list(dir, stage, &v, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].id >= keep_id)
			continue;
		nw_buf_reset(&path);
		nw_buf_printf(&path, "%s/%s.%llu%s", dir, v[i].stage,
		              (unsigned long long)v[i].id, CKPT_SUFFIX);
		if (unlink(path.p) == 0)
			removed++;
	}
	nw_ckpt_list_free(v, n);
	nw_buf_free(&path);
	return removed;
}

uint64_t nw_ckpt_max_id(const char *dir)
{
	struct nw_ckpt_ent *v;
	size_t n;
	uint64_t max = 0, done;

	if (nw_ckpt_completed(dir, &done) == 1)
		max = done;
	if (nw_ckpt_list(dir, NULL, &v, &n) == 0) {
		if (n > 0 && v[0].id > max)
			max = v[0].id;
		nw_ckpt_list_free(v, n);
	}
	return max;
}

/* Kept for callers that only care about checkpoints: the one classifier
 * (stage.h) with "other" folded into "none". */
enum nw_ckpt_ctl nw_ckpt_ctl_parse(const char *line, size_t n, uint64_t *id)
{
	switch (nw_ctl_classify(line, n, id)) {
	case NW_CTL_BARRIER: return NW_CKPT_CTL_BARRIER;
	case NW_CTL_RESTORE: return NW_CKPT_CTL_RESTORE;
	default: return NW_CKPT_CTL_NONE;
	}
}

void nw_ckpt_restore_line(struct nw_buf *out, uint64_t id)
{
	nw_buf_adds(out, "{\"@ctl\":{\"type\":\"restore\",\"id\":");
	nw_buf_add_u64(out, id);
	nw_buf_adds(out, "}}");
}

/* ---- per-partition parts (ckpt.h) -------------------------------------- */

#define PARTS_TRAILER (4 + 8 + 4)

size_t nw_parts_begin(const struct nw_buf *b)
{
	return b->len;
}

void nw_parts_add(struct nw_buf *b, const char *topic, size_t tlen,
                  int32_t partition, const void *data, size_t len)
{
	uint8_t named = topic != NULL;
	uint32_t tl = named ? (uint32_t)tlen : 0;
	uint64_t n = len;

	nw_buf_add(b, &named, 1);
	nw_buf_add(b, &tl, 4);
	if (tl)
		nw_buf_add(b, topic, tl);
	nw_buf_add(b, &partition, 4);
	nw_buf_add(b, &n, 8);
	if (len)
		nw_buf_add(b, data, len);
}

void nw_parts_end(struct nw_buf *b, size_t begin, uint32_t nparts)
{
	uint64_t at = begin;
	uint32_t magic = NW_PARTS_MAGIC;

	nw_buf_add(b, &nparts, 4);
	nw_buf_add(b, &at, 8);
	nw_buf_add(b, &magic, 4);
}

int nw_parts_count(const char *payload, size_t len, size_t *body_len)
{
	uint32_t n, magic;
	uint64_t at;

	*body_len = len;
	if (len < PARTS_TRAILER)
		return 0;
	memcpy(&magic, payload + len - 4, 4);
	if (magic != NW_PARTS_MAGIC)
		return 0;
	memcpy(&n, payload + len - PARTS_TRAILER, 4);
	memcpy(&at, payload + len - 12, 8);
	if (at > len - PARTS_TRAILER)
		return -1;
	*body_len = (size_t)at;
	return (int)(n > INT32_MAX ? -1 : (int)n);
}

/* Walk from the table's start to part i, every step bounds-checked. */
int nw_parts_get(const char *payload, size_t len, uint32_t i,
                 struct nw_part *out)
{
	size_t at, end;
	int n = nw_parts_count(payload, len, &at);

	if (n < 0 || i >= (uint32_t)n)
		return -1;
	end = len - PARTS_TRAILER;
	for (uint32_t k = 0; k <= i; k++) {
		uint8_t named;
		uint32_t tl;
		uint64_t dl;
		if (end - at < 1 + 4)
			return -1;
		named = (uint8_t)payload[at];
		memcpy(&tl, payload + at + 1, 4);
		at += 5;
		if (named > 1 || end - at < (size_t)tl + 4 + 8)
			return -1;
		out->topic = named ? payload + at : NULL;
		out->tlen = tl;
		at += tl;
		memcpy(&out->partition, payload + at, 4);
		memcpy(&dl, payload + at + 4, 8);
		at += 12;
		if (dl > end - at)
			return -1;
		out->data = payload + at;
		out->len = (size_t)dl;
		at += (size_t)dl;
	}
	return 0;
}

int nw_parts_find(const char *payload, size_t len, const char *topic,
                  int32_t partition, struct nw_part *out)
{
	size_t body;
	int n = nw_parts_count(payload, len, &body);
	size_t tlen = strlen(topic);

	for (int i = 0; i < n; i++) {
		if (nw_parts_get(payload, len, (uint32_t)i, out) != 0)
			return -1;
		if (out->topic && out->partition == partition && out->tlen == tlen &&
		    memcmp(out->topic, topic, tlen) == 0)
			return 1;
	}
	return n < 0 ? -1 : 0;
}
