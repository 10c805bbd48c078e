"""Local stand-ins for the open web, the GitHub REST and GraphQL APIs and the arXiv API, for the benchmark:
one asyncio server per origin on 127.0.0.1 that answers every request after a fixed latency and
counts requests by kind, plus the generator of the links and pages they serve."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

LOOPBACK = "127.0.0.1"
Response = tuple[int, dict[str, str], bytes]

# ---------------------------------------------------------------------------------------------
# Content: deterministic from the path, so every run of the benchmark serves the same bytes.

_ACCOUNTS = ["嵌入式AI", "机器之心", "量子位", "新智元", "AI科技评论", "极市平台", "CVer", "PaperWeekly"]
_SITES = ["TechBlog", "Edge AI Notes", "Silicon Review", "Model Zoo Weekly", "Chip Insider"]
_SENTENCES_ZH = [
    "端侧推理的延迟主要取决于内存带宽而不是算力。",
    "这篇文章介绍了在移动端部署量化模型的完整流程。",
    "作者对比了三种剪枝方法在 ImageNet 上的精度损失。",
    "新发布的 NPU 支持 INT4 运算，能效比提升了一倍。",
    "编译器自动融合算子之后，模型的推理速度提升了百分之三十。",
    "团队开源了训练代码和预训练模型，欢迎大家试用。",
]
_SENTENCES_EN = [
    "On-device inference is bound by memory bandwidth more often than by compute.",
    "We walk through quantizing a detector to eight bits without losing accuracy.",
    "The new accelerator runs transformer blocks at a fraction of the power budget.",
    "Pruning channels by their contribution keeps the network dense and fast.",
    "Compilers that fuse operators remove most of the memory traffic between layers.",
]


def _rng(text: str) -> random.Random:
    return random.Random(hashlib.blake2b(text.encode(), digest_size=8).digest())


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=10).hexdigest() + '"'


FEED_EPOCH = time.time()  # the newest item of every feed: fresh (no silence warning), and one body a run


def feed_document(path: str, items: int) -> bytes:
    """An RSS 2.0 feed of `items` posts, as a bridge or a blog serves it (deterministic per path)."""
    rng = _rng(path)
    entries = []
    for i in range(items):
        title = rng.choice(_SENTENCES_ZH)[:20] if i % 2 else rng.choice(_SENTENCES_EN)[:60]
        link = f"https://feeds.example.org{path}/post/{i}"
        entries.append(
            f"<item><title>{escape(title)}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{formatdate(FEED_EPOCH - i * 3600, usegmt=True)}</pubDate>"
            f"<description>{escape('<p>' + ' '.join(rng.choices(_SENTENCES_EN, k=3)) + '</p>')}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed {escape(path)}</title>'
        f"<link>https://feeds.example.org{path}</link><description>bench</description>{''.join(entries)}"
        "</channel></rss>"
    ).encode()


def wechat_like_page(path: str) -> bytes:
    """A WeChat-style article (og: tags, rich_media markup, the account name, the `ct` time)."""
    rng = _rng(path)
    account = rng.choice(_ACCOUNTS)
    title = f"{rng.choice(['深度解读', '实测', '一文看懂', '重磅'])}：{rng.choice(_SENTENCES_ZH)[:18]}"
    paragraphs = "\n".join(f'<p style="margin:0 0 1em">{"".join(rng.choices(_SENTENCES_ZH, k=5))}</p>' for _ in range(9))
    description = rng.choice(_SENTENCES_ZH)
    created = 1_588_000_000 + rng.randrange(10_000_000)
    return f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1.0">
<title>{escape(title)}</title>
<meta name="description" content="{escape(description)}">
<meta property="og:title" content="{escape(title)}">
<meta property="og:site_name" content="微信公众平台">
<meta property="og:description" content="{escape(description)}">
<meta property="og:type" content="article">
<meta property="og:image" content="https://mmbiz.qpic.cn/mmbiz_jpg/{rng.randrange(10**9)}/0?wx_fmt=jpeg">
<meta name="author" content="{escape(account)}">
<link rel="stylesheet" href="/style.css">
<script>var ct = "{created}"; var nickname = "{escape(account)}";</script>
</head><body id="activity-detail" class="zh_CN">
<div class="rich_media_inner"><div id="page-content" class="rich_media_area_primary">
<h1 class="rich_media_title" id="activity-name">{escape(title)}</h1>
<div id="meta_content" class="rich_media_meta_list">
<span class="rich_media_meta rich_media_meta_text">{escape(account)}</span>
<a class="rich_media_meta rich_media_meta_link rich_media_meta_nickname" id="js_name">{escape(account)}</a>
<em id="publish_time" class="rich_media_meta rich_media_meta_text"></em>
</div>
<div class="rich_media_content" id="js_content">
{paragraphs}
</div></div></div>
</body></html>
""".encode()


def blog_page(path: str) -> bytes:
    """An ordinary English blog post with Open Graph, canonical link and an article date."""
    rng = _rng(path)
    site = rng.choice(_SITES)
    title = rng.choice(_SENTENCES_EN).rstrip(".")
    paragraphs = "\n".join(f"<p>{' '.join(rng.choices(_SENTENCES_EN, k=6))}</p>" for _ in range(8))
    published = f"2020-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T08:00:00Z"
    return f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>{escape(title)} | {escape(site)}</title>
<meta name="description" content="{escape(rng.choice(_SENTENCES_EN))}">
<meta property="og:title" content="{escape(title)}">
<meta property="og:site_name" content="{escape(site)}">
<meta property="og:type" content="article">
<meta property="article:published_time" content="{published}">
<meta name="author" content="Jane Doe">
<link rel="canonical" href="{escape(path)}">
</head><body>
<header><nav><a href="/">Home</a> <a href="/archive">Archive</a> <a href="/about">About</a></nav></header>
<main><article>
<h1>{escape(title)}</h1>
<p class="byline">By Jane Doe, <time datetime="{published}">{published[:10]}</time></p>
{paragraphs}
</article></main>
<footer><p>&copy; 2020 {escape(site)}</p></footer>
</body></html>
""".encode()


def repo_json(owner: str, name: str) -> dict:
    """`/repos/{owner}/{repo}` as GitHub answers it (the fields a client reads, in their shape)."""
    rng = _rng(f"{owner}/{name}")
    full = f"{owner}/{name}"
    api = f"https://api.github.com/repos/{full}"
    stars = rng.randrange(10, 50_000)
    return {
        "id": rng.randrange(10**8),
        "node_id": "R_kgDOB" + hashlib.md5(full.encode()).hexdigest()[:10],
        "name": name,
        "full_name": full,
        "private": False,
        "owner": {
            "login": owner,
            "id": rng.randrange(10**7),
            "url": f"https://api.github.com/users/{owner}",
            "html_url": f"https://github.com/{owner}",
            "type": "User",
            "site_admin": False,
        },
        "html_url": f"https://github.com/{full}",
        "description": rng.choice(_SENTENCES_EN),
        "fork": False,
        "url": api,
        "releases_url": f"{api}/releases{{/id}}",
        "created_at": "2019-03-01T10:00:00Z",
        "updated_at": "2020-05-20T10:00:00Z",
        "pushed_at": "2020-05-19T09:00:00Z",
        "homepage": None,
        "size": rng.randrange(100, 100_000),
        "stargazers_count": stars,
        "watchers_count": stars,
        "language": rng.choice(["Python", "C++", "C", "Cuda", "Jupyter Notebook"]),
        "forks_count": stars // 7,
        "archived": False,
        "disabled": False,
        "open_issues_count": rng.randrange(300),
        "license": {
            "key": "apache-2.0",
            "name": "Apache License 2.0",
            "spdx_id": "Apache-2.0",
            "url": "https://api.github.com/licenses/apache-2.0",
            "node_id": "MDc6TGljZW5zZTI=",
        },
        "topics": ["deep-learning", "edge-ai", "quantization"][: rng.randrange(4)],
        "visibility": "public",
        "forks": stars // 7,
        "open_issues": 12,
        "watchers": stars,
        "default_branch": "master",
        "network_count": stars // 7,
        "subscribers_count": stars // 50,
    }


def release_json(owner: str, name: str) -> dict | None:
    """`/repos/{o}/{r}/releases/latest`, or None for the third of repositories without a release."""
    rng = _rng(f"release {owner}/{name}")
    if rng.random() < 1 / 3:
        return None
    tag = f"v{rng.randrange(1, 4)}.{rng.randrange(10)}"
    base = f"https://api.github.com/repos/{owner}/{name}"
    return {
        "url": f"{base}/releases/1",
        "html_url": f"https://github.com/{owner}/{name}/releases/tag/{tag}",
        "id": rng.randrange(10**8),
        "tag_name": tag,
        "target_commitish": "master",
        "name": f"Release {tag}",
        "draft": False,
        "prerelease": False,
        "created_at": "2020-05-01T00:00:00Z",
        "published_at": "2020-05-02T00:00:00Z",
        "assets": [],
        "tarball_url": f"{base}/tarball/{tag}",
        "zipball_url": f"{base}/zipball/{tag}",
        "body": "Bug fixes.",
    }


def arxiv_entry(query_id: str) -> str:
    """One `<entry>` of the arXiv API's Atom feed for an id (with or without a version)."""
    base, _, version = query_id.partition("v")
    number = int(version) if version.isdigit() else 1
    rng = _rng(base)
    full = f"{base}v{number}"
    title = rng.choice(_SENTENCES_EN).rstrip(".")
    abstract = " ".join(rng.choices(_SENTENCES_EN, k=8))
    authors = "".join(f"\n    <author>\n      <name>Author {rng.randrange(1000)}</name>\n    </author>" for _ in range(3))
    return f"""  <entry>
    <id>http://arxiv.org/abs/{full}</id>
    <title>{escape(title)}</title>
    <updated>2020-05-12T17:59:59Z</updated>
    <link href="https://arxiv.org/abs/{full}" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/{full}" rel="related" type="application/pdf" title="pdf"/>
    <summary>{escape(abstract)} Code: https://github.com/example/{base.replace(".", "-")}</summary>
    <category term="cs.CV" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <published>2020-05-11T17:59:59Z</published>
    <arxiv:comment>Accepted to CVPR 2020</arxiv:comment>
    <arxiv:primary_category term="cs.CV"/>{authors}
  </entry>"""


def arxiv_feed(query: str, ids: list[str], start: int, per_page: int) -> bytes:
    entries = [arxiv_entry(i) for i in ids][start : start + per_page]
    return "\n".join(
        [
            "<?xml version='1.0' encoding='UTF-8'?>",
            '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
            'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">',
            "  <id>https://arxiv.org/api/benchfeed</id>",
            f"  <title>arXiv Query: {escape(query)}</title>",
            "  <updated>2020-05-20T00:00:00Z</updated>",
            f'  <link href="https://arxiv.org/api/query?{escape(query)}" type="application/atom+xml"/>',
            f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>",
            f"  <opensearch:totalResults>{len(ids)}</opensearch:totalResults>",
            f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
            *entries,
            "</feed>",
        ]
    ).encode()


# ---------------------------------------------------------------------------------------------
# Links: the sources file the benchmark hands to enrich.


@dataclass
class LinkSet:
    web: list[str] = field(default_factory=list)
    github: list[str] = field(default_factory=list)
    arxiv: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        # Interleaved, as an editor's file would be, so no stage sees its links only at the end.
        mixed = [("w", u) for u in self.web] + [("g", u) for u in self.github] + [("a", u) for u in self.arxiv]
        random.Random(7).shuffle(mixed)
        return [u for _, u in mixed]


def make_links(web: int, github: int, arxiv: int, web_ports: list[int], wechat_share: float) -> LinkSet:
    """`web` page URLs spread round-robin over the hosts (a `wechat_share` of them WeChat-like
    article URLs), `github` repository URLs and `arxiv` abstract URLs, all distinct."""
    links = LinkSet()
    wechat = round(web * wechat_share)
    for n in range(web):
        port = web_ports[n % len(web_ports)]
        if n < wechat:
            sn = hashlib.md5(str(n).encode()).hexdigest()
            links.web.append(f"http://{LOOPBACK}:{port}/s?__biz=MzI3MTA0MTk1MA==&mid={2247480000 + n}&idx=1&sn={sn}")
        else:
            links.web.append(f"http://{LOOPBACK}:{port}/2020/05/post-{n}.html?utm_source=digest")
    links.github = [f"https://github.com/bench-owner{n % 97}/repo-{n}" for n in range(github)]
    # New-style ids 2004.10000 ... : distinct, well formed, one paper each.
    links.arxiv = [f"https://arxiv.org/abs/{2004 + n // 90000}.{10000 + n % 90000}" for n in range(arxiv)]
    return links


def write_sources(path, links: LinkSet) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("# generated by bench/run_bench.py\n")
        for url in links.all():
            handle.write(url + "\n")


# ---------------------------------------------------------------------------------------------
# The servers.


class Farm:
    """All the fake origins, on one event loop in a background thread. `latency` may be changed
    between runs; `counts` holds requests by kind. Stops itself after `max_seconds`."""

    def __init__(self, hosts: int, latency: float, max_seconds: float = 1800.0):
        self.hosts = hosts
        self.latency = latency
        self.max_seconds = max_seconds
        self.counts: Counter[str] = Counter()
        self.web_ports: list[int] = []
        self.api_port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bench-servers", daemon=True)

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> Farm:
        self._thread.start()
        if not self._ready.wait(30) or self._error:
            raise RuntimeError(f"the local servers did not start: {self._error}")
        return self

    def __exit__(self, *exc_info) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def reset_counts(self) -> None:
        self.counts = Counter()

    @property
    def api_base(self) -> str:
        return f"http://{LOOPBACK}:{self.api_port}"

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported by __enter__
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        servers = []
        for _ in range(self.hosts):
            server = await asyncio.start_server(self._connection(self._web), LOOPBACK, 0, backlog=4096)
            servers.append(server)
            self.web_ports.append(server.sockets[0].getsockname()[1])
        api = await asyncio.start_server(self._connection(self._api), LOOPBACK, 0, backlog=4096)
        servers.append(api)
        self.api_port = api.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await asyncio.wait_for(self._stop.wait(), self.max_seconds)
        except TimeoutError:
            pass  # bounded: the farm never outlives a forgotten benchmark
        for server in servers:
            server.close()
        for server in servers:
            await server.wait_closed()

    # -- HTTP/1.1 with keep-alive, just enough for httpx, requests and urllib3 ----------------------

    def _connection(self, app: Callable[[str, dict[str, str], bytes], tuple[str, Response]]):
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                for _ in range(100_000):  # requests on one connection, bounded
                    line = await reader.readline()
                    if not line.strip():
                        break
                    method, target, version = line.decode("latin-1").split(" ", 2)
                    headers: dict[str, str] = {}
                    for _ in range(200):
                        raw = await reader.readline()
                        if raw in (b"\r\n", b"\n", b""):
                            break
                        name, _, value = raw.decode("latin-1").partition(":")
                        headers[name.strip().lower()] = value.strip()
                    length = int(headers.get("content-length") or 0)
                    payload = await reader.readexactly(length) if length else b""
                    kind, (status, out_headers, body) = app(target, headers, payload)
                    self.counts[kind] += 1
                    if self.latency > 0:
                        await asyncio.sleep(self.latency)
                    keep_alive = version.strip() == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                    head = [
                        f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}",
                        f"Date: {formatdate(usegmt=True)}",
                        f"Content-Length: {len(body) if method != 'HEAD' else 0}",
                        f"Connection: {'keep-alive' if keep_alive else 'close'}",
                    ]
                    head += [f"{k}: {v}" for k, v in out_headers.items()]
                    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
                    if method != "HEAD":
                        writer.write(body)
                    await writer.drain()
                    if not keep_alive:
                        break
            except (ConnectionError, asyncio.IncompleteReadError, ValueError, UnicodeError):
                pass
            except asyncio.CancelledError:
                pass  # the farm is stopping with this keep-alive connection still open
            finally:
                writer.close()

        return handle

    # -- the applications -----------------------------------------------------------------------

    def _web(self, target: str, headers: dict[str, str], payload: bytes) -> tuple[str, Response]:
        path = urlsplit(target).path
        if path.startswith("/feed/"):
            items = int(parse_qs(urlsplit(target).query).get("items", ["100"])[0])
            body = feed_document(path, items)
            etag = _etag(body)
            if headers.get("if-none-match") == etag:
                return "feed-304", (304, {"ETag": etag}, b"")
            return "feed", (200, {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": etag}, body)
        if path.startswith("/s"):
            body = wechat_like_page(target)
        elif path.startswith("/20"):
            body = blog_page(target)
        else:
            return "web-other", (404, {"Content-Type": "text/html"}, b"<html><body>not found</body></html>")
        etag = _etag(body)
        out = {
            "Content-Type": "text/html; charset=utf-8",
            "ETag": etag,
            "Last-Modified": "Wed, 20 May 2020 08:00:00 GMT",
            "Cache-Control": "max-age=600",
        }
        if headers.get("if-none-match") == etag:
            return "web-304", (304, out, b"")
        return "web", (200, out, body)

    def _api(self, target: str, headers: dict[str, str], payload: bytes) -> tuple[str, Response]:
        parts = urlsplit(target)
        if parts.path in ("/graphql", "/api/graphql"):
            return "github-graphql", graphql_answer(headers, payload)
        path = parts.path.removeprefix("/api/v3")
        if path == "/api/query":
            query = parse_qs(parts.query)
            ids = [i for i in (query.get("id_list", [""])[0]).split(",") if i]
            start = int(query.get("start", ["0"])[0])
            per_page = int(query.get("max_results", ["10"])[0])
            body = arxiv_feed(parts.query, ids, start, per_page)
            return "arxiv", (200, {"Content-Type": "application/atom+xml; charset=UTF-8"}, body)
        segments = path.strip("/").split("/")
        if len(segments) >= 3 and segments[0] == "repos":
            owner, name = segments[1], segments[2]
            if len(segments) == 3:
                return self._github(headers, "github-repo", json.dumps(repo_json(owner, name)).encode())
            if segments[3:] == ["readme"]:
                return self._github(headers, "github-readme", readme_text(owner, name).encode())
            if segments[3:] == ["releases", "latest"]:
                release = release_json(owner, name)
                if release is None:
                    body = b'{"message":"Not Found","documentation_url":"https://docs.github.com/rest/releases/releases#get-the-latest-release","status":"404"}'
                    return "github-release", (404, _github_headers(), body)
                return self._github(headers, "github-release", json.dumps(release).encode())
        return "api-other", (404, _github_headers(), b'{"message":"Not Found"}')

    def _github(self, headers: dict[str, str], kind: str, body: bytes) -> tuple[str, Response]:
        etag = "W/" + _etag(body)
        out = _github_headers(ETag=etag, **{"Last-Modified": "Wed, 20 May 2020 10:00:00 GMT"})
        if headers.get("if-none-match") == etag:
            return "github-304", (304, out, b"")
        return kind, (200, out, body)


def _github_headers(**extra: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "Server": "github.com",
        "Cache-Control": "public, max-age=60, s-maxage=60",
        "Vary": "Accept, Accept-Encoding",
        "X-GitHub-Media-Type": "github.v3; format=json",
        "X-RateLimit-Limit": "5000",
        "X-RateLimit-Remaining": "4999",
        "X-RateLimit-Used": "1",
        "X-RateLimit-Resource": "core",
        "X-RateLimit-Reset": str(int(time.time()) + 3600),
        **extra,
    }


_REASONS = {200: "OK", 304: "Not Modified", 401: "Unauthorized", 404: "Not Found"}


# ---------------------------------------------------------------------------------------------
# GitHub GraphQL: the same repositories as REST, in the API's shape, one point a query.

_ALIAS = re.compile(r"(\w+): repository\(owner: \$(\w+), name: \$(\w+)\)")
_BLOB = re.compile(r'(\w+): object\(expression: "HEAD:([^"]+)"\)')


def readme_text(owner: str, name: str) -> str:
    """A README the way projects write them: a heading, badges, the description, then usage."""
    rng = _rng(f"readme {owner}/{name}")
    badges = " ".join(
        f"[![{b}](https://img.shields.io/badge/{b}-ok-green)](https://example.com/{b})" for b in ("build", "pypi", "license")
    )
    usage = "\n".join(f"- {s}" for s in rng.choices(_SENTENCES_EN, k=6))
    return (
        f"# {name}\n\n{badges}\n\n{' '.join(rng.choices(_SENTENCES_EN, k=3))}\n\n## Install\n\n"
        f"```bash\npip install {name}\n```\n\n## Features\n\n{usage}\n"
    )


def graphql_node(owner: str, name: str, fragment: str) -> dict:
    rest = repo_json(owner, name)
    release = release_json(owner, name)
    node = {
        "nameWithOwner": rest["full_name"],
        "url": rest["html_url"],
        "description": rest["description"],
        "homepageUrl": rest["homepage"],
        "stargazerCount": rest["stargazers_count"],
        "forkCount": rest["forks_count"],
        "isArchived": rest["archived"],
        "isDisabled": rest["disabled"],
        "createdAt": rest["created_at"],
        "pushedAt": rest["pushed_at"],
        "updatedAt": rest["updated_at"],
        "primaryLanguage": {"name": rest["language"]},
        "licenseInfo": {"spdxId": rest["license"]["spdx_id"]},
        "repositoryTopics": {"nodes": [{"topic": {"name": t}} for t in rest["topics"]]},
        "latestRelease": None
        if release is None
        else {"tagName": release["tag_name"], "name": release["name"], "publishedAt": release["published_at"]},
    }
    picked = {k: v for k, v in node.items() if re.search(rf"\b{k}\b", fragment)}
    for alias, path in _BLOB.findall(fragment):
        picked[alias] = {"text": readme_text(owner, name)} if path == "README.md" else None
    return picked


def graphql_answer(headers: dict[str, str], payload: bytes) -> Response:
    if not headers.get("authorization"):
        return 401, _github_headers(), b'{"message":"This endpoint requires you to be authenticated."}'
    request = json.loads(payload)
    query, variables = request["query"], request.get("variables") or {}
    fragment = query.split("fragment Repo on Repository", 1)[-1]
    data: dict = {alias: graphql_node(variables[o], variables[n], fragment) for alias, o, n in _ALIAS.findall(query)}
    reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    data["rateLimit"] = {"cost": 1, "remaining": 4999, "resetAt": reset}
    return 200, _github_headers(**{"X-RateLimit-Resource": "graphql"}), json.dumps({"data": data}).encode()
