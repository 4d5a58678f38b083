# scripts/replay over gen scenario files: the expected alerts (every episode
# of the ground truth found, nothing else), the summary against gen's own
# counters, flags passed through, stdin, and throttle when REDIS_URL is set.
. "$(dirname "$0")/../lib.sh"
REPLAY=$ROOT/scripts/replay
unset REDIS_URL

gen --scenario demo --seed 7 --start-time 1763700000 --truth "$T/truth" \
	--stats "$T/gen.stats" >"$T/demo.ndjson" 2>/dev/null
events=$(python3 -c "import json; print(json.load(open('$T/gen.stats'))['events'])")

"$REPLAY" "$T/demo.ndjson" >"$T/alerts" 2>"$T/err"
check_eq replay_exit_status 0 $?

# Alert matches episode: same rule/kind, key field and key, and the window
# overlaps the episode (docs/contracts.md).
cat >"$T/match.py" <<'EOF'
import json, sys
truth = [json.loads(l) for l in open(sys.argv[1])]
# resolutions of incidents close what a firing alert opened: not detections
alerts = [a for a in map(json.loads, open(sys.argv[2])) if a.get("status") != "resolved"]
def m(a, e):
    return (a["rule"] == e["kind"] and a["key_field"] == e["key_field"]
            and a["key"] == e["key"] and a["window_start"] <= e["end"]
            and a["window_end"] > e["start"])
missed = [e["kind"] for e in truth if not any(m(a, e) for a in alerts)]
extra = [a["rule"] + " " + a["key"] for a in alerts if not any(m(a, e) for e in truth)]
print("missed=%s extra=%d" % (",".join(missed) or "none", len(extra)))
EOF
check_eq replay_every_episode_alerted "missed=none extra=0" \
	"$(python3 "$T/match.py" "$T/truth" "$T/alerts")"
check_eq replay_six_kinds 6 "$(python3 -c "
import json; print(len({json.loads(l)['rule'] for l in open('$T/alerts')}))")"
nalerts=$(wc -l <"$T/alerts")
nwin=$(window --key src_ip --key dst_ip <"$T/demo.ndjson" 2>/dev/null | wc -l)
check_eq replay_summary \
	"replay: events $events, late 0, dead-lettered 0, windows $nwin, alerts $nalerts" \
	"$(tail -n 1 "$T/err")"
check_eq replay_summary_is_last_and_only_line 1 "$(wc -l <"$T/err")"

# The same input on stdin gives byte-identical alerts.
"$REPLAY" <"$T/demo.ndjson" >"$T/alerts.stdin" 2>/dev/null
check replay_stdin_same_alerts cmp -s "$T/alerts" "$T/alerts.stdin"
# Two files in order = one file; gzip is read too.
head -n 150000 "$T/demo.ndjson" >"$T/part1"
tail -n +150001 "$T/demo.ndjson" | gzip -1 >"$T/part2.gz"
"$REPLAY" "$T/part1" "$T/part2.gz" >"$T/alerts.parts" 2>/dev/null
check replay_files_in_order_and_gzip cmp -s "$T/alerts" "$T/alerts.parts"

# Flags through: a window dead-letter file and a detect rule of our own.
gen --scenario exfil --seed 3 --start-time 1763700000 --malformed-prob 0.01 \
	--late-prob 0.01 --stats "$T/gen2.stats" >"$T/chaos.ndjson" 2>/dev/null
"$REPLAY" -W "--dead-letter '$T/dl file.ndjson' --late $T/late.ndjson" \
	-D "--rule 'big: sum_bytes_sent > 1e8'" "$T/chaos.ndjson" \
	>"$T/alerts2" 2>"$T/err2"
check_eq replay_flags_exit_status 0 $?
dl=$(wc -l <"$T/dl file.ndjson" 2>/dev/null || echo none)
late=$(wc -l <"$T/late.ndjson" 2>/dev/null || echo none)
check replay_dead_letters_counted bash -c "[ '$dl' != none ] && [ '$dl' -gt 0 ]"
check replay_late_counted bash -c "[ '$late' != none ] && [ '$late' -gt 0 ]"
check_eq replay_summary_counts_side_outputs "late $late, dead-lettered $dl" \
	"$(tail -n 1 "$T/err2" | grep -o 'late [0-9]*, dead-lettered [0-9]*')"
check replay_detect_flag_passed grep -q '"rule":"big"' "$T/alerts2"
check_eq replay_detect_flag_only_that_rule "big" \
	"$(python3 -c "import json; print(' '.join(sorted({json.loads(l)['rule'] for l in open('$T/alerts2')})))")"

# With REDIS_URL: throttle gates repeats of a key.  Replaying the same
# capture again passes the same alerts (same alert_id: the claim in Redis is
# that id, which is how a replay after a crash gets through) and nothing more.
# The seed's alerts (-D --seed-alerts), one per matching window: incidents
# would already be one per key.
gen --scenario exfil --seed 5 --start-time 1763700000 >"$T/exfil.ndjson" 2>/dev/null
"$REPLAY" -D --seed-alerts "$T/exfil.ndjson" >"$T/alerts.exfil" 2>/dev/null
nx=$(wc -l <"$T/alerts.exfil")
start_redis
export REDIS_URL
"$REPLAY" -D --seed-alerts "$T/exfil.ndjson" >"$T/alerts3" 2>"$T/err3"
n3=$(wc -l <"$T/alerts3")
check replay_throttle_fewer_alerts bash -c "[ $n3 -gt 0 ] && [ $n3 -lt $nx ]"
check_eq replay_throttle_summary "alerts $nx, suppressed $((nx - n3)), passed $n3" \
	"$(tail -n 1 "$T/err3" | grep -o 'alerts.*')"
check_eq replay_throttle_keys_in_redis "$n3" \
	"$(redis-cli -p "$REDIS_PORT" --scan --pattern 'alert:throttle:*' | wc -l)"
"$REPLAY" -D --seed-alerts "$T/exfil.ndjson" >"$T/alerts4" 2>"$T/err4"
check replay_throttle_second_run_same_alerts cmp -s "$T/alerts3" "$T/alerts4"
"$REPLAY" -D --seed-alerts --no-throttle "$T/exfil.ndjson" >"$T/alerts5" 2>/dev/null
check replay_no_throttle cmp -s "$T/alerts.exfil" "$T/alerts5"
unset REDIS_URL

# Bad flags: exit 2, one line.
"$REPLAY" --bogus "$T/demo.ndjson" >/dev/null 2>"$T/e6"
check_eq replay_bad_flag "2 1" "$? $(wc -l <"$T/e6")"
"$REPLAY" -W "--size 'unbalanced" "$T/demo.ndjson" >/dev/null 2>"$T/e7"
check_eq replay_unbalanced_quotes 2 $?
"$REPLAY" "$T/no-such-file" >/dev/null 2>"$T/e8"
check_eq replay_missing_file 2 $?
# A stage's bad flag: its status is named, exit 1.
"$REPLAY" -W "--size nonsense" "$T/part1" >/dev/null 2>"$T/e9"
check_eq replay_stage_failure_status 1 $?
check replay_stage_failure_named grep -q 'replay: window exited with status 2' "$T/e9"

# --normalize: a captured sshd brute force (RFC 3164, as /var/log holds it)
# gives its alert with no other flag.
for k in $(seq 0 29); do
	printf 'Dec  1 08:0%d:%02d gw sshd[7]: Failed password for root from 203.0.113.9 port %d ssh2\n' \
		$((k / 10)) $((k % 10 * 6)) $((40000 + k))
done >"$T/auth.log"
echo 'Dec  1 08:30:00 gw sudo:  bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/id' >>"$T/auth.log"
"$ROOT/scripts/replay" --no-throttle --normalize "$T/auth.log" >"$T/log-alerts" 2>"$T/log.err"
check_eq replay_normalize_exit 0 $?
check_eq replay_normalize_alert "ssh_brute_force 203.0.113.9" \
	"$(jq -r '"\(.rule) \(.key)"' "$T/log-alerts" | sort -u)"
check replay_normalize_summary grep -qE '^replay: events 31, late 0, dead-lettered 0,' "$T/log.err"
