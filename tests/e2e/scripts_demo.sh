# scripts/demo: a 40 s run shows alerts on stdout within about 30 s and
# stops by itself leaving nothing behind; ^C (SIGINT) stops a running demo
# just as cleanly.
. "$(dirname "$0")/../lib.sh"
DEMO=$ROOT/scripts/demo
export NW_BIN=$BIN
unset REDIS_URL WEBHOOK_URL

leftovers() { pgrep -f -- "$T/" | grep -vx "$$" || true; }
stopped() { ! kill -0 "$1" 2>/dev/null; }

# Each stdout line with the seconds since the start, to see when the first
# alert came.
stamp() {
	local t0=$SECONDS line
	while IFS= read -r line; do printf '%d %s\n' $((SECONDS - t0)) "$line"; done
}

timeout -k 5 120 "$DEMO" --duration 40s --run-dir "$T/d1" 2>"$T/err1" | stamp >"$T/out1"
rc=${PIPESTATUS[0]}
check_eq demo_duration_exit_status 0 "$rc"
# One readable line per alert: time, severity, rule, key_field=key, message.
line_re='^[0-9]+ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z [A-Z]+ +[a-z_]+ [a-z_]+=[^ ]+  .'
check demo_shows_alerts grep -qE "$line_re" "$T/out1"
first=$(awk 'NR == 1 { print $1 }' "$T/out1")
check demo_first_alert_within_30s bash -c "[ -n '$first' ] && [ '$first' -le 30 ]"
check_eq demo_alerts_are_readable_lines "" "$(grep -vE "$line_re" "$T/out1")"
check demo_chain_stopped_in_order grep -q 'chain finished' "$T/d1/supervise.log"
check_eq demo_duration_leaves_nothing "" "$(leftovers)"
check_eq demo_duration_no_fifo "" "$(find "$T/d1" -type p)"
"$ROOT/scripts/status" "$T/d1/chain" >"$T/status1" 2>&1
check_eq demo_status_five_stages 5 \
	"$(grep -cE '^[1-5]-(kcat-src|window|detect|throttle|notify) ' "$T/status1")"
check demo_status_delivered bash -c \
	"grep -E '^5-notify' '$T/status1' | awk '{exit !(\$NF > 0)}'"

# ^C: SIGINT to the demo (as a terminal's ^C would) once the chain runs.
env --default-signal=INT "$DEMO" --run-dir "$T/d2" >"$T/out2" 2>"$T/err2" &
DP=$!
at_exit "kill -KILL $DP"
running() { grep -q '^stage_5_state=running' "$T/d2/chain/state" 2>/dev/null; }
wait_for 30 running || fail demo_sigint_chain_started "chain not running in 30 s"
kill -INT "$DP"
if wait_for 60 stopped "$DP"; then
	wait "$DP"; check_eq demo_sigint_exit_status 0 $?
else
	fail demo_sigint_exit_status "still running 60 s after SIGINT"
fi
check_eq demo_sigint_leaves_nothing "" "$(leftovers)"
check_eq demo_sigint_no_fifo "" "$(find "$T/d2" -type p)"
check demo_sigint_stopped_message grep -q 'stopped; logs and stats in' "$T/err2"

"$DEMO" --bogus >/dev/null 2>"$T/err3"
check_eq demo_bad_flag "2 1" "$? $(wc -l <"$T/err3")"

# --logs: the log path over gen's syslog scenario, no Kafka; it ends with
# the scenario, one readable incident per episode, opened once and
# resolved once it is over (the seed's chain above keeps the seed's
# alerts), impossible travel and the two blocklisted attackers (enrich
# with the demo's data) included, and nothing left behind.
timeout -k 5 120 "$DEMO" --logs --eps 6000 --run-dir "$T/d3" >"$T/out3" 2>"$T/err3"
check_eq demo_logs_exit_status 0 $?
check_eq demo_logs_one_alert_per_episode \
	"credential_stuffing firewall_scan impossible_travel listed_source listed_source password_spray ssh_brute_force" \
	"$(awk '$2 != "RESOLVED" {print $3}' "$T/out3" | sort | paste -sd ' ')"
check_eq demo_logs_resolutions_of_those "" \
	"$(awk '{ k = $3 " " $4 }
	       $2 == "RESOLVED" { if (r[k]++) print "twice", k }
	       $2 != "RESOLVED" { f[k] = 1 } END { for (k in r) if (!(k in f)) print "unopened", k }' "$T/out3")"
check demo_logs_travel_names_the_account grep -q 'IMPOSSIBLE TRAVEL: account dave' "$T/out3"
check demo_logs_listed_names_source_and_list grep -q 'LISTED SOURCE: 203.0.113.10|blocklist' "$T/out3"
check demo_logs_says_it_is_over grep -q 'the log scenario is over' "$T/err3"
check_eq demo_logs_leaves_nothing "" "$(leftovers)"
