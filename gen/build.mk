PROGS += gen
gen_SRCS := gen/main.c gen/event.c gen/scenario.c gen/chaos.c gen/out.c gen/opts.c \
            gen/stream.c gen/kafka.c gen/log.c
gen_MAIN := gen/main.c
gen_PKGS :=
