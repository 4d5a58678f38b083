#!/usr/bin/env bash
# kcat-src against kafka-devbroker: flags, round trip, -o @timestamp, dead
# letters, producer keys, unknown topic, undelivered messages, EPIPE.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kcat-src.lib"

# ---- flags -------------------------------------------------------------
bad_flag() {   # NAME ARGS...: must exit 2 with exactly one line on stderr
	local name=$1; shift
	"$@" </dev/null >"$T/bf.out" 2>"$T/bf.err"
	local rc=$?
	if [ $rc -eq 2 ] && [ "$(nlines "$T/bf.err")" = 1 ]; then pass "$name"
	else fail "$name" "rc=$rc stderr=$(head -c 300 "$T/bf.err")"; fi
}
bad_flag flags_no_args kcat-src
bad_flag flags_unknown kcat-src -b x -t t --bogus
bad_flag flags_group_and_partitions kcat-src -b x -t t -G g -p 0
bad_flag flags_stored_needs_group kcat-src -b x -t t -o stored
bad_flag flags_bad_offset kcat-src -b x -t t -o yesterday
bad_flag flags_bad_partitions kcat-src -b x -t t -p 3-1
bad_flag flags_producer_with_consumer_flag kcat-src -P -b x -t t -e
bad_flag flags_key_field_needs_P kcat-src -b x -t t --key-field src_ip
bad_flag flags_bad_property kcat-src -b x -t t -X no.such.property=1
bad_flag flags_devbroker_brokers kafka-devbroker --brokers 0
# A refused secret property names the property, never the value.
kcat-src -b x -t t -X sasl.kerberos.min.time.before.relogin=S3CRET </dev/null 2>"$T/sec.err"
check flags_secret_not_echoed test $? -eq 2 -a -s "$T/sec.err"
check_eq flags_secret_value_hidden 0 "$(grep -c S3CRET "$T/sec.err")"
check flags_help kcat-src --help
check flags_version kcat-src --version

start_devbroker --brokers 3 --topic rt1:1 --topic rt4:4 --topic ts:2 \
	--topic dlq:1 --topic key:8
check devbroker_loopback_only sh -c "echo '$BS' | tr ',' '\n' | grep -qv '^127\.0\.0\.1:' && exit 1 || exit 0"

# ---- a known file round trip ----------------------------------------------
# 1000 upstream events plus lines with multibyte UTF-8, tabs and quotes.
for i in $(seq 25); do cat "$SAMPLES/upstream-events.ndjson"; done >"$T/in"
printf '%s\n' '{"src_ip":"10.9.9.9","note":"été ✓ 日本"}' \
	'{"src_ip":"10.9.9.8","q":"a\"b\\c	tab"}' '   spaced   ' >>"$T/in"
kcat-src -P -b "$BS" -t rt1 <"$T/in" 2>"$T/p1.log"
check produce_exit_0 test $? -eq 0
kcat-src -b "$BS" -t rt1 -e >"$T/out1" 2>"$T/c1.log"
check roundtrip_exit_0 test $? -eq 0
check roundtrip_byte_for_byte cmp "$T/in" <(data_lines "$T/out1")
check_eq roundtrip_one_partition_line '{"@ctl":{"type":"partition","topic":"rt1","partition":0}}' \
	"$(grep '"type":"partition"' "$T/out1")"
check_eq roundtrip_assign_line '{"@ctl":{"type":"assign","partitions":[{"topic":"rt1","partition":0}]}}' \
	"$(head -n 1 "$T/out1")"
kcat-src -P -b "$BS" -t rt4 --key-field src_ip <"$T/in" 2>/dev/null
kcat-src -b "$BS" -t rt4 -e >"$T/out4" 2>/dev/null
check_eq roundtrip_4_partitions "$(sort "$T/in" | md5sum)" "$(data_lines "$T/out4" | sort | md5sum)"
kcat-src -b "$BS" -t rt1 -e -o -5 >"$T/tail" 2>/dev/null
check_eq offset_tail "$(tail -n 5 "$T/in" | md5sum)" "$(data_lines "$T/tail" | md5sum)"
kcat-src -b "$BS" -t rt1 -e -o 1000 >"$T/abs" 2>/dev/null
check_eq offset_absolute "$(tail -n +1001 "$T/in" | md5sum)" "$(data_lines "$T/abs" | md5sum)"
kcat-src -b "$BS" -t rt1 -c 7 >"$T/cnt" 2>/dev/null
check_eq count_exit "$(head -n 7 "$T/in" | md5sum)" "$(data_lines "$T/cnt" | md5sum)"

# ---- EPIPE: exit 3 ----------------------------------------------------------
kcat-src -b "$BS" -t rt1 2>"$T/pipe.log" | head -n 1 >/dev/null
check_eq epipe_exit_3 3 "${PIPESTATUS[0]}"

# ---- -o @timestamp ----------------------------------------------------------
head -n 300 "$T/in" >"$T/tsA"; tail -n 200 "$T/in" >"$T/tsB"
kcat-src -P -b "$BS" -t ts <"$T/tsA" 2>/dev/null
sleep 0.3; TS=$(date +%s%3N); sleep 0.3
kcat-src -P -b "$BS" -t ts <"$T/tsB" 2>/dev/null
kcat-src -b "$BS" -t ts -e -o "@$TS" >"$T/tsout" 2>"$T/ts.log"
check_eq timestamp_starts_at_first_later_message \
	"$(sort "$T/tsB" | md5sum)" "$(data_lines "$T/tsout" | sort | md5sum)"

# ---- payloads that break line framing go to the dead letters ------------------
python3 - "$T/dlq.in" <<'PY'
import sys
msgs = [b'{"ok":1}', b'line one\nline two', b'nul\x00byte', b'bad \xff\xfe utf8',
        b'{"ok":2}', b'\xc3\x28', b'{"ok":3}']
open(sys.argv[1], 'wb').write(b'\x1e'.join(msgs))
PY
kcat -P -b "$BS" -t dlq -D $'\x1e' <"$T/dlq.in" 2>/dev/null
printf 'k:\n' | kcat -P -b "$BS" -t dlq -Z -K: 2>/dev/null   # a null payload
kcat-src -b "$BS" -t dlq -e --dead-letter "$T/dead" --stats "$T/stats" \
	>"$T/dlq.out" 2>"$T/dlq.log"
check dlq_exit_0 test $? -eq 0
check_eq dlq_good_lines_only "$(printf '{"ok":1}\n{"ok":2}\n{"ok":3}\n')" "$(data_lines "$T/dlq.out")"
check_eq dlq_records "4" "$(nlines "$T/dead")"
python3 - "$T/dead" "$T/dlq.in" "$T/stats" <<'PY' >"$T/dlq.check" 2>&1
import sys, json, base64
recs = [json.loads(l) for l in open(sys.argv[1])]
want = open(sys.argv[2], 'rb').read().split(b'\x1e')
bad = [m for m in want if not m.startswith(b'{"ok"')]
reasons = [r["reason"] for r in recs]
assert [r["topic"] for r in recs] == ["dlq"] * 4, recs
assert [r["offset"] for r in recs] == [1, 2, 3, 5], recs
assert all(r["partition"] == 0 for r in recs)
assert "newline" in reasons[0] and "NUL" in reasons[1], reasons
assert "UTF-8" in reasons[2] and "UTF-8" in reasons[3], reasons
raw = [base64.b64decode(r["line_base64"]) if "line_base64" in r
       else r["line"].encode() for r in recs]
assert raw == bad, (raw, bad)
st = json.loads(open(sys.argv[3]).read())
assert st["dead_letters"] == 4 and st["null_payloads"] >= 1, st
print("ok")
PY
check_eq dlq_records_exact ok "$(tail -n 1 "$T/dlq.check")"

# ---- producer --key-field: one partition per src_ip --------------------------
printf '%s\n' '{"dst_ip":"1.2.3.4"}' 'not json at all' '{"src_ip":null}' >"$T/nokey"
cat "$T/in" "$T/nokey" | kcat-src -P -b "$BS" -t key --key-field src_ip \
	--stats "$T/pstats" 2>"$T/key.log"
check key_produce_exit_0 test $? -eq 0
# unkeyed: the three above, the lines without src_ip, and the line with a
# raw TAB inside a string (not JSON, so it has no key: docs/contracts.md)
check_eq key_unkeyed_counted $(( 4 + $(grep -vc '"src_ip"' "$T/in") )) "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["unkeyed"])' "$T/pstats")"
: >"$T/keymap"
for p in 0 1 2 3 4 5 6 7; do
	kcat-src -b "$BS" -t key -p $p -e 2>/dev/null | grep -o '"src_ip":"[^"]*"' |
		sort -u | sed "s/\$/ $p/" >>"$T/keymap"
done
check_eq key_each_src_ip_one_partition "" "$(cut -d' ' -f1 "$T/keymap" | sort | uniq -d)"
check key_uses_several_partitions test "$(cut -d' ' -f2 "$T/keymap" | sort -u | wc -l)" -ge 3

# ---- fatal errors: one clear line, exit 1 --------------------------------------
kcat-src -b "$BS" -t no-such-topic -e >/dev/null 2>"$T/unk.log"
rc=$?
check_eq unknown_topic_exit_1 1 "$rc"
check unknown_topic_one_error_line test "$(grep -c '^ERROR' "$T/unk.log")" -eq 1
# Nothing listens on a fresh free port: every message times out.
DEAD=127.0.0.1:$(free_port)
head -n 5 "$T/in" | kcat-src -P -b "$DEAD" -t x -X message.timeout.ms=1500 \
	2>"$T/undeliv.log"
check_eq undelivered_exit_1 1 "$?"
check undelivered_counted grep -q '5 of 5 lines not delivered' "$T/undeliv.log"
check broker_down_is_warn grep -q '^WARN' "$T/undeliv.log"
# Authentication failure (the dev broker speaks no SASL): exit 1 with one
# ERROR line; the password, read from a -F file, appears nowhere.
printf '%s\n' '# credentials' 'security.protocol=SASL_PLAINTEXT' \
	'sasl.mechanisms=PLAIN' 'sasl.username=netwatch' 'sasl.password=hunter2-S3CRET' \
	>"$T/sasl.properties"
timeout 60 kcat-src -b "$BS" -t rt1 -e -F "$T/sasl.properties" >/dev/null 2>"$T/auth.log"
check_eq auth_failure_exit_1 1 "$?"
check auth_failure_one_error_line test "$(grep -c '^ERROR' "$T/auth.log")" -eq 1
check_eq auth_password_never_logged 0 "$(grep -c hunter2 "$T/auth.log")"
