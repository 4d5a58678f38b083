#!/usr/bin/env bash
# gen's speed with --eps 0, beside moving the same number of bytes without
# generating them (head -c of /dev/zero), measured in the same run.
set -u
: "${BIN:=$(cd "$(dirname "$0")/../.." && pwd)/bin}"
N=${GEN_BENCH_EVENTS:-3000000}
GEN="$BIN/gen --eps 0 --count $N --start-time 1763712000 --seed 1"

now() { date +%s%N; }
# events per second for N events taking $1 ns
eps() { awk -v n="$N" -v ns="$1" 'BEGIN { printf "%.0f", n / (ns / 1e9) }'; }
row() {
	awk -v w="$1" -v a="$2" -v b="$3" 'BEGIN {
		printf "%-44s %16s %16s %8.2f\n", w, a, b, a / b }'
}

bytes=$($GEN --count 100000 2>/dev/null | wc -c)
bytes=$((bytes * N / 100000))

t0=$(now); $GEN >/dev/null 2>&1; t1=$(now)
head -c "$bytes" /dev/zero >/dev/null; t2=$(now)
ref_null=$(eps $((t2 - t1)))
row "gen events/s to /dev/null (vs head -c)" "$(eps $((t1 - t0)))" "$ref_null"

t0=$(now); $GEN 2>/dev/null | cat >/dev/null; t1=$(now)
head -c "$bytes" /dev/zero | cat >/dev/null; t2=$(now)
row "gen events/s through a pipe (vs head -c|cat)" "$(eps $((t1 - t0)))" "$(eps $((t2 - t1)))"

t0=$(now); $GEN --chaos on --ooo-prob 0.01 --dup-prob 0.01 >/dev/null 2>&1; t1=$(now)
row "gen events/s, ooo+dup chaos (vs head -c)" "$(eps $((t1 - t0)))" "$ref_null"
