"""Fetches GitHub repository records through PyGithub's requester: in GraphQL batches with a token,
else over REST revalidating with ETags; never sleeping unboundedly on a rate limit."""

from __future__ import annotations

import base64
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Self
from urllib.parse import quote

import github
import requests

from pipeline import __version__
from pipeline.breaker import StageBreaker
from pipeline.errors import (
    ConnectionFailed,
    FetchError,
    NotFound,
    PermanentError,
    RateLimited,
    ServerError,
    TimedOut,
    TransientError,
    is_stalled_body,
)
from pipeline.fetchers.base import FetchRequest
from pipeline.fetchers.github_graphql import (
    MAX_BATCH,
    README_READ_LIMIT,
    BatchAnswer,
    BatchItem,
    BatchTooHeavy,
    BudgetExhausted,
    build_query,
    parse_answer,
)
from pipeline.fetchers.github_rest import (
    SECONDARY_LIMIT_DEFAULT_WAIT,
    RunHalted,
    SecondaryRateLimit,
    classify_failure,
    int_header,
    release_summary,
    repo_path_of,
    repo_record,
    reset_clock_time,
)
from pipeline.models import FetchResult, GithubRecord, Kind, Link
from pipeline.readme import readme_lead
from pipeline.retry import RetryPolicy
from pipeline.secrets import RedactingFilter, Redactor, register_secret
from pipeline.trust import certificate_reason, trust_location

log = logging.getLogger(__name__)

DEFAULT_API = "https://api.github.com"
USER_AGENT = f"enrich/{__version__} (link digest enrichment)"
# Without a token GitHub allows 60 REST requests an hour; a new repository costs three
# (the repository, its latest release, its README).
UNAUTHENTICATED_LIMIT = 60
REST_REQUESTS_PER_REPOSITORY = 3
README_MEDIA_TYPE = "application/vnd.github.raw+json"


# ---------------------------------------------------------------------------------------------
# The I/O shell.


# PyGithub logs response bodies and URLs as they are (it masks only the Authorization header).
_LIBRARY_LOGGERS = ("github", "github.Requester", "urllib3.connectionpool")
_REDACT_AT_SOURCE = RedactingFilter(Redactor([]))  # hides every registered secret


def _tame_library_logging() -> None:
    """Redacts secrets in PyGithub's and urllib3's log records where they are made, so no handler
    ever sees a token; and undoes what PyGithub does on import (its logger at INFO with its own
    stderr handler, which would print "Following Github server redirection ..." past -q/-v).
    Called when a fetcher is made, never on import; doing it twice changes nothing."""
    for name in _LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACT_AT_SOURCE not in logger.filters:
            logger.addFilter(_REDACT_AT_SOURCE)
    pygithub_log = logging.getLogger("github")
    pygithub_log.setLevel(logging.NOTSET)
    for handler in list(pygithub_log.handlers):
        if type(handler) is logging.StreamHandler:
            pygithub_log.removeHandler(handler)


class GithubFetcher:
    """The GitHub stage. With a token: GraphQL queries of up to `batch_size` repositories each,
    latest release and README included, split in halves when GitHub cannot run one whole.
    Without: one `/repos/o/r` request per link (conditional when the cache has an ETag) plus one
    release and one README request when the repository changed.

    A 304 ends the work for that repository (GitHub does not charge it against the rate limit),
    so the release and README are re-read only when the repository's own JSON changed: a README
    edit is a push, which changes `pushed_at` and so the repository's ETag; a release published
    with nothing else changing shows up at the next unconditional fetch (`--refresh`).
    GraphQL has no 304: stale records are refetched in batches, and the points spent are counted.
    Halting conditions (token rejected, rate limit far from reset, a secondary limit that
    waiting did not clear) fail every remaining link of the run without another request."""

    kind: Kind = "github"

    def __init__(
        self,
        base_url: str = DEFAULT_API,
        token: str | None = None,
        *,
        timeout: float = 30,
        seconds_between_requests: float = 0.25,
        max_rate_limit_wait: float = 60.0,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        batch_size: int = MAX_BATCH,
        use_graphql: bool | None = None,
    ):
        self.token = token or None
        # GitHub's GraphQL API answers only authenticated queries.
        self.use_graphql = bool(self.token) if use_graphql is None else use_graphql and bool(self.token)
        self.batch_size = max(1, min(MAX_BATCH, batch_size))
        self._redactor = Redactor([self.token])
        # Every Redactor, the log handler's included, hides the token from here on.
        register_secret(self.token)
        _tame_library_logging()
        self.timeout = max(1, math.ceil(timeout))  # PyGithub insists on an int
        self.max_rate_limit_wait = max_rate_limit_wait
        self.clock = clock  # wall clock: X-RateLimit-Reset is Unix time
        # The one retry layer. Its longest single wait covers a bounded primary-limit wait.
        self.retry_policy = retry_policy or RetryPolicy(
            attempts=3,
            base_delay=1.0,
            max_delay=max(SECONDARY_LIMIT_DEFAULT_WAIT, max_rate_limit_wait + 1),
            deadline=max(SECONDARY_LIMIT_DEFAULT_WAIT, max_rate_limit_wait + 1) + 60,
            sleep=sleep,
        )
        self.gh = github.Github(
            base_url=base_url.rstrip("/"),
            auth=github.Auth.Token(self.token) if self.token else None,
            timeout=self.timeout,
            user_agent=USER_AGENT,
            retry=None,  # PyGithub's urllib3/GithubRetry layer off: ours is the only one
            verify=trust_location(),  # the trust store the web stage uses, not certifi's
            seconds_between_requests=seconds_between_requests or None,
            seconds_between_writes=None,
        )
        self.requests_made = 0
        self.rate_limit_remaining: int | None = None
        self.rate_limit_reset: int | None = None  # Unix seconds, from the last response
        # GraphQL's point budget, from the `rateLimit` every query asks for.
        self.points_used: int | None = None
        self.points_remaining: int | None = None
        self.points_reset: float | None = None
        self._last_cost = 1
        self._halted: str | None = None
        self.breaker = StageBreaker("GitHub", error=RunHalted)

    def close(self) -> None:
        self.gh.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- secrets ---------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """Every string we produce passes through here: the token never leaves the process."""
        return self._redactor(text)

    # -- protocol --------------------------------------------------------------------------

    def fetch(self, requests_: Sequence[FetchRequest]) -> Iterator[FetchResult]:
        if self.use_graphql:
            yield from self._fetch_batched(requests_)
            return
        needed = self._warn_if_over_budget(requests_)
        for request in requests_:
            before = self.rate_limit_remaining
            yield self.fetch_one(request)
            needed = max(0, needed - REST_REQUESTS_PER_REPOSITORY)
            if before is None and self.rate_limit_remaining is not None and needed > self.rate_limit_remaining and not self.token:
                log.warning(
                    "GitHub: the other repositories need about %d requests but only %d are left before %s; "
                    "set GITHUB_TOKEN to read them in batches",
                    needed,
                    self.rate_limit_remaining,
                    reset_clock_time(self.rate_limit_reset) if self.rate_limit_reset else "the hour is over",
                )

    def _warn_if_over_budget(self, requests_: Sequence[FetchRequest]) -> int:
        """Says in one line, before the first request, when the links cannot fit the hour's
        unauthenticated budget; returns the requests the run needs at least."""
        if self.token:
            return 0
        # A stored validator makes an unchanged repository a free 304; the rest cost three.
        new = sum(
            1 for r in requests_ if r.cached is None or r.cached.record is None or not (r.cached.etag or r.cached.last_modified)
        )
        needed = new * REST_REQUESTS_PER_REPOSITORY
        if needed > UNAUTHENTICATED_LIMIT:
            log.warning(
                "GitHub: %d repositories need about %d requests, more than the %d an hour GitHub allows "
                "without a token; set GITHUB_TOKEN to read them in batches of %d",
                new,
                needed,
                UNAUTHENTICATED_LIMIT,
                MAX_BATCH,
            )
        return needed

    def fetch_one(self, request: FetchRequest) -> FetchResult:
        key = request.link.key
        if self._halted:
            return FetchResult(key=key, error=self._halted)
        try:
            return self._fetch(request)
        except RunHalted as exc:
            # Not `permanent`: the repository is not at fault, so nothing is remembered for it.
            self._halted = self.redact(exc.reason)
            log.warning("GitHub stage stopped: %s", self._halted)
            return FetchResult(key=key, error=self._halted)
        except PermanentError as exc:
            return FetchResult(key=key, error=self.redact(exc.reason), permanent=True)
        except SecondaryRateLimit as exc:
            # GitHub may ban clients that keep going after a secondary limit: stop here.
            self._halted = self.redact(exc.reason)
            log.warning("GitHub stage stopped: %s", self._halted)
            return FetchResult(key=key, error=self._halted)
        except TransientError as exc:
            return FetchResult(key=key, error=self.redact(exc.reason))

    # -- one link --------------------------------------------------------------------------

    def _fetch(self, request: FetchRequest) -> FetchResult:
        link, cached = request.link, request.cached
        requested = repo_path_of(link)
        conditional: dict[str, str] = {}
        if cached is not None and cached.record is not None:
            if cached.etag:
                conditional["If-None-Match"] = cached.etag
            if cached.last_modified:
                conditional["If-Modified-Since"] = cached.last_modified

        status, headers, body = self._get(f"/repos/{requested}", conditional)
        etag, last_modified = headers.get("etag"), headers.get("last-modified")
        if status == 304:
            log.debug("github %s not modified", requested)
            return FetchResult(
                key=link.key,
                not_modified=True,
                etag=etag or (cached.etag if cached else None),
                last_modified=last_modified or (cached.last_modified if cached else None),
            )
        record = repo_record(_json_object(body), requested)
        if record.renamed_from:
            # PyGithub followed the 301 to /repositories/<id> inside one call: two requests.
            self.requests_made += 1
            log.info("github %s was renamed to %s", requested, record.full_name)

        tag = link.get("release_tag")
        if tag:
            path = f"/repos/{record.full_name}/releases/tags/{quote(tag, safe='')}"
            status, _, rel_body = self._get(path, {}, not_found_is_answer=True)
            if status == 404:
                raise NotFound(f"release {tag} not found")
        else:
            # 404 here is GitHub's way of saying the repository has no (published) release.
            path = f"/repos/{record.full_name}/releases/latest"
            status, _, rel_body = self._get(path, {}, not_found_is_answer=True)
        record.latest_release = release_summary(_json_object(rel_body)) if status == 200 else None
        record.readme = self._readme(record.full_name)
        return FetchResult(key=link.key, record=record, etag=etag, last_modified=last_modified)

    def _readme(self, full_name: str) -> str | None:
        """The README's lead, read through the README endpoint (raw, or base64 in JSON when a
        server ignores the raw media type); None when the repository has no README."""
        status, headers, body = self._get(f"/repos/{full_name}/readme", {"Accept": README_MEDIA_TYPE}, not_found_is_answer=True)
        if status != 200:
            return None
        text = body
        if headers.get("content-type", "").startswith("application/json"):
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            if isinstance(data, dict) and data.get("encoding") == "base64" and isinstance(data.get("content"), str):
                try:
                    text = base64.b64decode(data["content"]).decode("utf-8", "replace")
                except ValueError:
                    return None
        return readme_lead(text[:README_READ_LIMIT])

    # -- batches (GraphQL) -------------------------------------------------------------------

    def _fetch_batched(self, requests_: Sequence[FetchRequest]) -> Iterator[FetchResult]:
        pending = [list(requests_[i : i + self.batch_size]) for i in range(0, len(requests_), self.batch_size)]
        while pending:
            batch = pending.pop(0)
            if self._halted:
                yield from (FetchResult(key=r.link.key, error=self._halted) for r in batch)
                continue
            items = [_batch_item(r.link) for r in batch]
            try:
                answer = self._query(items)
            except BatchTooHeavy as exc:
                # A single repository's query fails as TransientError, so a heavy batch has two or more.
                half = len(batch) // 2
                log.info("GitHub could not run a query of %d repositories (%s); splitting it", len(batch), exc.reason)
                pending[:0] = [batch[:half], batch[half:]]
                continue
            except (RunHalted, SecondaryRateLimit, BudgetExhausted) as exc:
                self._halted = self.redact(exc.reason)
                log.warning("GitHub stage stopped: %s", self._halted)
                yield from (FetchResult(key=r.link.key, error=self._halted) for r in batch)
                continue
            except FetchError as exc:
                # The query failed, not the repositories: nothing is remembered for them.
                reason = self.redact(exc.reason)
                yield from (FetchResult(key=r.link.key, error=reason) for r in batch)
                continue
            for i, request in enumerate(batch):
                outcome = answer.outcomes[i]
                if isinstance(outcome, GithubRecord):
                    if outcome.renamed_from:
                        log.info("github %s was renamed to %s", outcome.renamed_from, outcome.full_name)
                    yield FetchResult(key=request.link.key, record=outcome)
                else:
                    yield FetchResult(
                        key=request.link.key, error=self.redact(outcome.reason), permanent=isinstance(outcome, PermanentError)
                    )

    def _query(self, items: Sequence[BatchItem]) -> BatchAnswer:
        """One GraphQL query through the retry policy. Raises BatchTooHeavy (not retried: the
        caller splits) when a batch of two or more fails whole in a way a smaller one avoids.

        The requester's `graphql_query` raises on any entry in `errors`, which would throw away
        the other repositories' data when one is missing; `requestJson` gives the whole answer."""
        query, variables = build_query(items)
        heavy_possible = len(items) > 1

        def attempt() -> BatchAnswer:
            self._check_points()
            try:
                status, headers, body = self.breaker.call(
                    lambda: self._send(
                        self.gh.requester.graphql_url, {}, verb="POST", input={"query": query, "variables": variables}
                    )
                )
            except TimedOut as exc:
                if heavy_possible:
                    raise BatchTooHeavy(exc.reason) from None
                raise
            if status in (502, 504) and heavy_possible:
                raise BatchTooHeavy(f"HTTP {status}")
            if status == 404:
                raise FetchError("GitHub has no GraphQL API at this address (HTTP 404)")
            if status != 200:
                raise classify_failure(status, headers, body, now=self.clock(), max_wait=self.max_rate_limit_wait)
            try:
                answer = parse_answer(_json_object(body), items)
            except BatchTooHeavy:
                if heavy_possible:
                    raise
                raise TimedOut("GitHub could not run the query in time") from None
            except BudgetExhausted:
                reset = int_header(headers, "x-ratelimit-reset") or self.points_reset
                raise self._budget_failure(0, reset) from None
            self._count_points(answer)
            return answer

        return self.retry_policy.call(attempt)

    def _count_points(self, answer: BatchAnswer) -> None:
        if answer.cost is not None:
            self._last_cost = max(1, answer.cost)
            self.points_used = (self.points_used or 0) + answer.cost
        if answer.remaining is not None:
            self.points_remaining = answer.remaining
        if answer.reset is not None:
            self.points_reset = answer.reset

    def _check_points(self) -> None:
        """Spares a query the budget cannot cover: waits for a near reset, else halts."""
        if self.points_remaining is not None and self.points_remaining < self._last_cost:
            raise self._budget_failure(self.points_remaining, self.points_reset)

    def _budget_failure(self, remaining: int, reset: float | None) -> FetchError:
        when = f", resets at {reset_clock_time(reset)}" if reset is not None else ""
        wait = None if reset is None else max(0.0, reset - self.clock())
        if wait is not None and wait <= self.max_rate_limit_wait:
            self.points_remaining = None  # after the wait, ask again
            return RateLimited(f"GitHub GraphQL budget exhausted{when}", retry_after=wait + 1)
        return RunHalted(f"GitHub GraphQL budget exhausted ({remaining} points left){when}")

    def _get(
        self, path: str, extra_headers: Mapping[str, str], *, not_found_is_answer: bool = False
    ) -> tuple[int, dict[str, Any], str]:
        """GET through the retry policy: (status, lower-case headers, body) for 2xx and 304,
        and for 404 when `not_found_is_answer`; any other status raises a classified error."""

        def attempt() -> tuple[int, dict[str, Any], str]:
            self._check_budget()
            status, headers, body = self.breaker.call(lambda: self._send(path, extra_headers))
            if status < 300 or status == 304 or (status == 404 and not_found_is_answer):
                return status, headers, body
            raise classify_failure(status, headers, body, now=self.clock(), max_wait=self.max_rate_limit_wait)

        return self.retry_policy.call(attempt)

    def _check_budget(self) -> None:
        """Spares a request GitHub would refuse: the last answer said none are left."""
        if self.rate_limit_remaining == 0 and self.rate_limit_reset is not None:
            wait = self.rate_limit_reset - self.clock()
            if wait > self.max_rate_limit_wait:
                raise RunHalted(f"rate limit exhausted, resets at {reset_clock_time(self.rate_limit_reset)}")

    def _send(
        self, path: str, extra_headers: Mapping[str, str], *, verb: str = "GET", input: Any = None
    ) -> tuple[int, dict[str, Any], str]:
        # A fresh dict every time: PyGithub writes the Authorization header into it.
        headers = dict(extra_headers)
        self.requests_made += 1
        try:
            status, response_headers, body = self.gh.requester.requestJson(verb, path, headers=headers, input=input)
        except requests.exceptions.Timeout:
            raise TimedOut(f"timed out after {self.timeout} s") from None
        except requests.exceptions.ConnectionError as exc:
            if not_trusted := certificate_reason(exc):
                raise RunHalted(not_trusted) from None  # the same certificate for every repository
            if is_stalled_body(exc):
                raise TimedOut(f"timed out after {self.timeout} s") from None
            raise ConnectionFailed("could not connect to GitHub (connection error)") from None
        except requests.exceptions.RequestException as exc:
            raise ConnectionFailed(self.redact(f"request to GitHub failed: {type(exc).__name__}")) from None
        except RuntimeError as exc:  # PyGithub refuses redirects to another host or scheme
            raise PermanentError(self.redact(f"GitHub redirected elsewhere: {exc}")) from None
        finally:
            headers.clear()
        lowered = {k.lower(): v for k, v in response_headers.items()}
        remaining = int_header(lowered, "x-ratelimit-remaining")
        if remaining is not None:
            self.rate_limit_remaining = remaining
        reset = int_header(lowered, "x-ratelimit-reset")
        if reset is not None:
            self.rate_limit_reset = reset
        log.debug("%s %s -> HTTP %s (rate limit remaining %s)", verb, path, status, remaining)
        return status, lowered, body


def _batch_item(link: Link) -> BatchItem:
    owner, _, name = repo_path_of(link).partition("/")
    return BatchItem(owner, name, link.get("release_tag"))


def _json_object(body: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise ServerError("GitHub sent a response that is not JSON") from None
    if not isinstance(data, dict):
        raise ServerError("GitHub sent an unexpected JSON document")
    return data
