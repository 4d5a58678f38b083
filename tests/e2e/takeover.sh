#!/usr/bin/env bash
# takeover: two chains in one consumer group on a 4-partition topic keyed by
# src_ip, fed live, sharing one Redis and one webhook (README "Scaling
# out"); one chain is killed whole (supervisor and every stage, SIGKILL)
# mid-run and not restarted.  The survivor takes its partitions over from
# their last completed barrier with their window state (docs/recovery.md,
# "Takeover"), so the receiver must hold exactly the alert_ids of an
# undisturbed plain pipeline over the same events: none missing, none
# unexpected, none twice once a repeated Idempotency-Key is dropped.
# TAKEOVER=off runs the same without the state Redis (the partitions start
# with empty state), which loses alerts.
. "$(dirname "$0")/../lib.sh"

SEED=${SEED:-$RANDOM}
echo "seed=$SEED dir=$T (rerun: SEED=$SEED tests/run e2e/takeover)"
RANDOM=$SEED

. "$ROOT/tests/e2e/chaos.lib"
. "$ROOT/tests/e2e/chains.lib"
t0=$(_now_ms)
phase() { echo "+$(( $(_now_ms) - t0 )) ms: $*"; }

chaos_events 4
WINDOW_FLAGS=(--key src_ip)
# detect as users run it: incidents that open and resolve, and baselines;
# the survivor takes detect's part of each partition over too.
DETECT_FLAGS=
chaos_redis
chaos_plain "${WINDOW_FLAGS[@]}"
chaos_broker nw:4
start_webhook 200
phase "plain run, broker and webhook ready"

export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export WEBHOOK_URL="$WH_BASE/hook"
STATE_REDIS=$REDIS_URL
[ "${TAKEOVER:-on}" = off ] && STATE_REDIS=off

# One chain under its own supervisor and run directory: chain NAME.
chain() {
	local run=$T/run-$1
	"$ROOT/scripts/supervise" -d "$run" --backoff-min 0.2s --backoff-max 1s -- \
		kcat-src -b "$BOOT" -t nw -G g -o beginning --state-redis "$STATE_REDIS" \
			--checkpoint-interval 1s \
			-X session.timeout.ms=3000 -X heartbeat.interval.ms=300 -- \
		window "${WINDOW_FLAGS[@]}" -- \
		detect $DETECT_FLAGS -- \
		throttle --on-redis-down closed -- \
		notify --format generic --spool "$run/spool" --rate 200/s \
			--retry-min 200ms --retry-max 1s \
		>"$T/deliveries-$1.ndjson" 2>"$T/supervise-$1.log" &
}
two_chains takeover

phase "the two chains share the partitions"
# Fed live: the events in 16 slices, two a second, keyed by src_ip.
(
	split -n l/16 -d -a 3 "$T/events" "$T/slice."
	for f in "$T"/slice.*; do
		kcat-src -P -b "$BOOT" -t nw --key-field src_ip <"$f" 2>>"$T/produce.log" || exit 1
		sleep 0.5
	done
) &
PRODUCER_PID=$!
at_exit "kill $PRODUCER_PID 2>/dev/null"

# Mid-run, once chain a has completed a barrier of its own with data in
# it (so its partitions have state in Redis), at a random point.
sleep "$((2 + RANDOM % 3)).$((RANDOM % 10))"
wait_until 20 '[ "$(cat "$T/run-a/ckpt/completed" 2>/dev/null || echo 0)" -ge 3 ]'
kill_ms=$(_now_ms)
kill_chain a
phase "chain a killed"
echo "chain a killed whole at barrier $(cat "$T/run-a/ckpt/completed" 2>/dev/null)"
wait_until 40 'owns b 4' || fail takeover_survivor_owns_all "chain b never got the 4 partitions"
if [ "${TAKEOVER:-on}" != off ]; then
	wait_until 20 'grep -q "adopt: topic" "$T/run-b/2-window.log"'
	echo "takeover: $(( $(_now_ms) - kill_ms )) ms from the kill to the survivor's window adopting"
	check takeover_adopted grep -q "taking over topic=nw" "$T/run-b/1-kcat-src.log"
	check takeover_detect_adopted grep -q "detect: adopt: topic=nw" "$T/run-b/3-detect.log"
fi
phase "chain b owns every partition"
wait "$PRODUCER_PID"

RUN=$T/run-b SUP_PID=$B_SUP
received_ids() { wh_ids 2>/dev/null; }
have_all() { [ -z "$(comm -23 "$T/expected" <(received_ids | sort -u))" ]; }
wait_for 40 have_all
phase "every expected alert received"
chaos_settle
stop_chain
if [ "${TAKEOVER:-on}" != off ]; then
	check takeover_detect_counted test "$(jq .partitions_adopted "$T/run-b/3-detect.stats")" -ge 1
fi
accepted_ids | sort >"$T/received"
sort -u "$T/received" >"$T/received.set"
missing=$(comm -23 "$T/expected" "$T/received.set" | wc -l)
extra=$(comm -13 "$T/expected" "$T/received.set" | wc -l)
dups=$(uniq -d "$T/received" | wc -l)
echo "alerts expected=$nexp received=$(wc -l <"$T/received") missing=$missing unexpected=$extra duplicated=$dups"
comm -23 "$T/expected" "$T/received.set" | sed 's/^/missing /' | head
comm -13 "$T/expected" "$T/received.set" | sed 's/^/unexpected /' | head
# incidents the dead chain opened that the survivor resolved (with
# detect's part of their partition; without it they would stay open, and
# reopen under new ids)
jq -r 'select(.status == "delivered") | .alert_id' "$T/deliveries-a.ndjson" |
	sort -u >"$T/opened-a"
jq -r 'select(.status == "delivered") | .alert_id' "$T/deliveries-b.ndjson" |
	sort -u >"$T/sent-b"
handed=$(jq -r '.body | fromjson | select(.status == "resolved") |
		.incident_id + " " + .alert_id' "$WH_LOG" | sort -u |
	while read -r inc res; do
		grep -qx "$inc" "$T/opened-a" && grep -qx "$res" "$T/sent-b" && echo
	done | wc -l)
echo "incidents opened by the killed chain and resolved by the survivor: $handed"
check_eq takeover_no_alert_missing 0 "$missing"
check_eq takeover_no_unexpected_alert 0 "$extra"
check_eq takeover_no_alert_twice 0 "$dups"
if [ "$missing$extra$dups" != 000 ]; then
	for f in "$T"/run-*/*.log; do echo "--- $f"; tail -n 15 "$f"; done
fi
