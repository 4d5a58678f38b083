#!/usr/bin/env bash
# gen --scenario … | window --key src_ip --key dst_ip | detect finds every
# episode of the truth file and nothing else, on every built-in scenario and
# on one with every kind at the contract's minimum strength; normal traffic
# up to 15,000 events/s fires nothing.  Prints precision, recall and
# detection delay (event time) per scenario.
. "$(dirname "$0")/../lib.sh"
EVAL=$ROOT/tests/e2e/detect_eval.py
START=1763712000

# pipeline NAME SCENARIO: run the chain, score it, print a verdict.
pipeline() {
	local name=$1 scen=$2
	if ! gen --scenario "$scen" --seed 1 --eps 0 --start-time $START \
		--truth "$T/$name.truth" 2>"$T/$name.gen.err" |
		window --key src_ip --key dst_ip 2>"$T/$name.win.err" |
		detect >"$T/$name.alerts" 2>"$T/$name.det.err"; then
		fail "scenario_$name" "pipeline failed: $(tail -n 3 "$T/$name".*.err)"
		return
	fi
	if [ ! -s "$T/$name.truth" ]; then
		fail "scenario_$name" "no ground truth written"
		return
	fi
	if python3 "$EVAL" "$T/$name.truth" "$T/$name.alerts" "$name"; then
		pass "scenario_$name"
	else
		fail "scenario_$name" "alerts do not match the truth file"
	fi
}

# Every built-in telemetry scenario, as listed by gen --help (logs, the
# log path's, is tests/e2e/log_path.sh's; the shapes of real networks,
# whose measured quality is not perfect, are detect_quality.sh's).
scenarios=$(gen --help | sed -n 's/.*(built-in: \([^)]*\)).*/\1/p' | tr -d ,)
check_eq scenarios_listed yes "$([ -n "$scenarios" ] && echo yes || echo no)"
# Each chain is mostly one busy stage: two at a time fill both cores.
for s in $scenarios; do
	case $s in logs|shared|backup|skew|diurnal|slowscan|lowslow) continue ;; esac
	par_run 2 pipeline "$s" "$s"
done

# Every kind at the minimum strength docs/contracts.md promises, over a
# busier background.
cat >"$T/minimal.ndjson" <<'S'
{"kind":"background","rate":2000}
{"kind":"data_exfiltration","at":"23s","duration":"60s","rate":0.2}
{"kind":"port_scan","at":"104s","duration":"30s","rate":3.4}
{"kind":"flood","at":"157s","duration":"60s","rate":2000,"sources":2000}
{"kind":"packet_flood","at":"236s","duration":"60s","rate":200}
{"kind":"reset_storm","at":"318s","duration":"60s","rate":20}
{"kind":"latency_spike","at":"395s","duration":"60s","rate":20}
S
par_run 2 pipeline minimal "$T/minimal.ndjson"

# Normal traffic fires nothing: 15,000 events/s over the 20 sources (a
# scenario with background only), and the upstream's knobs with chaos off.
count_alerts() { grep -c '"type":"alert"' "$1"; }
echo '{"kind":"background","rate":15000,"duration":"130s"}' >"$T/busy.ndjson"
busy() {
	gen --scenario "$T/busy.ndjson" --seed 2 --start-time $START 2>/dev/null |
		window --key src_ip --key dst_ip 2>/dev/null | detect --stats "$T/busy.stats" \
		>"$T/busy.alerts" 2>/dev/null
}
calm() {
	CHAOS_MODE=false gen --eps 0 --count 700000 --seed 2 --start-time $START 2>/dev/null |
		window --key src_ip --key dst_ip 2>/dev/null | detect >"$T/calm.alerts" 2>/dev/null
}
par_run 2 busy
par_run 2 calm
par_wait
busy_records=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records_in"])' "$T/busy.stats")
echo "normal traffic at 15,000 events/s: $busy_records window records, $(count_alerts "$T/busy.alerts") alerts"
check_eq normal_15000_eps_no_alerts 0 "$(count_alerts "$T/busy.alerts")"
check normal_15000_eps_saw_records test "$busy_records" -gt 400
check_eq normal_chaos_off_no_alerts 0 "$(count_alerts "$T/calm.alerts")"
