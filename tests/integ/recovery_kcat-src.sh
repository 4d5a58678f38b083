#!/usr/bin/env bash
# recovery_kcat-src: kcat-src's part of the checkpoints against the dev
# broker: the restore line first, barriers with their offsets after the
# messages they cover (own snapshot first), ids that grow across restarts,
# a restart seeking to the completed barrier's offsets, pruning, and with -G
# commits of completed barriers only.  See docs/recovery.md.
. "$(dirname "$0")/../lib.sh"

for p in kafka-devbroker kcat-src; do
	command -v "$p" >/dev/null || { fail recovery_kcat_prerequisites "$p not built"; exit 1; }
done
kafka-devbroker --topic t:1 --topic g:1 --bootstrap-file "$T/boot" >/dev/null 2>"$T/broker.log" &
at_exit "kill $!"
wait_for 20 test -s "$T/boot" || { fail recovery_kcat_broker "no bootstrap address"; exit 1; }
B=$(cat "$T/boot")
C=$T/ckpt; mkdir -p "$C"

produce() {   # TOPIC FIRST LAST: messages {"n":FIRST} … {"n":LAST}
	seq "$2" "$3" | sed 's/.*/{"n":&}/' | kcat-src -P -b "$B" -t "$1" 2>/dev/null
}
# run_src 'CONDITION' ARGS...: kcat-src with checkpoints in $C, killed -9
# once CONDITION (shell code, polled) holds
run_src() {
	local cond=$1; shift
	kcat-src -b "$B" --checkpoint-dir "$C" --checkpoint-interval 200ms "$@" \
		>"$T/out" 2>"$T/err" &
	local p=$!
	wait_until 30 "$cond" || echo "run_src: still not [$cond] after 30 s"
	kill -9 "$p"; wait "$p" 2>/dev/null
}
nbarriers() { ctl_ids | wc -l; }
# acted_on ID: kcat-src (at debug level) has followed the completed marker to ID
acted_on() { grep -q "barrier completed id=$1\$" "$T/err"; }
ctl_ids() { sed -n 's/^{"@ctl":{"type":"barrier","id":\([0-9]*\),.*/\1/p' "$T/out"; }
id_at() {   # the first barrier whose offsets say next=$1
	grep -m1 "\"next\":$1}" "$T/out" | sed 's/.*"id":\([0-9]*\),.*/\1/'
}

produce t 1 50
run_src '[ "$(nbarriers)" -ge 3 ] && grep -q "\"next\":50}" "$T/out"' -t t
check_eq first_line_is_restore_0 '{"@ctl":{"type":"restore","id":0}}' "$(head -n 1 "$T/out")"
check_eq all_messages "50" "$(grep -c '^{"n"' "$T/out")"
first=$(ctl_ids | head -n 1)
last=$(ctl_ids | tail -n 1)
check_eq barrier_ids_start_at_1 1 "$first"
check barriers_every_interval test "$(ctl_ids | wc -l)" -ge 3
check barrier_after_messages_it_covers grep -q \
	'^{"@ctl":{"type":"barrier","id":[0-9]*,"offsets":\[{"topic":"t","partition":0,"next":50}\]}}$' "$T/out"
check_eq snapshot_per_barrier "$(ctl_ids | wc -l)" "$(ls "$C" | grep -c '^kcat-src\.[0-9]*\.snap$')"
check_eq snapshot_holds_offsets '{"offsets":[{"topic":"t","partition":0,"next":50}]}' \
	"$(sed -n 2p "$C/kcat-src.$last.snap")"

# A barrier after message 50 completed: a restart restores it, seeks to
# its offsets and continues the ids above every id seen.
done_id=$(id_at 50)
echo "$done_id" >"$C/completed"
produce t 51 60
run_src '[ "$(nbarriers)" -ge 3 ] && grep -q "\"next\":60}" "$T/out"' -t t
check_eq restart_writes_its_restore_line "{\"@ctl\":{\"type\":\"restore\",\"id\":$done_id}}" "$(head -n 1 "$T/out")"
check_eq restart_reads_from_offset_50 '{"n":51}' "$(grep -v '"type":"\(assign\|partition\)"' "$T/out" | sed -n 2p)"
check_eq restart_reads_only_the_rest 10 "$(grep -c '^{"n"' "$T/out")"
check_eq ids_continue_above_the_highest $((last + 1)) "$(ctl_ids | head -n 1)"
check restore_logged grep -q 'restoring topic=t partition=0 offset=50' "$T/err"

# Completed barriers of its own let it prune: one completed set is kept
# below the newest, nothing newer is touched.
mark=$(ctl_ids | sed -n 3p)
echo "$mark" >"$C/completed"
NW_LOG_LEVEL=debug kcat-src -b "$B" -t t --checkpoint-dir "$C" \
	--checkpoint-interval 200ms >"$T/out" 2>"$T/err" &
p=$!
wait_for 30 grep -q '"type":"barrier"' "$T/out"
newer=$(ctl_ids | head -n 1)
echo "$newer" >"$C/completed"
wait_for 30 acted_on "$newer"
wait_until 30 '[ "$(nbarriers)" -ge 3 ]'        # barrier newer + 2 exists
echo $((newer + 2)) >"$C/completed"
check prune_marker_followed wait_for 30 acted_on $((newer + 2))
kill -9 "$p"; wait "$p" 2>/dev/null
oldest=$(ls "$C" | sed -n 's/^kcat-src\.\([0-9]*\)\.snap$/\1/p' | sort -n | head -n 1)
check_eq pruned_below_the_previous_completed "$newer" "$oldest"

# A damaged snapshot of the completed barrier: the previous one is used.
rm -f "$C"/*
produce t 61 61
run_src '[ "$(nbarriers)" -ge 3 ]' -t t
ids=($(ctl_ids))
echo "${ids[2]}" >"$C/completed"
printf 'X' | dd of="$C/kcat-src.${ids[2]}.snap" bs=1 seek=40 conv=notrunc 2>/dev/null
run_src 'grep -q "\"type\":\"barrier\"" "$T/out"' -t t
check_eq damaged_falls_back "{\"@ctl\":{\"type\":\"restore\",\"id\":${ids[1]}}}" "$(head -n 1 "$T/out")"
check damaged_warns grep -q "WARN kcat-src: checkpoint .*kcat-src.${ids[2]}.snap is corrupt" "$T/err"

# -G: only offsets of completed barriers are committed.
rm -rf "$C"; mkdir -p "$C"
produce g 1 30
# The dev broker lets a new member in only once the old one's session has
# expired: keep sessions short.
G=(-G grp -X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
grp() {   # run a checkpointed group member until its barrier says next=30
	NW_LOG_LEVEL=debug kcat-src -b "$B" -t g "${G[@]}" --checkpoint-dir "$C" \
		--checkpoint-interval 200ms --commit-interval 200ms >"$T/out" 2>"$T/err" &
	p=$!
	wait_for 30 grep -q '"next":30' "$T/out"
}
grp
kill -TERM "$p"; wait "$p"
check_eq group_stops_cleanly 0 "$?"
# Nothing completed: nothing committed, the next member reads all again.
grp
check_eq group_uncompleted_replays_all 30 "$(grep -c '^{"n"' "$T/out")"
id=$(id_at 30); echo "$id" >"$C/completed"
check group_marker_followed wait_for 30 acted_on "$id"      # SIGTERM commits it
kill -TERM "$p"; wait "$p"
# Completed: committed.  Even without the checkpoint dir the group resumes
# after the completed barrier.
produce g 31 40
kcat-src -b "$B" -t g "${G[@]}" -e >"$T/out" 2>"$T/err"
check_eq group_resumes_after_completed '{"n":31}' "$(grep -v '"type":"\(assign\|partition\)"' "$T/out" | head -n 1)"
check_eq group_reads_only_the_rest 10 "$(grep -c '^{"n"' "$T/out")"
