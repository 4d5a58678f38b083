# netwatch: a network-anomaly detector made of Unix filters.
#
#   make            build every program into bin/ (optimised, -Werror)
#   make san        the same programs with ASan+UBSan into bin-san/
#   make test       install missing packages, build both, run every test
#   make bench      benchmarks, each figure beside its reference
#   make fuzz       libFuzzer targets (clang), each run for FUZZ_SECONDS
#   make deps       install the Debian packages the project needs
#   make install    programs, scripts, man pages, built-in rules and
#                   patterns, and an example systemd unit under PREFIX
#                   (/usr/local), staged in DESTDIR if given; make
#                   uninstall removes them
#
# demo, test, bench and fuzz install missing packages first (scripts/deps) and
# then build in a sub-make: the sub-make reads this Makefile again, so the
# pkg-config answers it bakes into every compile and link line are those of
# the installed packages.  A plain `make` on a machine without them stops at
# once with one line that names them.
#
# Each program directory has a build.mk that appends to PROGS and sets
# <prog>_SRCS (all sources), <prog>_MAIN (the file with main()) and
# <prog>_PKGS (pkg-config names).  Unit tests tests/unit/test_<prog>*.c link
# the program's sources minus its main, so they can call its internals.

VERSION  := 0.1.0
CC       ?= cc
PKGCONF  ?= pkg-config
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CPPFLAGS := -D_GNU_SOURCE -DNW_VERSION='"$(VERSION)"' -Ilib
OPT      ?= -O2 -g

ifeq ($(FUZZ),1)
  CC     := clang
  BUILD  := build-fuzz
  BINDIR := bin-fuzz
  MODEFLAGS := -O1 -g -fno-omit-frame-pointer \
               -fsanitize=fuzzer-no-link,address,undefined
else ifeq ($(SAN),1)
  BUILD  := build-san
  BINDIR := bin-san
  MODEFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=undefined
else
  BUILD  := build
  BINDIR := bin
  MODEFLAGS := $(OPT)
endif
CFLAGS  := -std=gnu11 $(WARN) $(MODEFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(MODEFLAGS)

# The libraries every build needs: pkg-config name:Debian package.
PKG_DEBS := jansson:libjansson-dev rdkafka:librdkafka-dev \
            hiredis:libhiredis-dev libcurl:libcurl4-openssl-dev \
            libpcre2-8:libpcre2-dev libmicrohttpd:libmicrohttpd-dev \
            libmaxminddb:libmaxminddb-dev
DEPS     ?= scripts/deps
# What the entry targets run once the programs are built (a test of the
# Makefile itself swaps them for `true`).
TEST_RUN  ?= tests/run
BENCH_RUN ?= tests/bench/run
DEMO_RUN  ?= scripts/demo
FUZZ_RUN  ?= tests/fuzz/run $(FUZZ_SECONDS)

# Goals that install before they build need no packages yet; any other goal
# (plain `make` included) checks them once, here, quietly.
ENTRY_GOALS := deps test bench demo fuzz clean uninstall
ifneq ($(filter-out $(ENTRY_GOALS),$(or $(MAKECMDGOALS),all)),)
PKG_MISSING := $(strip $(shell \
	command -v $(CC) >/dev/null 2>&1 || echo $(if $(filter clang,$(CC)),clang,build-essential); \
	command -v $(PKGCONF) >/dev/null 2>&1 || echo pkg-config; \
	for m in $(PKG_DEBS); do \
		$(PKGCONF) --exists $${m%%:*} 2>/dev/null || echo $${m#*:}; \
	done))
ifneq ($(PKG_MISSING),)
$(error missing Debian packages: $(PKG_MISSING); install them with `make deps` (as root), or run `make test` / `make demo`, which install them first)
endif
endif

# lib/ files that need a package beyond LIB_PKGS stay out of libnw.a: a
# program that uses one lists it in its <prog>_SRCS and the package in its
# <prog>_PKGS, so no other program links that package.
LIB_OWN_SRCS := lib/redisconn.c
LIB_SRCS := $(filter-out $(LIB_OWN_SRCS),$(wildcard lib/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB_A    := $(BUILD)/libnw.a
LIB_PKGS := jansson

# A file compiled in as a NUL-terminated C array (a program's built-in rules
# or patterns): $(eval $(call embed_file,SRC,HEADER,SYMBOL)) in a build.mk.
define embed_file
$(2): $(1)
	@mkdir -p $$(@D)
	{ echo '/* generated from $(1) */'; \
	  echo 'const char $(3)[] = {'; \
	  od -An -v -tx1 $$< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0 };'; } >$$@.tmp && mv $$@.tmp $$@
endef

# `all` stays the default goal whatever rules a build.mk brings.
.DEFAULT_GOAL := all
PROGS :=
include $(sort $(wildcard */build.mk))

all: $(PROGS:%=$(BINDIR)/%) unit-tests

# One rule set per program, generated from its build.mk variables.
define prog_rules
$(1)_OBJS := $$($(1)_SRCS:%.c=$$(BUILD)/%.o)
$(1)_LIBOBJS := $$(filter-out $$(BUILD)/$$($(1)_MAIN:%.c=%.o),$$($(1)_OBJS))
$(1)_CFLAGS := $$(shell $$(PKGCONF) --cflags $$($(1)_PKGS) $$(LIB_PKGS) 2>/dev/null)
$(1)_LIBS := $$(shell $$(PKGCONF) --libs $$($(1)_PKGS) $$(LIB_PKGS) 2>/dev/null) -lm -lpthread
$$($(1)_OBJS): EXTRA_PKG_CFLAGS := $$($(1)_CFLAGS)
$$(BINDIR)/$(1): $$($(1)_OBJS) $$(LIB_A)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$($(1)_LIBS)
UNIT_$(1) := $$(patsubst tests/unit/%.c,$$(BUILD)/tests/unit/%,$$(wildcard tests/unit/test_$(1)*.c))
UNIT_BINS += $$(UNIT_$(1))
$$(UNIT_$(1)): $$(BUILD)/tests/unit/%: tests/unit/%.c $$($(1)_LIBOBJS) $$(LIB_A)
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) -Itests/unit -I$(1) $$(CFLAGS) $$($(1)_CFLAGS) -o $$@ $$^ $$($(1)_LIBS)
# libFuzzer targets tests/fuzz/fuzz_<prog>*.c, built only with FUZZ=1.
FUZZ_$(1) := $$(patsubst tests/fuzz/%.c,$$(BUILD)/tests/fuzz/%,$$(wildcard tests/fuzz/fuzz_$(1)*.c))
FUZZ_BINS += $$(FUZZ_$(1))
$$(FUZZ_$(1)): $$(BUILD)/tests/fuzz/%: tests/fuzz/%.c $$($(1)_LIBOBJS) $$(LIB_A)
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) -I$(1) $$(CFLAGS) -fsanitize=fuzzer $$($(1)_CFLAGS) -o $$@ $$^ $$($(1)_LIBS)
endef
UNIT_BINS :=
FUZZ_BINS :=
$(foreach p,$(PROGS),$(eval $(call prog_rules,$(p))))

# Unit tests of lib/ alone.
UNIT_LIB := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/test_lib*.c))
UNIT_BINS += $(UNIT_LIB)
$(UNIT_LIB): $(BUILD)/tests/unit/%: tests/unit/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(shell $(PKGCONF) --cflags $(LIB_PKGS) 2>/dev/null) -o $@ $^ $(shell $(PKGCONF) --libs $(LIB_PKGS) 2>/dev/null) -lm

# libFuzzer targets of lib/ alone (tests/fuzz/fuzz_lib*.c), built only with
# FUZZ=1.
FUZZ_LIB := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/fuzz/%,$(wildcard tests/fuzz/fuzz_lib*.c))
FUZZ_BINS += $(FUZZ_LIB)
$(FUZZ_LIB): $(BUILD)/tests/fuzz/%: tests/fuzz/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer $(shell $(PKGCONF) --cflags $(LIB_PKGS) 2>/dev/null) -o $@ $^ $(shell $(PKGCONF) --libs $(LIB_PKGS) 2>/dev/null) -lm

unit-tests: $(UNIT_BINS)

$(BUILD)/%.o: %.c $(wildcard lib/*.h) $(wildcard $(dir %)*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(EXTRA_PKG_CFLAGS) $(shell $(PKGCONF) --cflags $(LIB_PKGS) 2>/dev/null) -MMD -MP -c -o $@ $<

$(LIB_A): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

san:
	$(MAKE) SAN=1 all

# make fuzz [FUZZ_SECONDS=N]: build every libFuzzer target and run each one
# for N seconds on its committed seed corpus.
fuzz-build: $(FUZZ_BINS)
fuzz: deps
	$(MAKE) $(PAR) FUZZ=1 fuzz-build
	$(FUZZ_RUN)

deps:
	@$(DEPS)

# The entry targets build on every core unless make already runs parallel
# (a jobserver is in MAKEFLAGS then).
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
PAR = $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(JOBS))

# The README's test command.  The suite runs against the sanitizer build.
test: deps
	$(MAKE) $(PAR) all
	$(MAKE) $(PAR) SAN=1 all
	$(TEST_RUN)

bench: deps
	$(MAKE) $(PAR) all
	$(BENCH_RUN)

demo: deps
	$(MAKE) $(PAR) all
	$(DEMO_RUN)

clean:
	rm -rf build build-san build-fuzz bin bin-san bin-fuzz

# ---- make install / make uninstall -------------------------------------------
# Everything is installed as netwatch-<name>: window, detect, notify, gen,
# status are names other software uses too, and one prefix lets
# `netwatch-<TAB>` list the whole tool.  Programs come from PROGS (every
# */build.mk), so a new program is installed once it has a build.mk and a
# man page man/netwatch-<prog>.1 (install stops without one).  The scripts
# call the programs by their installed names: install sets the
# `prog_prefix=` line of each.  The systemd unit and its files get the
# installed paths (@BINDIR@, @SYSCONFDIR@, @DATADIR@).
PREFIX     ?= /usr/local
bindir     ?= $(PREFIX)/bin
datadir    ?= $(PREFIX)/share
mandir     ?= $(datadir)/man
sysconfdir ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
unitdir    ?= $(PREFIX)/lib/systemd/system
INST_PREFIX := netwatch-
SCRIPTS    := supervise replay status savepoint demo
INST_NAMES := $(PROGS) $(SCRIPTS)
MAN_PAGES  := $(INST_NAMES:%=man/$(INST_PREFIX)%.1)
D := $(DESTDIR)
DIST_SED := sed -e 's|@BINDIR@|$(bindir)|g' -e 's|@SYSCONFDIR@|$(sysconfdir)|g' \
                -e 's|@DATADIR@|$(datadir)|g'

install: $(PROGS:%=bin/%) $(MAN_PAGES)
	install -d $(D)$(bindir) $(D)$(mandir)/man1 $(D)$(datadir)/netwatch \
	        $(D)$(unitdir) $(D)$(sysconfdir)/netwatch
	for p in $(PROGS); do install -m 755 bin/$$p $(D)$(bindir)/$(INST_PREFIX)$$p || exit 1; done
	for s in $(SCRIPTS); do \
		sed -e 's/^prog_prefix=$$/prog_prefix=$(INST_PREFIX)/' \
		    -e 's|^share_dir=$$|share_dir=$(datadir)/netwatch|' \
		    scripts/$$s >$(D)$(bindir)/$(INST_PREFIX)$$s && \
		chmod 755 $(D)$(bindir)/$(INST_PREFIX)$$s || exit 1; \
	done
	install -m 644 $(MAN_PAGES) $(D)$(mandir)/man1/
	install -m 644 detect/rules.json detect/auth.json detect/auth.window \
	        detect/demo-city.mmdb detect/demo-asn.mmdb detect/demo-blocklist.txt \
	        $(D)$(datadir)/netwatch/
	install -m 644 normalize/patterns.json $(D)$(datadir)/netwatch/patterns.json
	$(DIST_SED) dist/chain.conf.example >$(D)$(datadir)/netwatch/chain.conf.example
	$(DIST_SED) dist/netwatch@.service >$(D)$(unitdir)/netwatch@.service
	chmod 644 $(D)$(datadir)/netwatch/chain.conf.example $(D)$(unitdir)/netwatch@.service
	@# The environment file holds credentials: mode 600, and never replaced.
	test -e $(D)$(sysconfdir)/netwatch/netwatch.env || \
		install -m 600 dist/netwatch.env $(D)$(sysconfdir)/netwatch/netwatch.env

# The environment file goes only when it is still the one installed: an
# edited one holds someone's credentials.
uninstall:
	rm -f $(INST_NAMES:%=$(D)$(bindir)/$(INST_PREFIX)%) \
	      $(INST_NAMES:%=$(D)$(mandir)/man1/$(INST_PREFIX)%.1) \
	      $(D)$(datadir)/netwatch/rules.json $(D)$(datadir)/netwatch/auth.json \
	      $(D)$(datadir)/netwatch/auth.window \
	      $(D)$(datadir)/netwatch/demo-city.mmdb $(D)$(datadir)/netwatch/demo-asn.mmdb \
	      $(D)$(datadir)/netwatch/demo-blocklist.txt \
	      $(D)$(datadir)/netwatch/patterns.json \
	      $(D)$(datadir)/netwatch/chain.conf.example \
	      $(D)$(unitdir)/netwatch@.service
	if cmp -s dist/netwatch.env $(D)$(sysconfdir)/netwatch/netwatch.env; then \
		rm -f $(D)$(sysconfdir)/netwatch/netwatch.env; \
	elif [ -e $(D)$(sysconfdir)/netwatch/netwatch.env ]; then \
		echo "uninstall: kept $(D)$(sysconfdir)/netwatch/netwatch.env (edited)"; fi
	-rmdir $(D)$(datadir)/netwatch $(D)$(sysconfdir)/netwatch 2>/dev/null

.PHONY: all san fuzz fuzz-build deps test bench demo clean unit-tests install uninstall
