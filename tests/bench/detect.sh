#!/usr/bin/env bash
# detect: window records per second through the built-in rules, beside a
# jansson parse-only pass (json_loadb per line, nothing else) over the same
# file in the same run.
set -u
: "${ROOT:?}" "${BIN:?}" "${BENCH_DIR:?}"
N=${DETECT_BENCH_RECORDS:-500000}
D=$BENCH_DIR/detect; mkdir -p "$D"

# Records shaped like window's default output: per source and per
# destination, with a few that fire.
python3 - "$N" >"$D/records.ndjson" <<'PY'
import random, sys
n = int(sys.argv[1]); r = random.Random(1)
out = sys.stdout.write
for i in range(n):
    we = 1763712000000 + (i // 300) * 10000
    kf = "src_ip" if i % 3 else "dst_ip"
    c = r.randint(500, 3000)
    fire = i % 1000 == 0
    out('{"type":"window","key_field":"%s","key":"10.0.%d.%d","window_start":%d,'
        '"window_end":%d,"count":%d,"sum_bytes_sent":%d,"sum_bytes_received":%d,'
        '"sum_packets_sent":%d,"avg_latency_ms":%.15g,"max_latency_ms":%d,'
        '"distinct_dst_port":%d,"distinct_dst_ip":%d,"distinct_src_ip":%d,'
        '"rst_count":%d,"http_5xx_count":0}\n' % (
        kf, i % 7, i % 250, we - 60000, we, c,
        c * 700 * (100 if fire else 1), c * 5000, c * 20, r.uniform(40, 80),
        120, 6, 10, 1 if kf == "src_ip" else 20, 0))
PY

# The same records as a chain reading a 4-partition topic gets them: a
# partition line from window before each record whose key's partition
# differs from the previous record's (a source's partition by its address,
# a destination's by its last event: any), so detect tags its state per
# partition for a takeover.
python3 - "$D/records.ndjson" >"$D/records-part.ndjson" <<'PY'
import random, sys
r = random.Random(2); last = None
for line in open(sys.argv[1]):
    i = line.index('"key":"') + 7
    key = line[i:line.index('"', i)]
    p = sum(key.encode()) % 4 if '"src_ip"' in line[:40] else r.randrange(4)
    if p != last:
        sys.stdout.write('{"@ctl":{"type":"partition","topic":"nw","partition":%d}}\n' % p)
        last = p
    sys.stdout.write(line)
PY

# The reference: parse each line with jansson and drop it.
cat >"$D/parse_only.c" <<'C'
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
int main(void)
{
	char *line = NULL; size_t cap = 0; ssize_t n; long ok = 0;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_t *j = json_loadb(line, (size_t)n, 0, NULL);
		ok += j != NULL;
		json_decref(j);
	}
	free(line);
	fprintf(stderr, "%ld\n", ok);
	return 0;
}
C
cc -O2 -o "$D/parse_only" "$D/parse_only.c" $(pkg-config --cflags --libs jansson) || exit 1

# timed CMD...: "wall user+sys" seconds of CMD (stdin/stdout set by caller).
timed() {
	local TIMEFORMAT='%R %U %S' t
	t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
	set -- $t
	echo "$1 $(echo "$2 + $3" | bc -l)"
}
read -r w_det c_det < <(timed sh -c "'$BIN/detect' <'$D/records.ndjson' >'$D/alerts'")
read -r w_ref c_ref < <(timed sh -c "'$D/parse_only' <'$D/records.ndjson'")
read -r w_part c_part < <(timed sh -c "'$BIN/detect' <'$D/records-part.ndjson' >'$D/alerts-part'")
plines=$(grep -c '^{"@ctl"' "$D/records-part.ndjson")
alerts=$(grep -c . "$D/alerts")
row() {   # what N-over-detect-seconds N-over-reference-seconds
	local a b
	a=$(echo "$N / $2" | bc); b=$(echo "$N / $3" | bc)
	printf '%-44s %16s %16s %8s\n' "$1" "$a" "$b" "$(echo "scale=2; $a / $b" | bc)"
}
row "detect records/s (built-in rules; ref jansson)" "$w_det" "$w_ref"
row "  the same per CPU-second" "$c_det" "$c_ref"
echo "  ($N records, $alerts alerts; wall ${w_det}s vs ${w_ref}s, cpu ${c_det}s vs ${c_ref}s)"
row "detect with partition lines (vs without)" "$w_part" "$w_det"
echo "  ($plines partition lines among the $N records; same alerts: $(cmp -s "$D/alerts" "$D/alerts-part" && echo yes || echo NO))"
