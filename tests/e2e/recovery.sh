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
echo "seed=$SEED kills>=$KILLS dir=$T"
RANDOM=$SEED

for p in gen kafka-devbroker kcat-src window detect throttle notify ckpt; do
	command -v "$p" >/dev/null || { fail recovery_prerequisites "$p not built"; exit 1; }
done
[ -r "$ROOT/tests/tools/webhook.sh" ] || { fail recovery_prerequisites "no tests/tools/webhook.sh"; exit 1; }
. "$ROOT/tests/tools/webhook.sh"

# ---- input: small enough for the dev broker's 5 MiB per partition, with
# many attack sources, since throttle lets through one alert per source ----
{
	echo '{"kind":"background","rate":5}'
	for i in $(seq 1 24); do
		echo "{\"kind\":\"port_scan\",\"at\":\"$((10 + i * 9))s\",\"src\":\"10.66.1.$i\"}"
	done
	for i in 1 2 3; do
		echo "{\"kind\":\"data_exfiltration\",\"at\":\"$((i * 60))s\",\"src\":\"10.66.2.$i\"}"
	done
} >"$T/scenario"
gen --scenario "$T/scenario" --seed 7 --start-time 1763700000 --eps 0 \
	>"$T/events" 2>"$T/gen.log" || { fail recovery_input "gen failed"; exit 1; }
# One more event an hour later: its watermark fires every window of the
# input, in the chain (which never sees end of input) as in the plain run.
tail -n 1 "$T/events" | jq -c '.timestamp += 3600 |
	.event_id = "00000000-0000-4000-8000-000000000000"' >>"$T/events"
events=$(wc -l <"$T/events")
echo "events=$events bytes=$(wc -c <"$T/events")"

WINDOW_FLAGS=(--key src_ip --key dst_ip)

# ---- Redis with an append-only file, so a restart keeps the claims -------
start_redis --appendonly yes --appendfsync always --save ''
redis_restart() {
	kill -9 "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
		--appendonly yes --appendfsync always --dir "$T" \
		>>"$T/redis-$REDIS_PORT.log" 2>&1 &
	REDIS_PID=$!
	at_exit "kill $REDIS_PID"
	wait_for 30 redis-cli -p "$REDIS_PORT" ping
}

# ---- the undisturbed run: a plain pipeline over the same input ------------
window "${WINDOW_FLAGS[@]}" <"$T/events" 2>"$T/plain.window.log" |
	detect 2>"$T/plain.detect.log" |
	throttle --redis-url "redis://127.0.0.1:$REDIS_PORT/1" \
		--on-redis-down closed 2>"$T/plain.throttle.log" |
	notify --stdout --format generic 2>"$T/plain.notify.log" |
	jq -r 'select(.alert_id) | .alert_id' | sort >"$T/expected"
nexp=$(wc -l <"$T/expected")
echo "alerts expected=$nexp"
[ "$nexp" -gt 0 ] || { fail recovery_expected "the plain run gave no alert"; exit 1; }

# ---- broker, receiver ------------------------------------------------------
kafka-devbroker --topic nw:1 --bootstrap-file "$T/boot" >/dev/null 2>"$T/broker.log" &
BROKER_PID=$!
at_exit "kill $BROKER_PID"
wait_for 20 test -s "$T/boot" || { fail recovery_broker "no bootstrap address"; exit 1; }
BOOT=$(cat "$T/boot")

start_webhook 200

# ---- the chain under the supervisor -----------------------------------------
RUN=$T/run
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export WEBHOOK_URL="$WH_BASE/hook"
"$ROOT/scripts/supervise" -d "$RUN" --backoff-min 0.2s --backoff-max 1s \
	--checkpoints "${CHECKPOINTS:-on}" \
	--crash-loop 1000/60s -- \
	kcat-src -b "$BOOT" -t nw -o beginning --checkpoint-interval 1s -- \
	window "${WINDOW_FLAGS[@]}" -- \
	detect -- \
	throttle --on-redis-down closed -- \
	notify --format generic --spool "$RUN/spool" --rate 100/s \
		--retry-min 200ms --retry-max 1s \
	>"$T/deliveries.ndjson" 2>"$T/supervise.log" &
SUP_PID=$!
# Stages run in sessions of their own: if the supervisor does not stop
# them in time, kill them by the pids in its state file.
stop_chain() {
	local i p
	kill "$SUP_PID" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		kill -0 "$SUP_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$SUP_PID" 2>/dev/null
	for p in $(sed -n 's/^stage_[0-9]*_pid=\([0-9][0-9]*\)$/\1/p' "$RUN/state" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	wait "$SUP_PID" 2>/dev/null
}
at_exit stop_chain

# Produce the input in 40 slices over about 40 s, so kills land while data
# flows.
(
	split -n l/40 -d "$T/events" "$T/slice."
	for f in "$T"/slice.*; do
		kcat-src -P -b "$BOOT" -t nw <"$f" 2>>"$T/produce.log" || exit 1
		sleep 1
	done
) &
PRODUCER_PID=$!
at_exit "kill $PRODUCER_PID"

stage_pid() {   # n: the pid of stage n from the supervisor's state file
	sed -n "s/^stage_$1_pid=\([0-9]*\)$/\1/p" "$RUN/state" 2>/dev/null
}

# ---- the killer --------------------------------------------------------------
# A shuffled deck with every stage KILLS/5 times (at least once each), plus
# the disturbances at fixed points of the deck.
deck=()
for ((i = 0; i < KILLS; i++)); do deck+=($((i % 5 + 1))); done
for ((i = ${#deck[@]} - 1; i > 0; i--)); do
	j=$((RANDOM % (i + 1))); t=${deck[i]}; deck[i]=${deck[j]}; deck[j]=$t
done
declare -A killed=()
kills=0
kill_deadline=$(( $(date +%s) + KILLS * PERIOD_MS / 1000 * 3 + 30 ))
for ((i = 0; i < ${#deck[@]}; i++)); do
	[ "$(date +%s)" -lt "$kill_deadline" ] || break
	ms=$((PERIOD_MS / 2 + RANDOM % PERIOD_MS))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	case $i in
	$((KILLS / 4)))     echo "disturb: redis restart"; redis_restart ;;
	$((KILLS / 2)))     echo "disturb: webhook 500"; wh_steps 500 ;;
	$((KILLS / 2 + 2))) echo "disturb: webhook 429"; wh_steps 429:1 ;;
	$((KILLS / 2 + 4))) echo "disturb: webhook ok"; wh_steps 200 ;;
	$((3 * KILLS / 4))) echo "disturb: broker down 3s"; kill -USR1 "$BROKER_PID"
	                    (sleep 3; kill -USR2 "$BROKER_PID") & ;;
	esac
	n=${deck[i]}
	p=
	for ((w = 0; w < 50; w++)); do   # the stage may be in its restart backoff
		p=$(stage_pid "$n")
		[ -n "$p" ] && kill -0 "$p" 2>/dev/null && break
		sleep 0.1
	done
	if [ -n "$p" ] && kill -9 "$p" 2>/dev/null; then
		kills=$((kills + 1))
		killed[$n]=$(( ${killed[$n]:-0} + 1 ))
		echo "kill $kills: stage $n pid $p"
	else
		deck+=("$n")      # not running just now: later
	fi
done
wh_steps 200
wait "$PRODUCER_PID"

# ---- wait for every expected alert, then a little longer for duplicates ------
received_ids() { wh_ids 2>/dev/null; }
have_all() {
	[ -z "$(comm -23 "$T/expected" <(received_ids | sort -u))" ]
}
wait_for 120 have_all
# Then until nothing more can come: the whole chain has carried two more
# barriers end to end (every stage is up again after the last kill and has
# read all before them), and notify's stats, twice in a row, show nothing
# waiting and no new post.
completed() { cat "$RUN/ckpt/completed" 2>/dev/null || echo 0; }
if [ "${CHECKPOINTS:-on}" != off ]; then
	c0=$(completed)
	wait_until 60 '[ "$(completed)" -ge $((c0 + 2)) ]' ||
		echo "the chain carried no barrier for 60 s"
fi
settled_t= settled_p=
notify_settled() {
	local f=$RUN/5-notify.stats t p w
	t=$(stat_get "$f" time_ms) p=$(stat_get "$f" posts) w=$(stat_get "$f" waiting)
	if [ "$w" != 0 ] || [ "$p" != "$settled_p" ]; then
		settled_t=$t settled_p=$p
		return 1
	fi
	[ "$t" != "$settled_t" ]
}
wait_for 60 notify_settled || echo "notify still busy after 60 s"
stop_chain

received_ids | sort >"$T/received"
sort -u "$T/received" >"$T/received.set"
missing=$(comm -23 "$T/expected" "$T/received.set" | wc -l)
extra=$(comm -13 "$T/expected" "$T/received.set" | wc -l)
dups=$(uniq -d "$T/received" | wc -l)
echo "kills=$kills per_stage=$(for n in 1 2 3 4 5; do printf '%s:%s ' "$n" "${killed[$n]:-0}"; done)"
echo "alerts expected=$nexp received=$(wc -l <"$T/received") distinct=$(wc -l <"$T/received.set") missing=$missing unexpected=$extra duplicated=$dups"
comm -23 "$T/expected" "$T/received.set" | sed 's/^/missing /' | head
comm -13 "$T/expected" "$T/received.set" | sed 's/^/unexpected /' | head
uniq -d "$T/received" | sed 's/^/duplicated /' | head

check recovery_enough_kills test "$kills" -ge "$KILLS"
spread=1
for n in 1 2 3 4 5; do [ "${killed[$n]:-0}" -ge $((KILLS / 5)) ] || spread=0; done
check_eq recovery_every_stage_killed 1 "$spread"
check_eq recovery_no_alert_missing 0 "$missing"
check_eq recovery_no_unexpected_alert 0 "$extra"
check_eq recovery_no_alert_twice 0 "$dups"
if [ "$missing$extra$dups" != 000 ]; then
	for f in "$RUN"/*.log; do echo "--- $f"; tail -n 15 "$f"; done
fi
