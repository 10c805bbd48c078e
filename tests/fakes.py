"""Fake arXiv and GitHub APIs for tests: answers in the real formats (arXiv's Atom feed, GitHub's
REST JSON and headers), written for this project in the shape of recorded exchanges."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

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


def entry_xml(paper: Paper, number: int) -> str:
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


def feed_xml(query_title: str, entries: list[str], total: int, start: int, per_page: int) -> str:
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


def error_xml(bad: str) -> str:
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
                return Reply(400, error_xml(wanted), ATOM)
        entries = []
        for wanted in ids:
            base, _, number = wanted.partition("v") if "/" not in wanted else _split_old(wanted)
            paper = self.papers.get(base)
            if paper is None:
                continue  # the real API leaves unknown ids out
            n = int(number) if number else len(paper.versions)
            if 1 <= n <= len(paper.versions):
                entries.append(entry_xml(paper, n))
        start, page = int(req.param("start", "0")), int(req.param("max_results", "10"))
        title = f"search_query=&id_list={','.join(ids)}&start={start}&max_results={page}"
        return Reply(200, feed_xml(title, entries[start:start + page], len(entries), start, page), ATOM)


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


# ---------------------------------------------------------------------------------------------
# GitHub REST

NOW = 1_777_000_000  # the fake wall clock (2026-04-24 03:06:40 UTC)
TOKEN = "ghp_s3cretT0kenThatMustNeverLeak0123456789"


def repo_json(full_name: str, repo_id: int = 3544490, **overrides) -> dict:
    owner, name = full_name.split("/")
    api = f"https://api.github.com/repos/{full_name}"
    data = {
        "id": repo_id,
        "node_id": "MDEwOlJlcG9zaXRvcnkzNTQ0NDkw",
        "name": name,
        "full_name": full_name,
        "private": False,
        "owner": {
            "login": owner,
            "id": 11288996,
            "url": f"https://api.github.com/users/{owner}",
            "html_url": f"https://github.com/{owner}",
            "type": "Organization",
            "site_admin": False,
        },
        "html_url": f"https://github.com/{full_name}",
        "description": "Typed interactions with the GitHub API v3",
        "fork": False,
        "url": api,
        "releases_url": f"{api}/releases{{/id}}",
        "created_at": "2012-02-25T12:53:47Z",
        "updated_at": "2026-04-24T00:49:07Z",
        "pushed_at": "2026-04-14T07:25:38Z",
        "homepage": "https://pygithub.readthedocs.io/",
        "size": 21449,
        "stargazers_count": 7701,
        "watchers_count": 7701,
        "language": "Python",
        "forks_count": 1874,
        "archived": False,
        "disabled": False,
        "open_issues_count": 393,
        "license": {
            "key": "lgpl-3.0",
            "name": "GNU Lesser General Public License v3.0",
            "spdx_id": "LGPL-3.0",
            "url": "https://api.github.com/licenses/lgpl-3.0",
        },
        "topics": ["github", "github-api", "pygithub", "python"],
        "visibility": "public",
        "forks": 1874,
        "watchers": 7701,
        "default_branch": "main",
        "network_count": 1874,
        "subscribers_count": 110,
    }
    data.update(overrides)
    return data


def release_json(full_name: str, tag: str = "v1.0", name: str | None = "Test") -> dict:
    return {
        "url": f"https://api.github.com/repos/{full_name}/releases/28524234",
        "html_url": f"https://github.com/{full_name}/releases/tag/{tag}",
        "id": 28524234,
        "tag_name": tag,
        "target_commitish": "master",
        "name": name,
        "draft": False,
        "prerelease": False,
        "created_at": "2020-07-12T07:34:42Z",
        "published_at": "2020-07-14T00:58:20Z",
        "assets": [],
        "tarball_url": f"https://api.github.com/repos/{full_name}/tarball/{tag}",
        "zipball_url": f"https://api.github.com/repos/{full_name}/zipball/{tag}",
        "body": "Body",
    }


def gh_headers(remaining: int = 4783, reset: int = NOW + 3000, **extra: str) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Server": "github.com",
        "X-GitHub-Media-Type": "github.v3; format=json",
        "X-RateLimit-Limit": "5000",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Used": str(5000 - remaining),
        "X-RateLimit-Resource": "core",
        "X-RateLimit-Reset": str(reset),
    }
    headers.update({k.replace("_", "-"): v for k, v in extra.items()})
    return headers


def ok(data: dict, **headers: str) -> Reply:
    return Reply(200, json.dumps(data), gh_headers(**headers))


def error(status: int, message: str, remaining: int = 4783, reset: int = NOW + 3000, **extra: str) -> Reply:
    body = {"message": message, "documentation_url": "https://docs.github.com/rest"}
    return Reply(status, json.dumps(body), gh_headers(remaining=remaining, reset=reset, **extra))
