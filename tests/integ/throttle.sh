#!/usr/bin/env bash
# throttle against a real redis-server: claims, repeats, TTL, replays,
# templates, pipelining, unix socket, passwords, bad URLs, signals.
. "$(dirname "$0")/../lib.sh"

# Every foreground run is bounded; background runs use $BIN/throttle itself
# (so signals reach it) and are waited for with a limit.
throttle() { timeout -k 5 60 "$BIN/throttle" "$@"; }

# alert ID KEY [RULE]: one alert line as detect writes it.
alert() {
	printf '{"type":"alert","alert_id":"%s","rule":"%s","severity":"critical","key_field":"src_ip","key":"%s","window_start":1763711940000,"window_end":1763712000000,"metric":"sum_bytes_sent","value":61234567,"threshold":50000000,"message":"DATA EXFILTRATION DETECTED! IP: %s transferred 61234567 bytes in 60s.","aggregates":{"count":3}}\n' \
		"$1" "${3:-data_exfiltration}" "$2" "$2"
}
ctl() { printf '{"@ctl":{"type":"barrier","id":%s}}\n' "$1"; }
ids() { grep -o '"alert_id":"[^"]*"' "$1" | cut -d'"' -f4 | tr '\n' ' '; }
lines() { [ -f "$1" ] && wc -l <"$1" | tr -d ' ' || echo 0; }
# wait_exit PID: its exit status, waiting at most 30 s (then SIGKILL).
wait_exit() {
	wait_gone 30 "$1" || kill -9 "$1"
	wait "$1"
}

start_redis || { fail throttle_redis_start "redis-server did not start"; exit 1; }
export REDIS_URL
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

# --- first alert passes, a repeat is suppressed, a replay passes -----------
{
	alert a1 10.0.0.5
	alert a2 10.0.0.5
	ctl 1
	alert a1 10.0.0.5
	alert b1 10.0.0.6
	echo 'not json'
	echo
} >"$T/in1"
throttle --suppressed "$T/supp1" --dead-letter "$T/dlq1" --stats "$T/stats1" \
	<"$T/in1" >"$T/out1" 2>"$T/err1"
check_eq throttle_basic_exit 0 $?
{ alert a1 10.0.0.5; ctl 1; alert a1 10.0.0.5; alert b1 10.0.0.6; } >"$T/want1"
check throttle_basic_output_exact_bytes cmp -s "$T/want1" "$T/out1"
check_eq throttle_suppressed_side_output "$(alert a2 10.0.0.5)" "$(cat "$T/supp1")"
check throttle_suppressed_info_line grep -q \
	'^INFO throttle: alert suppressed key=alert:throttle:10.0.0.5 rule=data_exfiltration alert_id=a2 held_by=a1$' "$T/err1"
check_eq throttle_suppressed_logged_once 1 "$(grep -c 'alert suppressed' "$T/err1")"
check_eq throttle_dead_letter_counted 1 "$(lines "$T/dlq1")"
check throttle_dead_letter_reason grep -q '"reason":"invalid JSON","line":"not json"' "$T/dlq1"
check_eq throttle_redis_holds_first_id a1 "$(rcli get alert:throttle:10.0.0.5)"
pttl=$(rcli pttl alert:throttle:10.0.0.5)
check throttle_ttl_is_15_minutes test "$pttl" -gt 890000 -a "$pttl" -le 900000
check throttle_stats_counters python3 -c '
import json,sys; s=json.load(open(sys.argv[1]))
assert s["alerts"]==4 and s["passed"]==3 and s["suppressed"]==1, s
assert s["replayed"]==1 and s["ctl_lines"]==1 and s["dead_letters"]==1, s
assert s["blank"]==1 and s["redis_up"]==1 and s["mode"]=="open", s' "$T/stats1"

# --- a replay in a later run (after a crash) passes; another id does not ---
{ alert a1 10.0.0.5; alert a3 10.0.0.5; } | throttle >"$T/out2" 2>"$T/err2"
check_eq throttle_replay_across_runs "a1 " "$(ids "$T/out2")"

# --- a short TTL: a repeat inside it is suppressed, after it passes -------
# t3 goes in once t2 was suppressed and redis has let t1's claim expire.
{
	alert t1 10.1.1.1; alert t2 10.1.1.1
	wait_for 20 grep -q 'alert suppressed.* alert_id=t2' "$T/err3"
	wait_until 20 '[ "$(rcli exists alert:throttle:10.1.1.1)" = 0 ]'
	alert t3 10.1.1.1
} | throttle --ttl 1 >"$T/out3" 2>"$T/err3"
check_eq throttle_short_ttl_expires "t1 t3 " "$(ids "$T/out3")"

# --- key template placeholders ------------------------------------------
alert k1 10.2.2.2 port_scan |
	throttle --key-template 'nw:{rule}:{key_field}:{key}:{{x}}' >/dev/null 2>&1
check_eq throttle_key_template k1 "$(rcli get 'nw:port_scan:src_ip:10.2.2.2:{x}')"
throttle --key-template 'x:{src}' </dev/null >/dev/null 2>"$T/err4"
check_eq throttle_bad_template_exit 2 $?
check throttle_bad_template_message grep -q 'unknown placeholder {src}' "$T/err4"

# --- a database index the server does not have: a config error ----------
alert x1 10.2.2.3 | REDIS_URL=redis://127.0.0.1:$REDIS_PORT/99 throttle \
	>"$T/out4b" 2>"$T/err4b"
check_eq throttle_bad_db_exit_1 1 $?
check throttle_bad_db_message grep -q "^ERROR throttle: redis at redis://127.0.0.1:$REDIS_PORT/99: SELECT refused: ERR DB index" "$T/err4b"

# --- an error reply (the key holds a list) is no verdict: memory decides --
rcli rpush alert:throttle:10.7.7.7 x >/dev/null
{ alert w1 10.7.7.7; alert w2 10.7.7.7; } | throttle >"$T/out4c" 2>"$T/err4c"
check_eq throttle_error_reply_local_dedup "w1 " "$(ids "$T/out4c")"
check_eq throttle_error_reply_warn_once 1 "$(grep -c '^WARN throttle: redis error reply for key=alert:throttle:10.7.7.7, decided in memory: WRONGTYPE' "$T/err4c")"

# --- a burst is pipelined and keeps input order ---------------------------
python3 - "$T/burst" "$T/burst_want" <<'EOF'
import sys
line = ('{"type":"alert","alert_id":"%s","rule":"r","severity":"low",'
        '"key_field":"src_ip","key":"%s","window_end":1}')
with open(sys.argv[1], "w") as f, open(sys.argv[2], "w") as w:
    for i in range(3000):
        key = "10.9.%d.%d" % (i % 1000 // 250, i % 1000 % 250)
        l = line % ("burst%05d" % i, key)
        f.write(l + "\n")
        if i < 1000:
            w.write(l + "\n")
        if i % 100 == 0:
            c = '{"@ctl":{"type":"barrier","id":%d}}' % i
            f.write(c + "\n"); w.write(c + "\n")
EOF
throttle --stats "$T/stats5" <"$T/burst" >"$T/out5" 2>"$T/err5"
check throttle_burst_order cmp -s "$T/burst_want" "$T/out5"
check throttle_burst_pipelined python3 -c '
import json,sys; s=json.load(open(sys.argv[1]))
assert s["alerts"]==3000 and s["suppressed"]==2000, s
assert 0 < s["round_trips"] <= 30, s' "$T/stats5"

# --- a single alert goes out at once, without waiting for a batch ---------
mkfifo "$T/fifo6"
"$BIN/throttle" <"$T/fifo6" >"$T/out6" 2>"$T/err6" &
pid6=$!
at_exit "kill $pid6"
exec 3>"$T/fifo6"
alert s1 10.3.3.3 >&3
check throttle_single_alert_not_held wait_for 5 grep -q s1 "$T/out6"
kill -TERM "$pid6"
wait_exit "$pid6"
check_eq throttle_sigterm_exit_0 0 $?
exec 3>&-

# --- EPIPE: the reader went away ------------------------------------------
for i in $(seq 1 20000); do alert "e$i" "10.4.$((i / 250)).$((i % 250))"; done >"$T/in7"
throttle --ttl 5 <"$T/in7" 2>"$T/err7" | head -n 1 >/dev/null
check_eq throttle_epipe_exit_3 3 "${PIPESTATUS[0]}"

# --- unix socket, with a database number ----------------------------------
sock="$T/redis.sock"
redis-server --port 0 --unixsocket "$sock" --save '' --appendonly no \
	--dir "$T" >"$T/redis-unix.log" 2>&1 &
upid=$!
at_exit "kill $upid"
if wait_for 30 redis-cli -s "$sock" ping; then
	alert u1 10.5.5.5 | REDIS_URL="unix://$sock?db=2" throttle >"$T/out8" 2>"$T/err8"
	check_eq throttle_unix_socket_passes "u1 " "$(ids "$T/out8")"
	check_eq throttle_unix_socket_db2 u1 "$(redis-cli -s "$sock" -n 2 get alert:throttle:10.5.5.5)"
	check throttle_unix_socket_logged grep -q "connected to unix://$sock?db=2" "$T/err8"
else
	fail throttle_unix_socket "redis-server on a unix socket did not start"
fi

# --- password: right, wrong, missing; never in stderr ---------------------
pw='s3cret-Pa55'
REDIS_CLI_AUTH="-a $pw --no-auth-warning" start_redis --requirepass "$pw"
alert p1 10.6.6.6 | REDIS_URL="redis://:$pw@127.0.0.1:$REDIS_PORT/1" throttle \
	>"$T/out9" 2>"$T/err9"
check_eq throttle_password_ok "p1 " "$(ids "$T/out9")"
check_eq throttle_password_db1 p1 "$(redis-cli -p "$REDIS_PORT" -a "$pw" --no-auth-warning -n 1 get alert:throttle:10.6.6.6)"
# a named user (ACL) authenticates with user and password
upw='u-Pa55-w0rd'
redis-cli -p "$REDIS_PORT" -a "$pw" --no-auth-warning \
	ACL SETUSER nw-user on ">$upw" '~*' '+@all' >/dev/null
alert p5 10.6.6.8 | REDIS_URL="redis://nw-user:$upw@127.0.0.1:$REDIS_PORT/3" \
	throttle >"$T/out9b" 2>"$T/err9b"
check_eq throttle_user_password_ok "p5 " "$(ids "$T/out9b")"
check_eq throttle_user_password_db3 p5 "$(redis-cli -p "$REDIS_PORT" -a "$pw" --no-auth-warning -n 3 get alert:throttle:10.6.6.8)"
alert p2 10.6.6.6 | REDIS_URL="redis://default:wrong-pw@127.0.0.1:$REDIS_PORT" \
	throttle >"$T/out10" 2>"$T/err10"
check_eq throttle_wrong_password_exit_1 1 $?
check throttle_wrong_password_message grep -q '^ERROR throttle: redis at redis://127.0.0.1:[0-9]*: AUTH refused: WRONGPASS' "$T/err10"
check_eq throttle_wrong_password_no_output 0 "$(lines "$T/out10")"
alert p3 10.6.6.6 | REDIS_URL="redis://127.0.0.1:$REDIS_PORT" throttle \
	>/dev/null 2>"$T/err11"
check_eq throttle_missing_password_exit_1 1 $?
check throttle_missing_password_message grep -q 'PING refused: NOAUTH' "$T/err11"
alert p4 10.6.6.7 | throttle --redis-url "redis://:$pw@127.0.0.1:$REDIS_PORT" \
	>"$T/out12" 2>"$T/err12"
check_eq throttle_password_in_argv_works "p4 " "$(ids "$T/out12")"
check throttle_password_in_argv_warned grep -q 'prefer REDIS_URL' "$T/err12"
check throttle_password_never_logged bash -c "! cat '$T'/err* | grep -q -e '$pw' -e wrong-pw -e '$upw'"

# --- bad URLs and flags: one clear line, status 2 -------------------------
for u in 'http://127.0.0.1' 'redis://h:99999' 'redis://:pw@' 'redis://h/x' 'unix://rel.sock'; do
	REDIS_URL=$u throttle </dev/null >/dev/null 2>"$T/err13"
	rc=$?
	if [ $rc = 2 ] && [ "$(lines "$T/err13")" = 1 ] && grep -q '^throttle: bad REDIS_URL: ' "$T/err13"; then
		pass "throttle_bad_url $u"
	else
		fail "throttle_bad_url $u" "status $rc: $(cat "$T/err13")"
	fi
done
throttle --redis-url 'redis://:hunter2@:1' </dev/null >/dev/null 2>"$T/err14"
check_eq throttle_bad_url_flag_exit_2 2 $?
check throttle_bad_url_hides_password bash -c "! grep -q hunter2 '$T/err14'"
throttle --on-redis-down maybe </dev/null >/dev/null 2>"$T/err15"
check_eq throttle_bad_mode_exit_2 2 $?
throttle --ttl 0 </dev/null >/dev/null 2>&1
check_eq throttle_bad_ttl_exit_2 2 $?
throttle --no-such-flag </dev/null >/dev/null 2>&1
check_eq throttle_bad_flag_exit_2 2 $?
out=$(throttle --help); rc=$?    # captured: grep -q in a pipe could SIGPIPE it
grep -q -- '--on-redis-down' <<<"$out"
check_eq throttle_help "0 0" "$rc $?"
check_eq throttle_version "throttle (netwatch)" "$(throttle --version | cut -d' ' -f1-2)"
