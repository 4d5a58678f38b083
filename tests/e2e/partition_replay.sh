#!/usr/bin/env bash
# A backlog replayed through a 4-partition topic read with -G: events keyed
# by src_ip are produced to the dev broker, then read back from the
# beginning by `kcat-src -G g -o beginning -e | window --key src_ip --key
# dst_ip`.  A fetch returns runs of one partition, so the replay reads the
# partitions unevenly; with kcat-src's partition lines window counts 0 late
# events and its records equal the plain pipeline's, defined as window over
# the same events from the file in the order they were produced.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/integ/kcat-src.lib"

SEED=${SEED:-$RANDOM}
echo "seed=$SEED (rerun: SEED=$SEED tests/run e2e/partition_replay)"
python3 "$ROOT/tests/tools/partition_events.py" "$SEED" "$T" 20000
W=(--key src_ip --key dst_ip)
GX=(-X session.timeout.ms=3000 -X heartbeat.interval.ms=300)

start_devbroker --brokers 3 --topic ev:4
kcat-src -P -b "$BS" -t ev --key-field src_ip <"$T/even.ndjson" 2>"$T/p.log"
check_eq produced_exit_0 0 "$?"

window "${W[@]}" --stats "$T/plain.stats" <"$T/even.ndjson" >"$T/plain.out" 2>/dev/null
check_eq plain_no_late 0 "$(jq -r .late "$T/plain.stats")"

timeout 120 kcat-src -b "$BS" -t ev -G g "${GX[@]}" -o beginning -e 2>"$T/k.log" |
	tee "$T/k.out" |
	window "${W[@]}" --stats "$T/rep.stats" --late "$T/rep.late" >"$T/rep.out" 2>"$T/w.log"
check_eq replay_exit_0 "0 0 0" "${PIPESTATUS[*]}"
check_eq replay_every_event "$(wc -l <"$T/even.ndjson")" "$(nlines "$T/k.out")"
check_eq replay_assign_line 1 "$(grep -c '^{"@ctl":{"type":"assign"' "$T/k.out")"
runs=$(grep -c '^{"@ctl":{"type":"partition"' "$T/k.out")
check replay_one_line_per_run test "$runs" -ge 4 -a "$runs" -lt 2000
check_eq replay_no_late 0 "$(jq -r .late "$T/rep.stats")"
check replay_late_file_empty test ! -s "$T/rep.late"
check replay_equals_plain cmp "$T/plain.out" <(data_lines "$T/rep.out")

# What the same replay order gives without the lines (for the record: how
# uneven the broker's runs were decides how many are late).
data_lines "$T/k.out" | window "${W[@]}" --stats "$T/nomark.stats" >/dev/null 2>&1
echo "partition runs=$runs late without partition lines=$(jq -r .late "$T/nomark.stats")"
