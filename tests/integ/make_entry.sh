#!/usr/bin/env bash
# The Makefile's entry targets on a machine where the libraries are missing
# when make starts: `pkg-config` (a PATH shim) answers "not found" until the
# deps step has run (a stand-in that marks the packages installed).  Plain
# `make` must stop with one line naming the packages; demo, bench, test and
# fuzz must install first and still link every program.  A copy of the tree
# with the existing object files keeps this to re-linking.
. "$(dirname "$0")/../lib.sh"
W=$T/m/netwatch
mkdir -p "$W" "$T/shim"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | tar cf - --null -T - \
	&& for d in build build-san build-fuzz; do [ -d "$d" ] && tar cf - "$d"; done) |
	tar xf - -C "$W" -i
real_pc=$(command -v pkg-config)
cat >"$T/shim/pkg-config" <<SH
#!/bin/sh
[ -e "$T/installed" ] && exec "$real_pc" "\$@"
for a; do case \$a in -*) ;; *) echo "Package \$a was not found in the pkg-config search path." >&2; break ;; esac; done
exit 1
SH
printf '#!/bin/sh\necho deps-ran\ntouch "%s/installed"\n' "$T" >"$T/fakedeps"
chmod +x "$T/shim/pkg-config" "$T/fakedeps"
mk() { (cd "$W" && PATH=$T/shim:$PATH make -s -j"$(nproc)" DEPS="$T/fakedeps" \
	TEST_RUN=true BENCH_RUN=true DEMO_RUN=true FUZZ_RUN=true "$@"); }

# plain make before the packages are there: one line, the packages, the way out
rm -f "$T/installed"
mk >"$T/plain.out" 2>"$T/plain.err"; rc=$?
check_eq make_plain_exit_2 2 "$rc"
check_eq make_plain_one_line 1 "$(wc -l <"$T/plain.err")"
check make_plain_names_packages grep -q 'libjansson-dev.*librdkafka-dev.*libhiredis-dev.*libcurl4-openssl-dev.*libmicrohttpd-dev' "$T/plain.err"
check make_plain_says_make_deps grep -q 'make deps' "$T/plain.err"
check make_plain_builds_nothing [ ! -e "$W/bin/window" ]

# The programs each entry target must (re)link, and whether they run.
linked() {
	local d p
	for d in "$@"; do
		for p in kcat-src kafka-devbroker window detect throttle notify gen ckpt exporter normalize enrich; do
			"$W/$d/$p" --version >/dev/null 2>&1 || { echo "$d/$p"; return 1; }
		done
	done
}
# Every program is relinked each time; of the unit tests and the fuzz
# targets (each compiled from its source in one step) one is removed, and
# must come back: that proves the target builds them, at a fraction of the
# cost of rebuilding them all.
for target in demo bench test fuzz; do
	rm -f "$T/installed"
	rm -rf "$W"/bin "$W"/bin-san "$W"/build-fuzz/tests/fuzz/fuzz_lib_jscan
	[ "$target" = test ] && rm -f "$W"/build/tests/unit/test_lib "$W"/build-san/tests/unit/test_lib
	mk "$target" >"$T/$target.out" 2>&1; rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "make_${target}_first_try" "exit $rc: $(grep -v '^deps-ran' "$T/$target.out" | tail -n 3 | tr '\n' ' ')"
		continue
	fi
	pass "make_${target}_first_try"
	check "make_${target}_ran_deps_first" [ "$(head -n 1 "$T/$target.out")" = deps-ran ]
	check "make_${target}_no_pkgconfig_noise" sh -c '! grep -q "was not found" "$1"' _ "$T/$target.out"
	case $target in
	demo|bench) check "make_${target}_links_programs" linked bin ;;
	test) check "make_${target}_links_programs" linked bin bin-san
	      check "make_${target}_links_unit_tests" \
		[ -x "$W/build-san/tests/unit/test_lib" -a -x "$W/build/tests/unit/test_lib" ] ;;
	fuzz) check "make_${target}_links_fuzz_targets" \
		[ -x "$W/build-fuzz/tests/fuzz/fuzz_lib_jscan" ] ;;
	esac
done
