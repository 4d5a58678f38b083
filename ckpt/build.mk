PROGS += ckpt
ckpt_SRCS := ckpt/main.c
ckpt_MAIN := ckpt/main.c
ckpt_PKGS :=
