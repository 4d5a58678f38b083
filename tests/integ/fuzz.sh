#!/usr/bin/env bash
# Every libFuzzer target (tests/fuzz/fuzz_*.c) runs for FUZZ_SECONDS (3 by
# default) on its seed corpus; a crash, leak or sanitizer report fails it.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT" || exit 1
if ! make -s -j"$(nproc)" FUZZ=1 fuzz-build >"$T/build.log" 2>&1; then
	fail "fuzz targets build" "$(tail -n 5 "$T/build.log")"
	exit 1
fi
pass "fuzz targets build"
tests/fuzz/run "${FUZZ_SECONDS:-3}"
