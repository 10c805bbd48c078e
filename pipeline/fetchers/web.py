"""The web stage: fetches pages concurrently through the shared HTTP client and turns each into
a WebRecord (HTML through the parse workers' `extract_page`, anything else from its URL and
headers)."""

from __future__ import annotations

import asyncio
import email.message
import logging
import posixpath
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from urllib.parse import unquote, urlsplit

import httpx

from pipeline.errors import PageUnavailable, ParseFailed
from pipeline.fetchers.base import FetchRequest
from pipeline.http import (
    AddressGuard,
    HttpClient,
    HttpLimits,
    Page,
    RequestCounter,
    Resolver,
    resolve_host,
)
from pipeline.models import FetchResult, Kind, WebRecord
from pipeline.pagebounds import PageTooComplex
from pipeline.parsepool import ParsePool
from pipeline.parseworker import ParseJob
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


def record_from_headers(page: Page) -> WebRecord:
    """The record of a link that is no HTML page (a PDF, an image): what its URL and headers say."""
    return WebRecord(
        url=page.url,
        title=_filename(page),
        content_type=page.content_type,
        note=f"{_type_name(page.content_type)}, not parsed",
    )


def parse_job(page: Page) -> ParseJob:
    """What the parse worker needs of a downloaded HTML page."""
    assert page.body is not None
    raw_type = page.headers.get("content-type") or page.content_type
    return ParseJob(page.url, page.body, raw_type, page.content_type, page.truncated)


def _lines_by_origin(requests: Sequence[FetchRequest], per_host: int) -> list[deque[FetchRequest]]:
    """The requests as waiting lines, one per origin, each served by up to `per_host` workers.
    The workers only decide the order; the limits are the client's (pipeline/limits.py), and
    `per_host` workers are as many as its per-host limit lets work at once.

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


class WebFetcher:
    """Fetches web links (kind "web"): all at once within the limits, each result yielded as
    soon as it is known. `requests_made` counts HTTP requests (hops and retries included)."""

    kind: Kind = "web"

    def __init__(
        self,
        *,
        allow_private_hosts: bool = False,
        allowed_origins: Collection[tuple[str, int]] = (),
        limits: HttpLimits | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        resolve: Resolver = resolve_host,
        parse_command: Sequence[str] | None = None,
    ):
        self.limits = limits or HttpLimits()
        # The parse worker's command line; None is `python -m pipeline.parseworker`.
        self.parse_command = parse_command
        self.guard = AddressGuard(allow_private_hosts, tuple(allowed_origins), resolve)
        self.retry = retry
        self.transport = transport
        self._counter = RequestCounter()

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far by this fetcher, over all its runs (the benchmark reports it)."""
        return self._counter.count

    def fetch(self, requests: Sequence[FetchRequest]) -> Iterator[FetchResult]:
        """Runs the requests on an event loop in the calling thread and yields the results as
        they land: the loop runs until results are ready and pauses while they are yielded (a
        loop in a thread of its own would contend with the caller's work on every result).
        Stopping early (Ctrl-C, an error downstream) cancels what is in flight."""
        if not requests:
            return
        results: asyncio.Queue[FetchResult | None] = asyncio.Queue()  # None: the run ended
        with asyncio.Runner() as runner:
            main = runner.get_loop().create_task(self._fetch_all(requests, results.put_nowait))
            main.add_done_callback(lambda _task: results.put_nowait(None))
            while (result := runner.run(results.get())) is not None:
                yield result
                while not results.empty() and (result := results.get_nowait()) is not None:
                    yield result
                if result is None:
                    break
            main.result()  # the loop itself broke: `guarded` answers the rest

    async def _fetch_all(self, requests: Sequence[FetchRequest], deliver: Callable[[FetchResult], None]) -> None:
        client = HttpClient(self.limits, self.guard, self.retry, self.transport, counter=self._counter)
        parsers = ParsePool(command=self.parse_command)
        parsers.start()
        try:
            async with client, asyncio.TaskGroup() as workers:
                for line in _lines_by_origin(requests, self.limits.per_host):
                    workers.create_task(self._work_through(client, line, parsers, deliver))
        finally:
            await parsers.close()

    async def _work_through(
        self,
        client: HttpClient,
        line: deque[FetchRequest],
        parsers: ParsePool,
        deliver: Callable[[FetchResult], None],
    ) -> None:
        """Works through a host's line as one of its connections: downloads a link, then the next,
        each page parsed on a task of its own once the connection's next request is on the wire,
        so neither a parse (the parse threads share the interpreter with the loop) nor waiting for
        one delays the next request."""
        async with asyncio.TaskGroup() as parsing:
            parked: tuple[FetchRequest, Page, float] | None = None  # downloaded, not yet parsed
            while line:
                links_left = len(line)
                request = line.popleft()
                sent = asyncio.Event()
                if parked is not None:
                    parsing.create_task(self._parse(*parked, parsers, deliver, after=sent))
                # The link's deadline covers its whole life, the parse included.
                deadline_at = asyncio.get_running_loop().time() + self.limits.deadline
                page = await self._download(client, request, links_left, deliver, sent.set)
                sent.set()  # sent, failed or never needed a request: the parked page waits no more
                parked = None if page is None else (request, page, deadline_at)
            if parked is not None:
                parsing.create_task(self._parse(*parked, parsers, deliver))

    async def _download(
        self,
        client: HttpClient,
        request: FetchRequest,
        links_left: int,
        deliver: Callable[[FetchResult], None],
        on_sent: Callable[[], None],
    ) -> Page | None:
        """The page to parse, or None when the link's result is already known (and handed on)."""
        cached = request.cached
        # Validators only make sense when there is a good record to keep on a 304.
        etag = cached.etag if cached and cached.record is not None else None
        last_modified = cached.last_modified if cached and cached.record is not None else None
        try:
            page = await client.get(
                request.link.url, etag=etag, last_modified=last_modified, links_left=links_left, on_sent=on_sent
            )
        except Exception as exc:  # noqa: BLE001 - one bad link must not cost the others
            deliver(_failure(request, exc))
            return None
        if page.not_modified:
            deliver(
                FetchResult(
                    key=request.link.key,
                    not_modified=True,
                    etag=page.etag or etag,
                    last_modified=page.last_modified or last_modified,
                )
            )
            return None
        return page

    async def _parse(
        self,
        request: FetchRequest,
        page: Page,
        deadline_at: float,
        parsers: ParsePool,
        deliver: Callable[[FetchResult], None],
        after: asyncio.Event | None = None,
    ) -> None:
        """Parses the page in a worker process, so the loop goes on serving the other links
        meanwhile, within what is left of the link's deadline; not before `after` is set."""
        if after is not None:
            await after.wait()
        try:
            record = record_from_headers(page) if page.body is None else await parsers.parse(parse_job(page), deadline_at)
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
    if isinstance(exc, (PageTooComplex, ParseFailed)):
        return FetchResult(key=key, error=exc.reason)
    if isinstance(exc, FetchError):
        log.debug("%s: %s", request.link.url, exc.reason)
        return FetchResult(key=key, error=exc.reason, permanent=isinstance(exc, PermanentError))
    log.debug("web fetch of %s failed unexpectedly", request.link.url, exc_info=exc)
    return FetchResult(key=key, error=f"internal error: {type(exc).__name__}: {exc}")
