#!/usr/bin/env bash
# throttle when Redis goes away: killed mid-stream and restarted on the same
# port, down at start-up, stopped (slow), in open and closed mode.
. "$(dirname "$0")/../lib.sh"

# Every foreground run is bounded; background runs use $BIN/throttle itself
# (so signals reach it) and are waited for with a limit.
throttle() { timeout -k 5 60 "$BIN/throttle" "$@"; }

alert() {
	printf '{"type":"alert","alert_id":"%s","rule":"data_exfiltration","severity":"critical","key_field":"src_ip","key":"%s","window_start":1,"window_end":2}\n' "$1" "$2"
}
ctl() { printf '{"@ctl":{"type":"barrier","id":%s}}\n' "$1"; }
ids() { grep -o '"alert_id":"[^"]*"\|"id":[0-9]*' "$1" | sed 's/.*://; s/"//g' | tr '\n' ' '; }
lines() { [ -f "$1" ] && wc -l <"$1" | tr -d ' ' || echo 0; }
has_lines() { [ "$(lines "$1")" -ge "$2" ]; }

# redis_on PORT: a redis-server on a given port (to restart it in place).
redis_on() {
	redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$T" >>"$T/redis-$1.log" 2>&1 3>&- &
	RPID=$!
	at_exit "kill -9 $RPID"
	wait_for 30 redis-cli -p "$1" ping
}

# gate NAME ARGS...: throttle in the background reading the FIFO $T/NAME.in
# (held open on fd 3) with stdout/stderr in $T/NAME.out/.err; TPID.
gate() {
	local name=$1; shift
	mkfifo "$T/$name.in"
	"$BIN/throttle" "$@" <"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err" &
	TPID=$!
	at_exit "kill -9 $TPID"
	exec 3>"$T/$name.in"
}
# finish: close the input and wait (bounded) for throttle's exit status.
finish() {
	exec 3>&-
	wait_gone 30 "$TPID" || { kill -9 "$TPID"; echo "throttle did not exit"; }
	wait "$TPID"
}

# --- killed mid-stream and restarted on the same port (open mode) ---------
PORT=$(free_port)
redis_on "$PORT" || { fail throttle_outage_redis "redis did not start"; exit 1; }
export REDIS_URL=redis://127.0.0.1:$PORT
gate kill --timeout 500ms --suppressed "$T/kill.supp"
alert k1 10.0.0.1 >&3
wait_for 30 has_lines "$T/kill.out" 1
kill -9 "$RPID"; wait "$RPID" 2>/dev/null
alert k2 10.0.0.2 >&3           # passes while Redis is away
alert k3 10.0.0.1 >&3           # repeat of k1's key: suppressed locally
alert k4 10.0.0.2 >&3           # repeat of k2's key: suppressed locally
ctl 7 >&3
check throttle_outage_open_passes wait_for 30 has_lines "$T/kill.out" 3
check throttle_outage_warn_logged wait_for 30 grep -q 'WARN throttle: redis unavailable' "$T/kill.err"
redis_on "$PORT"
check throttle_outage_back_logged wait_for 30 grep -q 'INFO throttle: redis is back' "$T/kill.err"
# the restarted (empty) Redis learned the claims made before and during
check_eq throttle_outage_claims_rewritten "k1 k2" \
	"$(echo $(redis-cli -p "$PORT" get alert:throttle:10.0.0.1) $(redis-cli -p "$PORT" get alert:throttle:10.0.0.2))"
alert k5 10.0.0.2 >&3           # suppressed by Redis again
alert k6 10.0.0.3 >&3           # new key: passes
alert k6 10.0.0.3 >&3           # replay: passes
finish
check_eq throttle_outage_exit_0 0 $?
check_eq throttle_outage_output "k1 k2 7 k6 k6 " "$(ids "$T/kill.out")"
check_eq throttle_outage_suppressed "k3 k4 k5 " "$(ids "$T/kill.supp")"
check_eq throttle_outage_one_warn 1 "$(grep -c '^WARN throttle: redis unavailable' "$T/kill.err")"
check_eq throttle_outage_one_info 1 "$(grep -c '^INFO throttle: redis is back' "$T/kill.err")"
check_eq throttle_outage_local_marked 2 "$(grep -c 'alert suppressed.*by=local' "$T/kill.err")"

# --- killed and restarted under a steady stream: nothing lost, no repeat --
PORT=$(free_port)
redis_on "$PORT"
python3 - "$T/stream" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(4000):
        f.write('{"type":"alert","alert_id":"m%d","rule":"r","key_field":"src_ip",'
                '"key":"10.8.%d.%d","window_end":1}\n' % (i, i // 250, i % 250))
PY
python3 -c '
import sys, time
for i, l in enumerate(open(sys.argv[1])):
    sys.stdout.write(l)
    if i % 100 == 99:
        sys.stdout.flush(); time.sleep(0.03)
' "$T/stream" | "$BIN/throttle" --redis-url "redis://127.0.0.1:$PORT" >"$T/stream.out" 2>"$T/stream.err" &
SPID=$!
at_exit "kill -9 $SPID"
wait_for 30 has_lines "$T/stream.out" 500
kill -9 "$RPID"; wait "$RPID" 2>/dev/null
# back once throttle has noticed it gone
wait_for 20 grep -q 'WARN throttle: redis unavailable' "$T/stream.err"
redis_on "$PORT"
wait_gone 60 "$SPID" || kill -9 "$SPID"
wait "$SPID"
check_eq throttle_stream_exit_0 0 $?
check throttle_stream_nothing_lost cmp -s "$T/stream" "$T/stream.out"
check_eq throttle_stream_one_warn_one_info "1 1" \
	"$(grep -c '^WARN throttle: redis unavailable' "$T/stream.err") $(grep -c '^INFO throttle: redis is back' "$T/stream.err")"
sed 's/"alert_id":"m/"alert_id":"n/' "$T/stream" |
	throttle --redis-url "redis://127.0.0.1:$PORT" >"$T/stream2.out" 2>/dev/null
check_eq throttle_stream_all_keys_in_redis_after 0 "$(lines "$T/stream2.out")"
kill -9 "$RPID"; wait "$RPID" 2>/dev/null

# --- down at start-up, open: pass with local dedup, no line per alert -----
DEAD=$(free_port)
{ alert d1 10.1.0.1; alert d2 10.1.0.1; alert d3 10.1.0.2; alert d1 10.1.0.1; } |
	REDIS_URL=redis://127.0.0.1:$DEAD throttle --stats "$T/open.stats" \
	>"$T/open.out" 2>"$T/open.err"
check_eq throttle_down_at_start_exit_0 0 $?
check_eq throttle_down_at_start_local_dedup "d1 d3 d1 " "$(ids "$T/open.out")"
check_eq throttle_down_at_start_one_warn 1 "$(grep -c '^WARN' "$T/open.err")"
check throttle_down_at_start_stats python3 -c '
import json,sys; s=json.load(open(sys.argv[1]))
assert s["local_passed"]==3 and s["local_suppressed"]==1 and s["outages"]==1, s
assert s["redis_up"]==0, s' "$T/open.stats"

# --- closed: held while down (queue limit is an ERROR), released in order -
DOWN=$(free_port)
gate closed --on-redis-down closed --queue-max 3 \
	--redis-url "redis://127.0.0.1:$DOWN" --dead-letter "$T/closed.dlq"
alert c1 10.2.0.1 >&3
ctl 1 >&3
alert c2 10.2.0.2 >&3
alert c3 10.2.0.1 >&3
alert c4 10.2.0.4 >&3
alert c5 10.2.0.5 >&3
check throttle_closed_queue_full_error wait_for 20 grep -q '^ERROR throttle: hold queue full' "$T/closed.err"
# The ERROR says the queue is full of what it read; blocked after it,
# throttle has flushed whatever it would output.
check throttle_closed_waits wait_asleep 20 "$TPID"
check_eq throttle_closed_holds 0 "$(lines "$T/closed.out")"
redis_on "$DOWN"
check throttle_closed_released wait_for 30 has_lines "$T/closed.out" 5
finish
check_eq throttle_closed_exit_0 0 $?
check_eq throttle_closed_order_kept "c1 1 c2 c4 c5 " "$(ids "$T/closed.out")"
check_eq throttle_closed_one_error 1 "$(grep -c '^ERROR' "$T/closed.err")"
check_eq throttle_closed_nothing_dead 0 "$(lines "$T/closed.dlq")"
kill -9 "$RPID"; wait "$RPID" 2>/dev/null

# --- closed: SIGTERM while holding: dead-lettered, never silently lost ----
gate term --on-redis-down closed --redis-url "redis://127.0.0.1:$DEAD" \
	--dead-letter "$T/term.dlq" --stats "$T/term.stats"
alert h1 10.3.0.1 >&3
wait_for 20 grep -q 'holding alerts' "$T/term.err"
check throttle_closed_holds_h1 wait_read 20 "$T/term.stats" 1
kill -TERM "$TPID"
finish
check_eq throttle_closed_sigterm_exit_1 1 $?
check throttle_closed_sigterm_dead_letter grep -q '"reason":"held: redis unavailable at shutdown".*h1' "$T/term.dlq"

# --- slow: a stopped Redis times out, alerts pass, then it resumes --------
PORT=$(free_port)
redis_on "$PORT"
gate slow --timeout 300ms --redis-url "redis://127.0.0.1:$PORT"
alert s1 10.4.0.1 >&3
wait_for 30 has_lines "$T/slow.out" 1
kill -STOP "$RPID"
at_exit "kill -CONT $RPID"
alert s2 10.4.0.2 >&3
check throttle_slow_redis_times_out wait_for 30 has_lines "$T/slow.out" 2
check throttle_slow_warn wait_for 30 grep -q 'WARN throttle: redis unavailable.*no reply within 300 ms' "$T/slow.err"
kill -CONT "$RPID"
check throttle_slow_back wait_for 30 grep -q 'INFO throttle: redis is back' "$T/slow.err"
alert s3 10.4.0.2 >&3
finish
check_eq throttle_slow_output "s1 s2 " "$(ids "$T/slow.out")"
