"""Feed documents written for the tests, in the shapes real sources publish: RSS 2.0, Atom, JSON
Feed 1.1, arXiv's listing RSS (with arxiv:announce_type), GitHub's releases Atom and an
RSSHub-style WeChat bridge feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

WHEN = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def rfc822(when: datetime = WHEN) -> str:
    return format_datetime(when)


def rss2(items: list[tuple[str, str]], *, title: str = "Example blog", when: datetime = WHEN) -> str:
    """items: (title, link)."""
    body = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(u)}</link><guid>{escape(u)}</guid>"
        f"<pubDate>{rfc822(when)}</pubDate><description>&lt;p&gt;About {escape(t)}.&lt;/p&gt;</description></item>"
        for t, u in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://blog.example.org/</link><description>d</description>"
        f"{body}</channel></rss>"
    )


def atom(items: list[tuple[str, str]], *, title: str = "Example Atom", when: datetime = WHEN) -> str:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = "".join(
        f'<entry><title>{escape(t)}</title><link rel="alternate" href="{escape(u)}"/><id>tag:example.org,2026:{i}</id>'
        f"<updated>{stamp}</updated><summary>About {escape(t)}</summary><author><name>Li Lei</name></author></entry>"
        for i, (t, u) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>tag:example.org,2026:feed</id><updated>{stamp}</updated>{body}</feed>"
    )


def json_feed(items: list[tuple[str, str]], *, version: str = "https://jsonfeed.org/version/1.1") -> str:
    return json.dumps(
        {
            "version": version,
            "title": "Example JSON Feed",
            "items": [
                {
                    "id": f"item-{i}",
                    "url": u,
                    "title": t,
                    "content_html": f"<p>About {t}</p>",
                    "date_published": WHEN.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "authors": [{"name": "Han Meimei"}],
                }
                for i, (t, u) in enumerate(items)
            ],
        },
        ensure_ascii=False,
    )


def arxiv_listing(papers: list[tuple[str, str, str]], *, category: str = "cs.LG") -> str:
    """papers: (arXiv id with version, title, announce type). No papers: the weekend's empty listing."""
    body = "".join(
        f"<item><title>{escape(t)}</title><link>https://arxiv.org/abs/{pid.split('v')[0]}</link>"
        f"<description>arXiv:{pid} Announce Type: {kind} \nAbstract: We study {escape(t)}.</description>"
        f'<guid isPermaLink="false">oai:arXiv.org:{pid}</guid><category>{category}</category>'
        f"<pubDate>{rfc822()}</pubDate><arxiv:announce_type>{kind}</arxiv:announce_type>"
        f"<dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights><dc:creator>A. Author, B. Author</dc:creator></item>"
        for pid, t, kind in papers
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">'
        f"<channel><title>{category} updates on arXiv.org</title><link>http://rss.arxiv.org/rss/{category}</link>"
        f"<description>{category} updates on the arXiv.org e-print archive.</description>"
        f'<atom:link href="https://rss.arxiv.org/rss/{category}" rel="self" type="application/rss+xml"/>'
        f"<language>en-us</language><lastBuildDate>{rfc822()}</lastBuildDate>"
        "<skipDays><day>Saturday</day><day>Sunday</day></skipDays>"
        f"{body}</channel></rss>"
    )


def github_releases(repo: str, tags: list[str]) -> str:
    stamp = WHEN.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = "".join(
        f"<entry><id>tag:github.com,2008:Repository/123/{tag}</id><updated>{stamp}</updated>"
        f'<link rel="alternate" type="text/html" href="https://github.com/{repo}/releases/tag/{tag}"/>'
        f'<title>{tag}</title><content type="html">&lt;p&gt;Release notes of {tag}&lt;/p&gt;</content>'
        f"<author><name>maintainer</name></author></entry>"
        for tag in tags
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:media="http://search.yahoo.com/mrss/" xml:lang="en-US">'
        f"<id>tag:github.com,2008:https://github.com/{repo}/releases</id>"
        f'<link type="text/html" rel="alternate" href="https://github.com/{repo}/releases"/>'
        f"<title>Release notes from {repo.split('/')[1]}</title><updated>{stamp}</updated>{body}</feed>"
    )


def wechat_bridge(account: str, articles: list[tuple[str, str]]) -> str:
    """An RSSHub-style feed of a WeChat account: CDATA descriptions, article links with tracking."""
    body = "".join(
        f'<item><title><![CDATA[{t}]]></title><description><![CDATA[<p>{t}的正文摘要。</p><img src="x.png">]]></description>'
        f'<pubDate>{rfc822()}</pubDate><guid isPermaLink="false">{escape(u)}</guid><link>{escape(u)}</link>'
        f"<author><![CDATA[{account}]]></author></item>"
        for t, u in articles
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0"><channel>'
        f"<title><![CDATA[{account}]]></title><link>https://rsshub.example.net/wechat/mp/{account}</link>"
        "<description><![CDATA[Made with love by RSSHub]]></description><generator>RSSHub</generator>"
        f"<ttl>5</ttl><lastBuildDate>{rfc822()}</lastBuildDate>{body}</channel></rss>"
    )


def wechat_url(n: int) -> str:
    return (
        f"https://mp.weixin.qq.com/s?__biz=MzA3MzI4MjgzMw==&mid=26508{n:05d}&idx=1&sn=abcdef{n:04d}"
        f"&chksm=84e2a7b5&scene=21#wechat_redirect"
    )
