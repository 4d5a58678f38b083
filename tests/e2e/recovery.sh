#!/usr/bin/env bash
# recovery: the whole chain under the supervisor with checkpoints, fed from
# the dev broker, posting to a local webhook receiver, while a killer sends
# SIGKILL to a random stage every few seconds (at least KILLS, spread over all
# five stages), Redis is restarted once, the broker goes down for a few
# seconds and the webhook answers 500 and 429 for a while.  At the end the
# receiver must hold exactly the alert_ids of an undisturbed run of the same
# input, none of them twice.  See docs/recovery.md.
. "$(dirname "$0")/../lib.sh"

KILLS=${KILLS:-20}
PERIOD_MS=${PERIOD_MS:-2500}       # mean time between kills
SEED=${SEED:-$RANDOM}
# CHECKPOINTS=off runs the same chain without them (it should fail).
echo "seed=$SEED kills>=$KILLS dir=$T (rerun: SEED=$SEED tests/run e2e/recovery)"
RANDOM=$SEED

. "$ROOT/tests/e2e/chaos.lib"

# Input small enough for the dev broker's 5 MiB per partition, with many
# attack sources, since throttle lets through one alert per source.
chaos_events 1
WINDOW_FLAGS=(--key src_ip --key dst_ip)
chaos_redis          # append-only, so a restart keeps the claims
chaos_plain "${WINDOW_FLAGS[@]}"
chaos_broker nw:1
start_webhook 200

export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export WEBHOOK_URL="$WH_BASE/hook"
chaos_supervise --backoff-min 0.2s --backoff-max 1s \
	--checkpoints "${CHECKPOINTS:-on}" \
	--crash-loop 1000/60s -- \
	kcat-src -b "$BOOT" -t nw -o beginning --checkpoint-interval 1s -- \
	window "${WINDOW_FLAGS[@]}" -- \
	detect -- \
	throttle --on-redis-down closed -- \
	notify --format generic --spool "$RUN/spool" --rate 100/s \
		--retry-min 200ms --retry-max 1s

# The input in 40 slices over about 40 s, so kills land while data flows.
chaos_produce 40

# The disturbances at fixed points of the deck.
chaos_disturb() {
	chaos_disturb_common "$1" "$KILLS"
	if [ "$1" = $((3 * KILLS / 4)) ]; then
		echo "disturb: broker down 3s"; kill -USR1 "$BROKER_PID"
		(sleep 3; kill -USR2 "$BROKER_PID") &
	fi
}
chaos_kill "$KILLS" $((PERIOD_MS / 2)) "$PERIOD_MS"
wh_steps 200
wait "$PRODUCER_PID"
chaos_verdict recovery "$KILLS"
