"""The arXiv fetcher against a fake arXiv API that speaks the real Atom format: batching,
spacing, back-off, validation, batch splitting, versions, timeouts, and the record itself."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import pytest

from pipeline import HOMEPAGE, __version__
from pipeline.fetchers.arxiv import (
    ArxivFetcher,
    find_code_urls,
    normalize_ws,
    parse_arxiv_id,
    venue_from_comment,
)
from pipeline.fetchers.base import FetchRequest, guarded
from pipeline.models import ArxivRecord, Link
from pipeline.retry import RetryPolicy
from tests.localserver import Reply, Request

API_PATH = "/api/query"

# ---------------------------------------------------------------------------------------------
# A fake arXiv API, answering id_list queries the way export.arxiv.org does.


@dataclass
class Version:
    title: str
    summary: str
    updated: str
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None


@dataclass
class Paper:
    id: str
    published: str
    authors: list[str]
    categories: list[str]
    versions: list[Version]  # v1 first


# The API's own id check, written independently of the fetcher's.
_API_ID = re.compile(r"(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?")


def _entry_xml(paper: Paper, number: int) -> str:
    v = paper.versions[number - 1]
    full = f"{paper.id}v{number}"
    parts = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{full}</id>",
        f"    <title>{escape(v.title)}</title>",
        f"    <updated>{v.updated}</updated>",
        f'    <link href="https://arxiv.org/abs/{full}" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{full}" rel="related" type="application/pdf" title="pdf"/>',
        f"    <summary>{escape(v.summary)}</summary>",
        *(f'    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in paper.categories),
        f"    <published>{paper.published}</published>",
    ]
    if v.comment:
        parts.append(f"    <arxiv:comment>{escape(v.comment)}</arxiv:comment>")
    parts.append(f'    <arxiv:primary_category term="{paper.categories[0]}"/>')
    if v.journal_ref:
        parts.append(f"    <arxiv:journal_ref>{escape(v.journal_ref)}</arxiv:journal_ref>")
    for name in paper.authors:
        parts += ["    <author>", f"      <name>{escape(name)}</name>", "    </author>"]
    if v.doi:
        parts.append(f"    <arxiv:doi>{v.doi}</arxiv:doi>")
        parts.append(f'    <link rel="related" href="https://doi.org/{v.doi}" title="doi"/>')
    parts.append("  </entry>")
    return "\n".join(parts)


def _feed_xml(query_title: str, entries: list[str], total: int, start: int, per_page: int) -> str:
    return "\n".join([
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">',
        "  <id>https://arxiv.org/api/fakefeedid</id>",
        f"  <title>arXiv Query: {escape(query_title)}</title>",
        "  <updated>2026-04-12T22:09:36Z</updated>",
        f'  <link href="https://arxiv.org/api/query?{escape(query_title)}" type="application/atom+xml"/>',
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>",
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>",
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
        *entries,
        "</feed>",
    ])


def _error_xml(bad: str) -> str:
    anchor = "incorrect_id_format_for_" + bad
    return "\n".join([
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">',
        "  <id>https://arxiv.org/</id>",
        "  <title>arXiv Search Results</title>",
        "  <updated>2026-04-12T22:59:06Z</updated>",
        "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>",
        "  <opensearch:totalResults>1</opensearch:totalResults>",
        "  <opensearch:startIndex>0</opensearch:startIndex>",
        "  <entry>",
        f"    <id>https://arxiv.org/api/errors#{anchor}</id>",
        "    <title>Error</title>",
        "    <updated>2026-04-12T22:59:06Z</updated>",
        f'    <link href="https://arxiv.org/api/errors#{anchor}" rel="alternate" type="text/html"/>',
        f"    <summary>incorrect id format for {escape(bad)}</summary>",
        "    <author>",
        "      <name>arXiv api core</name>",
        "    </author>",
        "  </entry>",
        "</feed>",
    ])


ATOM = {"Content-Type": "application/atom+xml; charset=UTF-8"}


@dataclass
class FakeArxiv:
    clock: FakeClock
    papers: dict[str, Paper] = field(default_factory=dict)
    rejected: set[str] = field(default_factory=set)  # well-formed ids the API still calls bad
    forced: list[Reply] = field(default_factory=list)  # replies to send before answering normally
    asked: list[list[str]] = field(default_factory=list)  # id_list of every request
    started: list[float] = field(default_factory=list)  # the fake clock at every request

    def add(self, paper: Paper) -> None:
        self.papers[paper.id] = paper

    def __call__(self, req: Request) -> Reply:
        ids = [i for i in req.param("id_list").split(",") if i]
        self.asked.append(ids)
        self.started.append(self.clock.now)
        if self.forced:
            return self.forced.pop(0)
        for wanted in ids:
            if not _API_ID.fullmatch(wanted) or wanted in self.rejected:
                return Reply(400, _error_xml(wanted), ATOM)
        entries = []
        for wanted in ids:
            base, _, number = wanted.partition("v") if "/" not in wanted else _split_old(wanted)
            paper = self.papers.get(base)
            if paper is None:
                continue  # the real API leaves unknown ids out
            n = int(number) if number else len(paper.versions)
            if 1 <= n <= len(paper.versions):
                entries.append(_entry_xml(paper, n))
        start, page = int(req.param("start", "0")), int(req.param("max_results", "10"))
        title = f"search_query=&id_list={','.join(ids)}&start={start}&max_results={page}"
        return Reply(200, _feed_xml(title, entries[start:start + page], len(entries), start, page), ATOM)


def _split_old(wanted: str) -> tuple[str, str, str]:
    base, sep, number = wanted.rpartition("v")
    return (base, sep, number) if sep and number.isdigit() and "/" in base else (wanted, "", "")


class FakeClock:
    """Time that passes only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


def simple_paper(paper_id: str, title: str | None = None, **version_fields) -> Paper:
    return Paper(
        id=paper_id,
        published="2021-04-29T06:43:07Z",
        authors=["Ada Lovelace", "Alan Turing"],
        categories=["cs.LG", "cs.CV"],
        versions=[Version(title=title or f"Paper {paper_id}", summary=f"Abstract of {paper_id}.",
                          updated="2021-04-29T06:43:07Z", **version_fields)],
    )


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def fake(server, clock):
    api = FakeArxiv(clock)
    server.route(API_PATH, api)
    return api


def make_fetcher(server, clock, **kwargs) -> ArxivFetcher:
    kwargs.setdefault("retry", RetryPolicy(attempts=3, base_delay=1.0, max_delay=60.0, deadline=120.0,
                                           sleep=clock.sleep, clock=clock, jitter=lambda: 0.0))
    return ArxivFetcher(server.url(API_PATH), clock=clock, sleep=clock.sleep, **kwargs)


def link(key: str, **detail: str) -> FetchRequest:
    return FetchRequest(Link(key=key, kind="arxiv", url=f"https://arxiv.org/abs/{key[6:]}",
                             original=f"https://arxiv.org/abs/{key[6:]}", detail=tuple(detail.items())))


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
    fetcher = make_fetcher(server, clock, timeout=(0.3, 0.3),
                           retry=RetryPolicy(attempts=1, sleep=clock.sleep, clock=clock))
    started = time.monotonic()
    results = fetch_all(fetcher, [link("arxiv:2104.14129")])
    result = results["arxiv:2104.14129"]
    assert result.error == "timed out after 0.3 s" and not result.permanent
    assert time.monotonic() - started < 1.4


def test_an_unreachable_api_is_a_transient_connection_failure(clock):
    fetcher = ArxivFetcher("http://127.0.0.1:9/api/query", clock=clock, sleep=clock.sleep,
                           retry=RetryPolicy(attempts=2, sleep=clock.sleep, clock=clock))
    results = fetch_all(fetcher, [link("arxiv:2104.14129"), link("arxiv:1907.05550")])
    for result in results.values():
        assert result.error == "could not connect to the arXiv API" and not result.permanent


def test_an_unreadable_answer_is_not_mistaken_for_unknown_papers(server, fake, clock):
    fake.add(simple_paper("2104.14129"))
    fake.forced.extend([Reply(200, "<html>maintenance</html>")] * 5)
    results = fetch_all(make_fetcher(server, clock), [link("arxiv:2104.14129")])
    result = results["arxiv:2104.14129"]
    assert result.error == "the arXiv API sent an unreadable answer" and not result.permanent


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
    requests = [link("arxiv:2104.14129"), link("arxiv:2104.14129v1", version="1"),
                link("arxiv:2104.14129v2", version="2")]
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
    fake.add(Paper("cs/0112017", "2001-12-19T00:00:00Z", ["Some One"], ["cs.LO"],
                   [Version("An old paper", "Old.", "2001-12-19T00:00:00Z")]))
    fake.add(Paper("quant-ph/0201082", "2002-01-18T15:08:05Z", ["Stephen Blaha"], ["quant-ph", "cs.PL"],
                   [Version("Quantum Computers and Quantum Computer Languages", "  We show a representation.",
                            "2002-01-18T15:08:05Z", comment="32 pages")]))
    requests = [link("arxiv:cs/0112017"), link("arxiv:quant-ph/0201082v1", version="1")]
    results = fetch_all(make_fetcher(server, clock), requests)

    old = results["arxiv:cs/0112017"].record
    assert (old.id, old.version, old.title) == ("cs/0112017", 1, "An old paper")
    assert old.abs_url == "https://arxiv.org/abs/cs/0112017v1"
    pinned = results["arxiv:quant-ph/0201082v1"].record
    assert (pinned.id, pinned.version, pinned.primary_category) == ("quant-ph/0201082", 1, "quant-ph")
    assert pinned.abstract == "We show a representation."
    assert len(fake.asked) == 1


def test_the_same_link_twice_gets_one_result_per_request_from_one_lookup(server, fake, clock):
    fake.add(simple_paper("2104.14129"))
    fetcher = make_fetcher(server, clock)
    results = list(fetcher.fetch([link("arxiv:2104.14129"), link("arxiv:2104.14129")]))
    assert len(results) == 2 and all(r.ok for r in results)
    assert fake.asked == [["2104.14129"]]


# ---------------------------------------------------------------------------------------------
# The record


def test_the_record_is_complete_and_normalized(server, fake, clock):
    fake.add(Paper(
        id="2003.03033",
        published="2020-03-06T04:04:32Z",
        authors=["Mingbao Lin", " Rongrong  Ji "],
        categories=["cs.CV", "cs.LG"],
        versions=[Version(
            title="HRank: Filter Pruning using High-Rank\n  Feature Map",
            summary="  Neural network pruning offers a promising prospect.\nThe code is available at\n"
                    "https://github.com/lmbxmu/HRank.\n  A second paragraph.\n",
            updated="2020-03-16T09:10:11Z",
            comment="Accepted by CVPR 2020 (Oral). Code: github.com/lmbxmu/HRank",
            journal_ref="CVPR 2020, pp. 1529-1538",
            doi="10.1109/CVPR42600.2020.00160",
        )],
    ))
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


@pytest.mark.parametrize("text, expected", [
    ("Code is available at https://github.com/lmbxmu/HRank.", ["https://github.com/lmbxmu/HRank"]),
    ("code: github.com/foo/bar-baz", ["https://github.com/foo/bar-baz"]),
    ("(see https://www.github.com/Foo/bar.git).", ["https://github.com/Foo/bar"]),
    ("http://github.com/a/b, https://github.com/a/b/tree/main/src and github.com/A/B",
     ["https://github.com/a/b"]),
    ("repos https://github.com/x/one; https://github.com/y/two_2!", ["https://github.com/x/one", "https://github.com/y/two_2"]),
    ("https://github.com/mit-han-lab/once-for-all.", ["https://github.com/mit-han-lab/once-for-all"]),
    ("https://github.com/user/repo.js is a JS lib", ["https://github.com/user/repo.js"]),
    ("not a repo: https://github.com/orgs/pytorch or https://github.com/topics/ai", []),
    ("gist.github.com/a/b and user.github.io/project and notgithub.com/a/b", []),
    ("https://github.com/justanowner", []),
    ("", []),
    (None, []),
])
def test_find_code_urls(text, expected):
    assert find_code_urls(text) == expected


@pytest.mark.parametrize("comment, expected", [
    ("Accepted to CVPR 2020", "CVPR 2020"),
    ("CVPR2020 oral", "CVPR 2020"),
    ("NeurIPS 2021 camera-ready", "NeurIPS 2021"),
    ("ICLR 2022 (oral)", "ICLR 2022"),
    ("To appear in ECCV'20", "ECCV 2020"),
    ("ECCV 2020", "ECCV 2020"),
    ("Accepted at the ECCV 2020 Workshops", "ECCV 2020 Workshop"),
    ("Interspeech 2021, 5 pages", "Interspeech 2021"),
    ("MLSys 2020", "MLSys 2020"),
    ("Published at SysML 2019", "SysML 2019"),
    ("ICCV 2019", "ICCV 2019"),
    ("AAAI-21", "AAAI 2021"),
    ("IJCAI 2020", "IJCAI 2020"),
    ("Long paper at ACL 2020", "ACL 2020"),
    ("NAACL 2019", "NAACL 2019"),
    ("EMNLP 2020 Findings", "EMNLP 2020"),
    ("ICML 2019", "ICML 2019"),
    ("KDD '20", "KDD 2020"),
    ("WACV 2021", "WACV 2021"),
    ("BMVC 2019", "BMVC 2019"),
    ("In DAC 2020", "DAC 2020"),
    ("ISCA 2021", "ISCA 2021"),
    ("MICRO 2020", "MICRO 2020"),
    ("ASPLOS 2022", "ASPLOS 2022"),
    ("OSDI 2018", "OSDI 2018"),
    ("MobiSys 2021", "MobiSys 2021"),
    ("Accepted by ACM MobiCom 2020", "MobiCom 2020"),
    ("SenSys 2019", "SenSys 2019"),
    ("accepted to neurips 2020", "NeurIPS 2020"),
    ("20 pages, 3 figures", None),
    ("Accepted to ICCV", None),  # no year, no tag
    ("kept up to date 2021", None),
    ("micro-benchmarks from 2020", None),
    ("ICML 2019 and NeurIPS 2020", "ICML 2019"),
    ("", None),
    (None, None),
])
def test_venue_from_comment(comment, expected):
    assert venue_from_comment(comment) == expected


@pytest.mark.parametrize("text, expected", [
    ("2104.14129", ("2104.14129", None)),
    ("2104.14129v2", ("2104.14129", 2)),
    ("arxiv:1907.05550", ("1907.05550", None)),
    ("0704.0001", ("0704.0001", None)),
    ("cs/0112017", ("cs/0112017", None)),
    ("quant-ph/0201082v1", ("quant-ph/0201082", 1)),
    ("math.GT/0309136", ("math.GT/0309136", None)),
    ("abc", None),
    ("2104.141", None),
    ("2104.14129v", None),
    ("2104.14129v0", None),
    ("cs/011201", None),
    ("CS/0112017", None),
    ("2104.14129 ", ("2104.14129", None)),
])
def test_parse_arxiv_id(text, expected):
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("  a\n  b\tc  ", "a b c"),
    ("one", "one"),
    ("   ", None),
    (None, None),
])
def test_normalize_ws(text, expected):
    assert normalize_ws(text) == expected
