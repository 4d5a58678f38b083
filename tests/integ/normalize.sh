#!/usr/bin/env bash
# normalize as a program: flags, --check and --print-builtin, dead letters
# with their reasons, control lines in order, stats, --unmatched, and
# firewall logs through normalize | window | detect to a port_scan alert.
. "$(dirname "$0")/../lib.sh"

out=$(normalize --help) && grep -q -- '--patterns FILE' <<<"$out" && pass nz_help || fail nz_help
out=$(normalize --version) && grep -q '^normalize (netwatch)' <<<"$out" && pass nz_version || fail nz_version
normalize --bogus </dev/null >/dev/null 2>"$T/e"; check_eq nz_bad_flag 2 $?
check_eq nz_bad_flag_one_line 1 "$(wc -l <"$T/e")"
normalize --format xml </dev/null >/dev/null 2>&1; check_eq nz_bad_format 2 $?
normalize --tz Mars/Olympus </dev/null >/dev/null 2>"$T/e"; check_eq nz_bad_tz 2 $?
check nz_bad_tz_says_so grep -q 'unknown zone' "$T/e"

# --check: the built-in patterns, then a broken file named with its error.
normalize --check >"$T/check" 2>&1; check_eq nz_check_ok 0 $?
check nz_check_lists grep -q '^netfilter ' "$T/check"
echo '[{"name":"x","regex":"(unclosed"}]' >"$T/bad.json"
normalize --check --patterns "$T/bad.json" >/dev/null 2>"$T/e"; check_eq nz_check_bad 2 $?
check nz_check_bad_names_file grep -q "bad.json: pattern \"x\": regex: column" "$T/e"
normalize --print-builtin >"$T/builtin.json"
check_eq nz_print_builtin "$(jq -cS . "$ROOT/normalize/patterns.json")" "$(jq -cS . "$T/builtin.json")"

# One line out per line in, dead letters with reasons, control lines in
# their place, counters in the stats file.
{
	echo '<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 - first'
	echo '{"@ctl":{"type":"barrier","id":7}}'
	echo '<192>1 - - - - - - bad pri'
	echo '<13>1 2003-02-30T00:00:00Z h a - - - impossible date'
	printf 'May 27 10:00:00 h t: caf\xe9\n'
	echo 'May 27 10:00:00 gw sshd[1]: Invalid user bob from 203.0.113.9 port 5'
	echo 'just text'
} >"$T/in"
normalize --tz UTC --year 2026 --dead-letter "$T/dl" --stats "$T/stats" \
	<"$T/in" >"$T/out" 2>"$T/err"
check_eq nz_exit 0 $?
check_eq nz_lines_out 4 "$(wc -l <"$T/out")"
check_eq nz_ctl_in_place '{"@ctl":{"type":"barrier","id":7}}' "$(sed -n 2p "$T/out")"
check_eq nz_dead_letter_reasons "invalid PRI|invalid timestamp|no syslog header (--format none takes bare messages)" \
	"$(jq -r .reason "$T/dl" | paste -sd '|')"
check_eq nz_invalid_utf8_kept 1 "$(grep -c '"raw_base64"' "$T/out")"
check_eq nz_pattern_fields "sshd_invalid_user bob 203.0.113.9 5" \
	"$(grep sshd "$T/out" | jq -r '"\(.pattern) \(.user) \(.src_ip) \(.src_port)"')"
check_eq nz_stats "7 4 3 1 1" "$(jq -r '"\(.lines_in) \(.lines_out) \(.dead_letters) \(.ctl_lines) \(.matched)"' "$T/stats")"

# --unmatched dead-letter diverts what no pattern matches; --format none
# takes any line as a message.
echo 'May 27 10:00:00 h t: nothing to match' |
	normalize --unmatched dead-letter --dead-letter "$T/dl2" >/dev/null 2>&1
check_eq nz_unmatched_dead_letter "no pattern matched" "$(jq -r .reason "$T/dl2")"
check_eq nz_format_none "just text" "$(echo 'just text' | normalize --format none 2>/dev/null | jq -r .message)"

# The log path: netfilter drops of a port scan become telemetry events,
# and window | detect fire the built-in port_scan rule on them.
for i in $(seq 1 40); do
	printf 'Dec  1 08:00:%02d fw kernel: DROP: IN=eth0 OUT= SRC=203.0.113.9 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=1 DF PROTO=TCP SPT=40000 DPT=%d WINDOW=29200 RES=0x00 SYN URGP=0\n' $((i % 60)) $((1000 + i))
done >"$T/fw.log"
echo 'Dec  1 08:05:00 fw kernel: IN=eth0 OUT= SRC=198.51.100.1 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=1 DF PROTO=TCP SPT=40000 DPT=443 WINDOW=29200 RES=0x00 ACK URGP=0' >>"$T/fw.log"
normalize --tz UTC --year 2026 <"$T/fw.log" 2>/dev/null |
	window --key src_ip 2>/dev/null | detect 2>/dev/null >"$T/alerts"
check_eq nz_log_path_alert "port_scan 203.0.113.9" \
	"$(jq -r '"\(.rule) \(.key)"' "$T/alerts" | sort -u)"
