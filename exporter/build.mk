# exporter: a chain's run directory (supervise's state and the stages'
# stats files) served as Prometheus metrics over HTTP.  Installed, like
# every program, with the netwatch- prefix: netwatch-exporter.
PROGS += exporter
exporter_SRCS := exporter/main.c exporter/prom.c exporter/fields.c \
                 exporter/rundir.c exporter/http.c
exporter_MAIN := exporter/main.c
exporter_PKGS := libmicrohttpd
