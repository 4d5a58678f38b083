# supervise --metrics with the real stages: the exporter serves the chain
# while it runs (every stats field typed by the exporter's table, promtool
# clean, the chain label from the run directory) and goes away with it; a
# bad address is refused before anything starts.
. "$(dirname "$0")/../lib.sh"
SUP=$ROOT/scripts/supervise

check_eq exporter_supervise_bad_address 2 \
	"$("$SUP" -d "$T/bad" --metrics 9464 -- gen --eps 10 2>/dev/null; echo $?)"
MP=$(free_port)
S=$T/chain-b
"$SUP" -d "$S" --metrics "127.0.0.1:$MP" -o "$T/alerts" -- \
	gen --eps 500 --chaos off -- \
	window --size 2s --slide 1s --out-of-orderness 0s --idle-timeout 1s -- \
	detect --rule 'busy: count > 0' -- \
	notify --stdout --spool "$T/spool" 2>"$T/sup.err" &
SP=$!
# Should the chain not stop by itself: the supervisor, each stage's process
# group (the stages run in their own sessions) and the exporter.
kill_chain() {
	local p
	kill -KILL "$SP"
	for p in $(sed -n 's/^stage_[0-9]*_pid=\([0-9]\+\)$/\1/p' "$S/state"); do
		kill -KILL -- "-$p"
	done
	pkill -KILL -f "exporter --run-dir $S "
}
at_exit kill_chain

mscrape() { curl -sf "http://127.0.0.1:$MP/metrics"; }
# Every stage has written its stats and notify has had alerts.
all_in() {
	mscrape >"$T/page-b" &&
		grep -q '^netwatch_notify_alerts_in_total{.*} [1-9]' "$T/page-b" &&
		[ "$(grep -c '^netwatch_stage_lines_out_total' "$T/page-b")" = 4 ]
}
if wait_for 30 all_in; then
	pass exporter_supervise_serves
else
	fail exporter_supervise_serves "$(tail -3 "$T/sup.err"; cat "$S/exporter.log")"
fi
check exporter_supervise_promtool promtool check metrics <"$T/page-b"
check exporter_real_stats_all_typed bash -c "! grep -q untyped '$T/page-b'"
check exporter_supervise_chain_label grep -q '^netwatch_stage_up{chain="chain-b",stage="window",position="2"} 1$' "$T/page-b"
EPID=$(pgrep -f "exporter --run-dir $S" | head -1)
kill -TERM "$SP"
if wait_gone 30 "$SP"; then
	pass exporter_supervise_stops
else
	fail exporter_supervise_stops "still running 30 s after SIGTERM: $(tail -5 "$T/sup.err")"
	ps -ef | grep -F "$T" | grep -v grep
	tail -3 "$S"/*.log
fi
check exporter_supervise_exporter_gone wait_gone 5 "${EPID:-0}"
check exporter_supervise_port_closed bash -c "! curl -sf http://127.0.0.1:$MP/metrics"
