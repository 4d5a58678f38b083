#!/usr/bin/env python3
"""webhook.py - a local webhook receiver for tests (127.0.0.1 only).

usage: webhook.py --port-file FILE --log FILE [--port N] [--steps STEPS]
                  [--tls CERT,KEY]

Listens on 127.0.0.1 (port 0 = any free port; the port is written to
--port-file once the socket is bound, so wait for that file) and appends one
NDJSON line per request to --log:

  {"t": <arrival, epoch seconds>, "method": "POST", "path": "/…",
   "headers": {…}, "body": "<request body as text>",
   "status": <status answered>, "step": "<step used>"}

How it answers is a script of STEPS, comma-separated; each request takes
the next step and the last step repeats forever:

  200, 204, 400, 500, …   answer that status (body "ok" or an error text)
  429:SECS                 429 with a Retry-After: SECS header
  429body:SECS             429 with Discord's JSON body {"retry_after": SECS}
                           and no header (SECS may be a float)
  hang:SECS                sleep SECS before answering 200 (the client
                           usually times out first)
  redirect                 302 to another host

--tls CERT,KEY serves https with that certificate (PEM files), e.g. a
self-signed one to check that a client verifies certificates.

Control (never logged): POST /__steps with the new STEPS as the body
replaces the script (curl -d '500,500,200' http://127.0.0.1:PORT/__steps);
GET /__count answers the number of requests logged so far.
Stop it with SIGTERM.
"""
import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self, steps, log):
        self.lock = threading.Lock()
        self.steps = steps
        self.log = log
        self.count = 0

    def set_steps(self, text):
        steps = [s.strip() for s in text.split(",") if s.strip()]
        with self.lock:
            self.steps = steps or ["200"]

    def next_step(self):
        with self.lock:
            if len(self.steps) > 1:
                return self.steps.pop(0)
            return self.steps[0]

    def record(self, rec):
        with self.lock:
            self.count += 1
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):   # quiet: the NDJSON log is the record
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st = self.server.state
        if self.path == "/__count":
            self.reply(200, str(st.count).encode())
        else:
            self.handle_hook(b"")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.path == "/__steps":
            self.server.state.set_steps(body.decode())
            self.reply(200, b"ok")
            return
        self.handle_hook(body)

    def handle_hook(self, body):
        st = self.server.state
        step = st.next_step()
        kind, _, arg = step.partition(":")
        status, payload, headers = 200, b"ok", []
        if kind == "hang":
            pass                          # slept below, after the record
        elif kind == "429":
            status, payload = 429, b"rate limited"
            headers.append(("Retry-After", arg or "1"))
        elif kind == "429body":
            status = 429
            payload = json.dumps({"message": "You are being rate limited.",
                                  "retry_after": float(arg or 1),
                                  "global": False}).encode()
            headers.append(("Content-Type", "application/json"))
        elif kind == "redirect":
            status, payload = 302, b"moved"
            headers.append(("Location", "http://example.invalid/elsewhere"))
        else:
            status = int(kind)
            if status >= 300:
                payload = ("error %d: invalid_payload" % status).encode()
        st.record({"t": time.time(), "method": self.command, "path": self.path,
                   "headers": dict(self.headers.items()),
                   "body": body.decode("utf-8", "replace"),
                   "status": status, "step": step})
        if kind == "hang":
            time.sleep(float(arg or 5))
        try:
            self.reply(status, payload, headers)
        except (BrokenPipeError, ConnectionResetError):
            pass


def main():
    ap = argparse.ArgumentParser(description="local webhook receiver")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--steps", default="200")
    ap.add_argument("--tls")
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    if a.tls:
        import ssl
        cert, key = a.tls.split(",")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.daemon_threads = True
    srv.state = State([], a.log)
    srv.state.set_steps(a.steps)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
