/* fuzz_enrich_files.c - libFuzzer target for enrich's two file parsers:
 * the input as a list file and as an identity file (CSV or JSON lines).
 * What loads is then used: an event whose address is on the list or in
 * the identity set is enriched and the output checked as a JSON object
 * with no member twice. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enr.h"

/* Enrich one event against d; abort unless the output is a clean object. */
static void fuzz_event(const struct enr_data *d)
{
	static const char line[] = "{\"src_ip\":\"10.1.2.3\",\"dst_ip\":\"2001:db8::1\"}";
	static const char *const fields[] = { "src_ip", "dst_ip" };
	static const char *name[] = { "l" };
	struct enr_src src = { .list_name = name, .nlist = d->nlist };
	struct enr_counts c = { 0 };
	struct nw_buf b = { 0 };
	struct enr_event e;

	enr_event_init(&e, fields, 2);
	e.d = d;
	e.src = &src;
	if (enr_event(&e, line, sizeof line - 1, &b, &c) == NULL) {
		json_t *j = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(j))
			abort();
		json_decref(j);
	}
	nw_buf_free(&b);
	enr_event_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], *text = malloc(size + 1);
	struct enr_data d;

	memcpy(text, data, size);
	text[size] = '\0';
	memset(&d, 0, sizeof d);
	d.list = calloc(1, sizeof *d.list);
	if (enr_list_parse(&d.list[0], text, size, "fuzz", err, sizeof err) == 0)
		d.nlist = 1;
	if (enr_ident_parse(&d.ident, text, size, "fuzz", err, sizeof err) == 0)
		d.have_ident = true;
	fuzz_event(&d);
	enr_data_free(&d);
	free(text);
	return 0;
}
