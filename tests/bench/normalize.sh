#!/usr/bin/env bash
# normalize: RFC 5424 lines per second (headers and structured data, no
# pattern matches) beside grep -P matching the same header; and RFC 3164
# sshd and netfilter lines per second with the built-in patterns beside
# grep -oP printing each match of the built-in netfilter regex over the
# same file (the extraction normalize does, without the JSON), and for
# scale beside grep -cP, which only counts matching lines, in the same run.
set -u
: "${ROOT:?}" "${BIN:?}" "${BENCH_DIR:?}"
N=${NORMALIZE_BENCH_LINES:-1000000}
D=$BENCH_DIR/normalize; mkdir -p "$D"

python3 - "$N" "$D" <<'PY'
import random, sys
n, d = int(sys.argv[1]), sys.argv[2]
r = random.Random(3)
with open(d + "/5424.log", "w") as f:
    for i in range(n):
        f.write('<%d>1 2026-05-27T10:%02d:%02d.%03dZ host%d.example.net app%d %d ID%d '
                '[meta@32473 seq="%d" zone="dmz\\]a"] event %d: user=u%d action=read\n' % (
                r.randint(0, 191), i // 60000 % 60, i // 1000 % 60, i % 1000, i % 500,
                i % 7, 1000 + i % 900, i % 40, i, i, i % 3000))
with open(d + "/3164.log", "w") as f:
    for i in range(n):
        s = "%d.%d.%d.%d" % (203, 0, 113, i % 250)
        if i % 2:
            f.write('May 27 10:%02d:%02d fw kernel: [%d.123456] DROP: IN=eth0 OUT= '
                    'MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=%s DST=192.0.2.%d '
                    'LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=%d DF PROTO=TCP SPT=%d DPT=%d '
                    'WINDOW=29200 RES=0x00 SYN URGP=0\n' % (
                    i // 60 % 60, i % 60, i, s, i % 200, i % 65536, 30000 + i % 30000, i % 1024))
        else:
            f.write('May 27 10:%02d:%02d gw sshd[%d]: Failed password for %s from %s '
                    'port %d ssh2\n' % (i // 60 % 60, i % 60, 1000 + i % 30000,
                    "invalid user admin" if i % 4 else "root", s, 30000 + i % 30000))
PY
# The built-in netfilter regex, as normalize has it.
re=$(jq -r '.patterns[] | select(.name == "netfilter") | .regex' "$ROOT/normalize/patterns.json")

timed() {   # "wall user+sys" seconds of CMD
	local TIMEFORMAT='%R %U %S' t
	t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
	set -- $t
	echo "$1 $(echo "$2 + $3" | bc -l)"
}
read -r w1 c1 < <(timed sh -c "'$BIN/normalize' --tz UTC <'$D/5424.log' >'$D/5424.out'")
read -r r1 rc1 < <(timed sh -c "grep -cP '^<\\d+>1 \\S+ \\S+ \\S+ \\S+ \\S+ ' '$D/5424.log'")
read -r w2 c2 < <(timed sh -c "'$BIN/normalize' --tz UTC --format rfc3164 <'$D/3164.log' >'$D/3164.out'")
read -r r2 rc2 < <(timed sh -c 'grep -oP "$1" "$2" >"$3"' sh "$re" "$D/3164.log" "$D/grep.out")
read -r r3 rc3 < <(timed grep -cP "$re" "$D/3164.log")
out1=$(grep -c . "$D/5424.out"); out2=$(grep -c '"pattern"' "$D/3164.out")
row() {   # what netwatch-seconds reference-seconds (per CPU second)
	local a b
	a=$(echo "$N / $2" | bc); b=$(echo "$N / $3" | bc)
	printf '%-44s %16s %16s %8s\n' "$1" "$a" "$b" "$(echo "scale=2; $a / $b" | bc)"
}
row "normalize rfc5424 lines/s (vs grep -P header)" "$c1" "$rc1"
row "normalize rfc3164 + patterns (vs grep -oP nf)" "$c2" "$rc2"
row "  the same vs grep -cP nf (count only)" "$c2" "$rc3"
echo "  ($N lines each, rates per CPU second; $out1 signals, $out2 pattern matches; wall ${w1}s ${w2}s vs grep ${r1}s ${r2}s ${r3}s)"
[ "$out1" -eq "$N" ] && [ "$out2" -eq "$N" ]
