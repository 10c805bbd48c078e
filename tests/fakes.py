"""Fake arXiv and GitHub APIs for tests: answers in the real formats (arXiv's Atom feed, GitHub's
REST JSON and headers, GitHub's GraphQL answers), written for this project in the shape of
recorded exchanges."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from tests.localserver import Reply, Request, hang

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
    return "\n".join(
        [
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
        ]
    )


def error_xml(bad: str) -> str:
    anchor = "incorrect_id_format_for_" + bad
    return "\n".join(
        [
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
        ]
    )


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
        return Reply(200, feed_xml(title, entries[start : start + page], len(entries), start, page), ATOM)


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
        versions=[
            Version(
                title=title or f"Paper {paper_id}",
                summary=f"Abstract of {paper_id}.",
                updated="2021-04-29T06:43:07Z",
                **version_fields,
            )
        ],
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


# ---------------------------------------------------------------------------------------------
# GitHub GraphQL: `POST /graphql` answered the way api.github.com answers it. Every query gets
# `data` with one entry per alias (null for a repository that cannot be read, with an entry in
# `errors` that has `type`, `path`, `locations` and `message`), `rateLimit` when asked for, and
# whole-query failures in GitHub's forms (502 with an HTML body, MAX_NODE_LIMIT_EXCEEDED with no
# `data`, RATE_LIMITED when the points are spent).

_ALIAS = re.compile(r"(\w+): repository\(owner: \$(\w+), name: \$(\w+)\) \{ \.\.\.Repo(?: tagged: release\(tagName: \$(\w+)\))?")
_OBJECT = re.compile(r'(\w+): object\(expression: "HEAD:([^"]+)"\)')


def gql_repo(full_name: str, **overrides) -> dict:
    """A `repository` node as GitHub's GraphQL API gives it (every field the fetcher may ask for)."""
    node = {
        "nameWithOwner": full_name,
        "url": f"https://github.com/{full_name}",
        "description": "Typed interactions with the GitHub API v3",
        "homepageUrl": "https://pygithub.readthedocs.io/",
        "stargazerCount": 7701,
        "forkCount": 1874,
        "isArchived": False,
        "isDisabled": False,
        "createdAt": "2012-02-25T12:53:47Z",
        "pushedAt": "2026-04-14T07:25:38Z",
        "updatedAt": "2026-04-24T00:49:07Z",
        "primaryLanguage": {"name": "Python"},
        "licenseInfo": {"spdxId": "LGPL-3.0"},
        "repositoryTopics": {"nodes": [{"topic": {"name": t}} for t in ("github", "github-api", "python")]},
        "latestRelease": {"tagName": "v2.10.0", "name": "v2.10.0", "publishedAt": "2026-04-01T10:00:00Z"},
    }
    node.update(overrides)
    return node


@dataclass
class FakeGraphQL:
    """Repositories by current name; `renamed` maps an old lower-case name to the current one;
    `blocked` (lower case) are repositories GitHub withholds. `max_aliases`: a larger query fails
    whole, as `heavy` says (502 or a node limit). Points start at `points`, one spent a query."""

    repos: dict[str, dict] = field(default_factory=dict)
    files: dict[str, dict[str, str]] = field(default_factory=dict)  # lower name -> path -> text
    releases: dict[str, list[dict]] = field(default_factory=dict)  # lower name -> release nodes
    renamed: dict[str, str] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)
    denied: dict[str, str] = field(default_factory=dict)  # lower name -> FORBIDDEN message
    points: int = 5000
    reset: int = NOW + 3000
    max_aliases: int | None = None
    heavy: str = "502"
    forced: list[Reply] = field(default_factory=list)
    asked: list[list[str]] = field(default_factory=list)  # the requested names of every query
    clock: FakeClock | None = None  # when given, the budget refills at `reset`, as GitHub's does

    def _refill(self) -> None:
        if self.clock is not None and self.clock.now >= self.reset:
            self.points, self.reset = 5000, self.reset + 3600

    def add(self, full_name: str, readme: str | None = None, readme_path: str = "README.md", **overrides) -> dict:
        self.repos[full_name.lower()] = gql_repo(full_name, **overrides)
        if readme is not None:
            self.files.setdefault(full_name.lower(), {})[readme_path] = readme
        return self.repos[full_name.lower()]

    def _headers(self) -> dict[str, str]:
        return gh_headers(remaining=self.points, reset=self.reset) | {"X-RateLimit-Resource": "graphql"}

    def __call__(self, req: Request) -> Reply:
        if not req.headers.get("authorization", "").startswith(("token ", "bearer ", "Bearer ")):
            body = {
                "message": "This endpoint requires you to be authenticated.",
                "documentation_url": "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql",
            }
            return Reply(401, json.dumps(body), gh_headers())
        payload = json.loads(req.body)
        query, variables = payload["query"], payload.get("variables") or {}
        aliases = _ALIAS.findall(query)
        self.asked.append([f"{variables[o]}/{variables[n]}" for _, o, n, _ in aliases])
        if self.forced:
            return self.forced.pop(0)
        if self.max_aliases is not None and len(aliases) > self.max_aliases:
            if self.heavy == "timeout":
                return Reply(raw=hang(1.5))  # past the client's 1 s timeout: no answer at all
            if self.heavy == "502":
                return Reply(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", {"Content-Type": "text/html"})
            message = (
                f"By the time this query traverses to the nodes connection, it is requesting up to "
                f"{len(aliases) * 250_000:,} possible nodes which exceeds the maximum limit of 500,000."
            )
            return Reply(200, json.dumps({"errors": [{"type": "MAX_NODE_LIMIT_EXCEEDED", "message": message}]}), self._headers())
        cost = 1
        self._refill()
        if self.points < cost:
            errors = [{"type": "RATE_LIMITED", "message": "API rate limit already exceeded for user ID 1."}]
            return Reply(200, json.dumps({"errors": errors}), gh_headers(remaining=0, reset=self.reset))
        self.points -= cost
        data: dict = {}
        errors: list[dict] = []
        lines = query.split("\n")
        for name, owner_var, name_var, tag_var in aliases:
            requested = f"{variables[owner_var]}/{variables[name_var]}"
            line = next(i for i, text in enumerate(lines, 1) if text.lstrip().startswith(f"{name}:"))
            where = {"path": [name], "locations": [{"line": line, "column": 3}]}
            current = self.renamed.get(requested.lower(), requested).lower()
            if current in self.blocked:
                data[name] = None
                errors.append({"type": "FORBIDDEN", **where, "message": "Repository access blocked"})
                continue
            if current in self.denied:
                data[name] = None
                errors.append({"type": "FORBIDDEN", **where, "message": self.denied[current]})
                continue
            node = self.repos.get(current)
            if node is None:
                data[name] = None
                errors.append(
                    {"type": "NOT_FOUND", **where, "message": f"Could not resolve to a Repository with the name '{requested}'."}
                )
                continue
            data[name] = self._select(query, node, current, variables.get(tag_var) if tag_var else None)
        if "rateLimit" in query:
            reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.reset))
            data["rateLimit"] = {"cost": cost, "remaining": self.points, "resetAt": reset}
        body = {"data": data, "errors": errors} if errors else {"data": data}
        return Reply(200, json.dumps(body), self._headers())

    def _select(self, query: str, node: dict, name: str, tag: str | None) -> dict:
        """Only the fields the query names, so a field the fetcher forgets is missing here too."""
        fragment = query.split("fragment Repo on Repository", 1)[-1]
        picked = {k: v for k, v in node.items() if re.search(rf"\b{k}\b", fragment)}
        for field_alias, path in _OBJECT.findall(fragment):
            text = self.files.get(name, {}).get(path)
            picked[field_alias] = {"text": text} if text is not None else None
        if tag is not None:
            found = [r for r in self.releases.get(name, []) if r["tagName"] == tag]
            picked["tagged"] = found[0] if found else None
        return picked
