#!/usr/bin/env python3
"""lookup_service.py - a local IP-reputation service for enrich's tests and
benchmark (127.0.0.1 only, one thread per connection, keep-alive).

usage: lookup_service.py --port-file FILE [--delay MS]

Listens on a free port of 127.0.0.1 (written to --port-file once bound).
GET /check?ip=ADDR answers by the address:

  198.51.100.*      500
  192.0.2.*         hangs (no answer until the client closes)
  203.0.113.2xx     the first request for it: 429 with Retry-After: 1
  203.0.113.1xx     after a 300 ms delay, as 203.0.113.*
  203.0.113.99      200 with a body that is not JSON
  anything else     after --delay MS: 200 {"ip": ADDR, "score": N,
                    "seen": [..]} (N from the address), pretty-printed
                    over several lines

GET /__count answers {"total": N, "in_flight": I, "max_in_flight": M,
"per_ip": {ADDR: n}, "keys": [..]} (the requests counted so far, those
being answered now and the most at the same time, the X-Key header values
seen); GET /__reset starts max_in_flight again from in_flight.
Stop it with SIGTERM.
"""
import argparse
import json
import os
import select
import socket
import signal
import sys
import threading
import time
import socketserver
from urllib.parse import urlparse, parse_qs

lock = threading.Lock()
per_ip = {}
state = {"total": 0, "in_flight": 0, "max_in_flight": 0}
keys = set()
stop = threading.Event()


REASONS = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error"}


class Handler(socketserver.StreamRequestHandler):
    """HTTP/1.1 GETs with keep-alive, parsed by hand: http.server's header
    parsing costs more CPU than 1,280 requests a second leave."""

    def handle(self):
        self.close_connection = False
        while not self.close_connection:
            line = self.rfile.readline(65537)
            if not line:
                return
            parts = line.decode("latin-1").split()
            self.headers = {}
            while True:
                h = self.rfile.readline(65537)
                if h in (b"\r\n", b"\n", b""):
                    break
                k, _, v = h.decode("latin-1").partition(":")
                self.headers[k.strip().lower()] = v.strip()
            if self.headers.get("connection", "").lower() == "close":
                self.close_connection = True
            self.do_GET(parts[1] if len(parts) > 1 else "/")

    def send(self, status, body, extra=None):
        data = body.encode()
        head = "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n" \
               "Content-Length: %d\r\n" % (status, REASONS.get(status, "X"), len(data))
        for k, v in (extra or {}).items():
            head += "%s: %s\r\n" % (k, v)
        self.wfile.write(head.encode() + b"\r\n" + data)

    def do_GET(self, path):
        u = urlparse(path)
        if u.path == "/__reset":
            with lock:
                state["max_in_flight"] = state["in_flight"]
            self.send(200, "{}")
            return
        if u.path == "/__count":
            with lock:
                self.send(200, json.dumps(dict(per_ip=per_ip, total=state["total"],
                          max_in_flight=state["max_in_flight"],
                          in_flight=state["in_flight"], keys=sorted(keys))))
            return
        ip = parse_qs(u.query).get("ip", [""])[0]
        with lock:
            n = per_ip[ip] = per_ip.get(ip, 0) + 1
            keys.add(self.headers.get("x-key", ""))
            state["total"] += 1
            state["in_flight"] += 1
            state["max_in_flight"] = max(state["max_in_flight"], state["in_flight"])
        try:
            self.answer(ip, n)
        finally:
            with lock:
                state["in_flight"] -= 1

    def hang(self):
        """No answer until the client closes the connection (or 60 s)."""
        self.close_connection = True
        for _ in range(1200):
            r, _w, _x = select.select([self.connection], [], [], 0.05)
            if r and not self.connection.recv(1, socket.MSG_PEEK):
                return
            if stop.is_set():
                return

    def answer(self, ip, n):
        last = ip.rsplit(".", 1)[-1]
        if ip.startswith("198.51.100."):
            return self.send(500, '{"error":"boom"}')
        if ip.startswith("192.0.2."):
            return self.hang()
        if ip.startswith("203.0.113.") and len(last) == 3 and last[0] == "2" and n == 1:
            return self.send(429, '{"error":"slow down"}', {"Retry-After": "1"})
        if ip.startswith("203.0.113.") and len(last) == 3 and last[0] == "1":
            time.sleep(0.3)
        elif args.delay:
            time.sleep(args.delay / 1000)
        if ip == "203.0.113.99":
            return self.send(200, "<html>not json</html>")
        score = sum(ord(c) for c in ip) % 100
        self.send(200, json.dumps({"ip": ip, "score": score, "seen": ["ssh", "web"]},
                                  indent=2))


ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--delay", type=float, default=0)
args = ap.parse_args()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


srv = Server(("127.0.0.1", 0), Handler)
signal.signal(signal.SIGTERM, lambda *a: (stop.set(), sys.exit(0)))
tmp = args.port_file + ".tmp"
with open(tmp, "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(tmp, args.port_file)
srv.serve_forever()
