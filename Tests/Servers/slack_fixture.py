#!/usr/bin/env python3
"""Loopback stand-in for Slack incoming webhooks, answering as Slack documents
(reference/alerting.md §10): status + plain-text body, no redirects followed.

Usage: python3 slack_fixture.py [--port 0]
Prints "LISTENING <port>" once bound; runs until SIGTERM or the parent exits.

POST /services/<T>/<B>/<secret>: the workspace part <T> picks the behaviour:
  TLIVE...    400 no_text to a payload without text (200 ok, and counted as a post, with text)
  TOLDLIVE... 400 missing_text_or_fallback_or_attachments without text
  TREVOKED... 404 no_service          TTOKEN...   403 invalid_token
  TARCHIVED.. 410 channel_is_archived TLIMITED... 429 rate_limited, Retry-After: 30
  TBROKEN...  500 rollup_error        TSLOW...    sleeps 30 s before answering
  TOKAY...    200 ok to anything (not how Slack answers an empty payload)
Any other path: 302 to https://api.slack.com/ (what Slack does for a non-webhook path).
GET /posted: JSON {"posted": N, "requests": M}: messages that would have been visible, and all requests.
"""

import argparse
import http.server
import json
import signal
import socketserver
import sys
import threading
import time

LOCK = threading.Lock()
COUNTS = {"posted": 0, "requests": 0}

BEHAVIOURS = [
    ("TOLDLIVE", (400, "missing_text_or_fallback_or_attachments")),
    ("TLIVE", (400, "no_text")),
    ("TREVOKED", (404, "no_service")),
    ("TTOKEN", (403, "invalid_token")),
    ("TARCHIVED", (410, "channel_is_archived")),
    ("TLIMITED", (429, "rate_limited")),
    ("TBROKEN", (500, "rollup_error")),
    ("TOKAY", (200, "ok")),
]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/posted":
            with LOCK:
                body = json.dumps(COUNTS)
            self.answer(200, body)
        else:
            self.answer(302, "", [("Location", "https://api.slack.com/")])

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with LOCK:
            COUNTS["requests"] += 1
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) != 4 or parts[0] != "services":
            return self.answer(302, "", [("Location", "https://api.slack.com/")])
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            return self.answer(400, "invalid_payload")
        has_message = bool(payload.get("text") or payload.get("blocks") or payload.get("attachments"))
        workspace = parts[1]
        if workspace.startswith("TSLOW"):
            time.sleep(30)
        for prefix, (status, body) in BEHAVIOURS:
            if workspace.startswith(prefix):
                if prefix in ("TLIVE", "TOLDLIVE") and has_message:
                    with LOCK:
                        COUNTS["posted"] += 1
                    return self.answer(200, "ok")
                if prefix == "TOKAY":
                    with LOCK:
                        COUNTS["posted"] += 1 if has_message else 0
                headers = [("Retry-After", "30")] if status == 429 else []
                return self.answer(status, body, headers)
        return self.answer(404, "no_service")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    from lifeline import exit_with_parent
    exit_with_parent()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = Server(("127.0.0.1", args.port), Handler)
    sys.stdout.write("LISTENING %d\n" % server.server_address[1])
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
