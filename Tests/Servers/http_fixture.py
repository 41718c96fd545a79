#!/usr/bin/env python3
"""Loopback HTTP(S) test fixture with scripted behaviours and faults.

Usage:
    python3 http_fixture.py [--port 0] [--host 127.0.0.1]
        [--tls-cert server.pem --tls-key server.key [--tls-client-ca ca.pem]
         [--tls-max-version 1.2|1.3]]

Protocol: after binding, exactly one line "LISTENING <port>" is written to
stdout (flushed); the server then runs until SIGTERM/SIGINT.  No access log.

Endpoints (all methods unless noted; HEAD never gets a body):
  /echo                          200 JSON describing the request
  /status/<code>                 that status, body "status <code>"
  /flaky/<key>?fail=N&status=503 first N requests fail with `status`, then 200
  /ratelimit/<key>?times=1&retry_after=2
                                 first `times` requests 429 + Retry-After, then 200
  /reset/<key>?times=N           first N requests (all if omitted) get a TCP RST
  /hits/<key>                    JSON {"count", "times", "now"} for flaky/ratelimit/reset
  /stall?send=1000&total=..&hold=30
                                 announces `total` bytes, sends `send`, then stalls
  /slowheaders?delay=S           waits S seconds before answering 200 "ok"
  /bytes?n=N&chunk=65536&chunked=0|1
                                 N bytes, byte i == i % 251
  /redirect?to=/echo[&code=302]  redirect
  anything else                  404 "not found"

Python 3.11 standard library only.
"""

import argparse
import base64
import http.server
import json
import select
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import urllib.parse

PATTERN_MOD = 251
DEFAULT_CHUNK = 65536
MAX_CHUNK = 16 * 1024 * 1024


# --------------------------------------------------------------------------
# shared state
# --------------------------------------------------------------------------

class HitBook:
    """Per-key request log shared by flaky / ratelimit / reset."""

    def __init__(self):
        self._lock = threading.Lock()
        self._times = {}

    def record(self, key):
        """Records one request; returns its 1-based ordinal for this key."""
        now = time.monotonic()
        with self._lock:
            lst = self._times.setdefault(key, [])
            lst.append(now)
            return len(lst)

    def snapshot(self, key):
        with self._lock:
            return list(self._times.get(key, []))


HITS = HitBook()


def pattern_block(size):
    """A buffer of the repeating pattern, long enough for any offset + size."""
    reps = (size + PATTERN_MOD) // PATTERN_MOD + 1
    return bytes(range(PATTERN_MOD)) * reps


# --------------------------------------------------------------------------
# server
# --------------------------------------------------------------------------

class FixtureServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    ssl_context = None

    def server_bind(self):
        # Avoid HTTPServer.server_bind's getfqdn() DNS lookup.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, on the worker thread, so a slow or
        # failing client cannot block the accept loop.
        if self.ssl_context is None:
            self.RequestHandlerClass(request, client_address, self)
            return
        try:
            request.settimeout(15)
            tls = self.ssl_context.wrap_socket(request, server_side=True)
            tls.settimeout(None)
        except (ssl.SSLError, OSError):
            try:
                request.close()
            except OSError:
                pass
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError, BrokenPipeError)):
            return
        sys.stderr.write("http_fixture: error handling %s: %r\n" % (client_address, exc))
        sys.stderr.flush()


class _Discard:
    """Stand-in for wfile after the socket was torn down."""

    closed = False

    def write(self, data):
        return len(data)

    def flush(self):
        pass

    def close(self):
        pass


class ConnectionAborted(Exception):
    pass


class FixtureHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "drbook-fixture"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        pass

    def do_GET(self): self._dispatch()
    def do_HEAD(self): self._dispatch()
    def do_POST(self): self._dispatch()
    def do_PUT(self): self._dispatch()
    def do_DELETE(self): self._dispatch()
    def do_PATCH(self): self._dispatch()
    def do_OPTIONS(self): self._dispatch()

    # ---- helpers ------------------------------------------------------------

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            parts = []
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionAborted()
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise ConnectionAborted()
                if size == 0:
                    while True:
                        t = self.rfile.readline(65537)
                        if not t or t in (b"\r\n", b"\n"):
                            break
                    break
                parts.append(self._read_exact(size))
                self.rfile.readline(65537)
            return b"".join(parts)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise ConnectionAborted()
        return self._read_exact(n)

    def _read_exact(self, n):
        out = []
        while n > 0:
            data = self.rfile.read(min(n, 1 << 20))
            if not data:
                raise ConnectionAborted()
            out.append(data)
            n -= len(data)
        return b"".join(out)

    def _send(self, status, body=b"", content_type="text/plain; charset=utf-8",
              extra_headers=(), close=False):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        bodyless_status = status in (204, 304) or 100 <= status < 200
        if not bodyless_status:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        for name, value in extra_headers:
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and not bodyless_status and body:
            self.wfile.write(body)
        self.wfile.flush()

    def _peer_closed(self, timeout):
        """Waits up to `timeout` seconds; True if the client hung up."""
        sock = self.connection
        try:
            fd = sock.fileno()
        except OSError:
            return True
        if fd < 0:
            return True
        poller = select.poll()
        mask = select.POLLHUP | select.POLLERR | getattr(select, "POLLRDHUP", 0)
        poller.register(fd, mask | select.POLLIN)
        events = poller.poll(timeout * 1000)
        for _, ev in events:
            if ev & mask:
                return True
            if ev & select.POLLIN and not isinstance(sock, ssl.SSLSocket):
                try:
                    peek = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                except BlockingIOError:
                    continue
                except OSError:
                    return True
                if peek == b"":
                    return True
                # Client sent more data (e.g. a pipelined request); keep
                # waiting but avoid a busy loop.
                time.sleep(min(timeout, 0.1))
            elif ev & select.POLLIN:
                time.sleep(min(timeout, 0.1))
        return False

    def _hold(self, seconds):
        """Sleeps up to `seconds`, returning early (True) if the client left."""
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._peer_closed(min(0.1, remaining)):
                return True

    def _abort_with_rst(self):
        sock = self.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            fd = sock.detach()  # marks the Python object closed without touching the fd
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                socket.socket(fileno=fd).close()  # close with linger 0 -> RST
            except OSError:
                pass
        # Nothing may be written after this point.
        self.wfile = _Discard()
        self._headers_buffer = []
        self.close_connection = True

    @staticmethod
    def _int_param(params, name, default):
        values = params.get(name)
        if not values:
            return default
        try:
            return int(values[0])
        except ValueError:
            return default

    @staticmethod
    def _float_param(params, name, default):
        values = params.get(name)
        if not values:
            return default
        try:
            return float(values[0])
        except ValueError:
            return default

    # ---- dispatch -------------------------------------------------------------

    def _dispatch(self):
        try:
            self._route()
        except (ConnectionAborted, ConnectionError, BrokenPipeError, TimeoutError,
                ssl.SSLError):
            self.close_connection = True
        except OSError:
            self.close_connection = True

    def _route(self):
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        params = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        segments = path.split("/")  # ["", "flaky", "key"]

        if path.startswith("/reset/") and len(segments) >= 3:
            return self._reset(urllib.parse.unquote(path[len("/reset/"):]), params)

        body = self._read_body()

        if path == "/echo":
            return self._echo(split, body)
        if path.startswith("/status/"):
            return self._status(path[len("/status/"):])
        if path.startswith("/flaky/") and len(path) > len("/flaky/"):
            return self._flaky(urllib.parse.unquote(path[len("/flaky/"):]), params)
        if path.startswith("/ratelimit/") and len(path) > len("/ratelimit/"):
            return self._ratelimit(urllib.parse.unquote(path[len("/ratelimit/"):]), params)
        if path.startswith("/hits/") and len(path) > len("/hits/"):
            return self._hits(urllib.parse.unquote(path[len("/hits/"):]))
        if path == "/stall":
            return self._stall(params)
        if path == "/slowheaders":
            return self._slowheaders(params)
        if path == "/bytes":
            return self._bytes(params)
        if path == "/redirect":
            return self._redirect(params)
        self._send(404, "not found")

    # ---- endpoints ------------------------------------------------------------

    def _echo(self, split, body):
        headers = {}
        for name, value in self.headers.items():
            lname = name.lower()
            headers[lname] = value if lname not in headers else headers[lname] + ", " + value
        cn = None
        if isinstance(self.connection, ssl.SSLSocket):
            cert = self.connection.getpeercert()
            if cert:
                for rdn in cert.get("subject", ()):
                    for key, value in rdn:
                        if key == "commonName":
                            cn = value
        payload = {
            "method": self.command,
            "path": split.path,
            "query": split.query,
            "args": urllib.parse.parse_qs(split.query, keep_blank_values=True),
            "headers": headers,
            "body_base64": base64.b64encode(body).decode("ascii"),
            "client_cert_cn": cn,
        }
        data = json.dumps(payload, sort_keys=True).encode("utf-8")
        self._send(200, data, content_type="application/json",
                   extra_headers=[("X-Fixture", "echo"), ("X-Multi", "a"), ("X-Multi", "a")])

    def _status(self, code_text):
        try:
            code = int(code_text)
        except ValueError:
            return self._send(400, "bad status code")
        if not 200 <= code <= 599:
            return self._send(400, "status must be 200..599")
        self._send(code, "status %d" % code)

    def _flaky(self, key, params):
        fail = self._int_param(params, "fail", 1)
        status = self._int_param(params, "status", 503)
        n = HITS.record(key)
        if n <= fail:
            self._send(status, "failing")
        else:
            self._send(200, "ok after %d" % fail)

    def _ratelimit(self, key, params):
        times = self._int_param(params, "times", 1)
        retry_after = (params.get("retry_after") or ["2"])[0]
        n = HITS.record(key)
        if n <= times:
            self._send(429, "slow down", extra_headers=[("Retry-After", retry_after)])
        else:
            self._send(200, "ok")

    def _reset(self, key, params):
        times = self._int_param(params, "times", None)
        n = HITS.record(key)
        if times is None or n <= times:
            self._abort_with_rst()
            return
        self._read_body()
        self._send(200, "ok")

    def _hits(self, key):
        times = HITS.snapshot(key)
        data = json.dumps({"count": len(times), "times": times, "now": time.monotonic()})
        self._send(200, data, content_type="application/json")

    def _stall(self, params):
        send = max(0, self._int_param(params, "send", 1000))
        total = max(send, self._int_param(params, "total", send * 10 if send else 1000000))
        hold = self._float_param(params, "hold", 30.0)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        self.close_connection = True  # the body will never be complete
        if self.command == "HEAD":
            self.wfile.flush()
            self.close_connection = False
            return
        if send:
            self.wfile.write(pattern_block(send)[:send])
        self.wfile.flush()
        self._hold(hold)

    def _slowheaders(self, params):
        delay = self._float_param(params, "delay", 5.0)
        if self._hold(delay):
            self.close_connection = True
            return
        self._send(200, "ok")

    def _bytes(self, params):
        n = max(0, self._int_param(params, "n", 0))
        chunk = self._int_param(params, "chunk", DEFAULT_CHUNK)
        chunk = min(max(1, chunk), MAX_CHUNK)
        chunked = (params.get("chunked") or ["0"])[0] in ("1", "true", "yes")
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(n))
        self.end_headers()
        if self.command == "HEAD":
            self.wfile.flush()
            return
        block = pattern_block(chunk)
        offset = 0
        while offset < n:
            size = min(chunk, n - offset)
            start = offset % PATTERN_MOD
            piece = block[start:start + size]
            if chunked:
                self.wfile.write(b"%x\r\n" % size + piece + b"\r\n")
            else:
                self.wfile.write(piece)
            offset += size
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _redirect(self, params):
        to = (params.get("to") or ["/echo"])[0]
        code = self._int_param(params, "code", 302)
        if code not in (301, 302, 303, 307, 308):
            code = 302
        self._send(code, "redirecting to %s" % to, extra_headers=[("Location", to)])


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(description="drbook HTTP(S) test fixture")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--tls-client-ca")
    p.add_argument("--tls-max-version", choices=["1.2", "1.3"],
                   help="cap the TLS version (1.2 makes a missing client cert fail inside the handshake)")
    args = p.parse_args(argv)
    from lifeline import exit_with_parent
    exit_with_parent()

    ctx = None
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.tls_client_ca:
            ctx.load_verify_locations(cafile=args.tls_client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        if args.tls_max_version == "1.2":
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif args.tls_key or args.tls_client_ca or args.tls_max_version:
        p.error("--tls-key/--tls-client-ca/--tls-max-version need --tls-cert")

    def on_term(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, on_term)

    server = FixtureServer((args.host, args.port), FixtureHandler)
    server.ssl_context = ctx
    sys.stdout.write("LISTENING %d\n" % server.server_address[1])
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
