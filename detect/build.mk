# detect: threshold rules over window records -> alerts.
PROGS += detect
detect_SRCS := detect/main.c detect/incident.c detect/rules.c detect/expr.c \
               detect/sym.c detect/rec.c detect/defrules.c \
               detect/hosts.c detect/cfg.c detect/baseline.c \
               detect/dpart.c detect/snap.c
detect_MAIN := detect/main.c
detect_PKGS :=

# The built-in rules are detect/rules.json, compiled in as a C array.
$(BUILD)/detect/rules_json.h: detect/rules.json
	@mkdir -p $(@D)
	{ echo '/* generated from detect/rules.json */'; \
	  echo 'const char rule_default_json[] = {'; \
	  od -An -v -tx1 $< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0 };'; } >$@.tmp && mv $@.tmp $@
$(BUILD)/detect/defrules.o: $(BUILD)/detect/rules_json.h
$(BUILD)/detect/defrules.o: CPPFLAGS += -I$(BUILD)/detect
