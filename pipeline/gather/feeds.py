"""Feed bytes -> items: RSS and Atom through feedparser (handed bytes, so it never fetches), JSON
Feed 1.0/1.1 by a small reader of our own (pure)."""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from html import unescape
from typing import Any

import feedparser

JSON_TYPES = ("application/feed+json", "application/json")
JSON_FEED_VERSION = re.compile(r"^https?://jsonfeed\.org/version/1(\.\d+)?/?$")
_MARKUP = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.IGNORECASE | re.DOTALL)
SUMMARY_CHARS = 400  # enough to score on and to show; feeds may carry whole articles
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class FeedError(Exception):
    """The bytes are not a feed we can read; the message says why in an editor's words."""


@dataclass(frozen=True)
class FeedItem:
    """One item of a feed, reduced to what gathering needs."""

    id: str  # the feed's own id (guid, Atom id), else the link
    title: str
    url: str | None
    published: float | None = None  # seconds since the epoch, UTC
    summary: str = ""  # plain text, capped
    author: str | None = None
    announce_type: str | None = None  # arXiv listings: new, cross, replace, replace-cross


@dataclass
class ParsedFeed:
    title: str | None
    items: list[FeedItem]
    skip_days: frozenset[str] = frozenset()  # lower-case weekday names the feed says it is empty on
    problems: list[str] = field(default_factory=list)  # e.g. malformed XML that was read anyway


def plain_text(html: str | None, limit: int = SUMMARY_CHARS) -> str:
    """Text of an HTML fragment, whitespace folded, cut at `limit` characters."""
    if not html:
        return ""
    # A regular expression, not an HTML parser: summaries are small fragments, and a parser per
    # item cost more than all the rest of preparing it.
    text = unescape(_MARKUP.sub(" ", html)) if "<" in html or "&" in html else html
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def parse_feed(body: bytes, content_type: str | None = None) -> ParsedFeed:
    """Any supported feed format, told apart by its media type or, failing that, its first byte."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if content_type in JSON_TYPES or start == b"{":
        return parse_json_feed(body)
    return parse_xml_feed(body)


def parse_xml_feed(body: bytes) -> ParsedFeed:
    """RSS 0.9x/1.0/2.0 or Atom. Raises FeedError when nothing feed-like can be read."""
    # Bytes, never a string: given a string that looks like a URL or path, feedparser opens it.
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    problems = []
    if not parsed.entries and not parsed.get("version") and b"<html" in body[:2048].lower():
        raise FeedError("not a feed: the address answers with an HTML page")
    if parsed.get("bozo"):
        reason = _bozo_reason(parsed.get("bozo_exception"))
        if not parsed.entries:
            raise FeedError(f"not a feed: {reason}")
        problems.append(f"malformed XML ({reason}); {len(parsed.entries)} items read anyway")
    elif not parsed.get("version") and not parsed.entries:
        raise FeedError("not a feed: no RSS or Atom document found")
    items = [item for item in (_xml_item(entry) for entry in parsed.entries) if item is not None]
    skip = frozenset(d.strip().lower() for d in _skip_days(body))
    return ParsedFeed(parsed.feed.get("title"), items, skip, problems)


def _bozo_reason(exc: object) -> str:
    text = str(exc or "unreadable").strip().splitlines()[0] if exc else "unreadable"
    return text[:120]


def _skip_days(body: bytes) -> list[str]:
    # feedparser does not report RSS <skipDays>; arXiv's listings use it for the weekend.
    block = re.search(rb"<skipDays>(.*?)</skipDays>", body[:20000], re.DOTALL | re.IGNORECASE)
    if not block:
        return []
    days = re.findall(rb"<day>\s*([A-Za-z]+)\s*</day>", block.group(1), re.IGNORECASE)
    return [d.decode("ascii").lower() for d in days if d.decode("ascii").lower() in WEEKDAYS]


def _xml_item(entry: feedparser.FeedParserDict) -> FeedItem | None:
    url = entry.get("link") or None
    title = " ".join((entry.get("title") or "").split())
    ident = entry.get("id") or url
    if not ident and not title:
        return None
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    summary = entry.get("summary") or ""
    if not summary and entry.get("content"):
        summary = entry["content"][0].get("value", "")
    announce = next((str(v).strip().lower() for k, v in entry.items() if k.endswith("announce_type")), None)
    return FeedItem(
        id=str(ident or title),
        title=title or plain_text(summary, 80),
        url=url,
        published=float(calendar.timegm(when)) if when else None,
        summary=plain_text(summary),
        author=entry.get("author") or None,
        announce_type=announce,
    )


def parse_json_feed(body: bytes) -> ParsedFeed:
    """JSON Feed 1.0 or 1.1 (https://jsonfeed.org/version/1.1). Raises FeedError."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedError(f"not a feed: invalid JSON ({str(exc)[:80]})") from None
    if not isinstance(data, dict) or not JSON_FEED_VERSION.match(str(data.get("version", ""))):
        raise FeedError("not a feed: JSON without a JSON Feed version")
    raw_items = data.get("items")
    if not isinstance(raw_items, list):
        raise FeedError("not a feed: JSON Feed without an items list")
    items, problems = [], []
    for number, raw in enumerate(raw_items, 1):
        item = _json_item(raw)
        if item is None:
            problems.append(f"item {number} has no id, link or title; skipped")
        else:
            items.append(item)
    title = data.get("title") if isinstance(data.get("title"), str) else None
    return ParsedFeed(title, items, frozenset(), problems)


def _json_item(raw: object) -> FeedItem | None:
    if not isinstance(raw, dict):
        return None

    def text(name: str) -> str:
        value = raw.get(name)
        return value if isinstance(value, str) else ""

    url = text("url") or text("external_url") or None
    summary = text("summary") or text("content_text") or plain_text(text("content_html"))
    title = " ".join(text("title").split()) or plain_text(summary, 80)
    ident = raw.get("id")
    ident = str(ident) if isinstance(ident, (str, int)) and str(ident) else url
    if not ident and not title:
        return None
    listed = raw.get("authors")
    authors: list[Any] = listed if isinstance(listed, list) else [raw.get("author")]  # 1.1, 1.0
    names = [a["name"] for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)]
    return FeedItem(
        id=str(ident or title),
        title=title,
        url=url,
        published=_rfc3339(text("date_published") or text("date_modified")),
        summary=plain_text(summary),
        author=", ".join(names) or None,
    )


def _rfc3339(value: str) -> float | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)  # 3.11 reads "Z" and offsets
    except ValueError:
        return None
    return when.timestamp() if when.tzinfo else calendar.timegm(when.timetuple())
