"""The GitHub stage with a token: GraphQL batches against a fake GitHub that answers like the real
one (per-alias errors, renames, whole-query failures, the point budget), and the token's safety."""

from __future__ import annotations

import io
import logging
import sqlite3
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.fetchers.base import FetchRequest, guarded
from pipeline.fetchers.github import GithubFetcher
from pipeline.fetchers.github_graphql import BatchItem, build_query
from pipeline.models import Link
from pipeline.retry import RetryPolicy
from tests.fakes import NOW, TOKEN, FakeClock, FakeGraphQL, error

README = """<h1 align="center">TinyNet</h1>

[![CI](https://ci.example/badge.svg)](https://ci.example/tinynet)

TinyNet runs **quantized** networks on [Cortex-M](https://developer.arm.com) cores.

## Install
"""


def link(full_name: str, **detail: str) -> Link:
    url = f"https://github.com/{full_name}"
    return Link(key=f"github:{full_name.lower()}", kind="github", url=url, original=url, detail=tuple(detail.items()))


@pytest.fixture
def gql(server):
    fake = FakeGraphQL()
    server.route("/graphql", fake)
    return fake


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make_fetcher(server, sleeps):
    def make(**kwargs) -> GithubFetcher:
        policy = RetryPolicy(attempts=3, base_delay=1, max_delay=120, deadline=300, sleep=sleeps.append, jitter=lambda: 1.0)
        kwargs.setdefault("retry_policy", policy)
        return GithubFetcher(server.url(""), TOKEN, timeout=5, seconds_between_requests=0, clock=lambda: NOW, **kwargs)

    return make


def fetch_all(fetcher: GithubFetcher, *links: Link):
    return {r.key: r for r in guarded(fetcher, [FetchRequest(lk) for lk in links])}


def test_one_query_answers_found_missing_renamed_and_blocked_repositories(server, gql, make_fetcher):
    gql.add("PyGithub/PyGithub", readme=README)
    gql.add(
        "Proton-Coin/ProtonCore",
        description="Proton core",
        licenseInfo={"spdxId": "NOASSERTION"},
        primaryLanguage=None,
        latestRelease=None,
        repositoryTopics={"nodes": []},
        isArchived=True,
    )
    gql.renamed["protoncoin/protoncoin"] = "Proton-Coin/ProtonCore"
    gql.add("dmca/taken-down")
    gql.blocked.add("dmca/taken-down")
    gql.add(
        "lmbxmu/HRank", readme="Pytorch implementation of our CVPR 2020 (Oral) HRank pruning method.", readme_path="readme.md"
    )
    gql.releases["lmbxmu/hrank"] = [{"tagName": "v0.9", "name": "First cut", "publishedAt": "2020-07-14T00:58:20Z"}]
    fetcher = make_fetcher()

    results = fetch_all(
        fetcher,
        link("PyGithub/PyGithub"),
        link("nobody/nothing"),
        link("protoncoin/protoncoin"),
        link("dmca/taken-down"),
        link("lmbxmu/HRank", release_tag="v0.9"),
        link("lmbxmu/HRank2", release_tag="v1"),
    )

    assert len(server.hits("/graphql")) == 1 and fetcher.requests_made == 1
    assert gql.asked == [
        ["PyGithub/PyGithub", "nobody/nothing", "protoncoin/protoncoin", "dmca/taken-down", "lmbxmu/HRank", "lmbxmu/HRank2"]
    ]
    rec = results["github:pygithub/pygithub"].record
    assert rec.full_name == "PyGithub/PyGithub" and rec.renamed_from is None
    assert (rec.description, rec.stars, rec.forks, rec.language) == (
        "Typed interactions with the GitHub API v3",
        7701,
        1874,
        "Python",
    )
    assert (rec.license, rec.homepage, rec.archived) == ("LGPL-3.0", "https://pygithub.readthedocs.io/", False)
    assert rec.topics == ["github", "github-api", "python"]
    assert (rec.created_at, rec.pushed_at) == ("2012-02-25T12:53:47Z", "2026-04-14T07:25:38Z")
    assert rec.html_url == "https://github.com/PyGithub/PyGithub"
    assert rec.latest_release == {"tag": "v2.10.0", "name": "v2.10.0", "published_at": "2026-04-01T10:00:00Z"}
    assert rec.readme == "TinyNet runs quantized networks on Cortex-M cores."

    missing = results["github:nobody/nothing"]
    assert missing.error == "repository not found (deleted or private)" and missing.permanent
    blocked = results["github:dmca/taken-down"]
    assert blocked.error == "repository blocked by GitHub" and blocked.permanent

    moved = results["github:protoncoin/protoncoin"].record
    assert moved.full_name == "Proton-Coin/ProtonCore" and moved.renamed_from == "protoncoin/protoncoin"
    assert (moved.license, moved.language, moved.latest_release, moved.topics, moved.archived, moved.readme) == (
        None,
        None,
        None,
        [],
        True,
        None,
    )

    tagged = results["github:lmbxmu/hrank"].record
    assert tagged.latest_release == {"tag": "v0.9", "name": "First cut", "published_at": "2020-07-14T00:58:20Z"}
    assert tagged.readme.startswith("Pytorch implementation")
    assert results["github:lmbxmu/hrank2"].error == "repository not found (deleted or private)"

    assert (fetcher.points_used, fetcher.points_remaining) == (1, 4999)
    assert server.hits("/graphql")[0].headers["authorization"] == f"token {TOKEN}"


def test_a_missing_release_tag_fails_that_repository_alone(gql, make_fetcher):
    gql.add("a/one")
    gql.add("b/two")

    results = fetch_all(make_fetcher(), link("a/one", release_tag="v9"), link("b/two"))

    assert results["github:a/one"].error == "release v9 not found" and results["github:a/one"].permanent
    assert results["github:b/two"].ok


@pytest.mark.parametrize("heavy", ["502", "node limit"])
def test_a_batch_failing_whole_is_split_until_it_runs(server, gql, make_fetcher, sleeps, heavy):
    names = [f"owner/repo-{n}" for n in range(5)]
    for name in names:
        gql.add(name)
    gql.max_aliases, gql.heavy = 2, heavy
    fetcher = make_fetcher(batch_size=5)

    results = fetch_all(fetcher, *(link(name) for name in names))

    assert all(r.ok for r in results.values()), [r.error for r in results.values()]
    assert [len(q) for q in gql.asked] == [5, 2, 3, 1, 2]  # halves, never dropping a member
    assert sorted(n for q in gql.asked if len(q) <= 2 for n in q) == sorted(names)
    assert sleeps == []  # splitting is the answer to a heavy query, not waiting
    assert fetcher.points_used == 3


def test_a_batch_that_times_out_is_split(server, gql, sleeps):
    gql.add("a/one")
    gql.add("b/two")
    gql.max_aliases, gql.heavy = 1, "timeout"
    policy = RetryPolicy(attempts=3, sleep=sleeps.append, jitter=lambda: 1.0)
    fetcher = GithubFetcher(server.url(""), TOKEN, timeout=1, seconds_between_requests=0, clock=lambda: NOW, retry_policy=policy)

    results = fetch_all(fetcher, link("a/one"), link("b/two"))

    assert all(r.ok for r in results.values()), [r.error for r in results.values()]
    assert [len(q) for q in gql.asked] == [2, 1, 1] and sleeps == []


def test_a_single_repository_that_keeps_failing_is_retried_then_reported(server, gql, make_fetcher, sleeps):
    gql.add("a/one")
    gql.max_aliases = 0  # even one repository is too much: every query answers 502

    results = fetch_all(make_fetcher(), link("a/one"))

    assert results["github:a/one"].error == "GitHub server error (HTTP 502)"
    assert not results["github:a/one"].permanent
    assert len(gql.asked) == 3 and len(sleeps) == 2  # the one retry policy, bounded


def test_budget_exhausted_mid_run_fails_the_rest_at_once_with_the_reset_time(server, gql, make_fetcher, sleeps):
    names = [f"owner/repo-{n}" for n in range(7)]
    for name in names:
        gql.add(name)
    gql.points, gql.reset = 2, NOW + 45 * 60  # 03:51:40 UTC
    fetcher = make_fetcher(batch_size=2)

    results = fetch_all(fetcher, *(link(name) for name in names))

    assert [results[f"github:{n}"].ok for n in names] == [True] * 4 + [False] * 3
    for name in names[4:]:
        assert results[f"github:{name}"].error == "GitHub GraphQL budget exhausted (0 points left), resets at 03:51 UTC"
        assert not results[f"github:{name}"].permanent  # the repositories are not at fault
    assert len(gql.asked) == 2 and sleeps == []  # the third query is never sent
    assert (fetcher.points_used, fetcher.points_remaining) == (2, 0)


def test_rate_limited_answer_stops_the_stage(server, gql, make_fetcher, sleeps):
    gql.add("a/one")
    gql.points, gql.reset = 0, NOW + 7200

    results = fetch_all(make_fetcher(batch_size=1), link("a/one"), link("b/two"))

    assert {r.error for r in results.values()} == {"GitHub GraphQL budget exhausted (0 points left), resets at 05:06 UTC"}
    assert len(gql.asked) == 1 and sleeps == []


def test_budget_resetting_soon_is_waited_for(server, gql):
    clock = FakeClock()
    clock.now = NOW
    gql.add("a/one")
    gql.add("b/two")
    gql.points, gql.reset, gql.clock = 1, NOW + 30, clock
    policy = RetryPolicy(attempts=3, max_delay=120, deadline=300, sleep=clock.sleep, jitter=lambda: 1.0)
    fetcher = GithubFetcher(server.url(""), TOKEN, seconds_between_requests=0, clock=clock, retry_policy=policy, batch_size=1)

    results = fetch_all(fetcher, link("a/one"), link("b/two"))

    assert results["github:a/one"].ok and results["github:b/two"].ok
    assert clock.sleeps == [31.0]  # to one second past the reset, then on
    assert len(gql.asked) == 2


def test_secondary_limit_on_a_query_is_waited_out_by_the_one_retry_policy(server, gql, make_fetcher, sleeps):
    gql.add("a/one")
    gql.forced.append(error(403, "You have exceeded a secondary rate limit. Please wait a few minutes.", Retry_After="42"))

    results = fetch_all(make_fetcher(), link("a/one"))

    assert results["github:a/one"].ok
    assert sleeps == [42.0] and len(gql.asked) == 2


def test_rejected_token_stops_the_stage(server, gql, make_fetcher):
    gql.forced.append(error(401, "Bad credentials"))

    results = fetch_all(make_fetcher(batch_size=1), link("a/one"), link("b/two"))

    assert {r.error for r in results.values()} == {"GitHub rejected the token (HTTP 401)"}
    assert len(gql.asked) == 1


def test_names_travel_as_variables_not_in_the_query_text():
    query, variables = build_query([BatchItem("evil", 'x") { id } #', "v1")])
    assert "evil" not in query and 'x")' not in query
    assert variables == {"o0": "evil", "n0": 'x") { id } #', "t0": "v1"}
    assert "rateLimit { cost remaining resetAt }" in query


def test_without_a_token_rest_is_used(server, gql):
    fetcher = GithubFetcher(server.url(""), None, seconds_between_requests=0)
    assert fetcher.use_graphql is False
    assert GithubFetcher(server.url(""), TOKEN).use_graphql is True


# --- end to end, from the command line ----------------------------------------------------------


def run_cli(tmp_path: Path, monkeypatch, server, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ENRICH_GITHUB_API", server.url(""))
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    config = tmp_path / "enrich.toml"
    config.write_text("[github]\nseconds_between_requests = 0\n", encoding="utf-8")
    monkeypatch.setenv("ENRICH_CONFIG", str(config))
    stderr = io.StringIO()
    code = main(list(args), stdin=io.BytesIO(), stdout=io.StringIO(), stderr=stderr)
    return code, stderr.getvalue()


def test_cli_batches_and_reports_points_and_never_leaks_the_token(tmp_path, monkeypatch, server, gql):
    logging.getLogger("github").setLevel(logging.NOTSET)
    gql.add("PyGithub/PyGithub", readme=README)
    gql.denied["saml/locked"] = f"Resource protected by organization SAML enforcement (token {TOKEN})"
    gql.add("dmca/taken-down")
    gql.blocked.add("dmca/taken-down")
    sources = tmp_path / "sources.txt"
    sources.write_text(
        "https://github.com/PyGithub/PyGithub\nhttps://github.com/dmca/taken-down\n"
        "https://github.com/nobody/nothing\nhttps://github.com/saml/locked\n",
        encoding="utf-8",
    )

    code, stderr = run_cli(tmp_path, monkeypatch, server, str(sources), "-o", "draft.md", "--cache-dir", "cache", "-v")

    assert code == 1  # two links failed, the draft was written
    assert len(gql.asked) == 1
    assert stderr.strip().splitlines()[-1].endswith("GitHub: 1 points used, 4999 left, resets at 03:56 UTC")
    assert "POST" in stderr and "graphql" in stderr  # -v really logged the requests
    draft = (tmp_path / "draft.md").read_text(encoding="utf-8")
    assert "repository blocked by GitHub" in draft and "repository not found" in draft
    assert "SAML enforcement (token ***)" in draft  # the planted token, echoed by GitHub, redacted
    cache_bytes = b"".join(p.read_bytes() for p in (tmp_path / "cache").iterdir() if p.is_file())
    with sqlite3.connect(tmp_path / "cache" / "enrich.sqlite3") as db:
        stored = " ".join(str(row) for row in db.execute("select * from records"))
    assert "TinyNet runs quantized networks" in stored
    for place in (stderr, draft, stored):
        assert TOKEN not in place
    assert TOKEN.encode() not in cache_bytes


def test_fresh_records_are_not_asked_for_and_stale_ones_are_refetched_in_one_batch(tmp_path, monkeypatch, server, gql):
    for name in ("a/one", "b/two", "c/three"):
        gql.add(name)
    sources = tmp_path / "sources.txt"
    sources.write_text("".join(f"https://github.com/{n}\n" for n in ("a/one", "b/two", "c/three")), encoding="utf-8")
    args = (str(sources), "--cache-dir", "cache", "-q")

    first, _ = run_cli(tmp_path, monkeypatch, server, *args)
    second, stderr = run_cli(tmp_path, monkeypatch, server, *args)
    assert (first, second) == (0, 0)
    assert len(gql.asked) == 1 and "3 from cache" in stderr and "points" not in stderr
    with sqlite3.connect(tmp_path / "cache" / "enrich.sqlite3") as db:  # two records a day old
        db.execute("update records set fetched_at = fetched_at - 2 * 86400 where key != 'github:b/two'")
    third, stderr = run_cli(tmp_path, monkeypatch, server, *args)

    assert third == 0
    assert gql.asked[1:] == [["a/one", "c/three"]]  # only the stale ones, together
    assert "2 fetched, 1 from cache" in stderr and "GitHub: 1 points used" in stderr
