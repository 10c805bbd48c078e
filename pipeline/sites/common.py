"""What the generic and the per-site extraction rules share: the parsed page, text and date cleaning."""

from __future__ import annotations

import html
import json
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import cache, cached_property
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from pipeline.errors import PageUnavailable  # noqa: F401 - re-exported from its old home

CHINA_TZ = timezone(timedelta(hours=8))
# Bounds of JSON-LD: far above what real pages use, far below what makes reading it slow or
# overflows the rules' recursion.
JSON_LD_MAX_OBJECTS = 1000
JSON_LD_MAX_DEPTH = 32

_ENTITY = re.compile(r"&(#\d+|#x[0-9a-f]+|[a-z][a-z0-9]{1,31});", re.I)


def clean_text(value: object) -> str | None:
    """Entities decoded (twice-escaped ones too), whitespace collapsed; None when nothing is left."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    for _ in range(2):  # "&amp;amp;" in the source is common; a third level is not
        if "&" in value and _ENTITY.search(value):
            value = html.unescape(value)
    if "\u200b" in value or "\ufeff" in value:
        value = value.replace("\u200b", "").replace("\ufeff", "")
    return " ".join(value.split()) or None


def host_of(url: str | None) -> str:
    """The lower-case host of a URL without a leading `www.`, or "" when there is none."""
    if not url:
        return ""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def host_matches(host: str, domain: str) -> bool:
    """True when `host` is `domain` or one of its subdomains."""
    return host == domain or host.endswith("." + domain)


def resolve_url(value: str | None, base: str | None) -> str | None:
    """An absolute http(s) URL for `value` relative to `base`, or None for anything else."""
    value = clean_text(value)
    if not value or value.startswith(("data:", "javascript:")):
        return None
    if value.startswith("//"):
        value = "https:" + value
    try:
        absolute = urljoin(base or "", value)
    except ValueError:
        return None
    return absolute if absolute.startswith(("http://", "https://")) else None


# --- JavaScript string variables ---------------------------------------------------------

# A JS string literal in single or double quotes, with backslash escapes inside.
_STR = r"""(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')"""


@cache
def _js_pattern(before: str, after: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    return re.compile(f"(?:{before})\\Z"), re.compile(after.format(s=_STR))


def js_var(text: str, before: str, key: str, after: str) -> str | None:
    """The string literal of the first `<before>key<after>` in the page's scripts.

    `after` must contain {s} where the literal sits. The literal `key` (pages write `var x = `
    with single spaces) is found with str.find and the patterns are matched only around it: a
    regex search over 2-4 MB of inline JS per field would cost more than parsing the whole page.
    """
    before_re, after_re = _js_pattern(before, after)
    start = text.find(key)
    while start != -1:
        if before_re.search(text, max(0, start - 32), start):
            match = after_re.match(text, start + len(key))
            if match:
                raw = match.group(1) if match.group(1) is not None else match.group(2)
                return js_unescape(raw)
        start = text.find(key, start + 1)
    return None


_JS_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\n", "t": " ", "b": "", "f": "", "v": "", "0": ""}


def js_unescape(raw: str) -> str:
    """Undo JavaScript string escapes (`\\x0a`, `\\x26`, `\\u4e2d`, `\\n`, `\\'`)."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "xu" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _SIMPLE_ESCAPES.get(code, code)

    return _JS_ESCAPE.sub(one, raw)


# --- dates -------------------------------------------------------------------------------

_DATE_ONLY = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_CJK_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?")


def _as_iso(moment: datetime, default_tz: timezone | None) -> str:
    if moment.tzinfo is None and default_tz is not None:
        moment = moment.replace(tzinfo=default_tz)
    return moment.isoformat(timespec="seconds")


def unix_to_iso(seconds: object, tz: timezone = CHINA_TZ) -> str | None:
    """Unix seconds (or milliseconds) as ISO 8601 in the given zone."""
    try:
        value = float(str(seconds).strip())
    except ValueError:
        return None
    if value <= 0:
        return None
    if value > 1e11:  # milliseconds
        value /= 1000
    try:
        return datetime.fromtimestamp(value, tz).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return None


def to_iso_date(value: str | None, default_tz: timezone | None = None) -> str | None:
    """A date or time written in any common web form, as ISO 8601 (with its offset when known).

    A date without a time stays a date; a time without a zone gets `default_tz` when the caller
    knows the site's zone, and otherwise stays without one rather than inventing it.
    """
    text = clean_text(value)
    if not text:
        return None
    if text.isdigit() and len(text) in (10, 13):
        return unix_to_iso(text, default_tz or UTC)
    match = _DATE_ONLY.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        try:
            return datetime(year, month, day).date().isoformat()
        except ValueError:
            return None
    match = _CJK_DATE.search(text)
    if match:
        parts = [int(g) if g else 0 for g in match.groups()]
        try:
            moment = datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
        except ValueError:
            return None
        if match.group(4) is None:
            return moment.date().isoformat()
        return _as_iso(moment, default_tz)
    iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
    iso = re.sub(r"\s*(UTC|GMT)$", "+00:00", iso)
    if re.search(r"\d:\d\d", iso):
        iso = re.sub(r"\s*([+-]\d{2}):?(\d{2})$", r"\1:\2", iso)
    iso = re.sub(r"(\.\d{6})\d+", r"\1", iso)  # Python < 3.11 refuses more than 6 fraction digits
    try:
        return _as_iso(datetime.fromisoformat(iso), default_tz)
    except ValueError:
        pass
    try:
        return _as_iso(parsedate_to_datetime(text), default_tz)
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in (
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%d.%m.%Y",
        "%d.%m.%Y %H:%M",
        "%B %d, %Y",
        "%b %d, %Y",
        "%d %B %Y",
        "%d %b %Y",
        "%Y%m%d",
    ):
        try:
            moment = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return moment.date().isoformat() if "%H" not in fmt else _as_iso(moment, default_tz)
    return None


# --- element text ------------------------------------------------------------------------

_INVISIBLE_TAGS = frozenset(("style", "script", "noscript", "template"))
_BOUNDARY_BEFORE_PUNCTUATION = re.compile(r"\s*\x00\s*(?=[:,.;!?])")


def element_text(node) -> str | None:
    """The visible text of an element: style/script contents skipped, pieces joined by spaces.

    Headlines are often split into kicker/headline spans with a visually hidden ":" between them;
    joining every piece with a space would give "Kicker : Headline", so no space is put before
    punctuation that starts a piece.
    """
    pieces = []
    for child in node.traverse(include_text=True):
        if child.tag != "-text":
            continue
        parent = child.parent
        if parent is not None and parent.tag in _INVISIBLE_TAGS:
            continue
        pieces.append(child.text_content or "")
    joined = _BOUNDARY_BEFORE_PUNCTUATION.sub("", "\x00".join(pieces)).replace("\x00", " ")
    return clean_text(joined)


# --- the parsed page ---------------------------------------------------------------------


def _nested_deeper_than(data: object, limit: int) -> bool:
    """Whether JSON data holds lists or objects more than `limit` levels deep (without recursion)."""
    waiting: list[tuple[object, int]] = [(data, 0)]
    while waiting:
        value, depth = waiting.pop()
        if isinstance(value, (dict, list)) and value:
            if depth >= limit:
                return True
            members = value.values() if isinstance(value, dict) else value
            waiting.extend((member, depth + 1) for member in members if isinstance(member, (dict, list)))
    return False


@dataclass
class ParsedPage:
    """A decoded, parsed page with lazily computed views the rules read from."""

    text: str
    url: str
    tree: LexborHTMLParser = field(init=False)

    def __post_init__(self) -> None:
        # Callers may not know the page's address; the rules then read it as "" (no host).
        if not isinstance(self.url, str):
            self.url = ""
        self.tree = LexborHTMLParser(self.text)

    @cached_property
    def host(self) -> str:
        return host_of(self.url)

    @cached_property
    def _raw_meta(self) -> dict[str, list[str]]:
        """Raw meta contents by lower-case property/name/itemprop/http-equiv, in page order."""
        found: dict[str, list[str]] = {}
        for node in self.tree.css("meta"):
            attrs = node.attributes
            # Some large news sites write the value in `value=` and leave `content=` out.
            content = attrs.get("content") or attrs.get("value")
            if not content:
                continue
            for attr in ("property", "name", "itemprop", "http-equiv"):
                key = attrs.get(attr)
                if key:
                    for one in key.lower().split():
                        found.setdefault(one, []).append(content)
        return found

    def meta_values(self, name: str) -> list[str]:
        """The cleaned, non-empty contents of every meta tag with this name (cleaned on demand:
        pages carry dozens of meta tags and the rules read a few)."""
        return [text for text in map(clean_text, self._raw_meta.get(name, ())) if text]

    def first_meta(self, *names: str) -> str | None:
        for name in names:
            for raw in self._raw_meta.get(name, ()):
                text = clean_text(raw)
                if text:
                    return text
        return None

    def select_text(self, selector: str) -> str | None:
        node = self.tree.css_first(selector)
        return clean_text(node.text(deep=True, separator=" ")) if node is not None else None

    @cached_property
    def title_tag(self) -> str | None:
        node = self.tree.css_first("head title") or self.tree.css_first("title")
        return clean_text(node.text()) if node is not None else None

    @cached_property
    def lang(self) -> str | None:
        node = self.tree.css_first("html")
        return clean_text(node.attributes.get("lang") or node.attributes.get("xml:lang")) if node else None

    @cached_property
    def json_ld(self) -> list[dict]:
        """Every JSON-LD object in the page, @graph members and list items flattened, in page
        order; at most JSON_LD_MAX_OBJECTS of them, none nested deeper than JSON_LD_MAX_DEPTH
        (real pages use a few objects a level or two deep; a hostile one, millions, or nesting
        deep enough to overflow the rules that read it)."""
        objects: list[dict] = []
        for node in self.tree.css('script[type="application/ld+json"]'):
            raw = (node.text() or "").strip()
            if raw.startswith("<!--"):
                raw = raw.strip("<!->\n ")
            raw = raw.replace("<![CDATA[", "").replace("]]>", "").strip().rstrip(";")
            try:
                data = json.loads(raw, strict=False)
            except (ValueError, RecursionError):  # RecursionError: nested deeper than json allows
                continue
            # Breadth first through a deque: popping the front of a list was quadratic.
            waiting: deque[object] = deque([data])
            while waiting and len(objects) < JSON_LD_MAX_OBJECTS:
                item = waiting.popleft()
                if isinstance(item, dict):
                    if _nested_deeper_than(item, JSON_LD_MAX_DEPTH):
                        continue
                    objects.append(item)
                    item = item.get("@graph")
                if isinstance(item, list):
                    waiting.extend(item[:JSON_LD_MAX_OBJECTS])
        return objects

    @cached_property
    def h1_nodes(self) -> list:
        return self.tree.css("h1")

    def h1_texts(self) -> list[str]:
        texts = []
        for node in self.h1_nodes:
            text = element_text(node)
            if text:
                texts.append(text)
        return texts
