#!/usr/bin/env bash
# notify against a local receiver: retries across 500s, 429 waits (header and
# Discord body), 400 dead-lettered, hang -> timeout -> retry, no redirects,
# replayed ids not posted twice, drain timeout, SIGTERM, and the secret URL
# in no log line.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/tools/webhook.sh"

SECRET=T0pS3cretT0kenXYZ123
start_webhook 200
export WEBHOOK_URL=$WH_BASE/hooks/$SECRET
LOGS=()
# run NAME [flags...] < input: stdout in $T/NAME.out, stderr in $T/NAME.err
run() {
	local name=$1; shift
	LOGS+=("$T/$name.err" "$T/$name.out")
	notify --retry-min 50ms --retry-max 400ms --rate 50/s "$@" \
		>"$T/$name.out" 2>"$T/$name.err"
}
status_count() { grep -c "\"status\":\"$2\"" "$T/$1.out"; }
# Seconds between receiver requests i and i+1 (0-based).
gap() {
	python3 - "$WH_LOG" "$1" <<'PY'
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1])]
i = int(sys.argv[2]); print("%.3f" % (t[i + 1] - t[i]))
PY
}
ge() { python3 -c "import sys; sys.exit(0 if float('$1') >= float('$2') else 1)"; }

# 1. Transient 500s: every alert delivered exactly once.
mkalerts 30 t >"$T/a30"
wh_steps 500,200,500,500,200
run retry500 --spool "$T/sp1" <"$T/a30"
check_eq notify_500_exit 0 $?
check_eq notify_500_all_delivered 30 "$(status_count retry500 delivered)"
check_eq notify_500_exactly_once "$(cut -c1-20 "$T/a30" >/dev/null; seq 0 29 | awk '{printf "t%08x\n", $1}')" \
	"$(wh_ids | sort)"
check notify_500_retries_logged grep -q 'post failed, retrying in .*status=500' "$T/retry500.err"
# Each post says which alert it is: Idempotency-Key "<alert_id>", or for
# a digest "digest-" and 16 hex digits.
check_eq notify_idempotency_key_on_every_post "" "$(wh_keys | awk '
	NF == 2 && $1 != $2 { print "single:", $0 }
	NF > 2 && $1 !~ /^digest-[0-9a-f]{16}$/ { print "digest:", $0 }')"
check notify_idempotency_key_seen test "$(wh_keys | wc -l)" -gt 0

# 2. The same alerts again on the same spool: duplicates, nothing posted.
n0=$(wh_count)
run replay --spool "$T/sp1" <"$T/a30"
check_eq notify_replay_duplicates 30 "$(status_count replay duplicate)"
check_eq notify_replay_posts_nothing "$n0" "$(wh_count)"

# 3. 429 with Retry-After: the retry waits at least that long.
: >"$WH_LOG"; wh_steps 429:2,200
mkalerts 1 r >"$T/a1"
run r429 --spool "$T/sp2" <"$T/a1"
check_eq notify_429_delivered 1 "$(status_count r429 delivered)"
g=$(gap 0); ge "$g" 2.0 && pass notify_429_header_waited || fail notify_429_header_waited "gap ${g}s < 2s"

# 4. 429 with Discord's body (retry_after in seconds, a float).
: >"$WH_LOG"; wh_steps 429body:1.5,200
mkalerts 1 d >"$T/d1"
run r429b --spool "$T/sp3" --format discord <"$T/d1"
check_eq notify_429body_delivered 1 "$(status_count r429b delivered)"
g=$(gap 0); ge "$g" 1.5 && pass notify_429_body_waited || fail notify_429_body_waited "gap ${g}s < 1.5s"
check notify_discord_payload python3 -c "
import json,sys; r=[json.loads(l) for l in open('$WH_LOG')][-1]
b=json.loads(r['body']); assert b['content'].startswith('🚨 **PORT SCAN')"

# 5. 400: dead-lettered with the status and the start of the body.
: >"$WH_LOG"; wh_steps 400
mkalerts 2 x >"$T/x2"
run r400 --spool "$T/sp4" --dead-letter "$T/dl400" <"$T/x2"
check_eq notify_400_exit 0 $?
check_eq notify_400_dead_records 2 "$(grep -c '"status":"dead","attempts":1,"http_status":400' "$T/r400.out")"
check_eq notify_400_dead_letters 2 "$(grep -c 'webhook answered 400: error 400: invalid_payload' "$T/dl400")"
check notify_400_error_logged grep -q '^ERROR notify: webhook rejected' "$T/r400.err"
check_eq notify_400_no_retry 2 "$(wh_count)"   # one post per alert

# 6. A redirect is not followed: dead, one request.
: >"$WH_LOG"; wh_steps redirect
run r302 --spool "$T/sp5" <"$T/a1"
check_eq notify_redirect_dead 1 "$(grep -c '"status":"dead".*"http_status":302' "$T/r302.out")"
check_eq notify_redirect_not_followed 1 "$(wh_count)"

# 7. A receiver that hangs: timeout, then a retry that succeeds.
: >"$WH_LOG"; wh_steps hang:3,200
run hang --spool "$T/sp6" --timeout 1s <"$T/a1"
check_eq notify_hang_retried '{"type":"delivery","alert_id":"r00000000","status":"delivered","attempts":2,"http_status":200}' "$(cat "$T/hang.out")"
check notify_hang_timeout_logged grep -q 'error="Operation timed out' "$T/hang.err"

# 8. Drain timeout: end of input with the receiver failing exits 4 and
#    keeps the alert; the next start delivers it from the spool.
: >"$WH_LOG"; wh_steps 500
{ cat "$T/a1"; echo '{"@ctl":{"type":"barrier","id":42}}'; } >"$T/a1b"
run drain --spool "$T/sp7" --drain-timeout 1s --barrier-file "$T/barrier" <"$T/a1b"
check_eq notify_drain_exit_4 4 $?
# The barrier is complete: its alert is durably spooled, though undelivered.
check_eq notify_barrier_complete_when_spooled 42 "$(cat "$T/barrier")"
check_eq notify_ctl_not_forwarded 0 "$(grep -c '@ctl' "$T/drain.out")"
wh_steps 200
run drain2 --spool "$T/sp7" </dev/null
check_eq notify_drain_restart_exit 0 $?
check_eq notify_drain_restart_delivered 1 "$(status_count drain2 delivered)"

# 9. SIGTERM: stop reading, finish the post in flight, exit 0, rest spooled.
: >"$WH_LOG"; wh_steps hang:1,200
mkfifo "$T/fifo"
notify --rate 50/s --spool "$T/sp8" <"$T/fifo" >"$T/term.out" 2>"$T/term.err" &
npid=$!
LOGS+=("$T/term.err" "$T/term.out")
exec 7>"$T/fifo"
mkalerts 3 s >&7
wait_for 30 wh_atleast 1
kill -TERM $npid; wait $npid
check_eq notify_sigterm_exit 0 $?
exec 7>&-
check_eq notify_sigterm_finished_inflight 1 "$(status_count term delivered)"
wh_steps 200
run term2 --spool "$T/sp8" </dev/null
check_eq notify_sigterm_rest_spooled "s00000001 s00000002" \
	"$(grep -o '"alert_id":"[^"]*","status":"delivered"' "$T/term2.out" | cut -d'"' -f4 | sort | xargs)"

# 11. Back-pressure: with --max-queue 50 notify pauses reading, and resumes
#     from lines already in its buffer while the writer stays quiet.
: >"$WH_LOG"; wh_steps 200
mkalerts 300 q >"$T/q300"
mkfifo "$T/fifo2"
notify --rate 20/s --max-queue 50 --spool "$T/sp9" <"$T/fifo2" \
	>"$T/bp.out" 2>"$T/bp.err" &
npid=$!
LOGS+=("$T/bp.err" "$T/bp.out")
exec 8>"$T/fifo2"
cat "$T/q300" >&8
bp_done() { [ "$(wh_ids | sort -u | wc -l)" -eq 300 ]; }
wait_for 20 bp_done && pass notify_backpressure_resumes ||
	fail notify_backpressure_resumes "$(wh_ids | sort -u | wc -l) of 300 posted"
exec 8>&-
wait $npid
check_eq notify_backpressure_exit 0 $?
check_eq notify_backpressure_records 300 "$(grep -c '"status":"delivered"' "$T/bp.out")"

# 12. TLS is verified: a self-signed receiver gets no alert (the handshake
#     fails, notify retries, the drain timeout leaves the alert spooled).
if openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1; then
	PLAIN_LOG=$WH_LOG PLAIN_PORT=$WH_PORT
	start_webhook 200 --tls "$T/cert.pem,$T/key.pem"
	WEBHOOK_URL=https://127.0.0.1:$WH_PORT/hooks/$SECRET run tls --spool "$T/sp10" \
		--drain-timeout 1s <"$T/a1"
	check_eq notify_tls_unverified_exit_4 4 $?
	check notify_tls_error_logged grep -q 'post failed.*error=".*\(SSL\|certificate\)' "$T/tls.err"
	check_eq notify_tls_nothing_received 0 "$(wh_count)"
	WH_LOG=$PLAIN_LOG WH_PORT=$PLAIN_PORT
else
	fail notify_tls "openssl could not make a test certificate"
fi

# 10. The URL's secret appears in no log, output or dead letter.
if grep -l "$SECRET" "${LOGS[@]}" "$T/dl400" 2>/dev/null; then
	fail notify_secret_not_logged "found in the files above"
else pass notify_secret_not_logged; fi
check notify_log_shows_host grep -q "posting to http://127.0.0.1:$WH_PORT format" "$T/retry500.err"
