"""Fetches GitHub repository records through PyGithub's requester, revalidating with ETags and
never sleeping unboundedly on a rate limit."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlsplit

import github
import requests
from github.Requester import Requester

from pipeline import __version__
from pipeline.fetchers.base import FetchRequest
from pipeline.models import FetchResult, GithubRecord, Link
from pipeline.retry import FetchError, PermanentError, RetryPolicy, TransientError, parse_retry_after
from pipeline.secrets import RedactingFilter, Redactor

log = logging.getLogger(__name__)

DEFAULT_API = "https://api.github.com"
USER_AGENT = f"enrich/{__version__} (link digest enrichment)"
# GitHub's advice for a secondary limit without Retry-After: wait at least a minute.
SECONDARY_LIMIT_DEFAULT_WAIT = 60.0


class RunHalted(FetchError):
    """A failure that ends the GitHub stage for this run (rate limit far from reset, rejected
    token): not retried, and every remaining link fails with the same reason, unrequested."""


class SecondaryRateLimit(TransientError):
    """GitHub asked us to slow down; if waiting did not help, going on risks a ban."""


# ---------------------------------------------------------------------------------------------
# Pure core: JSON and headers in, records and classified errors out.


def repo_path_of(link: Link) -> str:
    """`owner/repo` as the link spelled it (the key is lower case; GitHub accepts either)."""
    from_key = link.key.split(":", 1)[1]
    parts = [p for p in urlsplit(link.url).path.split("/") if p]
    spelled = "/".join(parts[:2])
    return spelled if spelled.lower() == from_key else from_key


def release_summary(data: Mapping[str, Any]) -> dict[str, Any]:
    """The three release fields the record keeps."""
    return {
        "tag": data.get("tag_name"),
        "name": data.get("name") or None,
        "published_at": data.get("published_at"),
    }


def repo_record(data: Mapping[str, Any], requested: str) -> GithubRecord:
    """A record from the `/repos/o/r` JSON. `requested` is the name the link used: when GitHub
    answered for a different repository (after a 301 to `/repositories/<id>`), it is kept as
    `renamed_from`. A difference of letter case alone is not a rename."""
    full_name = data["full_name"]
    licence = data.get("license") or {}
    spdx = licence.get("spdx_id") if isinstance(licence, Mapping) else None
    return GithubRecord(
        full_name=full_name,
        description=data.get("description") or None,
        stars=data.get("stargazers_count"),
        forks=data.get("forks_count"),
        language=data.get("language") or None,
        topics=list(data.get("topics") or []),
        license=None if spdx in (None, "", "NOASSERTION") else spdx,
        homepage=data.get("homepage") or None,
        created_at=data.get("created_at"),
        pushed_at=data.get("pushed_at"),
        archived=bool(data.get("archived", False)),
        html_url=data.get("html_url"),
        renamed_from=requested if full_name.lower() != requested.lower() else None,
    )


def reset_clock_time(reset: float) -> str:
    return datetime.fromtimestamp(reset, tz=timezone.utc).strftime("%H:%M UTC")


def _message(body: str) -> str:
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return message if isinstance(message, str) else ""


def _int_header(headers: Mapping[str, Any], name: str) -> int | None:
    try:
        return int(float(headers[name]))
    except (KeyError, TypeError, ValueError):
        return None


def classify_failure(
    status: int, headers: Mapping[str, Any], body: str, *, now: float, max_wait: float
) -> FetchError:
    """The error for a non-success answer, in an editor's words. `headers` have lower-case
    names; `now` is Unix time, to turn `X-RateLimit-Reset` into a wait."""
    message = _message(body)
    lowered = message.lower()
    if status == 401:
        return RunHalted("GitHub rejected the token (HTTP 401)")
    if status == 404:
        return PermanentError("repository not found (deleted or private)")
    if status == 451:
        return PermanentError("repository unavailable for legal reasons (HTTP 451)")
    if status in (403, 429):
        if "repository access blocked" in lowered:
            return PermanentError("repository blocked by GitHub")
        remaining = _int_header(headers, "x-ratelimit-remaining")
        retry_after = headers.get("retry-after")
        secondary = "secondary rate limit" in lowered or Requester.isSecondaryRateLimitError(message)
        primary = remaining == 0 or Requester.isPrimaryRateLimitError(message)
        if primary and not secondary and retry_after is None:
            reset = _int_header(headers, "x-ratelimit-reset")
            wait = None if reset is None else max(0.0, reset - now)
            when = f", resets at {reset_clock_time(reset)}" if reset is not None else ""
            if wait is not None and wait <= max_wait:
                # +1 s: the reset second itself may still count against the old window.
                return TransientError(f"rate limit exhausted{when}", retry_after=wait + 1)
            return RunHalted(f"rate limit exhausted{when}")
        if retry_after is not None or secondary:
            seconds = parse_retry_after(retry_after, now=now)
            wait = SECONDARY_LIMIT_DEFAULT_WAIT if seconds is None else seconds
            return SecondaryRateLimit(f"GitHub secondary rate limit (retry after {wait:.0f} s)", wait)
        if status == 429:
            return TransientError("rate limited by GitHub (HTTP 429)")
        return PermanentError(f"access denied by GitHub (HTTP 403){': ' + message if message else ''}")
    if status >= 500:
        return TransientError(f"GitHub server error (HTTP {status})")
    return PermanentError(f"HTTP {status}{': ' + message if message else ''}")


# ---------------------------------------------------------------------------------------------
# The I/O shell.


class _RedactTokens(RedactingFilter):
    """PyGithub masks the Authorization header in its DEBUG log, but it logs response bodies
    and URLs as they are: this rewrites every record of its loggers through the one Redactor,
    which learns each fetcher's token."""

    def __init__(self) -> None:
        super().__init__(Redactor([]))

    def add(self, token: str) -> None:
        self.redact = Redactor([*self.redact.secrets, token])


_token_filter = _RedactTokens()
for _name in ("github", "github.Requester", "urllib3.connectionpool"):
    logging.getLogger(_name).addFilter(_token_filter)

# On import PyGithub sets its logger to INFO with its own stderr handler, which would print
# "Following Github server redirection ..." past our -q/-v settings: hand it back to ours.
_pygithub_log = logging.getLogger("github")
_pygithub_log.setLevel(logging.NOTSET)
for _handler in list(_pygithub_log.handlers):
    if type(_handler) is logging.StreamHandler:
        _pygithub_log.removeHandler(_handler)


class GithubFetcher:
    """The GitHub stage: one `/repos/o/r` request per link (conditional when the cache has an
    ETag) plus one release request when the repository changed.

    A 304 ends the work for that repository (GitHub does not charge it against the rate limit),
    so the release is re-read only when the repository's own JSON changed: a release published
    with nothing else changing shows up at the next unconditional fetch (`--refresh`).
    Halting conditions (token rejected, rate limit far from reset, a secondary limit that
    waiting did not clear) fail every remaining link of the run without another request."""

    kind = "github"

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
    ):
        self.token = token or None
        self._redact = Redactor([self.token])
        if self.token:
            _token_filter.add(self.token)
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
            seconds_between_requests=seconds_between_requests or None,
            seconds_between_writes=None,
        )
        self.requests_made = 0
        self.rate_limit_remaining: int | None = None
        self.rate_limit_reset: int | None = None  # Unix seconds, from the last response
        self._halted: str | None = None

    def close(self) -> None:
        self.gh.close()

    def __enter__(self) -> GithubFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- secrets ---------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """Every string we produce passes through here: the token never leaves the process."""
        return self._redact(text)

    # -- protocol --------------------------------------------------------------------------

    def fetch(self, requests_: Sequence[FetchRequest]) -> Iterator[FetchResult]:
        for request in requests_:
            yield self.fetch_one(request)

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
                raise PermanentError(f"release {tag} not found")
        else:
            # 404 here is GitHub's way of saying the repository has no (published) release.
            path = f"/repos/{record.full_name}/releases/latest"
            status, _, rel_body = self._get(path, {}, not_found_is_answer=True)
        record.latest_release = release_summary(_json_object(rel_body)) if status == 200 else None
        return FetchResult(key=link.key, record=record, etag=etag, last_modified=last_modified)

    def _get(
        self, path: str, extra_headers: Mapping[str, str], *, not_found_is_answer: bool = False
    ) -> tuple[int, dict[str, Any], str]:
        """GET through the retry policy: (status, lower-case headers, body) for 2xx and 304,
        and for 404 when `not_found_is_answer`; any other status raises a classified error."""

        def attempt() -> tuple[int, dict[str, Any], str]:
            self._check_budget()
            status, headers, body = self._send(path, extra_headers)
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

    def _send(self, path: str, extra_headers: Mapping[str, str]) -> tuple[int, dict[str, Any], str]:
        # A fresh dict every time: PyGithub writes the Authorization header into it.
        headers = dict(extra_headers)
        self.requests_made += 1
        try:
            status, response_headers, body = self.gh.requester.requestJson("GET", path, headers=headers)
        except requests.exceptions.Timeout:
            raise TransientError(f"timed out after {self.timeout} s") from None
        except requests.exceptions.ConnectionError:
            raise TransientError("could not connect to GitHub (connection error)") from None
        except requests.exceptions.RequestException as exc:
            raise TransientError(self.redact(f"request to GitHub failed: {type(exc).__name__}")) from None
        except RuntimeError as exc:  # PyGithub refuses redirects to another host or scheme
            raise PermanentError(self.redact(f"GitHub redirected elsewhere: {exc}")) from None
        finally:
            headers.clear()
        lowered = {k.lower(): v for k, v in response_headers.items()}
        remaining = _int_header(lowered, "x-ratelimit-remaining")
        if remaining is not None:
            self.rate_limit_remaining = remaining
        reset = _int_header(lowered, "x-ratelimit-reset")
        if reset is not None:
            self.rate_limit_reset = reset
        log.debug("GET %s -> HTTP %s (rate limit remaining %s)", path, status, remaining)
        return status, lowered, body


def _json_object(body: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise TransientError("GitHub sent a response that is not JSON") from None
    if not isinstance(data, dict):
        raise TransientError("GitHub sent an unexpected JSON document")
    return data
