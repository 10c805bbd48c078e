"""The GitHub stage against a fake GitHub REST API on 127.0.0.1 that answers with GitHub's JSON
and headers: records, releases, renames, removals, retries, rate limits, ETags and secrets."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from pipeline.fetchers.base import FetchRequest, guarded
from pipeline.fetchers.github import (
    GithubFetcher,
    classify_failure,
    repo_path_of,
    repo_record,
)
from pipeline.models import Cached, Link
from pipeline.retry import PermanentError, RetryPolicy, TransientError
from tests.fakes import NOW, TOKEN, error, gh_headers, ok, release_json, repo_json
from tests.localserver import Reply

NOT_FOUND = error(404, "Not Found")
ETAG = 'W/"065f692e63b91adfadeab043bd35e735d755ff20563b7247089fabde922f12a7"'
LAST_MODIFIED = "Fri, 24 Apr 2026 00:49:07 GMT"


def link(full_name: str, **detail: str) -> Link:
    url = f"https://github.com/{full_name}"
    return Link(key=f"github:{full_name.lower()}", kind="github", url=url, original=url, detail=tuple(detail.items()))


class FakeSleep:
    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps():
    return FakeSleep()


@pytest.fixture
def make_fetcher(server, sleeps):
    def make(token: str | None = None, **kwargs) -> GithubFetcher:
        policy = RetryPolicy(attempts=3, base_delay=1, max_delay=120, deadline=300, sleep=sleeps, jitter=lambda: 1.0)
        kwargs.setdefault("retry_policy", policy)
        kwargs.setdefault("use_graphql", False)  # the REST path; GraphQL has its own tests
        return GithubFetcher(server.url(""), token, timeout=5, seconds_between_requests=0, clock=lambda: NOW, **kwargs)

    return make


def fetch_all(fetcher: GithubFetcher, *requests: FetchRequest | Link):
    reqs = [r if isinstance(r, FetchRequest) else FetchRequest(r) for r in requests]
    return {r.key: r for r in guarded(fetcher, reqs)}


# --- the tests -------------------------------------------------------------------------------


def test_repository_with_release(server, make_fetcher):
    repo = ok(repo_json("PyGithub/PyGithub"), ETag=ETAG, Last_Modified=LAST_MODIFIED)
    server.route("/repos/PyGithub/PyGithub", repo)
    release = ok(release_json("PyGithub/PyGithub", "v2.10.0", "v2.10.0"))
    server.route("/repos/PyGithub/PyGithub/releases/latest", release)
    readme = (
        "# PyGithub\n\n[![PyPI](https://img.shields.io/pypi/v/PyGithub.svg)](https://pypi.org)\n\n"
        "PyGithub is a Python library to access the [GitHub REST API](https://docs.github.com/rest).\n"
    )
    server.route("/repos/PyGithub/PyGithub/readme", Reply(200, readme, {"Content-Type": "application/vnd.github.raw+json"}))
    fetcher = make_fetcher()

    result = fetch_all(fetcher, link("PyGithub/PyGithub"))["github:pygithub/pygithub"]

    assert result.ok and not result.not_modified
    assert result.etag == ETAG and result.last_modified == LAST_MODIFIED
    rec = result.record
    assert rec.full_name == "PyGithub/PyGithub"
    assert rec.description == "Typed interactions with the GitHub API v3"
    assert (rec.stars, rec.forks, rec.language) == (7701, 1874, "Python")
    assert rec.topics == ["github", "github-api", "pygithub", "python"]
    assert rec.license == "LGPL-3.0"
    assert rec.homepage == "https://pygithub.readthedocs.io/"
    assert (rec.created_at, rec.pushed_at) == ("2012-02-25T12:53:47Z", "2026-04-14T07:25:38Z")
    assert rec.archived is False and rec.renamed_from is None
    assert rec.html_url == "https://github.com/PyGithub/PyGithub"
    assert rec.latest_release == {"tag": "v2.10.0", "name": "v2.10.0", "published_at": "2020-07-14T00:58:20Z"}
    assert rec.readme == "PyGithub is a Python library to access the GitHub REST API."
    assert server.hits("/repos/PyGithub/PyGithub/readme")[0].headers["accept"] == "application/vnd.github.raw+json"
    # The record is plain JSON, not a library object.
    assert json.loads(json.dumps(rec.to_dict()))["full_name"] == "PyGithub/PyGithub"
    assert fetcher.requests_made == 3
    assert fetcher.rate_limit_remaining == 4783 and fetcher.rate_limit_reset == NOW + 3000
    assert server.hits("/repos/PyGithub/PyGithub")[0].headers["user-agent"].startswith("enrich/")


def test_repository_without_releases_and_empty_fields(server, make_fetcher):
    unknown_licence = {"key": "other", "name": "Other", "spdx_id": "NOASSERTION", "url": None}
    data = repo_json("edge/tiny", description="", homepage="", license=unknown_licence, language=None, topics=[], archived=True)
    server.route("/repos/edge/tiny", ok(data))
    server.route("/repos/edge/tiny/releases/latest", NOT_FOUND)

    result = fetch_all(make_fetcher(), link("edge/tiny"))["github:edge/tiny"]

    assert result.ok, result.error
    rec = result.record
    assert rec.latest_release is None
    assert (rec.description, rec.homepage, rec.license, rec.language) == (None, None, None, None)
    assert rec.archived is True and rec.topics == []


def test_renamed_repository_follows_301(server, make_fetcher):
    location = server.url("/repositories/112116543")
    body = {
        "message": "Moved Permanently",
        "url": location,
        "documentation_url": "https://developer.github.com/v3/#http-redirects",
    }
    moved = Reply(301, json.dumps(body), {**gh_headers(), "Location": location})
    server.route("/repos/protoncoin/protoncoin", moved)
    server.route("/repositories/112116543", ok(repo_json("Proton-Coin/ProtonCore", repo_id=112116543)))
    server.route("/repos/Proton-Coin/ProtonCore/releases/latest", NOT_FOUND)
    fetcher = make_fetcher()

    result = fetch_all(fetcher, link("protoncoin/protoncoin"))["github:protoncoin/protoncoin"]

    assert result.ok, result.error
    assert result.record.full_name == "Proton-Coin/ProtonCore"
    assert result.record.renamed_from == "protoncoin/protoncoin"
    assert result.record.html_url == "https://github.com/Proton-Coin/ProtonCore"
    assert len(server.hits("/repositories/112116543")) == 1
    assert fetcher.requests_made == 4  # the 301, the repository, its releases, its README


def test_case_difference_is_not_a_rename():
    assert repo_record(repo_json("PyGithub/PyGithub"), "pygithub/pygithub").renamed_from is None


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (NOT_FOUND, "repository not found (deleted or private)"),
        (error(451, "Repository access blocked"), "repository unavailable for legal reasons (HTTP 451)"),
        (error(403, "Repository access blocked"), "repository blocked by GitHub"),
    ],
)
def test_removed_repositories_fail_permanently(server, make_fetcher, reply, reason):
    server.route("/repos/gone/repo", reply)
    server.route("/repos/fine/repo", ok(repo_json("fine/repo")))
    server.route("/repos/fine/repo/releases/latest", NOT_FOUND)
    fetcher = make_fetcher()

    results = fetch_all(fetcher, link("gone/repo"), link("fine/repo"))

    assert results["github:gone/repo"].error == reason
    assert results["github:gone/repo"].permanent is True
    assert results["github:fine/repo"].ok  # one removal does not stop the run
    assert len(server.hits("/repos/gone/repo")) == 1  # no retries for permanent failures


def test_server_error_then_success(server, make_fetcher, sleeps):
    server.sequence("/repos/flaky/repo", error(502, "Server Error"), ok(repo_json("flaky/repo")))
    server.route("/repos/flaky/repo/releases/latest", ok(release_json("flaky/repo")))
    fetcher = make_fetcher()

    result = fetch_all(fetcher, link("flaky/repo"))["github:flaky/repo"]

    assert result.ok, result.error
    assert result.record.latest_release["tag"] == "v1.0"
    assert len(server.hits("/repos/flaky/repo")) == 2
    assert sleeps.calls == [1.0]  # one back-off, through the injected sleep


def test_persistent_server_error_is_transient_and_bounded(server, make_fetcher, sleeps):
    server.route("/repos/down/repo", error(503, "Service Unavailable"))

    result = fetch_all(make_fetcher(), link("down/repo"))["github:down/repo"]

    assert result.error == "GitHub server error (HTTP 503)" and result.permanent is False
    assert len(server.hits("/repos/down/repo")) == 3
    assert len(sleeps.calls) == 2


def test_secondary_rate_limit_with_retry_after_is_waited_out(server, make_fetcher, sleeps):
    message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    secondary = error(403, message, Retry_After="42")
    server.sequence("/repos/busy/repo", secondary, ok(repo_json("busy/repo")))
    server.route("/repos/busy/repo/releases/latest", NOT_FOUND)

    result = fetch_all(make_fetcher(), link("busy/repo"))["github:busy/repo"]

    assert result.ok, result.error
    assert sleeps.calls == [42.0]
    assert len(server.hits("/repos/busy/repo")) == 2


def test_primary_limit_resetting_soon_is_waited_out(server, make_fetcher, sleeps):
    exhausted = error(403, "API rate limit exceeded for 203.0.113.7.", remaining=0, reset=NOW + 20)
    server.sequence("/repos/soon/repo", exhausted, ok(repo_json("soon/repo")))
    server.route("/repos/soon/repo/releases/latest", NOT_FOUND)

    result = fetch_all(make_fetcher(), link("soon/repo"))["github:soon/repo"]

    assert result.ok, result.error
    assert sleeps.calls == [21.0]


def test_exhausted_primary_limit_ends_the_stage_promptly(server, make_fetcher, sleeps):
    reset = NOW + 45 * 60  # 03:51:40 UTC
    server.route("/repos/a/one", ok(repo_json("a/one")))
    server.route("/repos/a/one/releases/latest", NOT_FOUND)
    exhausted = error(403, "API rate limit exceeded for user ID 1.", remaining=0, reset=reset)
    server.route("/repos/b/two", exhausted)
    for name in ("c/three", "d/four", "e/five"):
        server.route(f"/repos/{name}", ok(repo_json(name)))
    fetcher = make_fetcher()

    names = ("a/one", "b/two", "c/three", "d/four", "e/five")
    results = fetch_all(fetcher, *(link(name) for name in names))

    assert results["github:a/one"].ok
    for key in ("github:b/two", "github:c/three", "github:d/four", "github:e/five"):
        assert results[key].error == "rate limit exhausted, resets at 03:51 UTC"
        assert results[key].permanent is False  # never cached: the repository is not at fault
    assert fetcher.requests_made == 4  # a/one + its releases and README, then the one refused request
    assert len(server.requests) == 4
    assert sleeps.calls == []
    assert fetcher.rate_limit_remaining == 0 and fetcher.rate_limit_reset == reset


def test_429_with_exhausted_primary_limit_also_stops(server, make_fetcher, sleeps):
    server.route("/repos/x/y", error(429, "API rate limit exceeded", remaining=0, reset=NOW + 7200))

    results = fetch_all(make_fetcher(), link("x/y"), link("x/z"))

    assert results["github:x/z"].error.startswith("rate limit exhausted, resets at")
    assert len(server.requests) == 1 and sleeps.calls == []


def test_cached_etag_revalidates_with_304(server, make_fetcher):
    def repo(req):
        if req.headers.get("if-none-match") == ETAG:
            headers = {k: v for k, v in gh_headers().items() if k != "Content-Type"}
            return Reply(304, b"", headers | {"ETag": ETAG})
        return ok(repo_json("PyGithub/PyGithub"), ETag=ETAG, Last_Modified=LAST_MODIFIED)

    server.route("/repos/PyGithub/PyGithub", repo)
    server.route("/repos/PyGithub/PyGithub/releases/latest", ok(release_json("PyGithub/PyGithub")))
    fetcher = make_fetcher()
    first = fetch_all(fetcher, link("PyGithub/PyGithub"))["github:pygithub/pygithub"]
    cached = Cached(
        key=first.key,
        kind="github",
        fetched_at=NOW - 86400,
        record=first.record.to_dict(),
        etag=first.etag,
        last_modified=first.last_modified,
    )
    requests_before = len(server.requests)

    second = fetch_all(fetcher, FetchRequest(link("PyGithub/PyGithub"), cached))["github:pygithub/pygithub"]

    assert second.ok and second.not_modified and second.record is None
    assert second.etag == ETAG
    conditional = server.requests[requests_before:]
    assert len(conditional) == 1  # no release request after a 304
    assert conditional[0].headers["if-none-match"] == ETAG
    assert conditional[0].headers["if-modified-since"] == LAST_MODIFIED
    # The first fetch was unconditional.
    assert "if-none-match" not in server.requests[0].headers


def test_release_tag_link_records_that_release(server, make_fetcher):
    server.route("/repos/lmbxmu/HRank", ok(repo_json("lmbxmu/HRank")))
    release = ok(release_json("lmbxmu/HRank", "v0.9", "First cut"))
    server.route("/repos/lmbxmu/HRank/releases/tags/v0.9", release)
    server.route("/repos/lmbxmu/HRank/releases/tags/v9.9", NOT_FOUND)

    results = fetch_all(make_fetcher(), link("lmbxmu/HRank", release_tag="v0.9"))
    missing = fetch_all(make_fetcher(), link("lmbxmu/HRank", release_tag="v9.9"))

    assert results["github:lmbxmu/hrank"].record.latest_release == {
        "tag": "v0.9",
        "name": "First cut",
        "published_at": "2020-07-14T00:58:20Z",
    }
    assert not server.hits("/repos/lmbxmu/HRank/releases/latest")
    assert missing["github:lmbxmu/hrank"].error == "release v9.9 not found"
    assert missing["github:lmbxmu/hrank"].permanent is True


def test_rejected_token_fails_the_rest_without_requests(server, make_fetcher):
    server.route("/repos/a/one", error(401, "Bad credentials"))

    fetcher = make_fetcher(TOKEN)
    results = fetch_all(fetcher, link("a/one"), link("b/two"), link("c/three"))

    assert {r.error for r in results.values()} == {"GitHub rejected the token (HTTP 401)"}
    assert len(server.requests) == 1
    assert server.requests[0].headers["authorization"] == f"token {TOKEN}"


def test_connection_refused_is_transient(make_fetcher, sleeps):
    fetcher = GithubFetcher(
        "http://127.0.0.1:9",
        None,
        seconds_between_requests=0,
        retry_policy=RetryPolicy(attempts=2, sleep=sleeps, jitter=lambda: 1.0),
    )

    result = fetch_all(fetcher, link("a/one"))["github:a/one"]

    assert result.error == "could not connect to GitHub (connection error)" and not result.permanent


def test_classify_failure_words():
    far = NOW + 3600
    assert isinstance(classify_failure(500, {}, "", now=NOW, max_wait=60), TransientError)
    plain_403 = classify_failure(403, {}, '{"message": "Resource not accessible"}', now=NOW, max_wait=60)
    assert isinstance(plain_403, PermanentError) and "HTTP 403" in plain_403.reason
    body = '{"message": "You have exceeded a secondary rate limit"}'
    secondary = classify_failure(403, {}, body, now=NOW, max_wait=60)
    assert secondary.retry_after == 60
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(far)}
    primary = classify_failure(403, headers, "", now=NOW, max_wait=60)
    assert primary.reason == "rate limit exhausted, resets at 04:06 UTC"
    assert not isinstance(primary, TransientError)  # never retried: the reset is too far


def test_token_never_leaks(server, make_fetcher, caplog, sleeps):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="github")
    server.route("/repos/a/missing", NOT_FOUND)
    server.route("/repos/a/broken", error(500, f"echoing your header: token {TOKEN}"))
    server.route("/repos/a/weird", error(422, f"Validation failed for {TOKEN}"))
    server.route("/repos/a/limited", error(403, "API rate limit exceeded", remaining=0, reset=NOW + 7200))
    fetcher = make_fetcher(TOKEN)
    names = ("a/missing", "a/broken", "a/weird", "a/limited", "a/after")
    results = list(guarded(fetcher, [FetchRequest(link(name)) for name in names]))

    fetcher401 = make_fetcher(TOKEN)
    server.route("/repos/b/denied", error(401, "Bad credentials"))
    results += list(guarded(fetcher401, [FetchRequest(link("b/denied")), FetchRequest(link("b/next"))]))

    assert all(r.error for r in results) and len(results) == 7
    assert any("Validation failed for ***" in r.error for r in results)
    assert server.requests and all(r.headers["authorization"] == f"token {TOKEN}" for r in server.requests)
    everything = " ".join(
        [repr(r) for r in results]
        + [rec.getMessage() for rec in caplog.records]
        + [str(rec.args) for rec in caplog.records]
        + [caplog.text]
    )
    # PyGithub's own request log (bodies included) really was captured at DEBUG.
    assert any(rec.name == "github.Requester" and "Validation failed" in rec.getMessage() for rec in caplog.records)
    assert TOKEN not in everything


def test_secondary_limit_longer_than_we_may_wait_stops_the_stage(server, make_fetcher, sleeps):
    server.route("/repos/a/one", error(429, "You have exceeded a secondary rate limit.", Retry_After="900"))

    results = fetch_all(make_fetcher(), link("a/one"), link("b/two"))

    assert results["github:a/one"].error == "GitHub secondary rate limit (retry after 900 s)"
    assert results["github:b/two"].error == results["github:a/one"].error
    assert len(server.requests) == 1 and sleeps.calls == []


def test_enterprise_base_url_with_path_prefix_and_rename(server, sleeps):
    location = server.url("/api/v3/repositories/77")
    moved = Reply(301, json.dumps({"message": "Moved Permanently", "url": location}), {**gh_headers(), "Location": location})
    server.route("/api/v3/repos/team/old-name", moved)
    server.route("/api/v3/repositories/77", ok(repo_json("team/new-name", repo_id=77)))
    server.route("/api/v3/repos/team/new-name/releases/latest", NOT_FOUND)
    fetcher = GithubFetcher(
        server.url("/api/v3/"),
        TOKEN,
        seconds_between_requests=0,
        clock=lambda: NOW,
        retry_policy=RetryPolicy(sleep=sleeps),
        use_graphql=False,
    )

    with fetcher:
        result = fetch_all(fetcher, link("team/old-name"))["github:team/old-name"]

    assert result.record.full_name == "team/new-name"
    assert result.record.renamed_from == "team/old-name"
    assert [r.path for r in server.requests] == [
        "/api/v3/repos/team/old-name",
        "/api/v3/repositories/77",
        "/api/v3/repos/team/new-name/releases/latest",
        "/api/v3/repos/team/new-name/readme",
    ]


def test_last_request_of_the_window_spares_the_next_one(server, make_fetcher):
    # The answer that used the last request says so: the next link is not even tried.
    server.route("/repos/a/one", ok(repo_json("a/one"), remaining=2))
    server.route("/repos/a/one/releases/latest", ok(release_json("a/one"), remaining=1))
    server.route("/repos/a/one/readme", error(404, "Not Found", remaining=0, reset=NOW + 1800))
    fetcher = make_fetcher()

    results = fetch_all(fetcher, link("a/one"), link("b/two"))

    assert results["github:a/one"].ok
    assert results["github:b/two"].error == "rate limit exhausted, resets at 03:36 UTC"
    assert len(server.requests) == 3 and fetcher.requests_made == 3


def test_pygithub_retries_and_pauses_are_off(make_fetcher):
    settings = make_fetcher().gh.requester.kwargs
    assert settings["retry"] is None  # our RetryPolicy is the only retry layer
    assert settings["seconds_between_requests"] is None


def test_repo_path_keeps_the_links_spelling():
    assert repo_path_of(link("PyGithub/PyGithub")) == "PyGithub/PyGithub"
    odd = Link(key="github:a/b", kind="github", url="https://example.org/elsewhere/x", original="")
    assert repo_path_of(odd) == "a/b"


# --- the README lead over REST, and the unauthenticated budget ---------------------------------

README_MD = "# edge\n\n![logo](logo.png)\n\nEdge is a small runtime for **int8** models on microcontrollers.\n"


def test_readme_is_read_once_and_revalidated_with_the_repository(server, make_fetcher):
    def repo(req):
        if req.headers.get("if-none-match") == ETAG:
            return Reply(304, b"", {k: v for k, v in gh_headers().items() if k != "Content-Type"} | {"ETag": ETAG})
        return ok(repo_json("edge/runtime"), ETag=ETAG)

    server.route("/repos/edge/runtime", repo)
    server.route("/repos/edge/runtime/releases/latest", NOT_FOUND)
    server.route(
        "/repos/edge/runtime/readme", Reply(200, README_MD, {"Content-Type": "application/vnd.github.raw+json; charset=utf-8"})
    )
    fetcher = make_fetcher()
    first = fetch_all(fetcher, link("edge/runtime"))["github:edge/runtime"]
    cached = Cached(key=first.key, kind="github", fetched_at=NOW - 86400, record=first.record.to_dict(), etag=first.etag)

    second = fetch_all(fetcher, FetchRequest(link("edge/runtime"), cached))["github:edge/runtime"]

    assert first.record.readme == "Edge is a small runtime for int8 models on microcontrollers."
    assert second.not_modified and cached.record["readme"] == first.record.readme
    assert len(server.hits("/repos/edge/runtime/readme")) == 1  # the 304 covered the README too


def test_readme_as_base64_json_and_missing_readme(server, make_fetcher):
    encoded = base64.b64encode(README_MD.encode()).decode()
    as_json = {"name": "README.md", "path": "README.md", "encoding": "base64", "content": encoded[:40] + "\n" + encoded[40:]}
    server.route("/repos/a/json", ok(repo_json("a/json")))
    server.route("/repos/a/json/releases/latest", NOT_FOUND)
    server.route("/repos/a/json/readme", ok(as_json))
    server.route("/repos/a/none", ok(repo_json("a/none")))
    server.route("/repos/a/none/releases/latest", NOT_FOUND)
    server.route("/repos/a/none/readme", NOT_FOUND)

    results = fetch_all(make_fetcher(), link("a/json"), link("a/none"))

    assert results["github:a/json"].record.readme == "Edge is a small runtime for int8 models on microcontrollers."
    assert results["github:a/none"].ok and results["github:a/none"].record.readme is None


def test_too_many_repositories_without_a_token_are_announced_before_the_first_request(server, make_fetcher, caplog):
    announced: list[int] = []

    class Spy(logging.Handler):
        def emit(self, record):
            if "GITHUB_TOKEN" in record.getMessage():
                announced.append(len(server.requests))

    spy = Spy()
    logging.getLogger("pipeline.fetchers.github").addHandler(spy)
    try:
        fetch_all(make_fetcher(), *(link(f"o/r{n}") for n in range(20)))  # 60 requests: fits
        assert announced == []
        server.requests.clear()
        fetch_all(make_fetcher(), *(link(f"o/r{n}") for n in range(21)))
    finally:
        logging.getLogger("pipeline.fetchers.github").removeHandler(spy)

    assert announced == [0]  # one line, before any request
    line = next(r.getMessage() for r in caplog.records if "GITHUB_TOKEN" in r.getMessage())
    assert line.startswith("GitHub: 21 repositories need about 63 requests, more than the 60 an hour")
