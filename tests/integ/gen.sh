#!/usr/bin/env bash
# gen: reproducibility, schema and traffic profile, the upstream knobs,
# scenarios against their ground truth, stream chaos rates, pacing, exits.
. "$(dirname "$0")/../lib.sh"

START=1763712000
G="gen --start-time $START --seed 7"

# ---- reproducibility --------------------------------------------------------
$G --count 20000 --eps 0 --rate 1000 >"$T/a" 2>/dev/null
$G --count 20000 --eps 0 --rate 1000 >"$T/b" 2>/dev/null
gen --start-time $START --seed 8 --count 20000 --eps 0 --rate 1000 >"$T/c" 2>/dev/null
check gen_same_seed_same_bytes cmp -s "$T/a" "$T/b"
differs() { ! cmp -s "$1" "$2"; }
check gen_other_seed_differs differs "$T/a" "$T/c"
$G --scenario demo --ooo-prob 0.01 --dup-prob 0.01 --malformed-prob 0.001 \
	--malformed-kinds truncated,types,missing,utf8,empty >"$T/s1" 2>/dev/null
$G --scenario demo --ooo-prob 0.01 --dup-prob 0.01 --malformed-prob 0.001 \
	--malformed-kinds truncated,types,missing,utf8,empty >"$T/s2" 2>/dev/null
check gen_scenario_chaos_reproducible cmp -s "$T/s1" "$T/s2"

# ---- schema and the normal traffic profile (docs/contracts.md) -------------------
$G --count 30000 --chaos off --eps 0 >"$T/clean" 2>/dev/null
check gen_clean_schema_and_profile python3 - "$T/clean" 30000 <<'EOF'
import json, sys, re
path, want = sys.argv[1], int(sys.argv[2])
order = ["timestamp","event_id","src_ip","dst_ip","src_port","dst_port",
         "protocol","bytes_sent","bytes_received","latency_ms","packets_sent",
         "flags","app_layer","tags"]
uuid = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$')
pool = {"10.0.0.5","10.0.1.12","172.16.0.50","10.0.2.23","192.168.1.100"}
isint = lambda v: isinstance(v, int) and not isinstance(v, bool)
n = 0; srcs = set(); dsts = set(); p443 = 0; ids = set()
for line in open(path, encoding="utf-8"):
    o = json.loads(line); n += 1
    assert list(o) == order, list(o)
    for k in ("timestamp","src_port","dst_port","bytes_sent","bytes_received",
              "latency_ms","packets_sent"):
        assert isint(o[k]), k
    for k in ("event_id","src_ip","dst_ip","protocol"):
        assert isinstance(o[k], str), k
    assert uuid.match(o["event_id"]), o["event_id"]
    ids.add(o["event_id"])
    assert list(o["app_layer"]) == ["protocol","method","host","status_code"]
    assert isint(o["app_layer"]["status_code"])
    assert list(o["tags"]) == ["env","region","security_group"]
    assert re.match(r'^sg-\d{6}$', o["tags"]["security_group"])
    assert o["protocol"] in ("TCP", "UDP")
    assert 200 <= o["bytes_sent"] <= 1200 and 500 <= o["bytes_received"] <= 10000
    assert 1 <= o["packets_sent"] <= 40 and 5 <= o["latency_ms"] <= 120
    assert o["flags"] in (["ACK"], ["SYN","ACK"], ["ACK","PSH"]), o["flags"]
    assert o["app_layer"]["status_code"] in (200,201,204,301,304,404)
    assert o["dst_port"] in (443,80,53,22,8080,5432)
    assert 1024 <= o["src_port"] <= 65535
    srcs.add(o["src_ip"]); dsts.add(o["dst_ip"]); p443 += o["dst_port"] == 443
assert n == want, n
assert len(ids) == n
assert len(srcs) == 20 and pool <= srcs, srcs
assert len(dsts) == 10, dsts
assert 0.45 < p443 / n < 0.55, p443 / n
EOF

# synthetic time advances at the --eps rate: 30000 events at 5000/s = 6 s
check_eq gen_synthetic_clock "$START $((START + 5))" \
	"$(jq -r .timestamp "$T/clean" | sort -n | sed -n '1p;$p' | tr '\n' ' ' | sed 's/ $//')"

# ---- the upstream knobs ---------------------------------------------------------
EPS_TARGET=15000 WORKER_COUNT=20 CHAOS_MODE=true DATA_EXFIL_PROB=0.30 \
	gen --start-time $START --seed 1 --eps 0 --count 20000 >"$T/up" 2>/dev/null
check gen_upstream_knobs python3 - "$T/up" <<'EOF'
import json, sys
n = ex = er = sp = 0
for line in open(sys.argv[1]):
    o = json.loads(line); n += 1
    if o["bytes_sent"] > 1200:
        assert 10*2**20 <= o["bytes_sent"] <= 60*2**20, o["bytes_sent"]
        assert o["dst_port"] == 53 and o["protocol"] == "UDP"
        ex += 1
    if o["flags"] == ["RST","ACK"]:
        assert o["app_layer"]["status_code"] == 503
        er += 1
    if o["latency_ms"] > 120:
        assert 2000 <= o["latency_ms"] <= 7000
        sp += 1
assert n == 20000
assert 0.27 < ex / n < 0.33, ex / n
assert 0.04 < er / n < 0.06, er / n
assert 0.09 < sp / n < 0.11, sp / n
# EPS_TARGET=15000 sets the synthetic clock: 20000 events span ~1.3 s
EOF
check_eq gen_chaos_mode_off_env 0 "$(CHAOS_MODE=off $G --count 5000 --eps 0 2>/dev/null \
	| jq -c 'select(.latency_ms > 120 or .bytes_sent > 1200 or (.flags|index("RST")))' | wc -l)"
out=$(CHAOS_MODE=maybe gen --count 1 2>&1 >/dev/null); rc=$?
check_eq gen_bad_env_exits_2 "2 1" "$rc $(printf '%s\n' "$out" | wc -l)"

# --sources N: N distinct addresses
check_eq gen_sources_1000 1000 "$($G --sources 1000 --count 50000 --eps 0 --chaos off 2>/dev/null \
	| jq -r .src_ip | sort -u | wc -l)"

# ---- scenarios against their ground truth -------------------------------------
$G --scenario demo --truth "$T/truth" >"$T/demo" 2>/dev/null
check gen_demo_truth_matches python3 - "$T/demo" "$T/truth" <<'EOF'
import json, sys, collections
truth = [json.loads(l) for l in open(sys.argv[2])]
kinds = {t["kind"] for t in truth}
assert kinds == {"data_exfiltration","port_scan","flood","packet_flood",
                 "reset_storm","latency_spike"}, kinds
for t in truth:
    assert list(t) == ["kind","key_field","key","start","end"], t
    assert t["key_field"] == ("dst_ip" if t["kind"] == "flood" else "src_ip")
    assert t["start"] % 1000 == 0 and t["end"] > t["start"]
by_key = {(t["key_field"][:3], t["key"]): t for t in truth}
ev = collections.defaultdict(list)
prev = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["timestamp"] >= prev, "not in event-time order"
    prev = o["timestamp"]
    hit = by_key.get(("src", o["src_ip"])) or by_key.get(("dst", o["dst_ip"]))
    if hit:
        ev[hit["kind"]].append(o)
        assert hit["start"] <= o["timestamp"] * 1000 <= hit["end"], (hit, o)
    else:   # background: clean, below every threshold
        assert o["bytes_sent"] <= 1200 and o["latency_ms"] <= 120
        assert "RST" not in o["flags"] and o["app_layer"]["status_code"] < 500
        assert o["packets_sent"] <= 40
span = lambda k: (by_key_kind[k]["end"] - by_key_kind[k]["start"]) / 1000 + 1
by_key_kind = {t["kind"]: t for t in truth}
def per_sec(k):
    c = collections.Counter(o["timestamp"] for o in ev[k])
    return min(c.values()), len(c)
# every episode's first and last events are its truth span
for k, t in by_key_kind.items():
    ts = [o["timestamp"] * 1000 for o in ev[k]]
    assert min(ts) == t["start"] and max(ts) == t["end"], k
x = ev["data_exfiltration"]
assert all(o["bytes_sent"] >= 10*2**20 and o["dst_port"] == 53 and
           o["protocol"] == "UDP" for o in x)
assert span("data_exfiltration") >= 60 and len(x) >= 2 * span("data_exfiltration") / 10
p = ev["port_scan"]
assert span("port_scan") <= 30 and len({o["dst_port"] for o in p}) >= 100
assert len({o["dst_ip"] for o in p}) == 1 and all(o["flags"] == ["SYN"] for o in p)
ports = [o["dst_port"] for o in p]
assert ports == list(range(ports[0], ports[0] + len(ports))), "not sequential"
f = ev["flood"]
assert span("flood") >= 60 and per_sec("flood")[0] >= 2000
assert len({o["src_ip"] for o in f}) >= 2000
for k, lo in (("packet_flood", 200), ("reset_storm", 20), ("latency_spike", 20)):
    assert span(k) >= 60 and per_sec(k)[0] >= lo, (k, per_sec(k))
assert all(1000 <= o["packets_sent"] <= 1500 for o in ev["packet_flood"])
r = ev["reset_storm"]
assert sum(o["flags"] == ["RST","ACK"] and o["app_layer"]["status_code"] == 503
           for o in r) >= 0.8 * len(r)
assert all(2000 <= o["latency_ms"] <= 7000 for o in ev["latency_spike"])
EOF

cat >"$T/sc.ndjson" <<'EOF'
# a custom scenario
{"kind":"background","rate":100,"duration":"40s"}
{"kind":"port_scan","at":"5s","duration":"10s","src":"10.66.0.9","dst":"10.0.5.55","port":1000}
{"kind":"data_exfiltration","at":12.5,"duration":"20s","rate":1}
EOF
$G --scenario "$T/sc.ndjson" --truth "$T/t2" >"$T/o2" 2>/dev/null
check_eq gen_scenario_file_truth \
'{"kind":"port_scan","key_field":"src_ip","key":"10.66.0.9","start":1763712005000,"end":1763712014000}
{"kind":"data_exfiltration","key_field":"src_ip","key":"10.66.0.2","start":1763712012000,"end":1763712031000}' \
	"$(cat "$T/t2")"
check_eq gen_scenario_file_events "4120 100 20" \
	"$(jq -r .src_ip "$T/o2" | wc -l) $(grep -c '"10.66.0.9"' "$T/o2") $(grep -c '"10.66.0.2"' "$T/o2")"

# ---- stream chaos: each at roughly its probability -------------------------------
CH="$G --eps 0 --rate 1000 --count 20000 --chaos off"
check gen_chaos_out_of_order python3 - <<EOF
import json, subprocess
out = subprocess.run("$CH --ooo-prob 0.1 2>/dev/null", shell=True, capture_output=True).stdout.splitlines()
ts = [json.loads(l)["timestamp"] for l in out]
assert len(ts) == 20000
mx = 0; behind = 0
for t in ts:
    if t < mx:
        behind += 1
        assert mx - t <= 3, "ooo jitter beyond 3 s"
    mx = max(mx, t)
assert 0.04 < behind / len(ts) < 0.11, behind / len(ts)
EOF
check gen_chaos_late python3 - <<EOF
import json, subprocess
out = subprocess.run("$CH --late-prob 0.05 2>/dev/null", shell=True, capture_output=True).stdout.splitlines()
ts = [json.loads(l)["timestamp"] for l in out]
assert len(ts) == 20000
mx = 0; late = 0
for t in ts:
    late += mx - t > 5
    mx = max(mx, t)
assert 0.035 < late / len(ts) < 0.06, late / len(ts)
EOF
check gen_chaos_duplicates python3 - <<EOF
import json, subprocess, collections
out = subprocess.run("$CH --dup-prob 0.05 2>/dev/null", shell=True, capture_output=True).stdout.splitlines()
objs = [json.loads(l) for l in out]
c = collections.Counter(o["event_id"] for o in objs)
assert len(c) == 20000 and max(c.values()) == 2
d = len(objs) - 20000
assert 0.04 < d / 20000 < 0.06, d
first = {}
for o in objs:   # a duplicate is the same event, byte for byte
    assert first.setdefault(o["event_id"], o) == o
EOF
# fewer events: a "long" line is over 1 MiB
CHM="$G --eps 0 --rate 1000 --count 5000 --chaos off"
check gen_chaos_malformed python3 - <<EOF
import json, subprocess, collections
out = subprocess.run("$CHM --malformed-prob 0.05 2>/dev/null", shell=True, capture_output=True).stdout.split(b"\n")[:-1]
order = ["timestamp","event_id","src_ip","dst_ip","src_port","dst_port","protocol",
         "bytes_sent","bytes_received","latency_ms","packets_sent","flags","app_layer","tags"]
kinds = collections.Counter(); good = 0
for l in out:
    if l == b"": kinds["empty"] += 1; continue
    if len(l) > 1 << 20: kinds["long"] += 1; continue
    try: s = l.decode("utf-8")
    except UnicodeDecodeError: kinds["utf8"] += 1; continue
    try: o = json.loads(s)
    except ValueError: kinds["truncated"] += 1; continue
    if list(o) != order: kinds["missing"] += 1; continue
    if not (isinstance(o["timestamp"], int) and isinstance(o["bytes_sent"], int)
            and isinstance(o["src_ip"], str) and isinstance(o["flags"], list)):
        kinds["types"] += 1; continue
    good += 1
assert good == 5000, good
bad = sum(kinds.values())
assert 0.04 < bad / 5000 < 0.06, bad
assert set(kinds) == {"empty","long","utf8","truncated","missing","types"}, kinds
EOF

# ---- pacing (functional check of --eps, wall clock) ------------------------------
n=$(gen --eps 15000 --duration 3s 2>/dev/null | wc -l)
check gen_pacing_15000_for_3s test "$n" -ge 40500 -a "$n" -le 49500
echo "pacing: $n events in 3 s at --eps 15000"
now=$(date +%s)
ts=$(gen --eps 1000 --count 10 2>/dev/null | jq -r .timestamp | head -1)
check gen_wall_clock_default test "$ts" -ge "$((now - 2))" -a "$ts" -le "$((now + 2))"

# ---- exits ------------------------------------------------------------------------
for args in "--bogus" "--eps -1" "--count 0" "--late-prob 2" "--duration 3x" \
	"--scenario nosuch" "--truth $T/x" "--kafka b:9092" "--malformed-kinds odd" \
	"--sources 0" "extra" "--chaos maybe" "--rate 10"; do
	out=$(gen $args --count 1 2>&1 >/dev/null); rc=$?
	check_eq "gen_bad_flag_exit_2 [$args]" "2 1" "$rc $(printf '%s\n' "$out" | wc -l)"
done
printf '{"kind":"flood","at":"10s"}\n{"kind":"flood","at":"x"}\n' >"$T/bad.sc"
out=$(gen --scenario "$T/bad.sc" 2>&1 >/dev/null); rc=$?
check_eq gen_bad_scenario_exit_2 "2" "$rc"
check gen_bad_scenario_names_line grep -q 'line 2' <<<"$out"
out=$(gen --help); rc=$?         # captured: grep -q in a pipe could SIGPIPE it
grep -q -- '--scenario' <<<"$out"; check_eq gen_help "0 0" "$rc $?"
check gen_version sh -c 'gen --version | grep -q "^gen (netwatch)"'
gen --eps 0 2>/dev/null | head -c 1000 >/dev/null
check_eq gen_epipe_exit_3 3 "${PIPESTATUS[0]}"
gen --eps 2000 >"$T/term" 2>/dev/null & pid=$!
wait_handler 20 $pid; wait_for 20 test -s "$T/term"
kill -TERM $pid; wait $pid; rc=$?
check_eq gen_sigterm_exit_0 0 "$rc"
check gen_sigterm_whole_lines sh -c "test -s '$T/term' && jq -c . '$T/term' >/dev/null"

# --kafka runs the producer beside the binary or from PATH: without one it
# fails at run time (1), with a fake one it hands it every line, keyed.
mkdir -p "$T/bin" "$T/fake"
cp "$BIN/gen" "$T/bin/gen"
(PATH=/usr/bin:/bin "$T/bin/gen" --kafka 127.0.0.1:1 --topic t --count 10 \
	>/dev/null 2>"$T/kerr"); rc=$?
check_eq gen_kafka_no_producer_exit_1 1 "$rc"
cat >"$T/fake/kcat-src" <<EOF
#!/bin/sh
echo "\$*" >"$T/fake/args"; exec cat >"$T/fake/got"
EOF
chmod +x "$T/fake/kcat-src"
(PATH=$T/fake:/usr/bin:/bin "$T/bin/gen" --kafka 127.0.0.1:9 --topic tt --count 100 \
	--start-time $START --seed 7 --eps 0 >/dev/null 2>&1); rc=$?
check_eq gen_kafka_pipes_into_producer "0 -P -b 127.0.0.1:9 -t tt --key-field src_ip 100" \
	"$rc $(cat "$T/fake/args") $(wc -l <"$T/fake/got")"

# --realtime paces a scenario by event time: 2 s of events take about 2 s
printf '{"kind":"background","rate":200,"duration":"2s"}\n' >"$T/rt.sc"
t0=$(date +%s%N)
n=$(gen --scenario "$T/rt.sc" --realtime 2>/dev/null | wc -l)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check gen_realtime_paces_by_event_time test "$n" = 400 -a "$ms" -ge 1700 -a "$ms" -le 6000

# --stats: the counters as one JSON line
gen --start-time $START --seed 1 --eps 0 --count 5000 --dup-prob 0.1 \
	--stats "$T/stats.json" >/dev/null 2>&1
check_eq gen_stats_file "5000 true" \
	"$(jq -r '"\(.events) \(.duplicates > 300 and .lines_out == .events + .duplicates)"' "$T/stats.json")"
