#!/usr/bin/env bash
# One line of every bad kind goes to --dead-letter as valid NDJSON with its
# reason (raw bytes kept), the stats count them, and good lines around them
# still make their window records.
. "$(dirname "$0")/../lib.sh"

python3 - "$T/in" "$T/expect" <<'PY'
import json, sys
good = '{"timestamp":1763712000,"src_ip":"10.0.0.1","dst_ip":"8.8.8.8","bytes_sent":5,"flags":["ACK"]}'
bad = [
    ("malformed JSON", b'{"timestamp":1763712000,"src_ip":"10.0.0.1"'),
    ("malformed JSON", b'{"timestamp":1763712000,"src_ip":"10.0.0.1",}'),
    ("not an object", b'[1,2,3]'),
    ("missing timestamp", b'{"src_ip":"10.0.0.1"}'),
    ("missing timestamp", b'{"timestamp":null,"src_ip":"10.0.0.1"}'),
    ("non-numeric timestamp", b'{"timestamp":true,"src_ip":"10.0.0.1"}'),
    ("bad timestamp", b'{"timestamp":"soon","src_ip":"10.0.0.1"}'),
    ("timestamp out of range", b'{"timestamp":-5,"src_ip":"10.0.0.1"}'),
    ("missing key src_ip", b'{"timestamp":1763712000,"dst_ip":"8.8.8.8"}'),
    ("non-string key src_ip", b'{"timestamp":1763712000,"src_ip":42}'),
    ("wrong type for bytes_sent", b'{"timestamp":1763712000,"src_ip":"a","bytes_sent":"lots"}'),
    ("wrong type for flags", b'{"timestamp":1763712000,"src_ip":"a","flags":"RST"}'),
    ("wrong type for dst_ip", b'{"timestamp":1763712000,"src_ip":"a","dst_ip":["x"]}'),
    ("wrong type for app_layer.status_code", b'{"timestamp":1763712000,"src_ip":"a","app_layer":{"status_code":"500"}}'),
    ("invalid UTF-8", b'{"timestamp":1763712000,"src_ip":"\xff\xfe"}'),
    ("NUL byte", b'{"timestamp":1763712000,"src_ip":"a\x00b"}'),
    ("line too long", b'{"timestamp":1763712000,"src_ip":"' + b'x' * (1024 * 1024 + 10) + b'"}'),
]
with open(sys.argv[1], 'wb') as f, open(sys.argv[2], 'w') as e:
    f.write(good.encode() + b'\n')
    for reason, raw in bad:
        f.write(raw + b'\n')
        e.write(json.dumps({"reason": reason, "raw": raw.hex()}) + '\n')
    f.write(good.replace('10.0.0.1', '10.0.0.2').encode() + b'\n')
PY

window --dead-letter "$T/dlq" --stats "$T/stats" <"$T/in" >"$T/out" 2>"$T/err"
check window_deadletter_exit_0 [ $? -eq 0 ]
check_eq window_deadletter_good_lines_still_windowed 12 "$(wc -l <"$T/out")"

python3 - "$T/dlq" "$T/expect" <<'PY'
import base64, json, sys
got = open(sys.argv[1], 'rb').read().split(b'\n')[:-1]
exp = [json.loads(l) for l in open(sys.argv[2])]
print(("PASS" if len(got) == len(exp) else "FAIL") +
      " window_deadletter_one_record_per_bad_line: %d of %d" % (len(got), len(exp)))
for g, e in zip(got, exp):
    name = "window_deadletter_" + e["reason"].replace(" ", "_")
    raw = bytes.fromhex(e["raw"])
    try:
        r = json.loads(g.decode('utf-8'))
    except Exception as ex:
        print("FAIL %s: not valid JSON: %s" % (name, ex)); continue
    if r.get("reason") != e["reason"]:
        print("FAIL %s: reason %r" % (name, r.get("reason"))); continue
    if "line_base64" in r:
        kept = base64.b64decode(r["line_base64"])
    else:
        kept = r["line"].encode('utf-8')
    ok = kept == raw or (e["reason"] == "line too long" and raw.startswith(kept)
                         and len(kept) == 1024 * 1024)
    if e["reason"] == "invalid UTF-8" and "line_base64" not in r:
        ok = False
    print(("PASS %s" if ok else "FAIL %s: raw line not kept") % name)
PY

n=$(wc -l <"$T/expect")
check_eq window_deadletter_stats_counter "$n" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dead_letters"])' "$T/stats")"
check_eq window_deadletter_stats_events 2 \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"])' "$T/stats")"

# without --dead-letter: logged (first ten, then sparsely), never silent
window <"$T/in" >/dev/null 2>"$T/err2"
check window_deadletter_logged_without_file grep -q 'WARN window: dead letter reason="malformed JSON"' "$T/err2"
