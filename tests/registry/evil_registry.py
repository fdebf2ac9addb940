#!/usr/bin/python3
"""A registry that misbehaves on purpose, for mybuild's bad-input tests.

usage: evil_registry.py PORT

Repositories (by name in /v2/<name>/manifests/<ref>): malformed (not JSON), wrongtype (a media
type that is no manifest), schema1, redirect (a redirect loop), html (a 404 HTML page),
huge (a 5 MiB manifest), lying (a body whose digest differs from the one asked for),
absurd (a layer blob that streams past its descriptor's size), never (no answer at all),
selfref (an index whose only entry names a digest the server answers with the index itself).
"""
import hashlib
import http.server
import json
import sys
import time

OCI = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"


class Evil(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype="application/json", extra=None):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        p = self.path
        if p == "/v2/":
            return self.send(200, "{}")
        name = p.split("/")[2] if p.count("/") >= 3 else ""
        if name == "selfref":
            entry = {"mediaType": OCI, "digest": "sha256:" + hashlib.sha256(b"self").hexdigest(),
                     "size": 300, "platform": {"architecture": "amd64", "os": "linux"}}
            return self.send(200, json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": [entry]}),
                             INDEX)
        if name == "never":
            time.sleep(3600)
        if "/blobs/" in p and name == "absurd":
            return self.send(200, b"x" * 100000, "application/octet-stream")
        if name == "malformed":
            return self.send(200, "{not json", OCI)
        if name == "wrongtype":
            return self.send(200, json.dumps({"schemaVersion": 2, "mediaType": "application/x-foo"}), "application/x-foo")
        if name == "schema1":
            return self.send(200, json.dumps({"schemaVersion": 1, "name": "x", "tag": "t", "fsLayers": []}),
                             "application/vnd.docker.distribution.manifest.v1+prettyjws")
        if name == "redirect":
            return self.send(302, "", extra={"Location": p})
        if name == "html":
            return self.send(404, "<html><head><title>Not Found</title></head><body>nope</body></html>", "text/html")
        if name == "huge":
            return self.send(200, json.dumps({"schemaVersion": 2, "mediaType": OCI, "pad": "x" * (5 << 20)}), OCI)
        if name == "lying":
            return self.send(200, json.dumps({"schemaVersion": 2, "mediaType": OCI, "config": {}, "layers": []}), OCI)
        return self.send(404, json.dumps({"errors": [{"code": "NAME_UNKNOWN", "message": "unknown"}]}))

    do_HEAD = do_GET


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Evil).serve_forever()
