# supervise with the real stages: gen | window | detect | notify --stdout.
# SIGKILL each stage in turn; alerts keep coming; a stage downstream of the
# dead one reopens its FIFO instead of restarting (its window state
# survives), a stage upstream of it exits on EPIPE and is restarted; status
# reads the stats files the stages write through NW_STATS_FILE.
. "$(dirname "$0")/../lib.sh"
SUP=$ROOT/scripts/supervise

state_get() { sed -n "s/^$1=//p" "$R/state" 2>/dev/null; }
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
more_lines() { [ "$(lines "$1")" -ge "$2" ]; }
stopped() { ! kill -0 "$1" 2>/dev/null; }
leftovers() { pgrep -f -- "$T/" | grep -vx "$$" || true; }

# Small windows and a rule that fires on every record (the seed's alerts,
# one per matching window): a steady flow of
# alerts, a few per second.
R=$T/run
"$SUP" -d "$R" --backoff-min 1.5 -o "$T/out" -- \
	gen --eps 2000 --chaos off -- \
	window --size 2s --slide 1s --out-of-orderness 0s --idle-timeout 1s -- \
	detect --seed-alerts --rule 'busy: count > 0' -- \
	notify --stdout --spool "$T/spool" 2>"$T/sup.err" &
SP=$!
at_exit "kill -KILL $SP"
wait_for 30 more_lines "$T/out" 20 || fail supervise_stages_start "no alerts in 30 s"

for n in 1 2 3 4; do
	old=$(state_get "stage_${n}_pid")
	kill -KILL "$old"
	new_pid() { p=$(state_get "stage_${n}_pid"); [ -n "$p" ] && [ "$p" != - ] && [ "$p" != "$old" ]; }
	if ! wait_for 30 new_pid; then
		fail supervise_stages_restart_$n "no new pid"; continue
	fi
	l=$(lines "$T/out")
	if wait_for 30 more_lines "$T/out" $((l + 20)); then
		pass supervise_stages_restart_$n
	else
		fail supervise_stages_restart_$n "no alerts after the restart"
	fi
	case $n in
	1) # window and everything after it reopened: not one restart
		check_eq supervise_stages_downstream_reopens "0 0 0" \
			"$(state_get stage_2_restarts) $(state_get stage_3_restarts) $(state_get stage_4_restarts)"
		check supervise_stages_reopen_logged grep -q 'waiting for a new one' "$R/2-window.log" ;;
	3) # detect died: window upstream of it wrote (a record a second)
	   # into the FIFO without a reader during the 1.5 s backoff: EPIPE,
	   # exit 3, restarted
		check supervise_stages_upstream_epipe_restart \
			grep -q 'stage=2-window status=3' "$T/sup.err" ;;
	esac
done
check supervise_stages_output_is_alerts bash -c \
	"tail -n 50 '$T/out' | python3 -c 'import sys, json; [json.loads(l)[\"alert_id\"] for l in sys.stdin]'"

# status: one row per stage, from the state and the stats files.
"$ROOT/scripts/status" "$R" >"$T/status.out" 2>&1
check_eq supervise_stages_status_rows 4 "$(grep -cE '^[1-4]-(gen|window|detect|notify) +[0-9]+ +running' "$T/status.out")"
check supervise_stages_status_restarts bash -c \
	"grep -E '^1-gen' '$T/status.out' | awk '{exit !(\$5 >= 1)}'"

# The ordered stop: every stage ends with 0, nothing left.
kill -TERM "$SP"
if wait_for 30 stopped "$SP"; then
	wait "$SP"; check_eq supervise_stages_stop_status 0 $?
else
	fail supervise_stages_stop_status "still running after 30 s"
fi
check_eq supervise_stages_stop_all_zero 4 "$(grep -c 'stopped stage=.* status=0' "$T/sup.err")"
# Every stage wrote its stats file (at the latest when it exited) through
# NW_STATS_FILE, without a --stats flag.
for s in 1-gen 2-window 3-detect 4-notify; do
	check supervise_stages_stats_$s python3 -c "import json; json.load(open('$R/$s.stats'))"
done
check_eq supervise_stages_stop_leaves_nothing "" "$(leftovers)"
check_eq supervise_stages_stop_no_fifo "" "$(find "$R" -type p)"
