"""The one small protocol every fetcher implements, and the guard that keeps a fetcher's bug
from stopping the run."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from pipeline.models import Cached, FetchResult, Kind, Link

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchRequest:
    """A link to fetch, with its cached record when there is one (for conditional requests)."""

    link: Link
    cached: Cached | None = None


class Fetcher(Protocol):
    """Fetches the links of one kind. Yields exactly one result per request, in any order, as
    soon as each is known, and never raises for a single bad link."""

    kind: Kind

    def fetch(self, requests: Sequence[FetchRequest]) -> Iterable[FetchResult]: ...


def guarded(fetcher: Fetcher, requests: Sequence[FetchRequest]) -> Iterator[FetchResult]:
    """Runs a fetcher so that every request gets a result even if the fetcher crashes midway:
    the links it had not answered fail with the reason, the run goes on."""
    pending = {r.link.key for r in requests}
    try:
        for result in fetcher.fetch(requests):
            if result.key in pending:
                pending.discard(result.key)
                yield result
    except Exception as exc:  # a bug in one stage must not cost the other links
        log.debug("%s fetcher crashed", fetcher.kind, exc_info=True)
        reason = f"internal error in the {fetcher.kind} stage: {type(exc).__name__}: {exc}"
        for key in sorted(pending):
            yield FetchResult(key=key, error=reason)
        return
    for key in sorted(pending):
        yield FetchResult(key=key, error=f"the {fetcher.kind} stage gave no answer for this link")
