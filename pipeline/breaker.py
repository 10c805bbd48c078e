"""A stage breaker: after a few timeouts in a row, an API stage stops asking and its remaining
links fail at once, so a hanging API costs a few timeouts, not a few per link."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pipeline.retry import FetchError, TimedOut

T = TypeVar("T")

TIMEOUTS_IN_A_ROW = 3


class StageBreaker:
    """Wraps each request of one API stage (inside its retry policy, so every attempt counts).
    After `limit` requests in a row that timed out, the breaker opens: that request and every
    later one raise `error("<api> API not answering")` without going out. `error` must not be
    a TransientError, so the retry policy gives up at once; a stage may pass the error that
    already ends it for the run (the GitHub stage's RunHalted)."""

    def __init__(self, api: str, limit: int = TIMEOUTS_IN_A_ROW, error: type[FetchError] = FetchError):
        self.reason = f"{api} API not answering"
        self.limit = limit
        self.error = error
        self.timeouts_in_a_row = 0

    @property
    def is_open(self) -> bool:
        return self.timeouts_in_a_row >= self.limit

    def call(self, request: Callable[[], T]) -> T:
        if self.is_open:
            raise self.error(self.reason)
        try:
            result = request()
        except TimedOut:
            self.timeouts_in_a_row += 1
            if self.is_open:
                raise self.error(f"{self.reason} ({self.limit} requests in a row timed out)") from None
            raise
        except FetchError:
            self.timeouts_in_a_row = 0  # an answer, even an error, means the API is there
            raise
        self.timeouts_in_a_row = 0
        return result
