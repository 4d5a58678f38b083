# netwatch-exporter: a chain's run directory (supervise's state and the
# stages' stats files) served as Prometheus metrics over HTTP.  The program
# carries the project's name, unlike the stages: "exporter" alone would
# collide once installed.
PROGS += netwatch-exporter
netwatch-exporter_SRCS := exporter/main.c exporter/prom.c exporter/fields.c \
                          exporter/rundir.c exporter/http.c
netwatch-exporter_MAIN := exporter/main.c
netwatch-exporter_PKGS := libmicrohttpd
