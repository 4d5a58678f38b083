# normalize: raw syslog lines (RFC 5424, RFC 3164) -> JSON signals, with
# PCRE2 patterns (the built-in ones: normalize/patterns.json, compiled in).
PROGS += normalize
normalize_SRCS := normalize/main.c normalize/emit.c normalize/rfc5424.c \
                  normalize/rfc3164.c normalize/sdata.c normalize/sltime.c \
                  normalize/patterns.c normalize/builtin.c
normalize_MAIN := normalize/main.c
normalize_PKGS := libpcre2-8

$(eval $(call embed_file,normalize/patterns.json,$(BUILD)/normalize/patterns_json.h,nz_builtin_json))
$(BUILD)/normalize/builtin.o: $(BUILD)/normalize/patterns_json.h
$(BUILD)/normalize/builtin.o: CPPFLAGS += -I$(BUILD)/normalize
