#!/usr/bin/env bash
# Every program answers flags the same way: an unknown long or short flag
# exits 2 with exactly one stderr line in the one wording, -h/--help exit 0
# with the usage on stdout, -V/--version exit 0 with the version.  The
# programs are checked concurrently, each in its own directory; their
# verdicts are printed in order.
set -o pipefail
. "$(dirname "$0")/../lib.sh"
version=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")

# check_prog PROG: the six answers of one program (outputs in $T/PROG/).
check_prog() {
	local prog=$1 bad help ver rc want
	local T=$T/$prog
	mkdir -p "$T"
	for bad in --no-such-flag -Z; do
		"$prog" "$bad" </dev/null >"$T/out" 2>"$T/err"
		rc=$?
		want="$prog: unknown flag $bad (see $prog --help)"
		if [ $rc -eq 2 ] && [ "$(cat "$T/err")" = "$want" ] &&
		   [ "$(wc -l <"$T/err")" -eq 1 ] && [ ! -s "$T/out" ]; then
			pass "${prog}_bad_flag_$bad"
		else
			fail "${prog}_bad_flag_$bad" "rc=$rc stderr=[$(cat "$T/err")] want [$want]"
		fi
	done
	for help in -h --help; do
		"$prog" "$help" </dev/null >"$T/out" 2>"$T/err"
		rc=$?
		if [ $rc -eq 0 ] && grep -qi "^usage: *$prog" "$T/out" && [ ! -s "$T/err" ]; then
			pass "${prog}_help_$help"
		else
			fail "${prog}_help_$help" "rc=$rc out=[$(head -c 200 "$T/out")] err=[$(cat "$T/err")]"
		fi
	done
	for ver in -V --version; do
		"$prog" "$ver" </dev/null >"$T/out" 2>"$T/err"
		rc=$?
		if [ $rc -eq 0 ] && [ "$(cat "$T/out")" = "$prog (netwatch) $version" ]; then
			pass "${prog}_version_$ver"
		else
			fail "${prog}_version_$ver" "rc=$rc out=[$(cat "$T/out")] err=[$(cat "$T/err")]"
		fi
	done
}

progs=(window detect kcat-src kafka-devbroker gen ckpt throttle notify normalize enrich exporter)
pids=()
for prog in "${progs[@]}"; do
	check_prog "$prog" >"$T/$prog.verdicts" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for prog in "${progs[@]}"; do cat "$T/$prog.verdicts"; done
