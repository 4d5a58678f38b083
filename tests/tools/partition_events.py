#!/usr/bin/env python3
"""partition_events.py SEED OUTDIR [COUNT] - telemetry of 4 partitions keyed by
src_ip, as produced and as a replay reads it back.

Writes into OUTDIR:
  even.ndjson          the events in the order they were produced (event time
                       lags production time by at most 3 s, under window's
                       default 5 s bound: no event is late in this order)
  uneven.ndjson        kcat-src's view of a replay: an assign line for the 4
                       partitions, then each partition's whole backlog after
                       its partition line, one partition after the other
  chunked.ndjson       the same, read in fetch-sized runs (1..1500 messages)
                       of one partition at a time, partitions in random turn
  uneven-plain.ndjson  uneven.ndjson without the control lines
Each partition keeps its own production order, as Kafka does.
Latencies are multiples of 1/8 ms: their sums are exact, so they do not
depend on the order of the terms.  (Floating-point addition is not
associative, and a per-destination window adds events of several partitions
in the order they arrive: with arbitrary reals, a replay's avg_latency_ms may
differ from the plain run's in the last digits.)
"""
import json
import random
import sys
import zlib

seed, outdir = int(sys.argv[1]), sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
NPART, TOPIC = 4, "ev"
rnd = random.Random(seed)

events = []
t = 1763712000000
for i in range(count):
    t += rnd.randrange(0, 60)
    src = "10.0.%d.%d" % (rnd.randrange(4), rnd.randrange(12))
    ev = {"timestamp": t - rnd.randrange(0, 3000), "src_ip": src,
          "dst_ip": "192.168.1.%d" % rnd.randrange(30),
          "dst_port": rnd.choice([22, 80, 443, 3389, rnd.randrange(1024, 65536)]),
          "bytes_sent": rnd.randrange(40, 100000), "bytes_received": rnd.randrange(40, 5000),
          "packets_sent": rnd.randrange(1, 80), "latency_ms": rnd.randrange(0, 1600) / 8,
          "flags": ["SYN"] if rnd.random() < 0.3 else ["ACK"]}
    events.append((zlib.crc32(src.encode()) % NPART, json.dumps(ev)))


def ctl(obj):
    return json.dumps({"@ctl": obj}, separators=(",", ":"))


def mark(p):
    return ctl({"type": "partition", "topic": TOPIC, "partition": p})


assign = ctl({"type": "assign", "partitions":
              [{"topic": TOPIC, "partition": p} for p in range(NPART)]})
backlog = [[line for q, line in events if q == p] for p in range(NPART)]
order = list(range(NPART))
rnd.shuffle(order)

with open(outdir + "/even.ndjson", "w") as f:
    f.writelines(line + "\n" for _, line in events)
with open(outdir + "/uneven.ndjson", "w") as f, \
        open(outdir + "/uneven-plain.ndjson", "w") as g:
    f.write(assign + "\n")
    for p in order:
        f.write(mark(p) + "\n")
        f.writelines(line + "\n" for line in backlog[p])
        g.writelines(line + "\n" for line in backlog[p])
with open(outdir + "/chunked.ndjson", "w") as f:
    f.write(assign + "\n")
    pos = [0] * NPART
    last = None
    while any(pos[p] < len(backlog[p]) for p in range(NPART)):
        p = rnd.choice([q for q in range(NPART) if pos[q] < len(backlog[q])])
        n = rnd.randrange(1, 1500)
        if p != last:
            f.write(mark(p) + "\n")
            last = p
        f.writelines(line + "\n" for line in backlog[p][pos[p]:pos[p] + n])
        pos[p] += n
print("events=%d per_partition=%s order=%s" %
      (count, [len(b) for b in backlog], order))
