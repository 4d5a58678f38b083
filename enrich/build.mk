# enrich: events -> events with GeoIP, ASN, threat-intel list and identity
# facts for their address fields, from local files (libmaxminddb), and
# the answers of an external lookup service (libcurl).
PROGS += enrich
enrich_SRCS := enrich/main.c enrich/event.c enrich/data.c enrich/ident.c \
               enrich/scope.c enrich/cache.c enrich/pending.c enrich/splice.c \
               enrich/lookup.c enrich/async.c
enrich_MAIN := enrich/main.c
enrich_PKGS := libmaxminddb libcurl
