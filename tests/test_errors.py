"""The one tree of fetch failures: each cause on the right side of transient/permanent, the old
import paths still naming the same classes, and the stages raising the class of their cause."""

from __future__ import annotations

import json

import pytest

from pipeline import errors
from pipeline.fetchers.github_graphql import alias_error, whole_query_error
from pipeline.fetchers.github_rest import classify_failure
from pipeline.models import Status

TRANSIENT = [errors.TimedOut, errors.ConnectionFailed, errors.RateLimited, errors.SecondaryRateLimit, errors.ServerError]
PERMANENT = [errors.NotFound, errors.Blocked, errors.BadRequest]
NEITHER = [
    errors.TLSNotTrusted,
    errors.RunHalted,
    errors.BatchTooHeavy,
    errors.BudgetExhausted,
    errors.PageUnavailable,
    errors.PageTooComplex,
]


@pytest.mark.parametrize("cls", TRANSIENT + PERMANENT + NEITHER)
def test_every_cause_sits_on_one_side(cls):
    error = cls("why")
    assert isinstance(error, errors.FetchError) and error.reason == "why"
    assert isinstance(error, errors.TransientError) == (cls in TRANSIENT)
    assert isinstance(error, errors.PermanentError) == (cls in PERMANENT)


def test_old_homes_name_the_same_classes():
    from pipeline import pagebounds, retry
    from pipeline.fetchers import github_graphql, github_rest
    from pipeline.sites import common

    assert (retry.FetchError, retry.TransientError, retry.PermanentError, retry.TimedOut) == (
        errors.FetchError,
        errors.TransientError,
        errors.PermanentError,
        errors.TimedOut,
    )
    assert (github_rest.RunHalted, github_rest.SecondaryRateLimit) == (errors.RunHalted, errors.SecondaryRateLimit)
    assert (github_graphql.BatchTooHeavy, github_graphql.BudgetExhausted) == (errors.BatchTooHeavy, errors.BudgetExhausted)
    assert common.PageUnavailable is errors.PageUnavailable
    assert pagebounds.PageTooComplex is errors.PageTooComplex


NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    "status, headers, body, cls, reason",
    [
        (404, {}, "", errors.NotFound, "repository not found (deleted or private)"),
        (451, {}, "", errors.Blocked, "repository unavailable for legal reasons (HTTP 451)"),
        (403, {}, '{"message": "Repository access blocked"}', errors.Blocked, "repository blocked by GitHub"),
        (429, {}, "", errors.RateLimited, "rate limited by GitHub (HTTP 429)"),
        (
            403,
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)},
            "",
            errors.RateLimited,
            "rate limit exhausted, resets at 22:13 UTC",
        ),
        (403, {"retry-after": "5"}, "", errors.SecondaryRateLimit, "GitHub secondary rate limit (retry after 5 s)"),
        (502, {}, "", errors.ServerError, "GitHub server error (HTTP 502)"),
        (401, {}, "", errors.RunHalted, "GitHub rejected the token (HTTP 401)"),
    ],
)
def test_github_answers_become_their_cause(status, headers, body, cls, reason):
    error = classify_failure(status, headers, body, now=NOW, max_wait=60)
    assert type(error) is cls and error.reason == reason


@pytest.mark.parametrize(
    "error, cls",
    [
        ({"type": "NOT_FOUND", "message": "Could not resolve to a Repository"}, errors.NotFound),
        ({"type": "FORBIDDEN", "message": "Repository access blocked"}, errors.Blocked),
        ({"type": "SOMETHING_NEW", "message": "?"}, errors.ServerError),
    ],
)
def test_graphql_alias_errors_become_their_cause(error, cls):
    assert type(alias_error(error)) is cls


@pytest.mark.parametrize(
    "error, cls",
    [
        ({"type": "RATE_LIMITED", "message": "API rate limit exceeded"}, errors.BudgetExhausted),
        ({"type": "TIMEOUT", "message": ""}, errors.BatchTooHeavy),
        (
            {"message": "Something went wrong while executing your query. This may be the result of a timeout"},
            errors.BatchTooHeavy,
        ),
    ],
)
def test_graphql_query_errors_become_their_cause(error, cls):
    assert type(whole_query_error([error])) is cls


def test_status_is_the_same_string_everywhere():
    assert json.dumps({"status": Status.STALE}) == '{"status": "stale"}'
    assert f"{Status.OK:6}|{Status.FAILED}" == "ok    |failed"
    assert Status("failed") is Status.FAILED and Status.FAILED == "failed"
