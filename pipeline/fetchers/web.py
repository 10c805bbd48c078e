"""The web stage: fetches pages concurrently through the shared HTTP client and turns each into
a WebRecord (HTML through `extract_page`, anything else from its URL and headers)."""

from __future__ import annotations

import asyncio
import dataclasses
import email.message
import heapq
import itertools
import logging
import posixpath
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from urllib.parse import unquote, urlsplit

import httpx

from pipeline.config import MB
from pipeline.extract import PageUnavailable, extract_page
from pipeline.fetchers.base import FetchRequest
from pipeline.http import (
    AddressGuard, HttpClient, HttpLimits, Page, RequestCounter, Resolver, resolve_host,
)
from pipeline.models import FetchResult, WebRecord
from pipeline.pagebounds import PageTooComplex, bound_page
from pipeline.parsethreads import ParseThreads
from pipeline.retry import FetchError, PermanentError, RetryPolicy

log = logging.getLogger(__name__)

# What an editor calls the common types a link may point at instead of a page.
TYPE_NAMES = {
    "application/pdf": "PDF document",
    "application/zip": "ZIP archive",
    "application/gzip": "gzip archive",
    "application/x-tar": "tar archive",
    "application/msword": "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.ms-powerpoint": "PowerPoint file",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint file",
    "application/json": "JSON file",
    "text/plain": "plain text file",
}


def _type_name(content_type: str | None) -> str:
    if content_type is None:
        return "not an HTML page"
    if content_type in TYPE_NAMES:
        return TYPE_NAMES[content_type]
    family, _, sub = content_type.partition("/")
    if family in ("image", "video", "audio"):
        return f"{sub.split('+')[0].upper()} {family}"
    return f"{content_type} file"


def _filename(page: Page) -> str | None:
    """The file's name as the server gives it (Content-Disposition) or as the URL ends."""
    disposition = page.headers.get("content-disposition")
    if disposition:
        message = email.message.Message()
        message["content-disposition"] = disposition
        name = message.get_filename()
        if name and name.strip():
            return posixpath.basename(name.strip().replace("\\", "/")) or None
    segment = posixpath.basename(urlsplit(page.url).path.rstrip("/"))
    return unquote(segment) or None


def _join_notes(*notes: str | None) -> str | None:
    return "; ".join(n for n in notes if n) or None


def record_from_page(page: Page) -> WebRecord:
    """The record for a fetched page: extracted from HTML, or built from the headers."""
    if page.body is None:
        return WebRecord(
            url=page.url,
            title=_filename(page),
            content_type=page.content_type,
            note=f"{_type_name(page.content_type)}, not parsed",
        )
    raw_type = page.headers.get("content-type") or page.content_type
    record = extract_page(page.body, page.url, content_type=raw_type, with_text=True)
    record.url = page.url
    record.content_type = record.content_type or page.content_type
    if page.truncated:
        record.note = _join_notes(record.note, _truncated_note(len(page.body)))
    return record


def _truncated_note(cap: int) -> str:
    return f"page larger than {cap / MB:g} MB; only its first {cap / MB:g} MB were read"


def record_within_bounds(page: Page) -> WebRecord:
    """`record_from_page` for the part of the page the parser may be given (pagebounds.py)."""
    if page.body is None:
        return record_from_page(page)
    body, cut_note = bound_page(page.body)
    if body is page.body:
        return record_from_page(page)
    record = record_from_page(dataclasses.replace(page, body=body, truncated=False))
    if page.truncated and cut_note is None:
        record.note = _join_notes(record.note, _truncated_note(len(page.body)))
    record.note = _join_notes(record.note, cut_note)
    return record


def _lines_by_origin(requests: Sequence[FetchRequest], per_host: int) -> list[deque[FetchRequest]]:
    """The requests as waiting lines, one per origin, each served by up to `per_host` workers.

    A worker per allowed connection rather than a task per link: a thousand links would be a
    thousand tasks set up before the first request could leave, and a host's slow links hold up
    only that host's line."""
    lines: dict[tuple[str, str | None, int | None], deque[FetchRequest]] = {}
    for request in requests:
        parts = urlsplit(request.link.url)
        try:
            origin = (parts.scheme, parts.hostname, parts.port)
        except ValueError:  # a bad port: the client will say so, in a line of its own
            origin = (parts.scheme, request.link.url, None)
        lines.setdefault(origin, deque()).append(request)
    return [line for line in lines.values() for _ in range(min(per_host, len(line)))]


class _LongestLineFirst:
    """The run's connections, at most `total` in use at once; a freed one goes to the waiting
    worker whose host has the most links left, so the hosts' lines end together instead of the
    longest one (in the reference digest, WeChat's) running on alone at the end."""

    def __init__(self, total: int):
        self._free = total
        self._waiting: list[tuple[int, int, asyncio.Future]] = []
        self._arrivals = itertools.count()

    async def acquire(self, links_left: int) -> None:
        if self._free > 0:
            self._free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (-links_left, next(self._arrivals), waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted just as it was cancelled: pass the connection on
            raise

    def release(self) -> None:
        while self._waiting:
            *_, waiter = heapq.heappop(self._waiting)
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


async def _let_the_next_request_go() -> None:
    """Yields the loop for the few turns the connection's next request needs to get on the wire,
    so parsing this page overlaps that request's wait instead of delaying it (with 64 responses
    landing at once, parsing first costs every connection a share of 64 parses per round trip)."""
    for _ in range(LOOP_TURNS_TO_SEND):
        await asyncio.sleep(0)


# Measured in the benchmark: from a finished response to the next request sent takes a few turns
# of the loop (retry wrapper, connection pool, write); 3 to 12 turns did equally well, none did not.
LOOP_TURNS_TO_SEND = 8


class WebFetcher:
    """Fetches web links (kind "web"): all at once within the limits, each result yielded as
    soon as it is known. `requests_made` counts HTTP requests (hops and retries included)."""

    kind = "web"

    def __init__(
        self,
        *,
        allow_private_hosts: bool = False,
        allowed_origins: Collection[tuple[str, int]] = (),
        limits: HttpLimits | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        resolve: Resolver = resolve_host,
    ):
        self.limits = limits or HttpLimits()
        self.guard = AddressGuard(allow_private_hosts, tuple(allowed_origins), resolve)
        self.retry = retry
        self.transport = transport
        self._counter = RequestCounter()

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far by this fetcher, over all its runs (the benchmark reports it)."""
        return self._counter.count

    def fetch(self, requests: Sequence[FetchRequest]) -> Iterator[FetchResult]:
        """Runs the requests on an event loop in the calling thread and yields results as they
        land: the loop runs until a result arrives, then pauses while the results are yielded
        (a thread of its own would cost a hand-over between threads for every result)."""
        if not requests:
            return
        ready: deque[FetchResult] = deque()
        waiting: list[asyncio.Future] = []  # what the loop runs until: a result, or the end

        def wake() -> None:
            if waiting and not waiting[0].done():
                waiting[0].set_result(None)

        def deliver(result: FetchResult) -> None:
            ready.append(result)
            wake()

        loop = asyncio.new_event_loop()
        main = loop.create_task(self._fetch_all(requests, deliver))
        main.add_done_callback(lambda _task: wake())
        try:
            while True:
                while ready:
                    yield ready.popleft()
                if main.done():
                    main.result()  # the loop itself broke: `guarded` answers the rest
                    return
                waiting[:] = [loop.create_future()]
                loop.run_until_complete(waiting[0])
        finally:
            # The caller may stop early (Ctrl-C, an error downstream): cancel what is in flight.
            if not main.done():
                main.cancel()
                loop.run_until_complete(asyncio.gather(main, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    async def _fetch_all(self, requests: Sequence[FetchRequest], deliver: Callable[[FetchResult], None]) -> None:
        client = HttpClient(self.limits, self.guard, self.retry, self.transport, counter=self._counter)
        # The client enforces the limits; the workers decide who goes first within them.
        connections = _LongestLineFirst(self.limits.total)
        parsers = ParseThreads()
        try:
            async with client, asyncio.TaskGroup() as workers:
                for line in _lines_by_origin(requests, self.limits.per_host):
                    workers.create_task(self._work_through(client, line, connections, parsers, deliver))
                    # Let each worker's first request get going before the next worker is set up.
                    await asyncio.sleep(0)
        finally:
            parsers.close()

    async def _work_through(
        self, client: HttpClient, line: deque[FetchRequest], connections: _LongestLineFirst,
        parsers: ParseThreads, deliver: Callable[[FetchResult], None],
    ) -> None:
        """Works through a host's line as one of its connections: downloads a link, leaves its
        page to a task of its own and goes on with the next link, so the connection's next
        request need not wait for this page to be parsed."""
        async with asyncio.TaskGroup() as parsing:
            while line:
                await connections.acquire(len(line))
                try:
                    if not line:
                        break  # the host's other workers took the rest meanwhile
                    request = line.popleft()
                    # The link's deadline covers its whole life, the parse included.
                    deadline_at = asyncio.get_running_loop().time() + self.limits.deadline
                    page = await self._download(client, request, deliver)
                finally:
                    connections.release()
                if page is not None:
                    parsing.create_task(self._parse(request, page, parsers, deliver, deadline_at))

    async def _download(self, client: HttpClient, request: FetchRequest, deliver: Callable[[FetchResult], None]) -> Page | None:
        """The page to parse, or None when the link's result is already known (and handed on)."""
        cached = request.cached
        # Validators only make sense when there is a good record to keep on a 304.
        etag = cached.etag if cached and cached.record is not None else None
        last_modified = cached.last_modified if cached and cached.record is not None else None
        try:
            page = await client.get(request.link.url, etag=etag, last_modified=last_modified)
        except Exception as exc:  # noqa: BLE001 - one bad link must not cost the others
            deliver(_failure(request, exc))
            return None
        if page.not_modified:
            deliver(FetchResult(
                key=request.link.key, not_modified=True,
                etag=page.etag or etag, last_modified=page.last_modified or last_modified,
            ))
            return None
        return page

    async def _parse(
        self, request: FetchRequest, page: Page, parsers: ParseThreads, deliver: Callable[[FetchResult], None],
        deadline_at: float,
    ) -> None:
        """Parses the page on a worker thread, so the loop goes on serving the other links
        meanwhile, within what is left of the link's deadline."""
        await _let_the_next_request_go()
        try:
            record = await parsers.run(record_within_bounds, page, deadline_at)
            result = FetchResult(key=request.link.key, record=record, etag=page.etag, last_modified=page.last_modified)
        except TimeoutError:
            reason = f"page too complex to parse (not done within the {self.limits.deadline:g} s deadline)"
            result = FetchResult(key=request.link.key, error=reason)
        except Exception as exc:  # noqa: BLE001
            result = _failure(request, exc)
        deliver(result)


def _failure(request: FetchRequest, exc: Exception) -> FetchResult:
    """The result of a link that failed: an editor's reason, and whether to remember it."""
    key = request.link.key
    if isinstance(exc, PageUnavailable):
        return FetchResult(key=key, error=exc.reason, permanent=exc.permanent)
    if isinstance(exc, PageTooComplex):
        return FetchResult(key=key, error=exc.reason)
    if isinstance(exc, FetchError):
        log.debug("%s: %s", request.link.url, exc.reason)
        return FetchResult(key=key, error=exc.reason, permanent=isinstance(exc, PermanentError))
    log.debug("web fetch of %s failed unexpectedly", request.link.url, exc_info=exc)
    return FetchResult(key=key, error=f"internal error: {type(exc).__name__}: {exc}")
