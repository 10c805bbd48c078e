"""好奇心日报 (qdaily.com) articles: headline, author and time from the article header, not the teaser grid."""

from __future__ import annotations

import re

from pipeline.sites.common import CHINA_TZ, ParsedPage, clean_text, to_iso_date

HOSTS = ("qdaily.com",)
SITE_NAME = "好奇心日报"

_TITLE_SUFFIX = re.compile(r"_[^_]*_好奇心日报$|_好奇心日报$")


def recognizes(page: ParsedPage) -> bool:
    """A qdaily article saved or served under another address."""
    return (page.title_tag or "").endswith("_好奇心日报") and page.tree.css_first(".article-detail-bd") is not None


def extract(page: ParsedPage) -> dict[str, str | None]:
    """Fields of the article's own header; the page also lists dated teasers in grids and the sidebar."""
    title = page.select_text(".category-title h2.title") or page.select_text(".article-detail-hd h2.title")
    if not title and page.title_tag:
        title = clean_text(_TITLE_SUFFIX.sub("", page.title_tag))
    author = page.select_text(".article-detail-bd .author .name")
    published = None
    node = page.tree.css_first(".article-detail-bd .author .smart-date[data-origindate]")
    if node is not None:
        published = to_iso_date(node.attributes.get("data-origindate"), CHINA_TZ)
    return {
        "title": title,
        "site_name": SITE_NAME,
        "author": author,
        "published": published,
        "language": page.lang or "zh-CN",
    }
