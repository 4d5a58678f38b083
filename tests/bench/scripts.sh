#!/usr/bin/env bash
# scripts: the cost of supervise's named FIFOs.  The same captured events
# through window | detect under supervise, beside the same two stages in a
# plain shell pipe, in the same run; and replay's events per second.
set -u
: "${ROOT:?}" "${BIN:?}" "${BENCH_DIR:?}"
N=${SCRIPTS_BENCH_EVENTS:-1000000}
D=$BENCH_DIR/scripts; mkdir -p "$D"
PATH=$BIN:$PATH

gen --count "$N" --start-time 1763700000 --seed 1 --eps 0 >"$D/events.ndjson" 2>/dev/null

secs() {   # CMD...: wall seconds
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000000 ))" | awk '{ printf "%.3f", $1 / 1000 }'
}
pipe() { window --key src_ip --key dst_ip <"$D/events.ndjson" | detect >"$D/pipe.out"; }
sup() {
	rm -rf "$D/run"
	"$ROOT/scripts/supervise" -d "$D/run" -i "$D/events.ndjson" -o "$D/sup.out" -- \
		window --key src_ip --key dst_ip -- detect
}
t_pipe=$(secs pipe)
t_sup=$(secs sup)
t_replay=$(secs "$ROOT/scripts/replay" --no-throttle "$D/events.ndjson")
cmp -s "$D/pipe.out" "$D/sup.out" || echo "bench scripts: supervised output differs from the pipe's" >&2

rate() { awk -v n="$N" -v t="$1" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }'; }
printf '%-44s %16s %16s %8s\n' "supervise window|detect events/s (vs pipe)" \
	"$(rate "$t_sup")" "$(rate "$t_pipe")" \
	"$(awk -v a="$t_pipe" -v b="$t_sup" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
printf '%-44s %16s %16s %8s\n' "replay events/s (vs window|detect pipe)" \
	"$(rate "$t_replay")" "$(rate "$t_pipe")" \
	"$(awk -v a="$t_pipe" -v b="$t_replay" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
