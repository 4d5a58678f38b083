#!/usr/bin/env bash
# enrich: events per CPU second with every kind of local data at once (a
# GeoIP and an ASN database built by tests/integ/enrich_mmdb.pl, a list of
# 1,000,000 random /24s, an identity file of 65,536 hosts and 256 subnets)
# over 1,000,000 events with a public source and a private destination,
# beside window alone (defaults) over the same events and, for scale, cat.
# The time to load the files (enrich --check) is taken out: a reload is
# once per SIGHUP, the rate is per event.  The databases are small, so a
# GeoIP lookup here is cheaper than in a 70 MB GeoLite2-City.
set -u
: "${ROOT:?}" "${BIN:?}" "${BENCH_DIR:?}"
N=${ENRICH_BENCH_EVENTS:-1000000}
P=${ENRICH_BENCH_PREFIXES:-1000000}
D=$BENCH_DIR/enrich; mkdir -p "$D"

perl "$ROOT/tests/integ/enrich_mmdb.pl" "$D" || exit 1
python3 - "$N" "$P" "$D" <<'PY'
import random, sys
n, p, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
r = random.Random(5)
def pub():
    while True:
        a = r.getrandbits(32)
        if 1 <= a >> 24 < 224 and a >> 24 not in (10, 127):
            return "%d.%d.%d.%d" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255)
with open(d + "/list.txt", "w") as f:
    f.write("; random /24s, Spamhaus DROP style\n")
    seen = set()
    while len(seen) < p:
        seen.add(r.getrandbits(24))
    for v in seen:
        f.write("%d.%d.%d.0/24 ; SBL%d\n" % (v >> 16, v >> 8 & 255, v & 255, v))
with open(d + "/id.csv", "w") as f:
    f.write("ip_or_cidr,host,user,owner,team\n")
    for s in range(256):
        f.write("10.%d.0.0/16,,,owner%d,team%d\n" % (s, s, s % 8))
    for h in range(65536):
        f.write("10.%d.%d.%d,host%d,user%d,,\n" % (h >> 8, h & 255, 7, h, h % 5000))
with open(d + "/events", "w") as f:
    for i in range(n):
        f.write('{"timestamp":%d,"src_ip":"%s","dst_ip":"10.%d.%d.7",'
                '"dst_port":443,"protocol":"TCP","bytes_sent":%d}\n' % (
                1763711940 + i // 20000, pub(), r.randrange(256), r.randrange(256),
                r.randrange(100000)))
PY
flags=(--geoip "$D/city.mmdb" --asn "$D/asn.mmdb" --list drop="$D/list.txt"
       --identity "$D/id.csv")

cpu() {   # user+sys seconds of CMD
	local TIMEFORMAT='%U %S' t
	t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
	set -- $t
	echo "$1 + $2" | bc -l
}
c_load=$(cpu "$BIN/enrich" "${flags[@]}" --check)
c_run=$(cpu sh -c '"$0" "$@" <"'"$D"'/events" >"'"$D"'/out"' "$BIN/enrich" "${flags[@]}")
c_win=$(cpu sh -c "'$BIN/window' <'$D/events'")
c_cat=$(cpu sh -c "cat '$D/events' >'$D/cat.out'")
c_enr=$(echo "$c_run - $c_load" | bc -l)
out=$(grep -c . "$D/out"); listed=$(grep -c '"lists"' "$D/out")
row() {   # what netwatch-seconds reference-seconds
	local a b
	a=$(echo "$N / ($2 + 0.0001)" | bc); b=$(echo "$N / ($3 + 0.0001)" | bc)
	printf '%-44s %16s %16s %8s\n' "$1" "$a" "$b" "$(echo "scale=2; $a / $b" | bc)"
}
row "enrich events/s, all local data (vs window)" "$c_enr" "$c_win"
row "  the same vs cat" "$c_enr" "$c_cat"
echo "  ($N events, $P prefixes; loading the files took ${c_load}s CPU; $out out, $listed on the list)"
[ "$out" -eq "$N" ] && [ "$listed" -gt 0 ]
ok_local=$?

# External lookups: distinct public addresses against the loopback lookup
# service (tests/tools/lookup_service.py, a thread per connection) that
# answers each after 50 ms, with --concurrency 64: the limit is 64 / 0.05 s
# = 1,280 addresses/s.  Wall-clock time, start to the last line out.
L=${ENRICH_BENCH_LOOKUPS:-3840}
python3 "$ROOT/tests/tools/lookup_service.py" --port-file "$D/port" --delay 50 &
spid=$!
trap 'kill $spid 2>/dev/null' EXIT
for _ in $(seq 400); do [ -s "$D/port" ] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$D/port")/check?ip={ip}"
python3 - "$L" >"$D/lk.events" <<'PY'
import sys
for i in range(int(sys.argv[1])):   # 11.0.0.0/8 upwards: public, distinct
    print('{"src_ip":"%d.%d.%d.%d","dst_ip":"10.0.0.1"}' % (11 + (i >> 24), i >> 16 & 255, i >> 8 & 255, i & 255))
PY
"$BIN/enrich" --lookup "$url" --concurrency 64 <"$D/lk.events" >/dev/null 2>&1   # warm-up: connections
t0=${EPOCHREALTIME/./}
"$BIN/enrich" --lookup "$url" --concurrency 64 --cache 1 --stats "$D/lk.stats" \
	<"$D/lk.events" >"$D/lk.out" 2>/dev/null
t1=${EPOCHREALTIME/./}
kill $spid 2>/dev/null
secs=$(echo "($t1 - $t0) / 1000000" | bc -l)
answered=$(grep -c '"lookup":' "$D/lk.out")
rate=$(echo "$L / $secs" | bc)
printf '%-44s %16s %16s %8s\n' "enrich --lookup distinct IPs/s (vs 64/50ms)" "$rate" 1280 \
	"$(echo "scale=2; $rate / 1280" | bc)"
echo "  ($L distinct addresses in $(printf %.2f "$secs")s wall, $answered answered, --concurrency 64)"
[ "$ok_local" -eq 0 ] && [ "$answered" -eq "$L" ]
