# supervise with small shell stages: restarts after SIGKILL of each stage in
# turn, the ordered stop, a bounded replay that finishes, a crash loop, bad
# flags, a config file.  (tests/integ/supervise_stages.sh does the same with
# the real stages.)
. "$(dirname "$0")/../lib.sh"
SUP=$ROOT/scripts/supervise

# A counting source (one line per 20 ms; SIGTERM ends it with 0) and a
# filter that prefixes lines and, like lib/reader.c, reopens its input FIFO
# at EOF until the supervisor marks it finished.
cat >"$T/src" <<'EOF'
#!/usr/bin/env bash
i=${1:-1} end=${2:-0}
trap 'exit 0' TERM
while [ "$end" = 0 ] || [ "$i" -le "$end" ]; do
	echo "$i"; i=$((i + 1)); sleep 0.02
done
EOF
cat >"$T/filt" <<'EOF'
#!/usr/bin/env bash
stop=0
trap 'stop=1' TERM
echo "{\"stage\":\"filt\",\"pid\":$$}" >"${NW_STATS_FILE:-/dev/null}"
while :; do
	while IFS= read -r line; do printf '%s%s\n' "$1" "$line"; done
	[ -n "${NW_REOPEN_INPUT:-}" ] && [ ! -e "$NW_REOPEN_INPUT.eof" ] &&
		[ $stop = 0 ] || exit 0
	exec <"$NW_REOPEN_INPUT" || exit 1
done
EOF
chmod +x "$T/src" "$T/filt"
PATH=$T:$PATH

state_get() { sed -n "s/^$2=//p" "$1/state" 2>/dev/null; }
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
more_lines() { [ "$(lines "$1")" -ge "$2" ]; }
# Processes of this test still alive (stages run in their own sessions).
leftovers() { pgrep -f -- "$T/(src|filt)|$T/run" | grep -vx "$$" || true; }
no_fifos() { [ -z "$(find "$1" -type p 2>/dev/null)" ]; }
stopped() { ! kill -0 "$1" 2>/dev/null; }

# --- SIGKILL each stage in turn: restarted, lines keep flowing --------------
R=$T/run1
"$SUP" -d "$R" --backoff-min 0.1 -o "$T/out1" -- src -- filt a: -- filt b: \
	2>"$T/sup1.err" &
SP=$!
at_exit "kill -KILL $SP"
wait_for 30 more_lines "$T/out1" 20 || fail supervise_chain_starts "no output"
ok=1
for n in 1 2 3; do
	old=$(state_get "$R" "stage_${n}_pid")
	kill -KILL "$old"
	new_pid() { p=$(state_get "$R" "stage_${n}_pid"); [ -n "$p" ] && [ "$p" != - ] && [ "$p" != "$old" ]; }
	if ! wait_for 30 new_pid; then ok=0; fail supervise_restart_stage_$n "no new pid"; continue; fi
	l=$(lines "$T/out1")
	if wait_for 30 more_lines "$T/out1" $((l + 20)); then
		pass supervise_restart_stage_$n
	else
		ok=0; fail supervise_restart_stage_$n "no lines after the restart"
	fi
done
check_eq supervise_state_counts_restarts "1 1 1" \
	"$(for n in 1 2 3; do r=$(state_get "$R" "stage_${n}_restarts"); [ "${r:-0}" -ge 1 ] && echo -n 1 || echo -n 0; [ $n -lt 3 ] && echo -n " "; done)"
check supervise_stats_file_per_stage test -s "$R/2-filt.stats" -a -s "$R/3-filt.stats"
check supervise_log_per_stage test -e "$R/1-src.log" -a -e "$R/3-filt.log"

# --- SIGTERM: ordered stop, status 0, nothing left ----------------------------
kill -TERM "$SP"
if wait_for 20 stopped "$SP"; then
	wait "$SP"; rc=$?
	check_eq supervise_sigterm_exit_status 0 "$rc"
else
	fail supervise_sigterm_exit_status "still running after 20 s"
fi
check_eq supervise_stop_leaves_no_process "" "$(leftovers)"
check supervise_stop_leaves_no_fifo no_fifos "$R"
check supervise_stop_output_ends_with_whole_line \
	bash -c "[ -z \"\$(tail -c1 '$T/out1')\" ] && tail -n1 '$T/out1' | grep -qE '^b:a:[0-9]+$'"
check_eq supervise_state_says_done done "$(state_get "$R" phase)"

# --- the supervisor's stderr carries only its own lines -------------------------
# With checkpoints a stage's death makes the supervisor SIGKILL the stages
# upstream of it: bash would report each such job ("line N: PID Killed
# ( exec ... )") on the supervisor's stderr.
own_lines_only() { ! grep -Ev '^(INFO|WARN|ERROR) supervise: ' "$1"; }
R=$T/run1k
"$SUP" -d "$R" --checkpoints on --backoff-min 0.1 -o "$T/out1k" -- \
	src -- filt a: -- filt b: 2>"$T/sup1k.err" &
SP=$!
at_exit "kill -KILL $SP"
wait_for 30 more_lines "$T/out1k" 10
for i in 1 2 3; do
	old=$(state_get "$R" stage_3_pid)
	kill -KILL "$old"
	l=$(lines "$T/out1k")
	wait_for 30 more_lines "$T/out1k" $((l + 10)) || fail supervise_cascade_restart_$i "no lines after the restart"
done
kill -TERM "$SP"
wait_for 20 stopped "$SP"
check supervise_cascade_restarts_upstream \
	test "$(state_get "$R" stage_1_restarts)" -ge 3 -a "$(state_get "$R" stage_2_restarts)" -ge 3
check supervise_stderr_only_own_lines_after_kills own_lines_only "$T/sup1.err"
check supervise_stderr_only_own_lines_after_cascades own_lines_only "$T/sup1k.err"

# --- SIGINT from a terminal's ^C behaves the same -----------------------------
R=$T/run2
env --default-signal=INT "$SUP" -d "$R" -o "$T/out2" -- src -- filt x: \
	2>"$T/sup2.err" &
SP=$!
at_exit "kill -KILL $SP"
wait_for 30 more_lines "$T/out2" 5
kill -INT "$SP"
if wait_for 20 stopped "$SP"; then
	wait "$SP"; check_eq supervise_sigint_exit_status 0 $?
else
	fail supervise_sigint_exit_status "still running after 20 s"
fi
check supervise_sigint_stops_source_first \
	bash -c "grep -n 'stopped stage=' '$T/sup2.err' | head -1 | grep -q 'stage=1-src'"

# --- a bounded replay: the source ends with 0, the chain drains in order ------
R=$T/run3
timeout 30 "$SUP" -d "$R" -o "$T/out3" -- src 1 100 -- filt a: -- filt b: \
	2>"$T/sup3.err"
check_eq supervise_bounded_replay_exit_status 0 $?
check_eq supervise_bounded_replay_every_line_in_order \
	"$(seq 1 100 | sed 's/^/b:a:/')" "$(cat "$T/out3")"
check supervise_bounded_replay_no_fifo no_fifos "$R"
check supervise_bounded_replay_finished_in_order bash -c \
	"grep -o 'finished stage=[0-9]' '$T/sup3.err' | tr -d '\n' | grep -qx 'finished stage=1finished stage=2finished stage=3'"

# --- input from the supervisor's stdin --------------------------------------
R=$T/run4
seq 1 50 | timeout 30 "$SUP" -d "$R" -i - -- filt a: -- filt b: >"$T/out4" 2>"$T/sup4.err"
check_eq supervise_stdin_input "$(seq 1 50 | sed 's/^/b:a:/')" "$(cat "$T/out4")"

# --- crash loop: a stage that always fails stops the chain ---------------------
R=$T/run5
timeout 60 "$SUP" -d "$R" --backoff-min 0.1 --crash-loop 3/30s -- \
	src -- sh -c 'exit 1' -- filt b: >/dev/null 2>"$T/sup5.err"
rc=$?
check_eq supervise_crash_loop_exit_status 1 "$rc"
check_eq supervise_crash_loop_one_error_line 1 "$(grep -c '^ERROR' "$T/sup5.err")"
check supervise_crash_loop_message grep -q \
	'^ERROR supervise: stage 2-sh is crash-looping: 3 restarts in 30s, last exit status 1' "$T/sup5.err"
check_eq supervise_crash_loop_leaves_no_process "" "$(leftovers)"
check supervise_crash_loop_no_fifo no_fifos "$R"

# --- a stage that rejects its flags (exit 2) stops at once with exit 2 ---------
R=$T/run6
timeout 30 "$SUP" -d "$R" -- src -- sh -c 'echo bad flag >&2; exit 2' \
	>/dev/null 2>"$T/sup6.err"
check_eq supervise_stage_usage_error_status 2 $?
check supervise_stage_usage_error_message grep -q 'rejected its flags' "$T/sup6.err"
check_eq supervise_stage_usage_error_no_restart 0 "$(state_get "$R" stage_2_restarts)"

# --- the supervisor's own bad flags and config ----------------------------------
"$SUP" --bogus -- src >/dev/null 2>"$T/e7"
check_eq supervise_bad_flag_status 2 $?
check_eq supervise_bad_flag_one_line 1 "$(wc -l <"$T/e7")"
"$SUP" -- no-such-program-here >/dev/null 2>"$T/e8"
check_eq supervise_unknown_program_status 2 $?
"$SUP" --crash-loop 5 -- src >/dev/null 2>"$T/e9"
check_eq supervise_bad_crash_loop_status 2 $?
out=$("$SUP" --help); rc=$?      # captured: grep -q in a pipe could SIGPIPE it
grep -q '^usage: supervise' <<<"$out"
check_eq supervise_help "0 0" "$rc $?"

# --- a config file --------------------------------------------------------------
cat >"$T/chain.conf" <<EOF
# a bounded chain
RUN_DIR=$T/run10
STAGE_1="src 1 30"
STAGE_2='filt "a b:"'
STAGE_3="filt c:"
OUTPUT=$T/out10
CRASH_LOOP=4/20s
EOF
timeout 30 "$SUP" -c "$T/chain.conf" 2>"$T/sup10.err"
check_eq supervise_config_file "$(seq 1 30 | sed 's/^/c:a b:/')" "$(cat "$T/out10" 2>/dev/null)"
printf 'STAGE_1=src\nSTAGE_3=filt\n' >"$T/gap.conf"
"$SUP" -c "$T/gap.conf" >/dev/null 2>"$T/e11"
check_eq supervise_config_gap_status 2 $?
check_eq supervise_leaves_nothing_at_all "" "$(leftovers)"

# --- one stage, and "|" as the separator ----------------------------------------
timeout 30 "$SUP" -d "$T/run12" -- src 1 5 >"$T/out12" 2>/dev/null
check_eq supervise_single_stage "$(seq 1 5)" "$(cat "$T/out12")"
timeout 30 "$SUP" -d "$T/run13" src 1 5 '|' filt p: '|' filt q: >"$T/out13" 2>/dev/null
check_eq supervise_pipe_separator "$(seq 1 5 | sed 's/^/q:p:/')" "$(cat "$T/out13")"
# --- a run directory in use by a live supervisor is refused ------------------------
"$SUP" -d "$T/run14" -- src -- filt a: >/dev/null 2>&1 &
SP=$!
at_exit "kill -KILL $SP"
wait_for 30 grep -q '^phase=running' "$T/run14/state"
"$SUP" -d "$T/run14" -- src >/dev/null 2>"$T/e14"
check_eq supervise_run_dir_in_use 2 $?
kill -TERM "$SP"
wait_for 20 stopped "$SP"
check_eq supervise_in_use_left_running_one_alone "" "$(leftovers)"
