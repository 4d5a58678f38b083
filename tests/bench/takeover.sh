#!/usr/bin/env bash
# takeover: how long the partitions of a chain that died whole wait for
# another chain of the group (docs/recovery.md, "Takeover").  Two chains
# `kcat-src -G g --state-redis … | window | tap | detect | notify`, each
# under its own scripts/supervise, share a 4-partition topic fed live
# (gen | kcat-src -P keyed by src_ip) and one Redis; once both run, chain a
# is killed whole (supervisor and stages, SIGKILL).  The figure: from the
# kill to the first record out of chain b's window for a source of one of
# a's partitions (the producer's partitioner: CRC-32 of the key mod 4);
# beside it the session timeout both use, which the group waits out before
# it moves anything.
set -u
: "${ROOT:?}" "${BIN:?}" "${BENCH_DIR:?}"
D=$BENCH_DIR/takeover; rm -rf "$D"; mkdir -p "$D"
PATH=$BIN:$PATH
SESSION_MS=3000

# The tap: passes lines on and notes when each record comes by, and its key.
cat >"$D/tap.py" <<'PY'
import os, sys, time
path, stamps = os.environ.get("NW_REOPEN_INPUT"), sys.argv[1]
out, src = sys.stdout.buffer, sys.stdin.buffer
with open(stamps, "a") as st:
    while True:
        for line in src:
            if not line.startswith(b'{"@ctl"'):
                i = line.find(b'"key":"')
                if i >= 0:
                    key = line[i + 7:line.index(b'"', i + 7)].decode()
                    st.write("%d %s\n" % (time.time() * 1000, key)); st.flush()
            out.write(line); out.flush()
        if not path or os.path.exists(path + ".eof"):
            break
        src = open(path, "rb")
PY

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t / 1000)); }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
redis=$!
kafka-devbroker --topic ev:4 --bootstrap-file "$D/boot" >/dev/null 2>"$D/broker.log" &
broker=$!
for ((i = 0; i < 100; i++)); do [ -s "$D/boot" ] && break; sleep 0.1; done
bs=$(cat "$D/boot")
gen --eps 400 2>/dev/null | kcat-src -P -b "$bs" -t ev --key-field src_ip >/dev/null 2>&1 &
feed=$!
chain() {
	"$ROOT/scripts/supervise" -d "$D/run-$1" --backoff-min 0.1s --backoff-max 0.2s -- \
		kcat-src -b "$bs" -t ev -G g -o end --state-redis "redis://127.0.0.1:$port" \
			--checkpoint-interval 1s \
			-X session.timeout.ms=$SESSION_MS -X heartbeat.interval.ms=300 -- \
		window --key src_ip --size 1s --slide 1s --out-of-orderness 1s -- \
		python3 "$D/tap.py" "$D/stamps-$1" -- \
		detect -- \
		notify --stdout --spool "$D/run-$1/spool" >/dev/null 2>"$D/supervise-$1.log" &
}
owned() {   # the partitions chain NAME owns, one a line
	jq -r '.partitions[]? | select(.owned) | .partition' \
		"$D/run-$1/1-kcat-src.stats" 2>/dev/null
}
chain a; sup_a=$!
chain b; sup_b=$!
for ((i = 0; i < 600; i++)); do
	[ "$(owned a | wc -l)" = 2 ] && [ "$(owned b | wc -l)" = 2 ] &&
		[ "$(cat "$D/run-a/ckpt/completed" 2>/dev/null || echo 0)" -ge 3 ] && break
	sleep 0.1
done
owned a >"$D/parts-a"
sleep 1
kill_ms=$(now_ms)
kill -9 "$sup_a"; wait "$sup_a" 2>/dev/null
for p in $(sed -n 's/^stage_[0-9]*_pid=\([0-9][0-9]*\)$/\1/p' "$D/run-a/state"); do
	kill -9 "$p" 2>/dev/null
done
for ((i = 0; i < 600; i++)); do [ "$(owned b | wc -l)" = 4 ] && break; sleep 0.1; done
sleep 3
end=$(now_ms)
kill "$sup_b" 2>/dev/null; wait "$sup_b" 2>/dev/null
kill -9 "$feed" 2>/dev/null
kill "$broker" "$redis" 2>/dev/null; wait "$broker" "$redis" 2>/dev/null
ms=$(python3 - "$kill_ms" "$end" "$D/parts-a" "$D/stamps-b" <<'PY'
import sys, zlib
kill, end = int(sys.argv[1]), int(sys.argv[2])
parts = {int(x) for x in open(sys.argv[3]) if x.strip()}
for line in open(sys.argv[4]):
    t, key = line.split(" ", 1)
    if int(t) > kill and zlib.crc32(key.strip().encode()) % 4 in parts:
        print(int(t) - kill); break
else:
    print(">%d" % (end - kill))
PY
)
grep -q "taking over" "$D/run-b/1-kcat-src.log" || ms="none"
printf '%-44s %16s %16s %8s\n' "chain killed whole: ms to survivor's line" \
	"$ms" "$SESSION_MS" \
	"$(awk -v a="${ms#>}" -v b="$SESSION_MS" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')"
printf '%-44s\n' "  (ref: the session timeout it waits out)"
