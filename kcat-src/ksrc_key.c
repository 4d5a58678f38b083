/* ksrc_key.c - the producer's message key: one top-level member of a JSON
 * object, found by a single allocation-free pass (no full parse). */
#include "ksrc.h"

#include <string.h>

struct scan {
	const char *p, *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	                         *s->p == '\r' || *s->p == '\n'))
		s->p++;
}

/* At an opening quote: step past the closing one.  False if unterminated. */
static bool skip_string(struct scan *s)
{
	s->p++;
	while (s->p < s->end) {
		const char *q = memchr(s->p, '"', (size_t)(s->end - s->p));
		if (q == NULL)
			return false;
		size_t bs = 0;   /* an odd run of backslashes escapes the quote */
		for (const char *b = q; b > s->p && b[-1] == '\\'; b--)
			bs++;
		s->p = q + 1;
		if (bs % 2 == 0)
			return true;
	}
	return false;
}

/* Skip one value of any kind; nested containers by depth, strings aware. */
static bool skip_value(struct scan *s)
{
	int depth = 0;

	do {
		if (s->p >= s->end)
			return false;
		switch (*s->p) {
		case '"':
			if (!skip_string(s))
				return false;
			break;
		case '{': case '[':
			depth++;
			s->p++;
			break;
		case '}': case ']':
			if (depth == 0)
				return false;
			depth--;
			s->p++;
			break;
		default:
			if (depth == 0) {    /* a scalar token */
				while (s->p < s->end && !strchr(",}] \t\r\n", *s->p))
					s->p++;
				return true;
			}
			s->p++;
		}
	} while (depth > 0);
	return true;
}

bool ksrc_json_key(const char *line, size_t n, const char *field,
                   size_t flen, const char **val, size_t *vlen)
{
	struct scan s = { line, line + n };

	skip_ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return false;
	s.p++;
	for (;;) {
		skip_ws(&s);
		if (s.p >= s.end || *s.p != '"')
			return false;
		const char *k = s.p + 1;
		if (!skip_string(&s))
			return false;
		bool match = (size_t)(s.p - 1 - k) == flen && memcmp(k, field, flen) == 0;
		skip_ws(&s);
		if (s.p >= s.end || *s.p != ':')
			return false;
		s.p++;
		skip_ws(&s);
		const char *v = s.p;
		if (!skip_value(&s))
			return false;
		if (match) {
			if (*v == '"') {
				*val = v + 1;
				*vlen = (size_t)(s.p - v - 2);
				return true;
			}
			if (*v == '{' || *v == '[' || *v == 'n')
				return false;
			*val = v;
			*vlen = (size_t)(s.p - v);
			return *vlen > 0;
		}
		skip_ws(&s);
		if (s.p >= s.end || *s.p != ',')
			return false;
		s.p++;
	}
}
