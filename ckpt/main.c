/*
 * ckpt - inspect a checkpoint directory, take a savepoint, start from one.
 *
 *   ckpt status DIR              completed id, restore point, every snapshot
 *   ckpt savepoint DIR DEST      copy the restore point's snapshot set to DEST
 *   ckpt restore SAVEPOINT DIR   copy a savepoint into an empty checkpoint dir
 *
 * Every copy is loaded and checked (length, CRC, version) and written again
 * with the same durable write the stages use, so a savepoint is never a
 * half-copied or damaged set.  See docs/recovery.md.
 */
#include "nw.h"
#include "cli.h"
#include "ckpt.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ckpt has no flags of its own, only -h and -V, before the command. */
static const struct nw_cli cli = {
	.head =
"usage: ckpt status DIR\n"
"       ckpt savepoint DIR DEST\n"
"       ckpt restore SAVEPOINT DIR\n"
"\n"
"  status     print the completed barrier id, the restore point and\n"
"             every snapshot with its state (ok, or why it is not)\n"
"  savepoint  copy the snapshot set of DIR's restore point into DEST\n"
"             (created; must not hold snapshots yet)\n"
"  restore    copy SAVEPOINT into the checkpoint dir DIR (created;\n"
"             must not hold snapshots yet) so a chain starts from it\n"
"\n",
	.in_order = true,
};

/* A directory that exists and holds no snapshot and no completed marker. */
static int ckpt_empty_dir(const char *dir)
{
	struct nw_ckpt_ent *v;
	size_t n;
	uint64_t id;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		LOG_ERROR("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (nw_ckpt_list(dir, NULL, &v, &n) != 0)
		return -1;
	nw_ckpt_list_free(v, n);
	if (n > 0 || nw_ckpt_completed(dir, &id) != 0) {
		LOG_ERROR("%s already holds checkpoints; refusing to mix sets",
		          dir);
		return -1;
	}
	return 0;
}

/* Copy every snapshot with this id from src to dst, then mark it
 * completed in dst: the marker last, so a torn copy is never usable. */
static int ckpt_copy_set(const char *src, const char *dst, uint64_t id)
{
	struct nw_ckpt_ent *v;
	size_t n, copied = 0;
	int rc = 0;

	if (nw_ckpt_list(src, NULL, &v, &n) != 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *data;
		size_t len;
		if (v[i].id != id)
			continue;
		if (nw_ckpt_load_id(src, v[i].stage, id, &data, &len) != 1) {
			LOG_ERROR("snapshot %s.%llu is unreadable", v[i].stage,
			          (unsigned long long)id);
			rc = -1;
			break;
		}
		rc = nw_ckpt_write(dst, v[i].stage, id, data, len);
		free(data);
		copied++;
	}
	nw_ckpt_list_free(v, n);
	if (rc == 0)
		rc = nw_ckpt_mark_completed(dst, id);
	if (rc == 0)
		LOG_INFO("copied checkpoint id=%llu snapshots=%zu to %s",
		         (unsigned long long)id, copied, dst);
	return rc;
}

static int cmd_status(const char *dir)
{
	struct nw_ckpt_ent *v;
	uint64_t done = 0, rp = 0;
	size_t n;
	int crc, rrc;

	crc = nw_ckpt_completed(dir, &done);
	rrc = nw_ckpt_restore_point(dir, &rp);
	if (crc < 0 || rrc < 0 || nw_ckpt_list(dir, NULL, &v, &n) != 0)
		return NW_EXIT_FAIL;
	if (crc == 1)
		printf("completed %llu\n", (unsigned long long)done);
	else
		printf("completed none\n");
	if (rrc == 1)
		printf("restore %llu\n", (unsigned long long)rp);
	else
		printf("restore none\n");
	for (size_t i = 0; i < n; i++) {
		char *data;
		size_t len;
		int ok = nw_ckpt_load_id(dir, v[i].stage, v[i].id, &data, &len);
		printf("snapshot %s %llu %s", v[i].stage,
		       (unsigned long long)v[i].id, ok == 1 ? "ok" : "bad");
		if (ok == 1) {
			printf(" %zu\n", len);
			free(data);
		} else {
			printf("\n");
		}
	}
	nw_ckpt_list_free(v, n);
	return NW_EXIT_OK;
}

/* savepoint and restore: copy src's restore point into the empty dir dst.
 * A savepoint prints the id it kept. */
static int cmd_copy(const char *src, const char *dst, bool print_id)
{
	uint64_t rp;
	int rc = nw_ckpt_restore_point(src, &rp);

	if (rc < 0)
		return NW_EXIT_FAIL;
	if (rc == 0) {
		LOG_ERROR("%s holds no complete checkpoint", src);
		return NW_EXIT_FAIL;
	}
	if (ckpt_empty_dir(dst) != 0 || ckpt_copy_set(src, dst, rp) != 0)
		return NW_EXIT_FAIL;
	if (print_id)
		printf("%llu\n", (unsigned long long)rp);
	return NW_EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *cmd;

	nw_log_init("ckpt");
	while (nw_getopt(argc, argv, &cli) != -1)
		;
	argc -= optind, argv += optind;
	if (argc < 1)
		nw_usage_error("a command is required: status, savepoint "
		               "or restore");
	cmd = argv[0];
	if (strcmp(cmd, "status") == 0 && argc == 2)
		return cmd_status(argv[1]);
	if (strcmp(cmd, "savepoint") == 0 && argc == 3)
		return cmd_copy(argv[1], argv[2], true);
	if (strcmp(cmd, "restore") == 0 && argc == 3)
		return cmd_copy(argv[1], argv[2], false);
	nw_usage_error("bad command line \"%s\" with %d argument(s) "
	               "(see ckpt --help)", cmd, argc - 1);
}
