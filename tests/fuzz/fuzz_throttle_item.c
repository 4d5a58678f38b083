/* libFuzzer target: line classification.  Whenever the fast scanner
 * accepts a line, jansson must parse it to an alert with the very same
 * five fields; and thr_item_init must never crash or leak. */
#include "thr.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void same(json_t *o, const char *name, const char *s, size_t n)
{
	json_t *v = json_object_get(o, name);
	if (!json_is_string(v) || json_string_length(v) != n ||
	    memcmp(json_string_value(v), s, n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *line = (const char *)data, *id, *reason;
	struct thr_fields f;
	struct thr_item it;
	size_t idn;

	if (thr_item_scan(line, size, &f, &id, &idn) == 0) {
		json_error_t err;
		json_t *o = json_loadb(line, size, 0, &err);
		if (!json_is_object(o))
			abort();
		same(o, "type", "alert", 5);
		same(o, "alert_id", id, idn);
		same(o, "rule", f.rule, f.rule_len);
		same(o, "key_field", f.key_field, f.key_field_len);
		same(o, "key", f.key, f.key_len);
		json_decref(o);
	}
	if (thr_item_init(&it, line, size, "a:{rule}:{key_field}:{key}", &reason) < 0)
		abort();
	if ((it.kind == THR_BAD) != (reason != NULL))
		abort();
	thr_item_free(&it);
	return 0;
}
