#!/usr/bin/env bash
# recovery_window: a window snapshot taken at a barrier and restored in a
# new process (or in the same one, over state that moved on) gives exactly
# the records of an uninterrupted run, at every cut point, with exact
# distinct sets and HLL sketches in the state; damaged or mismatched
# snapshots are refused with exit 1.  See docs/recovery.md.
. "$(dirname "$0")/../lib.sh"

for p in gen window; do
	command -v "$p" >/dev/null || { fail recovery_window_prerequisites "$p not built"; exit 1; }
done
C=$T/ckpt; mkdir -p "$C"
W=(window --key src_ip --key dst_ip --checkpoint-dir "$C")
cat >"$T/scenario" <<'SC'
{"kind":"background","rate":20}
{"kind":"data_exfiltration","at":"10s","src":"10.66.0.1"}
{"kind":"flood","at":"20s","dst":"10.99.0.1","rate":400,"sources":5000,"duration":"40s"}
{"kind":"port_scan","at":"70s","src":"10.66.0.2"}
SC
gen --scenario "$T/scenario" --seed 3 --start-time 1763700000 >"$T/ev" 2>/dev/null
n=$(wc -l <"$T/ev")
window --key src_ip --key dst_ip <"$T/ev" >"$T/full" 2>/dev/null
check full_run_has_sketches grep -q '"approx"' "$T/full"

barrier() { echo "{\"@ctl\":{\"type\":\"barrier\",\"id\":$1,\"offsets\":[]}}"; }
restore() { echo "{\"@ctl\":{\"type\":\"restore\",\"id\":$1}}"; }
before_ctl() { sed -n '/"@ctl"/q;p' "$1"; }

# Two processes: the first stops at a barrier, the second restores.
for k in 1 $((n / 5)) $((n / 2)) $((n * 3 / 4)) $((n - 1)); do
	rm -f "$C"/*
	{ head -n "$k" "$T/ev"; barrier 7; } | "${W[@]}" >"$T/o1" 2>"$T/e1"
	{ restore 7; tail -n +$((k + 1)) "$T/ev"; } | "${W[@]}" >"$T/o2" 2>"$T/e2"
	{ before_ctl "$T/o1"; grep -v '"@ctl"' "$T/o2"; } >"$T/cut"
	check "restart_at_${k}_same_records" cmp -s "$T/cut" "$T/full"
done
check barrier_forwarded grep -qxF "$(barrier 7)" "$T/o1"
check restore_forwarded grep -qxF "$(restore 7)" "$T/o2"

# One process: it runs on past the barrier, then a restore line puts the
# barrier's state back (what a window sees when its upstream restarted).
k=$((n / 2))
rm -f "$C"/*
{ head -n "$k" "$T/ev"; barrier 9; sed -n "$((k + 1)),$((k + 3000))p" "$T/ev"
  restore 9; tail -n +$((k + 1)) "$T/ev"; } | "${W[@]}" >"$T/o" 2>/dev/null
{ before_ctl "$T/o"; sed -n '/"type":"restore"/,$p' "$T/o" | grep -v '"@ctl"'; } >"$T/cut"
check restore_over_running_state cmp -s "$T/cut" "$T/full"

# restore 0: back to empty state.
{ head -n 100 "$T/ev"; restore 0; cat "$T/ev"; } | "${W[@]}" >"$T/o" 2>/dev/null
sed -n '/"type":"restore"/,$p' "$T/o" | grep -v '"@ctl"' >"$T/cut"
check restore_zero_is_empty_state cmp -s "$T/cut" "$T/full"

# Refusals: a damaged snapshot, a missing one, other window flags.
printf 'X' | dd of="$C/window.9.snap" bs=1 seek=200 conv=notrunc 2>/dev/null
restore 9 | "${W[@]}" >/dev/null 2>"$T/e"
check_eq damaged_snapshot_exits_1 1 "$?"
check damaged_snapshot_warns grep -q 'WARN window: checkpoint .* is corrupt' "$T/e"
restore 12 | "${W[@]}" >/dev/null 2>"$T/e"
check_eq missing_snapshot_exits_1 1 "$?"
{ head -n 100 "$T/ev"; barrier 10; } | "${W[@]}" >/dev/null 2>&1
restore 10 | window --key src_ip --checkpoint-dir "$C" >/dev/null 2>"$T/e"
check_eq other_flags_exit_1 1 "$?"
check other_flags_say_why grep -q 'refused: taken with other' "$T/e"

# Without a checkpoint dir, barriers and restores just pass through.
{ barrier 3; restore 3; } | window >"$T/o" 2>/dev/null
check_eq no_dir_passes_through "$(barrier 3; restore 3)" "$(cat "$T/o")"
# The environment names the dir as well as the flag.
rm -f "$C"/*
{ head -n 10 "$T/ev"; barrier 4; } | NW_CHECKPOINT_DIR=$C window >/dev/null 2>&1
check env_names_the_dir test -s "$C/window.4.snap"
