#!/usr/bin/env bash
# recovery_throttle: in closed mode, while Redis is away, a barrier waits
# behind the alerts before it (so notify cannot complete it early); when
# Redis is back everything comes out in input order; a replayed alert (same
# alert_id) passes again.  See docs/recovery.md.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/tools/webhook.sh"     # mkalerts

command -v throttle >/dev/null || { fail recovery_throttle_prerequisites "throttle not built"; exit 1; }
mkalerts 2 >"$T/alerts"
barrier='{"@ctl":{"type":"barrier","id":4,"offsets":[]}}'
port=$(free_port)
mkfifo "$T/in"
throttle --redis-url "redis://127.0.0.1:$port" --on-redis-down closed \
	--stats "$T/stats" <"$T/in" >"$T/out" 2>"$T/err" &
P=$!
at_exit "kill -9 $P"
exec 3>"$T/in"
{ head -n 1 "$T/alerts"; echo "$barrier"; tail -n 1 "$T/alerts"; } >&3
# Held, not merely unread: throttle has taken all three lines in.
check held_lines_read wait_read 20 "$T/stats" 3
check_eq barrier_held_behind_alert "" "$(cat "$T/out")"

redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$T" >"$T/redis.log" 2>&1 3>&- &
at_exit "kill $!"
wait_lines 20 "$T/out" 3
check_eq input_order_kept \
	"$(head -n 1 "$T/alerts"; echo "$barrier"; tail -n 1 "$T/alerts")" "$(cat "$T/out")"

# A replay after a crash: the same alert again passes (its own claim).
head -n 1 "$T/alerts" >&3
wait_lines 20 "$T/out" 4
check_eq replayed_alert_passes "$(head -n 1 "$T/alerts")" "$(sed -n 4p "$T/out")"
exec 3>&-
( sleep 30; kill -9 "$P" ) 2>/dev/null &   # a hang fails, never blocks
guard=$!
wait "$P"
check_eq exits_at_end_of_input 0 "$?"
kill "$guard" 2>/dev/null
