#!/usr/bin/env python3
"""Strict AWS Signature Version 4 verifying reverse proxy (test fixture).

moto's S3 server accepts any signature, so the drbook tests put this proxy in
front of it.  Every request must carry a header-based SigV4 signature that a
real S3/R2 endpoint would accept; the proxy recomputes the canonical request
the way the server side does (independent of how the client wrote the request
line) and rejects anything that does not match with an S3-style 403.
Accepted requests are forwarded unchanged to the upstream and the response is
streamed back.

Usage:
    python3 sigv4_proxy.py --upstream http://127.0.0.1:MOTOPORT \
        --access-key AK --secret-key SK [--region auto] [--service s3] \
        [--port 0] [--host 127.0.0.1] [--quiet | --verbose] \
        [--max-skew 900] [--allow-unsigned-amz-headers]

Protocol: after binding, exactly one line "LISTENING <port>" is written to
stdout (flushed).  The proxy then serves until it is killed (SIGTERM/SIGINT).
Rejections are always reported on stderr, one line each.

Latency and round trips (tests and scripts/bench-velero): every answer can be
held back by a delay, as a WAN round trip would be (`--delay-ms`, the
environment's DRBOOK_PROXY_DELAY_MS, or per bucket `POST /__drbook/delay?bucket=B&ms=N`).
The proxy records, per bucket, when each request arrived and when its answer was
sent in full (`GET /__drbook/timeline?bucket=B`, `POST /__drbook/reset?bucket=B`).
"Rounds" is the critical path of that timeline: the longest chain of requests
each of which arrived after the previous one had been answered. Requests a client
sends concurrently overlap and count once; a request that had to wait for
another's answer (or was simply sent after it) adds one. With a delay the count
does not depend on how fast the machine is, so tests can assert it.

Python 3.11 standard library only.
"""

import argparse
import calendar
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import signal
import socket
import socketserver
import sys
import tempfile
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape as xml_escape

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
RELAY_CHUNK = 64 * 1024
SPOOL_IN_MEMORY = 8 * 1024 * 1024      # request bodies above this go to a temp file
DRAIN_LIMIT_ON_REJECT = 8 * 1024 * 1024  # drain small bodies after a rejection to keep the connection

# Hop-by-hop headers (RFC 7230 section 6.1) plus a few that must not be relayed.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "proxy-connection", "te", "trailer", "trailers", "transfer-encoding", "upgrade",
}
NOT_FORWARDED_UPSTREAM = HOP_BY_HOP | {"host", "expect", "content-length"}
NOT_RELAYED_DOWNSTREAM = HOP_BY_HOP

AMZ_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
LWS_RUN_RE = re.compile(r"[ \t]+")

_stderr_lock = threading.Lock()


def log_err(line):
    with _stderr_lock:
        sys.stderr.write("sigv4_proxy: " + line + "\n")
        sys.stderr.flush()


# --------------------------------------------------------------------------
# SigV4 canonicalisation (server-side view)
# --------------------------------------------------------------------------

def uri_encode(raw_bytes, keep_slash):
    """RFC 3986 encoding: unreserved characters verbatim, the rest %XX uppercase."""
    return urllib.parse.quote(raw_bytes, safe="/" if keep_slash else "")


def canonical_uri(raw_path):
    if raw_path == "":
        return "/"
    decoded = urllib.parse.unquote_to_bytes(raw_path)
    encoded = uri_encode(decoded, keep_slash=True)
    if not encoded.startswith("/"):
        encoded = "/" + encoded
    return encoded


def canonical_query(raw_query):
    pairs = []
    for part in raw_query.split("&"):
        if part == "":
            continue
        if "=" in part:
            name, value = part.split("=", 1)
        else:
            name, value = part, ""
        # unquote_to_bytes does not turn '+' into a space, which is what we want.
        enc_name = uri_encode(urllib.parse.unquote_to_bytes(name), keep_slash=False)
        enc_value = uri_encode(urllib.parse.unquote_to_bytes(value), keep_slash=False)
        pairs.append((enc_name, enc_value))
    pairs.sort()
    return "&".join(f"{n}={v}" for n, v in pairs)


def canonical_header_value(values):
    trimmed = [LWS_RUN_RE.sub(" ", v.strip(" \t\r\n")) for v in values]
    return ",".join(trimmed)


def signing_key(secret, date, region, service):
    def mac(key, msg):
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()
    k = mac(("AWS4" + secret).encode("utf-8"), date)
    k = mac(k, region)
    k = mac(k, service)
    return mac(k, "aws4_request")


def parse_authorization(value):
    """Returns dict with credential, signed_headers, signature or raises ValueError."""
    value = value.strip()
    if not value.startswith(ALGORITHM + " "):
        raise ValueError("unsupported authorization algorithm (expected %s)" % ALGORITHM)
    rest = value[len(ALGORITHM) + 1:]
    fields = {}
    for item in rest.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item:
            raise ValueError("malformed Authorization component %r" % item)
        k, v = item.split("=", 1)
        k = k.strip()
        if k in fields:
            raise ValueError("duplicate Authorization component %r" % k)
        fields[k] = v.strip()
    for required in ("Credential", "SignedHeaders", "Signature"):
        if required not in fields:
            raise ValueError("Authorization header lacks %s" % required)
    unknown = set(fields) - {"Credential", "SignedHeaders", "Signature"}
    if unknown:
        raise ValueError("unknown Authorization components: %s" % ", ".join(sorted(unknown)))
    return fields


class Rejection(Exception):
    def __init__(self, status, code, message, canonical_request=None, string_to_sign=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.canonical_request = canonical_request
        self.string_to_sign = string_to_sign


# --------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------

class ClientGone(Exception):
    """The downstream client went away while we were talking to it."""


class ProxyServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def server_bind(self):
        # Skip HTTPServer.server_bind's getfqdn() (a possibly slow DNS lookup).
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        log_err("internal error while handling %s: %r" % (client_address, exc))


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sigv4-proxy"
    sys_version = ""

    def version_string(self):
        return self.server_version

    # filled in by main()
    cfg = None

    # ---- base class hooks -------------------------------------------------

    def setup(self):
        super().setup()
        self._upstream = None          # persistent upstream connection for this client connection
        self._upstream_used = False

    def finish(self):
        try:
            super().finish()
        finally:
            self._drop_upstream()

    def log_message(self, fmt, *args):
        if self.cfg.verbose:
            log_err("%s - %s" % (self.address_string(), fmt % args))

    def handle_expect_100(self):
        # Defer "100 Continue" until the signature has been checked, so a
        # rejected upload never gets its body sent.
        self._expect_continue = True
        return True

    def handle_one_request(self):
        self._expect_continue = False
        super().handle_one_request()

    def do_GET(self): self._handle()
    def do_HEAD(self): self._handle()
    def do_PUT(self): self._handle()
    def do_POST(self): self._handle()
    def do_DELETE(self): self._handle()
    def do_PATCH(self): self._handle()
    def do_OPTIONS(self): self._handle()

    # ---- main flow ----------------------------------------------------------

    def _handle(self):
        if self.path.startswith("/__drbook/"):
            self._control()
            return
        bucket = request_bucket(self.path)
        started = TIMELINE.begin(bucket)
        try:
            delay = TIMELINE.delay(bucket)
            if delay > 0:
                time.sleep(delay)
            self._handle_inner()
        except ClientGone:
            self.close_connection = True
            self._drop_upstream()
        except (ConnectionError, TimeoutError, OSError) as exc:
            # Errors reading from / writing to the downstream client.
            self.close_connection = True
            self._drop_upstream()
            if self.cfg.verbose:
                log_err("client connection error: %r" % exc)
        finally:
            TIMELINE.end(bucket, started, self.command, self.path)

    def _control(self):
        parts = urllib.parse.urlsplit(self.path)
        kind = parts.path.rsplit("/", 1)[-1]
        query = dict(urllib.parse.parse_qsl(parts.query))
        bucket = query.get("bucket", "")
        if kind in ("cut", "fail"):
            self._register_fault()
            return
        if kind == "delay":
            TIMELINE.set_delay(bucket, float(query.get("ms", "0")) / 1000.0)
            body = b""
        elif kind == "reset":
            TIMELINE.reset(bucket)
            body = b""
        elif kind == "timeline":
            body = json.dumps(TIMELINE.summary(bucket)).encode()
        else:
            self.send_response_only(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response_only(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle_inner(self):
        body_len, chunked = self._request_body_framing()
        if body_len is None and not chunked:
            self._reject_without_body(Rejection(400, "MissingContentLength",
                                                "invalid Content-Length header"))
            return

        try:
            payload_hash = self._verify_headers()
        except Rejection as rej:
            self._log_rejection(rej)
            self._reject_without_body(rej, body_len=body_len, chunked=chunked)
            return

        if self._expect_continue:
            self.send_response_only(100)
            self.end_headers()

        body = self._read_body(body_len, chunked)
        injected = take_fault("fail", self.command, self.path)
        if injected is not None:
            body.close()
            self._send_error(Rejection(injected["status"], injected["code"], injected["message"]))
            return
        try:
            if payload_hash != UNSIGNED_PAYLOAD and body.sha256 != payload_hash:
                rej = Rejection(400, "XAmzContentSHA256Mismatch",
                                "x-amz-content-sha256 does not match the request body "
                                "(header %s, body %s)" % (payload_hash, body.sha256))
                self._log_rejection(rej)
                self._send_error(rej)
                return
            self._forward(body)
        finally:
            body.close()

    # ---- request body ---------------------------------------------------

    def _request_body_framing(self):
        te = ",".join(self.headers.get_all("Transfer-Encoding") or []).lower()
        if te:
            codings = [c.strip() for c in te.split(",") if c.strip()]
            if codings and codings[-1] == "chunked":
                return 0, True
            return None, False
        cl_values = self.headers.get_all("Content-Length") or []
        if not cl_values:
            return 0, False
        distinct = {v.strip() for v in cl_values}
        if len(distinct) != 1:
            return None, False
        value = distinct.pop()
        if not value.isdigit():
            return None, False
        return int(value), False

    def _read_body(self, length, chunked):
        spool = _Body()
        try:
            if chunked:
                while True:
                    line = self.rfile.readline(65537)
                    if not line:
                        raise ClientGone()
                    size_text = line.split(b";", 1)[0].strip()
                    try:
                        size = int(size_text, 16)
                    except ValueError:
                        raise ClientGone()
                    if size == 0:
                        # trailers until blank line
                        while True:
                            t = self.rfile.readline(65537)
                            if not t or t in (b"\r\n", b"\n"):
                                break
                        break
                    self._copy_exact(size, spool)
                    if self.rfile.readline(65537) not in (b"\r\n", b"\n"):
                        raise ClientGone()
            else:
                self._copy_exact(length, spool)
        except BaseException:
            spool.close()
            raise
        spool.finish()
        return spool

    def _copy_exact(self, n, sink):
        while n > 0:
            data = self.rfile.read(min(n, RELAY_CHUNK))
            if not data:
                raise ClientGone()
            sink.write(data)
            n -= len(data)

    def _drain(self, length, chunked):
        """Discard a request body; returns False if we would rather close."""
        if chunked:
            return False
        if length > DRAIN_LIMIT_ON_REJECT:
            return False
        null = _NullSink()
        self._copy_exact(length, null)
        return True

    # ---- verification -----------------------------------------------------

    def _verify_headers(self):
        cfg = self.cfg
        raw_path, _, raw_query = self.path.partition("?")

        auth_values = self.headers.get_all("Authorization") or []
        if not auth_values:
            raise Rejection(403, "AccessDenied", "Authorization header missing")
        if len(auth_values) > 1:
            raise Rejection(400, "InvalidArgument", "more than one Authorization header")
        try:
            auth = parse_authorization(auth_values[0])
        except ValueError as exc:
            raise Rejection(400, "AuthorizationHeaderMalformed", str(exc))

        cred_parts = auth["Credential"].split("/")
        if len(cred_parts) != 5 or cred_parts[4] != "aws4_request":
            raise Rejection(400, "AuthorizationHeaderMalformed",
                            "credential must be AK/DATE/REGION/SERVICE/aws4_request")
        access_key, scope_date, scope_region, scope_service, _ = cred_parts
        if access_key != cfg.access_key:
            raise Rejection(403, "InvalidAccessKeyId",
                            "the access key id %r does not exist" % access_key)
        if scope_region != cfg.region:
            raise Rejection(400, "AuthorizationHeaderMalformed",
                            "credential scope region %r, expected %r" % (scope_region, cfg.region))
        if scope_service != cfg.service:
            raise Rejection(400, "AuthorizationHeaderMalformed",
                            "credential scope service %r, expected %r" % (scope_service, cfg.service))

        amz_dates = self.headers.get_all("x-amz-date") or []
        if len(amz_dates) != 1:
            raise Rejection(403, "AccessDenied",
                            "x-amz-date header missing" if not amz_dates else "multiple x-amz-date headers")
        amz_date = amz_dates[0].strip()
        if not AMZ_DATE_RE.match(amz_date):
            raise Rejection(403, "AccessDenied", "x-amz-date %r is not YYYYMMDDTHHMMSSZ" % amz_date)
        try:
            request_time = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            raise Rejection(403, "AccessDenied", "x-amz-date %r is not a valid date" % amz_date)
        if scope_date != amz_date[:8]:
            raise Rejection(403, "SignatureDoesNotMatch",
                            "credential scope date %s does not match x-amz-date %s" % (scope_date, amz_date))
        if cfg.max_skew > 0 and abs(time.time() - request_time) > cfg.max_skew:
            raise Rejection(403, "RequestTimeTooSkewed",
                            "x-amz-date %s differs from server time by more than %ds"
                            % (amz_date, cfg.max_skew))

        signed_header_text = auth["SignedHeaders"]
        signed = signed_header_text.split(";")
        if any(h == "" or h != h.lower() or h != h.strip() for h in signed):
            raise Rejection(400, "AuthorizationHeaderMalformed",
                            "SignedHeaders %r must be non-empty lowercase names" % signed_header_text)
        if len(set(signed)) != len(signed):
            raise Rejection(400, "AuthorizationHeaderMalformed", "SignedHeaders has duplicates")
        for required in ("host", "x-amz-date"):
            if required not in signed:
                raise Rejection(403, "AccessDenied", "SignedHeaders must include %s" % required)

        sha_values = self.headers.get_all("x-amz-content-sha256") or []
        if not sha_values:
            raise Rejection(403, "SignatureDoesNotMatch", "x-amz-content-sha256 header missing")
        if len(sha_values) > 1:
            raise Rejection(400, "InvalidArgument", "multiple x-amz-content-sha256 headers")
        payload_hash = sha_values[0].strip()
        if payload_hash != UNSIGNED_PAYLOAD and not HEX64_RE.match(payload_hash):
            raise Rejection(400, "InvalidArgument",
                            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or lowercase hex "
                            "SHA-256, got %r" % payload_hash)
        if "x-amz-content-sha256" not in signed:
            raise Rejection(403, "AccessDenied", "x-amz-content-sha256 is not in SignedHeaders")

        if not cfg.allow_unsigned_amz:
            present = {k.lower() for k in self.headers.keys()}
            unsigned_amz = sorted(h for h in present if h.startswith("x-amz-") and h not in signed)
            if unsigned_amz:
                raise Rejection(403, "AccessDenied",
                                "There were headers present in the request which were not signed: "
                                + ", ".join(unsigned_amz))

        header_lines = []
        for name in sorted(signed):
            values = self.headers.get_all(name)
            if values is None:
                raise Rejection(403, "AccessDenied", "signed header %r is not present in the request" % name)
            header_lines.append("%s:%s\n" % (name, canonical_header_value(values)))

        canonical_request = "\n".join([
            self.command,
            canonical_uri(raw_path),
            canonical_query(raw_query),
            "".join(header_lines),
            ";".join(sorted(signed)),
            payload_hash,
        ])
        # Header values were decoded as latin-1 by http.client; encoding back
        # to latin-1 reproduces the bytes that were on the wire.
        creq_bytes = canonical_request.encode("latin-1", "replace")
        scope = "%s/%s/%s/aws4_request" % (scope_date, scope_region, scope_service)
        string_to_sign = "\n".join([
            ALGORITHM, amz_date, scope, hashlib.sha256(creq_bytes).hexdigest(),
        ])
        key = signing_key(cfg.secret_key, scope_date, scope_region, scope_service)
        expected = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        provided = auth["Signature"]
        if not hmac.compare_digest(expected.encode("ascii"), provided.encode("latin-1", "replace")):
            reason = "signature mismatch"
            if signed != sorted(signed):
                reason += " (SignedHeaders not sorted: %s)" % signed_header_text
            raise Rejection(403, "SignatureDoesNotMatch", reason,
                            canonical_request=canonical_request, string_to_sign=string_to_sign)
        return payload_hash

    # ---- responses --------------------------------------------------------

    def _log_rejection(self, rej):
        line = "REJECT %d %s %s %s: %s" % (rej.status, rej.code, self.command, self.path, rej.message)
        if rej.canonical_request is not None:
            line += " | canonical_request=" + json.dumps(rej.canonical_request)
        if rej.string_to_sign is not None:
            line += " | string_to_sign=" + json.dumps(rej.string_to_sign)
        log_err(line)

    def _error_xml(self, rej):
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            "<Error>",
            "<Code>%s</Code>" % xml_escape(rej.code),
            "<Message>%s</Message>" % xml_escape(rej.message),
        ]
        if rej.canonical_request is not None:
            parts.append("<CanonicalRequest>%s</CanonicalRequest>" % xml_escape(rej.canonical_request))
        if rej.string_to_sign is not None:
            parts.append("<StringToSign>%s</StringToSign>" % xml_escape(rej.string_to_sign))
        parts.append("<Resource>%s</Resource>" % xml_escape(self.path.partition("?")[0]))
        parts.append("</Error>")
        return "".join(parts).encode("utf-8")

    def _send_error(self, rej, close=False):
        body = self._error_xml(rej)
        self.log_request(rej.status)
        self.send_response_only(rej.status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Date", self.date_time_string())
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _reject_without_body(self, rej, body_len=None, chunked=False):
        """Reply before the body was read: drain small bodies, else close."""
        keep = False
        if body_len is not None and not self._expect_continue:
            keep = self._drain(body_len, chunked)
        elif body_len == 0 and not chunked:
            keep = True
        self._send_error(rej, close=not keep)

    # ---- forwarding ---------------------------------------------------------

    def _drop_upstream(self):
        conn = getattr(self, "_upstream", None)
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass
        self._upstream = None
        self._upstream_used = False

    def _upstream_conn(self):
        if self._upstream is None:
            cfg = self.cfg
            if cfg.upstream_scheme == "https":
                self._upstream = http.client.HTTPSConnection(
                    cfg.upstream_host, cfg.upstream_port, timeout=cfg.upstream_timeout)
            else:
                self._upstream = http.client.HTTPConnection(
                    cfg.upstream_host, cfg.upstream_port, timeout=cfg.upstream_timeout)
            self._upstream_used = False
        return self._upstream

    def _send_upstream(self, body):
        target = self.cfg.upstream_prefix + self.path
        has_body = body.size > 0 or self.headers.get("Content-Length") is not None \
            or self.headers.get("Transfer-Encoding") is not None
        for attempt in (1, 2):
            conn = self._upstream_conn()
            reused = self._upstream_used
            try:
                conn.putrequest(self.command, target, skip_accept_encoding=True)
                connection_tokens = set()
                for v in self.headers.get_all("Connection") or []:
                    connection_tokens.update(t.strip().lower() for t in v.split(","))
                for name, value in self.headers.items():
                    lname = name.lower()
                    if lname in NOT_FORWARDED_UPSTREAM or lname in connection_tokens:
                        continue
                    conn.putheader(name, value)
                if has_body:
                    conn.putheader("Content-Length", str(body.size))
                conn.endheaders()
                if body.size:
                    for chunk in body.chunks():
                        conn.send(chunk)
                resp = conn.getresponse()
                self._upstream_used = True
                return resp
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine,
                    http.client.CannotSendRequest, http.client.ResponseNotReady) as exc:
                self._drop_upstream()
                if attempt == 1 and reused:
                    continue  # stale keep-alive connection: retry once on a fresh one
                raise UpstreamError(exc)
            except (OSError, http.client.HTTPException) as exc:
                self._drop_upstream()
                raise UpstreamError(exc)
        raise UpstreamError("unreachable")

    def _forward(self, body):
        try:
            resp = self._send_upstream(body)
        except UpstreamError as exc:
            log_err("upstream error for %s %s: %r" % (self.command, self.path, exc.args[0]))
            rej = Rejection(502, "BadGateway", "upstream error: %r" % (exc.args[0],))
            self._send_error(rej)
            return

        status = resp.status
        no_body = (self.command == "HEAD" or status in (204, 304) or 100 <= status < 200)
        upstream_length = resp.getheader("Content-Length")
        use_chunked = (not no_body) and upstream_length is None

        self.log_request(status)
        self.send_response_only(status, resp.reason)
        for name, value in resp.getheaders():
            if name.lower() in NOT_RELAYED_DOWNSTREAM:
                continue
            self.send_header(name, value)
        if use_chunked:
            self.send_header("Transfer-Encoding", "chunked")
        if self.close_connection:
            self.send_header("Connection", "close")
        try:
            self.end_headers()
            if no_body:
                # http.client knows a HEAD response has no body; for others
                # this consumes nothing and marks the response complete.
                resp.read()
            else:
                self._relay_body(resp, use_chunked)
            self.wfile.flush()
        except (ConnectionError, OSError):
            resp.close()
            raise ClientGone()
        except http.client.HTTPException as exc:
            # Upstream broke mid-body; the downstream response is now truncated.
            log_err("upstream body error for %s %s: %r" % (self.command, self.path, exc))
            resp.close()
            self._drop_upstream()
            self.close_connection = True
            return
        if resp.will_close:
            self._drop_upstream()

    def _register_fault(self):
        """Test control, unsigned: `/__drbook/cut?suffix=KEY&after=N&times=T` ends the
        next T GET answers for a key ending in KEY after N body bytes (a dropped
        connection); `/__drbook/fail?suffix=KEY&status=503&code=SlowDown&times=T` answers
        the next T requests for it with that S3 error instead of forwarding them."""
        parts = urllib.parse.urlsplit(self.path)
        kind = parts.path.rsplit("/", 1)[-1]
        query = dict(urllib.parse.parse_qsl(parts.query))
        fault = {"suffix": query.get("suffix", ""), "times": int(query.get("times", "1")),
                 "after": int(query.get("after", "0")), "status": int(query.get("status", "503")),
                 "code": query.get("code", "SlowDown"), "message": query.get("message", "injected by the test")}
        with FAULTS_LOCK:
            FAULTS.setdefault(kind, []).append(fault)
        self.send_response_only(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _relay_body(self, resp, use_chunked):
        cut = take_fault("cut", self.command, self.path)
        sent = 0
        upstream_failed = None
        while True:
            try:
                data = resp.read1(RELAY_CHUNK)
            except (http.client.HTTPException, OSError) as exc:
                upstream_failed = exc
                break
            if not data:
                break
            if cut is not None and sent + len(data) > cut["after"]:
                self.wfile.write(data[:max(0, cut["after"] - sent)])
                self.wfile.flush()
                # Drop the connection mid-body, as a reset network would.
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                resp.close()
                self._drop_upstream()
                raise ClientGone()
            sent += len(data)
            if use_chunked:
                self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
            else:
                self.wfile.write(data)
        if upstream_failed is not None:
            raise http.client.HTTPException(repr(upstream_failed))
        if resp.length not in (None, 0):
            # Upstream closed before sending everything it announced.
            raise http.client.IncompleteRead(b"", resp.length)
        if use_chunked:
            self.wfile.write(b"0\r\n\r\n")


class UpstreamError(Exception):
    pass


FAULTS = {}
FAULTS_LOCK = threading.Lock()


def request_bucket(path):
    """The bucket of a path-style request (`/bucket/key`), "" for the service root."""
    raw = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
    return raw.lstrip("/").split("/", 1)[0]


def critical_path(requests):
    """The longest chain of requests each arriving after the previous was answered."""
    ordered = sorted(requests, key=lambda r: r["end"])
    depth = []
    for i, r in enumerate(ordered):
        before = [depth[j] for j in range(i) if ordered[j]["end"] <= r["start"]]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


def max_in_flight(requests):
    events = sorted([(r["start"], 1) for r in requests] + [(r["end"], -1) for r in requests],
                    key=lambda e: (e[0], e[1]))
    current = peak = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


class Timeline:
    """Per bucket: the delay before each answer, and each request's arrival and end."""

    def __init__(self):
        self.lock = threading.Lock()
        self.default_delay = 0.0
        self.delays = {}
        self.requests = {}

    def delay(self, bucket):
        with self.lock:
            return self.delays.get(bucket, self.default_delay)

    def set_delay(self, bucket, seconds):
        with self.lock:
            self.delays[bucket] = seconds

    def begin(self, bucket):
        return time.monotonic()

    def end(self, bucket, started, method, path):
        ended = time.monotonic()
        with self.lock:
            self.requests.setdefault(bucket, []).append(
                {"method": method, "path": path, "start": started, "end": ended})

    def reset(self, bucket):
        with self.lock:
            self.requests.pop(bucket, None)

    def summary(self, bucket):
        with self.lock:
            requests = list(self.requests.get(bucket, []))
        origin = min((r["start"] for r in requests), default=0.0)
        return {
            "requests": len(requests),
            "rounds": critical_path(requests),
            "maxInFlight": max_in_flight(requests),
            "seconds": max((r["end"] for r in requests), default=origin) - origin,
            "timeline": [{"method": r["method"], "path": r["path"], "start": r["start"] - origin,
                          "end": r["end"] - origin} for r in sorted(requests, key=lambda r: r["start"])],
        }


TIMELINE = Timeline()


def take_fault(kind, method, path):
    """The next registered fault of this kind for the request's key, used up once."""
    if kind == "cut" and method != "GET":
        return None
    key = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
    with FAULTS_LOCK:
        for fault in FAULTS.get(kind, []):
            if fault["times"] > 0 and fault["suffix"] and key.endswith(fault["suffix"]):
                fault["times"] -= 1
                return fault
    return None


class _NullSink:
    def write(self, data):
        pass


class _Body:
    """Spooled request body with a running SHA-256."""

    def __init__(self):
        self._file = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
        self._hash = hashlib.sha256()
        self.size = 0
        self.sha256 = None

    def write(self, data):
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)

    def finish(self):
        self.sha256 = self._hash.hexdigest()

    def chunks(self):
        self._file.seek(0)
        while True:
            data = self._file.read(RELAY_CHUNK)
            if not data:
                break
            yield data

    def close(self):
        try:
            self._file.close()
        except Exception:
            pass


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

class Config:
    pass


def parse_args(argv):
    p = argparse.ArgumentParser(description="Strict SigV4 verifying reverse proxy (test fixture)")
    p.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:5000")
    p.add_argument("--access-key", required=True)
    p.add_argument("--secret-key", required=True)
    p.add_argument("--region", default="auto")
    p.add_argument("--service", default="s3")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--quiet", action="store_true", default=True,
                   help="no per-request access log (the default)")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    p.add_argument("--max-skew", type=int, default=900,
                   help="reject x-amz-date further than this many seconds from now (0 = off)")
    p.add_argument("--allow-unsigned-amz-headers", action="store_true",
                   help="do not reject requests carrying x-amz-* headers outside SignedHeaders")
    p.add_argument("--upstream-timeout", type=float, default=300.0)
    p.add_argument("--delay-ms", type=float, default=None,
                   help="hold every answer back this long (default: $DRBOOK_PROXY_DELAY_MS, else 0)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from lifeline import exit_with_parent
    exit_with_parent()
    up = urllib.parse.urlsplit(args.upstream)
    if up.scheme not in ("http", "https") or not up.hostname:
        sys.stderr.write("sigv4_proxy: --upstream must be an http(s) URL\n")
        return 2
    cfg = Config()
    cfg.access_key = args.access_key
    cfg.secret_key = args.secret_key
    cfg.region = args.region
    cfg.service = args.service
    cfg.verbose = args.verbose
    cfg.max_skew = args.max_skew
    cfg.allow_unsigned_amz = args.allow_unsigned_amz_headers
    cfg.upstream_scheme = up.scheme
    cfg.upstream_host = up.hostname
    cfg.upstream_port = up.port or (443 if up.scheme == "https" else 80)
    cfg.upstream_prefix = up.path.rstrip("/")
    cfg.upstream_timeout = args.upstream_timeout
    ProxyHandler.cfg = cfg
    delay_ms = args.delay_ms
    if delay_ms is None:
        delay_ms = float(os.environ.get("DRBOOK_PROXY_DELAY_MS", "0") or "0")
    TIMELINE.default_delay = delay_ms / 1000.0

    def on_term(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, on_term)

    server = ProxyServer((args.host, args.port), ProxyHandler)
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
