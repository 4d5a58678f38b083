#!/usr/bin/env bash
# notify --resend against Debian's Alertmanager with a 2 s resolve_timeout:
# an open incident stays active while notify re-sends it, an alert nobody
# re-sends ends after the timeout, and the incident's resolution ends it.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/tools/webhook.sh"

command -v prometheus-alertmanager >/dev/null ||
	{ fail am_resend_prerequisites "prometheus-alertmanager not installed (make deps)"; exit 1; }

start_webhook 200
AM_PORT=$(free_port)
AM=http://127.0.0.1:$AM_PORT
cat >"$T/am.yml" <<EOF
global:
  resolve_timeout: 2s
route:
  receiver: hook
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: hook
    webhook_configs:
      - url: $WH_BASE/am
EOF
prometheus-alertmanager --config.file="$T/am.yml" --storage.path="$T/am" \
	--web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
	>"$T/am.log" 2>&1 &
at_exit "kill $!"
wait_until 30 "curl -sf $AM/-/ready" || { fail am_resend_start "$(tail -3 "$T/am.log")"; exit 1; }

firing() {   # firing KEY ID
	printf '{"type":"alert","alert_id":"%s","rule":"flood","severity":"critical","key_field":"dst_ip","key":"%s","window_start":1,"window_end":2,"metric":"distinct_src_ip","value":250,"threshold":200,"message":"FLOOD","status":"firing","incident_id":"%s","incident_start":1}\n' "$2" "$1" "$2"
}
active() {   # active KEY: the API lists it
	curl -sf "$AM/api/v2/alerts" | jq -e --arg k "$1" 'any(.[]; .labels.key == $k)' >/dev/null
}
export WEBHOOK_URL=$AM/api/v2/alerts

# The re-sent one: notify reads a FIFO that stays open.
mkfifo "$T/in"
notify --resend 500ms --spool "$T/s1" --rate 100/s --stats "$T/n1.stats" \
	<"$T/in" >"$T/n1.out" 2>"$T/n1.err" &
N1=$!
at_exit "kill $N1"
exec {w}>"$T/in"
firing 10.0.0.9 i000000000000001 >&$w
# The control: posted once, never again.
firing 10.0.0.8 i000000000000002 | notify --spool "$T/s2" >/dev/null 2>&1
wait_until 10 "active 10.0.0.9 && active 10.0.0.8"
check am_resend_both_arrive active 10.0.0.8
# The control ends after resolve_timeout; the re-sent one stays.
wait_until 20 "! active 10.0.0.8"
check am_resend_unsent_alert_ends bash -c "! curl -sf $AM/api/v2/alerts | jq -e 'any(.[]; .labels.key == \"10.0.0.8\")'"
check am_resend_open_incident_stays active 10.0.0.9
wait_stat 10 "$T/n1.stats" resend_posts 1
check am_resend_posts_counted test "$(stat_get "$T/n1.stats" resend_posts)" -gt 0
# Its resolution ends it (endsAt in the past), and re-sending stops.
printf '{"type":"alert","alert_id":"r000000000000001","status":"resolved","incident_id":"i000000000000001","rule":"flood","severity":"critical","key_field":"dst_ip","key":"10.0.0.9","incident_start":1000,"incident_end":2000,"duration_s":1,"metric":"distinct_src_ip","peak":250,"message":"RESOLVED"}\n' >&$w
wait_until 20 "! active 10.0.0.9"
check am_resend_resolution_ends_it bash -c "! curl -sf $AM/api/v2/alerts | jq -e 'any(.[]; .labels.key == \"10.0.0.9\")'"
exec {w}>&-
wait_until 30 "! kill -0 $N1 2>/dev/null"
wait $N1
check_eq am_resend_notify_exit 0 $?
notify --resend 1s --stdout </dev/null >/dev/null 2>&1
check_eq am_resend_needs_alertmanager_format 2 $?
