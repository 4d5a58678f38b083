#!/usr/bin/env bash
# A partition leader taken down for a few seconds mid-consume loses nothing:
# kcat-src warns, retries, and carries on.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kcat-src.lib"

# Partition p is led by broker (p mod 3) + 1: broker 1 leads partition 0.
start_devbroker --brokers 3 --topic f:3 --fault-broker 1
RX=(-X reconnect.backoff.max.ms=500)
for i in $(seq 30); do cat "$SAMPLES/upstream-events.ndjson"; done |
	awk '{ sub(/^\{/, "{\"seq\":" NR ","); print }' >"$T/in"
head -n 600 "$T/in" >"$T/a"; tail -n +601 "$T/in" >"$T/b"

kcat-src -b "$BS" -t f "${RX[@]}" --stats "$T/stats" >"$T/out" 2>"$T/c.log" &
C=$!; at_exit "kill $C"
kcat-src -P -b "$BS" -t f --key-field src_ip "${RX[@]}" <"$T/a" 2>/dev/null
wait_for 20 have_lines 600 "$T/out"
kill -USR1 $DB_PID                     # leader of partition 0 goes down
wait_for 30 grep -q 'broker 1 is down' "$T/devbroker.log"
kcat-src -P -b "$BS" -t f --key-field src_ip "${RX[@]}" <"$T/b" 2>"$T/p.log" &
P=$!; at_exit "kill $P"
# back once the consumer has felt the fall
check fault_consumer_noticed wait_for 30 grep -q '^WARN' "$T/c.log"
kill -USR2 $DB_PID                     # and comes back
wait $P; prc=$?
check_eq fault_producer_delivered_all 0 "$prc"
wait_for 30 have_lines "$(nlines "$T/in")" "$T/out"
kill -TERM $C; wait $C; crc=$?
check_eq fault_consumer_exit_0 0 "$crc"
check fault_consumer_warned grep -q '^WARN' "$T/c.log"
check_eq fault_nothing_lost "$(sort "$T/in" | md5sum)" "$(data_lines "$T/out" | sort | md5sum)"
check_eq fault_nothing_twice "" "$(data_lines "$T/out" | sort | uniq -d | head -n 3)"

# The timer does the same once: down after --down-after, up --down-for later.
kafka-devbroker --brokers 2 --fault-broker 2 --down-after 500ms --down-for 1s \
	>/dev/null 2>"$T/timer.log" &
TB=$!; at_exit "kill $TB"
wait_for 30 grep -q 'broker 2 is up' "$T/timer.log"
check_eq devbroker_timer_down_then_up "down up" \
	"$(grep -o 'broker 2 is [a-z]*' "$T/timer.log" | awk '{ printf "%s%s", s, $4; s=" " }')"
kill -TERM $TB; wait $TB
check_eq devbroker_sigterm_exit_0 0 "$?"
