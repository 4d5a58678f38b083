#!/usr/bin/env bash
# detect's incidents: one firing alert per episode and one resolution when
# it is over; the incidents survive a restore from a barrier's snapshot;
# throttle passes the resolution of an incident it let through and holds
# back one whose firing it suppressed (real redis-server).
. "$(dirname "$0")/../lib.sh"

gen --scenario demo --seed 7 --start-time 1763700000 2>/dev/null |
	window --key src_ip --key dst_ip 2>/dev/null >"$T/records"
check inc_records test -s "$T/records"

detect --incidents --stats "$T/d.stats" <"$T/records" >"$T/out" 2>"$T/d.err"
check_eq inc_exit 0 $?
# The demo has six episodes, one after the other: six incidents open; all
# but the last (the input ends inside it) resolve.
check_eq inc_firing_one_per_episode 6 "$(jq -r 'select(.status == "firing") | .rule' "$T/out" | sort -u | wc -l)"
check_eq inc_firing_count 6 "$(grep -c '"status":"firing"' "$T/out")"
check_eq inc_resolved_count 5 "$(grep -c '"status":"resolved"' "$T/out")"
check_eq inc_resolutions_match_firing "" "$(comm -13 \
	<(jq -r 'select(.status == "firing") | .incident_id' "$T/out" | sort) \
	<(jq -r 'select(.status == "resolved") | .incident_id' "$T/out" | sort))"
check_eq inc_resolution_after_firing "" "$(jq -r '"\(.status) \(.incident_id)"' "$T/out" |
	awk '$1 == "firing" { f[$2] = 1 } $1 == "resolved" && !f[$2] { print }')"
check_eq inc_stats "6 5" "$(jq -r '"\(.incidents_opened) \(.incidents_resolved)"' "$T/d.stats")"
# Incidents are the default; --seed-alerts gives the seed's alert for every
# matching window, no status, no resolutions, and takes no incident flag.
detect <"$T/records" >"$T/default" 2>/dev/null
check_eq inc_are_the_default "" "$(cmp "$T/out" "$T/default" 2>&1)"
detect --seed-alerts <"$T/records" >"$T/seed" 2>/dev/null
check_eq seed_alerts_no_status 0 "$(grep -c '"status"' "$T/seed")"
check seed_alerts_every_window test "$(wc -l <"$T/seed")" -gt 6
detect --seed-alerts --for 1m </dev/null >/dev/null 2>&1
check_eq seed_alerts_with_for_exit_2 2 $?
# --for: a condition must hold that long; the demo's episodes hold 60 s
# and more, a 10-minute --for holds every one back.
detect --incidents --for 10m <"$T/records" >"$T/for" 2>/dev/null
check_eq inc_for_holds_back 0 "$(wc -l <"$T/for")"

# A barrier in the middle: detect restored from its snapshot writes what
# the undisturbed run wrote after the barrier, byte for byte.
n=$(wc -l <"$T/records")
k=$((n / 2))
{ head -n "$k" "$T/records"; echo '{"@ctl":{"type":"barrier","id":1}}'
  tail -n +"$((k + 1))" "$T/records"; } >"$T/with-barrier"
mkdir -p "$T/ck0" "$T/ck"
detect --incidents --checkpoint-dir "$T/ck0" <"$T/with-barrier" >"$T/all" 2>/dev/null
sed -n '/"@ctl"/,$p' "$T/all" | tail -n +2 >"$T/want"
head -n "$((k + 1))" "$T/with-barrier" |
	detect --incidents --checkpoint-dir "$T/ck" >/dev/null 2>&1
check inc_snapshot_written test -s "$T/ck/detect.1.snap"
{ echo '{"@ctl":{"type":"restore","id":1}}'; tail -n +"$((k + 2))" "$T/with-barrier"; } |
	detect --incidents --checkpoint-dir "$T/ck" 2>/dev/null | tail -n +2 >"$T/got"
check inc_after_restore_some test -s "$T/want"
check inc_after_restore_same cmp -s "$T/want" "$T/got"
# A set without detect's snapshot was taken by a detect without incidents
# (--seed-alerts, an older release): none open, a WARN; a damaged one fails.
echo '{"@ctl":{"type":"restore","id":9}}' | detect --checkpoint-dir "$T/ck" >/dev/null 2>"$T/r.err"
check_eq inc_restore_absent_snapshot_starts_empty "0 1" "$? $(grep -c 'WARN detect: restore: no .*detect.9.snap' "$T/r.err")"
echo garbage >"$T/ck/detect.8.snap"
echo '{"@ctl":{"type":"restore","id":8}}' | detect --checkpoint-dir "$T/ck" >/dev/null 2>"$T/r8.err"
check_eq inc_restore_damaged_snapshot_fails 1 $?

# throttle: the first incident of a key passes with its resolution; a
# second one within the TTL is held back, resolution and all.
start_redis
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
jq -c 'select(.rule == "port_scan")' "$T/out" >"$T/scan"
check_eq inc_scan_pair 2 "$(wc -l <"$T/scan")"
sed 's/"incident_id":"[0-9a-f]*"/"incident_id":"00000000000000aa"/;
     s/"alert_id":"\([0-9a-f]*\)"/"alert_id":"b\1"/' "$T/scan" |
	jq -c 'if .status == "firing" then .alert_id = "00000000000000aa" else . end' >"$T/scan2"
cat "$T/scan" "$T/scan2" | throttle --on-redis-down closed >"$T/thr" 2>"$T/thr.err"
check_eq inc_throttle_exit 0 $?
check_eq inc_throttle_passes_first_incident "firing resolved" \
	"$(jq -r .status "$T/thr" | paste -sd ' ')"
check_eq inc_throttle_same_incident "$(jq -r .incident_id "$T/scan" | sort -u)" \
	"$(jq -r .incident_id "$T/thr" | sort -u)"
