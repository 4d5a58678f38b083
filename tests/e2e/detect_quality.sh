#!/usr/bin/env bash
# Detection quality does not regress: smaller copies of gen's scenarios of
# real networks' shapes (shared, backup, skew, diurnal, slowscan, lowslow;
# same shapes, fewer events) through gen | window | detect with the built-in
# rules, scored by detect_eval.py --quality (tests/e2e/quality_run), against
# tests/e2e/detect_quality.expect: per scenario and detector, no fewer
# episodes found and no false alerting key that is not listed there.
# Better results pass and are printed; QUALITY_UPDATE=1 rewrites the file
# with the measured rows (after a change of the built-in rules).
. "$(dirname "$0")/../lib.sh"
EXPECT=$ROOT/tests/e2e/detect_quality.expect

mkdir -p "$T/s"
cat >"$T/s/shared" <<'S'
{"kind":"background","rate":50,"sources":3000}
{"kind":"service","at":"0s","dst":"10.0.5.53","port":53,"rate":180}
{"kind":"service","at":"0s","dst":"10.0.5.80","port":3128,"rate":180}
{"kind":"flood","at":"30s","dst":"10.99.0.1","rate":300}
{"kind":"port_scan","at":"110s","src":"10.66.0.2"}
{"kind":"data_exfiltration","at":"150s","src":"10.66.0.1"}
S
cat >"$T/s/backup" <<'S'
{"kind":"background","rate":50}
{"kind":"bulk","at":"30s","src":"10.0.6.10"}
{"kind":"bulk","at":"30s","src":"10.0.6.11","bytes":750000}
{"kind":"data_exfiltration","at":"4m","src":"10.66.0.1"}
{"kind":"bulk","at":"6m","src":"10.0.6.10"}
{"kind":"bulk","at":"6m","src":"10.0.6.11","bytes":750000}
S
cat >"$T/s/skew" <<'S'
{"kind":"background","rate":200,"sources":200,"skew":1000}
{"kind":"port_scan","at":"30s","src":"10.66.0.2"}
{"kind":"packet_flood","at":"80s","src":"10.66.0.4","rate":60}
{"kind":"reset_storm","at":"160s","src":"10.66.0.5"}
{"kind":"latency_spike","at":"240s","src":"10.66.0.6"}
S
cat >"$T/s/diurnal" <<'S'
{"kind":"background","rate":150,"sources":100,"cycle":"4m","night":0.05,"duration":"12m"}
{"kind":"data_exfiltration","at":"230s","src":"10.66.0.1"}
{"kind":"port_scan","at":"6m","src":"10.66.0.2"}
{"kind":"flood","at":"470s","dst":"10.99.0.1","rate":300}
{"kind":"reset_storm","at":"10m","src":"10.66.0.5"}
S
cat >"$T/s/slowscan" <<'S'
{"kind":"background","rate":20,"duration":"25m"}
{"kind":"port_scan","at":"2m","duration":"20m","rate":0.083333,"src":"10.66.0.2","dst":"10.0.5.55"}
S
cat >"$T/s/lowslow" <<'S'
{"kind":"background","rate":50,"duration":"20m"}
{"kind":"data_exfiltration","at":"12m","duration":"5m","rate":1,"bytes":666666,"src":"10.0.0.7","dst":"203.0.113.50","port":443}
S

# backup with the host groups a user writes for its subnet (as the bench)
# (two at a time: each chain is mostly one busy stage), the rows in order
quality() {   # NAME [DETECT FLAG...]: the rows of scenario NAME in $T/rows.NAME
	local s=$1; shift
	"$ROOT/tests/e2e/quality_run" "$s" "$T/s/$s" "$T" "$@" >"$T/rows.$s" ||
		fail "chain_$s" "the chain failed"
}
for s in shared backup skew diurnal slowscan lowslow; do
	flags=()
	[ "$s" = backup ] && flags=(--groups "$ROOT/tests/data/backup-groups.json")
	par_run 2 quality "$s" "${flags[@]}"
done
par_wait
for s in shared backup skew diurnal slowscan lowslow; do cat "$T/rows.$s"; done >"$T/rows"

if [ "${QUALITY_UPDATE:-0}" = 1 ]; then
	python3 - "$T/rows" >"$EXPECT" <<'PY'
import json, sys
print("# scenario detector found/episodes false-keys (tests/e2e/detect_quality.sh)")
for l in open(sys.argv[1]):
    r = json.loads(l)
    print("%s %s %d/%d %s" % (r["scenario"], r["detector"].replace(" ", "_"),
          r["found"], r["episodes"], ",".join(r["false_keys"]) or "-"))
PY
	echo "wrote $EXPECT"
fi

# Compare: a row per expectation not met, and the table for the log.
python3 - "$T/rows" "$EXPECT" >"$T/verdict" <<'PY'
import json, sys
exp = {}
for l in open(sys.argv[2]):
    if l.startswith("#") or not l.strip():
        continue
    scen, det, fe, keys = l.split()
    exp[(scen, det.replace("_", " ") if det == "(any_rule)" else det)] = (
        int(fe.split("/")[0]), set() if keys == "-" else set(keys.split(",")))
seen = set()
for l in open(sys.argv[1]):
    r = json.loads(l)
    k = (r["scenario"], r["detector"])
    seen.add(k)
    found, keys = exp.get(k, (0, set()))
    new = sorted(set(r["false_keys"]) - keys)
    print("  %-9s %-20s found %d/%d false %s median %s" % (
        k[0], k[1], r["found"], r["episodes"], ",".join(r["false_keys"]) or "-",
        r["median_delay_s"]), file=sys.stderr)
    if r["found"] < found:
        print("%s %s: found %d of %d episodes, %d before" % (
            k[0], k[1], r["found"], r["episodes"], found))
    if new:
        print("%s %s: new false alerting keys %s" % (k[0], k[1], ",".join(new)))
for k, (found, _) in exp.items():
    if k not in seen and found > 0:
        print("%s %s: no longer runs (found %d before)" % (k[0], k[1], found))
PY
check_eq quality_rows_scored yes "$([ -s "$T/rows" ] && echo yes || echo no)"
check_eq quality_no_regression "" "$(cat "$T/verdict")"
