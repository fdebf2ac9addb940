#!/usr/bin/python3
"""A small token issuer for docker-registry's `auth: token` (docker token spec, token.md and
oauth.md), for mybuild's integration tests: the real Bearer flow, end to end.

usage: token_server.py PORT SIGNING_KEY SIGNING_CERT USER PASSWORD ANON_PULL ISSUED_LOG [EXPIRES_IN]

GET /token with Basic USER:PASSWORD grants what is asked; without credentials only pull (when
ANON_PULL is 1); wrong credentials get 401. POST /token (OAuth2) accepts grant_type=password
(returns a refresh_token) and grant_type=refresh_token. Tokens are ES256 JWTs whose x5c header
carries the signing certificate, which the registry trusts through its rootcertbundle. Each
issued token appends one line to ISSUED_LOG so tests can count token requests.
"""
import base64
import http.server
import json
import sys
import time
import urllib.parse
import uuid

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

port, key_file, cert_file, user, password, anon_pull, issued_log = sys.argv[1:8]
KEY = open(key_file).read()
CERT = x509.load_pem_x509_certificate(open(cert_file, "rb").read())
X5C = [base64.b64encode(CERT.public_bytes(serialization.Encoding.DER)).decode()]
REFRESH_TOKEN = "refresh-" + user + "-0123456789"
# The expires_in every answer carries, as JSON (hostile tests send -5, 1e30 or a string).
EXPIRES_IN = json.loads(sys.argv[8]) if len(sys.argv) > 8 else 300


def grant(scopes, authenticated):
    access = []
    for scope in scopes:
        for one in scope.split(" "):
            parts = one.split(":")
            if len(parts) < 3 or parts[0] != "repository":
                continue
            name, actions = ":".join(parts[1:-1]), parts[-1].split(",")
            allowed = actions if authenticated else [a for a in actions if a == "pull" and anon_pull == "1"]
            access.append({"type": "repository", "name": name, "actions": allowed})
    return access


def token(service, scopes, account, authenticated):
    now = int(time.time())
    claims = {"iss": "mybuild-test-issuer", "sub": account, "aud": service, "exp": now + 300,
              "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()),
              "access": grant(scopes, authenticated)}
    with open(issued_log, "a") as f:
        f.write(json.dumps(claims["access"]) + "\n")
    t = jwt.encode(claims, KEY, algorithm="ES256", headers={"x5c": X5C})
    with open(issued_log + ".tokens", "a") as f:  # for tests that look for leaked tokens
        f.write(t + "\n")
    return t


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        authenticated = False
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            u, _, p = base64.b64decode(header[6:]).decode().partition(":")
            if (u, p) != (user, password):
                return self.reply(401, {"details": "incorrect username or password"})
            authenticated = True
        t = token(q.get("service", [""])[0], q.get("scope", []), user if authenticated else "",
                  authenticated)
        self.reply(200, {"token": t, "access_token": t, "expires_in": EXPIRES_IN})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        kind = form.get("grant_type", [""])[0]
        if kind == "password":
            ok = (form.get("username", [""])[0], form.get("password", [""])[0]) == (user, password)
        elif kind == "refresh_token":
            ok = form.get("refresh_token", [""])[0] == REFRESH_TOKEN
        else:
            return self.reply(400, {"error": "unsupported_grant_type"})
        if not ok:
            return self.reply(401, {"error": "invalid_grant"})
        scopes = form.get("scope", [""])[0].split(" ") if form.get("scope") else []
        t = token(form.get("service", [""])[0], scopes, user, True)
        self.reply(200, {"access_token": t, "refresh_token": REFRESH_TOKEN, "expires_in": EXPIRES_IN})


http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
