#!/usr/bin/env bash
# restart: how long a kill stalls a supervised chain reading a 4-partition
# topic with -G (docs/recovery.md, "Rewind in place").  Events flow live
# (gen | kcat-src -P keyed by src_ip) into `kcat-src -G g | window | tap |
# detect | notify` under scripts/supervise with checkpoints; every 2 s a random one
# of window and detect gets SIGKILL (so the supervisor's cascade reaches
# kcat-src).  The figure: from a kill to the first record window writes
# after the restore line that follows it, median over the kills; beside it
# the same run with --rewind off (kcat-src killed and restarted, as before:
# it rejoins the group behind its own dead member).  Target: <= 2000 ms.
set -u
: "${ROOT:?}" "${BIN:?}" "${BENCH_DIR:?}"
KILLS=${RESTART_BENCH_KILLS:-12}
D=$BENCH_DIR/restart; mkdir -p "$D"
PATH=$BIN:$PATH

# The tap: passes lines on and notes, after each restore line, when the
# first record comes by; it reopens its FIFO like the stages do.
cat >"$D/tap.py" <<'PY'
import os, sys, time
path, stamps = os.environ.get("NW_REOPEN_INPUT"), sys.argv[1]
out, src, armed = sys.stdout.buffer, sys.stdin.buffer, False
with open(stamps, "a") as st:
    while True:
        for line in src:
            if line.startswith(b'{"@ctl":{"type":"restore"'):
                armed = True
            elif armed and not line.startswith(b'{"@ctl"'):
                st.write("%d\n" % (time.time() * 1000)); st.flush()
                armed = False
            out.write(line); out.flush()
        if not path or os.path.exists(path + ".eof"):
            break
        src = open(path, "rb")
PY

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t / 1000)); }

# run NAME SUPERVISE_FLAGS...: one chain, KILLS kills; prints the median
# stall in ms (">N" when some kill saw no new line before the end).
run() {
	local name=$1 dir=$D/$1 bs i n p k t0 end; shift
	mkdir -p "$dir"
	kafka-devbroker --topic ev:4 --bootstrap-file "$dir/boot" >/dev/null 2>"$dir/broker.log" &
	local broker=$!
	for ((i = 0; i < 100; i++)); do [ -s "$dir/boot" ] && break; sleep 0.1; done
	bs=$(cat "$dir/boot")
	gen --eps 400 2>/dev/null |
		kcat-src -P -b "$bs" -t ev --key-field src_ip >/dev/null 2>&1 &
	local feed=$!
	"$ROOT/scripts/supervise" -d "$dir/run" --backoff-min 0.1s --backoff-max 0.2s \
		--crash-loop 1000/60s "$@" -- \
		kcat-src -b "$bs" -t ev -G g -o end -- \
		window --key src_ip --size 1s --slide 1s --out-of-orderness 1s -- \
		python3 "$D/tap.py" "$dir/stamps" -- \
		detect -- \
		notify --stdout --spool "$dir/spool" >/dev/null 2>"$dir/supervise.log" &
	local sup=$!
	# Warm up: the first records out of window.
	for ((i = 0; i < 300; i++)); do [ -s "$dir/stamps" ] && break; sleep 0.1; done
	: >"$dir/kills"
	for ((k = 0; k < KILLS; k++)); do
		sleep 2
		n=$((2 + 2 * (RANDOM % 2)))          # window or detect
		p=$(sed -n "s/^stage_${n}_pid=\([0-9]*\)$/\1/p" "$dir/run/state")
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null && now_ms >>"$dir/kills"
	done
	sleep 3
	end=$(now_ms)
	kill "$sup" 2>/dev/null; wait "$sup" 2>/dev/null
	kill -9 "$feed" 2>/dev/null
	kill "$broker" 2>/dev/null; wait "$broker" 2>/dev/null
	python3 - "$dir/kills" "$dir/stamps" "$end" <<'PY'
import sys
kills = [int(x) for x in open(sys.argv[1])]
stamps = sorted(int(x) for x in open(sys.argv[2]))
end = int(sys.argv[3])
d = []
for k in kills:
    after = [s for s in stamps if s > k]
    d.append((after[0] - k, False) if after else (end - k, True))
d.sort()
m, cut = d[len(d) // 2] if d else (0, True)
print((">%d" if cut else "%d") % m)
PY
}

rewind=$(run rewind)
restart=$(run restart --rewind off)
printf '%-44s %16s %16s %8s\n' "kill every 2s: ms to window's next line" \
	"$rewind" "$restart" \
	"$(awk -v a="${restart#>}" -v b="${rewind#>}" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')"
printf '%-44s %16s\n' "  (median; target <= 2000; ref --rewind off)" \
	"$([ "${rewind#>}" = "$rewind" ] && [ "$rewind" -le 2000 ] && echo met || echo missed)"
