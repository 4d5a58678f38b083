/* buf.c - growable byte buffer and JSON string escaping. */
#include "nw.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void nw_buf_reserve(struct nw_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->p = nw_xrealloc(b->p, cap);
	b->cap = cap;
}

void nw_buf_add(struct nw_buf *b, const void *s, size_t n)
{
	nw_buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void nw_buf_adds(struct nw_buf *b, const char *s) { nw_buf_add(b, s, strlen(s)); }

void nw_buf_addc(struct nw_buf *b, char c)
{
	nw_buf_reserve(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

void nw_buf_printf(struct nw_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0) {
		nw_buf_reserve(b, (size_t)n);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
		b->len += (size_t)n;
	}
	va_end(ap2);
}

void nw_buf_add_u64(struct nw_buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	nw_buf_add(b, tmp + i, sizeof tmp - i);
}

void nw_buf_add_i64(struct nw_buf *b, int64_t v)
{
	if (v < 0) {
		nw_buf_addc(b, '-');
		nw_buf_add_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		nw_buf_add_u64(b, (uint64_t)v);
	}
}

/* Length of the UTF-8 sequence starting at s (1..4), or 0 when invalid:
 * overlongs, surrogates and code points above U+10FFFF are rejected. */
size_t nw_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; min = 0x80; }
	else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; min = 0x800; }
	else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; min = 0x10000; }
	else return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t nw_utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		/* ASCII fast path, eight bytes at a time. */
		while (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, u + i, 8);
			if (w & 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		size_t l = nw_utf8_seq(u + i, n - i);
		if (l == 0)
			return i;
		i += l;
	}
	return n;
}

bool nw_buf_add_jstr(struct nw_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	bool clean = true;

	nw_buf_reserve(b, n + 2);
	nw_buf_addc(b, '"');
	for (size_t i = 0; i < n;) {
		/* a run of bytes that stand for themselves, copied at once */
		size_t j = i;
		while (j < n && u[j] >= 0x20 && u[j] < 0x7f && u[j] != '"' && u[j] != '\\')
			j++;
		if (j > i) {
			nw_buf_add(b, u + i, j - i);
			if ((i = j) >= n)
				break;
		}
		unsigned c = u[i];
		if (c >= 0x80) {
			size_t l = nw_utf8_seq(u + i, n - i);
			if (l == 0) {
				nw_buf_adds(b, "\xef\xbf\xbd");   /* U+FFFD */
				clean = false;
				i++;
			} else {
				nw_buf_add(b, u + i, l);
				i += l;
			}
			continue;
		}
		i++;
		switch (c) {
		case '"':  nw_buf_add(b, "\\\"", 2); break;
		case '\\': nw_buf_add(b, "\\\\", 2); break;
		case '\n': nw_buf_add(b, "\\n", 2); break;
		case '\r': nw_buf_add(b, "\\r", 2); break;
		case '\t': nw_buf_add(b, "\\t", 2); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
				nw_buf_add(b, e, 6);
			} else {
				nw_buf_addc(b, (char)c);
			}
		}
	}
	nw_buf_addc(b, '"');
	return clean;
}

void nw_buf_reset(struct nw_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void nw_buf_free(struct nw_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
