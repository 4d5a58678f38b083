/* lib/jscan against jansson, the project's reference JSON library, under
 * every mode (both duplicate-name policies, with and without \u0000): on
 * every line of the test corpus (tests/data/upstream-events.ndjson, lines
 * generated from it, thousands of mutants of them and hand-written bad
 * lines) both must agree on whether the line is JSON, on whether it fails
 * for a duplicate name, on the type and value at each wanted path, and on
 * an object's members, their order and their text. */
#include "nw.h"
#include "t.h"
#include "jscan.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS "tests/data/upstream-events.ndjson"

static const char *const want_paths[] = {
	"timestamp", "src_ip", "dst_ip", "dst_port", "bytes_sent", "latency_ms",
	"flags", "app_layer", "app_layer.status_code", "app_layer.host",
	"tags.env", "a.b.c", "x", "",
};
#define NPATHS (int)(sizeof want_paths / sizeof want_paths[0])

static const unsigned modes[] = {
	JSCAN_DUP_REJECT, JSCAN_DUP_LAST,
	JSCAN_DUP_REJECT | JSCAN_ALLOW_NUL, JSCAN_DUP_LAST | JSCAN_ALLOW_NUL,
};
#define NMODES (int)(sizeof modes / sizeof modes[0])

static struct jscan_paths P[NMODES];
static int slots[NMODES][NPATHS];
static char scratch[1 << 17], scratch2[1 << 17];
static int nlines, nvalid, ndup, mismatches;

static void differs(const char *what, unsigned mode, const char *line, size_t n)
{
	if (mismatches++ < 10)
		printf("  %s (mode %#x): %.*s\n", what, mode, (int)(n > 300 ? 300 : n),
		       line);
}

static size_t jansson_flags(unsigned mode)
{
	return JSON_DECODE_ANY |
	       ((mode & JSCAN_DUP_MASK) == JSCAN_DUP_REJECT ? JSON_REJECT_DUPLICATES : 0) |
	       (mode & JSCAN_ALLOW_NUL ? JSON_ALLOW_NUL : 0);
}

/* jansson's value at a dotted path, or NULL. */
static json_t *jpath(json_t *root, const char *path)
{
	char buf[128], *save = NULL, *tok;
	json_t *cur = root;

	snprintf(buf, sizeof buf, "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		if (!json_is_object(cur))
			return NULL;
		cur = json_object_get(cur, tok);
		if (cur == NULL)
			return NULL;
	}
	return cur;
}

static bool same_value(const struct jscan_val *v, json_t *j)
{
	if (j == NULL)
		return v->type == JSCAN_NONE;
	switch (json_typeof(j)) {
	case JSON_OBJECT: return v->type == JSCAN_OBJ;
	case JSON_TRUE: return v->type == JSCAN_TRUE;
	case JSON_FALSE: return v->type == JSCAN_FALSE;
	case JSON_NULL: return v->type == JSCAN_NULL;
	case JSON_INTEGER: return v->type == JSCAN_INT && v->i == json_integer_value(j);
	case JSON_REAL: return v->type == JSCAN_REAL && v->d == json_real_value(j);
	case JSON_STRING:
		return v->type == JSCAN_STR && v->n == json_string_length(j) &&
		       memcmp(v->p, json_string_value(j), v->n) == 0;
	case JSON_ARRAY: {
		struct jscan_val el;
		size_t pos = 0, i = 0;
		if (v->type != JSCAN_ARR)
			return false;
		while (jscan_arr_next(v, &pos, &el, scratch2)) {
			json_t *je = json_array_get(j, i++);
			if (je == NULL || (json_is_array(je) ? el.type != JSCAN_ARR :
			                   !same_value(&el, je)))
				return false;
		}
		return i == json_array_size(j);
	}
	}
	return false;
}

/* The verdicts agree: valid alike, and a duplicate name exactly when
 * jansson names one. */
static bool same_verdict(int ours, json_t *root, const json_error_t *err)
{
	if (root != NULL)
		return ours == JSCAN_OK || ours == JSCAN_NOTOBJ;
	if (json_error_code(err) == json_error_duplicate_key)
		return ours == JSCAN_DUP;
	return ours == JSCAN_BAD;
}

/* Paths to slots: verdict and every wanted value. */
static void check_paths(int m, const char *line, size_t n, json_t *root,
                        const json_error_t *err)
{
	struct jscan_val vals[64];
	enum jscan_res r = jscan_scan(&P[m], line, n, vals, scratch);

	if (!same_verdict(r, root, err)) {
		differs("paths: verdict differs", modes[m], line, n);
		return;
	}
	if (root == NULL)
		return;
	if (!same_value(&vals[0], root) &&
	    !(json_is_array(root) && vals[0].type == JSCAN_ARR)) {
		differs("paths: top-level type differs", modes[m], line, n);
		return;
	}
	for (int i = 0; i < NPATHS; i++) {
		if (slots[m][i] < 0)
			continue;
		json_t *j = json_is_object(root) ? jpath(root, want_paths[i]) : NULL;
		if (!same_value(&vals[slots[m][i]], j))
			differs("paths: a value differs", modes[m], line, n);
	}
}

/* The member's text reads back as jansson's value. */
static bool same_raw(const struct jscan_member *mb, json_t *j, unsigned mode)
{
	json_t *back = json_loadb(mb->raw, mb->rawn, jansson_flags(mode), NULL);
	bool same = back != NULL && json_equal(back, j);

	json_decref(back);
	return same;
}

/* The member iterator: verdict, and under REJECT every member in order
 * (jansson keeps insertion order); under LAST each name's last value. */
static void check_members(int m, const char *line, size_t n, json_t *root,
                          const json_error_t *err)
{
	struct jscan_iter it;
	struct jscan_member mb;
	enum jscan_res r = jscan_iter_begin(&it, line, n, scratch, modes[m]);
	void *jit = root && json_is_object(root) ? json_object_iter(root) : NULL;
	bool reject = (modes[m] & JSCAN_DUP_MASK) == JSCAN_DUP_REJECT, ok = true;
	int rc = 0;

	if (r == JSCAN_OK) {
		while ((rc = jscan_iter_next(&it, &mb)) == 1) {
			json_t *j = NULL;
			if (!root)
				continue;
			if (reject) {
				if (jit == NULL || strlen(json_object_iter_key(jit)) != mb.nlen ||
				    memcmp(json_object_iter_key(jit), mb.name, mb.nlen) != 0) {
					ok = false;
					continue;
				}
				j = json_object_iter_value(jit);
				jit = json_object_iter_next(root, jit);
			} else {
				char name[4096];
				snprintf(name, sizeof name, "%.*s", (int)mb.nlen, mb.name);
				j = json_object_get(root, name);
				if (j == NULL) {
					ok = false;
					continue;
				}
			}
			if (reject && (!same_value(&mb.v, j) || !same_raw(&mb, j, modes[m])))
				ok = false;
		}
		r = (enum jscan_res)rc;
		if (reject && jit != NULL && rc == 0)
			ok = false;
	}
	if (r == JSCAN_OK && root && !json_is_object(root))
		ok = false;
	if (r == JSCAN_NOTOBJ && (!root || json_is_object(root)))
		ok = false;
	if (!same_verdict(r, root, err) || !ok)
		differs("members differ", modes[m], line, n);
}

static void check_line(const char *line, size_t n)
{
	char *copy = malloc(n + 1);

	memcpy(copy, line, n);
	copy[n] = '\0';
	/* the stages turn lines with NUL bytes away before scanning them (and
	 * jansson reads a NUL in its input as no byte at all) */
	if (memchr(copy, '\0', n)) {
		free(copy);
		return;
	}
	nlines++;
	for (int m = 0; m < NMODES; m++) {
		json_error_t err;
		json_t *root = json_loadb(copy, n, jansson_flags(modes[m]), &err);
		if (m == 0 && root)
			nvalid++;
		if (m == 0 && !root && json_error_code(&err) == json_error_duplicate_key)
			ndup++;
		check_paths(m, copy, n, root, &err);
		check_members(m, copy, n, root, &err);
		json_decref(root);
	}
	free(copy);
}

/* A tiny deterministic PRNG for the mutants. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static const char *const inserts[] = {
	"{", "}", "[", "]", "\"", ":", ",", "\\", "\\\"", "\\u00e9", "\\ud83d\\ude00",
	"\\ud83d", "\\ude00", "\\u0000", "\\x", "0", "-", "-0", "01", "1.", ".5", "1e",
	"1e5", "1E+2", "2.5e-3", "99999999999999999999", "-9223372036854775808",
	"9223372036854775808", "1e400", "true", "tru", "null", "nul", "false", " ",
	"\t", "\r", "\n", "\xc3\xa9", "\xc3", "\xff", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	"\xe2\x82", "\x01", "\x7f", "\"src_ip\":\"x\",", "\"app_layer\":7,",
	"\"timestamp\":1.5,", "\"flags\":[[\"RST\"]],", "\"a\":{\"b\":{\"c\":[1,{}]}},",
	"\"src\\u005fip\":\"esc\",", "\"x\":\"\\u00e9\\n\\t\\/\",",
	"\"x\":1,\"x\":2,", "\"\\u0078\":3,", "\"e\":\"\\u00e9\",", "\"\xc3\xa9\":1,",
	"\"\\u00e9\":2,", "\"d\":{\"k\":1,\"k\":2},", "\"n\":\"a\\u0000b\",",
	"\"a\\u0000\":1,", "\"\":1,\"\":2,",
};

static void mutate(const char *src, size_t n, char *out, size_t *on)
{
	size_t o = 0, i = 0;
	int nmut = 1 + (int)rnd(3);
	size_t at[3];

	for (int k = 0; k < nmut; k++)
		at[k] = rnd((uint32_t)n + 1);
	while (i <= n) {
		for (int k = 0; k < nmut; k++) {
			if (at[k] != i)
				continue;
			switch (rnd(4)) {
			case 0: {          /* insert a fragment */
				const char *s = inserts[rnd(sizeof inserts / sizeof inserts[0])];
				memcpy(out + o, s, strlen(s));
				o += strlen(s);
				break;
			}
			case 1:            /* delete a byte */
				if (i < n)
					i++;
				break;
			case 2:            /* replace a byte */
				if (i < n) {
					out[o++] = "{}[]\":,\\0123456789eE.-+tfnu \x80\xc3\xff"[rnd(31)];
					i++;
				}
				break;
			default:           /* truncate here */
				*on = o;
				return;
			}
		}
		if (i < n)
			out[o++] = src[i];
		i++;
	}
	*on = o;
}

static char *sample[256];
static size_t sample_len[256], nsample;

TEST(corpus_is_there)
{
	FILE *f = fopen(CORPUS, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	CHECK(f != NULL);       /* a missing corpus fails: it is committed */
	if (f == NULL)
		return;
	while ((len = getline(&line, &cap, f)) > 0 && nsample < 256) {
		if (line[len - 1] == '\n')
			len--;
		sample[nsample] = malloc((size_t)len);
		memcpy(sample[nsample], line, (size_t)len);
		sample_len[nsample++] = (size_t)len;
	}
	fclose(f);
	free(line);
	CHECK(nsample > 10);
}

TEST(agrees_on_samples)
{
	for (size_t i = 0; i < nsample; i++)
		check_line(sample[i], sample_len[i]);
	CHECK(nsample > 10);
	CHECK_INT(mismatches, 0);
}

TEST(agrees_on_generated_lines)
{
	static const char *const gen[] = {
		"{\"timestamp\":0,\"src_ip\":\"\",\"x\":[]}",
		"{\"timestamp\":-0,\"src_ip\":\"a\\\"b\",\"x\":{}}",
		"{\"timestamp\":1763711997.123,\"src_ip\":\"\\u00e9\\ud83d\\ude00\"}",
		"{\"timestamp\":\"2025-11-21T07:59:57Z\",\"src_ip\":null,\"flags\":[\"RST\",1,null,true,{}]}",
		"{\"app_layer\":{\"status_code\":503},\"app_layer\":{\"host\":\"h\"}}",
		"{\"app_layer\":5,\"app_layer\":{\"status_code\":1}}",
		"{\"src_ip\":\"a\",\"src_ip\":\"b\"}",
		"{\"a\":{\"b\":{\"c\":9223372036854775807}}}",
		"{\"a\":{\"b\":{\"c\":-9223372036854775808}}}",
		"{\"a\":{\"b\":{\"c\":1e308}}}",
		"{\"a\":{\"b\":{\"c\":1e-400}}}",
		"{\"latency_ms\":1.7976931348623157e308,\"bytes_sent\":4.9e-324}",
		"{\"\":1,\"x\":\"\\/\\b\\f\\n\\r\\t\"}",
		" \t{ \"src_ip\" : \"10.0.0.1\" , \"timestamp\" : 1 } \r\n ",
		"[1,2,3]", "\"str\"", "42", "null", "{}", "[]", "{\"x\":[[[[[]]]]]}",
		/* duplicates: plain, escaped, non-ASCII, nested, in arrays */
		"{\"type\":\"alert\",\"x\":1,\"x\":2}",
		"{\"type\":\"alert\",\"x\":1,\"x\":2,\"e\":\"\\u00e9\"}",
		"{\"x\":1,\"\\u0078\":2}", "{\"\\u00e9\":1,\"\xc3\xa9\":2}",
		"{\"a\":[{\"k\":1,\"k\":2}]}", "{\"a\":{\"b\":{\"c\":1,\"c\":2}}}",
		"{\"a\":{\"k\":1},\"b\":{\"k\":1}}", "{\"k\":{\"k\":{\"k\":1}}}",
		"{\"x\":1,\"x\":2} trailing", "{\"x\":1,\"x\":}",
		"{\"n\":\"a\\u0000b\"}", "{\"a\\u0000\":1}", "\"\\u0000\"",
	};
	for (size_t i = 0; i < sizeof gen / sizeof gen[0]; i++)
		check_line(gen[i], strlen(gen[i]));
	CHECK_INT(mismatches, 0);
}

TEST(agrees_on_bad_lines)
{
	static const char *const bad[] = {
		"", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{\"a\":1 \"b\":2}",
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":.1}", "{\"a\":+1}", "{\"a\":1e}",
		"{\"a\":\"\\u12\"}", "{\"a\":\"\\q\"}", "{\"a\":\"tab\there\"}", "{\"a\":tru}",
		"{\"a\":nulls}", "{'a':1}", "{\"a\":1}x", "{\"a\":1}{}",
		"{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}",
		"{\"a\":\"\\u0000\"}", "{\"a\\u0000\":1}", "{\"a\":\"\xc3\"}", "{\"a\":\"\xc0\xaf\"}",
		"{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\xc3\xa9}",
		"{\"a\":9223372036854775808}", "{\"a\":-9223372036854775809}", "{\"a\":1e400}",
		"{\"a\":-1e400}", "{\"a\":[1,2}", "{\"a\":[1,2,]}", "{\"a\":{\"b\":1]}",
		"\xef\xbb\xbf{}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":0x10}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		check_line(bad[i], strlen(bad[i]));
	CHECK_INT(mismatches, 0);
}

/* Nesting right at and past jansson's depth limit, at the top and inside
 * an object. */
TEST(agrees_at_the_depth_limit)
{
	size_t n = 2 * 2050 + 16, o;
	char *s = malloc(n);

	for (int depth = 2047; depth <= 2050; depth++) {
		o = 0;
		s[o++] = '{'; memcpy(s + o, "\"x\":", 4); o += 4;
		for (int d = 1; d < depth; d++) s[o++] = '[';
		for (int d = 1; d < depth; d++) s[o++] = ']';
		s[o++] = '}';
		check_line(s, o);
	}
	free(s);
	CHECK_INT(mismatches, 0);
}

/* Objects past the Bloom filter's size, where names go through the index:
 * all distinct, then with one name repeated early, late and escaped. */
TEST(agrees_on_large_objects)
{
	struct nw_buf b = { 0 };
	static const int sizes[] = { 31, 32, 33, 64, 65, 129, 3000 };

	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		for (int dup = -1; dup < 3; dup++) {
			nw_buf_reset(&b);
			nw_buf_adds(&b, "{\"outer\":{");
			for (int i = 0; i < sizes[k]; i++)
				nw_buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
			if (dup == 0)
				nw_buf_adds(&b, ",\"k0\":0");
			else if (dup == 1)
				nw_buf_printf(&b, ",\"k%d\":0", sizes[k] - 1);
			else if (dup == 2)
				nw_buf_adds(&b, ",\"\\u006b1\":0");
			nw_buf_adds(&b, "}}");
			check_line(b.p, b.len);
			check_line(b.p + 9, b.len - 10);     /* the inner object alone */
		}
	}
	nw_buf_free(&b);
	CHECK_INT(mismatches, 0);
}

TEST(agrees_on_mutants)
{
	char *out = malloc(1 << 16);

	CHECK(nsample > 0);
	for (int i = 0; nsample > 0 && i < 15000; i++) {
		size_t k = rnd((uint32_t)nsample), on;
		mutate(sample[k], sample_len[k], out, &on);
		check_line(out, on);
	}
	free(out);
	CHECK_INT(mismatches, 0);
	printf("  %d lines compared, %d valid JSON, %d with a duplicate name\n",
	       nlines, nvalid, ndup);
	CHECK(nvalid > 1000 && nlines - nvalid > 1000 && ndup > 50);
}

/* The rule every stage states: the dead-letter text of a duplicate. */
TEST(duplicate_verdict_text)
{
	CHECK_STR(jscan_strerror(JSCAN_DUP), "invalid JSON: duplicate key");
	CHECK_STR(jscan_strerror(JSCAN_BAD), "invalid JSON");
}

/* Control lines follow the rule too: a repeated name anywhere in one
 * (escapes, non-ASCII text or not) makes it no control line. */
TEST(control_lines_refuse_duplicate_names)
{
	static const char *const dups[] = {
		"{\"@ctl\":{\"type\":\"barrier\",\"id\":1,\"id\":2}}",
		"{\"@ctl\":{\"type\":\"barrier\",\"id\":1,\"id\":2,\"e\":\"\\u00e9\"}}",
		"{\"@ctl\":{\"type\":\"barrier\",\"id\":1,\"id\":2,\"e\":\"\xc3\xa9\"}}",
		"{\"@ctl\":{\"type\":\"barrier\",\"id\":1,\"\\u0069d\":2}}",
		"{\"@ctl\":{\"type\":\"barrier\",\"id\":1},\"@ctl\":{\"type\":\"barrier\",\"id\":1}}",
	};
	json_t *v;

	for (size_t i = 0; i < sizeof dups / sizeof dups[0]; i++) {
		CHECK(nw_ctl_maybe(dups[i], strlen(dups[i])));
		v = nw_ctl_parse(dups[i], strlen(dups[i]));
		CHECK(v == NULL);
		json_decref(v);
	}
	static const char ok[] = " {\"@ctl\":{\"type\":\"barrier\",\"id\":7,\"e\":\"\\u00e9\"}} ";
	v = nw_ctl_parse(ok, strlen(ok));
	CHECK(json_is_object(v));
	CHECK_INT(json_integer_value(json_object_get(v, "id")), 7);
	CHECK_STR(json_string_value(json_object_get(v, "e")), "\xc3\xa9");
	json_decref(v);
	static const char two[] = "{\"@ctl\":{},\"x\":1}";
	CHECK(nw_ctl_parse(two, strlen(two)) == NULL);
}

int main(void)
{
	for (int m = 0; m < NMODES; m++) {
		jscan_paths_init(&P[m], modes[m]);
		for (int i = 0; i < NPATHS; i++)
			slots[m][i] = jscan_paths_add(&P[m], want_paths[i]);
	}
	RUN(corpus_is_there);
	RUN(agrees_on_samples);
	RUN(agrees_on_generated_lines);
	RUN(agrees_on_bad_lines);
	RUN(agrees_at_the_depth_limit);
	RUN(agrees_on_large_objects);
	RUN(agrees_on_mutants);
	RUN(duplicate_verdict_text);
	RUN(control_lines_refuse_duplicate_names);
	for (int m = 0; m < NMODES; m++)
		jscan_paths_free(&P[m]);
	for (size_t i = 0; i < nsample; i++)
		free(sample[i]);
	return t_done();
}
