#!/usr/bin/env bash
# quality: detection quality of the built-in rules on gen's scenarios of
# real networks' shapes (shared services, scheduled bulk movers, rates 1000x
# apart, a day/night cycle, a slow scan, a low-and-slow exfiltration):
#   gen --scenario S --truth |
#   window --key src_ip --key dst_ip --key src_ip@10m | detect
# per scenario and detector: the episodes it is meant for and those it
# found, its false alerting keys, the median delay from an episode's start
# to its first alert (event time; window's slide is 10 s).  README,
# "Detection quality", holds the table; the four last rows are run's
# targets (every episode found, no false key, median delay within two
# slides, but the slow scan's: within 5 minutes, by when it has probed 25
# ports; slow_scan needs 20).  backup runs with the host groups a user
# would write for its backup subnet (tests/data/backup-groups.json:
# data_exfiltration at 2 GB a minute there), as the table's footnote says.
set -u
: "${ROOT:?}" "${BIN:?}" "${BENCH_DIR:?}"
D=$BENCH_DIR/quality; mkdir -p "$D"
SLIDE_S=10

BACKUP_GROUPS=$ROOT/tests/data/backup-groups.json
for s in shared backup skew diurnal slowscan lowslow; do
	flags=()
	[ "$s" = backup ] && flags=(--groups "$BACKUP_GROUPS")
	"$ROOT/tests/e2e/quality_run" "$s" "$s" "$D" "${flags[@]}" \
		>>"$D/rows.ndjson" || exit 1
done
python3 - "$D/rows.ndjson" "$SLIDE_S" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
slide = float(sys.argv[2])
print("%-9s %-22s %7s %-34s %8s" % ("scenario", "detector", "found",
                                     "false alerting keys", "median"))
for r in rows:
    fk = ",".join(k.split("=", 1)[1] for k in r["false_keys"]) or "-"
    d = r["median_delay_s"]
    print("%-9s %-22s %3d/%-3d %-34s %8s" % (
        r["scenario"], r["detector"], r["found"], r["episodes"], fk,
        "-" if d is None else "%.0fs" % d))
print("backup runs with detect --groups tests/data/backup-groups.json")
anyr = [r for r in rows if r["detector"] == "(any rule)"]
missed = sum(r["episodes"] - r["found"] for r in anyr)
false = sum(len(r["false_keys"]) for r in anyr)
# A slow scan cannot be seen in two slides (it has probed two ports by
# then, as every host has): its delay is its own row, in minutes.
fast = [r for r in anyr if r["scenario"] != "slowscan"]
slow = [r for r in anyr if r["scenario"] == "slowscan"]
worst = max((r["median_delay_s"] or 0) / slide for r in fast)
slowd = max((r["median_delay_s"] or float("inf")) / 60 for r in slow)
print()
row = "%-44s %16s %16s %8s"
print(row % ("quality: episodes missed (of %d)" % sum(r["episodes"] for r in anyr),
             missed, "-", "-"))
print(row % ("quality: false alerting keys", false, "-", "-"))
print(row % ("quality: worst median delay, slides", "%.1f" % worst, "-", "-"))
print(row % ("quality: slowscan delay, minutes", "%.1f" % slowd, "-", "-"))
PY
