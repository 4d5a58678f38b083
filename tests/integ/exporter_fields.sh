# Every stage's real stats file through the exporter: kcat-src (consumer
# and producer), gen, window, detect, throttle, notify, normalize and enrich each
# write theirs, and the page has no untyped metric (every field the stages
# write is in the exporter's table), passes `promtool check metrics`, and
# carries each stage's own metrics.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kcat-src.lib"
D=$T/stats
mkdir -p "$D"
start_devbroker
start_redis

gen --count 300 --seed 3 --start-time 1764600000 --stats "$D/1-gen.stats" >"$T/events"
kcat-src -P -b "$BS" -t ex --key-field src_ip --stats "$D/2-kcat-src.stats" \
	<"$T/events" 2>"$T/p.log"
check exporter_fields_produced [ "$(stat_get "$D/2-kcat-src.stats" delivered)" = 300 ]
timeout 60 kcat-src -b "$BS" -t ex -e --stats "$D/3-kcat-src.stats" 2>"$T/c.log" |
	window --size 10s --slide 10s --stats "$D/4-window.stats" |
	detect --rule 'any: count > 0' --stats "$D/5-detect.stats" |
	throttle --redis-url "$REDIS_URL" --stats "$D/6-throttle.stats" |
	notify --stdout --stats "$D/7-notify.stats" >"$T/alerts" 2>"$T/chain.log"
check exporter_fields_chain_ran [ -s "$T/alerts" ]
gen --format rfc5424 --count 50 --seed 3 --start-time 1764600000 2>/dev/null |
	normalize --stats "$D/8-normalize.stats" >/dev/null 2>"$T/normalize.log"
check exporter_fields_normalize_ran [ -s "$D/8-normalize.stats" ]
enrich --stats "$D/9-enrich.stats" <"$T/events" >/dev/null 2>"$T/enrich.log"
check exporter_fields_enrich_ran [ -s "$D/9-enrich.stats" ]

exporter -d "$D" --once >"$T/page" 2>"$T/exporter.err"
check exporter_fields_promtool promtool check metrics <"$T/page"
check_eq exporter_fields_no_untyped "" "$(grep '^# TYPE .* untyped' "$T/page")"
for m in gen_events_total kcat_src_delivered_total kcat_src_messages_total \
	kcat_src_partition_next_offset window_keys \
	detect_rule_fired_total throttle_redis_up throttle_on_redis_down_info \
	notify_queue_alerts normalize_matched_total enrich_events_total \
	stage_lines_in_total; do
	check "exporter_fields_has_$m" grep -q "^netwatch_$m{" "$T/page"
done
check_eq exporter_fields_stages 9 "$(grep -c '^netwatch_stage_lines_out_total{' "$T/page")"
check_eq exporter_fields_no_supervisor 'netwatch_supervisor_up{chain="stats"} 0' \
	"$(grep '^netwatch_supervisor_up' "$T/page")"
