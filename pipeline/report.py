"""What a run tells the editor on stderr: the progress display, and the one summary line."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from pipeline.models import Entry, Outcome, Status

log = logging.getLogger("pipeline")


@dataclass
class Summary:
    """The counts the run's summary line gives, and the notes that follow them."""

    entries: int = 0
    fetched: int = 0
    from_cache: int = 0
    stale: int = 0
    failed: int = 0
    extra_failed: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        noun = "entry" if self.entries == 1 else "entries"
        text = f"{self.entries} {noun}: {self.fetched} fetched, {self.from_cache} from cache, {self.failed} failed"
        if self.stale:
            text += f", {self.stale} stale"
        if self.extra_failed:
            text += f"; {self.extra_failed} extra link{'s' if self.extra_failed > 1 else ''} failed"
        return "; ".join([text, *self.notes])


def summarize(entries: list[Entry], outcomes: dict[str, Outcome]) -> Summary:
    summary = Summary(entries=len(entries))
    for entry in entries:
        if entry.status == Status.FAILED:
            summary.failed += 1
        elif entry.status == Status.STALE:
            summary.stale += 1
        elif entry.cached:
            summary.from_cache += 1
        else:
            summary.fetched += 1
        summary.extra_failed += sum(outcomes[link.key].status == Status.FAILED for link in entry.source.extras)
    return summary


def rate_limit_note(fetchers: Mapping[str, Any]) -> str | None:
    """What the summary says about GitHub's budget, when the run asked GitHub anything."""
    github = fetchers.get("github")
    points = getattr(github, "points_used", None)
    if points is not None:  # GraphQL: the budget is in points, not requests
        left, reset = getattr(github, "points_remaining", None), getattr(github, "points_reset", None)
        when = f", resets at {time.strftime('%H:%M', time.gmtime(reset))} UTC" if reset else ""
        return f"GitHub: {points} points used, {left if left is not None else 'unknown'} left{when}"
    remaining = getattr(github, "rate_limit_remaining", None)
    if remaining is None:
        return None
    reset = getattr(github, "rate_limit_reset", None)
    when = f", resets at {time.strftime('%H:%M', time.gmtime(reset))} UTC" if reset else ""
    return f"GitHub: {remaining} requests left{when}"


class Progress:
    """A one-line counter on a terminal; plain log lines elsewhere (cron mails stay readable)."""

    def __init__(self, total: int, stream: TextIO, enabled: bool):
        self.total, self.done, self.stream, self.enabled = total, 0, stream, enabled and total > 0

    def __call__(self, key: str, outcome: Outcome) -> None:
        self.done += 1
        if self.enabled:
            self.stream.write(f"\r\x1b[K[{self.done}/{self.total}] {outcome.status:6} {key[:70]}")
            self.stream.flush()
        elif outcome.status != Status.OK:
            log.warning("%s %s: %s", outcome.status, key, outcome.error)
        else:
            log.info("ok %s", key)

    def finish(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
