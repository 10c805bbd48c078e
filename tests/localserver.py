"""A small HTTP server on 127.0.0.1 for tests: routes by path, records every request, and can
misbehave on purpose (delays, hangs, resets, trickles) so faults are testable without a network."""

from __future__ import annotations

import socket
import ssl
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""

    def param(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    # `raw` takes over the socket's write side for faults (hang, trickle, reset, truncation);
    # it receives the handler and must write the whole response itself.
    raw: Callable[[BaseHTTPRequestHandler], None] | None = None


Handler = Callable[[Request], Reply]


class LocalServer:
    """`server.route("/path", handler_or_reply)`, then `server.url("/path")`."""

    def __init__(self, latency: float = 0.0, tls: ssl.SSLContext | None = None):
        self.scheme = "https" if tls else "http"
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self.latency = latency
        self._lock = threading.Lock()
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                req = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                with owner._lock:
                    owner.requests.append(req)
                handler = owner.routes.get(parts.path)
                reply = handler(req) if handler else Reply(404, b"not found")
                if owner.latency:
                    time.sleep(owner.latency)
                if reply.raw is not None:
                    reply.raw(self)
                    return
                body = reply.body.encode() if isinstance(reply.body, str) else reply.body
                self.send_response(reply.status)
                headers = {"Content-Type": "text/html; charset=utf-8", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                if reply.status not in (204, 304):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD" and reply.status not in (204, 304):
                    self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _serve

        class _Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

            def handle_error(self, request, client_address):
                # A client hanging up mid-exchange is what fault tests do on purpose; say
                # nothing about it, but keep real handler bugs loud.
                if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
                    super().handle_error(request, client_address)

        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        # A short poll interval makes `stop()` (and so every test's teardown) quick.
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def route(self, path: str, handler: Handler | Reply | str | bytes) -> None:
        if isinstance(handler, (str, bytes)):
            handler = Reply(body=handler)
        if isinstance(handler, Reply):
            fixed = handler
            handler = lambda _req: fixed  # noqa: E731
        self.routes[path] = handler

    def sequence(self, path: str, *replies: Reply) -> None:
        """Answers successive requests with successive replies; the last one repeats."""
        queue = list(replies)

        def handler(_req: Request) -> Reply:
            with self._lock:
                return queue.pop(0) if len(queue) > 1 else queue[0]

        self.routes[path] = handler

    def hits(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]


# Faults for `Reply(raw=...)`: each writes (or refuses to write) the whole response itself.


def _close_after(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True


def hang(seconds: float = 5.0) -> Callable[[BaseHTTPRequestHandler], None]:
    """Accepts the request and sends nothing at all, then gives up after `seconds`."""

    def raw(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        _close_after(handler)

    return raw


def reset() -> Callable[[BaseHTTPRequestHandler], None]:
    """Drops the connection with a TCP reset instead of answering."""

    def raw(handler: BaseHTTPRequestHandler) -> None:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
        _close_after(handler)

    return raw


def _head(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()


def streamed(
    chunks: Callable[[], Iterator[bytes]],
    headers: dict[str, str],
    sent: list[int] | None = None,
    interval: float = 0.0,
) -> Callable[[BaseHTTPRequestHandler], None]:
    """Sends a 200 with `headers`, then the body chunk by chunk from a generator (never held in
    memory), pausing `interval` between chunks; `sent` collects how many body bytes got out.
    Stops quietly when the client hangs up. Covers trickles and truncated bodies, too."""

    def raw(handler: BaseHTTPRequestHandler) -> None:
        total = 0
        try:
            _head(handler, 200, headers)
            for chunk in chunks():
                if interval:
                    time.sleep(interval)
                handler.wfile.write(chunk)
                total += len(chunk)
        except OSError:  # the client stopped reading: exactly what some tests want
            pass
        finally:
            if sent is not None:
                sent.append(total)
            _close_after(handler)

    return raw
