"""cnblogs (博客园) posts: post title, blog name as author, publication time, and a usable excerpt."""

from __future__ import annotations

import re

from pipeline.sites.common import CHINA_TZ, ParsedPage, clean_text, to_iso_date
from pipeline.textblocks import node_paragraphs

HOSTS = ("cnblogs.com",)
SITE_NAME = "博客园"

# A post that opens with a code block gets its line numbers as og:description: "1 2 3 4 5 …".
_LINE_NUMBERS = re.compile(r"^\s*1\s+2\s+3(\s+\d+)*\b")
_TITLE_PARTS = re.compile(r"^(?P<post>.+?) - (?P<blog>[^-]+?) - 博客园$")


def recognizes(page: ParsedPage) -> bool:
    """A cnblogs post saved or served under another address."""
    # The head names cnblogs (styles, scripts); checking it first spares a scan of every other page.
    return "cnblogs" in page.text[:20000] and page.tree.css_first("#cb_post_title_url, a.postTitle2") is not None


def extract(page: ParsedPage) -> dict[str, str | None]:
    """Fields from the post's markup; the <title> is "<post> - <blog> - 博客园"."""
    parts = _TITLE_PARTS.match(page.title_tag or "")
    title = (
        page.select_text("#cb_post_title_url")
        or page.select_text("a.postTitle2")
        or (clean_text(parts.group("post")) if parts else None)
    )
    # The blog's name is what readers know the author by; the first <h1> links it.
    author = page.select_text("#Header1_HeaderTitle") or (clean_text(parts.group("blog")) if parts else None)
    published = None
    node = page.tree.css_first("span#post-date")
    if node is not None:
        published = to_iso_date(node.text(), CHINA_TZ)
    if published is None:
        link = page.tree.css_first("#cb_post_title_url")
        stamp = link.attributes.get("title") if link is not None else None
        published = to_iso_date((stamp or "").replace("发布于", "").strip(), CHINA_TZ)
    description = page.first_meta("og:description") or page.first_meta("description")
    if description and _LINE_NUMBERS.match(description):
        description = ""  # known to be no excerpt: keeps the generic rules from using it
    return {
        "title": title,
        "site_name": SITE_NAME,
        "author": author,
        "published": published,
        "description": description,
        "language": page.lang or "zh-CN",
    }


# --- main text --------------------------------------------------------------------------------

_CODE_CHROME = ".cnblogs_code_toolbar, .cnblogs_code_copy, .code-line-number"


def article_text(page: ParsedPage) -> list[str] | None:
    """The post's paragraphs (`#cnblogs_post_body`)."""
    node = page.tree.css_first("#cnblogs_post_body")
    if node is None:
        return None
    for chrome in node.css(_CODE_CHROME):
        chrome.decompose()
    return node_paragraphs(node)
