#!/usr/bin/env bash
# kcat-src -e vs Debian's kcat -C -e -q: the same 200,000 messages of about
# 430 bytes from the same kafka-devbroker topic, written to /dev/null.
# 32 partitions keep each one (~2.7 MB) under the dev broker's 5 MiB.
# Best of three alternating rounds each, to ride out a busy machine.
set -u
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BIN:=$ROOT/bin}"
: "${SAMPLES:=$ROOT/tests/data}"
export PATH=$BIN:$PATH
N=${KSRC_BENCH_MESSAGES:-200000}
W=$(mktemp -d /tmp/nwbench-kcat.XXXXXX)
DB=
cleanup() { [ -n "$DB" ] && kill "$DB" 2>/dev/null && wait "$DB" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

kafka-devbroker --topic bench:32 --bootstrap-file "$W/bs" >/dev/null 2>"$W/db.log" &
DB=$!
for _ in $(seq 100); do [ -s "$W/bs" ] && break; sleep 0.1; done
BS=$(cat "$W/bs") || { echo "bench kcat-src: no dev broker"; exit 1; }

src=$SAMPLES/upstream-events.ndjson
reps=$(( (N + $(wc -l <"$src") - 1) / $(wc -l <"$src") ))
for _ in $(seq "$reps"); do cat "$src"; done | head -n "$N" >"$W/in"
# Per-message random partitions (no sticky batches): an even spread.
kcat-src -P -b "$BS" -t bench -X sticky.partitioning.linger.ms=0 <"$W/in" 2>"$W/p.log" ||
	{ echo "bench kcat-src: produce failed"; exit 1; }

ms() { date +%s%3N; }
best_ours=999999999 best_ref=999999999
for _ in 1 2 3; do
	t0=$(ms); kcat-src -b "$BS" -t bench -e >/dev/null 2>"$W/c.log"; t1=$(ms)
	[ $((t1 - t0)) -lt $best_ours ] && best_ours=$((t1 - t0))
	t0=$(ms); kcat -C -b "$BS" -t bench -e -q >/dev/null 2>&1; t1=$(ms)
	[ $((t1 - t0)) -lt $best_ref ] && best_ref=$((t1 - t0))
done
# Both really read all of them (untimed).
got_ours=$(kcat-src -b "$BS" -t bench -e 2>/dev/null | wc -l)
got_ref=$(kcat -C -b "$BS" -t bench -e -q 2>/dev/null | wc -l)
if [ "$got_ours" != "$N" ] || [ "$got_ref" != "$N" ]; then
	echo "bench kcat-src: read $got_ours (kcat-src) and $got_ref (kcat) of $N"
	exit 1
fi
rate_ours=$(( N * 1000 / (best_ours > 0 ? best_ours : 1) ))
rate_ref=$(( N * 1000 / (best_ref > 0 ? best_ref : 1) ))
printf '%-44s %16s %16s %8s\n' "kcat-src -e vs kcat -C -e -q (msg/s, 430 B)" \
	"$rate_ours" "$rate_ref" \
	"$(awk -v a="$rate_ours" -v b="$rate_ref" 'BEGIN { printf "%.2fx", a / b }')"
