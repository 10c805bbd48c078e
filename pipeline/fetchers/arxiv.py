"""Fetches arXiv papers through the `arxiv` package: ids validated locally, batched (≤100 per
request), spaced at least 3 s apart, retried through the project's one retry policy, and turned
into complete `ArxivRecord`s matched back by id and version."""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import arxiv
import requests
import urllib3.exceptions  # requests' own dependency: its errors surface through the raw stream
from lxml import etree

from pipeline import HOMEPAGE, __version__
from pipeline.breaker import StageBreaker
from pipeline.errors import (
    BadRequest,
    ConnectionFailed,
    FetchError,
    PermanentError,
    RateLimited,
    ServerError,
    TimedOut,
    TLSNotTrusted,
    is_stalled_body,
)
from pipeline.fetchers.base import FetchRequest
from pipeline.links import GITHUB_RESERVED, parse_arxiv_id
from pipeline.models import ArxivRecord, FetchResult, Kind
from pipeline.retry import RetryPolicy, parse_retry_after
from pipeline.trust import certificate_reason, trust_location
from pipeline.venues import venue_of

log = logging.getLogger(__name__)

DEFAULT_API = "https://export.arxiv.org/api/query"
USER_AGENT = f"enrich/{__version__} (+{HOMEPAGE})"
MAX_IDS_PER_REQUEST = 100  # what the arXiv API serves in one page without paging
MIN_INTERVAL = 3.0  # arXiv's terms of use: no more than one request every three seconds

# ---------------------------------------------------------------------------------------------
# Pure helpers: no I/O, testable on strings.


def normalize_ws(text: str | None) -> str | None:
    """Collapses hard wraps and runs of whitespace into single spaces; None stays None."""
    if text is None:
        return None
    return " ".join(text.split()) or None


_GITHUB_REPO = re.compile(
    r"(?<![\w.-])(?:https?://)?(?:www\.)?github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)"
    r"/([A-Za-z0-9._-]+)",
    re.IGNORECASE,
)


def find_code_urls(text: str | None) -> list[str]:
    """GitHub repository URLs named in free text, as `https://github.com/owner/repo`, in order
    of appearance, without duplicates (case-insensitive, as GitHub treats names)."""
    if not text:
        return []
    found: list[str] = []
    seen: set[str] = set()
    for match in _GITHUB_REPO.finditer(text):
        owner, repo = match.group(1), match.group(2)
        # A sentence may end right after the URL ("... at github.com/a/b."): the dots, dashes
        # and underscores that close it are punctuation, not part of the name.
        repo = repo.rstrip("._-")
        if repo.lower().endswith(".git"):
            repo = repo[: -len(".git")].rstrip("._-")
        if not repo or owner.lower() in GITHUB_RESERVED:
            continue
        url = f"https://github.com/{owner}/{repo}"
        if url.lower() not in seen:
            seen.add(url.lower())
            found.append(url)
    return found


def _iso_utc(moment) -> str | None:
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # the package gives tz-aware UTC datetimes


def record_from_result(result: arxiv.Result) -> ArxivRecord:
    """Turns one parsed feed entry into the record the pipeline stores."""
    parsed = parse_arxiv_id(result.get_short_id())
    paper_id, version = parsed if parsed else (result.get_short_id(), None)
    abstract = normalize_ws(result.summary)
    comment = normalize_ws(result.comment)
    journal_ref = normalize_ws(result.journal_ref)
    suffix = f"v{version}" if version else ""
    return ArxivRecord(
        id=paper_id,
        version=version,
        title=normalize_ws(result.title),
        authors=[name for a in result.authors if (name := normalize_ws(a.name))],
        abstract=abstract,
        published=_iso_utc(result.published),
        updated=_iso_utc(result.updated),
        primary_category=result.primary_category or None,
        categories=list(result.categories),
        comment=comment,
        journal_ref=journal_ref,
        doi=normalize_ws(result.doi),
        abs_url=f"https://arxiv.org/abs/{paper_id}{suffix}",
        pdf_url=result.pdf_url,
        code_urls=find_code_urls(" ".join(t for t in (abstract, comment) if t)),
        venue=venue_of(comment, journal_ref),
    )


# ---------------------------------------------------------------------------------------------
# The I/O shell.


class RequestGate:
    """Keeps the starts of any two requests at least `interval` seconds apart, on an injectable
    clock, so one run never asks arXiv faster than its terms allow, retries included."""

    def __init__(self, interval: float, clock: Callable[[], float], sleep: Callable[[float], None]):
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._last_start: float | None = None

    def wait(self) -> None:
        if self._last_start is not None:
            remaining = self._last_start + self.interval - self.clock()
            if remaining > 0:
                self.sleep(remaining)
        self._last_start = self.clock()


class _AnswerTooSlow(requests.ReadTimeout):
    """Every read came in time, but the whole answer did not."""


class _PoliteSession(requests.Session):
    """The session handed to the `arxiv` package: it names our tool instead of the package's
    User-Agent, sets the timeouts the package leaves out (one of them for the whole answer),
    waits at the gate before every request, and keeps the last response so `Retry-After` and the
    error body can be read."""

    def __init__(self, gate: RequestGate, timeout: tuple[float, float], total_timeout: float):
        super().__init__()
        self.gate = gate
        self.timeout = timeout
        self.total_timeout = total_timeout
        self.last_response: requests.Response | None = None

    def request(self, method, url, **kwargs):
        headers = {k: v for k, v in (kwargs.pop("headers", None) or {}).items() if k.lower() != "user-agent"}
        headers["User-Agent"] = USER_AGENT
        kwargs.setdefault("timeout", self.timeout)
        # Per request: requests lets REQUESTS_CA_BUNDLE override a session's own `verify`.
        kwargs.setdefault("verify", self.verify)
        self.last_response = None
        self.gate.wait()
        log.debug("GET %s", url)
        deadline = time.monotonic() + self.total_timeout
        response = super().request(method, url, headers=headers, stream=True, **kwargs)
        # The body read within the deadline becomes the stream `response.content` reads.
        response.raw = io.BytesIO(self._read_by(response, deadline))
        self.last_response = response
        return response

    def _read_by(self, response: requests.Response, deadline: float) -> bytes:
        """The body, read by `deadline`: the read timeout bounds each wait, not an answer that
        keeps trickling in a few bytes at a time."""
        parts: list[bytes] = []
        try:
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                parts.append(chunk)
                if time.monotonic() > deadline:
                    raise _AnswerTooSlow(f"the answer took longer than {_seconds(self.total_timeout)} s")
        except requests.RequestException:
            raise  # our own _AnswerTooSlow (requests' errors are OSErrors, too)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.ReadTimeout(str(exc)) from None
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError, OSError) as exc:
            raise requests.ConnectionError(str(exc)) from None
        finally:
            response.close()
        return b"".join(parts)


def _client_over(session: requests.Session) -> arxiv.Client:
    """An arxiv.Client that sends through `session`. The package makes its own requests.Session
    in Client.__init__ and has no argument to be handed one, so it is handed ours as the Session
    it makes (construction only, on the thread that builds the fetchers). Its own sleeping and
    retrying are switched off: the gate spaces requests and the retry policy is the one layer."""
    make_session = arxiv.requests.Session
    arxiv.requests.Session = lambda: session
    try:
        return arxiv.Client(page_size=MAX_IDS_PER_REQUEST, delay_seconds=0, num_retries=0)
    finally:
        arxiv.requests.Session = make_session


@dataclass(frozen=True)
class _Wanted:
    key: str
    paper_id: str
    version: int | None

    @property
    def query(self) -> str:
        return f"{self.paper_id}v{self.version}" if self.version else self.paper_id


def _seconds(value: float) -> str:
    return f"{value:g}"


class ArxivFetcher:
    """Fetches every arXiv link of a run in as few polite requests as the API allows."""

    kind: Kind = "arxiv"

    def __init__(
        self,
        api_url: str = DEFAULT_API,
        *,
        timeout: tuple[float, float] = (10.0, 30.0),
        total_timeout: float = 60.0,
        min_interval: float = MIN_INTERVAL,
        batch_size: int = MAX_IDS_PER_REQUEST,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.timeout = timeout
        self.batch_size = max(1, min(batch_size, MAX_IDS_PER_REQUEST))
        self.gate = RequestGate(min_interval, clock, sleep)
        self.retry = retry or RetryPolicy(
            attempts=4, base_delay=MIN_INTERVAL, max_delay=60.0, deadline=180.0, sleep=sleep, clock=clock
        )
        self._session = _PoliteSession(self.gate, timeout, total_timeout)
        self._session.verify = trust_location()  # the trust store the web stage uses, not certifi's
        self.breaker = StageBreaker("arXiv")
        self._client = _client_over(self._session)
        self._client.query_url_format = api_url + ("&" if "?" in api_url else "?") + "{}"

    # -- the protocol --------------------------------------------------------------------------

    def fetch(self, requests_: Sequence[FetchRequest]) -> Iterable[FetchResult]:
        to_ask: list[_Wanted] = []
        for request in requests_:  # one request per key: the run removed duplicate links
            link = request.link
            raw = link.key.split(":", 1)[1] if link.key.startswith("arxiv:") else link.key
            parsed = None if link.get("malformed") else parse_arxiv_id(raw)
            if parsed is None:
                # Rejected here, never sent: one bad id would make arXiv refuse its whole batch.
                yield FetchResult(key=link.key, error=f"malformed arXiv id '{raw}'", permanent=True)
                continue
            paper_id, version = parsed
            pinned = link.get("version")
            if version is None and pinned and pinned.isdigit() and int(pinned) > 0:
                version = int(pinned)
            to_ask.append(_Wanted(link.key, paper_id, version))

        for batch in self._batches(to_ask):
            yield from self._resolve(batch)

    # -- internals -------------------------------------------------------------------------------

    def _batches(self, wanted: list[_Wanted]) -> list[list[_Wanted]]:
        """Packs ids into as few batches as possible, keeping two versions of one paper in
        different batches so matching never depends on how the API treats repeats."""
        batches: list[list[_Wanted]] = []
        bases: list[set[str]] = []
        for w in wanted:
            for batch, seen in zip(batches, bases):
                if len(batch) < self.batch_size and w.paper_id not in seen:
                    batch.append(w)
                    seen.add(w.paper_id)
                    break
            else:
                batches.append([w])
                bases.append({w.paper_id})
        return batches

    def _resolve(self, batch: list[_Wanted]) -> Iterator[FetchResult]:
        try:
            results = self.retry.call(lambda: self.breaker.call(lambda: self._ask(batch)))
        except BadRequest as exc:  # arXiv refuses the whole batch when one id in it is bad
            if len(batch) == 1:
                only = batch[0]
                yield FetchResult(key=only.key, error=f"malformed arXiv id '{only.query}'", permanent=True)
                log.debug("arXiv refused %s: %s", only.query, exc.reason)
                return
            # One bad id fails the whole batch: split it so that id costs only itself.
            middle = len(batch) // 2
            yield from self._resolve(batch[:middle])
            yield from self._resolve(batch[middle:])
            return
        except FetchError as exc:
            # A failure of the API, not a fact about these papers: never remembered.
            for w in batch:
                yield FetchResult(key=w.key, error=exc.reason, permanent=False)
            return
        yield from self._match(batch, results)

    def _ask(self, batch: list[_Wanted]) -> list[arxiv.Result]:
        """One request for a batch of ids; errors become Transient/Permanent for the policy."""
        search = arxiv.Search(id_list=[w.query for w in batch], max_results=len(batch))
        try:
            results = list(self._client.results(search))
        except arxiv.HTTPError as exc:
            response = self._session.last_response
            headers = response.headers if response is not None else {}
            if exc.status == 429:
                raise RateLimited(
                    "rate limited by the arXiv API (HTTP 429)", parse_retry_after(headers.get("Retry-After"))
                ) from None
            if exc.status >= 500:
                raise ServerError(
                    f"HTTP {exc.status} from the arXiv API", parse_retry_after(headers.get("Retry-After"))
                ) from None
            if exc.status == 400:
                raise BadRequest(_error_summary(response) or "HTTP 400 from the arXiv API") from None
            raise PermanentError(f"HTTP {exc.status} from the arXiv API") from None
        except arxiv.UnexpectedEmptyPageError:
            raise ServerError("the arXiv API returned an unexpectedly empty page") from None
        except requests.Timeout as exc:
            raise TimedOut(self._timeout_reason(exc)) from None
        except requests.ConnectionError as exc:
            # A body that stops arriving surfaces as a ConnectionError wrapping a read timeout.
            if is_stalled_body(exc):
                raise TimedOut(f"timed out after {_seconds(self.timeout[1])} s") from None
            not_trusted = certificate_reason(exc)
            if not_trusted is not None:
                raise TLSNotTrusted(not_trusted) from None  # not transient: a retry meets the same certificate
            raise ConnectionFailed("could not connect to the arXiv API") from None
        except requests.RequestException as exc:
            raise PermanentError(f"arXiv API request failed: {type(exc).__name__}") from None
        if not results:
            # The package logs and swallows an unreadable feed; an empty answer must be a real
            # empty feed before its ids are reported as unknown.
            response = self._session.last_response
            if response is None or not _is_atom_feed(response.content):
                raise ServerError("the arXiv API sent an unreadable answer")
            if len(batch) > 1:
                # The API is known to answer a good batch with an empty feed now and then; several
                # ids all unknown at once is far less likely, so retry rather than remember them
                # as "no such paper" for a day.
                raise ServerError(f"the arXiv API answered {len(batch)} ids with an empty feed")
        return results

    def _timeout_reason(self, exc: requests.Timeout) -> str:
        if isinstance(exc, _AnswerTooSlow):
            return f"timed out after {_seconds(self._session.total_timeout)} s (the answer kept trickling in)"
        limit = self.timeout[0] if isinstance(exc, requests.ConnectTimeout) else self.timeout[1]
        return f"timed out after {_seconds(limit)} s"

    @staticmethod
    def _match(batch: list[_Wanted], results: list[arxiv.Result]) -> Iterator[FetchResult]:
        """Matches entries to requests by id and version, never by position: a pinned request
        takes exactly its version, an unversioned one the latest version returned."""
        by_id: dict[str, dict[int | None, arxiv.Result]] = {}
        for result in results:
            parsed = parse_arxiv_id(result.get_short_id())
            if parsed is None:
                log.debug("ignoring an entry with an unexpected id: %s", result.entry_id)
                continue
            by_id.setdefault(parsed[0], {})[parsed[1]] = result
        for w in batch:
            versions = by_id.get(w.paper_id, {})
            if w.version is not None:
                found = versions.get(w.version)
            else:
                numbered = [v for v in versions if v is not None]
                found = versions[max(numbered)] if numbered else versions.get(None)
            if found is None:
                yield FetchResult(key=w.key, error="no such arXiv paper", permanent=True)
            else:
                yield FetchResult(key=w.key, record=record_from_result(found))


_ATOM = "{http://www.w3.org/2005/Atom}"


def _is_atom_feed(content: bytes) -> bool:
    try:
        root = etree.fromstring(content, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return False
    return root is not None and root.tag == f"{_ATOM}feed"


def _error_summary(response: requests.Response | None) -> str | None:
    """The reason in arXiv's error entry (`incorrect id format for abc`), when there is one."""
    if response is None or not response.content:
        return None
    try:
        root = etree.fromstring(response.content, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    summary = root.find(f"{_ATOM}entry/{_ATOM}summary") if root is not None else None
    return normalize_ws(summary.text) if summary is not None else None
