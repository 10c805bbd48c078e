"""The arXiv fetcher against a fake arXiv API that speaks the real Atom format: batching,
spacing, back-off, validation, batch splitting, versions, timeouts, and the record itself."""

from __future__ import annotations

import time

import pytest

from pipeline import HOMEPAGE, __version__
from pipeline.fetchers.arxiv import (
    ArxivFetcher,
    find_code_urls,
    normalize_ws,
    parse_arxiv_id,
)
from pipeline.fetchers.base import FetchRequest, guarded
from pipeline.models import ArxivRecord, Link
from pipeline.retry import RetryPolicy
from tests.fakes import (
    API_PATH,
    ATOM,
    FakeArxiv,
    FakeClock,
    Paper,
    Version,
    feed_xml,
    simple_paper,
)
from tests.localserver import Reply


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def fake(server, clock):
    api = FakeArxiv(clock)
    server.route(API_PATH, api)
    return api


def make_fetcher(server, clock, **kwargs) -> ArxivFetcher:
    kwargs.setdefault(
        "retry",
        RetryPolicy(
            attempts=3, base_delay=1.0, max_delay=60.0, deadline=120.0, sleep=clock.sleep, clock=clock, jitter=lambda: 0.0
        ),
    )
    return ArxivFetcher(server.url(API_PATH), clock=clock, sleep=clock.sleep, **kwargs)


def link(key: str, **detail: str) -> FetchRequest:
    return FetchRequest(
        Link(
            key=key,
            kind="arxiv",
            url=f"https://arxiv.org/abs/{key[6:]}",
            original=f"https://arxiv.org/abs/{key[6:]}",
            detail=tuple(detail.items()),
        )
    )


def fetch_all(fetcher: ArxivFetcher, requests) -> dict[str, object]:
    results = list(guarded(fetcher, requests))
    assert len(results) == len({r.link.key for r in requests})
    return {r.key: r for r in results}


# ---------------------------------------------------------------------------------------------
# Batching and politeness


def test_250_links_cost_3_requests_spaced_3_s_apart(server, fake, clock):
    ids = [f"2101.{n:05d}" for n in range(250)]
    for paper_id in ids:
        fake.add(simple_paper(paper_id))
    results = fetch_all(make_fetcher(server, clock), [link(f"arxiv:{i}") for i in ids])

    assert len(fake.asked) == 3
    assert sorted(len(batch) for batch in fake.asked) == [50, 100, 100]
    assert all(r.ok for r in results.values())
    # Matched by id, not position: every record carries its own link's id.
    assert all(results[f"arxiv:{i}"].record.id == i for i in ids)
    assert all(results[f"arxiv:{i}"].record.title == f"Paper {i}" for i in ids)
    gaps = [b - a for a, b in zip(fake.started, fake.started[1:])]
    assert gaps and min(gaps) >= 3.0


def test_spacing_holds_across_calls_of_one_fetcher(server, fake, clock):
    fake.add(simple_paper("2104.14129"))
    fake.add(simple_paper("1907.05550"))
    fetcher = make_fetcher(server, clock)
    fetch_all(fetcher, [link("arxiv:2104.14129")])
    fetch_all(fetcher, [link("arxiv:1907.05550")])
    assert len(fake.started) == 2 and fake.started[1] - fake.started[0] >= 3.0


def test_requests_name_the_tool_and_ask_for_the_batch(server, fake, clock):
    fake.add(simple_paper("2104.14129"))
    fetch_all(make_fetcher(server, clock), [link("arxiv:2104.14129")])
    request = server.hits(API_PATH)[0]
    assert request.headers["user-agent"] == f"enrich/{__version__} (+{HOMEPAGE})"
    assert request.param("id_list") == "2104.14129"
    assert int(request.param("max_results")) >= 1


def test_429_with_retry_after_is_waited_out_and_the_run_succeeds(server, fake, clock):
    fake.add(simple_paper("2104.14129"))
    fake.forced.append(Reply(429, "slow down", {"Retry-After": "7"}))
    results = fetch_all(make_fetcher(server, clock), [link("arxiv:2104.14129")])

    assert results["arxiv:2104.14129"].ok
    assert len(fake.asked) == 2
    assert max(clock.sleeps) >= 7
    assert fake.started[1] - fake.started[0] >= 7


def test_5xx_retries_are_bounded_and_the_failure_is_transient(server, fake, clock):
    fake.add(simple_paper("2104.14129"))
    fake.forced.extend([Reply(503, "down")] * 10)
    results = fetch_all(make_fetcher(server, clock), [link("arxiv:2104.14129")])

    result = results["arxiv:2104.14129"]
    assert result.error == "HTTP 503 from the arXiv API" and not result.permanent
    assert len(fake.asked) == 3  # the policy's attempts, no package retries on top
    gaps = [b - a for a, b in zip(fake.started, fake.started[1:])]
    assert min(gaps) >= 3.0  # retries obey the spacing too


def test_retry_after_longer_than_allowed_fails_now_instead_of_sleeping(server, fake, clock):
    fake.add(simple_paper("2104.14129"))
    fake.forced.append(Reply(429, "", {"Retry-After": "3600"}))
    results = fetch_all(make_fetcher(server, clock), [link("arxiv:2104.14129")])
    assert results["arxiv:2104.14129"].error == "rate limited by the arXiv API (HTTP 429)"
    assert len(fake.asked) == 1 and sum(clock.sleeps) < 60


# ---------------------------------------------------------------------------------------------
# Failures of single links


def test_malformed_and_unknown_ids_fail_alone_and_malformed_is_never_sent(server, fake, clock):
    fake.add(simple_paper("2104.14129"))
    fake.add(simple_paper("1907.05550"))
    requests = [
        link("arxiv:2104.14129"),
        link("arxiv:abc", malformed="1"),
        link("arxiv:12.345"),  # not flagged by the link stage, still caught by the grammar
        link("arxiv:2104.99999"),
        link("arxiv:1907.05550"),
    ]
    results = fetch_all(make_fetcher(server, clock), requests)

    assert results["arxiv:abc"].error == "malformed arXiv id 'abc'" and results["arxiv:abc"].permanent
    assert results["arxiv:12.345"].error == "malformed arXiv id '12.345'"
    assert results["arxiv:2104.99999"].error == "no such arXiv paper"
    assert results["arxiv:2104.99999"].permanent
    assert results["arxiv:2104.14129"].ok and results["arxiv:1907.05550"].ok
    assert fake.asked == [["2104.14129", "2104.99999", "1907.05550"]]


def test_a_batch_refused_with_400_is_split_until_the_bad_id_costs_only_itself(server, fake, clock):
    ids = [f"2101.{n:05d}" for n in range(8)]
    for paper_id in ids:
        fake.add(simple_paper(paper_id))
    fake.rejected.add("2101.00005")
    results = fetch_all(make_fetcher(server, clock), [link(f"arxiv:{i}") for i in ids])

    bad = results["arxiv:2101.00005"]
    assert bad.error == "malformed arXiv id '2101.00005'" and bad.permanent
    assert all(results[f"arxiv:{i}"].ok for i in ids if i != "2101.00005")
    # 8 -> 4+4 -> 2+2 -> 1+1: one refused request per level plus the good halves.
    assert len(fake.asked) == 7
    gaps = [b - a for a, b in zip(fake.started, fake.started[1:])]
    assert min(gaps) >= 3.0


def test_a_hung_server_is_cut_off_by_the_timeout(server, clock):
    def hang(handler):
        time.sleep(1.5)  # longer than the test's read timeout
        handler.close_connection = True  # so a fetcher without a timeout fails, not hangs

    server.route(API_PATH, Reply(raw=hang))
    fetcher = make_fetcher(server, clock, timeout=(0.3, 0.3), retry=RetryPolicy(attempts=1, sleep=clock.sleep, clock=clock))
    started = time.monotonic()
    results = fetch_all(fetcher, [link("arxiv:2104.14129")])
    result = results["arxiv:2104.14129"]
    assert result.error == "timed out after 0.3 s" and not result.permanent
    assert time.monotonic() - started < 1.4


def test_an_unreachable_api_is_a_transient_connection_failure(clock):
    fetcher = ArxivFetcher(
        "http://127.0.0.1:9/api/query",
        clock=clock,
        sleep=clock.sleep,
        retry=RetryPolicy(attempts=2, sleep=clock.sleep, clock=clock),
    )
    results = fetch_all(fetcher, [link("arxiv:2104.14129"), link("arxiv:1907.05550")])
    for result in results.values():
        assert result.error == "could not connect to the arXiv API" and not result.permanent


def test_an_unreadable_answer_is_not_mistaken_for_unknown_papers(server, fake, clock):
    fake.add(simple_paper("2104.14129"))
    fake.forced.extend([Reply(200, "<html>maintenance</html>")] * 5)
    results = fetch_all(make_fetcher(server, clock), [link("arxiv:2104.14129")])
    result = results["arxiv:2104.14129"]
    assert result.error == "the arXiv API sent an unreadable answer" and not result.permanent


def test_a_spuriously_empty_feed_for_a_batch_is_retried_not_remembered(server, fake, clock):
    fake.add(simple_paper("2104.14129"))
    fake.add(simple_paper("2008.02382"))
    empty = feed_xml("id_list=2104.14129,2008.02382", [], 0, 0, 2)
    fake.forced.append(Reply(200, empty, ATOM))
    results = fetch_all(make_fetcher(server, clock), [link("arxiv:2104.14129"), link("arxiv:2008.02382")])
    assert all(r.ok for r in results.values()) and len(fake.asked) == 2
    fake.forced.extend([Reply(200, empty, ATOM)] * 3)
    results = fetch_all(make_fetcher(server, clock), [link("arxiv:2104.14129"), link("arxiv:2008.02382")])
    assert {(r.error, r.permanent) for r in results.values()} == {("the arXiv API answered 2 ids with an empty feed", False)}


# ---------------------------------------------------------------------------------------------
# Versions and old-style ids


def three_versions() -> Paper:
    return Paper(
        id="2104.14129",
        published="2021-04-29T06:43:07Z",
        authors=["Ada Lovelace"],
        categories=["cs.LG"],
        versions=[
            Version("First title", "v1 abstract.", "2021-04-29T06:43:07Z"),
            Version("Second title", "v2 abstract.", "2021-06-01T10:00:00Z"),
            Version("Final\n  title", "v3 abstract.", "2021-09-30T12:30:00Z"),
        ],
    )


def test_unversioned_gets_latest_and_pinned_gets_exactly_its_version(server, fake, clock):
    fake.add(three_versions())
    requests = [link("arxiv:2104.14129"), link("arxiv:2104.14129v1", version="1"), link("arxiv:2104.14129v2", version="2")]
    results = fetch_all(make_fetcher(server, clock), requests)

    latest = results["arxiv:2104.14129"].record
    assert (latest.version, latest.title, latest.updated) == (3, "Final title", "2021-09-30T12:30:00Z")
    assert latest.abs_url == "https://arxiv.org/abs/2104.14129v3"
    first = results["arxiv:2104.14129v1"].record
    assert (first.id, first.version, first.title) == ("2104.14129", 1, "First title")
    assert first.abs_url == "https://arxiv.org/abs/2104.14129v1"
    assert results["arxiv:2104.14129v2"].record.title == "Second title"


def test_a_pinned_version_that_does_not_exist_is_no_such_paper(server, fake, clock):
    fake.add(three_versions())
    results = fetch_all(make_fetcher(server, clock), [link("arxiv:2104.14129v9", version="9")])
    assert results["arxiv:2104.14129v9"].error == "no such arXiv paper"


def test_old_style_ids_resolve(server, fake, clock):
    fake.add(
        Paper(
            "cs/0112017",
            "2001-12-19T00:00:00Z",
            ["Some One"],
            ["cs.LO"],
            [Version("An old paper", "Old.", "2001-12-19T00:00:00Z")],
        )
    )
    fake.add(
        Paper(
            "quant-ph/0201082",
            "2002-01-18T15:08:05Z",
            ["Stephen Blaha"],
            ["quant-ph", "cs.PL"],
            [
                Version(
                    "Quantum Computers and Quantum Computer Languages",
                    "  We show a representation.",
                    "2002-01-18T15:08:05Z",
                    comment="32 pages",
                )
            ],
        )
    )
    requests = [link("arxiv:cs/0112017"), link("arxiv:quant-ph/0201082v1", version="1")]
    results = fetch_all(make_fetcher(server, clock), requests)

    old = results["arxiv:cs/0112017"].record
    assert (old.id, old.version, old.title) == ("cs/0112017", 1, "An old paper")
    assert old.abs_url == "https://arxiv.org/abs/cs/0112017v1"
    pinned = results["arxiv:quant-ph/0201082v1"].record
    assert (pinned.id, pinned.version, pinned.primary_category) == ("quant-ph/0201082", 1, "quant-ph")
    assert pinned.abstract == "We show a representation."
    assert len(fake.asked) == 1


# ---------------------------------------------------------------------------------------------
# The record


def test_the_record_is_complete_and_normalized(server, fake, clock):
    fake.add(
        Paper(
            id="2003.03033",
            published="2020-03-06T04:04:32Z",
            authors=["Mingbao Lin", " Rongrong  Ji "],
            categories=["cs.CV", "cs.LG"],
            versions=[
                Version(
                    title="HRank: Filter Pruning using High-Rank\n  Feature Map",
                    summary="  Neural network pruning offers a promising prospect.\nThe code is available at\n"
                    "https://github.com/lmbxmu/HRank.\n  A second paragraph.\n",
                    updated="2020-03-16T09:10:11Z",
                    comment="Accepted by CVPR 2020 (Oral). Code: github.com/lmbxmu/HRank",
                    journal_ref="CVPR 2020, pp. 1529-1538",
                    doi="10.1109/CVPR42600.2020.00160",
                )
            ],
        )
    )
    record = fetch_all(make_fetcher(server, clock), [link("arxiv:2003.03033")])["arxiv:2003.03033"].record
    assert isinstance(record, ArxivRecord)
    assert record.to_dict() == {
        "id": "2003.03033",
        "version": 1,
        "title": "HRank: Filter Pruning using High-Rank Feature Map",
        "authors": ["Mingbao Lin", "Rongrong Ji"],
        "abstract": "Neural network pruning offers a promising prospect. The code is available at "
        "https://github.com/lmbxmu/HRank. A second paragraph.",
        "published": "2020-03-06T04:04:32Z",
        "updated": "2020-03-16T09:10:11Z",
        "primary_category": "cs.CV",
        "categories": ["cs.CV", "cs.LG"],
        "comment": "Accepted by CVPR 2020 (Oral). Code: github.com/lmbxmu/HRank",
        "journal_ref": "CVPR 2020, pp. 1529-1538",
        "doi": "10.1109/CVPR42600.2020.00160",
        "abs_url": "https://arxiv.org/abs/2003.03033v1",
        "pdf_url": "https://arxiv.org/pdf/2003.03033v1",
        "code_urls": ["https://github.com/lmbxmu/HRank"],
        "venue": "CVPR 2020",
    }


def test_fields_the_feed_does_not_give_are_null(server, fake, clock):
    fake.add(simple_paper("1605.08386"))
    record = fetch_all(make_fetcher(server, clock), [link("arxiv:1605.08386")])["arxiv:1605.08386"].record
    assert (record.comment, record.journal_ref, record.doi, record.venue) == (None, None, None, None)
    assert record.code_urls == []


# ---------------------------------------------------------------------------------------------
# Pure helpers


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Code is available at https://github.com/lmbxmu/HRank.", ["https://github.com/lmbxmu/HRank"]),
        ("code: github.com/foo/bar-baz", ["https://github.com/foo/bar-baz"]),
        ("(see https://www.github.com/Foo/bar.git).", ["https://github.com/Foo/bar"]),
        ("http://github.com/a/b, https://github.com/a/b/tree/main/src and github.com/A/B", ["https://github.com/a/b"]),
        (
            "repos https://github.com/x/one; https://github.com/y/two_2!",
            ["https://github.com/x/one", "https://github.com/y/two_2"],
        ),
        ("https://github.com/mit-han-lab/once-for-all.", ["https://github.com/mit-han-lab/once-for-all"]),
        ("https://github.com/user/repo.js is a JS lib", ["https://github.com/user/repo.js"]),
        ("not a repo: https://github.com/orgs/pytorch or https://github.com/topics/ai", []),
        ("gist.github.com/a/b and user.github.io/project and notgithub.com/a/b", []),
        ("https://github.com/justanowner", []),
        ("", []),
        (None, []),
    ],
)
def test_find_code_urls(text, expected):
    assert find_code_urls(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2104.14129", ("2104.14129", None)),
        ("2104.14129v2", ("2104.14129", 2)),
        ("arxiv:1907.05550", ("1907.05550", None)),
        ("0704.0001", ("0704.0001", None)),
        ("cs/0112017", ("cs/0112017", None)),
        ("quant-ph/0201082v1", ("quant-ph/0201082", 1)),
        ("math.GT/0309136", ("math/0309136", None)),  # the subject class is not part of the id
        ("abc", None),
        ("2104.141", None),
        ("2104.14129v", None),
        ("2104.14129v0", None),
        ("cs/011201", None),
        ("CS/0112017", ("cs/0112017", None)),  # arXiv's ids are lower case; so is the key
        ("arXiv:2104.14129", ("2104.14129", None)),
        ("2113.14129", None),  # no 13th month
        ("0612.1234", None),  # new-style ids begin in April 2007
        ("2104.14129 ", ("2104.14129", None)),
    ],
)
def test_parse_arxiv_id(text, expected):
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("  a\n  b\tc  ", "a b c"),
        ("one", "one"),
        ("   ", None),
        (None, None),
    ],
)
def test_normalize_ws(text, expected):
    assert normalize_ws(text) == expected
