#!/usr/bin/env bash
# Regressions found in review, each pinned down by running the stages.
. "$(dirname "$0")/../lib.sh"

# A sum that overflows a double saturates instead of printing null, so the
# exfiltration rule still fires.
printf '%s\n' '{"timestamp":1763711940,"src_ip":"x","bytes_sent":1e308}' \
	'{"timestamp":1763711941,"src_ip":"x","bytes_sent":1e308}' |
	window --size 10s --slide 10s 2>/dev/null >"$T/w"
check "overflowed sum stays a number" grep -q '"sum_bytes_sent":1.7976931348623157e308' "$T/w"
check_eq "overflowed sum still fires the rule" 1 \
	"$(detect <"$T/w" 2>/dev/null | grep -c '"rule":"data_exfiltration"')"

# An EPIPE exit keeps what was already dead-lettered.
# The bad lines come first, so they are read (and buffered) before the
# records that run into the closed pipe.
first=$(sed -n 1p "$SAMPLES/upstream-events.ndjson")
{ echo 'bad line one'; echo 'bad line two'
  for i in $(seq 2000); do
	echo "${first/\"timestamp\":1763711997/\"timestamp\":$((1763712000 + i * 10))}"
  done; } >"$T/in"
window --dead-letter "$T/dl" <"$T/in" 2>/dev/null | head -c 10 >/dev/null
check_eq "dead letters survive an EPIPE exit" 2 "$(wc -l <"$T/dl")"

# A side output that cannot be written is counted, not silently dropped.
printf 'junk\njunk\n' | window --dead-letter /dev/full --stats "$T/s.json" \
	>/dev/null 2>"$T/full.log"
check "failed side-output writes are counted" \
	sh -c "jq -e '.sink_errors >= 1' '$T/s.json' >/dev/null"
check_eq "and logged once" 1 "$(grep -c 'side output' "$T/full.log")"

# throttle: a template that names no field is refused (exit 2).
throttle --key-template 'alert:throttle' </dev/null 2>/dev/null
check_eq "throttle refuses a template without a field" 2 $?

# throttle agrees with detect and notify on duplicate members.
dup='{"type":"alert","alert_id":"aaaa","alert_id":"bbbb","rule":"r","key_field":"src_ip","key":"k","window_end":1}'
echo "$dup" | throttle --redis-url redis://127.0.0.1:1 --dead-letter "$T/tdl" \
	>"$T/tout" 2>/dev/null
check_eq "throttle dead-letters duplicate members" "0 1" \
	"$(wc -l <"$T/tout") $(wc -l <"$T/tdl")"

# Usage errors name the stage once.
WEBHOOK_URL= notify </dev/null 2>"$T/n.log"
check_eq "notify usage error exits 2" 2 $?
check "notify names itself once" grep -q '^notify: no webhook URL' "$T/n.log"
