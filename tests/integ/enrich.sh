#!/usr/bin/env bash
# enrich as a program: GeoIP and ASN facts from small MaxMind databases
# built here (IPv4 and IPv6, every field), scopes, the three list formats,
# identity by exact address and by network from CSV and JSON lines, dead
# letters, control lines in order, stats, and SIGHUP with a good and then a
# bad file.
. "$(dirname "$0")/../lib.sh"

out=$(enrich --help) && grep -q -- '--geoip FILE' <<<"$out" && pass enr_help || fail enr_help
enrich --bogus </dev/null >/dev/null 2>"$T/e"; check_eq enr_bad_flag 2 $?
check_eq enr_bad_flag_one_line 1 "$(wc -l <"$T/e")"
enrich --list nofile </dev/null >/dev/null 2>&1; check_eq enr_bad_list_flag 2 $?
enrich --field a.b </dev/null >/dev/null 2>&1; check_eq enr_bad_field 2 $?

perl "$ROOT/tests/integ/enrich_mmdb.pl" "$T"; check_eq enr_mmdb_built 0 $?
printf '; Spamhaus DROP List\n81.2.69.0/24 ; SBL100\n2a06:5280::/29 ; SBL200\n' >"$T/drop.txt"
printf '#\n# firehol_level1\n#\n2001:218::/32\n198.51.100.7\n' >"$T/l1.netset"
printf '# blocked\n10.9.9.9\n' >"$T/plain.txt"
printf 'ip_or_cidr,host,user,owner,team\n10.0.0.0/8,,,netops,infra\n10.1.2.3,build-7,alice,platform,"infra, core"\nfd00::/8,,,lab,research\n' >"$T/id.csv"
printf '{"ip":"192.168.1.0/24","owner":"office","team":"it"}\n{"ip":"192.168.1.20","host":"pc20","user":"bob"}\n' >"$T/id.jsonl"

enrich --geoip "$T/city.mmdb" --asn "$T/asn.mmdb" --list drop="$T/drop.txt" \
	--list l1="$T/l1.netset" --list plain="$T/plain.txt" --identity "$T/id.csv" \
	--check >"$T/check" 2>&1
check_eq enr_check "geoip $T/city.mmdb: Test-City
asn $T/asn.mmdb: Test-ASN
list drop $T/drop.txt: 2 networks
list l1 $T/l1.netset: 2 networks
list plain $T/plain.txt: 1 networks
identity $T/id.csv: 3 entries" "$(cat "$T/check")"

{
	echo '{"src_ip":"81.2.69.160","dst_ip":"2001:218:1::5","n":1}'
	echo '{"src_ip":"10.1.2.3","dst_ip":"10.200.0.1"}'
	echo '{"@ctl":{"type":"barrier","id":3}}'
	echo '{"src_ip":"fd00::9","dst_ip":"fe80::1","x":[1]}'
	echo '{"src_ip":"10.9.9.9","dst_ip":"127.0.0.1"}'
	echo '{"src_ip":"not an ip","dst_ip":42,"m":"x"}'
	echo 'not json'
	echo '{"src_ip":"1.1.1.1","src_ip_info":{}}'
	echo '[1,2]'
	echo '{}'
} >"$T/in"
enrich --geoip "$T/city.mmdb" --asn "$T/asn.mmdb" --list drop="$T/drop.txt" \
	--list l1="$T/l1.netset" --list plain="$T/plain.txt" --identity "$T/id.csv" \
	--dead-letter "$T/dl" --stats "$T/stats" <"$T/in" >"$T/out" 2>"$T/err"
check_eq enr_exit 0 $?
check_eq enr_ipv4_geo_asn_list '{"scope":"public","country":"GB","city":"London","lat":51.5142,"lon":-0.0931,"asn":20712,"as_org":"Andrews & Arnold Ltd","lists":["drop"]}' \
	"$(sed -n 1p "$T/out" | jq -c .src_ip_info)"
check_eq enr_ipv6_geo_asn_list '{"scope":"public","country":"JP","city":"Tokyo","lat":35.685,"lon":139.7514,"asn":2914,"as_org":"NTT America, Inc.","lists":["l1"]}' \
	"$(sed -n 1p "$T/out" | jq -c .dst_ip_info)"
check_eq enr_members_kept '{"src_ip":"81.2.69.160","dst_ip":"2001:218:1::5","n":1}' \
	"$(sed -n 1p "$T/out" | jq -c '{src_ip,dst_ip,n}')"
check_eq enr_identity_exact '{"scope":"private","host":"build-7","user":"alice","owner":"platform","team":"infra, core"}' \
	"$(sed -n 2p "$T/out" | jq -c .src_ip_info)"
check_eq enr_identity_cidr '{"scope":"private","owner":"netops","team":"infra"}' \
	"$(sed -n 2p "$T/out" | jq -c .dst_ip_info)"
check_eq enr_ctl_in_place '{"@ctl":{"type":"barrier","id":3}}' "$(sed -n 3p "$T/out")"
check_eq enr_ipv6_scopes '{"scope":"private","owner":"lab","team":"research"}|{"scope":"link-local"}' \
	"$(sed -n 4p "$T/out" | jq -c .src_ip_info)|$(sed -n 4p "$T/out" | jq -c .dst_ip_info)"
check_eq enr_plain_list_loopback '["plain"]|loopback' \
	"$(sed -n 5p "$T/out" | jq -c .src_ip_info.lists)|$(sed -n 5p "$T/out" | jq -r .dst_ip_info.scope)"
check_eq enr_not_ip_passes '{"src_ip":"not an ip","dst_ip":42,"m":"x"}' "$(sed -n 6p "$T/out")"
check_eq enr_empty_object '{}' "$(sed -n 7p "$T/out")"
check_eq enr_lines_out 7 "$(wc -l <"$T/out")"
jq -e . "$T/out" >/dev/null; check_eq enr_output_json 0 $?
check_eq enr_dead_letters 'invalid JSON|src_ip_info is already there (enriched twice?)|not a JSON object' \
	"$(jq -r .reason "$T/dl" | paste -sd'|')"
check_eq enr_stats "6 8 2 2 3 4 6 2 3" "$(jq -r '[.events,.fields_enriched,.geo_hits,.asn_hits,.list_hits,.identity_hits,.not_public,.not_ip,.dead_letters]|map(tostring)|join(" ")' "$T/stats")"

# Identity as JSON lines: the host address's entry beats its network's
# (the longest prefix wins whole; entries are not merged).
printf '{"src_ip":"192.168.1.20","dst_ip":"192.168.1.21"}\n' |
	enrich --identity "$T/id.jsonl" >"$T/jout" 2>/dev/null
check_eq enr_identity_jsonl '{"scope":"private","host":"pc20","user":"bob"}|{"scope":"private","owner":"office","team":"it"}' \
	"$(jq -c .src_ip_info "$T/jout")|$(jq -c .dst_ip_info "$T/jout")"

# A bad file at start: exit 2 with file:line.
printf 'ip_or_cidr,host\n10.0.0.1,a\n10.0.0.1,b\n' >"$T/dup.csv"
enrich --identity "$T/dup.csv" </dev/null >/dev/null 2>"$T/e"; check_eq enr_bad_start 2 $?
check enr_bad_start_names_line grep -q "dup.csv:3: 10.0.0.1/32 is also on line 2" "$T/e"

# SIGHUP: a good list file is swapped in, a bad one keeps the old data
# with one ERROR line naming file:line.
mkfifo "$T/fifo"
echo 203.0.113.1 >"$T/hot.txt"
enrich --list hot="$T/hot.txt" --stats "$T/hstats" <"$T/fifo" >"$T/hout" 2>"$T/herr" &
epid=$!
at_exit "kill $epid 2>/dev/null"
exec 3>"$T/fifo"
ev() { echo "{\"src_ip\":\"$1\"}" >&3; }
wait_for 20 grep -q started "$T/herr"
ev 203.0.113.2
wait_lines 20 "$T/hout" 1
echo 203.0.113.2 >>"$T/hot.txt"
kill -HUP $epid
wait_for 20 grep -q reloaded "$T/herr"
ev 203.0.113.2
wait_lines 20 "$T/hout" 2
printf '203.0.113.3\n203.0.113.999\n' >"$T/hot.txt"
kill -HUP $epid
wait_for 20 grep -q '^ERROR' "$T/herr"
ev 203.0.113.2
ev 203.0.113.3
exec 3>&-
wait $epid
check_eq reload_exit 0 $?
check_eq reload_lists 'null|["hot"]|["hot"]|null' "$(jq -c .src_ip_info.lists "$T/hout" | paste -sd'|')"
check_eq reload_one_error 1 "$(grep -c '^ERROR' "$T/herr")"
check reload_error_names_line grep -q "reload failed, keeping the old data: $T/hot.txt:2: '203.0.113.999' is not an IPv4 or IPv6 address or network" "$T/herr"
check_eq reload_counters "1 1" "$(jq -r '"\(.reloads) \(.reload_failures)"' "$T/hstats")"
