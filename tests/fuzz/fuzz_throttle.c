/* libFuzzer target: the Redis URL parser.  Any input must parse or fail
 * with a message; a parsed URL must redact to a string without user
 * info, and must parse again from that redacted form. */
#include "thr.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *s = malloc(size + 1);
	struct nw_redis_url u, again;
	char err[200], red[NW_REDIS_URL_HOST_MAX + NW_REDIS_URL_PATH_MAX + 64];

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	err[0] = '\0';
	if (nw_redis_url_parse(s, &u, err, sizeof err) < 0) {
		if (err[0] == '\0' || u.has_password)
			abort();
	} else {
		if (u.kind == NW_REDIS_URL_TCP && (u.port < 1 || u.port > 65535))
			abort();
		nw_redis_url_redacted(&u, red, sizeof red);
		/* no user info in the redacted form */
		if (strchr(red, '@') && !strchr(u.path, '@'))
			abort();
		if (nw_redis_url_parse(red, &again, err, sizeof err) < 0 ||
		    again.kind != u.kind || again.port != u.port ||
		    again.db != u.db || strcmp(again.host, u.host) != 0 ||
		    strcmp(again.path, u.path) != 0)
			abort();
	}
	free(s);
	return 0;
}
