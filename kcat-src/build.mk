# kcat-src: Kafka -> NDJSON consumer and producer mode; kafka-devbroker: the
# local mock Kafka cluster the demo and the tests run against.
PROGS += kcat-src kafka-devbroker
kcat-src_SRCS := kcat-src/main.c kcat-src/ksrc_consume.c \
                 kcat-src/ksrc_produce.c kcat-src/ksrc_conf.c \
                 kcat-src/ksrc_frame.c kcat-src/ksrc_key.c \
                 kcat-src/ksrc_ckpt.c kcat-src/ksrc_rewind.c \
                 kcat-src/ksrc_share.c kcat-src/ksrc_once.c \
                 lib/redisconn.c
kcat-src_MAIN := kcat-src/main.c
kcat-src_PKGS := rdkafka hiredis
kafka-devbroker_SRCS := kcat-src/devbroker.c kcat-src/ksrc_conf.c
kafka-devbroker_MAIN := kcat-src/devbroker.c
kafka-devbroker_PKGS := rdkafka
