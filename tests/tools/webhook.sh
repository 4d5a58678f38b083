# tests/tools/webhook.sh - shell helpers around tests/tools/webhook.py;
# source it after tests/lib.sh.
#
#   start_webhook [STEPS [webhook.py flags]]
#                           start a receiver: WH_PORT, WH_PID, WH_LOG, WH_BASE
#   wh_steps STEPS          replace its answer script (see webhook.py)
#   wh_count                requests in the log (the log may be truncated)
#   wh_atleast N            true once N requests are logged (for wait_for)
#   wh_ids                  alert ids of the requests it answered 2xx, one per
#                           line (generic payloads: alert_id, or a digest's
#                           alert_ids)
#   wh_keys                 per request answered 2xx: its Idempotency-Key
#                           (unquoted, "-" when absent) and its alert ids,
#                           space-separated, one line each
#   mkalerts N [PREFIX]     N alert lines with ids PREFIX + 8 hex digits
WH_PY=$ROOT/tests/tools/webhook.py

start_webhook() {
	WH_LOG=$T/webhook-$RANDOM.ndjson
	local pf=$T/webhook-port-$RANDOM
	python3 "$WH_PY" --port-file "$pf" --log "$WH_LOG" --steps "${1:-200}" "${@:2}" &
	WH_PID=$!
	at_exit "kill $WH_PID"
	wait_for 30 test -s "$pf" || { echo "FAIL webhook: receiver did not start"; exit 1; }
	WH_PORT=$(cat "$pf")
	WH_BASE=http://127.0.0.1:$WH_PORT
	: >"$WH_LOG"
}

wh_steps() { curl -s -d "$1" "$WH_BASE/__steps" >/dev/null; }
wh_count() { wc -l <"$WH_LOG" | tr -d " "; }
wh_atleast() { [ "$(wh_count)" -ge "$1" ]; }

wh_ids() {
	python3 - "$WH_LOG" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if not 200 <= r["status"] < 300:
        continue
    b = json.loads(r["body"])
    for i in b.get("alert_ids") or [b.get("alert_id")]:
        print(i)
PY
}

wh_keys() {
	python3 - "$WH_LOG" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if not 200 <= r["status"] < 300:
        continue
    h = {k.lower(): v for k, v in r["headers"].items()}
    b = json.loads(r["body"])
    key = h.get("idempotency-key", '"-"').strip('"')
    print(key, *(b.get("alert_ids") or [b.get("alert_id")]))
PY
}

mkalerts() {
	awk -v n="$1" -v p="${2:-a}" 'BEGIN { for (i = 0; i < n; i++)
		printf "{\"type\":\"alert\",\"alert_id\":\"%s%08x\",\"rule\":\"port_scan\",\"severity\":\"high\",\"key_field\":\"src_ip\",\"key\":\"10.66.%d.%d\",\"window_start\":1763711940000,\"window_end\":1763712000000,\"metric\":\"distinct_dst_port\",\"value\":%d,\"threshold\":100,\"message\":\"PORT SCAN DETECTED! IP: 10.66.%d.%d probed %d ports in 60s.\",\"aggregates\":{\"count\":%d}}\n",
			p, i, i / 256 % 256, i % 256, 100 + i, i / 256 % 256, i % 256, 100 + i, 100 + i }'
}
