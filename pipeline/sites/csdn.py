"""CSDN blog posts (blog.csdn.net) and news articles (www.csdn.net): headline, author, publication time."""

from __future__ import annotations

import re

from pipeline.sites.common import CHINA_TZ, ParsedPage, clean_text, js_var, to_iso_date
from pipeline.textblocks import node_paragraphs

HOSTS = ("csdn.net",)
BLOG_NAME = "CSDN博客"
SITE_NAME = "CSDN"

# "文章浏览阅读1.3w次，点赞40次，收藏98次。" is a view-count prefix, not part of the excerpt.
_COUNTS_PREFIX = re.compile(r"^文章浏览阅读[^。]*。\s*")
_TITLE_SUFFIX = re.compile(r"(?:_[^_]*)?-CSDN博客$")
_NEWS_FIELD = re.compile(r"(发表于|来源|作者)\s*$")


def recognizes(page: ParsedPage) -> bool:
    """A CSDN blog post saved or served under another address."""
    # The head names CSDN (styles, scripts); checking it first spares a scan of every other page.
    return "csdn" in page.text[:20000].lower() and page.tree.css_first("h1#articleContentId") is not None


def _pub_date(page: ParsedPage) -> str | None:
    """The Baidu "cambrian" JSON-LD pubDate; the visible "于 … 发布" time is the last update."""
    for obj in page.json_ld:
        if isinstance(obj.get("pubDate"), str):
            return to_iso_date(obj["pubDate"], CHINA_TZ)
    return None


def _news_bar(page: ParsedPage) -> dict[str, str]:
    """The news page's "发表于 <time> | 来源 <source> | 作者 <name>" bar, label -> value."""
    found: dict[str, str] = {}
    bar = page.tree.css_first("div.tit_bar")
    if bar is None:
        return found
    for span in bar.css("span.ago"):
        previous = span.prev
        label_text = ""
        while previous is not None and not label_text.strip():
            label_text = (previous.text_content if previous.tag == "-text" else previous.text()) or ""
            previous = previous.prev
        label = _NEWS_FIELD.search(label_text)
        value = clean_text(span.text())
        if label and value:
            found[label.group(1)] = value
    return found


def extract(page: ParsedPage) -> dict[str, str | None]:
    """The blog's own markup and JS variables; news pages give author and time only in their info bar."""
    text = page.text
    if page.host == "blog.csdn.net" or page.tree.css_first("h1#articleContentId") is not None:
        title = page.select_text("h1#articleContentId") or clean_text(
            js_var(text, r"(?<![\w$.])", "var articleTitle", r"\s*=\s*{s}")
        )
        if not title and page.title_tag:
            title = clean_text(_TITLE_SUFFIX.sub("", page.title_tag))
        author = clean_text(js_var(text, r"(?<![\w$.])", "var nickName", r"\s*=\s*{s}")) or page.select_text(".follow-nickName")
        if not author:
            node = page.tree.css_first("#uid")
            author = clean_text(node.attributes.get("title")) if node is not None else None
        description = page.first_meta("description")
        return {
            "title": title,
            "site_name": BLOG_NAME,
            "author": author,
            "published": _pub_date(page),
            "description": clean_text(_COUNTS_PREFIX.sub("", description)) if description else None,
            "language": page.lang or "zh-CN",
        }
    bar = _news_bar(page)
    return {
        "title": page.select_text("h1.title"),
        "site_name": SITE_NAME,
        # meta author is "CSDN.NET" on every news page: the site, not the writer.
        "author": bar.get("作者"),
        "published": to_iso_date(bar.get("发表于"), CHINA_TZ),
        "language": page.lang or "zh-CN",
    }


# --- main text --------------------------------------------------------------------------------

# Code blocks carry their line numbers and a copy button as separate elements.
_CODE_CHROME = ".pre-numbering, .hljs-button, .code-copy, .signin"


def article_text(page: ParsedPage) -> list[str] | None:
    """The post's paragraphs (`#content_views`, or a news page's `.news_content`)."""
    node = page.tree.css_first("#content_views") or page.tree.css_first(".news_content")
    if node is None:
        return None
    for chrome in node.css(_CODE_CHROME):
        chrome.decompose()
    return node_paragraphs(node)
