PROGS += window
window_SRCS := window/main.c window/wtime.c window/dset.c \
               window/agg.c window/engine.c window/event.c \
               window/win_ckpt.c window/wmark.c \
               window/opts.c window/wm_ctl.c window/kspec.c window/geo.c \
               window/route.c
window_MAIN := window/main.c
window_PKGS :=
