# notify: webhook notifier (Slack, Discord, generic) with a durable spool.
PROGS += notify
notify_SRCS := notify/main.c notify/format.c notify/spool.c notify/http.c
notify_MAIN := notify/main.c
notify_PKGS := libcurl
