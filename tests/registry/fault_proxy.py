#!/usr/bin/python3
"""A fault-injecting HTTP proxy between mybuild's registry client and a real docker-registry.

usage: fault_proxy.py PORT UPSTREAM_PORT RULES_JSON LOG

RULES_JSON (re-read on every request) is a list of rules
  {"method": "GET", "path": "/blobs/", "action": "reset", "count": 1}
applied, in order, to the first `count` matching requests; then requests pass through.
Actions: reset (forward, send half the body, then a TCP RST), status500, status429 (with
Retry-After: 1), html502, stall (never answer), corrupt (flip one byte of the body).
Hostile ones: redirect (307 to the rule's "to" + the path: another host), location (302 to the
rule's "to" as it is, e.g. file:///etc/passwd), relocate (forward, then point the answer's
Location at "to": an upload session elsewhere), endless (200 with a chunked body that never
ends), drip (the real answer, one byte every 0.1 s: a slow-loris), truncate (the real answer
cut to half, Content-Length too: a clean short body), html200 (200 with an HTML login page),
nochunked (411 Length Required to a request with a chunked body, as a proxy that wants every
body's length does; other requests pass).
Every request is logged to LOG as "METHOD PATH RANGE ACTION AUTH", AUTH being the scheme of
the Authorization header that arrived ("Basic", "Bearer") or "-".
"""
import http.client
import http.server
import json
import socket
import struct
import sys
import threading
import time
import urllib.parse

port, upstream, rules_file, log_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
lock = threading.Lock()
used = {}


def pick(method, path):
    try:
        rules = json.load(open(rules_file))
    except (OSError, ValueError):
        rules = []
    with lock:
        for i, r in enumerate(rules):
            if r.get("method", method) == method and r.get("path", "") in path:
                if used.get(i, 0) < r.get("count", 1):
                    used[i] = used.get(i, 0) + 1
                    return r
    return {"action": "pass"}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def hostile(self, rule):
        """Answers the hostile actions that need no upstream; False for the others."""
        action = rule["action"]
        if action in ("redirect", "location"):
            self.send_response(307 if action == "redirect" else 302)
            self.send_header("Location", rule["to"] + (self.path if action == "redirect" else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        if action == "html200":
            data = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>portal</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return True
        if action == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"%x\r\n%s\r\n" % (65536, b"{" * 65536)
            try:
                for _ in range(1 << 15):  # 2 GiB at most, should nobody hang up
                    self.wfile.write(chunk)
            except OSError:
                pass
            self.close_connection = True
            return True
        return False

    def read_body(self):
        if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            length = int(self.headers.get("Content-Length", "0") or 0)
            return self.rfile.read(length) if length else b""
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return body
            body += self.rfile.read(size)
            self.rfile.readline()  # the CRLF after each chunk

    def handle_any(self):
        rule = pick(self.command, self.path)
        action = rule["action"]
        if action == "nochunked":
            chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
            action = "status411" if chunked else "pass"
        auth = self.headers.get("Authorization", "-").split(" ")[0]
        with open(log_file, "a") as f:
            f.write("%s %s %s %s %s\n" % (self.command, self.path, self.headers.get("Range", "-"),
                                          action, auth))
        body = self.read_body()
        if action == "stall":
            time.sleep(3600)
        if self.hostile(rule):
            return
        if action in ("status500", "status429", "html502", "status411"):
            status = {"status500": 500, "status429": 429, "html502": 502, "status411": 411}[action]
            data = (b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
                    if action == "html502" else
                    b'{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}')
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if action == "html502" else "application/json")
            if action == "status429":
                self.send_header("Retry-After", "1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
        # A chunked request (mybuild's streamed PATCH) goes on with its length, as nginx sends it.
        headers = {k: v for k, v in self.headers.items() if k.lower() != "transfer-encoding"}
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if action == "corrupt" and data:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        if action == "truncate":
            data = data[: len(data) // 2]
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() == "location" and action == "relocate":
                v = rule["to"] + urllib.parse.urlsplit(v)._replace(scheme="", netloc="").geturl()
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if action == "drip":
            try:
                for i in range(min(len(data), 600)):  # a minute at most
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
            self.close_connection = True
            return
        if action == "reset":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


http.server.ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()
