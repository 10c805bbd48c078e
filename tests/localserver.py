"""A small HTTP server on 127.0.0.1 for tests: routes by path, records every request, and can
misbehave on purpose (delays, hangs, resets, trickles) so faults are testable without a network."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
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

    def __init__(self, latency: float = 0.0):
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

        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.port = self.httpd.server_address[1]
        # A short poll interval: shutdown waits for the next poll, and the default 0.5 s per
        # test adds up across a suite.
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

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
