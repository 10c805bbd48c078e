"""Who wrote a page and when: the generic author and publication-date rules over metadata and bylines."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timezone

from pipeline.sites.common import ParsedPage, clean_text, element_text, to_iso_date

# --- author ---------------------------------------------------------------------------------

# Byline elements, found in one pass over the tree and ranked most specific first; the loose class
# matches rank last because templates also use "author" for comment authors, author boxes and
# "follow the author" buttons.
_BYLINE_QUERY = '[itemprop="author"], a[rel="author"], [class*="byline"], [class*="author"], [class*="AuthorName"], address'
_NAME_CLASS = re.compile(r"(byline|author)[-_]*name|authorname", re.I)
_RANK_ITEMPROP_NAME, _RANK_REL, _RANK_NAME_CLASS, _RANK_ITEMPROP, _RANK_BYLINE, _RANK_AUTHOR, _RANK_ADDRESS = range(7)
_STRONG_RANKS = 2  # itemprop name and rel=author mean the author wherever they sit, outside comments


def _byline_rank(node) -> tuple[int, object]:
    """How specific a byline element is, and the node holding the name."""
    attrs = node.attributes
    classes = attrs.get("class") or ""
    if (attrs.get("itemprop") or "").lower() == "author":
        name = node.css_first('[itemprop="name"]')
        return (_RANK_ITEMPROP_NAME, name) if name is not None else (_RANK_ITEMPROP, node)
    if node.tag == "a" and "author" in (attrs.get("rel") or "").lower().split():
        return _RANK_REL, node
    if _NAME_CLASS.search(classes):
        return _RANK_NAME_CLASS, node
    if "byline" in classes.lower():
        return _RANK_BYLINE, node
    if node.tag == "address" and "author" not in classes.lower():
        return _RANK_ADDRESS, node
    return _RANK_AUTHOR, node


_NODES_PER_SELECTOR = 6
# Comment sections and forms name commenters ("Name *"), not the article's author; loose "author"
# classes also mark author boxes in sidebars, teasers and follow buttons.
_COMMENT_AREA = re.compile(r"comment|respond|reply", re.I)
_NOT_BYLINE_AREA = re.compile(r"comment|respond|reply|form|related|footer|sidebar|widget|share|follow|tweet|teaser", re.I)
# Parts of a byline block that are not the name: job titles, dates, bios, avatars.
_NOT_NAME_PART = re.compile(r"title|role|job|position|date|time|bio|desc|avatar|photo|image|label|prefix", re.I)
# "By", "Von:", and "Posted on May 2, 2020 by": words before the lead-in only when they hold a date
# or a verb, so "Alexa von Heyden" keeps her name.
_LEAD_IN = re.compile(
    r"^(?:(?:posted|published|written|erstellt|geschrieben|veröffentlicht|publié)\b.*?\s|.*?\d.*?\s)?(?:by|von|par|por|di|door|av|przez|autor(?:in)?|author|text|written by|erstellt von|posted by)"
    r"\s*[:：]?\s+",
    re.I,
)
# Where the name ends: a date (maybe after a weekday, "Fr, 18. Oktober"), or an "updated" note.
_TAIL = re.compile(
    r"\s*(?:[,|·•–—]\s*)?(?:(?:mo|di|mi|do|fr|sa|so|mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    r"(?:\d|stand:|updated|aktualisiert|published|veröffentlicht).*$",
    re.I,
)
_SYMBOLS = re.compile(r"[*#@|<>{}\[\]=+]")
_NOT_A_NAME = re.compile(r"^(null|none|undefined|unknown|admin|name|author|autor|by|von|follow|anonymous)$|@|https?:|www\.", re.I)
_PLACEHOLDER = re.compile(r"^(null|none|undefined|unknown|admin|author|autor)$", re.I)
_BY_PREFIX = re.compile(r"^(by|von|par|por|di|door)\s+", re.I)
_MAX_NAME_WORDS = 5
_MAX_NAME_CHARS = 60


def looks_like_name(text: str | None) -> bool:
    """A person's or desk's name rather than a sentence, a number or a placeholder."""
    if not text or len(text) > _MAX_NAME_CHARS or len(text.split()) > _MAX_NAME_WORDS:
        return False
    if text.replace(" ", "").isdigit() or not any(ch.isalpha() for ch in text):
        return False
    if _SYMBOLS.search(text):
        return False
    if text.count("(") != text.count(")") or text.count("（") != text.count("）"):  # a cut-off fragment
        return False
    return not _NOT_A_NAME.search(text.strip(" .:"))


def byline_name(text: str | None) -> str | None:
    """The name in a byline's text: "By Jane Roe", "Posted on May 2 by Jane Roe", "Von Jane Roe, 18.10.2019"."""
    text = clean_text(text)
    if not text:
        return None
    lead = _LEAD_IN.match(text)
    if lead and lead.end() < len(text):
        text = text[lead.end() :]
    text = _TAIL.sub("", text).strip(" ,;:|-–—")
    return text if looks_like_name(text) else None


def _in_byline_area(node, strict: bool, stop_depth: int = 8) -> bool:
    current, depth = node, 0
    area = _NOT_BYLINE_AREA if strict else _COMMENT_AREA
    while current is not None and depth < stop_depth:
        marks = f"{current.attributes.get('class') or ''} {current.attributes.get('id') or ''}"
        if current.tag == "form" or (strict and current.tag in ("footer", "aside")) or area.search(marks):
            return False
        current, depth = current.parent, depth + 1
    return True


def _name_text(node) -> str | None:
    """The text of a byline element without its job-title, date and bio children."""
    pieces = []
    for child in node.traverse(include_text=True):
        if child.tag != "-text":
            continue
        parent, skip = child.parent, False
        while parent is not None and parent.mem_id != node.mem_id:
            if parent.tag in ("style", "script", "time") or _NOT_NAME_PART.search(parent.attributes.get("class") or ""):
                skip = True
                break
            parent = parent.parent
        if not skip:
            pieces.append(child.text_content or "")
    return clean_text(" ".join(pieces))


def byline_from_markup(page: ParsedPage) -> str | None:
    """The author named by the page's visible byline, if it has one that reads as a name."""
    ranked: dict[int, list] = {}
    for node in page.tree.css(_BYLINE_QUERY):
        rank, holder = _byline_rank(node)
        bucket = ranked.setdefault(rank, [])
        if len(bucket) < _NODES_PER_SELECTOR:
            bucket.append(holder)
    for rank in sorted(ranked):
        for node in ranked[rank]:
            if not _in_byline_area(node, strict=rank >= _STRONG_RANKS):
                continue
            name = byline_name(element_text(node) if rank == _RANK_ADDRESS else _name_text(node))
            if name:
                return name
    return None


def pick_author(candidates: list[str | None], site_names: list[str], is_site: Callable[[str, list[str]], bool]) -> str | None:
    """The first candidate that names a person; the site itself ("Lesotho Times") only as a last resort."""
    site_like = None
    for candidate in candidates:
        name = clean_text(candidate)
        if name:
            name = _BY_PREFIX.sub("", name).strip()
        # Metadata is trusted as written (even "Jane Roe (https://…)"), but not placeholders or user ids.
        if not name or _PLACEHOLDER.match(name) or name.replace(" ", "").isdigit():
            continue
        if is_site(name, site_names):
            site_like = site_like or name
            continue
        return name
    return site_like


# --- publication date -----------------------------------------------------------------------

_DATE_METAS = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
)
_LATER_DATE_METAS = (
    "citation_publication_date",
    "citation_date",
    "citation_online_date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "dcterms.issued",
    "dcterms.date",
    "date",
    "pubdate",
    "publishdate",
    "publish_date",
    "publish-date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "datepublished",
    "dc.date.created",
    "originalpublicationdate",
    "og:updated_time",
)


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "january jan januar janvier jänner enero ene",
            "february feb februar février fevrier febrero",
            "march mar märz maerz mars marzo",
            "april apr avril abril",
            "may mai mayo",
            "june jun juni juin junio",
            "july jul juli juillet julio",
            "august aug août aout agosto ago",
            "september sep sept septembre septiembre",
            "october oct oktober okt octobre octubre",
            "november nov novembre noviembre",
            "december dec dezember dez décembre decembre diciembre dic",
        ),
        start=1,
    )
    for name in names.split()
}
_MONTH = r"([A-Za-zÀ-ÿ]{3,10})\.?"
_VISIBLE_DATES = (
    ("ymd", re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")),
    ("ymd", re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")),
    ("dmy", re.compile(r"\b(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})\b")),
    ("d_month_y", re.compile(r"\b(\d{1,2})(?:st|nd|rd|th|er)?\.?\s+(?:de\s+)?" + _MONTH + r",?\s+(?:de\s+)?(\d{4})\b", re.I)),
    ("month_d_y", re.compile(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I)),
)
_DATE_CLASSES = '[class*="date"], [class*="Date"], [class*="publish"], [class*="time"], [class*="meta"], time'
_DATE_NODES = 12


def date_from_text(text: str | None) -> str | None:
    """The first calendar date written in visible text ("27.01.2022", "7. Jun 2017", "April 13, 2020")."""
    if not text:
        return None
    for kind, pattern in _VISIBLE_DATES:
        match = pattern.search(text)
        if not match:
            continue
        groups = match.groups()
        if kind == "ymd":
            year, month, day = int(groups[0]), int(groups[1]), int(groups[2])
        elif kind == "dmy":
            day, month, year = int(groups[0]), int(groups[1]), int(groups[2])
            year += 2000 if year < 100 else 0
        else:
            day_text, month_name, year_text = (
                (groups[0], groups[1], groups[2]) if kind == "d_month_y" else (groups[1], groups[0], groups[2])
            )
            known = _MONTHS.get(month_name.lower().rstrip("."))
            if known is None:
                continue
            month = known
            day, year = int(day_text), int(year_text)
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            continue
    return None


def _visible_date(page: ParsedPage) -> str | None:
    """A date written in the article's date/meta elements, outside comments, teasers and sidebars."""
    for node in page.tree.css(_DATE_CLASSES)[: _DATE_NODES * 3]:
        if not _in_byline_area(node, strict=True):
            continue
        text = clean_text(node.text(deep=True, separator=" "))
        if text and len(text) <= 120:
            found = date_from_text(text)
            if found:
                return found
    return None


def published(page: ParsedPage, ld_published: object, default_tz: timezone | None) -> str | None:
    """The publication time from metadata, JSON-LD, then date markup in the article."""

    def candidates():
        # Lazily: the markup queries walk the whole tree and are needed only when meta and JSON-LD are silent.
        yield page.first_meta(*_DATE_METAS)
        yield ld_published
        yield page.first_meta(*_LATER_DATE_METAS)
        node = page.tree.css_first('[itemprop="datePublished"]')
        if node is not None:
            yield node.attributes.get("content") or node.attributes.get("datetime") or node.text()
        node = page.tree.css_first("time[pubdate], article time[datetime], header time[datetime]")
        if node is not None:
            yield node.attributes.get("datetime")
        node = page.tree.css_first("time[datetime]")
        if node is not None:
            yield node.attributes.get("datetime")
        yield _visible_date(page)

    for candidate in candidates():
        if isinstance(candidate, str):
            iso = to_iso_date(candidate, default_tz)
            if iso:
                return iso
    return None
