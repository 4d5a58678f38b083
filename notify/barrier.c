/*
 * barrier.c - notify's end of the barrier protocol (docs/recovery.md).
 *
 * A barrier line (recognised by lib/ckpt: an integer id, anything else is
 * not a barrier) is remembered until every alert read before it is durable
 * in the spool (or, with --stdout, printed and flushed).  Then it is
 * complete: the checkpoint directory's completed id moves to it, and
 * --barrier-file is replaced with "<id>\n", written to a temporary file,
 * fsync'd, renamed into place and the directory fsync'd, so a crash leaves
 * the old id or the new one, never an empty or torn file.
 *
 * Ownership: struct ntf_barrier borrows its two paths from the caller
 * (the parsed flags); it allocates nothing that outlives a call.
 */
#include "ntf.h"
#include "ckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ntf_barrier_seen(struct ntf_barrier *b, uint64_t id)
{
	b->count++;
	b->id = id;
	b->waiting = true;
}

/* The directory of path, for the fsync that makes the rename durable. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return nw_xstrdup(".");
	if (slash == path)
		return nw_xstrdup("/");
	return nw_xstrndup(path, (size_t)(slash - path));
}

int ntf_barrier_write(const char *path, uint64_t id)
{
	char text[32], *dir = dir_of(path);
	struct nw_buf tmp = { 0 };
	int fd = -1, rc = -1;
	size_t n = (size_t)snprintf(text, sizeof text, "%llu\n",
	                            (unsigned long long)id);

	nw_buf_printf(&tmp, "%s.tmp", path);
	fd = open(tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || nw_write_all(fd, text, n) != 0 || fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp.p, path) != 0 || nw_fsync_dir(dir) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		LOG_ERROR("cannot write --barrier-file %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	nw_buf_free(&tmp);
	free(dir);
	return rc;
}

void ntf_barrier_publish(struct ntf_barrier *b)
{
	if (!b->waiting)
		return;
	b->waiting = false;
	if (b->ckpt_dir != NULL && nw_ckpt_mark_completed(b->ckpt_dir, b->id) == 0)
		LOG_DEBUG("checkpoint complete id=%llu", (unsigned long long)b->id);
	if (b->file != NULL && ntf_barrier_write(b->file, b->id) == 0)
		LOG_DEBUG("barrier complete id=%llu", (unsigned long long)b->id);
}
