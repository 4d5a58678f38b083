#!/usr/bin/env bash
# window over the upstream sample equals the committed, hand-checked output
# (defaults, and --key src_ip --key dst_ip); the same input run twice gives
# byte-identical output.
. "$(dirname "$0")/../lib.sh"
in=$SAMPLES/upstream-events.ndjson
g=$ROOT/tests/golden

window <"$in" >"$T/out1" 2>"$T/err1"
check "window_golden_exit_0" [ $? -eq 0 ]
if cmp -s "$g/window-upstream-events.ndjson" "$T/out1"; then
	pass window_golden_defaults
else
	fail window_golden_defaults "$(diff "$g/window-upstream-events.ndjson" "$T/out1" | head -5)"
fi
window --key src_ip --key dst_ip <"$in" >"$T/out2" 2>/dev/null
if cmp -s "$g/window-upstream-events-2keys.ndjson" "$T/out2"; then
	pass window_golden_two_keys
else
	fail window_golden_two_keys "$(diff "$g/window-upstream-events-2keys.ndjson" "$T/out2" | head -5)"
fi

# byte-identical across runs, on a larger disordered input with late events
python3 - "$T/big.ndjson" <<'PY'
import json, random, sys
rnd = random.Random(7)
with open(sys.argv[1], 'w') as f:
    t = 1763711940
    for i in range(20000):
        t += rnd.random() * 0.01
        ts = int((t - (rnd.random() * 8 if rnd.random() > 0.01 else 90)) * 1000)
        f.write(json.dumps({"timestamp": ts, "src_ip": "10.0.0.%d" % rnd.randrange(50),
            "dst_ip": "8.8.%d.8" % rnd.randrange(300), "dst_port": rnd.randrange(2000),
            "bytes_sent": rnd.randrange(10**6), "bytes_received": 1, "packets_sent": 1,
            "latency_ms": rnd.random() * 100, "flags": ["ACK"]}) + "\n")
PY
for i in 1 2 3; do
	window --key src_ip --key dst_ip --late "$T/late$i" <"$T/big.ndjson" >"$T/run$i" 2>/dev/null
done
check window_byte_identical_runs cmp -s "$T/run1" "$T/run2"
check window_byte_identical_runs_again cmp -s "$T/run1" "$T/run3"
check window_byte_identical_late cmp -s "$T/late1" "$T/late3"
check window_output_is_ndjson python3 -c '
import json, sys
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l); n += 1
    assert r["type"] == "window" and r["count"] > 0
    assert r["window_end"] - r["window_start"] == 60000
assert n > 1000
' "$T/run1"
check window_some_late_events [ -s "$T/late1" ]
