#!/usr/bin/env bash
# notify: flags, --stdout payloads against golden files, barriers, dead letters.
. "$(dirname "$0")/../lib.sh"
G=$ROOT/tests/golden

# Captured first: grep -q in a pipe could SIGPIPE the writer (pipefail).
out=$(notify --help) && grep -q -- '--drain-timeout' <<<"$out" && pass notify_help || fail notify_help
out=$(notify --version) && grep -q '^notify (netwatch)' <<<"$out" && pass notify_version || fail notify_version
notify --bogus >/dev/null 2>&1; check_eq notify_bad_flag 2 $?
notify --rate fast --stdout </dev/null >/dev/null 2>&1; check_eq notify_bad_rate 2 $?
env -u WEBHOOK_URL notify </dev/null >/dev/null 2>"$T/nourl.err"; rc=$?
check_eq notify_no_url_exit 2 $rc
check notify_no_url_message grep -q 'WEBHOOK_URL' "$T/nourl.err"
notify --spool "$T/s" http://127.0.0.1:1/x </dev/null >/dev/null 2>&1
check_eq notify_url_in_argv_refused 2 $?
WEBHOOK_URL=ftp://example.com/x notify --spool "$T/s" </dev/null >/dev/null 2>&1
check_eq notify_non_http_url_refused 2 $?

# --stdout: the exact payloads, one per line, per format; nothing else.
for f in slack discord generic; do
	notify --stdout --format $f --dead-letter "$T/dl-$f" \
		--barrier-file "$T/barrier-$f" <"$G/notify-alerts.ndjson" \
		>"$T/$f.out" 2>"$T/$f.err"
	check_eq "notify_stdout_${f}_exit" 0 $?
	if cmp -s "$G/notify-$f.ndjson" "$T/$f.out"; then pass "notify_golden_$f"
	else fail "notify_golden_$f" "$(diff "$G/notify-$f.ndjson" "$T/$f.out" | head -5)"; fi
	check_eq "notify_barrier_$f" 17 "$(cat "$T/barrier-$f")"
	check_eq "notify_dead_letter_$f" 1 "$(grep -c '"reason":"not an alert"' "$T/dl-$f")"
done

# --format text: one readable line per alert (time, severity, rule, key,
# message), no colour off a terminal; barriers and dead letters as above.
notify --format text --dead-letter "$T/dl-text" --barrier-file "$T/barrier-text" \
	<"$G/notify-alerts.ndjson" >"$T/text.out" 2>"$T/text.err"
check_eq notify_text_exit 0 $?
check_eq notify_text_one_line_per_alert 4 "$(wc -l <"$T/text.out")"
check_eq notify_text_line "2025-11-21T08:00:00Z CRITICAL data_exfiltration src_ip=10.0.0.5  DATA EXFILTRATION DETECTED! IP: 10.0.0.5 transferred 61234567 bytes in 60s." \
	"$(head -1 "$T/text.out")"
check notify_text_no_escape_off_a_terminal bash -c "! grep -q $'\\033' '$T/text.out'"
check_eq notify_text_barrier 17 "$(cat "$T/barrier-text")"
# --stdout alone: readable lines on a terminal (script(1) gives it one),
# coloured unless NO_COLOR; the payloads into a pipe (the goldens above).
a=$(head -1 "$G/notify-alerts.ndjson")
tty_run() {   # ENV...: notify --stdout on a pseudo-terminal, alert a on stdin
	printf '%s\n' "$a" >"$T/tty.in"
	env "$@" script -qec "notify --stdout --spool '$T/tty-spool' <'$T/tty.in' 2>/dev/null" /dev/null |
		tr -d '\r'
}
check_eq notify_stdout_tty_colour $'2025-11-21T08:00:00Z \033[1;31mCRITICAL\033[0m data_exfiltration src_ip=10.0.0.5  DATA EXFILTRATION DETECTED! IP: 10.0.0.5 transferred 61234567 bytes in 60s.' \
	"$(tty_run TERM=xterm)"
check_eq notify_stdout_tty_no_color "$(head -1 "$T/text.out")" "$(tty_run TERM=xterm NO_COLOR=1)"
check_eq notify_stdout_tty_dumb "$(head -1 "$T/text.out")" "$(tty_run TERM=dumb)"
notify --format txt --stdout </dev/null >/dev/null 2>&1; check_eq notify_bad_format 2 $?

# auto picks the format by the URL's host (checked in --stdout mode).
a=$(head -1 "$G/notify-alerts.ndjson")
for pair in https://hooks.slack.com/services/T/B/x:slack \
            https://discord.com/api/webhooks/1/x:discord \
            https://ptb.discordapp.com/api/webhooks/1/x:discord \
            https://example.com/hook:generic; do
	url=${pair%:*}; want=${pair##*:}; host=${url#https://}; host=${host%%/*}
	got=$(echo "$a" | WEBHOOK_URL=$url notify --stdout 2>/dev/null)
	check_eq "notify_auto_${want}_$host" "$(sed -n 1p "$G/notify-$want.ndjson")" "$got"
done

# Every payload is valid JSON within Discord's limits (code points).
python3 - "$T/discord.out" "$T/slack.out" <<'PY' && pass notify_payload_limits || fail notify_payload_limits
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line); e = d["embeds"][0]
    assert len(d["content"]) <= 2000 and len(e["title"]) <= 256
    assert len(e["fields"]) <= 25
    assert all(len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024 for f in e["fields"])
    tot = len(e["title"]) + len(e.get("description", "")) + len(e["footer"]["text"]) + \
          sum(len(f["name"]) + len(f["value"]) for f in e["fields"])
    assert tot <= 6000
for line in open(sys.argv[2]):
    s = json.loads(line)
    assert len(s["text"]) <= 3000
    for b in s["blocks"]:
        assert len(b.get("fields", [])) <= 10
        assert all(len(f["text"]) <= 2000 for f in b.get("fields", []))
        assert len(b.get("text", {}).get("text", "")) <= 3000
PY
