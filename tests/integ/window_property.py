#!/usr/bin/env python3
"""Property test: window's output on random disordered input (several keys,
late and duplicate events) equals a deliberately simple brute-force
computation of Flink's event-time sliding windows.

Usage: window_property.py WINDOW_BIN SEED
Prints PASS/FAIL lines for tests/run.
"""
import json
import random
import subprocess
import sys
import tempfile


def jreal(x):
    """A real as jansson prints it."""
    s = '%.17g' % x
    if '.' not in s and 'e' not in s:
        s += '.0'
    if 'e' in s:
        m, e = s.split('e')
        sign = '-' if e.startswith('-') else ''
        s = m + 'e' + sign + e.lstrip('+-').lstrip('0')
    return s


def gen_events(rnd, n, bound, lateness):
    srcs = ['10.0.0.%d' % i for i in range(1, 6)] + ['192.168.1.10', 'a', 'b\u00e9']
    dsts = ['8.8.8.8', '1.1.1.1', '172.16.0.1']
    base = 1763711940000 + rnd.randrange(0, 100000)
    t = base
    lines = []
    for i in range(n):
        t += rnd.randrange(0, 400)
        r = rnd.random()
        if r < 0.80:
            ts = t - rnd.randrange(0, bound + 1)          # in-bound disorder
        elif r < 0.93:
            ts = t - rnd.randrange(bound, bound + lateness + 25000)  # late-ish
        else:
            ts = max(0, t - rnd.randrange(0, 120000))    # very late
        ev = {
            'timestamp': ts,
            'src_ip': rnd.choice(srcs),
            'dst_ip': rnd.choice(dsts),
            'dst_port': rnd.choice([443, 80, 53, 22]),
            'bytes_sent': rnd.randrange(0, 5000),
            'bytes_received': rnd.randrange(0, 90000),
            'packets_sent': rnd.randrange(1, 40),
            'latency_ms': rnd.randrange(1, 500),
            'flags': rnd.choice([['ACK'], ['SYN', 'ACK'], ['RST', 'ACK'], []]),
        }
        if rnd.random() < 0.9:
            ev['app_layer'] = {'status_code': rnd.choice([200, 404, 500, 503])}
        line = json.dumps(ev, separators=(',', ':'), ensure_ascii=False)
        lines.append((ts, ev, line))
        if rnd.random() < 0.05:                           # duplicate
            lines.append((ts, ev, line))
    return lines


def agg(evs, key_field):
    lat = [e['latency_ms'] for e in evs]
    rec = [
        ('count', str(len(evs))),
        ('sum_bytes_sent', str(sum(e['bytes_sent'] for e in evs))),
        ('sum_bytes_received', str(sum(e['bytes_received'] for e in evs))),
        ('sum_packets_sent', str(sum(e['packets_sent'] for e in evs))),
        ('avg_latency_ms', jreal(sum(lat) / len(lat))),
        ('max_latency_ms', str(max(lat))),
        ('distinct_dst_port', str(len({e['dst_port'] for e in evs}))),
        ('distinct_dst_ip', str(len({e['dst_ip'] for e in evs}))),
        ('distinct_src_ip', str(len({e['src_ip'] for e in evs}))),
        ('rst_count', str(sum('RST' in e['flags'] for e in evs))),
        ('http_5xx_count', str(sum(e.get('app_layer', {}).get('status_code', 0) >= 500
                                   for e in evs))),
    ]
    return rec


def record(kf, key, start, end, evs):
    parts = ['"type":"window"', '"key_field":' + json.dumps(kf),
             '"key":' + json.dumps(key, ensure_ascii=False),
             '"window_start":%d' % start, '"window_end":%d' % end]
    parts += ['"%s":%s' % (k, v) for k, v in agg(evs, kf)]
    return '{' + ','.join(parts) + '}'


def brute(lines, size, slide, bound, lateness, keys):
    """Flink's semantics, the slow and obvious way."""
    out, late = [], 0
    accepted = []                 # events accepted so far
    wm = None

    def windows_of(ts):           # ends of every window containing ts
        e = (ts // slide) * slide + size      # the last one
        ends = []
        while e > ts:
            ends.append(e)
            e -= slide
        return sorted(ends)

    def emit(end):
        for kf in keys:
            groups = {}
            for ev in accepted:
                if end - size <= ev['timestamp'] < end:
                    groups.setdefault(ev[kf], []).append(ev)
            for k in sorted(groups, key=lambda s: s.encode()):
                out.append(record(kf, k, end - size, end, groups[k]))

    def fire_upto(old, new):
        if not accepted:
            return
        lo = min(ev['timestamp'] for ev in accepted)
        end = (lo // slide) * slide + size
        while end - slide > lo:
            end -= slide
        while end - 1 <= new:
            if old is None or end - 1 > old:
                emit(end)
            end += slide

    maxts = None
    for ts, ev, line in lines:
        ends = windows_of(ts)
        if wm is not None and all(e - 1 + lateness <= wm for e in ends):
            late += 1
            continue
        accepted.append(ev)
        if wm is not None:
            for e in ends:
                if e - 1 <= wm < e - 1 + lateness:
                    for kf in keys:
                        evs = [x for x in accepted
                               if e - size <= x['timestamp'] < e and x[kf] == ev[kf]]
                        out.append(record(kf, ev[kf], e - size, e, evs))
        if maxts is None or ts > maxts:
            maxts = ts
            new = ts - bound - 1
            if wm is None or new > wm:
                fire_upto(wm, new)
                wm = new
    fire_upto(wm, (maxts // slide) * slide + size - 1)
    return out, late


def main():
    win, seed = sys.argv[1], int(sys.argv[2])
    rnd = random.Random(seed)
    configs = [
        (60000, 10000, 5000, 0, ['src_ip']),
        (60000, 10000, 5000, 0, ['src_ip', 'dst_ip']),
        (10000, 10000, 0, 3000, ['dst_ip', 'src_ip']),
        (7000, 3000, 2000, 1500, ['src_ip']),
    ]
    ok = True
    for i, (size, slide, bound, lateness, keys) in enumerate(configs):
        lines = gen_events(rnd, 3000, bound, lateness)
        exp, exp_late = brute(lines, size, slide, bound, lateness, keys)
        with tempfile.NamedTemporaryFile('w', suffix='.late') as lf:
            args = [win, '--time-unit', 'ms', '--size', '%dms' % size,
                    '--slide', '%dms' % slide, '--out-of-orderness', '%dms' % bound,
                    '--allowed-lateness', '%dms' % lateness, '--late', lf.name]
            for k in keys:
                args += ['--key', k]
            inp = ''.join(l + '\n' for _, _, l in lines).encode()
            p = subprocess.run(args, input=inp, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            got = p.stdout.decode().splitlines()
            got_late = len(open(lf.name).read().splitlines())
        name = 'window_property_%d_size%d_slide%d_bound%d_late%d_%s' % (
            i, size, slide, bound, lateness, '+'.join(keys))
        if p.returncode != 0:
            print('FAIL %s: exit %d: %s' % (name, p.returncode, p.stderr.decode()[-500:]))
            ok = False
        elif got != exp:
            for j, (a, b) in enumerate(zip(got, exp)):
                if a != b:
                    break
            else:
                j = min(len(got), len(exp))
            print('FAIL %s: %d records, expected %d; first difference at %d:\n got %s\n exp %s'
                  % (name, len(got), len(exp), j, got[j] if j < len(got) else None,
                     exp[j] if j < len(exp) else None))
            ok = False
        elif got_late != exp_late:
            print('FAIL %s: %d late, expected %d' % (name, got_late, exp_late))
            ok = False
        else:
            print('PASS %s (%d records, %d late)' % (name, len(got), got_late))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
