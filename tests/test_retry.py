"""The one retry policy, in both its forms: which failures are retried, how many times, how long it
waits between them, and the deadline timed from the first attempt (tenacity takes over only at the
first failure, and must count that one as its own first attempt)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from pipeline.retry import PermanentError, RetryPolicy, TransientError


@dataclass
class Clock:
    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@dataclass
class Flaky:
    """Fails with the given errors in turn (each attempt taking `seconds` of the clock), then answers."""

    clock: Clock
    errors: list[Exception]
    seconds: float = 0.0
    calls: int = 0

    def __call__(self) -> str:
        self.calls += 1
        self.clock.now += self.seconds
        if self.errors:
            raise self.errors.pop(0)
        return "answer"


def _policy(clock: Clock, **settings) -> RetryPolicy:
    settings = {"attempts": 3, "base_delay": 1.0, "max_delay": 30.0, "deadline": 60.0} | settings
    return RetryPolicy(**settings, sleep=clock.sleep, async_sleep=clock.async_sleep, clock=lambda: clock.now, jitter=lambda: 1.0)


def _call(form: str, policy: RetryPolicy, flaky: Flaky) -> str:
    if form == "sync":
        return policy.call(flaky)

    async def attempt() -> str:
        return flaky()

    return asyncio.run(policy.acall(attempt))


def _transient(n: int) -> list[Exception]:
    return [TransientError(f"HTTP 503 (attempt {i + 1})") for i in range(n)]


@pytest.mark.parametrize("form", ["sync", "async"])
@pytest.mark.parametrize(
    ("errors", "settings", "seconds", "calls", "slept", "raised"),
    [
        pytest.param([], {}, 0, 1, [], None, id="at once"),
        pytest.param(_transient(2), {}, 0, 3, [1.0, 2.0], None, id="third time lucky"),
        pytest.param(_transient(3), {}, 0, 3, [1.0, 2.0], "attempt 3", id="three failures: the last said"),
        pytest.param([PermanentError("HTTP 404")], {}, 0, 1, [], "HTTP 404", id="permanent: not retried"),
        pytest.param([TransientError("HTTP 429", retry_after=7.0)], {}, 0, 2, [7.0], None, id="Retry-After honoured"),
        pytest.param(_transient(1), {"attempts": 1}, 0, 1, [], "attempt 1", id="one attempt allowed"),
        # Each attempt takes 2 s: after the second (at 5 s) a 2 s wait would end past the 6 s
        # deadline. Timed from tenacity's start, after the first attempt, it would not.
        pytest.param(
            _transient(3), {"attempts": 5, "deadline": 6.0}, 2, 2, [1.0], "attempt 2", id="deadline from the first attempt"
        ),
    ],
)
def test_the_policy(form, errors, settings, seconds, calls, slept, raised):
    clock = Clock()
    flaky = Flaky(clock, list(errors), seconds)
    policy = _policy(clock, **settings)
    if raised is None:
        assert _call(form, policy, flaky) == "answer"
    else:
        with pytest.raises((TransientError, PermanentError), match=raised):
            _call(form, policy, flaky)
    assert (flaky.calls, clock.slept) == (calls, slept)
