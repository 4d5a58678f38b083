/*
 * spool.c - the durable spool: an append-only journal in DIR/journal that
 * holds every alert accepted until it is delivered or dead, and the ids
 * delivered (kept in an ntf_ids table, ids.c) so a replay is a duplicate.
 *
 * Journal records, one per line:
 *   + <alert record>           an alert accepted for delivery
 *   - <alert_id> <ms> d|x      done: delivered (remembered) or dead
 *   = <alert_id> <ms>          a remembered delivered id (after compaction)
 * An alert is pending while its "+" has no "-".  Records are appended with
 * write(2) and made durable with fdatasync before anything depends on them;
 * a torn last line (a crash mid-write) is cut off on open.  Compaction
 * writes the live records to journal.tmp, syncs it and renames it over the
 * journal.  DIR/lock (flock) keeps a second notify off the same spool.
 *
 * Ownership: struct ntf_spool owns its paths, descriptors, write buffer and
 * delivered table; ntf_spool_close releases them.  The queues passed in
 * belong to the caller (replay pushes new alerts onto them).
 */
#include "ntf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = nw_xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* mkdir -p, mode 0700: the spool holds alert contents. */
static int mkdirs(const char *dir)
{
	char *p = nw_xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0700) != 0 && errno != EEXIST) {
				rc = -1;
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

/* Parse "<id> <ms>[ <flag>]" after a record's tag. */
static bool parse_done(char *s, char **id, int64_t *when, char *flag)
{
	char *sp = strchr(s, ' ');
	if (sp == NULL || sp == s || sp - s > NTF_ID_MAX)
		return false;
	*sp = '\0';
	*id = s;
	char *end;
	*when = strtoll(sp + 1, &end, 10);
	*flag = 'd';
	if (*end == ' ' && (end[1] == 'd' || end[1] == 'x') && end[2] == '\0')
		*flag = end[1];
	else if (*end != '\0')
		return false;
	return true;
}

/* Replay the journal: pending alerts (in order) and remembered ids.
 * Returns the length of the journal's intact prefix. */
static off_t replay(struct ntf_spool *s, FILE *fp, struct ntf_queue *pending)
{
	struct ntf_ids *pend = ntf_ids_new();    /* ids with a "+" and no "-" */
	struct ntf_queue all = { 0 };
	char *line = NULL, id[NTF_ID_MAX + 1];
	size_t cap = 0;
	ssize_t n;
	off_t good = 0;
	uint64_t bad = 0;

	while ((errno = 0, n = getline(&line, &cap, fp)) > 0) {
		if (line[n - 1] != '\n')
			break;                       /* torn tail: cut off below */
		good += n;
		line[--n] = '\0';
		char *rid, flag;
		int64_t when;
		if (n > 2 && line[0] == '+' && line[1] == ' ' &&
		    ntf_alert_check(line + 2, (size_t)n - 2, id) == NULL) {
			if (ntf_ids_has(pend, id) || ntf_ids_has(s->delivered, id))
				continue;
			ntf_queue_push(&all, ntf_alert_new(id, line + 2, (size_t)n - 2));
			ntf_ids_put(pend, id, 0);
		} else if (n > 2 && line[0] == '-' && line[1] == ' ' &&
		           parse_done(line + 2, &rid, &when, &flag)) {
			ntf_ids_del(pend, rid);
			if (flag == 'd')
				ntf_ids_put(s->delivered, rid, when);
		} else if (n > 2 && line[0] == '=' && line[1] == ' ' &&
		           parse_done(line + 2, &rid, &when, &flag)) {
			ntf_ids_put(s->delivered, rid, when);
		} else {
			bad++;
		}
	}
	if (bad)
		LOG_WARN("spool journal had unreadable records, skipped count=%llu",
		         (unsigned long long)bad);
	/* Keep the alerts still pending, in journal order. */
	struct ntf_alert *a;
	while ((a = ntf_queue_pop(&all)) != NULL) {
		if (ntf_ids_has(pend, a->id)) {
			ntf_ids_del(pend, a->id);     /* first "+" of an id wins */
			ntf_queue_push(pending, a);
		} else {
			ntf_alert_free(a);
		}
	}
	/* A read error must not pass for the end: the rest would be cut off. */
	if (n < 0 && (ferror(fp) || errno == ENOMEM))
		good = -1;
	free(line);
	ntf_ids_free(pend);
	return good;
}

int ntf_spool_open(struct ntf_spool *s, const char *dir, int64_t remember_ms,
                   uint64_t remember_max, struct ntf_queue *pending)
{
	char *lockpath = NULL;
	FILE *fp;

	memset(s, 0, sizeof *s);
	s->fd = s->lockfd = -1;
	s->remember_ms = remember_ms;
	s->remember_max = remember_max;
	s->dir = nw_xstrdup(dir);
	s->path = path_join(dir, "journal");
	s->tmp = path_join(dir, "journal.tmp");
	lockpath = path_join(dir, "lock");
	s->delivered = ntf_ids_new();
	if (mkdirs(dir) != 0) {
		LOG_ERROR("cannot create spool directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	s->lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lockfd < 0) {
		LOG_ERROR("cannot open %s: %s", lockpath, strerror(errno));
		goto fail;
	}
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
		LOG_ERROR("spool %s is in use by another notify", dir);
		goto fail;
	}
	s->fd = open(s->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (s->fd < 0 || (fp = fopen(s->path, "r")) == NULL) {
		LOG_ERROR("cannot open %s: %s", s->path, strerror(errno));
		goto fail;
	}
	off_t good = replay(s, fp, pending);
	fclose(fp);
	if (good < 0) {
		LOG_ERROR("cannot read %s: %s", s->path, strerror(errno));
		goto fail;
	}
	struct stat st;
	if (fstat(s->fd, &st) == 0 && st.st_size > good) {
		LOG_WARN("spool journal ended in a torn record, cut off bytes=%lld",
		         (long long)(st.st_size - good));
		if (ftruncate(s->fd, good) != 0) {
			LOG_ERROR("cannot truncate %s: %s", s->path, strerror(errno));
			goto fail;
		}
	}
	s->bytes = (uint64_t)good;
	free(lockpath);
	return ntf_spool_compact(s, pending, nw_wall_ms());
fail:
	free(lockpath);
	ntf_spool_close(s);
	return -1;
}

void ntf_spool_add(struct ntf_spool *s, const struct ntf_alert *a)
{
	nw_buf_adds(&s->wbuf, "+ ");
	nw_buf_add(&s->wbuf, a->line, a->len);
	nw_buf_addc(&s->wbuf, '\n');
}

void ntf_spool_done(struct ntf_spool *s, const char *id, bool delivered,
                    int64_t now)
{
	nw_buf_printf(&s->wbuf, "- %s %lld %c\n", id, (long long)now,
	              delivered ? 'd' : 'x');
	if (delivered)
		ntf_ids_put(s->delivered, id, now);
}

int ntf_spool_sync(struct ntf_spool *s)
{
	if (s->wbuf.len == 0)
		return 0;
	if (nw_write_all(s->fd, s->wbuf.p, s->wbuf.len) != 0 || fdatasync(s->fd) != 0) {
		LOG_ERROR("cannot write the spool journal %s: %s", s->path,
		          strerror(errno));
		return -1;
	}
	s->bytes += s->wbuf.len;
	nw_buf_reset(&s->wbuf);
	return 0;
}

/* One "= <id> <ms>" record of a compacted journal. */
static void put_remembered(void *arg, const char *id, int64_t when)
{
	nw_buf_printf(arg, "= %s %lld\n", id, (long long)when);
}

int ntf_spool_compact(struct ntf_spool *s, const struct ntf_queue *pending,
                      int64_t now)
{
	struct nw_buf b = { 0 };
	int fd = -1, rc = -1;

	if (ntf_spool_sync(s) != 0)
		return -1;
	ntf_ids_expire(s->delivered, now - s->remember_ms, s->remember_max);
	ntf_ids_each(s->delivered, put_remembered, &b);
	for (struct ntf_alert *a = pending->head; a; a = a->next) {
		nw_buf_adds(&b, "+ ");
		nw_buf_add(&b, a->line, a->len);
		nw_buf_addc(&b, '\n');
	}
	fd = open(s->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || nw_write_all(fd, b.p ? b.p : "", b.len) != 0 || fsync(fd) != 0 ||
	    rename(s->tmp, s->path) != 0 || nw_fsync_dir(s->dir) != 0) {
		LOG_ERROR("cannot compact the spool journal %s: %s", s->path,
		          strerror(errno));
		goto out;
	}
	/* Appends go to the new file from now on. */
	int nfd = open(s->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (nfd < 0) {
		LOG_ERROR("cannot reopen %s: %s", s->path, strerror(errno));
		goto out;
	}
	close(s->fd);
	s->fd = nfd;
	s->bytes = s->compacted_bytes = b.len;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	nw_buf_free(&b);
	return rc;
}

void ntf_spool_close(struct ntf_spool *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->lockfd >= 0)
		close(s->lockfd);
	ntf_ids_free(s->delivered);
	nw_buf_free(&s->wbuf);
	free(s->dir);
	free(s->path);
	free(s->tmp);
	memset(s, 0, sizeof *s);
	s->fd = s->lockfd = -1;
}
