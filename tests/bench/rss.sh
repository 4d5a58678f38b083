#!/usr/bin/env bash
# Peak RSS of each stage over gen's demo scenario (~303,000 events), beside
# the peak RSS of `cat` over the same input as the floor any process pays.
set -u
D=$BENCH_DIR/rss; mkdir -p "$D"
gen --scenario demo --seed 1 --eps 0 >"$D/events" 2>/dev/null
window --key src_ip --key dst_ip <"$D/events" >"$D/windows" 2>/dev/null
detect <"$D/windows" >"$D/alerts" 2>/dev/null
peak() {   # peak FILE_IN CMD... -> KiB
	local in=$1; shift
	/usr/bin/time -f %M -o "$D/time" "$@" <"$in" >/dev/null 2>/dev/null
	cat "$D/time"
}
row() { printf '%-44s %16s %16s %8s\n' "$1" "$2" "$3" "-"; }
ref=$(peak "$D/events" cat)
row "peak RSS KiB: gen (demo scenario)" \
	"$(/usr/bin/time -f %M -o "$D/time" gen --scenario demo --seed 1 --eps 0 >/dev/null 2>&1; cat "$D/time")" "$ref (cat)"
row "peak RSS KiB: window --key src_ip --key dst_ip" \
	"$(peak "$D/events" window --key src_ip --key dst_ip)" "$ref (cat)"
row "peak RSS KiB: detect" "$(peak "$D/windows" detect)" "$ref (cat)"
row "peak RSS KiB: notify --stdout" "$(peak "$D/alerts" notify --stdout)" "$ref (cat)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
rpid=$!
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
row "peak RSS KiB: throttle" \
	"$(peak "$D/alerts" throttle --redis-url "redis://127.0.0.1:$port")" "$ref (cat)"
kill "$rpid"
bs=$D/bs
kafka-devbroker --topic rss:1 --bootstrap-file "$bs" >/dev/null 2>&1 &
bpid=$!
for _ in $(seq 100); do [ -s "$bs" ] && break; sleep 0.1; done
head -n 10000 "$D/events" | kcat-src -P -b "$(cat "$bs")" -t rss 2>/dev/null
row "peak RSS KiB: kcat-src (10,000 messages)" \
	"$(peak /dev/null kcat-src -b "$(cat "$bs")" -t rss -e)" "$ref (cat)"
kill "$bpid"
