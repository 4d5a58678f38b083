#!/usr/bin/env bash
# window throughput and memory.  Generates 1,000,000 upstream-format events
# (~430 bytes each, not committed: gen's normal profile with 20 sources, and
# window_gen.py for 1,000,000 distinct sources) and prints events/s of window with its
# defaults beside a tokenize-only pass with the same parser (window
# --parse-only: scan, timestamp, keys, aggregate inputs, nothing else) and
# beside jq extracting the same fields, then peak RSS with 20 keys and with
# 1,000,000 distinct keys.  Rates are per CPU second (user + sys), so other
# load on the machine does not skew them; wall-clock rates are logged too.
set -u
: "${ROOT:?}" "${BIN:?}"
N=${WINDOW_BENCH_EVENTS:-1000000}
NJQ=${WINDOW_BENCH_JQ_EVENTS:-100000}
D=${BENCH_DIR:-$(mktemp -d /tmp/nwbench.XXXXXX)}
gen=$ROOT/tests/bench/window_gen.py
row() { printf '%-44s %16s %16s %8s\n' "$@"; }

if [ -x "$BIN/gen" ]; then
	"$BIN/gen" --eps 0 --count "$N" --seed 1 --start-time 1763711940 \
		--rate 15000 --chaos off >"$D/w20.ndjson" 2>/dev/null
else
	python3 "$gen" "$N" 20 >"$D/w20.ndjson"
fi
python3 "$gen" "$N" 0 >"$D/wuniq.ndjson"
head -n "$NJQ" "$D/w20.ndjson" >"$D/wjq.ndjson"

# run CMD < FILE; sets CPU (user+sys seconds), WALL and RSS (KiB)
run() {
	local in=$1; shift
	/usr/bin/time -f '%U %S %e %M' -o "$D/time" "$@" <"$in" >/dev/null 2>"$D/err" ||
		{ echo "bench window: $* failed: $(tail -n 3 "$D/err")" >&2; return 1; }
	read -r u s WALL RSS <"$D/time"
	CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
}
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / (t + 0.0001) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

run "$D/w20.ndjson" "$BIN/window" || exit 1
win=$(rate "$N" "$CPU"); win_wall=$(rate "$N" "$WALL"); rss20=$((RSS / 1024))
run "$D/w20.ndjson" "$BIN/window" --parse-only || exit 1
tok=$(rate "$N" "$CPU")
run "$D/wjq.ndjson" jq -c '[.timestamp,.src_ip,.dst_ip,.dst_port,.bytes_sent,.bytes_received,.packets_sent,.latency_ms,.flags,.app_layer.status_code]' || exit 1
jqr=$(rate "$NJQ" "$CPU")
run "$D/wuniq.ndjson" "$BIN/window" || exit 1
rssu=$((RSS / 1024)); winu=$(rate "$N" "$CPU")

# The log path's hour-long correlation: 1 h windows sliding by 1 min, keyed
# by source and by user, over an hour of signals from N/2 sources and N/2
# users (N keys, all live at once; sixty records per key).
python3 - "$((N / 2))" >"$D/w1h.ndjson" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print('{"timestamp":%d,"host":"gw1","app":"sshd","pattern":"sshd_failed",'
          '"src_ip":"10.%d.%d.%d","src_port":%d,"user":"u%07d","event":"auth_failure"}'
          % (1780000000000 + i * 3600000 // n, i >> 16 & 255, i >> 8 & 255,
             i & 255, 40000 + i % 20000, i))
PY
run "$D/w1h.ndjson" "$BIN/window" --key src_ip --key user --size 1h --slide 1m \
	--missing-key skip --agg 'failures=count_if(event = auth_failure)' \
	--agg 'distinct(user)' --agg 'distinct(src_ip)' --agg 'distinct(dst_port)' || exit 1
rss1h=$((RSS / 1024)); win1h=$(rate "$((N / 2))" "$CPU")

row "window defaults, events/s vs tokenize-only" "$win" "$tok" "$(ratio "$win" "$tok")"
row "window defaults, events/s vs jq same fields" "$win" "$jqr" "$(ratio "$win" "$jqr")"
row "window peak RSS MiB, 20 keys (max 32)" "$rss20" 32 "$(ratio "$rss20" 32)"
row "window peak RSS MiB, $N keys (max 1024)" "$rssu" 1024 "$(ratio "$rssu" 1024)"
row "window 1h/1m RSS MiB, $N keys (max 1024)" "$rss1h" 1024 "$(ratio "$rss1h" 1024)"
echo "  ($N events of $(($(wc -c <"$D/w20.ndjson") / N)) bytes; jq on $NJQ; rates per CPU second;" \
     "window wall-clock $win_wall events/s; with $N keys $winu events/s, six records per event;" \
     "1h/1m: $((N / 2)) events by source and user, $win1h events/s, 120 records per event)"
