#!/usr/bin/env bash
# detect: golden files, --check, dead letters, control lines, SIGHUP reload,
# exit statuses.
. "$(dirname "$0")/../lib.sh"
G=$ROOT/tests/golden/detect

# Golden files: built-in rules, and a rules file plus a --rule, as the
# seed wrote them (--seed-alerts: every matching window; incidents are
# tests/integ/incidents.sh's).  All records are of the first window detect
# reads, so flood's destination, busy from the start, is not a flood
# (docs/detect.md, "cold": "spike"), though the seed called it one.
detect --seed-alerts <"$G/input.ndjson" >"$T/out1" 2>"$T/err1"
check_eq golden_default_rules "$(cat "$G/expected-default.ndjson")" "$(cat "$T/out1")"
detect --seed-alerts --rules "$G/rules.json" --rule 'tiny: count < 20' <"$G/input.ndjson" \
	>"$T/out2" 2>/dev/null
check_eq golden_rules_file "$(cat "$G/expected-rules.ndjson")" "$(cat "$T/out2")"
detect --seed-alerts <"$G/input.ndjson" >"$T/out1b" 2>/dev/null
check byte_identical_runs cmp -s "$T/out1" "$T/out1b"

# The seed's message, exactly.
check_eq seed_message \
	'DATA EXFILTRATION DETECTED! IP: 10.66.0.1 transferred 490000000 bytes in 60s.' \
	"$(python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["message"])' <"$T/out1")"

# Every alert is valid JSON with the contract's fields in order, alert_id
# the FNV-1a 64 of rule, key and window_end.
check alerts_follow_contract python3 - "$T/out1" <<'PY'
import json, sys
keys = ["type","alert_id","rule","severity","key_field","key","window_start",
        "window_end","metric","value","threshold","message","aggregates"]
def fnv(s):
    h = 0xcbf29ce484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001b3) & (2**64 - 1)
    return "%016x" % h
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if "@ctl" in o:
        continue
    assert list(o) == keys, list(o)
    assert o["alert_id"] == fnv("%s\n%s\n%d" % (o["rule"], o["key"], o["window_end"]))
    assert isinstance(o["value"], (int, float)) and isinstance(o["threshold"], (int, float))
    assert "type" not in o["aggregates"] and "key" not in o["aggregates"]
    n += 1
assert n == 7, n
PY

# Control lines come out in order, between the alerts of the records around them.
check_eq control_lines_in_order \
	"$(grep -n '@ctl' "$G/input.ndjson" | cut -d: -f2-)" "$(grep '@ctl' "$T/out1")"
check_eq control_line_position "3 7" \
	"$(grep -n '@ctl' "$T/out1" | cut -d: -f1 | tr '\n' ' ' | sed 's/ $//')"

# Dead letters: bad lines go to the file with a reason, are counted, and
# processing goes on.
detect --seed-alerts --dead-letter "$T/dlq" --stats "$T/stats" <"$G/input.ndjson" >"$T/out3" 2>/dev/null
check_eq dead_letter_reasons \
	"not JSON|not a window record: \"type\" is not \"window\"" \
	"$(python3 -c 'import json,sys; print("|".join(json.loads(l)["reason"].split(":")[0] if l.startswith("{\"reason\":\"not JSON") else json.loads(l)["reason"] for l in sys.stdin))' <"$T/dlq")"
check_eq dead_letter_lines "this line is not JSON" "$(head -1 "$T/dlq" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["line"])')"
check_eq stats_counters "10 7 2 2 3" "$(python3 -c '
import json,sys; s=json.load(open(sys.argv[1]))
print(s["records_in"], s["alerts_out"], s["ctl_lines"], s["dead_letters"], s["rules"]["data_exfiltration"]["fired"])' "$T/stats")"
printf '\xff\xfe{"type":"window"\n{"type":"window","key_field":"src_ip","key":"a","window_start":0,"window_end":60000,"count":1,"sum_bytes_sent":6e7}\n' |
	detect --dead-letter "$T/dlq2" >"$T/out4" 2>/dev/null
check dead_letter_binary_kept_base64 python3 -c '
import base64, json, sys
d = json.loads(open(sys.argv[1]).readline())
assert base64.b64decode(d["line_base64"]) == b"\xff\xfe{\"type\":\"window\"", d' "$T/dlq2"
check_eq continues_after_bad_input 1 "$(grep -c '"rule":"data_exfiltration"' "$T/out4")"
head -c 2000000 /dev/zero | tr '\0' 'x' | detect --dead-letter "$T/dlq3" >/dev/null 2>&1
check_eq long_line_dead_letter "line too long" "$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["reason"])' "$T/dlq3")"

# Missing fields: the rule does not fire, a counter says so, one WARN line.
echo '{"type":"window","key_field":"src_ip","key":"a","window_start":0,"window_end":60000,"count":1}' |
	detect --rule 'x: bytes > 1' --stats "$T/stats5" >"$T/out5" 2>"$T/err5"
check_eq missing_field_counted "0 1" "$(wc -l <"$T/out5" | tr -d ' ') $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rules"]["x"]["missing_field"])' "$T/stats5")"
check_eq missing_field_warned 1 "$(grep -c 'WARN detect: rule x: a record lacks field bytes' "$T/err5")"

# --check validates without reading input: 0 for good rules, 2 for bad ones.
mkfifo "$T/never"
exec 4<>"$T/never"    # stdin that never delivers: --check must not read it
timeout 10 detect --check <&4 >"$T/check" 2>&1; rc=$?
check_eq check_default_ok "0 11 rules OK" "$rc $(tail -1 "$T/check")"
timeout 10 detect --check --rules "$G/rules.json" </dev/null >/dev/null 2>&1
check_eq check_file_ok 0 $?
echo '[{"name":"a","when":"count >"}]' >"$T/bad.json"
timeout 10 detect --check --rules "$T/bad.json" </dev/null >/dev/null 2>"$T/check_err"; rc=$?
check_eq check_bad_file "2|detect: $T/bad.json: rule \"a\": when: column 8: expected a field, a number, '(', '-' or '!', found end of expression" \
	"$rc|$(cat "$T/check_err")"
timeout 10 detect --check --rule 'x: count >= 1e' </dev/null >/dev/null 2>&1
check_eq check_bad_rule 2 $?
timeout 10 detect --check --rules "$T/nonexistent.json" </dev/null >/dev/null 2>&1
check_eq check_missing_file 2 $?
timeout 10 detect --rules "$T/bad.json" </dev/null >/dev/null 2>&1
check_eq bad_rules_exit_2 2 $?

# Flags.
out=$(detect --help); rc=$?      # captured: grep -q in a pipe could SIGPIPE it
grep -q '^usage: detect' <<<"$out"; check_eq help "0 0" "$rc $?"
check_eq version "detect (netwatch)" "$(detect --version | cut -d' ' -f1-2)"
detect --bogus </dev/null >/dev/null 2>&1; check_eq bad_flag_exit_2 2 $?
check default_rules_printed python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); assert len(d["rules"]) == 11' < <(detect --print-default-rules)
check default_rules_are_the_file cmp -s "$ROOT/detect/rules.json" <(detect --print-default-rules)

# EPIPE: the reader went away -> status 3 (the seed's alerts, one per
# record, so detect keeps writing).
yes "$(sed -n 2p "$G/input.ndjson")" | detect --seed-alerts 2>/dev/null | head -1 >/dev/null
check_eq epipe_exit_3 3 "${PIPESTATUS[1]}"

# SIGHUP: a good new file replaces the rules; a bad one keeps them with one
# ERROR line (the seed's alerts: one per matching record).
rec='{"type":"window","key_field":"src_ip","key":"h","window_start":0,"window_end":60000,"count":50}'
echo '[{"name":"old","when":"count > 10"}]' >"$T/r.json"
mkfifo "$T/in"
detect --seed-alerts --rules "$T/r.json" --stats "$T/hstats" <"$T/in" >"$T/hout" 2>"$T/herr" &
dpid=$!
at_exit "kill $dpid"
exec 3>"$T/in"
echo "$rec" >&3
wait_lines 20 "$T/hout" 1
echo '[{"name":"new","when":"count > 20"},{"name":"newer","when":"count > 100"}]' >"$T/r.json"
kill -HUP $dpid
wait_for 30 grep -q 'rules reloaded' "$T/herr"
echo "$rec" >&3
wait_lines 20 "$T/hout" 2
echo '[{"name":"broken","when":"count >>> 1"}]' >"$T/r.json"
kill -HUP $dpid
wait_for 30 grep -q 'ERROR' "$T/herr"
echo "$rec" >&3
exec 3>&-
wait $dpid; rc=$?
check_eq reload_exit 0 $rc
check_eq reload_rules "old new new" "$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["rule"] for l in sys.stdin))' <"$T/hout")"
check_eq reload_one_error_line 1 "$(grep -c '^ERROR' "$T/herr")"
check reload_error_names_rule grep -q 'rules reload failed, keeping the 2 old rules: .*rule "broken": when: column 8' "$T/herr"

# SIGTERM: finish, flush, status 0.
detect <&4 >/dev/null 2>&1 &
spid=$!
check sigterm_handler_installed wait_handler 20 $spid
kill -TERM $spid; wait $spid
check_eq sigterm_exit_0 0 $?
