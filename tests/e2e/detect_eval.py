#!/usr/bin/env python3
"""detect_eval.py - score detect's alerts against gen's ground truth.

  detect_eval.py TRUTH ALERTS [NAME]
      Prints precision, recall and detection delay per episode; exits 0 only
      when every episode is found and every alert matches one.

  detect_eval.py --quality SCENARIO TRUTH ALERTS RULE...
      The detection-quality rows of one scenario (README, "Detection
      quality"), one JSON object a line: per detector (RULE), the episodes
      it is meant for (those of its own kind; all of them for a rule that
      is no gen kind, such as a baseline rule), how many it found, its false
      alerting keys and the median delay; then "(any rule)", every episode
      against every alert.

An alert matches an episode when key_field and key are equal and the
alert's window [window_start, window_end) overlaps the episode's
[start, end] (docs/contracts.md, "Ground truth"); in the first form the rule
must also be the episode's kind.  Resolutions of incidents (status
"resolved") are not detections and are left out; a firing alert is the
first window of its incident.  Delay is event time: the first matching
alert's window_end minus the episode's start.
"""
import json
import statistics
import sys


def load(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def load_alerts(path):
    return [a for a in load(path)
            if a.get("type") == "alert" and a.get("status") != "resolved"]


def overlaps(a, e):
    # a key with its own window size ("src_ip@10m") is the field's key
    return (a["key_field"].split("@")[0] == e["key_field"] and a["key"] == e["key"]
            and a["window_start"] <= e["end"] and a["window_end"] > e["start"])


def matches(a, e):
    return a["rule"] == e["kind"] and overlaps(a, e)


def first_delay(alerts, e):
    """Seconds from the episode's start to its first overlapping alert."""
    hits = [a["window_end"] for a in alerts if overlaps(a, e)]
    return (min(hits) - e["start"]) / 1000.0 if hits else None


def quality_row(scenario, detector, episodes, alerts):
    delays = [d for d in (first_delay(alerts, e) for e in episodes)
              if d is not None]
    false_keys = sorted({"%s=%s" % (a["key_field"], a["key"]) for a in alerts
                         if not any(overlaps(a, e) for e in ALL)})
    return {"scenario": scenario, "detector": detector,
            "episodes": len(episodes), "found": len(delays),
            "false_keys": false_keys,
            "median_delay_s": statistics.median(delays) if delays else None}


def quality(argv):
    global ALL
    scenario, truth, alerts, rules = argv[0], argv[1], argv[2], argv[3:]
    ALL = load(truth)
    alerts = load_alerts(alerts)
    for r in rules:
        mine = [a for a in alerts if a["rule"] == r]
        kind = MEANT_FOR.get(r, r)
        eps = [e for e in ALL if e["kind"] == kind] if kind in GEN_KINDS else ALL
        row = quality_row(scenario, r, eps, mine)
        # a detector with nothing to find and nothing found says nothing
        if row["episodes"] or row["found"] or row["false_keys"]:
            print(json.dumps(row))
    print(json.dumps(quality_row(scenario, "(any rule)", ALL, alerts)))
    return 0


# gen's telemetry kinds, each the name of the built-in rule meant for it.
GEN_KINDS = {"data_exfiltration", "port_scan", "flood", "packet_flood",
             "reset_storm", "latency_spike"}
# Built-in rules meant for a gen kind of another name.
MEANT_FOR = {"slow_scan": "port_scan"}
ALL = []


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--quality":
        return quality(sys.argv[2:])
    truth = load(sys.argv[1])
    alerts = load_alerts(sys.argv[2])
    name = sys.argv[3] if len(sys.argv) > 3 else sys.argv[1]
    false_pos = [a for a in alerts if not any(matches(a, e) for e in truth)]
    found, delays = 0, []
    for e in truth:
        hits = [a for a in alerts if matches(a, e)]
        if hits:
            found += 1
            d = (min(a["window_end"] for a in hits) - e["start"]) / 1000.0
            delays.append(d)
            print("  found  %-18s %-7s %-15s delay %6.1fs  alerts %d"
                  % (e["kind"], e["key_field"], e["key"], d, len(hits)))
        else:
            print("  MISSED %-18s %-7s %-15s" % (e["kind"], e["key_field"], e["key"]))
    for a in false_pos[:10]:
        print("  FALSE  %-18s %-7s %-15s window_end %d value %s"
              % (a["rule"], a["key_field"], a["key"], a["window_end"], a["value"]))
    precision = (len(alerts) - len(false_pos)) / len(alerts) if alerts else 1.0
    recall = found / len(truth) if truth else 1.0
    print("%s: episodes %d alerts %d precision %.3f recall %.3f delay "
          "min/mean/max %s" % (
              name, len(truth), len(alerts), precision, recall,
              "%.1f/%.1f/%.1fs" % (min(delays), sum(delays) / len(delays),
                                   max(delays)) if delays else "-"))
    return 0 if not false_pos and found == len(truth) else 1


if __name__ == "__main__":
    sys.exit(main())
