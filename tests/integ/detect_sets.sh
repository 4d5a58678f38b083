#!/usr/bin/env bash
# detect: network sets in rules, --set, --allow and --groups over hand-made
# window records (the issue's example: exfiltration at 2 GB for the backup
# subnet, 10 MB for the payment servers), and their reload on SIGHUP.
. "$(dirname "$0")/../lib.sh"

# rec KEY_FIELD KEY COUNT BYTES: one window record.
rec() {
	printf '{"type":"window","key_field":"%s","key":"%s","window_start":1763711940000,"window_end":1763712000000,"count":%s,"sum_bytes_sent":%s}\n' "$@"
}
# What came out: "rule key host_group threshold" per alert.
summary() {
	python3 -c 'import json,sys
for l in sys.stdin:
    o = json.loads(l)
    print(o["rule"], o["key"], o.get("host_group", "-"), o["threshold"])' <"$1"
}

mkdir "$T/conf"
printf '# resolvers and the proxy\n10.0.0.53\n10.0.0.80/31\n2001:db8::53\n' >"$T/conf/trusted.txt"
printf '10.7.0.0/16   # the scanner we run ourselves\n' >"$T/allow.txt"
cat >"$T/groups.json" <<'J'
[{"name": "backup", "networks": ["10.9.0.0/16"], "thresholds": {"data_exfiltration": 2000000000}},
 {"name": "payment", "networks": ["10.50.0.0/24", "2001:db8:50::/48"], "thresholds": {"data_exfiltration": 10000000}}]
J
cat >"$T/conf/rules.json" <<'J'
{"sets": {"trusted": "trusted.txt", "backup_servers": ["10.9.0.0/16"]},
 "rules": [
  {"name": "data_exfiltration", "severity": "critical", "key_field": "src_ip",
   "when": "sum_bytes_sent > 50000000",
   "message": "DATA EXFILTRATION DETECTED! IP: {key} transferred {sum_bytes_sent} bytes in {window_seconds}s."},
  {"name": "busy_untrusted", "key_field": "dst_ip", "when": "count >= 1000 && !(dst_ip in @trusted)"},
  {"name": "backup_talker", "severity": "info", "key_field": "src_ip",
   "when": "count >= 500 && key in @backup_servers"}]}
J
R=$T/conf/rules.json

{
	rec src_ip 10.9.0.5 600 80000000          # backup, 80 MB: below its 2 GB
	rec src_ip 10.9.0.6 10 3000000000         # backup, 3 GB
	rec src_ip 10.50.0.7 10 20000000          # payment, 20 MB: above its 10 MB
	rec src_ip 2001:db8:50::9 10 9000000      # payment, 9 MB
	rec src_ip 10.1.2.3 10 40000000           # no group, 40 MB
	rec src_ip 10.1.2.4 10 60000000           # no group, 60 MB
	rec src_ip 10.7.0.1 10 900000000          # allowed
	rec dst_ip 10.0.0.53 5000 1               # trusted resolver
	rec dst_ip 10.0.0.81 5000 1               # trusted proxy (in a /31)
	rec dst_ip 10.0.0.99 5000 1
	rec dst_ip 10.7.0.2 5000 1                # allowed, whatever the key field
} >"$T/in.ndjson"
detect --rules "$R" --allow "$T/allow.txt" --groups "$T/groups.json" \
	--stats "$T/stats" <"$T/in.ndjson" >"$T/out" 2>"$T/err"
check_eq exit_0 0 $?
check_eq alerts "backup_talker 10.9.0.5 backup 500
data_exfiltration 10.9.0.6 backup 2000000000
data_exfiltration 10.50.0.7 payment 10000000
data_exfiltration 10.1.2.4 - 50000000
busy_untrusted 10.0.0.99 - 1000" "$(summary "$T/out")"
check_eq host_group_after_key '"key":"10.9.0.6","host_group":"backup","window_start"' \
	"$(grep -o '"key":"10.9.0.6","host_group":"backup","window_start"' "$T/out" | head -1)"
check_eq allowed_counted "5 2" "$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["alerts_out"], s["allowed"])' "$T/stats")"
check_eq seed_message_kept 'DATA EXFILTRATION DETECTED! IP: 10.1.2.4 transferred 60000000 bytes in 60s.' \
	"$(grep '"key":"10.1.2.4"' "$T/out" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["message"])')"

# --set for --rule; --check lists sets and groups.
printf '10.1.0.0/16\n' >"$T/mine.txt"
{ rec src_ip 10.1.2.3 5 1; rec src_ip 10.2.0.1 5 1; } |
	detect --rule 'outsider: count >= 1 && !(key in @mine)' --set "mine=$T/mine.txt" >"$T/out2" 2>/dev/null
check_eq set_flag "outsider 10.2.0.1 - 1" "$(summary "$T/out2")"
detect --check --rules "$R" --groups "$T/groups.json" </dev/null >"$T/check" 2>&1; rc=$?
check_eq check_lists "0|set @trusted: 3 networks|set @backup_servers: 1 networks|group backup: 1 threshold overrides|group payment: 1 threshold overrides|3 rules OK" \
	"$rc|$(grep -E '^(set|group|[0-9]+ rules)' "$T/check" | tr '\n' '|' | sed 's/|$//')"
printf '10.0.0.0/8\n10.1.2.3/8\n' >"$T/bad.txt"
detect --check --allow "$T/allow.txt" </dev/null >"$T/check2" 2>&1
check_eq check_allowlist "allowlist: 1 networks" "$(grep allowlist "$T/check2")"
detect --check --allow "$T/bad.txt" </dev/null >/dev/null 2>"$T/check_err"; rc=$?
check_eq bad_list_names_line "2|detect: --allow $T/bad.txt:2: '10.1.2.3/8' has host bits set (the network is 10.0.0.0/8)" \
	"$rc|$(cat "$T/check_err")"

# SIGHUP reloads the set files with the rules: a good trusted.txt trusts
# 10.0.0.99 from then on; a bad one keeps the old sets with one ERROR line.
mkfifo "$T/fifo"
detect --rules "$R" --allow "$T/allow.txt" --groups "$T/groups.json" \
	--stats "$T/hstats" <"$T/fifo" >"$T/hout" 2>"$T/herr" &
dpid=$!
at_exit "kill $dpid 2>/dev/null"
exec 3>"$T/fifo"
rec dst_ip 10.0.0.99 5000 1 >&3
wait_lines 20 "$T/hout" 1
echo 10.0.0.99 >>"$T/conf/trusted.txt"
kill -HUP $dpid
wait_for 30 grep -q 'rules reloaded' "$T/herr"
rec dst_ip 10.0.0.99 5000 1 >&3
rec src_ip 10.1.2.4 10 60000000 >&3        # a sentinel that fires
wait_lines 20 "$T/hout" 2
printf '10.0.0.53\nnot-an-address\n' >"$T/conf/trusted.txt"
kill -HUP $dpid
wait_for 30 grep -q '^ERROR' "$T/herr"
rec dst_ip 10.0.0.99 5000 1 >&3
rec src_ip 10.50.0.7 10 20000000 >&3       # payment's 10 MB still in force
exec 3>&-
wait $dpid
check_eq reload_exit 0 $?
check_eq reload_alerts "busy_untrusted 10.0.0.99 - 1000
data_exfiltration 10.1.2.4 - 50000000
data_exfiltration 10.50.0.7 payment 10000000" "$(summary "$T/hout")"
check_eq reload_one_error 1 "$(grep -c '^ERROR' "$T/herr")"
check reload_error_names_line grep -q "rules reload failed, keeping the 3 old rules: $T/conf/trusted.txt:2: 'not-an-address' is not an IPv4 or IPv6 address or network" "$T/herr"
check_eq reload_counters "1 1" "$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["reloads"], s["reload_failures"])' "$T/hstats")"
