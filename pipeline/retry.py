"""The project's one retry policy (tenacity): transient failures only, exponential back-off with
jitter, `Retry-After` honoured, bounded in attempts and in total time."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import tenacity

from pipeline.errors import FetchError, PermanentError, TimedOut, TransientError  # noqa: F401 - the old home of these names

T = TypeVar("T")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryPolicy:
    """How often and how long to retry one call. `sleep`, `async_sleep` and `clock` are
    injectable so tests exercise back-off without real waiting."""

    def __init__(
        self,
        attempts: int = 3,
        base_delay: float = 1.0,
        max_delay: float = 30.0,
        deadline: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.deadline = deadline
        self.sleep = sleep
        self.clock = clock
        self.jitter = jitter
        self.async_sleep = async_sleep

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        backoff = min(self.max_delay, self.base_delay * 2 ** (state.attempt_number - 1))
        backoff *= 0.5 + self.jitter() / 2  # "equal jitter": between half and all of it
        asked = getattr(exc, "retry_after", None)
        return max(backoff, asked) if asked is not None else backoff

    def _stop(self, state: tenacity.RetryCallState, start: float) -> bool:
        if state.attempt_number >= self.attempts:
            return True
        exc = state.outcome.exception() if state.outcome else None
        asked = getattr(exc, "retry_after", None)
        if asked is not None and asked > self.max_delay:
            return True  # the server asks for longer than we may wait: fail now, honestly
        elapsed = self.clock() - start
        return elapsed + self._wait(state) > self.deadline

    def _rules(self, start: float) -> dict:
        """The wait/stop rules both the sync and async forms share, the deadline timed from `start`."""
        return {
            "retry": tenacity.retry_if_exception_type(TransientError),
            "stop": lambda state: self._stop(state, start),
            "wait": self._wait,
            "reraise": True,
        }

    # Tenacity takes over at a call's first failure, which it is handed as its own first attempt,
    # so attempts, back-off and the deadline (timed from the first attempt) are as if it had run
    # from the start; a call that succeeds at once, nearly every call, skips its bookkeeping,
    # which was a tenth of the event loop's work in a run of 1,000 pages.

    def call(self, fn: Callable[[], T]) -> T:
        """Calls `fn`, retrying it while it raises TransientError; re-raises the last error."""
        start = self.clock()
        try:
            return fn()
        except TransientError as failure:
            first = [failure]

        def attempt() -> T:
            if first:
                raise first.pop()
            return fn()

        return tenacity.Retrying(sleep=self.sleep, **self._rules(start))(attempt)

    async def acall(self, fn: Callable[[], Awaitable[T]]) -> T:
        """The async form of `call`: awaits `fn()`, backing off with `async_sleep`."""
        start = self.clock()
        try:
            return await fn()
        except TransientError as failure:
            first = [failure]

        async def attempt() -> T:  # tenacity only awaits what is declared `async def`
            if first:
                raise first.pop()
            return await fn()

        return await tenacity.AsyncRetrying(sleep=self.async_sleep, **self._rules(start))(attempt)
