#!/usr/bin/env bash
# valgrind memcheck over the end-to-end chain (the optimised build in bin/,
# which carries no sanitizer): every stage must finish with no invalid access
# and no definite or indirect leak.
. "$(dirname "$0")/../lib.sh"
P=$ROOT/bin
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"

cat >"$T/scenario.ndjson" <<'SCN'
{"kind":"background","rate":20,"duration":"150s"}
{"kind":"data_exfiltration","at":"10s","src":"10.66.0.1","rate":1}
{"kind":"latency_spike","at":"60s","src":"10.66.0.6","rate":10}
SCN
$VG "$P/gen" --scenario "$T/scenario.ndjson" --start-time 1763712000 --seed 3 \
	--eps 0 --dup-prob 0.01 --malformed-prob 0.01 >"$T/events" 2>"$T/gen.log"
check_eq "gen under valgrind" 0 $?

kafka-devbroker --topic t:1 --bootstrap-file "$T/bs" >/dev/null 2>"$T/broker.log" &
at_exit "kill $!"
wait_for 30 test -s "$T/bs" || { fail "dev broker starts" ""; exit 1; }
"$P/kcat-src" -P -b "$(cat "$T/bs")" -t t <"$T/events" 2>"$T/produce.log"
$VG "$P/kcat-src" -b "$(cat "$T/bs")" -t t -e >"$T/consumed" 2>"$T/kcat.log"
check_eq "kcat-src consumer under valgrind" 0 $?

$VG "$P/window" --key src_ip --key dst_ip --late "$T/late" --dead-letter "$T/dl" \
	<"$T/consumed" >"$T/windows" 2>"$T/window.log"
check_eq "window under valgrind" 0 $?
$VG "$P/detect" <"$T/windows" >"$T/alerts" 2>"$T/detect.log"
check_eq "detect under valgrind" 0 $?
check "the chain raised alerts" test -s "$T/alerts"

start_redis || { fail "redis starts" ""; exit 1; }
$VG "$P/throttle" --redis-url "$REDIS_URL" <"$T/alerts" >"$T/passed" 2>"$T/throttle.log"
check_eq "throttle under valgrind" 0 $?
$VG "$P/notify" --stdout --format slack <"$T/passed" >"$T/payloads" 2>"$T/notify.log"
check_eq "notify --stdout under valgrind" 0 $?

python3 "$ROOT/tests/tools/webhook.py" --port-file "$T/port" --log "$T/hook" \
	--steps 500,200 2>/dev/null &
at_exit "kill $!"
wait_for 30 test -s "$T/port" || { fail "webhook receiver starts" ""; exit 1; }
WEBHOOK_URL=http://127.0.0.1:$(cat "$T/port")/h $VG "$P/notify" --spool "$T/spool" \
	--rate 20/s --retry-min 100ms <"$T/passed" >"$T/deliveries" 2>"$T/notify2.log"
check_eq "notify posting under valgrind" 0 $?
check_eq "every passed alert delivered" "$(wc -l <"$T/passed")" \
	"$(grep -c '"delivered"' "$T/deliveries")"
for f in "$T"/*.log; do
	if grep -q '^==[0-9]*==' "$f"; then
		fail "valgrind report in $(basename "$f")" "$(grep -m5 '^==' "$f" | tr '\n' ' ')"
	fi
done
