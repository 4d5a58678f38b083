#!/usr/bin/env bash
# partition_kill: the kill test in the configuration users run
# (docs/recovery.md): a 4-partition topic fed live, keyed by src_ip, read
# by `kcat-src -G g -o beginning | window --key src_ip --key dst_ip |
# detect | throttle --on-redis-down closed | notify --format generic` under
# scripts/supervise with checkpoints (its defaults: rewind in place),
# while a random stage gets SIGKILL every 2-6 s (at least KILLS, spread
# over all five), Redis is restarted once and the webhook answers 500 and
# 429 for a while.  The receiver must hold exactly the alert_ids of an
# undisturbed plain pipeline over the same events, none twice; and the
# chain must have gone on completing barriers through the kills.
. "$(dirname "$0")/../lib.sh"

KILLS=${KILLS:-20}
SEED=${SEED:-$RANDOM}
echo "seed=$SEED kills>=$KILLS dir=$T (rerun: SEED=$SEED tests/run e2e/partition_kill)"
RANDOM=$SEED

. "$ROOT/tests/e2e/chaos.lib"

chaos_events 4
WINDOW_FLAGS=(--key src_ip --key dst_ip)
chaos_redis
chaos_plain "${WINDOW_FLAGS[@]}"
chaos_broker nw:4
start_webhook 200

export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export WEBHOOK_URL="$WH_BASE/hook"
# A short session timeout: a kill of kcat-src itself still costs the dead
# member's session (the dev broker has no static membership).
chaos_supervise --backoff-min 0.2s --backoff-max 1s --crash-loop 1000/60s -- \
	kcat-src -b "$BOOT" -t nw -G g -o beginning \
		-X session.timeout.ms=3000 -X heartbeat.interval.ms=300 -- \
	window "${WINDOW_FLAGS[@]}" -- \
	detect -- \
	throttle --on-redis-down closed -- \
	notify --format generic --spool "$RUN/spool" --rate 100/s \
		--retry-min 200ms --retry-max 1s

# Fed live: the events in 90 slices, one a second, keyed by src_ip.
chaos_produce 90 --key-field src_ip

chaos_disturb() { chaos_disturb_common "$1" "$KILLS"; }
done_before=$(cat "$RUN/ckpt/completed" 2>/dev/null || echo 0)
chaos_kill "$KILLS" 2000 4000
wh_steps 200
# Barriers completed while the kills went on: a restart does not always
# replay from the beginning.
done_after=$(cat "$RUN/ckpt/completed" 2>/dev/null || echo 0)
echo "barriers completed during the kills: $done_before -> $done_after rewinds=$(sed -n 's/^stage_1_rewinds=//p' "$RUN/state")"
check partition_kill_barriers_complete test "$done_after" -gt "$done_before"
check partition_kill_rewound test "$(sed -n 's/^stage_1_rewinds=//p' "$RUN/state")" -gt 0
wait "$PRODUCER_PID"
chaos_verdict partition_kill "$KILLS"
