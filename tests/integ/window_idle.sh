#!/usr/bin/env bash
# --idle-timeout: while the input stays open but quiet, wall-clock time
# advances the watermark and the pending window fires; without it nothing
# comes out before more input or end of input.
. "$(dirname "$0")/../lib.sh"
ev='{"timestamp":1763712000000,"src_ip":"10.0.0.1"}'
args=(--time-unit ms --size 1s --slide 1s --out-of-orderness 0)

# Each input is a FIFO held open by the test, so "input still open" is the
# test's choice, not a sleep's length.
mkfifo "$T/in1" "$T/in2"
window "${args[@]}" --idle-timeout 300ms <"$T/in1" >"$T/idle" 2>/dev/null &
pid=$!
at_exit "kill $pid"
exec 3>"$T/in1"
echo "$ev" >&3
if wait_for 20 grep -q '"window_end":1763712001000' "$T/idle"; then
	pass window_idle_timeout_fires_while_input_open
	check window_idle_input_still_open kill -0 "$pid"
else
	fail window_idle_timeout_fires_while_input_open "no record within 20 s"
fi

window "${args[@]}" --stats "$T/stats2" <"$T/in2" >"$T/noidle" 2>/dev/null &
pid2=$!
at_exit "kill $pid2"
exec 4>"$T/in2"
echo "$ev" >&4
# window has read the event (its stats count it) and then gone round its
# loop for a second more by its own clock (a later stats write), more than
# three times the idle timeout that fired above: still nothing came out.
check window_no_idle_timeout_read_event wait_read 20 "$T/stats2" 1
up=$(stat_get "$T/stats2" uptime_ms)
check window_no_idle_timeout_quiet_second \
	wait_until 20 '[ "$(stat_get "$T/stats2" uptime_ms)" -ge $((up + 1000)) ]'
check_eq window_no_idle_timeout_holds_window "" "$(cat "$T/noidle")"
exec 4>&-
wait "$pid2"
check window_no_idle_timeout_fires_at_eof grep -q '"window_end":1763712001000' "$T/noidle"
exec 3>&-
wait "$pid" 2>/dev/null
check_eq window_idle_fires_once 1 "$(grep -c window_end "$T/idle")"
