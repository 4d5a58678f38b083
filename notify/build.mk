# notify: webhook notifier (Slack, Discord, generic, Alertmanager) with a durable spool.
PROGS += notify
notify_SRCS := notify/main.c notify/opts.c notify/queue.c notify/ids.c \
               notify/spool.c notify/deliver.c notify/barrier.c \
               notify/format.c notify/am.c notify/resend.c notify/http.c notify/post.c
notify_SRCS += notify/text.c
notify_MAIN := notify/main.c
notify_PKGS := libcurl
