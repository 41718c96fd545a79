#!/usr/bin/env python3
"""Loopback stand-in for Loki's query API, answering in the shape Loki documents for
GET /loki/api/v1/query_range (Loki is not installed here; this is written by hand from
the HTTP API reference, not taken from Loki):

  {"status": "success",
   "data": {"resultType": "streams",
            "result": [{"stream": {<labels>}, "values": [["<unix ns>", "<line>"], ...]}],
            "stats": {}}}

Usage: python3 loki_fixture.py --lines FILE [--port 0]
FILE is a JSON array of {"stream": {labels}, "values": [["<unix ns>", "<line>"], ...]}.
Prints "LISTENING <port>" once bound; runs until SIGTERM or the parent exits.

query_range honours `query` (a stream selector of label="value" matchers only; anything
else is answered 400 with a parse error as plain text, as Loki does), `start` and `end`
(Unix nanoseconds; start inclusive, end exclusive), `limit` (default 100) and `direction`
(forward: oldest first; backward, the default: newest first). GET /ready answers "ready".
"""

import argparse
import http.server
import json
import re
import signal
import socketserver
import sys
import urllib.parse

from lifeline import exit_with_parent

STREAMS = []
MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*')


def parse_selector(text):
    """The label="value" pairs of `{a="b", c="d"}`, or None when it is not such a selector."""
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    body = text[1:-1]
    pairs = {}
    for part in body.split(","):
        match = MATCHER.fullmatch(part)
        if not match:
            return None
        pairs[match.group(1)] = match.group(2)
    return pairs if pairs else None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/ready":
            return self.answer(200, "ready\n", "text/plain; charset=utf-8")
        if url.path != "/loki/api/v1/query_range":
            return self.answer(404, "404 page not found\n", "text/plain; charset=utf-8")
        query = dict(urllib.parse.parse_qsl(url.query))
        selector = parse_selector(query.get("query", ""))
        if selector is None:
            return self.answer(400, "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER\n", "text/plain; charset=utf-8")
        start = int(query.get("start", "0"))
        end = int(query.get("end", str(2 ** 63 - 1)))
        limit = int(query.get("limit", "100"))
        forward = query.get("direction", "backward") == "forward"
        entries = []
        for stream in STREAMS:
            if all(stream["stream"].get(k) == v for k, v in selector.items()):
                for ns, line in stream["values"]:
                    if start <= int(ns) < end:
                        entries.append((int(ns), line, stream["stream"]))
        entries.sort(key=lambda e: e[0], reverse=not forward)
        entries = entries[:limit]
        result = []
        for ns, line, labels in entries:
            for item in result:
                if item["stream"] == labels:
                    item["values"].append([str(ns), line])
                    break
            else:
                result.append({"stream": labels, "values": [[str(ns), line]]})
        body = {"status": "success", "data": {"resultType": "streams", "result": result, "stats": {}}}
        return self.answer(200, json.dumps(body), "application/json")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--lines", required=True)
    args = parser.parse_args()
    with open(args.lines) as handle:
        STREAMS.extend(json.load(handle))
    server = Server(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    exit_with_parent()
    print(f"LISTENING {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
