#!/usr/bin/env bash
# A clone stands alone: nothing in it refers to a directory beside it, and
# the tests that read the sample corpus find it inside the tree.  The tree is
# copied into a directory that holds nothing else, and the corpus readers run
# there with no SAMPLES in the environment.
. "$(dirname "$0")/../lib.sh"
BUILD=$ROOT/build; [ "$(basename "$BIN")" = bin-san ] && BUILD=$ROOT/build-san
W=$T/alone/netwatch
mkdir -p "$W"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | tar cf - --null -T -) |
	tar xf - -C "$W"
beside='..''/shared'
hits=$(cd "$W" && grep -rlF "$beside" . 2>/dev/null | head -n 5 | tr '\n' ' ')
check_eq fresh_clone_no_reference_outside "" "$hits"
check fresh_clone_sample_in_tree [ -s "$W/tests/data/upstream-events.ndjson" ]

# every tests/data file the README and docs name is in the tree
missing=
for f in $(cd "$W" && grep -ohE 'tests/data/[A-Za-z0-9._/-]+[A-Za-z0-9]' README.md docs/*.md | sort -u); do
	[ -e "$W/$f" ] || missing="$missing $f"
done
check_eq fresh_clone_docs_name_files_in_tree "" "$missing"

# unit tests that read the corpus and a shell test that does, run from the
# lone copy side by side (each writes only its own log)
unset SAMPLES
units=()
for src in $(cd "$W" && grep -l 'tests/data' tests/unit/*.c); do
	u=$(basename "$src" .c)
	units+=("$u")
	(cd "$W" && "$BUILD/tests/unit/$u"; echo "exit $?") >"$T/$u.log" 2>&1 &
done
(cd "$W" && ROOT=$W bash tests/integ/window_golden.sh) >"$T/g.log" 2>&1 &
wait
for u in "${units[@]}"; do
	if grep -qx 'exit 0' "$T/$u.log" && ! grep -q '^FAIL' "$T/$u.log"; then
		pass "fresh_clone_$u"
	else
		fail "fresh_clone_$u" "$(grep '^FAIL\|CHECK' "$T/$u.log" | head -n 3 | tr '\n' ' ')"
	fi
done
check fresh_clone_found_corpus_unit_tests [ "${#units[@]}" -gt 0 ]
check fresh_clone_shell_test_passes sh -c '! grep -q "^FAIL" "$1" && grep -q "^PASS" "$1"' _ "$T/g.log"
