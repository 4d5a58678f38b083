#!/usr/bin/env bash
# gen --kafka: every event reaches the topic through kcat-src -P, keyed by
# src_ip (so one source always lands in one partition).
. "$(dirname "$0")/../lib.sh"

kafka-devbroker --topic gt:3 --bootstrap-file "$T/bootstrap" \
	>/dev/null 2>"$T/broker.log" &
at_exit "kill $!"
wait_for 30 test -s "$T/bootstrap" || { fail gen_kafka_broker "no bootstrap"; exit 1; }
BS=$(cat "$T/bootstrap")

check gen_kafka_produce timeout 60 gen --start-time 1763712000 --seed 3 --eps 0 \
	--count 3000 --chaos off --sources 50 --kafka "$BS" --topic gt
for p in 0 1 2; do
	timeout 60 kcat-src -b "$BS" -t gt -p $p -e 2>>"$T/kcat.log" >"$T/p$p" || true
done
gen --start-time 1763712000 --seed 3 --eps 0 --count 3000 --chaos off \
	--sources 50 2>/dev/null | sort >"$T/want"
grep -hv '^{"@ctl"' "$T/p0" "$T/p1" "$T/p2" | sort >"$T/got"   # no partition lines
check gen_kafka_every_event_once cmp -s "$T/want" "$T/got"
# a source in two partitions would appear twice in the per-partition sets
check_eq gen_kafka_keyed_by_src_ip 50 "$(for p in 0 1 2; do
	grep -v '^{"@ctl"' "$T/p$p" | jq -r .src_ip | sort -u; done | wc -l)"
