#!/usr/bin/env bash
# repartition_takeover: two repartitioning chains in one consumer group
# (README "Scaling out"), each under scripts/supervise with checkpoints,
#   kcat-src -G rp -t by-src --state-redis … | kcat-src -P -t by-dst --key-field dst_ip,
# over a 4-partition topic keyed by src_ip fed live; chain a is killed
# whole (supervisor and stages, SIGKILL) mid-run and not restarted.  The
# survivor takes a's partitions over from a's last completed barrier, and
# its producer drops the replayed lines a had already produced
# (docs/recovery.md, "Takeover" and "Repartitioning").  Check: by-dst
# holds every event exactly once (0 missing, 0 twice, 0 unexpected).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/integ/kcat-src.lib"
. "$ROOT/tests/e2e/chains.lib"

SEED=${SEED:-$RANDOM}
echo "seed=$SEED dir=$T (rerun: SEED=$SEED tests/run e2e/repartition_takeover)"
RANDOM=$SEED
t0=$(_now_ms)
phase() { echo "+$(( $(_now_ms) - t0 )) ms: $*"; }

echo '{"kind":"background","rate":100,"duration":"24s"}' >"$T/scenario"
gen --scenario "$T/scenario" --seed "$SEED" --start-time 1763700000 --eps 0 \
	>"$T/events" 2>"$T/gen.log" || { fail rpt_input "gen failed"; exit 1; }
nev=$(wc -l <"$T/events")
start_redis
start_devbroker --brokers 1 --topic by-src:4 --topic by-dst:4

chain() {   # chain NAME under its own supervisor and run directory
	"$ROOT/scripts/supervise" -d "$T/run-$1" --backoff-min 0.2s --backoff-max 1s -- \
		kcat-src -b "$BS" -t by-src -G rp -o beginning --state-redis "$REDIS_URL" \
			--checkpoint-interval 1s \
			-X session.timeout.ms=3000 -X heartbeat.interval.ms=300 -- \
		kcat-src -P -b "$BS" -t by-dst --key-field dst_ip \
		>"$T/sup-$1.out" 2>"$T/sup-$1.log" &
}
completed() { cat "$T/run-$1/ckpt/completed" 2>/dev/null || echo 0; }
two_chains rpt

phase "the two chains share the partitions"
# Fed live: 12 slices, ~3 a second, keyed by src_ip.
(
	split -n l/12 -d -a 3 "$T/events" "$T/slice."
	for f in "$T"/slice.*; do
		kcat-src -P -b "$BS" -t by-src --key-field src_ip <"$f" 2>>"$T/feed.log" || exit 1
		sleep 0.3
	done
) &
FEED_PID=$!
at_exit "kill $FEED_PID 2>/dev/null"

# Mid-run, once a's producer has delivered and a barrier after that has
# completed (its partitions have an entry in Redis), at a random point of
# a barrier interval: what a produced since is what the survivor replays.
wait_until 20 '[ "$(stat_get "$T/run-a/2-kcat-src.stats" delivered)" -gt 0 ] 2>/dev/null'
base=$(completed a)
wait_until 20 '[ "$(completed a)" -ge '"$((base + 1))"' ]'
sleep "0.$((RANDOM % 10))"
kill_chain a
phase "chain a killed"
echo "chain a killed whole at barrier $(completed a), $(stat_get "$T/run-a/2-kcat-src.stats" delivered) delivered in its stats"
check rpt_adopted wait_until 30 'grep -q "adopt by-src/" "$T/run-b/2-kcat-src.log"'
phase "chain b's producer adopted a's partitions"
check_eq rpt_survivor_took_both 2 "$(grep -c 'taking over topic=by-src partition=[0-9]* offset=[0-9]* window_bytes' "$T/run-b/1-kcat-src.log")"
grep 'adopt by-src/' "$T/run-b/2-kcat-src.log" | sed 's/^.*adopt /adopt /'

wait "$FEED_PID" || fail rpt_feed "the feed failed"

dst_count() {
	kcat-src -b "$BS" -t by-dst -o beginning -e --no-partition-markers 2>/dev/null | wc -l
}
wait_until 30 '[ "$(dst_count)" -ge '"$nev"' ]' ||
	fail rpt_caught_up "by-dst holds $(dst_count) of $nev"
# A barrier after the last event, then stop the survivor: a replay still
# pending would show as copies.
done_at=$(completed b)
wait_until 20 '[ "$(completed b)" -gt '"$done_at"' ]'
phase "by-dst complete, a barrier after it"
kill "$B_SUP"; wait "$B_SUP"
check_eq rpt_survivor_stopped 0 "$?"

kcat-src -b "$BS" -t by-dst -o beginning -e --no-partition-markers \
	2>/dev/null | sort >"$T/by-dst"
sort "$T/events" >"$T/events.sorted"
sort -u "$T/by-dst" >"$T/by-dst.set"
missing=$(comm -23 "$T/events.sorted" "$T/by-dst.set" | wc -l)
extra=$(comm -13 "$T/events.sorted" "$T/by-dst.set" | wc -l)
twice=$(( $(wc -l <"$T/by-dst") - $(wc -l <"$T/by-dst.set") ))
echo "events=$nev by-dst=$(wc -l <"$T/by-dst") missing=$missing unexpected=$extra twice=$twice deduplicated_by_b=$(grep -h 'adopt by-src/' "$T/run-b/2-kcat-src.log" | sed -n 's/.*: \([0-9]*\) messages of chain.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')"
check_eq rpt_no_event_missing 0 "$missing"
check_eq rpt_no_unexpected_event 0 "$extra"
check_eq rpt_no_event_twice 0 "$twice"
if [ "$missing$extra$twice" != 000 ]; then
	for f in "$T"/run-*/*.log; do echo "--- $f"; tail -n 15 "$f"; done
fi
