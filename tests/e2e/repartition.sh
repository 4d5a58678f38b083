#!/usr/bin/env bash
# repartition: per-destination rules on a topic keyed by src_ip, the Kafka
# Streams way (README "Scaling out", docs/recovery.md "Repartitioning").
# gen's traffic with two floods is fed live into a 4-partition topic keyed
# by src_ip; a repartitioning chain under scripts/supervise,
#   kcat-src -G rp -t by-src | kcat-src -P -t by-dst --key-field dst_ip,
# writes it into a 4-partition topic keyed by dst_ip while its producer
# stage is killed twice; two dst_ip-keyed `window | detect` chains then
# read half of by-dst's partitions each.  Checks: by-dst holds every event
# exactly once (no loss, no copy from the replays, no control line), and
# the two chains' alerts are exactly those of a plain
# `window --key dst_ip | detect` over the same events.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/integ/kcat-src.lib"

SLICES=5
GX=(-X session.timeout.ms=3000 -X heartbeat.interval.ms=300)
cat >"$T/scenario" <<'EOF'
{"kind":"background","rate":20,"duration":"100s"}
{"kind":"flood","at":"5s","rate":60,"duration":"70s","sources":300}
{"kind":"flood","at":"20s","rate":50,"duration":"70s","sources":200,"dst":"10.99.0.7"}
EOF
# The flood rule at this load's scale (the built-in one wants 10,000
# events a minute, more than the dev broker keeps in one partition).
cat >"$T/rules.json" <<'EOF'
{"rules": [
  {"name": "flood", "severity": "critical", "key_field": "dst_ip",
   "when": "distinct_src_ip >= 100 && count >= 2500",
   "metric": "distinct_src_ip", "threshold": 100,
   "message": "FLOOD: {key} received {count} events from {distinct_src_ip} sources in {window_seconds}s."}
]}
EOF
gen --scenario "$T/scenario" --seed 7 --start-time 1763700000 --eps 0 \
	>"$T/events" 2>"$T/gen.log" || { fail repartition_input "gen failed"; exit 1; }
nev=$(wc -l <"$T/events")
window --key dst_ip <"$T/events" 2>/dev/null | detect --seed-alerts --rules "$T/rules.json" 2>/dev/null |
	jq -r .alert_id | sort >"$T/expected"
echo "events=$nev expected alerts=$(wc -l <"$T/expected")"
check repartition_plain_floods test "$(wc -l <"$T/expected")" -ge 4

start_devbroker --brokers 1 --topic by-src:4 --topic by-dst:4 --topic once:2

# The repartitioning chain, as in the README (it joins its group, which
# takes the dev broker 3 s, while the scripted case runs).
RUN=$T/run
"$ROOT/scripts/supervise" -d "$RUN" --backoff-min 0.2s --backoff-max 1s -- \
	kcat-src -b "$BS" -t by-src -G rp -o beginning "${GX[@]}" -- \
	kcat-src -P -b "$BS" -t by-dst --key-field dst_ip \
	>"$T/sup.out" 2>"$T/sup.log" &
SUP=$!
at_exit "kill $SUP 2>/dev/null; wait $SUP"

# The producer's part of a restart, scripted: a first life completes
# barrier 1, produces 50 more lines and dies; the second life is told to
# restore 1 and is given those 50 again, then 20 new ones.
C=$T/once-ckpt; mkdir -p "$C"
ctl() { printf '{"@ctl":{"type":"%s","id":%d}}\n' "$1" "$2"; }
head -n 170 "$T/events" >"$T/once.in"
{ ctl restore 0; head -n 100 "$T/once.in"; ctl barrier 1; sed -n 101,150p "$T/once.in"; } |
	NW_CHECKPOINT_DIR=$C kcat-src -P -b "$BS" -t once --key-field dst_ip 2>"$T/once1.log"
check_eq once_first_life "0 1" "$? $(cat "$C/completed")"
{ ctl restore 1; sed -n 101,170p "$T/once.in"; ctl barrier 2; } |
	NW_CHECKPOINT_DIR=$C kcat-src -P -b "$BS" -t once --key-field dst_ip \
		--stats "$T/once2.stats" 2>"$T/once2.log"
check_eq once_second_life "0 2" "$? $(cat "$C/completed")"
check_eq once_skipped_50 "50 20" "$(stat_get "$T/once2.stats" deduplicated) $(stat_get "$T/once2.stats" delivered)"
kcat-src -b "$BS" -t once -o beginning -e --no-partition-markers 2>/dev/null | sort >"$T/once.out"
check once_each_line_once cmp -s "$T/once.out" <(sort "$T/once.in")

stage_pid() { sed -n "s/^stage_$1_pid=\([0-9]*\)$/\1/p" "$RUN/state" 2>/dev/null; }
# Kill the producer once it has delivered something in its current life.
kill_producer() {
	local p
	wait_until 20 '[ -n "$(stage_pid 2)" ] && [ "$(stat_get "$RUN/2-kcat-src.stats" delivered)" -gt 0 ] 2>/dev/null' ||
		{ fail repartition_kill "producer delivered nothing"; return; }
	p=$(stage_pid 2)
	kill -9 "$p"
	wait_until 20 '[ -n "$(stage_pid 2)" ] && [ "$(stage_pid 2)" != '"$p"' ]'
	echo "killed the producer (pid $p)"
}

# Fed live in slices keyed by src_ip; the producer stage dies twice.
split -n "l/$SLICES" -d -a 3 "$T/events" "$T/slice."
i=0
for f in "$T"/slice.*; do
	kcat-src -P -b "$BS" -t by-src --key-field src_ip <"$f" 2>>"$T/feed.log" ||
		fail repartition_feed "slice $f"
	i=$((i + 1))
	case $i in 2|4) rm -f "$RUN/2-kcat-src.stats"; kill_producer ;; esac
done

dst_count() {
	kcat-src -b "$BS" -t by-dst -o beginning -e --no-partition-markers 2>/dev/null |
		wc -l
}
if ! wait_until 60 '[ "$(dst_count)" -ge '"$nev"' ]'; then
	fail repartition_caught_up "by-dst holds $(dst_count) of $nev"
	tail -n 20 "$T/sup.log" "$RUN"/*.log
fi
# Let the chain finish a barrier after the last event, then stop it: a
# replay still pending would show as copies.
done_at=$(cat "$RUN/ckpt/completed" 2>/dev/null || echo 0)
wait_until 20 '[ "$(cat "$RUN/ckpt/completed")" -gt '"$done_at"' ]'
kill "$SUP"; wait "$SUP"
check_eq repartition_chain_stopped 0 "$?"

kcat-src -b "$BS" -t by-dst -o beginning -e --no-partition-markers \
	>"$T/by-dst" 2>/dev/null
sort "$T/events" >"$T/events.sorted"
sort "$T/by-dst" >"$T/by-dst.sorted"
check_eq repartition_exactly_once "$nev" "$(wc -l <"$T/by-dst")"
check repartition_same_events cmp -s "$T/events.sorted" "$T/by-dst.sorted"
check_eq repartition_no_control_lines 0 "$(grep -c '"@ctl"' "$T/by-dst")"
restores=$(grep -c 'already produced after it' "$RUN/2-kcat-src.log")
skipped=$(sed -n 's/.*restore [0-9]*: \([0-9]*\) messages already produced.*/\1/p' \
	"$RUN/2-kcat-src.log" | awk '{ s += $1 } END { print s + 0 }')
# (How many the replays found again depends on where the kills fell
# against the barriers; the scripted case above has a known count.)
echo "producer restores=$restores messages found again=$skipped"
check repartition_producer_restored test "$restores" -ge 3

# Two dst_ip-keyed chains, a static split of by-dst between them.  The
# bound covers the repartitioning chain's skew: it reads the src
# partitions in runs, so by-dst holds each flood's events out of order.
W=(--key dst_ip --out-of-orderness 120s)
pids=()
for half in 0,1 2,3; do
	kcat-src -b "$BS" -t by-dst -p "$half" -o beginning -e 2>>"$T/dst.log" |
		window "${W[@]}" --stats "$T/w.$half.stats" 2>>"$T/dst.log" |
		detect --seed-alerts --rules "$T/rules.json" >"$T/alerts.$half" 2>>"$T/dst.log" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail repartition_dst_chain "exit $?"; done
cat "$T"/alerts.* | jq -r .alert_id | sort >"$T/got"
echo "alerts: expected=$(wc -l <"$T/expected") got=$(wc -l <"$T/got")"
check_eq repartition_no_late "0 0" "$(jq -r .late "$T/w.0,1.stats") $(jq -r .late "$T/w.2,3.stats")"
check repartition_alerts_equal_plain cmp "$T/expected" "$T/got"
