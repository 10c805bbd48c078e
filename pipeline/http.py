"""The shared async HTTP client of the web stage: connection limits, timeouts and a per-link
deadline, hand-followed redirects, the private-address guard, capped decompression and the
retry policy, all reporting failures in words an editor understands."""

from __future__ import annotations

import asyncio
import errno
import functools
import ipaddress
import logging
import socket
import ssl
import urllib.request
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Self

import httpx

from pipeline import HOMEPAGE, __version__, trust
from pipeline.config import WebSettings
from pipeline.limits import ConnectionLimits
from pipeline.retry import (
    FetchError,
    PermanentError,
    RetryPolicy,
    TransientError,
    parse_retry_after,
)
from pipeline.transport import PinnedTransport

log = logging.getLogger(__name__)

USER_AGENT = f"Mozilla/5.0 (compatible; enrich/{__version__}; +{HOMEPAGE})"
HTML_TYPES = ("text/html", "application/xhtml+xml")
SNIFF_BYTES = 512  # enough to see a doctype or <html> in an untyped body

# A permanent refusal is remembered by the cache for a day; everything else is tried again.
PERMANENT_STATUS = {
    403: "HTTP 403 (access denied)",
    404: "HTTP 404",
    410: "HTTP 410 (gone)",
    451: "HTTP 451 (unavailable for legal reasons)",
}
REDIRECT_STATUS = {301, 302, 303, 307, 308}
CGNAT = ipaddress.ip_network("100.64.0.0/10")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class RefusedAddress(FetchError):
    """The guard refused a host: not retried (it will not change) and not cached as permanent
    (the editor may rerun with --allow-private-hosts)."""


# The web stage's limits are its `[web]` settings: one definition, so defaults cannot drift.
HttpLimits = WebSettings


@dataclass
class Page:
    """A finished exchange: the final URL and its headers, and the body when it is HTML."""

    url: str
    status: int
    headers: httpx.Headers
    content_type: str | None = None  # the media type only, lower case, e.g. "text/html"
    body: bytes | None = None  # None when the type is not HTML (never downloaded)
    truncated: bool = False  # the body was cut at the cap
    not_modified: bool = False

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


Resolver = Callable[[str, int], Awaitable[list[str]]]


class RequestCounter:
    """How many HTTP requests went out (hops and retries included), readable while a run goes on."""

    def __init__(self) -> None:
        self.count = 0


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address a host name resolves to, through the event loop's resolver."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public_address(address: str) -> bool:
    """True only for globally routable unicast addresses, IPv4 forms hidden in IPv6 included."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in IPV4_COMPATIBLE and int(ip) > 1:  # ::a.b.c.d (not :: or ::1)
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(str(embedded))
    if (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_multicast
        or ip.is_reserved
        or (ip.version == 4 and ip in CGNAT)
    ):
        return False
    return ip.is_global


@dataclass
class AddressGuard:
    """Refuses hosts that resolve to loopback, private, link-local and other non-public
    addresses, so a link cannot make the tool probe the editor's own network.

    A host is resolved and checked once per run; the connection then goes to exactly the
    addresses checked (see pipeline/netbackend.py), never to a second answer of the resolver.
    `allowed_origins` exempts exact (host, port) pairs, e.g. a test's own local server, without
    opening the rest of the private space: a redirect from it to another loopback address is
    still refused. `resolve` is injectable for runs without DNS."""

    allow_private: bool = False
    allowed_origins: Collection[tuple[str, int]] = ()
    resolve: Resolver = resolve_host
    _checked: dict[tuple[str, int], tuple[str, ...]] = field(default_factory=dict, repr=False)

    async def check(self, url: httpx.URL) -> None:
        port = url.port or (443 if url.scheme == "https" else 80)
        await self.addresses(url.raw_host.decode("ascii"), port)

    async def addresses(self, host: str, port: int) -> tuple[str, ...]:
        """The checked addresses to connect to, or () when the host is exempt and may be
        reached by name. Raises RefusedAddress, or TransientError when the name does not resolve
        (not remembered: a retry resolves again)."""
        if self.allow_private or (host, port) in self.allowed_origins:
            return ()
        checked = self._checked.get((host, port))
        if checked is not None:
            return checked
        try:
            addresses = [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            try:
                addresses = await self.resolve(host, port)
            except (socket.gaierror, UnicodeError) as exc:
                log.debug("resolving %s failed: %s", host, exc)
                raise TransientError("could not resolve host") from None
        if not addresses or not all(is_public_address(a) for a in addresses):
            raise RefusedAddress(f"refused: {host} resolves to a private address (use --allow-private-hosts)")
        checked = self._checked[(host, port)] = tuple(dict.fromkeys(addresses))
        return checked


def media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def looks_like_html(head: bytes) -> bool:
    """Sniffs the first bytes of an untyped body the way browsers roughly do."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<meta", b"<!--"))


class _CappedDecoder:
    """Decompresses a body chunk by chunk, never producing more than the cap, so a gzip bomb
    is cut off while it inflates rather than after."""

    def __init__(self, content_encoding: str | None, cap: int):
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise TransientError(f"invalid response: unsupported content encoding {content_encoding}")
        self.coding = codings[0] if codings else None
        self.remaining = cap
        self.truncated = False  # True once the body is known to be longer than the cap
        wbits = zlib.MAX_WBITS if self.coding == "deflate" else zlib.MAX_WBITS | 16
        self._inflate = zlib.decompressobj(wbits)
        self._first_chunk = True

    def feed(self, data: bytes) -> bytes:
        # One byte more than allowed tells "exactly at the cap" from "over the cap".
        out = data if self.coding is None else self._inflate_at_most(data, self.remaining + 1)
        self._first_chunk = False
        if len(out) > self.remaining:
            self.truncated = True
            out = out[: self.remaining]
        self.remaining -= len(out)
        return out

    def _inflate_at_most(self, data: bytes, limit: int) -> bytes:
        try:
            return self._inflate.decompress(data, limit)
        except zlib.error:
            if self.coding == "deflate" and self._first_chunk:
                # Some servers send raw deflate without the zlib header.
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                self._first_chunk = False
                return self._inflate_at_most(data, limit)
            raise TransientError("invalid response: corrupt compressed body") from None


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _status_error(response: httpx.Response) -> FetchError:
    status = response.status_code
    if status in PERMANENT_STATUS:
        return PermanentError(PERMANENT_STATUS[status])
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if status == 429:
        return TransientError("HTTP 429 (rate limited)", retry_after)
    if status >= 500 or status == 408:
        return TransientError(f"HTTP {status}", retry_after)
    # Other 4xx (401, 400, 405...): retrying will not help, but nor is it worth remembering.
    return FetchError(f"HTTP {status}")


def _network_error(exc: httpx.TransportError, timeouts: HttpLimits) -> FetchError:
    """Separates "could not connect" from "the connection broke" from "the server spoke nonsense"."""
    causes: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(causes) < 8:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectTimeout):
        return TransientError(f"timed out after {timeouts.connect_timeout:g} s (connecting)")
    if isinstance(exc, httpx.TimeoutException):
        return TransientError(f"timed out after {timeouts.read_timeout:g} s (no data)")
    not_trusted = trust.certificate_reason(exc)
    if not_trusted is not None:
        return FetchError(not_trusted)  # not transient: another try meets the same certificate
    if any(isinstance(c, socket.gaierror) for c in causes):
        return TransientError("could not resolve host")
    if any(isinstance(c, OSError) and c.errno == errno.ECONNREFUSED for c in causes) or "refused" in str(exc).lower():
        return TransientError("could not connect (connection refused)")
    if any(isinstance(c, ConnectionResetError) for c in causes) or any(
        isinstance(c, OSError) and c.errno == errno.ECONNRESET for c in causes
    ):
        return TransientError("connection reset")
    if isinstance(exc, httpx.ConnectError):
        return TransientError(f"could not connect ({exc or type(exc).__name__})")
    if isinstance(exc, httpx.RemoteProtocolError):
        text = str(exc)
        if "without sending" in text and "response" in text:
            return TransientError("connection closed before any response")
        if "incomplete" in text or "complete message body" in text:
            return TransientError("invalid response: the body ended early (connection closed)")
        return TransientError(f"invalid response: not a well-formed HTTP answer ({text[:80]})")
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return TransientError("connection reset")
    return TransientError(f"invalid response: {exc or type(exc).__name__}")


def _deadline_reason(failures: list[FetchError], deadline: float) -> str:
    """Why a link ran out of time: the last failure it was retrying, when that says more than
    "timed out" (a site answering 503 for 30 s is not a slow site)."""
    last = failures[-1].reason if failures else None
    if last is None or last.startswith("timed out"):
        return f"timed out after {deadline:g} s"
    return f"{last} (still failing after {deadline:g} s)"


def _calling_when_sent(on_sent: Callable[[], None]) -> Callable[[str, dict], Awaitable[None]]:
    """An httpcore trace hook (the "trace" request extension) that calls `on_sent` once the
    request has been written to the connection."""

    async def trace(event: str, info: dict) -> None:
        if event.endswith("send_request_body.complete"):
            on_sent()

    return trace


def proxy_for(url: httpx.URL) -> str | None:
    """The proxy that HTTP_PROXY, HTTPS_PROXY or ALL_PROXY names for this URL, unless NO_PROXY
    exempts its host (a transport given to httpx would otherwise make it ignore them)."""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(url.host):
        return None
    return proxy


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.host}:{url.port or ''}"


@dataclass
class HttpClient:
    """One per run: `async with HttpClient(...) as http: page = await http.get(url)`.

    `transport` replaces the network (tests, the benchmark); `guard` decides which hosts may be
    reached; `retry` is the project's one retry policy. `counter` counts every HTTP request
    sent, hops and retries included."""

    limits: HttpLimits = field(default_factory=HttpLimits)
    guard: AddressGuard = field(default_factory=AddressGuard)
    retry: RetryPolicy | None = None
    transport: httpx.AsyncBaseTransport | None = None
    user_agent: str = USER_AGENT
    counter: RequestCounter = field(default_factory=RequestCounter)
    # Which bodies are downloaded: HTML pages (the web stage), or None for any type (feeds come
    # as RSS, Atom, JSON, XML and, from misconfigured servers, text/plain or text/html).
    body_types: Collection[str] | None = HTML_TYPES
    accept: str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"

    def __post_init__(self) -> None:
        if self.retry is None:
            # Back-off gives up a little before the link's deadline, so a link that keeps failing
            # reports its real reason (HTTP 429, HTTP 503) rather than "timed out".
            budget = 0.8 * self.limits.deadline
            self.retry = RetryPolicy(deadline=budget, max_delay=budget)
        self._transports: dict[str, httpx.AsyncBaseTransport] | None = None
        self._cookies = httpx.Cookies()  # one jar for the run, scoped by domain as browsers do
        self._cookies_set = 0  # responses that set a cookie so far: tells a gate from a loop
        self._ssl: ssl.SSLContext | None = None
        self._limits: ConnectionLimits | None = None
        self._headers = {
            "User-Agent": self.user_agent,
            "Accept": self.accept,
            "Accept-Encoding": "gzip, deflate",  # only what the capped decoder inflates
            "Connection": "keep-alive",
        }
        self._timeouts = {
            "connect": self.limits.connect_timeout,
            "read": self.limits.read_timeout,
            "write": self.limits.read_timeout,
            "pool": None,  # the pool wait is bounded by the deadline
        }

    async def __aenter__(self) -> Self:
        self._transports = {}
        self._limits = ConnectionLimits(self.limits.per_host, self.limits.total)
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self._transports is not None:
            for transport in {id(t): t for t in self._transports.values()}.values():
                await transport.aclose()
            self._transports = None

    def _transport_for(self, url: httpx.URL) -> httpx.AsyncBaseTransport:
        """One small connection pool per origin: httpcore scans a pool's every connection for
        every request, so one shared pool of 64 costs far more CPU than 64 pools of a few.
        Transports rather than httpx clients: the run builds its own requests and follows its
        own redirects, and a client's per-request work (URL merging, its cookie jar's
        urllib-style request wrapper) was a fifth of the CPU of an exchange."""
        assert self._transports is not None, "use `async with`"
        origin = _origin(url)
        transport = self._transports.get(origin)
        if transport is None:
            per_host = self.limits.per_host
            limits = httpx.Limits(max_connections=per_host, max_keepalive_connections=per_host)
            transport = self.transport or self._network_transport(url, limits, self._tls_context(url))
            self._transports[origin] = transport
        return transport

    def _tls_context(self, url: httpx.URL) -> ssl.SSLContext:
        """The run's one verifying TLS context, built at the first https origin (loading the CA
        bundle takes 20 ms; once per origin would add up). A pool serves one origin, so a plain
        HTTP origin's pool never uses its context: it gets an empty one, which would refuse
        every certificate if it ever were."""
        if url.scheme != "https":
            return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if self._ssl is None:
            self._ssl = trust.ssl_context()
        return self._ssl

    def _network_transport(self, url: httpx.URL, limits: httpx.Limits, tls: ssl.SSLContext) -> httpx.AsyncBaseTransport:
        """httpx's own transport through the proxy the environment names for this URL, or else
        ours, whose connections go only to checked addresses."""
        proxy = proxy_for(url)
        if proxy is not None:
            # The proxy resolves and connects; the guard has checked the host name's addresses.
            return httpx.AsyncHTTPTransport(proxy=proxy, verify=tls, limits=limits)
        return PinnedTransport(self.guard.addresses, tls, self.limits.per_host)

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        links_left: int = 0,
        on_sent: Callable[[], None] | None = None,
    ) -> Page:
        """Fetches one link within the per-host and total limits and the per-link deadline.
        `links_left` (on this link's host, this one included) decides who gets a freed connection
        first; `on_sent` is called when a request of the link is on the wire. Raises FetchError (Transient/Permanent/RefusedAddress) with an editor's reason."""
        assert self._transports is not None and self._limits is not None, "use `async with`"
        start = httpx.URL(url)
        failures: list[FetchError] = []
        # "Per host" is per origin, as connection pools count it: a server on another port is
        # another server. The deadline starts once the link holds its places: waiting in line is
        # not its fault. A redirect to another host counts against the host the link started at.
        async with self._limits.place(_origin(start), links_left):
            try:
                async with asyncio.timeout(self.limits.deadline):  # not wait_for: no task per link
                    return await self._follow(start, etag, last_modified, failures, on_sent)
            except TimeoutError:
                raise TransientError(_deadline_reason(failures, self.limits.deadline)) from None

    async def _follow(
        self,
        url: httpx.URL,
        etag: str | None,
        last_modified: str | None,
        failures: list[FetchError],
        on_sent: Callable[[], None] | None,
    ) -> Page:
        async def attempt(url: httpx.URL) -> Page | httpx.URL:
            try:
                return await self._exchange(url, etag, last_modified, on_sent)
            except FetchError as exc:
                failures.append(exc)  # what to say if the deadline ends the retries
                raise

        # A page seen again is a loop only if a cookie was set in between: consent and login
        # gates set one and redirect to themselves.
        assert self.retry is not None  # set in __post_init__
        seen = {(str(url), self._cookies_set)}
        for _hop in range(self.limits.max_redirects + 1):
            outcome = await self.retry.acall(functools.partial(attempt, url))
            if isinstance(outcome, Page):
                return outcome
            url = outcome
            visit = (str(url), self._cookies_set)
            if visit in seen:
                raise FetchError("redirect loop")
            seen.add(visit)
        raise FetchError(f"too many redirects (more than {self.limits.max_redirects})")

    async def _exchange(
        self,
        url: httpx.URL,
        etag: str | None,
        last_modified: str | None,
        on_sent: Callable[[], None] | None,
    ) -> Page | httpx.URL:
        """One request: a finished Page, or the URL the server redirects to."""
        if url.scheme not in ("http", "https"):
            raise FetchError(f"invalid response: redirect to an unsupported address ({url.scheme}:)")
        await self.guard.check(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self.counter.count += 1
        extensions: dict[str, object] = {"timeout": self._timeouts}
        if on_sent is not None:
            extensions["trace"] = _calling_when_sent(on_sent)
        request = httpx.Request("GET", url, headers={**self._headers, **headers}, extensions=extensions)
        if self._cookies.jar:
            self._cookies.set_cookie_header(request)
        try:
            response = await self._transport_for(url).handle_async_request(request)
            response.request = request
            try:
                if "set-cookie" in response.headers:
                    self._cookies.extract_cookies(response)
                    self._cookies_set += 1
                return await self._read(response)
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            log.debug("GET %s failed: %r", url, exc)
            raise _network_error(exc, self.limits) from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid response: bad address ({exc})") from None

    async def _read(self, response: httpx.Response) -> Page | httpx.URL:
        status = response.status_code
        if status in REDIRECT_STATUS:
            location = response.headers.get("location")
            if not location:
                raise FetchError(f"invalid response: HTTP {status} without a Location")
            return response.url.join(location.strip())
        if status == 304:
            return Page(str(response.url), status, response.headers, not_modified=True)
        if not 200 <= status < 300:
            raise _status_error(response)

        ctype = media_type(response.headers.get("content-type"))
        any_type = self.body_types is None
        if ctype is not None and self.body_types is not None and ctype not in self.body_types:
            # Not a page: the headers say all we need and the body is never downloaded.
            return Page(str(response.url), status, response.headers, content_type=ctype)

        if response.is_stream_consumed:
            # An in-memory response (a mock transport) arrives read and already decoded.
            decoder = _CappedDecoder(None, self.limits.max_body)
            chunks = _one_chunk(response.content)
        else:
            decoder = _CappedDecoder(response.headers.get("content-encoding"), self.limits.max_body)
            chunks = response.aiter_raw()
        parts: list[bytes] = []
        size = 0
        async for chunk in chunks:
            part = decoder.feed(chunk)
            parts.append(part)
            size += len(part)
            if ctype is None and not any_type and size >= SNIFF_BYTES:
                if not looks_like_html(b"".join(parts)[:SNIFF_BYTES]):
                    return Page(str(response.url), status, response.headers)
                ctype = "text/html"
            if decoder.truncated:
                break  # the rest may be endless; the first part is enough for an entry
        body = b"".join(parts)
        if ctype is None and not any_type:
            if not looks_like_html(body[:SNIFF_BYTES]):
                return Page(str(response.url), status, response.headers)
            ctype = "text/html"
        return Page(str(response.url), status, response.headers, content_type=ctype, body=body, truncated=decoder.truncated)
