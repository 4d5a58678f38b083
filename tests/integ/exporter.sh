# The exporter against the real Prometheus: over a run directory of known
# state and stats files, `promtool check metrics` accepts the page,
# Debian's prometheus scrapes it (every 1 s) and its query API returns the
# very numbers the files hold, a changed stats file included
# (tests/integ/exporter_supervise.sh runs it under supervise --metrics).
. "$(dirname "$0")/../lib.sh"

# ---- a run directory with known values ---------------------------------------
R=$T/chain-a
mkdir -p "$R"
stage_keys() {   # n name state restarts last_exit
	printf 'stage_%s_name=%s\nstage_%s_pid=-\nstage_%s_state=%s\nstage_%s_started_ms=1764600000000\nstage_%s_restarts=%s\nstage_%s_rewinds=0\nstage_%s_last_exit=%s\nstage_%s_cmd=%s\n' \
		"$1" "$2" "$1" "$1" "$3" "$1" "$1" "$4" "$1" "$1" "$5" "$1" "$2"
}
{
	printf 'supervisor_pid=%s\nstarted_ms=1764600000000\nphase=running\nrun_dir=%s\nstages=5\n' $$ "$R"
	stage_keys 1 kcat-src running 0 -
	stage_keys 2 window running 3 137
	stage_keys 3 detect backoff 1 1
	stage_keys 4 throttle running 0 -
	stage_keys 5 notify running 0 -
} >"$R/state"
STD='"lines_out":1200,"ctl_lines":7,"dead_letters":2,"too_long":1,"read_errors":0,"reopens":3,"sink_errors":0'
cat >"$R/1-kcat-src.stats" <<EOF
{"stage":"kcat-src","pid":100,"time_ms":1764600050000,"uptime_ms":49900,"lines_in":0,$STD,"messages":1200,"bytes":345678,"null_payloads":1,"skipped_by_time":0,"errors":0,"partitions":[{"topic":"net","partition":0,"owned":true,"next":600,"lag":42},{"topic":"net","partition":1,"owned":false,"next":-1,"lag":-1}],"barriers":7,"rates":{"lines_in":0.0}}
EOF
cat >"$R/2-window.stats" <<EOF
{"stage":"window","pid":101,"time_ms":1764600050000,"uptime_ms":49800,"lines_in":1207,$STD,"events":1198,"records":26,"late":5,"refired":0,"key_limit":0,"keys":17,"panes":40,"watermark":1764600044500,"rates":{"lines_in":20.5}}
EOF
cat >"$R/3-detect.stats" <<EOF
{"stage":"detect","pid":102,"time_ms":1764600049000,"uptime_ms":1000,"lines_in":33,$STD,"records_in":26,"alerts_out":4,"reloads":0,"reload_failures":0,"rules":{"port_scan":{"fired":3,"missing_field":0,"div_by_zero":0}},"rates":{}}
EOF
cat >"$R/4-throttle.stats" <<EOF
{"stage":"throttle","pid":103,"time_ms":1764600050000,"uptime_ms":49000,"lines_in":4,$STD,"mode":"closed","alerts":4,"passed":2,"replayed":0,"suppressed":2,"local_passed":0,"local_suppressed":0,"blank":0,"redis_errors":1,"outages":1,"synced":0,"queued":6,"redis_up":0,"local_keys":9,"local_evicted":0,"round_trips":11,"rates":{}}
EOF
cat >"$R/5-notify.stats" <<EOF
{"stage":"notify","pid":104,"time_ms":1764600050000,"uptime_ms":49000,"lines_in":2,$STD,"alerts_in":2,"delivered":1,"dead":0,"duplicates":0,"posts":3,"digests":0,"post_failures":2,"waiting":1,"barriers":7,"rates":{}}
EOF

# ---- the real Prometheus, started first (it takes seconds) to scrape it -----------
XP=$(free_port)
PP=$(free_port)
cat >"$T/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: netwatch
    static_configs:
      - targets: ['127.0.0.1:$XP']
EOF
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom-data" \
	--web.listen-address="127.0.0.1:$PP" >"$T/prometheus.log" 2>&1 &
PROM_PID=$!
at_exit "wait $PROM_PID"   # (at_exit runs last first: the kill, then this,
at_exit "kill $PROM_PID"   # so it is gone before its files are removed)

# ---- the exporter over it -------------------------------------------------------------
exporter --run-dir "$R" --listen "127.0.0.1:$XP" 2>"$T/exporter.err" &
XPID=$!
at_exit "kill $XPID"
scrape() { curl -sf "http://127.0.0.1:$XP/metrics"; }
wait_for 10 scrape || fail exporter_serves "no answer on 127.0.0.1:$XP: $(cat "$T/exporter.err")"
scrape >"$T/page"
check exporter_promtool promtool check metrics <"$T/page"
check_eq exporter_content_type "text/plain; version=0.0.4; charset=utf-8" \
	"$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$XP/metrics")"
check_eq exporter_other_paths "404" \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$XP/nope")"
check exporter_no_untyped_for_known_fields bash -c "! grep -q untyped '$T/page'"

# ---- what Prometheus got --------------------------------------------------------------
# The value of an instant query's first series, or nothing.
q() {
	curl -sf --get --data-urlencode "query=$1" \
		"http://127.0.0.1:$PP/api/v1/query" |
		jq -r '.data.result[0].value[1] // empty'
}
has_value() { [ -n "$(q "$1")" ]; }
if ! wait_for 20 has_value 'netwatch_stage_lines_in_total{stage="window"}'; then
	fail exporter_prometheus_scrapes "no value in 20 s: $(tail -3 "$T/prometheus.log")"
fi

j() { jq -r "$2" "$R/$1.stats"; }
# query  expected (from the files)
while IFS='|' read -r name query want; do
	check_eq "exporter_prom_$name" "$want" "$(q "$query")"
done <<EOF
build_info|netwatch_build_info{version="0.1.0"}|1
window_lines_in|netwatch_stage_lines_in_total{chain="chain-a",stage="window",position="2"}|$(j 2-window .lines_in)
window_late|netwatch_window_late_total|$(j 2-window .late)
window_keys|netwatch_window_keys|$(j 2-window .keys)
window_wm_delay|netwatch_window_watermark_delay_seconds|$(j 2-window '(.time_ms - .watermark) / 1000')
kcat_lag|netwatch_kcat_src_partition_lag_messages{topic="net",partition="0"}|$(j 1-kcat-src '.partitions[0].lag')
kcat_bytes|netwatch_kcat_src_bytes_total|$(j 1-kcat-src .bytes)
detect_rule|netwatch_detect_rule_fired_total{rule="port_scan"}|$(j 3-detect .rules.port_scan.fired)
throttle_redis_up|netwatch_throttle_redis_up|$(j 4-throttle .redis_up)
throttle_queued|netwatch_throttle_queued_alerts|$(j 4-throttle .queued)
throttle_mode|netwatch_throttle_on_redis_down_info{mode="closed"}|1
notify_queue|netwatch_notify_queue_alerts|$(j 5-notify .waiting)
notify_failures|netwatch_notify_post_failures_total|$(j 5-notify .post_failures)
restarts|netwatch_stage_restarts_total{stage="window"}|$(sed -n 's/^stage_2_restarts=//p' "$R/state")
last_exit|netwatch_stage_last_exit_status{stage="detect"}|$(sed -n 's/^stage_3_last_exit=//p' "$R/state")
detect_state|netwatch_stage_state{stage="detect",state="backoff"}|1
supervisor_up|netwatch_supervisor_up{chain="chain-a"}|1
EOF

# A stats file replaced (as a stage does every second): the next scrapes
# carry the new count.
sed 's/"lines_in":1207/"lines_in":1500/' "$R/2-window.stats" >"$R/2-window.stats.tmp" &&
	mv "$R/2-window.stats.tmp" "$R/2-window.stats"
is_1500() { [ "$(q 'netwatch_stage_lines_in_total{stage="window"}')" = 1500 ]; }
check exporter_prom_follows_the_file wait_for 15 is_1500
kill "$XPID"
if wait_gone 10 "$XPID"; then
	wait "$XPID"
	check_eq exporter_stops_on_sigterm 0 "$?"
else
	fail exporter_stops_on_sigterm "still running 10 s after SIGTERM"
fi
