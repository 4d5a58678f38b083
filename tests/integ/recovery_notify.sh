#!/usr/bin/env bash
# recovery_notify: notify marks a barrier complete once the alerts before
# it are spooled (even while the webhook fails), never moves the marker
# back, and does not post a replayed alert again after a kill -9.
# See docs/recovery.md.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/tools/webhook.sh"

command -v notify >/dev/null || { fail recovery_notify_prerequisites "notify not built"; exit 1; }
C=$T/ckpt; mkdir -p "$C"
mkalerts 3 >"$T/alerts"
barrier() { echo "{\"@ctl\":{\"type\":\"barrier\",\"id\":$1,\"offsets\":[]}}"; }
completed() { cat "$C/completed" 2>/dev/null; }

start_webhook 500
export WEBHOOK_URL=$WH_BASE/hook
mkfifo "$T/in"
# --barrier-file names each barrier as notify handles it, even one that
# cannot move the completed marker: the proof that barrier 3 was read.
NW_CHECKPOINT_DIR=$C notify --format generic --spool "$T/spool" --retry-min 100ms \
	--retry-max 300ms --barrier-file "$T/handled" <"$T/in" >"$T/out" 2>"$T/err" &
N=$!
at_exit "kill -9 $N"
exec 3>"$T/in"
{ head -n 2 "$T/alerts"; barrier 5; } >&3
wait_until 20 '[ "$(completed)" = 5 ]'
check_eq completed_while_webhook_fails 5 "$(completed)"
check nothing_delivered_yet test "$(wh_ids | wc -l)" -eq 0
barrier 3 >&3
check barrier_3_handled wait_until 20 '[ "$(cat "$T/handled" 2>/dev/null)" = 3 ]'
check_eq never_backwards 5 "$(completed)"

wh_steps 200
wait_until 20 '[ "$(wh_ids | sort -u | wc -l)" -eq 2 ]'
check_eq delivered_after_recovery 2 "$(wh_ids | sort -u | wc -l)"
kill -9 "$N"; wait "$N" 2>/dev/null
exec 3>&-

# The chain replays from barrier 5: the same two alerts come again, then a
# new one.  Only the new one is posted.
{ tail -n 2 "$T/alerts"; barrier 8; } |
	NW_CHECKPOINT_DIR=$C notify --format generic --spool "$T/spool" \
		--drain-timeout 5s >"$T/out2" 2>"$T/err2"
check_eq replay_completes_its_barrier 8 "$(completed)"
check_eq each_alert_posted_once "3 0" \
	"$(wh_ids | sort -u | wc -l) $(wh_ids | sort | uniq -d | wc -l)"
check replay_recorded_duplicate grep -q '"status":"duplicate"' "$T/out2"

# --stdout mode marks barriers too (after its output is flushed).
rm -f "$C/completed"
{ head -n 1 "$T/alerts"; barrier 11; } | notify --stdout --checkpoint-dir "$C" >/dev/null 2>&1
check_eq stdout_mode_completes 11 "$(completed)"
