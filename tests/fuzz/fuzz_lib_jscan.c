/* libFuzzer target: lib/jscan against jansson under every mode.  For any
 * input both must agree on the verdict (valid, invalid, duplicate name),
 * the paths scan must find jansson's value at each wanted path, and the
 * member iterator must give jansson's members in order, each with a text
 * that reads back as the same value.  The input sits in a buffer of its
 * exact size, so a read past the line is an ASan report. */
#include "jscan.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const fz_paths[] = {
	"type", "alert_id", "key", "a", "a.b", "a.b.c", "x", "@ctl",
};
#define FZ_NPATHS (int)(sizeof fz_paths / sizeof fz_paths[0])

static const unsigned fz_modes[] = {
	JSCAN_DUP_REJECT, JSCAN_DUP_LAST,
	JSCAN_DUP_REJECT | JSCAN_ALLOW_NUL, JSCAN_DUP_LAST | JSCAN_ALLOW_NUL,
};
#define FZ_NMODES (int)(sizeof fz_modes / sizeof fz_modes[0])

static size_t fz_flags(unsigned mode)
{
	return JSON_DECODE_ANY |
	       ((mode & JSCAN_DUP_MASK) == JSCAN_DUP_REJECT ? JSON_REJECT_DUPLICATES : 0) |
	       (mode & JSCAN_ALLOW_NUL ? JSON_ALLOW_NUL : 0);
}

static void fz_verdict(int ours, json_t *root, const json_error_t *err)
{
	int want = root ? JSCAN_OK :
	           json_error_code(err) == json_error_duplicate_key ? JSCAN_DUP :
	           JSCAN_BAD;
	if ((ours == JSCAN_NOTOBJ ? JSCAN_OK : ours) != want)
		abort();
}

/* A value jscan recorded equals jansson's: strings by their decoded
 * bytes, anything else by reading its text back. */
static void fz_same(const struct jscan_val *v, json_t *j, unsigned mode)
{
	if (j == NULL || v->type == JSCAN_NONE) {
		if (j != NULL || v->type != JSCAN_NONE)
			abort();
		return;
	}
	if (v->type == JSCAN_STR) {
		if (!json_is_string(j) || json_string_length(j) != v->n ||
		    memcmp(json_string_value(j), v->p, v->n) != 0)
			abort();
		return;
	}
	json_t *back = json_loadb(v->p, v->n, fz_flags(mode), NULL);
	if (back == NULL || !json_equal(back, j))
		abort();
	json_decref(back);
}

static json_t *fz_at(json_t *root, const char *dotted)
{
	char buf[32], *save = NULL;

	strcpy(buf, dotted);
	for (char *t = strtok_r(buf, ".", &save); t && root;
	     t = strtok_r(NULL, ".", &save))
		root = json_is_object(root) ? json_object_get(root, t) : NULL;
	return root;
}

static void fz_paths_scan(const struct jscan_paths *t, const int *slot,
                          const char *line, size_t n, char *scratch,
                          json_t *root, const json_error_t *err)
{
	struct jscan_val vals[2 * FZ_NPATHS + 1];
	enum jscan_res r = jscan_scan(t, line, n, vals, scratch);

	fz_verdict(r, root, err);
	if (root == NULL)
		return;
	for (int i = 0; i < FZ_NPATHS; i++)
		fz_same(&vals[slot[i]], fz_at(root, fz_paths[i]), t->mode);
}

static void fz_members(unsigned mode, const char *line, size_t n,
                       char *scratch, json_t *root, const json_error_t *err)
{
	struct jscan_iter it;
	struct jscan_member m;
	enum jscan_res r = jscan_iter_begin(&it, line, n, scratch, mode);
	bool reject = (mode & JSCAN_DUP_MASK) == JSCAN_DUP_REJECT;
	void *ji = root && json_is_object(root) ? json_object_iter(root) : NULL;
	int rc = r;

	if (r == JSCAN_NOTOBJ && json_is_object(root))
		abort();
	if (r == JSCAN_OK) {
		while ((rc = jscan_iter_next(&it, &m)) == 1) {
			if (root == NULL || !reject)
				continue;
			const char *k = ji ? json_object_iter_key(ji) : NULL;
			if (k == NULL || strlen(k) != m.nlen || memcmp(k, m.name, m.nlen))
				abort();
			struct jscan_val text = { .type = JSCAN_OBJ, .p = m.raw,
			                          .n = (uint32_t)m.rawn };
			fz_same(&text, json_object_iter_value(ji), mode);
			ji = json_object_iter_next(root, ji);
		}
		if (rc == 0 && (!json_is_object(root) || (reject && ji != NULL)))
			abort();
	}
	fz_verdict(rc, root, err);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct jscan_paths t[FZ_NMODES];
	static int slot[FZ_NMODES][FZ_NPATHS];
	char *line, *scratch;

	if (t[0].n == 0)
		for (int m = 0; m < FZ_NMODES; m++) {
			jscan_paths_init(&t[m], fz_modes[m]);
			for (int i = 0; i < FZ_NPATHS; i++)
				slot[m][i] = jscan_paths_add(&t[m], fz_paths[i]);
		}
	/* jansson reads a NUL byte as the end of its input: none here */
	if (memchr(data, '\0', size))
		return 0;
	line = malloc(size ? size : 1);
	scratch = malloc(size ? size : 1);
	if (line == NULL || scratch == NULL)
		abort();
	memcpy(line, data, size);
	for (int m = 0; m < FZ_NMODES; m++) {
		json_error_t err;
		json_t *root = json_loadb(line, size, fz_flags(fz_modes[m]), &err);
		fz_paths_scan(&t[m], slot[m], line, size, scratch, root, &err);
		fz_members(fz_modes[m], line, size, scratch, root, &err);
		json_decref(root);
	}
	free(line);
	free(scratch);
	return 0;
}
