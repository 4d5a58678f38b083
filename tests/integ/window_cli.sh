#!/usr/bin/env bash
# Flags: --help, --version, bad flags (exit 2, one line), --agg specs and
# their output names and order, approx distinct counts, --max-keys,
# --late, SIGTERM.
. "$(dirname "$0")/../lib.sh"

window --help >"$T/help" 2>&1
check window_help_exit_0 [ $? -eq 0 ]
check window_help_usage grep -q '^usage: window \[--key FIELD\]' "$T/help"
check window_version window --version

for bad in "--size 0" "--slide 2m" "--time-unit hours" "--agg median(x)" \
           "--agg count_if(x>1)" "--max-keys 0" "--key a..b" "--bogus" "--size -5s" \
           "--agg sum(x) --agg sum(x)"; do
	# shellcheck disable=SC2086
	window $bad </dev/null >/dev/null 2>"$T/bad"
	rc=$?
	name=window_bad_flag_$(echo "$bad" | tr -c 'a-z0-9\n' '_')
	if [ $rc -eq 2 ] && [ "$(wc -l <"$T/bad")" -eq 1 ]; then pass "$name"
	else fail "$name" "rc=$rc: $(cat "$T/bad")"; fi
done

# custom aggregates: names, order, nested paths, count_if, approx
python3 - "$T/agg.in" <<'PY'
import json, sys
with open(sys.argv[1], 'w') as f:
    for i in range(3000):
        f.write(json.dumps({"timestamp": 1763712000 + i % 5, "dst_ip": "9.9.9.9",
            "src_ip": "10.%d.%d.1" % (i // 250, i % 250), "protocol": "UDP" if i % 3 else "TCP",
            "app_layer": {"status_code": 200 + i % 400}, "latency_ms": i % 7 + 0.5,
            "tags": ["a", "b"] if i % 2 else []}) + "\n")
PY
window --key dst_ip --agg 'distinct(src_ip)' --agg 'min(app_layer.status_code)' \
	--agg 'avg(latency_ms)' --agg 'udp=count_if(protocol = UDP)' \
	--agg 'tagged=count_if(tags contains "b")' --agg 'sum(latency_ms)' \
	--size 10s --slide 10s <"$T/agg.in" >"$T/agg.out" 2>/dev/null
check_eq window_agg_names_in_flag_order \
	"type key_field key window_start window_end count distinct_src_ip min_app_layer_status_code avg_latency_ms udp tagged sum_latency_ms approx" \
	"$(head -1 "$T/agg.out" | python3 -c 'import json,sys; print(" ".join(json.loads(sys.stdin.readline()).keys()))')"
python3 - "$T/agg.out" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
def t(name, ok):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": %r" % r))
t("window_agg_count", r["count"] == 3000)
t("window_agg_distinct_approx_within_2pct", abs(r["distinct_src_ip"] - 3000) <= 60 and r["approx"] == ["distinct_src_ip"])
t("window_agg_min_nested", r["min_app_layer_status_code"] == 200)
t("window_agg_count_if_eq", r["udp"] == 2000)
t("window_agg_count_if_contains", r["tagged"] == 1500)
t("window_agg_real_sum", isinstance(r["sum_latency_ms"], float))
PY

# --max-keys: new keys beyond it are dead letters, logged once
for i in 1 2 3 4 5; do echo "{\"timestamp\":1763712000,\"src_ip\":\"k$i\"}"; done >"$T/keys.in"
window --max-keys 3 --dead-letter "$T/keys.dlq" <"$T/keys.in" >"$T/keys.out" 2>"$T/keys.err"
check_eq window_max_keys_dead_letters 2 "$(grep -c '"reason":"key limit"' "$T/keys.dlq")"
check_eq window_max_keys_logged_once 1 "$(grep -c 'key limit reached' "$T/keys.err")"
check_eq window_max_keys_others_windowed 18 "$(wc -l <"$T/keys.out")"

# --late: the raw late line
{ echo '{"timestamp":1763712100,"src_ip":"a"}'; echo '{"timestamp":1763712000,"src_ip":"late"}'; } |
	window --late "$T/late" >/dev/null 2>&1
check_eq window_late_file '{"timestamp":1763712000,"src_ip":"late"}' "$(cat "$T/late")"

# SIGTERM: exit 0
mkfifo "$T/fifo"
window <"$T/fifo" >/dev/null 2>&1 &
pid=$!
exec 7>"$T/fifo"
echo '{"timestamp":1763712000,"src_ip":"a"}' >&7
wait_handler 20 "$pid"
kill -TERM "$pid"
wait "$pid"
check_eq window_sigterm_exit_0 0 $?
exec 7>&-

# the same events with RFC 3339, ms, us and ns timestamps give the same output
python3 - "$T" <<'PY'
import datetime, json, sys
d = sys.argv[1]
src = [json.loads(l) for l in open(d + "/agg.in")][:200]
outs = {u: open("%s/tu.%s" % (d, u), "w") for u in ("s", "rfc3339", "ms", "us", "ns")}
for i, ev in enumerate(src):
    ms = ev["timestamp"] * 1000 + i * 37
    for u, f in outs.items():
        e = dict(ev)
        e["timestamp"] = {"s": ms / 1000, "ms": ms, "us": ms * 1000, "ns": ms * 1000000,
                          "rfc3339": datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
                          .isoformat(timespec="milliseconds").replace("+00:00", "Z")}[u]
        f.write(json.dumps(e) + "\n")
PY
window --time-unit s <"$T/tu.s" >"$T/tu.s.out" 2>/dev/null
for u in rfc3339 ms us ns; do
	window --time-unit "$u" <"$T/tu.$u" >"$T/tu.$u.out" 2>/dev/null
	check "window_time_unit_${u}_same_as_s" cmp -s "$T/tu.s.out" "$T/tu.$u.out"
	window <"$T/tu.$u" >"$T/tu.$u.auto" 2>/dev/null
	check "window_time_unit_auto_reads_${u}" cmp -s "$T/tu.s.out" "$T/tu.$u.auto"
done
check window_time_unit_output_nonempty [ -s "$T/tu.s.out" ]

# stdout's reader going away: exit 3
for i in $(seq 1 20000); do echo "{\"timestamp\":$((1763712000 + i / 100)),\"src_ip\":\"k$((i % 500))\"}"; done >"$T/many.in"
window <"$T/many.in" 2>/dev/null | head -n 1 >/dev/null
check_eq window_epipe_exit_3 3 "${PIPESTATUS[0]}"

# --missing-key skip: an event counts under the key fields it has; one with
# none is counted as unkeyed, not dead-lettered; the default dead-letters.
printf '%s\n' '{"timestamp":1780000000,"src_ip":"1.2.3.4","user":"a"}' \
	'{"timestamp":1780000001,"user":"b"}' '{"timestamp":1780000002,"message":"x"}' \
	'{"timestamp":1780000003,"src_ip":null,"user":"b"}' >"$T/mk.in"
window --key src_ip --key user --size 60s --slide 60s --missing-key skip \
	--dead-letter "$T/mk.dl" --stats "$T/mk.stats" <"$T/mk.in" >"$T/mk.out" 2>/dev/null
check_eq window_missing_key_skip_records "src_ip 1.2.3.4 1|user a 1|user b 2" \
	"$(jq -r '"\(.key_field) \(.key) \(.count)"' "$T/mk.out" | paste -sd '|')"
check_eq window_missing_key_skip_no_dead_letter 0 "$(wc -l <"$T/mk.dl")"
check_eq window_missing_key_unkeyed_counted 1 "$(stat_get "$T/mk.stats" unkeyed)"
window --key src_ip --key user --dead-letter "$T/mk2.dl" <"$T/mk.in" >/dev/null 2>&1
check_eq window_missing_key_default_dead_letters 3 "$(wc -l <"$T/mk2.dl")"
window --missing-key maybe </dev/null >/dev/null 2>&1
check_eq window_missing_key_bad_value 2 $?
