# normalize: raw syslog lines (RFC 5424, RFC 3164) -> JSON signals.
PROGS += normalize
normalize_SRCS := normalize/main.c normalize/emit.c normalize/rfc5424.c \
                  normalize/rfc3164.c normalize/sdata.c normalize/sltime.c
normalize_MAIN := normalize/main.c
normalize_PKGS :=
