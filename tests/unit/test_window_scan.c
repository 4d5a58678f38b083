/* The window's field scanner against jansson, the project's reference
 * JSON library: on every line of the test corpus (the upstream samples,
 * thousands of mutants of them, and hand-written bad lines) both must agree
 * on whether the line is JSON and, for each wanted path, on the type and
 * value found there. */
#include "nw.h"
#include "t.h"
#include "scan.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const want_paths[] = {
	"timestamp", "src_ip", "dst_ip", "dst_port", "bytes_sent", "latency_ms",
	"flags", "app_layer", "app_layer.status_code", "app_layer.host",
	"tags.env", "a.b.c", "x", "",
};

static struct win_paths P;
static int slots[32];
static int nslots;
static char scratch[1 << 16];
static int nlines, nvalid, mismatches;

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

static bool same_value(const struct win_jval *v, json_t *j)
{
	if (j == NULL)
		return v->type == WJ_NONE;
	switch (json_typeof(j)) {
	case JSON_OBJECT: return v->type == WJ_OBJ;
	case JSON_TRUE: return v->type == WJ_TRUE;
	case JSON_FALSE: return v->type == WJ_FALSE;
	case JSON_NULL: return v->type == WJ_NULL;
	case JSON_INTEGER: return v->type == WJ_INT && v->i == json_integer_value(j);
	case JSON_REAL: return v->type == WJ_REAL && v->d == json_real_value(j);
	case JSON_STRING:
		return v->type == WJ_STR && v->n == json_string_length(j) &&
		       memcmp(v->p, json_string_value(j), v->n) == 0;
	case JSON_ARRAY: {
		struct win_jval el;
		size_t pos = 0, i = 0;
		static char sc2[1 << 16];
		if (v->type != WJ_ARR)
			return false;
		while (win_scan_arr_next(v, &pos, &el, sc2)) {
			json_t *je = json_array_get(j, i++);
			if (je == NULL || (json_is_array(je) ? el.type != WJ_ARR :
			                   !same_value(&el, je)))
				return false;
		}
		return i == json_array_size(j);
	}
	}
	return false;
}

static void check_line(const char *line, size_t n)
{
	struct win_jval vals[64];
	json_error_t err;
	char *copy = malloc(n + 1);

	memcpy(copy, line, n);
	copy[n] = '\0';
	/* window turns lines with NUL bytes away before scanning them (and
	 * jansson reads a NUL in its input as no byte at all) */
	if (memchr(copy, '\0', n)) {
		free(copy);
		return;
	}
	nlines++;
	bool ours = win_scan(&P, copy, n, vals, scratch) == WIN_SCAN_OK;
	json_t *root = json_loadb(copy, n, JSON_DECODE_ANY, &err);
	if (ours != (root != NULL)) {
		if (mismatches++ < 10)
			printf("  validity differs (ours %d, jansson %d: %s): %.*s\n",
			       ours, root != NULL, root ? "" : err.text, (int)(n > 2000 ? 2000 : n), copy);
	} else if (root) {
		nvalid++;
		bool top = same_value(&vals[0], root) ||
		           (json_is_array(root) && vals[0].type == WJ_ARR);
		if (!top && mismatches++ < 10)
			printf("  top-level type differs: %.*s\n", (int)(n > 300 ? 300 : n), copy);
		for (int i = 0; top && i < nslots; i++) {
			if (slots[i] < 0)
				continue;
			json_t *j = json_is_object(root) ? jpath(root, want_paths[i]) : NULL;
			if (!same_value(&vals[slots[i]], j) && mismatches++ < 10)
				printf("  path %s differs: %.*s\n", want_paths[i],
				       (int)(n > 300 ? 300 : n), copy);
		}
	}
	json_decref(root);
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

TEST(scanner_agrees_with_jansson_on_corpus)
{
	const char *dir = getenv("SAMPLES") ? getenv("SAMPLES") : "tests/data";
	char path[512], *line = NULL;
	size_t cap = 0, nsample = 0;
	ssize_t len;
	char *lines[256];
	size_t lens[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/upstream-events.ndjson", dir);
	/* No corpus is a failure, never a skip: without it the 30,000
	 * mutants below would not run. */
	f = fopen(path, "r");
	if (f == NULL)
		printf("  corpus %s: %s (SAMPLES names its directory)\n", path,
		       strerror(errno));
	CHECK(f != NULL);
	if (f == NULL)
		return;
	while ((len = getline(&line, &cap, f)) > 0 && nsample < 256) {
		if (line[len - 1] == '\n')
			len--;
		check_line(line, (size_t)len);
		lines[nsample] = malloc((size_t)len);
		memcpy(lines[nsample], line, (size_t)len);
		lens[nsample++] = (size_t)len;
	}
	fclose(f);
	free(line);
	CHECK(nsample > 10);
	if (nsample <= 10) {
		printf("  corpus %s: %zu lines, too few to mutate\n", path, nsample);
		return;
	}
	CHECK_INT(mismatches, 0);

	/* generated: the upstream format with every interesting value */
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
	};
	for (size_t i = 0; i < sizeof gen / sizeof gen[0]; i++)
		check_line(gen[i], strlen(gen[i]));
	CHECK_INT(mismatches, 0);

	/* hand-written bad lines */
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

	/* nesting right at and past jansson's depth limit */
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
	}
	CHECK_INT(mismatches, 0);

	/* mutants of the samples */
	{
		char *out = malloc(1 << 16);
		for (int i = 0; i < 30000; i++) {
			size_t k = rnd((uint32_t)nsample), on;
			mutate(lines[k], lens[k], out, &on);
			check_line(out, on);
		}
		free(out);
	}
	CHECK_INT(mismatches, 0);
	printf("  %d lines compared, %d valid JSON\n", nlines, nvalid);
	CHECK(nvalid > 1000 && nlines - nvalid > 1000);
	for (size_t i = 0; i < nsample; i++)
		free(lines[i]);
}

int main(void)
{
	win_paths_init(&P);
	nslots = (int)(sizeof want_paths / sizeof want_paths[0]);
	for (int i = 0; i < nslots; i++)
		slots[i] = win_paths_add(&P, want_paths[i]);
	RUN(scanner_agrees_with_jansson_on_corpus);
	win_paths_free(&P);
	return t_done();
}
