/*
 * http.h - the exporter's HTTP side, on libmicrohttpd: GET /metrics
 * answers with the page a callback renders at each request, / with a
 * pointer to it, anything else 404 (or 405 for a method other than GET
 * and HEAD).  Requests are served one at a time on libmicrohttpd's own
 * thread, so the callback needs no locking against itself.
 *
 * Ownership: the server owns its socket and daemon until http_stop; the
 * page buffer the callback fills is handed to libmicrohttpd, which frees
 * it after sending.
 */
#ifndef HTTP_H
#define HTTP_H

#include "nw.h"

typedef void (*http_page_fn)(struct nw_buf *out, void *arg);

struct http_srv;

/* Split "HOST:PORT" or "[V6]:PORT" into host and port: 0, or -1 with a
 * reason in err.  The host must be given (no silent "every interface"). */
int http_split_addr(const char *addr, char *host, size_t hcap, char *port,
                    size_t pcap, char *err, size_t errcap);

/* Listen on addr and serve; NULL with one line in err when the address is
 * bad or cannot be bound. */
struct http_srv *http_start(const char *addr, http_page_fn fn, void *arg,
                            char *err, size_t errcap);
void http_stop(struct http_srv *s);

#endif
