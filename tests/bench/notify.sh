#!/usr/bin/env bash
# notify: Slack payloads per second in --stdout mode beside jq building a
# Slack-shaped payload from the same alerts; and a 10,000-alert storm posted
# to the local receiver (wall time until every alert is recorded delivered).
set -u
: "${ROOT:?}" "${BIN:?}" "${BENCH_DIR:?}"
N=${NOTIFY_BENCH_ALERTS:-50000}
D=$BENCH_DIR/notify; mkdir -p "$D"
T=$D; . "$ROOT/tests/tools/webhook.sh"

mkalerts "$N" b >"$D/alerts"
secs() { local s=$(date +%s.%N); "$@"; echo "$(date +%s.%N) - $s" | bc -l; }
t_ntf=$(secs sh -c "'$BIN/notify' --stdout --format slack <'$D/alerts' >'$D/p1' 2>/dev/null")
t_ref=$(secs sh -c "jq -c '{text: (\"🚨 \" + .message), blocks: [
	{type: \"section\", text: {type: \"mrkdwn\", text: (\"🚨 *\" + .message + \"*\")}},
	{type: \"section\", fields: [{type: \"mrkdwn\", text: (\"*Rule*\n\" + .rule)},
	  {type: \"mrkdwn\", text: (\"*Severity*\n\" + .severity)},
	  {type: \"mrkdwn\", text: (\"*\" + .key_field + \"*\n\" + .key)}]},
	{type: \"context\", elements: [{type: \"mrkdwn\", text: (\"alert_id \" + .alert_id)}]}]}' \
	<'$D/alerts' >'$D/p2' 2>/dev/null")
r_ntf=$(echo "$N / $t_ntf" | bc)
r_ref=$(echo "$N / $t_ref" | bc)
printf '%-44s %16s %16s %8s\n' "notify --stdout slack payloads/s (ref jq)" \
	"$r_ntf" "$r_ref" "$(echo "scale=2; $r_ntf / $r_ref" | bc)"

# The storm: 10,000 alerts at the default 1 post/s.  Reference: one curl
# POST of the same bytes (the floor for getting them to the receiver).
wait_for() { local end=$(( $(date +%s) + $1 )); shift
	while ! "$@" >/dev/null 2>&1; do [ "$(date +%s)" -ge "$end" ] && return 1; sleep 0.1; done; }
at_exit() { trap "$1" EXIT; }
start_webhook 200
head -n 10000 "$D/alerts" >"$D/storm"
t_storm=$(secs sh -c "WEBHOOK_URL=$WH_BASE/b '$BIN/notify' --spool '$D/spool' <'$D/storm' >'$D/deliveries' 2>/dev/null")
t_curl=$(secs sh -c "curl -s --data-binary @'$D/storm' $WH_BASE/ref >/dev/null")
posts=$(grep -c '"path": "/b"' "$WH_LOG")
printf '%-44s %16s %16s %8s\n' "storm of 10,000 alerts: seconds (ref 1 curl)" \
	"$(printf %.2f "$t_storm")" "$(printf %.2f "$t_curl")" \
	"$(echo "scale=2; $t_storm / $t_curl" | bc)"
echo "  (storm: $posts posts, $(grep -c delivered "$D/deliveries") alerts recorded delivered)"
kill "$WH_PID"
