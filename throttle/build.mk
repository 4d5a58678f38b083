PROGS += throttle
throttle_SRCS := throttle/main.c throttle/item.c throttle/local.c throttle/gate.c \
                 throttle/pipe.c throttle/opts.c lib/redisconn.c
throttle_MAIN := throttle/main.c
throttle_PKGS := hiredis
