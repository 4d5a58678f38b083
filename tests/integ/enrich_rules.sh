#!/usr/bin/env bash
# The rules that use enrich's facts (docs/detect.md): traffic to or from a
# listed address alerts once per source and list and never for unlisted
# traffic, through the chain and through scripts/replay --enrich; and
# replay --normalize --enrich finds gen's impossible travel with the demo's
# databases.
. "$(dirname "$0")/../lib.sh"

# Lists in two downloaded formats: Spamhaus DROP and a FireHOL netset.
printf '; Spamhaus DROP List 2026/12/01\n203.0.113.0/28 ; SBL000001\n' >"$T/drop.txt"
printf '#\n# firehol_level1\n#\n203.0.113.10\n198.51.100.77\n2001:db8:bad::/48\n' >"$T/fh.netset"

# Three minutes of flows, one every second: 10.0.0.5 talks to a host on
# both lists, 10.0.0.6 to one on fh (over IPv6 too), 203.0.113.10 (on
# both) sends to an inside host, and fifteen sources talk to unlisted hosts.
python3 - >"$T/flows" <<'PY'
import json
t0 = 1780000000000
for k in range(180):
    t = t0 + k * 1000
    def ev(src, dst, **x):
        e = {"timestamp": t, "src_ip": src, "dst_ip": dst, "dst_port": 443,
             "bytes_sent": 900, "bytes_received": 300, "packets_sent": 3,
             "latency_ms": 20}
        e.update(x)
        print(json.dumps(e))
    ev("10.0.0.%d" % (7 + k % 15), "192.0.2.%d" % (1 + k % 40))
    if k % 5 == 0:
        ev("10.0.0.5", "203.0.113.10")
    if k % 9 == 0:
        ev("10.0.0.6", "198.51.100.77")
        ev("10.0.0.6", "2001:db8:bad::9")
    if k % 7 == 0:
        ev("203.0.113.10", "10.0.0.9", dst_port=22)
PY
LISTS=(--list "drop=$T/drop.txt" --list "fh=$T/fh.netset")
cat >"$T/want" <<'EOF2'
listed_destination 10.0.0.5|drop 1
listed_destination 10.0.0.5|fh 1
listed_destination 10.0.0.6|fh 1
listed_source 203.0.113.10|drop 1
listed_source 203.0.113.10|fh 1
EOF2
firing() {
	jq -r 'select(.status == "firing") | "\(.rule) \(.key)"' "$1" | sort | uniq -c |
		awk '{print $2, $3, $1}'
}

enrich "${LISTS[@]}" <"$T/flows" 2>"$T/e.err" |
	window --key src_ip --key dst_ip --key 'src_ip+src_ip_info.lists[]' \
		--key 'src_ip+dst_ip_info.lists[]' 2>"$T/w.err" |
	detect --incidents >"$T/alerts" 2>"$T/d.err"
check_eq listed_chain_status "0 0 0" "${PIPESTATUS[*]}"
check_eq listed_once_per_source_and_list "$(cat "$T/want")" "$(firing "$T/alerts")"
check_eq listed_nothing_else "" \
	"$(jq -r 'select(.rule | startswith("listed_") | not) | .rule' "$T/alerts")"
# The alert says which source and list, and how many events.
check listed_message grep -qE '"message":"LISTED DESTINATION: 10.0.0.5\|drop \(source\|list\): [0-9]+ events to 1 listed hosts in 60s."' "$T/alerts"

# The same through replay --enrich (window gets the listed keys by itself).
"$ROOT/scripts/replay" --no-throttle -E "--list drop=$T/drop.txt --list fh=$T/fh.netset" \
	-D --incidents "$T/flows" >"$T/ralerts" 2>"$T/r.err"
check_eq replay_enrich_status 0 $?
check_eq replay_enrich_listed "$(cat "$T/want")" "$(firing "$T/ralerts")"
check replay_enrich_summary grep -qE '^replay: events 282, late 0, dead-lettered 0,' "$T/r.err"
# Without enrich nothing is listed, and nothing alerts.
"$ROOT/scripts/replay" --no-throttle -q "$T/flows" >"$T/plain" 2>/dev/null
check_eq replay_without_enrich_no_alerts 0 "$(wc -l <"$T/plain")"

# The log path with enrich: gen's impossible travel (London, then Tokyo ten
# minutes later) alerts for its account only, with the distance.
gen --scenario logs --format rfc5424 --seed 3 --start-time 1780000000 \
	--truth "$T/truth" >"$T/logs" 2>/dev/null
D=$ROOT/detect
"$ROOT/scripts/replay" --no-throttle -q --normalize -Z '--tz UTC' \
	-E "--geoip $D/demo-city.mmdb --asn $D/demo-asn.mmdb --list blocklist=$D/demo-blocklist.txt" \
	"$T/logs" >"$T/lalerts" 2>"$T/l.err"
check_eq replay_logs_enrich_status 0 $?
check_eq replay_logs_impossible_travel "$(jq -r 'select(.kind == "impossible_travel") | .key' "$T/truth")" \
	"$(jq -r 'select(.rule == "impossible_travel") | .key' "$T/lalerts" | sort -u)"
check replay_logs_travel_km grep -q 'logged in from 2 countries 9559.5 km apart within 3600s' "$T/lalerts"
