#!/usr/bin/env bash
# detect's baselines on 36 minutes of window records (60 s sliding by 10 s)
# from a network with two shared services (a resolver used by 3,000 hosts,
# a proxy by 2,900), a quiet server that is flooded at minute 25, and 20
# laptops of which one jumps to 40 MB a minute toward one host at minute 28:
# the built-in rules find the flood and the laptop and never call the
# shared services flooded; --max-keys bounds
# the keys; a detect killed mid-stream and restored from its checkpoint
# writes what an undisturbed one does.
. "$(dirname "$0")/../lib.sh"
T0=1763712000000

python3 - "$T0" >"$T/records" <<'PY'
import json, random, sys
t0 = int(sys.argv[1]); rnd = random.Random(16); SLIDE = 10000
services = {"10.0.0.53": (3000, 10000), "10.0.0.8": (2900, 7000)}
quiet, flood_at, flood_len = "10.1.0.20", 150, 12          # slides
laptops = ["10.2.0.%d" % i for i in range(1, 21)]
rate = {h: rnd.uniform(0.2e6, 3e6) / 6 for h in laptops}   # bytes a slide
jumper, jump_at, jump_len = "10.2.0.7", 170, 18
sent = {h: [] for h in laptops}
def out(kf, key, i, **agg):
    print(json.dumps(dict(type="window", key_field=kf, key=key,
        window_start=t0 + (i - 5) * SLIDE, window_end=t0 + (i + 1) * SLIDE,
        **agg), separators=(",", ":")))
for i in range(216):
    c = min(i + 1, 6)                        # slides of data in the window
    for h in laptops:
        b = rate[h] * rnd.uniform(0.8, 1.2)
        if h == jumper and jump_at <= i < jump_at + jump_len:
            b += 40e6 / 6
        sent[h].append(b)
        out("src_ip", h, i, count=60 * c, sum_bytes_sent=int(sum(sent[h][-6:])),
            sum_packets_sent=900 * c, avg_latency_ms=40 + rnd.random() * 20,
            distinct_dst_port=5, distinct_dst_ip=4, rst_count=0)
    for s, (n, ev) in services.items():
        out("dst_ip", s, i, count=ev * c,
            distinct_src_ip=int(n * min(1, 0.4 + 0.1 * c) * rnd.uniform(0.99, 1)))
    f = sum(1 for j in range(i - 5, i + 1) if flood_at <= j < flood_at + flood_len)
    out("dst_ip", quiet, i, count=330 * c + 25000 * f,
        distinct_src_ip=rnd.randint(9, 14) + min(2500, 1000 * f))
PY
check baseline_records test "$(wc -l <"$T/records")" -eq $((216 * 23))

# "rule key first_end last_end n" per rule and key, ends in seconds from T0.
summary() {
	jq -r --argjson t0 "$T0" '"\(.rule) \(.key) \((.window_end - $t0) / 1000)"' "$1" |
		awk '{ k = $1 " " $2; if (!(k in f)) { f[k] = $3; o[++n] = k }
		       l[k] = $3; c[k]++ }
		     END { for (i = 1; i <= n; i++) print o[i], f[o[i]], l[o[i]], c[o[i]] }'
}

detect --stats "$T/stats" <"$T/records" >"$T/alerts" 2>"$T/err"
check_eq baseline_exit 0 $?
summary "$T/alerts" >"$T/sum"
cat "$T/sum"
# The services are never flooded: busy from detect's first window, during
# their warm-up flood also needs a spike against a previous window detect
# saw in full ("cold": "spike"), and they have none.
check_eq shared_services_never_flooded "" \
	"$(awk '$1 == "flood" && $2 ~ /^10\.0\.0\./ { print $2 }' "$T/sum" | paste -sd ' ')"
check_eq shared_services_no_alert_learned "" \
	"$(jq -r --argjson t0 "$T0" 'select(.key | startswith("10.0.0.")) |
		select(.window_end - $t0 > 240000) | .rule' "$T/alerts")"
# The flood on the quiet server: found in its first slide, by flood and
# by the per-destination baseline, and only while it lasts.
check_eq flood_on_quiet_host "flood 10.1.0.20 1510" \
	"$(awk '$1 == "flood" && $2 == "10.1.0.20" { print $1, $2, $3 }' "$T/sum")"
check_eq flood_sources_baseline "sources_baseline 10.1.0.20 1510" \
	"$(awk '$1 == "sources_baseline" { print $1, $2, $3 }' "$T/sum")"
check baseline_flood_ends test "$(awk '$2 == "10.1.0.20" { print $4 }' "$T/sum" | sort -n | tail -1)" -le 1680
# The laptop at 40 MB a minute: under data_exfiltration's 50 MB, found by
# its own baseline within two slides; no other laptop alerts.
check_eq laptop_bytes_baseline "bytes_baseline 10.2.0.7 1720" \
	"$(awk '$2 ~ /^10\.2\./ { print $1, $2, $3 }' "$T/sum")"
# Firing alerts name the normal (a resolution carries no baseline).
check_eq baseline_alert_names_normal "" "$(jq -r 'select(.rule == "bytes_baseline" and .status != "resolved") |
	select((.baseline > 3000000) or (.threshold < 10000000)) | .alert_id' "$T/alerts")"
check_eq baseline_keys_in_stats "20 3" "$(jq -r '"\(.rules.bytes_baseline.keys) \(.rules.sources_baseline.keys)"' "$T/stats")"

check_eq check_lists_baselines 8 "$(detect --check | grep -c '^ *baseline of ')"

# --max-keys: each table holds at most N keys, the least recently seen go.
detect --max-keys 5 --stats "$T/stats5" <"$T/records" >/dev/null 2>&1
check_eq max_keys_bound "5 3" "$(jq -r '"\(.rules.bytes_baseline.keys) \(.rules.sources_baseline.keys)"' "$T/stats5")"
check max_keys_forgets test "$(jq -r .rules.bytes_baseline.keys_forgotten "$T/stats5")" -gt 1000

# A spike rule: the laptop's window against the one before it.
echo '[{"name":"spike","key_field":"src_ip","spike":{"value":"sum_bytes_sent","ratio":5,"min":5000000}}]' >"$T/spike.json"
detect --rules "$T/spike.json" <"$T/records" 2>/dev/null | summary /dev/stdin >"$T/spike"
check_eq spike_rule "spike 10.2.0.7 1710" "$(awk '{ print $1, $2, $3 }' "$T/spike")"

# Recovery: barriers every 100 records; detect is killed (-9) after
# barrier 20 and some records past it, then restarted from its snapshot:
# what it writes after the restore is what the undisturbed run wrote
# after that barrier, byte for byte (the learned baselines survive; were
# they lost, the shared services would look flooded again).
awk '{ print } NR % 100 == 0 { printf "{\"@ctl\":{\"type\":\"barrier\",\"id\":%d}}\n", NR / 100 }' \
	"$T/records" >"$T/with-barriers"
mkdir -p "$T/ck0" "$T/ck"
detect --checkpoint-dir "$T/ck0" <"$T/with-barriers" >"$T/all" 2>/dev/null
check_eq barriers_keep_alerts "" "$(grep -v '"@ctl"' "$T/all" | cmp - "$T/alerts")"
n20=$(grep -n '"id":20}' "$T/with-barriers" | cut -d: -f1)
awk -v id=20 'f { print } /"type":"barrier","id":/ { if ($0 ~ "\"id\":" id "}") f = 1 }' \
	"$T/all" | grep -v '"@ctl"' >"$T/want"
mkfifo "$T/fifo"
detect --checkpoint-dir "$T/ck" <"$T/fifo" >"$T/part1" 2>"$T/d1.err" &
pid=$!
exec 7>"$T/fifo"
head -n $((n20 + 300)) "$T/with-barriers" >&7
wait_until 10 "[ -s '$T/ck/detect.20.snap' ]"
check baseline_snapshot_written test -s "$T/ck/detect.20.snap"
kill -9 "$pid"
wait "$pid" 2>/dev/null
exec 7>&-
{ echo '{"@ctl":{"type":"restore","id":20}}'; tail -n +$((n20 + 1)) "$T/with-barriers"; } |
	detect --checkpoint-dir "$T/ck" 2>/dev/null | grep -v '"@ctl"' >"$T/got"
check baseline_after_restore_alerts test -s "$T/want"
check_eq baseline_after_restore_same "" "$(cmp "$T/want" "$T/got" 2>&1)"
# Without the snapshot (restore 0: empty state) detect starts learning
# again, and what it writes differs.
{ echo '{"@ctl":{"type":"restore","id":0}}'; tail -n +$((n20 + 1)) "$T/with-barriers"; } >"$T/from0"
detect --checkpoint-dir "$T/ck" <"$T/from0" 2>"$T/cold.err" >"$T/cold"
check_eq baseline_cold_restart_exit "0" "$?"
check baseline_cold_restart_differs test -n "$(grep -v '"@ctl"' "$T/cold" | cmp - "$T/got" 2>&1)"
# A rule that changed kind across the snapshot starts learning afresh.
sed 's/"name":"spike"/"name":"bytes_baseline"/' "$T/spike.json" >"$T/changed.json"
{ echo '{"@ctl":{"type":"restore","id":20}}'; tail -n +$((n20 + 1)) "$T/with-barriers"; } |
	detect --rules "$T/changed.json" --checkpoint-dir "$T/ck" 2>/dev/null >"$T/changed"
check_eq restore_changed_rule_exit 0 $?
check_eq restore_changed_rule_alerts "bytes_baseline 10.2.0.7 1710" \
	"$(grep -v '"@ctl"' "$T/changed" | summary /dev/stdin | awk '{ print $1, $2, $3 }')"
