/* http.c - the listening socket (ours, so a bind error is reported as
 * such) handed to a libmicrohttpd daemon (http.h). */
#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct http_srv {
	struct MHD_Daemon *d;
	int fd;
	http_page_fn fn;
	void *arg;
};

int http_split_addr(const char *addr, char *host, size_t hcap, char *port,
                    size_t pcap, char *err, size_t errcap)
{
	const char *colon, *h = addr, *hend;

	if (*addr == '[') {
		h = addr + 1;
		hend = strchr(h, ']');
		colon = hend ? hend + 1 : NULL;
		if (colon && *colon != ':')
			colon = NULL;
	} else {
		colon = strrchr(addr, ':');
		hend = colon;
	}
	if (colon == NULL || hend == NULL || colon[1] == '\0') {
		snprintf(err, errcap, "want HOST:PORT, e.g. 127.0.0.1:9464, not "
		         "\"%s\"", addr);
		return -1;
	}
	if (hend == h) {
		snprintf(err, errcap, "give the address to listen on, e.g. "
		         "127.0.0.1:9464 (0.0.0.0:9464 for every interface), not "
		         "\"%s\"", addr);
		return -1;
	}
	if ((size_t)(hend - h) >= hcap || strlen(colon + 1) >= pcap) {
		snprintf(err, errcap, "address too long: \"%s\"", addr);
		return -1;
	}
	snprintf(host, hcap, "%.*s", (int)(hend - h), h);
	snprintf(port, pcap, "%s", colon + 1);
	return 0;
}

/* A bound, listening socket for addr, or -1 with err set. */
static int http_listen(const char *addr, char *err, size_t errcap)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	char host[256], port[16];
	int fd, rc, one = 1;

	if (http_split_addr(addr, host, sizeof host, port, sizeof port, err,
	                    errcap) < 0)
		return -1;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, errcap, "cannot resolve %s: %s", addr,
		         gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	            ai->ai_protocol);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	                         sizeof one) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
		snprintf(err, errcap, "cannot listen on %s: %s", addr,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static enum MHD_Result http_reply(struct MHD_Connection *conn,
                                  unsigned status, const char *type,
                                  char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;

	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result http_text(struct MHD_Connection *conn,
                                 unsigned status, const char *text)
{
	return http_reply(conn, status, "text/plain; charset=utf-8",
	                  nw_xstrdup(text), strlen(text));
}

/* One request (libmicrohttpd's access handler). */
static enum MHD_Result http_handle(void *cls, struct MHD_Connection *conn,
                                   const char *url, const char *method,
                                   const char *version,
                                   const char *upload_data,
                                   size_t *upload_size, void **req)
{
	struct http_srv *s = cls;
	struct nw_buf b = { 0 };

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return http_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		                 "only GET and HEAD\n");
	if (strcmp(url, "/") == 0)
		return http_text(conn, MHD_HTTP_OK,
		                 "netwatch exporter: the metrics are at /metrics\n");
	if (strcmp(url, "/metrics") != 0)
		return http_text(conn, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n");
	s->fn(&b, s->arg);
	if (b.p == NULL)
		b.p = nw_xstrdup("");
	return http_reply(conn, MHD_HTTP_OK, CONTENT_TYPE, b.p, b.len);
}

struct http_srv *http_start(const char *addr, http_page_fn fn, void *arg,
                            char *err, size_t errcap)
{
	struct http_srv *s;
	int fd = http_listen(addr, err, errcap);

	if (fd < 0)
		return NULL;
	s = nw_xcalloc(1, sizeof *s);
	*s = (struct http_srv){ NULL, fd, fn, arg };
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	                        http_handle, s,
	                        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	                        MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
	                        MHD_OPTION_END);
	if (s->d == NULL) {
		snprintf(err, errcap, "cannot start the HTTP server on %s", addr);
		close(fd);
		free(s);
		return NULL;
	}
	return s;
}

void http_stop(struct http_srv *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->d);    /* closes the listening socket too */
	free(s);
}
