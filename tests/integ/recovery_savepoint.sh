#!/usr/bin/env bash
# recovery_savepoint: a supervised chain with checkpoints; `supervise
# --savepoint` keeps its newest complete checkpoint set; the chain stops; a
# new chain in a new run directory starts `--from-savepoint` with more input
# produced meanwhile.  The new chain resumes at the savepoint's offsets (not
# from the beginning) with window's state, and the two chains together
# deliver every alert of an uninterrupted run.  See docs/recovery.md.
. "$(dirname "$0")/../lib.sh"

for p in gen kafka-devbroker kcat-src window detect notify ckpt; do
	command -v "$p" >/dev/null || { fail recovery_savepoint_prerequisites "$p not built"; exit 1; }
done
{
	echo '{"kind":"background","rate":5}'
	for i in $(seq 1 8); do
		echo "{\"kind\":\"port_scan\",\"at\":\"$((i * 20))s\",\"src\":\"10.66.1.$i\"}"
	done
} >"$T/scenario"
gen --scenario "$T/scenario" --seed 5 --start-time 1763700000 >"$T/events" 2>/dev/null
# Two events an hour apart after the input: the first closes every window
# of the input, the second the first's, so detect resolves every incident
# while the chain runs (a chain never sees the end of its input).
tail -n 1 "$T/events" | jq -c '.timestamp += 3600, .timestamp += 7200' >>"$T/events"
n=$(wc -l <"$T/events")
head -n $((n / 2)) "$T/events" >"$T/part1"
tail -n +$((n / 2 + 1)) "$T/events" >"$T/part2"
window <"$T/events" 2>/dev/null | detect 2>/dev/null |
	jq -r .alert_id | sort >"$T/expected"
check expected_has_alerts test -s "$T/expected"

kafka-devbroker --topic sp:1 --bootstrap-file "$T/boot" >/dev/null 2>"$T/broker.log" &
at_exit "kill $!"
wait_for 20 test -s "$T/boot" || { fail recovery_savepoint_broker "no bootstrap address"; exit 1; }
B=$(cat "$T/boot")
kcat-src -P -b "$B" -t sp <"$T/part1" 2>/dev/null

CHAIN=(-- kcat-src -b "$B" -t sp --checkpoint-interval 300ms -- window -- detect
       -- notify --stdout)
run_chain() {   # RUN_DIR OUT [supervise flags]: start a chain, set SUP
	local dir=$1 out=$2; shift 2
	"$ROOT/scripts/supervise" -d "$dir" -o "$out" "$@" "${CHAIN[@]}" 2>"$dir.log" &
	SUP=$!
	at_exit "kill $SUP"
}
stop_chain() { kill "$SUP"; wait "$SUP"; }
# completed names a barrier that covers all of part1
covers_part1() {
	local id
	id=$(cat "$1/ckpt/completed" 2>/dev/null) || return 1
	grep -q "\"next\":$((n / 2))}" "$1/ckpt/kcat-src.$id.snap" 2>/dev/null
}

mkdir -p "$T/run1"
run_chain "$T/run1" "$T/out1"
wait_for 30 covers_part1 "$T/run1"
check first_chain_completes_barriers covers_part1 "$T/run1"
sp=$("$ROOT/scripts/supervise" --savepoint "$T/run1" before-upgrade 2>"$T/sp.err")
check_eq savepoint_dir "$T/run1/savepoints/before-upgrade" "$sp"
id=$(cat "$sp/completed")
check savepoint_has_the_source_snapshot test -s "$sp/kcat-src.$id.snap"
check savepoint_has_the_window_snapshot test -s "$sp/window.$id.snap"
stop_chain

kcat-src -P -b "$B" -t sp <"$T/part2" 2>/dev/null
mkdir -p "$T/run2"
run_chain "$T/run2" "$T/out2" --from-savepoint "$sp"
have_all() {
	[ -z "$(comm -23 "$T/expected" <(cat "$T/out1" "$T/out2" |
		jq -r '.alert_id // empty' | sort -u))" ]
}
wait_for 60 have_all
stop_chain
check second_chain_restores_the_savepoint grep -q "restore=$id " "$T/run2/1-kcat-src.log"
check second_chain_seeks_past_part1 grep -q "restoring topic=sp partition=0 offset=$((n / 2))$" \
	"$T/run2/1-kcat-src.log"
check window_restores_its_state grep -q "restore: snapshot id=$id " "$T/run2/2-window.log"
check_eq together_every_alert "$(cat "$T/expected")" \
	"$(cat "$T/out1" "$T/out2" | jq -r '.alert_id // empty' | sort -u)"
check both_chains_delivered test -s "$T/out1" -a -s "$T/out2"
echo "alerts expected=$(wc -l <"$T/expected") first=$(grep -c alert_id "$T/out1") second=$(grep -c alert_id "$T/out2")"
