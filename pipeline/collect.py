"""What the run knows about every link: the cache's answers, and a fetch of the rest, each result stored as it arrives."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from pipeline.cache import Cache, Lookup
from pipeline.fetchers.base import Fetcher, FetchRequest, guarded
from pipeline.models import FetchResult, Kind, Link, Outcome, Status
from pipeline.report import Progress
from pipeline.sanitize import clean_record
from pipeline.secrets import Redactor

log = logging.getLogger("pipeline")


@dataclass
class Collected:
    """Every link's outcome, and the stages that fetched the links the cache could not answer."""

    outcomes: dict[str, Outcome]
    fetchers: dict[str, Fetcher] = field(default_factory=dict)


def collect_outcomes(
    links: dict[str, Link],
    cache: Cache,
    *,
    offline: bool,
    refresh: bool,
    redact: Redactor,
    fetchers_for: Callable[[set[str]], dict[str, Fetcher]],
    stderr: TextIO,
    on_result: Callable[[str, Outcome], None] = lambda key, outcome: None,
) -> Collected:
    """The cache's verdict on every link; the links it cannot answer (all of them with `refresh`,
    none when `offline`) fetched by the stages `fetchers_for` builds for their kinds, each
    fetched outcome handed to `on_result` as it arrives."""
    lookups = cache.lookup_many(links, {k: link.kind for k, link in links.items()})
    outcomes: dict[str, Outcome] = {}
    pending: dict[str, Link] = {}
    for key, link in links.items():
        known = None if refresh and not offline else _outcome_from_cache(lookups[key], offline)
        if known is None:
            pending[key] = link
        else:
            outcomes[key] = known
    progress = Progress(len(pending), stderr, enabled=stderr.isatty() and log.isEnabledFor(logging.WARNING))
    fetchers = fetchers_for({link.kind for link in pending.values()}) if pending else {}

    def arrived(key: str, outcome: Outcome) -> None:
        progress(key, outcome)
        on_result(key, outcome)

    outcomes.update(fetch_links(pending, lookups, fetchers, cache, redact, on_result=arrived))
    progress.finish()
    # A record fetched and stored now was stored as used now.
    cache.mark_used(key for key in links if outcomes[key].cached or outcomes[key].status is not Status.OK)
    return Collected(outcomes, fetchers)


def _outcome_from_cache(lookup: Lookup, offline: bool) -> Outcome | None:
    cached = lookup.cached
    if cached is not None and cached.record is not None and (lookup.fresh or offline):
        return Outcome(Status.OK, cached.record, None, True, cached.fetched_at)
    if cached is not None and lookup.failure:
        status = Status.FAILED if cached.record is None else Status.STALE
        return Outcome(status, cached.record, lookup.failure, True, cached.fetched_at)
    if offline:
        return Outcome(Status.FAILED, None, "not cached", False, None)
    return None


def fetch_links(
    links: dict[str, Link],
    lookups: dict[str, Lookup],
    fetchers: dict[str, Fetcher],
    cache: Cache | None,
    redact: Redactor,
    on_result: Callable[[str, Outcome], None] = lambda key, outcome: None,
    clock: Callable[[], float] = time.time,
) -> dict[str, Outcome]:
    """Runs the three stages at once, one thread each, storing every result as it arrives so a
    killed run keeps what it had fetched."""
    outcomes: dict[str, Outcome] = {}
    requests: dict[Kind, list[FetchRequest]] = {}
    for key, link in links.items():
        lookup = lookups.get(key, Lookup())
        requests.setdefault(link.kind, []).append(FetchRequest(link, lookup.cached))
    results: queue.Queue[tuple[Kind, FetchResult] | None] = queue.Queue()

    def work(kind: Kind, batch: list[FetchRequest]) -> None:
        try:
            for result in guarded(fetchers[kind], batch):
                results.put((kind, result))
        finally:
            results.put(None)

    threads = [threading.Thread(target=work, args=(k, b), name=f"enrich-{k}", daemon=True) for k, b in requests.items()]
    for thread in threads:
        thread.start()
    running = len(threads)
    while running:
        # Take what has arrived together and store it in one transaction.
        batch = [results.get()]
        while len(batch) < 256:
            try:
                batch.append(results.get_nowait())
            except queue.Empty:
                break
        arrived = [item for item in batch if item is not None]
        running -= len(batch) - len(arrived)
        for _kind, result in arrived:
            # Cleaned once, here, before anything stores or prints it (see pipeline/sanitize.py).
            if result.error:
                result.error = redact(result.error)
            if result.record is not None:
                result.record = clean_record(result.record, redact)
        stored_at = cache.store_many(arrived) if cache is not None and arrived else None
        # The outcome's fetch time is the one stored, so what is drafted from it now can be
        # kept for the next run under the time that run will read.
        now = stored_at if stored_at is not None else clock()
        for _kind, result in arrived:
            outcome = _outcome_from_result(result, lookups.get(result.key, Lookup()), now)
            outcomes[result.key] = outcome
            on_result(result.key, outcome)
    return outcomes


def _outcome_from_result(result: FetchResult, lookup: Lookup, now: float) -> Outcome:
    cached = lookup.cached if lookup.has_record else None
    if result.ok and result.not_modified and cached is not None:
        return Outcome(Status.OK, cached.record, None, True, now)
    if result.ok and result.record is not None:
        return Outcome(Status.OK, result.record, None, False, now)
    error = result.error or "no record"
    if cached is not None:  # a failed refresh serves what we had, marked stale
        return Outcome(Status.STALE, cached.record, error, True, cached.fetched_at)
    return Outcome(Status.FAILED, None, error, False, None)
