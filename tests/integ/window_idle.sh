#!/usr/bin/env bash
# --idle-timeout: while the input stays open but quiet, wall-clock time
# advances the watermark and the pending window fires; without it nothing
# comes out before more input or end of input.
. "$(dirname "$0")/../lib.sh"
ev='{"timestamp":1763712000000,"src_ip":"10.0.0.1"}'
args=(--time-unit ms --size 1s --slide 1s --out-of-orderness 0)

( echo "$ev"; sleep 4 ) | window "${args[@]}" --idle-timeout 300ms >"$T/idle" 2>/dev/null &
pid=$!
at_exit "kill $pid"
if wait_for 3 grep -q '"window_end":1763712001000' "$T/idle"; then
	pass window_idle_timeout_fires_while_input_open
	check window_idle_input_still_open kill -0 "$pid"
else
	fail window_idle_timeout_fires_while_input_open "no record within 3 s"
fi

( echo "$ev"; sleep 2 ) | window "${args[@]}" >"$T/noidle" 2>/dev/null &
pid2=$!
at_exit "kill $pid2"
sleep 1.2
check_eq window_no_idle_timeout_holds_window "" "$(cat "$T/noidle")"
wait "$pid2"
check window_no_idle_timeout_fires_at_eof grep -q '"window_end":1763712001000' "$T/noidle"
wait "$pid" 2>/dev/null
check_eq window_idle_fires_once 1 "$(grep -c window_end "$T/idle")"
