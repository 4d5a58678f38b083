#!/usr/bin/env bash
# throttle: alerts/s through the gate against a local redis-server, storm of
# 100,000 distinct alerts (every one a claim), beside redis-benchmark's
# pipelined SET (-P 16) on the same server in the same run.
set -u
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BIN:=$ROOT/bin}"
N=${THROTTLE_BENCH_N:-100000}
dir=$(mktemp -d "${BENCH_DIR:-/tmp}/throttle.XXXXXX")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$dir" >"$dir/redis.log" 2>&1 &
rpid=$!
trap 'kill $rpid 2>/dev/null; wait $rpid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
	redis-cli -p "$port" ping >/dev/null 2>&1 && break
	sleep 0.1
done

# The storm: detect's alert shape, 100,000 distinct source addresses.
python3 - "$dir/storm.ndjson" "$N" <<'EOF'
import sys
n = int(sys.argv[2])
with open(sys.argv[1], "w") as f:
    for i in range(n):
        ip = "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)
        f.write('{"type":"alert","alert_id":"%016x","rule":"data_exfiltration",'
                '"severity":"critical","key_field":"src_ip","key":"%s",'
                '"window_start":1763711940000,"window_end":1763712000000,'
                '"metric":"sum_bytes_sent","value":61234567,"threshold":50000000,'
                '"message":"DATA EXFILTRATION DETECTED! IP: %s transferred '
                '61234567 bytes in 60s.","aggregates":{"count":3,'
                '"sum_bytes_sent":61234567}}\n' % (i * 2654435761 % (1 << 64), ip, ip))
EOF

# Best of three runs each, on a flushed server.
best_thr=0
for _ in 1 2 3; do
	redis-cli -p "$port" flushall >/dev/null
	start=$(date +%s.%N)
	REDIS_URL=redis://127.0.0.1:$port NW_LOG_LEVEL=warn \
		"$BIN/throttle" <"$dir/storm.ndjson" >"$dir/out" 2>"$dir/err" ||
		{ echo "bench throttle: throttle failed: $(head -3 "$dir/err")"; exit 1; }
	end=$(date +%s.%N)
	got=$(wc -l <"$dir/out")
	[ "$got" -eq "$N" ] || { echo "bench throttle: $got of $N alerts passed"; exit 1; }
	rate=$(python3 -c "print(int($N / ($end - $start)))")
	[ "$rate" -gt "$best_thr" ] && best_thr=$rate
done

best_ref=0
for _ in 1 2 3; do
	redis-cli -p "$port" flushall >/dev/null
	rate=$(redis-benchmark -p "$port" -t set -P 16 -n "$N" -q 2>/dev/null |
		tr '\r' '\n' | grep -o 'SET: [0-9.]*' | tail -1 | cut -d' ' -f2)
	rate=${rate%.*}
	[ -n "$rate" ] && [ "$rate" -gt "$best_ref" ] && best_ref=$rate
done

ratio=$(python3 -c "print('%.2f' % ($best_thr / $best_ref if $best_ref else 0))")
printf '%-44s %16s %16s %8s\n' "throttle storm $N distinct (alerts/s)" \
	"$best_thr" "$best_ref" "$ratio"
printf '%-44s %16s %16s %8s\n' "  reference: redis-benchmark -t set -P 16" "" "" ""
