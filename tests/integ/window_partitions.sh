#!/usr/bin/env bash
# Per-partition watermarks: a replay that reads one partition's whole backlog
# before the next one's (kcat-src's assign and partition lines in front)
# makes no event late, and window's records equal the plain pipeline's, which
# is window over the same events in the order they were produced, with no
# control lines (window's own partition lines for detect aside).  The same uneven order without the lines has late events,
# so the comparison can fail.  Also: a revoke line lets windows fire, an
# unreadable partition line is passed on, snapshots carry the partitions.
. "$(dirname "$0")/../lib.sh"

SEED=${SEED:-$RANDOM}
echo "seed=$SEED (rerun: SEED=$SEED tests/run integ/window_partitions)"
python3 "$ROOT/tests/tools/partition_events.py" "$SEED" "$T"
W=(--key src_ip --key dst_ip)
late_of() { jq -r .late "$1"; }

window "${W[@]}" --stats "$T/plain.stats" --late "$T/plain.late" \
	<"$T/even.ndjson" >"$T/plain.out" 2>/dev/null
check_eq plain_no_late 0 "$(late_of "$T/plain.stats")"
check plain_has_records test "$(wc -l <"$T/plain.out")" -gt 1000

for v in uneven chunked; do
	window "${W[@]}" --stats "$T/$v.stats" --late "$T/$v.late" \
		<"$T/$v.ndjson" >"$T/$v.out" 2>"$T/$v.err"
	check_eq "${v}_exit_0" 0 "$?"
	check_eq "${v}_no_late" 0 "$(late_of "$T/$v.stats")"
	check "${v}_late_file_empty" test ! -s "$T/$v.late"
	check "${v}_equals_plain" cmp "$T/plain.out" <(grep -v '"@ctl"' "$T/$v.out")
	# kcat-src's lines end in window; window's own partition lines for
	# detect come one per change, each before a record
	check_eq "${v}_lines_consumed" 0 "$(grep -c '"type":"\(assign\|revoke\)"' "$T/$v.out")"
	check "${v}_partitions_announced" test "$(grep -c '"type":"partition"' "$T/$v.out")" -gt 1
	check "${v}_announced_once_per_change" awk '
		/"@ctl"/ { if (ctl || $0 == last) exit 1; ctl = 1; last = $0; next }
		{ ctl = 0 } END { exit ctl }' "$T/$v.out"
done

# Without the lines, the same uneven order makes the later partitions late.
window "${W[@]}" --stats "$T/nomark.stats" <"$T/uneven-plain.ndjson" \
	>"$T/nomark.out" 2>/dev/null
check without_lines_late test "$(late_of "$T/nomark.stats")" -gt 1000
check without_lines_differs test "$(md5sum <"$T/nomark.out")" != "$(md5sum <"$T/plain.out")"

# ---- revoke: a partition that leaves stops holding the watermark ---------
ev() { printf '{"timestamp":%s,"src_ip":"%s"}\n' "$1" "$2"; }
WW=(--time-unit ms --size 1s --slide 1s --out-of-orderness 0)
mkfifo "$T/close"
{
	echo '{"@ctl":{"type":"assign","partitions":[{"topic":"t","partition":0},{"topic":"t","partition":1}]}}'
	echo '{"@ctl":{"type":"partition","topic":"t","partition":0}}'
	ev 1763712000000 a; ev 1763712005000 a
	echo '{"@ctl":{"type":"partition","topic":"t","partition":1}}'
	ev 1763712000500 b
	echo '{"@ctl":{"type":"revoke","partitions":[{"topic":"t","partition":1}]}}'
	echo '{"@ctl":{"type":"other"}}'
	read -r _ <"$T/close" || true     # the input stays open until the checks
} | window "${WW[@]}" >"$T/rv.out" 2>/dev/null &
rv=$!; at_exit "kill $rv"
close_input() { exec 9<>"$T/close"; exec 9>&-; }   # never blocks
at_exit close_input
# p1 (at 500 ms) held the watermark; once it leaves, p0's 5000 ms fires
# the window ending at 1000 ms while the input is still open
if wait_for 3 grep -q '"key":"a".*"window_end":1763712001000' "$T/rv.out"; then
	pass revoke_fires_at_once
	check revoke_input_still_open kill -0 $rv
else
	fail revoke_fires_at_once "$(cat "$T/rv.out")"
fi
close_input
wait $rv
check_eq revoke_other_ctl_passed_on 1 "$(grep -c '"type":"other"' "$T/rv.out")"
check_eq revoke_partition_lines_consumed 0 "$(grep -c '"type":"\(assign\|revoke\)"' "$T/rv.out")"
# each record after the partition line of its key's events: a in 0, b in 1
check_eq revoke_records_announced "a 0,a 0,b 1," "$(awk '
	/"type":"partition"/ { match($0, /"partition":[0-9]+/); p = substr($0, RSTART + 12, RLENGTH - 12) }
	/"type":"window"/ { match($0, /"key":"[a-z]"/); printf "%s %s,", substr($0, RSTART + 7, 1), p }' \
	"$T/rv.out" | tr , '\n' | sort | tr '\n' ,)"

# An unreadable partition line is passed on (with one warning), not acted on.
printf '%s\n' '{"@ctl":{"type":"partition","topic":7}}' "$(ev 1763712000000 a)" |
	window "${WW[@]}" >"$T/bad.out" 2>"$T/bad.err"
check_eq bad_partition_line_passed_on 1 "$(grep -c '"type":"partition"' "$T/bad.out")"
check bad_partition_line_warned grep -q 'unreadable partition control line' "$T/bad.err"

# ---- snapshots carry the partitions --------------------------------------
# Barrier after p0's backlog and part of p1's; a restart restores it and
# reads the rest: still no late event, and the output of both runs is the
# plain pipeline's.
C=$T/ckpt; mkdir -p "$C"
n=$(grep -n '"type":"partition"' "$T/uneven.ndjson" | sed -n 2p | cut -d: -f1)
cut_at=$((n + 300))
mkfifo "$T/fifo"
window "${W[@]}" --checkpoint-dir "$C" <"$T/fifo" >"$T/r1.out" 2>/dev/null &
w1=$!; at_exit "kill -9 $w1"
exec 3>"$T/fifo"
{ echo '{"@ctl":{"type":"restore","id":0}}'; head -n "$cut_at" "$T/uneven.ndjson"
  echo '{"@ctl":{"type":"barrier","id":1}}'; } >&3
# killed once the barrier is out, as a crash would (no end-of-input flush)
wait_for 20 grep -q '"type":"barrier"' "$T/r1.out"
check snapshot_written test -s "$C/window.1.snap"
kill -9 $w1; wait $w1 2>/dev/null; exec 3>&-
# the restarted reader announces its partitions again, then the rest
{ echo '{"@ctl":{"type":"restore","id":1}}'; head -n 1 "$T/uneven.ndjson"
  sed -n "${n}p" "$T/uneven.ndjson"; tail -n +$((cut_at + 1)) "$T/uneven.ndjson"; } |
	window "${W[@]}" --checkpoint-dir "$C" --stats "$T/r2.stats" >"$T/r2.out" 2>/dev/null
check_eq restored_no_late 0 "$(late_of "$T/r2.stats")"
check restored_equals_plain cmp "$T/plain.out" <(cat "$T/r1.out" "$T/r2.out" | grep -v '"@ctl"')
