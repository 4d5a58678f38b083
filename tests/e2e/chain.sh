#!/usr/bin/env bash
# The whole chain on loopback: gen produces a scenario into the dev broker;
# kcat-src | window | detect | throttle (real redis-server) | notify posts to
# the local webhook receiver.  The receiver must get exactly the first alert
# of every key (throttle's 15-minute gate), each once; a second run of the
# same input (a replay) must post nothing new.
. "$(dirname "$0")/../lib.sh"

cat >"$T/scenario.ndjson" <<'SCN'
{"kind":"background","rate":40,"duration":"200s"}
{"kind":"data_exfiltration","at":"20s","src":"10.66.0.1","rate":1}
{"kind":"port_scan","at":"100s","src":"10.66.0.2","dst":"10.0.5.55","port":1000}
{"kind":"reset_storm","at":"120s","src":"10.66.0.5","rate":20}
SCN
gen --scenario "$T/scenario.ndjson" --start-time 1763712000 --seed 7 --eps 0 \
	--truth "$T/truth.ndjson" >"$T/events.ndjson" 2>"$T/gen.log"
check "scenario fits one dev-broker partition" \
	test "$(stat -c %s "$T/events.ndjson")" -lt 4500000

# The reference: the same events straight through window | detect, with
# the seed's alerts (one per matching window, which throttle turns into the
# first of every key; incidents through throttle are integ/incidents.sh's).
window --key src_ip --key dst_ip <"$T/events.ndjson" 2>/dev/null |
	detect --seed-alerts 2>/dev/null >"$T/all-alerts.ndjson"
jq -r '.key' "$T/all-alerts.ndjson" | sort -u >"$T/keys"
expected=$(jq -rs 'group_by(.key) | map(min_by(.window_end).alert_id) | .[]' \
	"$T/all-alerts.ndjson" | sort)
echo "alerts in reference: $(wc -l <"$T/all-alerts.ndjson"), keys: $(wc -l <"$T/keys")"
check "reference run raises alerts for every episode" \
	test "$(wc -l <"$T/keys")" -ge 3

kafka-devbroker --topic network-telemetry:1 --bootstrap-file "$T/bootstrap" \
	>/dev/null 2>"$T/broker.log" &
at_exit "kill $!"
wait_for 30 test -s "$T/bootstrap" || { fail "dev broker starts" "no bootstrap"; exit 1; }
BS=$(cat "$T/bootstrap")
start_redis || { fail "redis starts" ""; exit 1; }
python3 "$ROOT/tests/tools/webhook.py" --port-file "$T/hook.port" \
	--log "$T/hook.ndjson" --steps 200 2>"$T/hook.log" &
at_exit "kill $!"
wait_for 30 test -s "$T/hook.port" || { fail "webhook receiver starts" ""; exit 1; }
export WEBHOOK_URL="http://127.0.0.1:$(cat "$T/hook.port")/hook/s3cr3t-token"

check "gen produces the scenario into Kafka" \
	gen --scenario "$T/scenario.ndjson" --start-time 1763712000 --seed 7 \
	--eps 0 --kafka "$BS" --topic network-telemetry 2>>"$T/gen.log"

run_chain() {   # $1: run number
	timeout 120 kcat-src -b "$BS" -t network-telemetry -e 2>"$T/kcat-$1.log" |
		window --key src_ip --key dst_ip 2>"$T/window-$1.log" |
		detect --seed-alerts 2>"$T/detect-$1.log" |
		throttle --redis-url "$REDIS_URL" 2>"$T/throttle-$1.log" |
		notify --spool "$T/spool" --rate 50/s --drain-timeout 30s \
			--retry-min 100ms 2>"$T/notify-$1.log" >"$T/deliveries-$1.ndjson"
	echo "${PIPESTATUS[*]}"
}

check_eq "first run: every stage exits 0" "0 0 0 0 0" "$(run_chain 1)"
got=$(jq -r '.body | fromjson | .alert_id' "$T/hook.ndjson" | sort)
check_eq "receiver got the first alert of every key" "$expected" "$got"
check_eq "no alert posted twice" "" "$(jq -r '.body|fromjson|.alert_id' "$T/hook.ndjson" | sort | uniq -d)"
check_eq "a delivery record per posted alert" "$expected" \
	"$(jq -r 'select(.status=="delivered") | .alert_id' "$T/deliveries-1.ndjson" | sort)"
check "throttle logged the suppressed repeats" \
	grep -q 'suppressed' "$T/throttle-1.log"
check "redis holds the throttle keys" \
	test "$(redis-cli -p "$REDIS_PORT" --scan --pattern 'alert:throttle:*' | wc -l)" -eq "$(wc -l <"$T/keys")"
check "the webhook URL's secret is in no log" \
	sh -c "! grep -l s3cr3t-token '$T'/*.log"

# A replay of the same input: same alert_ids, so throttle passes the claims
# it already holds and notify recognises every id as delivered.
before=$(wc -l <"$T/hook.ndjson")
check_eq "replay: every stage exits 0" "0 0 0 0 0" "$(run_chain 2)"
check_eq "replay posts nothing new" "$before" "$(wc -l <"$T/hook.ndjson")"
check "replay reports the alerts as duplicates" \
	test "$(jq -r 'select(.status=="duplicate") | .alert_id' "$T/deliveries-2.ndjson" | sort -u)" = "$expected"
