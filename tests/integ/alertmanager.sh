#!/usr/bin/env bash
# notify --format alertmanager against Debian's real Alertmanager on
# loopback: auto picks the format from the /api/v2/alerts path, the alerts
# arrive with their labels (the API and amtool show them), a silence made
# with amtool holds one back, and Alertmanager's own webhook receiver (a
# local one) gets the port-scan alerts as one grouped notification.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/tools/webhook.sh"

command -v prometheus-alertmanager >/dev/null && command -v amtool >/dev/null ||
	{ fail am_prerequisites "prometheus-alertmanager not installed (make deps)"; exit 1; }

start_webhook 200                       # Alertmanager's receiver
AM_PORT=$(free_port)
AM=http://127.0.0.1:$AM_PORT
cat >"$T/am.yml" <<EOF
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: $WH_BASE/am
        send_resolved: true
EOF
prometheus-alertmanager --config.file="$T/am.yml" --storage.path="$T/am" \
	--web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
	>"$T/am.log" 2>&1 &
AM_PID=$!
at_exit "kill $AM_PID"
wait_until 30 "curl -sf $AM/-/ready" || { fail am_start "$(tail -3 "$T/am.log")"; exit 1; }

# Three port scans of one window and one data exfiltration.
mkalerts 3 p >"$T/scans"
mkalerts 1 x | sed 's/"rule":"port_scan"/"rule":"data_exfiltration"/; s/"key":"10.66.0.0"/"key":"10.77.0.1"/' >"$T/exfil"
post() {   # post < alerts: notify with auto format to Alertmanager's API
	WEBHOOK_URL=$AM/api/v2/alerts notify --spool "$T/spool-$1" --rate 100/s \
		--retry-min 100ms --generator-url 'http://grafana.test/d/x?key={key}' \
		>"$T/$1.out" 2>"$T/$1.err"
}

# A silence first, so the exfiltration alert never fires.
sid=$(amtool --alertmanager.url="$AM" silence add alertname=data_exfiltration \
	--comment "maintenance" --author test --duration 1h 2>"$T/amtool.err")
check am_silence_added test -n "$sid"

post scans <"$T/scans"
check_eq am_posts_delivered 3 "$(grep -c '"status":"delivered"' "$T/scans.out")"
check am_auto_format grep -q 'format=alertmanager' "$T/scans.err"
post exfil <"$T/exfil"
check_eq am_exfil_delivered 1 "$(grep -c '"status":"delivered"' "$T/exfil.out")"

# The API holds all four, labelled as documented; the exfiltration one is
# suppressed by the silence.
api() { curl -sf "$AM/api/v2/alerts?silenced=true&inhibited=true&active=true"; }
wait_until 20 '[ "$(api | jq length)" -eq 4 ]'
check_eq am_api_alerts 4 "$(api | jq length)"
check_eq am_api_labels "port_scan high src_ip 10.66.0.1" \
	"$(api | jq -r '.[] | select(.labels.key == "10.66.0.1") |
		"\(.labels.alertname) \(.labels.severity) \(.labels.key_field) \(.labels.key)"')"
check_eq am_api_annotation_alert_id p00000001 \
	"$(api | jq -r '.[] | select(.labels.key == "10.66.0.1") | .annotations.alert_id')"
check_eq am_generator_url "http://grafana.test/d/x?key=10.66.0.1" \
	"$(api | jq -r '.[] | select(.labels.key == "10.66.0.1") | .generatorURL')"
check_eq am_silenced suppressed \
	"$(api | jq -r '.[] | select(.labels.alertname == "data_exfiltration") | .status.state')"
check_eq am_amtool_query 3 "$(amtool --alertmanager.url="$AM" -o json alert query alertname=port_scan | jq length)"

# One notification for the port-scan group, carrying its three alerts;
# none for the silenced rule (its group would have fired by then too).
notes() {
	python3 - "$WH_LOG" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    b = json.loads(json.loads(line)["body"])
    print(b["groupLabels"].get("alertname"), len(b["alerts"]), b["status"])
PY
}
wait_until 20 'notes | grep -q "^port_scan 3 firing"'
check_eq am_grouped_notification "port_scan 3 firing" "$(notes | grep '^port_scan')"
check_eq am_silenced_not_notified "" "$(notes | grep '^data_exfiltration')"

# A resolution (detect --incidents) ends the alert of the same labels:
# the API stops listing it and the receiver hears "resolved".
now_ms=$(( $(date +%s) * 1000 ))
printf '{"type":"alert","alert_id":"r00000001","status":"resolved","incident_id":"p00000001","rule":"port_scan","severity":"high","key_field":"src_ip","key":"10.66.0.1","incident_start":%d,"incident_end":%d,"duration_s":60,"metric":"distinct_dst_port","peak":101,"message":"RESOLVED: port_scan src_ip=10.66.0.1 after 60s (peak distinct_dst_port 101)"}\n' \
	$((now_ms - 120000)) $((now_ms - 60000)) >"$T/resolved"
post resolved <"$T/resolved"
check_eq am_resolution_delivered 1 "$(grep -c '"status":"delivered"' "$T/resolved.out")"
gone() { [ -z "$(api | jq -r '.[] | select(.labels.key == "10.66.0.1") | .labels.key')" ]; }
wait_for 20 gone
check am_resolution_ends_alert gone
resolved_note() {
	python3 - "$WH_LOG" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    b = json.loads(json.loads(line)["body"])
    for a in b["alerts"]:
        if a["labels"].get("key") == "10.66.0.1" and a["status"] == "resolved":
            print("resolved", a["endsAt"][:4])
PY
}
wait_until 20 '[ -n "$(resolved_note)" ]'
check_eq am_receiver_hears_resolved "resolved $(date -u +%Y)" "$(resolved_note | head -1)"
