#!/usr/bin/env python3
"""Benchmark input for window (used for distinct keys, and when gen is not
built): N events in the upstream format (~430 bytes
each), timestamps in epoch seconds at a fixed event rate, src_ip drawn from
K addresses (K=0: every event its own address).

usage: window_gen.py N K [EPS]     (writes to stdout; not committed data)
"""
import random
import sys


def main():
    n, k = int(sys.argv[1]), int(sys.argv[2])
    eps = int(sys.argv[3]) if len(sys.argv) > 3 else 15000
    rnd = random.Random(1)
    t0 = 1763711940
    srcs = ['10.0.%d.%d' % (i // 250, i % 250 + 1) for i in range(max(k, 1))]
    dsts = ['8.8.8.8', '1.1.1.1', '172.16.254.1', '10.1.0.1', '10.1.0.2',
            '10.1.0.3', '10.1.0.4', '10.1.0.5', '192.168.7.7', '9.9.9.9']
    ports = [443, 443, 443, 80, 53, 22, 8080, 5432]
    flags = ['["ACK"]', '["SYN","ACK"]', '["ACK","PSH"]']
    methods = ['GET', 'POST', 'PUT']
    codes = [200, 201, 204, 301, 304, 404]
    hosts = ['api.internal.prod', 'db.internal.prod', 'cdn.internal.prod']
    out = sys.stdout
    buf = []
    r = rnd.random
    for i in range(n):
        ts = t0 + i // eps
        if k:
            src = srcs[int(r() * k)]
        else:
            src = '10.%d.%d.%d' % (i >> 16 & 255, i >> 8 & 255, i & 255)
        uid = '%08x-%04x-4%03x-a%03x-%012x' % (rnd.getrandbits(32), rnd.getrandbits(16),
                                             rnd.getrandbits(12), rnd.getrandbits(12),
                                             rnd.getrandbits(48))
        buf.append(
            '{"timestamp":%d,"event_id":"%s","src_ip":"%s","dst_ip":"%s",'
            '"src_port":%d,"dst_port":%d,"protocol":"TCP","bytes_sent":%d,'
            '"bytes_received":%d,"latency_ms":%d,"packets_sent":%d,"flags":%s,'
            '"app_layer":{"protocol":"HTTP/1.1","method":"%s","host":"%s",'
            '"status_code":%d},"tags":{"env":"Production","region":"us-east-1",'
            '"security_group":"sg-%06d"}}\n'
            % (ts, uid, src, dsts[int(r() * 10)], 1024 + int(r() * 60000),
               ports[int(r() * 8)], 200 + int(r() * 1000), 500 + int(r() * 9500),
               5 + int(r() * 115), 1 + int(r() * 40), flags[int(r() * 3)],
               methods[int(r() * 3)], hosts[int(r() * 3)], codes[int(r() * 6)],
               int(r() * 1000000)))
        if len(buf) == 10000:
            out.write(''.join(buf))
            buf = []
    out.write(''.join(buf))


if __name__ == '__main__':
    main()
