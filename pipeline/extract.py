"""HTML -> web record (placeholder: the full per-field rules land with the web stage)."""

from __future__ import annotations

from selectolax.parser import HTMLParser

from pipeline.models import WebRecord


class PageUnavailable(Exception):
    """The page is not an article an editor can use (deleted, banned, a bot wall)."""

    def __init__(self, reason: str, permanent: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def _meta(tree: HTMLParser, *names: str) -> str | None:
    for name in names:
        node = tree.css_first(f'meta[property="{name}"], meta[name="{name}"]')
        if node is not None and (node.attributes.get("content") or "").strip():
            return " ".join(node.attributes["content"].split())
    return None


def extract_page(html: bytes, url: str, *, content_type: str | None = None) -> WebRecord:
    tree = HTMLParser(html.decode("utf-8", errors="replace"))
    title_node = tree.css_first("title")
    title = _meta(tree, "og:title") or (title_node.text(strip=True) if title_node else None)
    return WebRecord(
        url=url,
        title=title or None,
        site_name=_meta(tree, "og:site_name"),
        description=_meta(tree, "og:description", "description"),
    )
