"""The GitHub stage's pure core for REST answers: JSON and headers in, repository records and
errors classified in an editor's words out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from github.Requester import Requester

from pipeline.errors import (
    Blocked,
    FetchError,
    NotFound,
    PermanentError,
    RateLimited,
    RunHalted,
    SecondaryRateLimit,
    ServerError,
)
from pipeline.models import GithubRecord, Link
from pipeline.retry import parse_retry_after

# GitHub's advice for a secondary limit without Retry-After: wait at least a minute.
SECONDARY_LIMIT_DEFAULT_WAIT = 60.0


__all__ = ["RunHalted", "SecondaryRateLimit", "classify_failure", "repo_record"]  # the first two: their old home


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
    return datetime.fromtimestamp(reset, tz=UTC).strftime("%H:%M UTC")


def _message(body: str) -> str:
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return message if isinstance(message, str) else ""


def int_header(headers: Mapping[str, Any], name: str) -> int | None:
    try:
        return int(float(headers[name]))
    except (KeyError, TypeError, ValueError):
        return None


def classify_failure(status: int, headers: Mapping[str, Any], body: str, *, now: float, max_wait: float) -> FetchError:
    """The error for a non-success answer, in an editor's words. `headers` have lower-case
    names; `now` is Unix time, to turn `X-RateLimit-Reset` into a wait.

    A 403 or 429 says which limit or block it is only in the JSON `message` (and, for the
    primary limit, in headers), so those few cases read the text; everything else goes by status."""
    message = _message(body)
    lowered = message.lower()
    if status == 401:
        return RunHalted("GitHub rejected the token (HTTP 401)")
    if status == 404:
        return NotFound("repository not found (deleted or private)")
    if status == 451:
        return Blocked("repository unavailable for legal reasons (HTTP 451)")
    if status in (403, 429):
        if "repository access blocked" in lowered:
            return Blocked("repository blocked by GitHub")
        remaining = int_header(headers, "x-ratelimit-remaining")
        retry_after = headers.get("retry-after")
        secondary = "secondary rate limit" in lowered or Requester.isSecondaryRateLimitError(message)
        primary = remaining == 0 or Requester.isPrimaryRateLimitError(message)
        if primary and not secondary and retry_after is None:
            reset = int_header(headers, "x-ratelimit-reset")
            wait = None if reset is None else max(0.0, reset - now)
            when = f", resets at {reset_clock_time(reset)}" if reset is not None else ""
            if wait is not None and wait <= max_wait:
                # +1 s: the reset second itself may still count against the old window.
                return RateLimited(f"rate limit exhausted{when}", retry_after=wait + 1)
            return RunHalted(f"rate limit exhausted{when}")
        if retry_after is not None or secondary:
            seconds = parse_retry_after(retry_after, now=now)
            wait = SECONDARY_LIMIT_DEFAULT_WAIT if seconds is None else seconds
            return SecondaryRateLimit(f"GitHub secondary rate limit (retry after {wait:.0f} s)", wait)
        if status == 429:
            return RateLimited("rate limited by GitHub (HTTP 429)")
        return Blocked(f"access denied by GitHub (HTTP 403){': ' + message if message else ''}")
    if status >= 500:
        return ServerError(f"GitHub server error (HTTP {status})")
    return PermanentError(f"HTTP {status}{': ' + message if message else ''}")
