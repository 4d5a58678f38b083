/* alloc.c - the one allocation policy of netwatch.
 *
 * Every heap allocation in the tree goes through nw_xmalloc and friends.
 * Running out of memory is not bad input and no stage can do anything
 * useful without the memory it asked for, so there is one answer: log one
 * line and exit NW_EXIT_FAIL (the supervisor restarts the stage from its
 * last checkpoint).  Callers never test for NULL.  Tests may install a hook
 * that runs instead (to check the handler is reached); the hook must not
 * return, or the default handler runs after it. */
#include "nw.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void (*oom_hook)(size_t n);

void nw_set_oom_handler(void (*hook)(size_t n)) { oom_hook = hook; }

void nw_oom(size_t n)
{
	if (oom_hook)
		oom_hook(n);
	LOG_ERROR("out of memory bytes=%zu", n);
	_exit(NW_EXIT_FAIL);   /* no atexit work: it could need memory too */
}

/* malloc(0) may return NULL; ask for one byte so NULL always means OOM. */
void *nw_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		nw_oom(n);
	return p;
}

void *nw_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (p == NULL)
		nw_oom(count * size);
	return p;
}

void *nw_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		nw_oom(n);
	return q;
}

/* count * size with the overflow check calloc does, for growing arrays. */
void *nw_xreallocarray(void *p, size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		nw_oom(SIZE_MAX);
	return nw_xrealloc(p, count * size);
}

char *nw_xstrdup(const char *s)
{
	return nw_xmemdup(s, strlen(s) + 1);
}

char *nw_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = nw_xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void *nw_xmemdup(const void *s, size_t n)
{
	return memcpy(nw_xmalloc(n), s, n);
}
