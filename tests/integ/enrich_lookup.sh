#!/usr/bin/env bash
# enrich --lookup against a loopback lookup service
# (tests/tools/lookup_service.py): answers spliced in, input order kept
# behind a slow lookup, one request per distinct address however many
# events want it, 500s, a hang past --timeout, a body that is not JSON and
# a 429 with Retry-After, every failure in --failed and in the stats, the
# header secret from the environment, the cache, --unordered with control
# lines still in order, and --max-pending pausing the reading.
. "$(dirname "$0")/../lib.sh"

python3 "$ROOT/tests/tools/lookup_service.py" --port-file "$T/port" &
spid=$!
at_exit "kill $spid 2>/dev/null"
wait_for 20 test -s "$T/port"
URL="http://127.0.0.1:$(cat "$T/port")/check?ip={ip}"
count() { curl -s "http://127.0.0.1:$(cat "$T/port")/__count"; }

enrich --lookup 'http://x/' </dev/null >/dev/null 2>&1; check_eq lk_url_without_ip 2 $?
enrich --failed "$T/f" </dev/null >/dev/null 2>&1; check_eq lk_failed_without_lookup 2 $?
enrich --lookup "$URL" --lookup-header 'X-Key: env:NO_SUCH_VAR_LK' </dev/null \
	>/dev/null 2>"$T/e"; check_eq lk_header_env_unset 2 $?
check lk_header_env_names_var grep -q NO_SUCH_VAR_LK "$T/e"
out=$(enrich --help) && grep -q -- '--lookup-header H' <<<"$out" && pass lk_help || fail lk_help

# 1. Ordered: the slow 203.0.113.150 (300 ms) holds back what follows it;
# 8.8.8.8 is wanted by four events but asked once; 10.0.0.1 is private
# (not asked); 198.51.100.1 answers 500, 192.0.2.1 hangs past --timeout,
# 203.0.113.99 answers HTML, 203.0.113.201 answers 429 (Retry-After: 1)
# and then 200.
{
	echo '{"n":1,"src_ip":"203.0.113.150","dst_ip":"10.0.0.1"}'
	echo '{"n":2,"src_ip":"8.8.8.8","dst_ip":"2001:db8::5"}'
	echo '{"n":3,"src_ip":"8.8.8.8"}'
	echo '{"@ctl":{"type":"barrier","id":7}}'
	echo '{"n":4,"src_ip":"198.51.100.1","dst_ip":"8.8.8.8"}'
	echo '{"n":5,"src_ip":"203.0.113.201"}'
	echo '{"n":6,"src_ip":"192.0.2.1","dst_ip":"8.8.8.8"}'
	echo '{"n":7,"src_ip":"203.0.113.99"}'
	echo 'not json'
	echo '{"n":8,"src_ip":"10.1.1.1"}'
	echo '{"@ctl":{"type":"barrier","id":8}}'
} >"$T/in"
ABUSE_KEY=s3cret-from-env enrich --lookup "$URL" --lookup-header 'X-Key: env:ABUSE_KEY' \
	--timeout 1s --failed "$T/failed" --dead-letter "$T/dl" --stats "$T/st" \
	<"$T/in" >"$T/out" 2>"$T/err"
check_eq lk_exit 0 $?
check_eq lk_order '1 2 3 B7 4 5 6 7 8 B8' \
	"$(jq -r 'if .["@ctl"] then "B\(.["@ctl"].id)" else .n end' "$T/out" | paste -sd' ')"
check_eq lk_answer '{"ip":"203.0.113.150","score":34,"seen":["ssh","web"]}' \
	"$(sed -n 1p "$T/out" | jq -c .src_ip_info.lookup)"
check_eq lk_private_not_asked '{"scope":"private"}' "$(sed -n 1p "$T/out" | jq -c .dst_ip_info)"
check_eq lk_ipv6_answer '2001:db8::5' "$(sed -n 2p "$T/out" | jq -r .dst_ip_info.lookup.ip)"
check_eq lk_same_answer_every_event '8.8.8.8 8.8.8.8 8.8.8.8 8.8.8.8' \
	"$(jq -r '[.src_ip_info.lookup.ip?, .dst_ip_info.lookup.ip?][] | select(. == "8.8.8.8")' "$T/out" | paste -sd' ')"
check_eq lk_429_then_answer '203.0.113.201' "$(sed -n 6p "$T/out" | jq -r .src_ip_info.lookup.ip)"
check_eq lk_errors '[{"field":"src_ip","ip":"198.51.100.1","error":"HTTP 500"}]|[{"field":"src_ip","ip":"192.0.2.1","error":"timeout"}]|[{"field":"src_ip","ip":"203.0.113.99","error":"response is not JSON"}]' \
	"$(jq -c 'select(.enrich_errors) | .enrich_errors' "$T/out" | paste -sd'|')"
check_eq lk_error_keeps_other_answer '8.8.8.8' "$(sed -n 5p "$T/out" | jq -r .dst_ip_info.lookup.ip)"
check_eq lk_failed_file '4 6 7' "$(jq -r .n "$T/failed" | paste -sd' ')"
check_eq lk_failed_same_lines "$(grep enrich_errors "$T/out")" "$(cat "$T/failed")"
check_eq lk_dead_letter 'invalid JSON' "$(jq -r .reason "$T/dl")"
jq -e . "$T/out" >/dev/null; check_eq lk_output_json 0 $?
c=$(count)
check_eq lk_one_request_per_ip '{"192.0.2.1":1,"198.51.100.1":1,"2001:db8::5":1,"203.0.113.150":1,"203.0.113.201":2,"203.0.113.99":1,"8.8.8.8":1}' \
	"$(jq -cS '.per_ip' <<<"$c")"
check_eq lk_header_from_env '["s3cret-from-env"]' "$(jq -c .keys <<<"$c")"
check_eq lk_secret_not_logged 0 "$(grep -c s3cret "$T/err")"
check_eq lk_stats '8 4 3 1 1 3 3 0 0' "$(jq -r '[.lookups,.lookup_answers,.lookup_failures,.lookup_timeouts,.lookup_throttled,.lookup_coalesced,.events_failed,.pending,.lookups_in_flight]|map(tostring)|join(" ")' "$T/st")"
# every new stats field is in the exporter's table (no untyped metric)
mkdir -p "$T/sd" && cp "$T/st" "$T/sd/1-enrich.stats"
exporter -d "$T/sd" --once >"$T/page" 2>/dev/null
check_eq lk_exporter_no_untyped "" "$(grep '^# TYPE .* untyped' "$T/page")"
check lk_exporter_lookups grep -q '^netwatch_enrich_lookup_failures_total{.*} 3$' "$T/page"

# 2. The cache: an address answered before is not asked again (one run,
# the second event written once the first is out); the key from a file;
# SIGHUP still reloads the local data between the two.
printf 'from-a-file\n' >"$T/key"
echo 198.51.100.200 >"$T/hot.txt"
mkfifo "$T/fifo"
enrich --lookup "$URL" --lookup-header "X-Key: @$T/key" --stats "$T/cst" \
	--list hot="$T/hot.txt" <"$T/fifo" >"$T/cout" 2>"$T/cerr" &
epid=$!
at_exit "kill $epid 2>/dev/null"
exec 3>"$T/fifo"
echo '{"src_ip":"203.0.113.7"}' >&3
wait_lines 20 "$T/cout" 1
echo 203.0.113.7 >"$T/hot.txt"
kill -HUP $epid
wait_for 20 grep -q reloaded "$T/cerr"
echo '{"src_ip":"203.0.113.7"}' >&3
exec 3>&-
wait $epid
check_eq lk_cache_exit 0 $?
check_eq lk_cache_answers '203.0.113.7 203.0.113.7' "$(jq -r .src_ip_info.lookup.ip "$T/cout" | paste -sd' ')"
check_eq lk_reload_with_lookups 'null ["hot"]' "$(jq -c .src_ip_info.lists "$T/cout" | paste -sd' ')"
check_eq lk_cache_one_request 1 "$(count | jq '.per_ip["203.0.113.7"]')"
check_eq lk_cache_hit '1 1' "$(jq -r '"\(.cache_hits) \(.lookups)"' "$T/cst")"
check lk_header_from_file grep -q from-a-file <<<"$(count | jq -c .keys)"

# 3. --unordered: ready events pass the slow one (3 needs no lookup, 2 a
# fast one), but a control line leaves only after every event before it.
{
	echo '{"n":1,"src_ip":"203.0.113.151"}'
	echo '{"n":2,"src_ip":"203.0.113.8"}'
	echo '{"n":3,"src_ip":"10.0.0.3"}'
	echo '{"@ctl":{"type":"barrier","id":1}}'
	echo '{"n":4,"src_ip":"10.0.0.4"}'
} >"$T/uin"
enrich --lookup "$URL" --unordered <"$T/uin" >"$T/uout" 2>/dev/null
check_eq lk_unordered_exit 0 $?
check_eq lk_unordered '3 2 1 B1 4' \
	"$(jq -r 'if .["@ctl"] then "B\(.["@ctl"].id)" else .n end' "$T/uout" | paste -sd' ')"
check_eq lk_unordered_nothing_lost 5 "$(wc -l <"$T/uout")"

# 4. --max-pending 4 with 12 hanging addresses and --concurrency 64: at
# most 4 events wait (reading paused), every event out with its error.
wait_until 20 '[ "$(count | jq .in_flight)" = 0 ]'
curl -s "http://127.0.0.1:$(cat "$T/port")/__reset" >/dev/null
for i in $(seq 10 21); do echo "{\"n\":$i,\"src_ip\":\"192.0.2.$i\"}"; done >"$T/pin"
enrich --lookup "$URL" --timeout 300ms --max-pending 4 --concurrency 64 \
	--failed "$T/pfailed" --stats "$T/pst" <"$T/pin" >"$T/pout" 2>/dev/null
check_eq lk_pending_exit 0 $?
check_eq lk_pending_all_out 12 "$(jq -r .n "$T/pout" | sort -n | uniq | wc -l)"
check_eq lk_pending_all_failed 12 "$(wc -l <"$T/pfailed")"
check_eq lk_pending_order "$(seq 10 21 | paste -sd' ')" "$(jq -r .n "$T/pout" | paste -sd' ')"
hung=$(count | jq '[.per_ip | to_entries[] | select(.key | startswith("192.0.2.")) | .value] | add')
check_eq lk_pending_requests 13 "$hung"   # 192.0.2.1 of part 1 too
check_eq lk_pending_peak 4 "$(stat_get "$T/pst" pending_peak)"
# the service may still count a timed-out request while the next arrives;
# without the bound all 12 would be in flight together
check lk_pending_bounded test "$(count | jq .max_in_flight)" -le 8
