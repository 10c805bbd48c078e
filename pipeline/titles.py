"""Title candidates (Open Graph, Twitter card, JSON-LD, citation_title, <title>, <h1>) and the headline they agree on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from pipeline.sitename import host_key, is_site_part, names_host, same_site, squash
from pipeline.sites.common import ParsedPage, clean_text, element_text

# Separators between a headline and the site's name. A piece is cut only when it names the site,
# so separators written without spaces ("标题-站点", "Headline›Site") are safe to try.
_SEPARATORS = (
    " | ",
    " - ",
    " – ",
    " — ",
    " :: ",
    "｜",
    " · ",
    " » ",
    " › ",
    "_",
    " |",
    "| ",
    " │ ",
    "│",
    " * ",
    " : ",
    ": ",
    "：",
    "›",
    "»",
    "|",
    "·",
    " ~ ",
    "—",
    "–",
    "-",
    ":",
)
# Full-width and underscore separators set a piece off without spaces ("标题_站名", "标题：站名").
_WIDE_SEPARATORS = frozenset(("｜", "_", "：", "│"))
_ANY_SPACED_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|::|·|»|›|│|\*|:)\s+|｜|│")
_SPACED_SEPARATORS = tuple(sep for sep in _SEPARATORS if sep != sep.strip() or sep in _WIDE_SEPARATORS)
# Looser separators, trusted only when a side equals the page's <h1>.
_HEADING_SEPARATORS = _SEPARATORS + (" / ", ", ", "--")
_BRACKETED_SUFFIX = re.compile(r"\s*[\(\[（【]([^\)\]）】]{2,60})[\)\]）】]\s*$")
# WordPress themes put "Blog Archive" between the site's name and the headline.
_ARCHIVE_LABELS = frozenset(("blogarchive", "blogarchives", "archive", "archives"))


def strip_site_affix(title: str, site_names: list[str], host: str) -> str:
    """The headline of a "Headline | Site" (or "Site - Headline") title.

    A part is removed only when it names the site (its name or its host); a title with no such
    part keeps its separators.
    """
    for _ in range(4):
        changed = False
        for sep in _SEPARATORS:
            if sep not in title:
                continue
            parts = title.split(sep)
            last = _BRACKETED_SUFFIX.sub("", parts[-1]) or parts[-1]  # "Site (Abbrev)"
            spaced = sep in _SPACED_SEPARATORS
            # Without spaces, only the site's whole name is cut: "15 Jahre rete-mirabile.net" keeps
            # "-mirabile.net", a piece of a name.
            names_it = (
                (
                    is_site_part(parts[-1], site_names, host)
                    or is_site_part(last, site_names, host)
                    or _abbreviates_host(parts[-1], host)
                )
                if spaced
                else _names_site(parts[-1], site_names, host) or _names_site(last, site_names, host)
            )
            if names_it and clean_text(sep.join(parts[:-1])):
                # "标题_栏目_站名": Chinese sites chain sections with "_"; headlines rarely contain it.
                kept = parts[:1] if sep == "_" else parts[:-1]
                title, changed = clean_text(sep.join(kept)) or title, True
                break
            first = squash(parts[0])
            # A site's name before the headline is always set off by spaces: "GdP-Vize" is one word.
            if (
                spaced
                and (is_site_part(parts[0], site_names, host) or first in _ARCHIVE_LABELS)
                and clean_text(sep.join(parts[1:]))
            ):
                title, changed = clean_text(sep.join(parts[1:])) or title, True
                break
        if not changed:
            break
    title = _without_site_and_slogan(title, site_names, host)
    bracketed = _BRACKETED_SUFFIX.search(title)
    if bracketed and is_site_part(bracketed.group(1), site_names, host) and title[: bracketed.start()].strip():
        title = title[: bracketed.start()].strip()
    return title


def cut_to_heading(title: str, headings: Sequence[str]) -> str:
    """The side of a "Headline - Whatever" title that is exactly one of the page's main headings,
    whatever the other side is; a title with no such side is returned as it is."""
    heading_keys = {squash(h) for h in headings if h}
    if heading_keys and squash(title) not in heading_keys:
        for sep in _HEADING_SEPARATORS:
            if sep in title:
                parts = title.split(sep)
                for cut in range(1, len(parts)):
                    pieces = (sep.join(parts[:cut]), sep.join(parts[cut:]))
                    if squash(pieces[0]) == squash(pieces[1]):
                        continue  # "X: X" (an artist and an album of one name) has no affix to cut
                    for piece in pieces:
                        if squash(piece) in heading_keys:
                            return clean_text(piece) or title
    return title


def _abbreviates_host(part: str, host: str) -> bool:
    """True for "Deutsche Welle (DW)" on dw.com: the bracketed abbreviation is the host's brand."""
    bracketed = _BRACKETED_SUFFIX.search(part)
    if bracketed is None or " " in bracketed.group(1).strip():  # "Title [Site Name]" is no abbreviation
        return False
    return squash(bracketed.group(1)) == squash(host_key(host)) != ""


def _without_site_and_slogan(title: str, site_names: list[str], host: str) -> str:
    """ "Headline - Site - Slogan" (or "Headline : Site | Slogan | Founded 2005") without the site and
    the short pieces after it."""
    joints = list(_ANY_SPACED_SEPARATOR.finditer(title))
    for index, joint in enumerate(joints[:-1]):
        piece = title[joint.end() : joints[index + 1].start()]
        if len(squash(piece)) >= 4 and is_site_part(piece, site_names, host):
            tail = _ANY_SPACED_SEPARATOR.split(title[joints[index + 1].end() :])
            if all(len(part.split()) <= 6 for part in tail):
                return clean_text(title[: joint.start()]) or title
            break
    return title


# --- heading decorations and page-type words ---------------------------------------------------

# Permalink anchors themes append to headings, and the label translated pages put on the original.
_DECORATION = re.compile(r"^(?:[¶§#🔗⚓]\s*|original text\s*[:：]?\s*)+|(?:\s*[¶§#🔗⚓]|\s*original text)+$", re.IGNORECASE)
# A word saying what kind of page it is, written before ("Review: X") or after ("X Album Review") the headline.
_PAGE_TYPE_WORDS = (
    r"album review|book review|film review|review|recipe|rezept|recette|receta|ricetta|testbericht|"
    r"im test|video|podcast|photos|gallery|interview|评测|测评|食谱|菜谱|视频|レビュー|レシピ"
)
_PAGE_TYPE_AFTER = re.compile(rf"(?:\s*[-|:–—]\s*|\s+)(?:{_PAGE_TYPE_WORDS})\s*$", re.IGNORECASE)
_SECTION_WORDS = frozenset(
    (
        "news",
        "home",
        "blog",
        "start",
        "startseite",
        "aktuelles",
        "nachrichten",
        "artikel",
        "article",
        "articles",
        "post",
        "posts",
        "archive",
        "archiv",
        "首页",
        "新闻",
        "资讯",
    )
)
_PAGE_TYPE_ONLY = re.compile(rf"^(?:{_PAGE_TYPE_WORDS})$", re.IGNORECASE)
_PAGE_TYPE_BEFORE = re.compile(rf"^(?:{_PAGE_TYPE_WORDS})\s*[:：|–—-]\s*", re.IGNORECASE)


def without_decorations(text: str) -> str:
    return _DECORATION.sub("", text).strip() or text


def _without_page_type(text: str, others: list[str]) -> str:
    """The headline without a page-type word, when another candidate shows it without one."""
    for pattern in (_PAGE_TYPE_AFTER, _PAGE_TYPE_BEFORE):
        match = pattern.search(text)
        if not match:
            continue
        word = squash(match.group(0))
        rest = (text[: match.start()] if pattern is _PAGE_TYPE_AFTER else text[match.end() :]).strip()
        if rest and any(other and word not in squash(other) for other in others):
            return rest
    return text


# --- logos ------------------------------------------------------------------------------------

_LOGO_HINT = re.compile(r"logo|brand|site-?title|site-?name|masthead", re.IGNORECASE)


def _looks_like_logo(node) -> bool:
    """An <h1> linking to the home page, or inside a logo/header block, names the site."""
    link = node.css_first("a[href]")
    if link is not None:
        href = (link.attributes.get("href") or "").strip()
        if href in ("/", "./", "index.html", "/index.html") or re.fullmatch(r"https?://[^/]+/?", href):
            return True
    current, depth = node, 0
    while current is not None and depth < 3:
        marks = f"{current.attributes.get('class') or ''} {current.attributes.get('id') or ''}"
        if _LOGO_HINT.search(marks):
            return True
        current, depth = current.parent, depth + 1
    return False


def site_headings(page: ParsedPage) -> list[str]:
    """<h1>s that are the site's logo: an end of a "Headline | Site" <title>, marked as a logo."""
    title = page.title_tag or ""
    declared = {squash(v) for v in (page.first_meta("og:title"), page.first_meta("twitter:title")) if v}
    found: list[str] = []
    for node in page.h1_nodes[:3]:
        heading = element_text(node)
        key = squash(heading or "")
        if not heading or not key or key in declared or not _looks_like_logo(node):
            continue
        for sep in _HEADING_SEPARATORS:
            if sep in title and key in (squash(title.split(sep, 1)[0]), squash(title.rsplit(sep, 1)[1])):
                found.append(heading)
                break
    return found


# --- the heading of pages without an <h1> --------------------------------------------------------

_OUTSIDE_ARTICLE = frozenset(("nav", "header", "footer", "aside", "form", "menu"))
_NOT_HEADLINE_HINT = re.compile(
    r"hid(?:e|den)|invisible|sr-only|screen-?reader|visually|offscreen|skip|sidebar|widget|menu|"
    r"\bnav|footer|comment|related|teaser|breadcrumb|categor|(?:^|[-_\s])(?:cat|tags?)(?:$|[-_\s])|"
    r"rubri|kicker",
    re.IGNORECASE,
)
_HEADLINE_HINT = re.compile(r"headline|title|entry-name|post[-_]?name", re.IGNORECASE)


def _in_page_chrome(node) -> bool:
    current = node.parent
    while current is not None and current.tag not in ("body", "html"):
        marks = f"{current.attributes.get('class') or ''} {current.attributes.get('id') or ''}"
        if current.tag in _OUTSIDE_ARTICLE or _NOT_HEADLINE_HINT.search(marks):
            return True
        current = current.parent
    attrs = node.attributes
    marks = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
    return "hidden" in attrs or attrs.get("aria-hidden") == "true" or bool(_NOT_HEADLINE_HINT.search(marks))


def first_h2(page: ParsedPage) -> str | None:
    """The visible headline of a page that has no <h1> at all: its first <h2> outside navigation,
    sidebars and screen-reader labels (small sites' templates start the article there)."""
    if page.h1_nodes:
        return None
    visible = []
    for node in page.tree.css("h2")[:6]:
        if _in_page_chrome(node):
            continue
        text = element_text(node)
        if text and len(text) <= 200:
            attrs = node.attributes
            if attrs.get("itemprop") == "headline" or _HEADLINE_HINT.search(
                f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
            ):
                return without_decorations(text)  # the template names its headline
            visible.append(text)
    return without_decorations(visible[0]) if visible else None


# --- title affixes as site names ----------------------------------------------------------------

_AFFIX_EDGE = re.compile(r"^[\s|｜│:：\-–—·»›~*_/]+|[\s|｜│:：\-–—·»›~*_/]+$")


def title_affixes(titles: list[str | None], headlines: list[str | None]) -> list[tuple[str, str]]:
    """What a <title>-like candidate adds around a headline another candidate gives alone, as
    ("title suffix" or "title prefix", text): "Headline | Site" next to "Headline" names the site."""
    found: list[tuple[str, str]] = []
    keys = {squash(h): h for h in headlines if h and len(squash(h)) >= 4}
    for title in titles:
        if not title:
            continue
        lowered = title.casefold()
        for headline in keys.values():
            wanted = headline.casefold()
            if lowered == wanted:
                continue
            if lowered.startswith(wanted):
                affix, kind = title[len(headline) :], "title suffix"
                joint = affix.lstrip()[:1]
            elif lowered.endswith(wanted):
                affix, kind = title[: len(title) - len(headline)], "title prefix"
                joint = affix.rstrip()[-1:]
                if joint in (":", "："):  # "Kicker: Headline" names a topic, not the site
                    continue
            else:
                continue
            if not joint or not _AFFIX_EDGE.match(joint):  # words glued to the headline: not an affix
                continue
            affix = _AFFIX_EDGE.sub("", affix)
            # A site's name is shorter than the headline it follows; the longer side of "Headline |
            # Blog" next to a logo <h1> "Blog" is the headline. Page-type and section words name
            # no site.
            if len(affix) >= len(headline) or _PAGE_TYPE_ONLY.match(affix) or squash(affix) in _SECTION_WORDS:
                continue
            if affix and len(affix) <= 60 and len(affix.split()) <= 6 and (kind, affix) not in found:
                found.append((kind, affix))
    return found


_TITLE_END = re.compile(r"\s+(?:\||-|–|—|·|»|::)\s+([^|–—·»]{2,40})$")


def title_end_naming_host(title: str | None, host: str) -> str | None:
    """The last piece of a "Headline | Site" <title> when it names the host ("Dwutygodnik" on
    dwutygodnik.com): the site's name as the site writes it, when nothing else names it."""
    match = _TITLE_END.search(title or "")
    if not match or len(match.group(1).split()) > 4 or 2 * len(match.group(1)) > len(title or ""):
        return None
    end = match.group(1).strip()
    return end if names_host(end, host) else None


# --- the pick -------------------------------------------------------------------------------------

# How much each source's say counts when sources disagree: Open Graph and the <title> tag name the
# page on purpose; twitter:title is often a shortened social headline.
_TITLE_WEIGHTS = {"og": 1.1, "twitter": 0.5, "ld": 1.0, "meta": 0.8, "title": 1.0, "h1": 1.0, "h2": 1.0}
_TITLE_ORDER = ("h1", "h2", "og", "title", "ld", "meta", "twitter")
# og:title, twitter:title and <title> are usually written by one SEO plugin from one field, so
# their agreement is weaker evidence than the <h1> agreeing with the JSON-LD headline.
_SOCIAL_SOURCES = frozenset(("og", "twitter", "title"))
_SOCIAL_ECHO = 0.2
_LEADING_DATE = re.compile(r"^(\d{1,2}\.\d{1,2}\.\d{2,4}|\d{4}-\d{2}-\d{2})\s+(?=\S)")
_KICKER = re.compile(r"^(.{2,100}?)(?::\s+|：\s*)(.+)$")
_KICKER_MAX_WORDS = 4


def _title_site_parts(title: str | None, site_names: list[str], host: str) -> list[str]:
    """The squashed pieces of a "Site - Headline" (or "Headline : Site | Slogan") <title> that name the site."""
    text = title or ""
    pieces = _ANY_SPACED_SEPARATOR.split(text) if text else []
    bracketed = _BRACKETED_SUFFIX.search(text)
    if bracketed:  # "Headline [Site]"
        pieces = [*pieces, text[: bracketed.start()], bracketed.group(1)]
    return [
        squash(piece) for piece in pieces if len(pieces) > 1 and is_site_part(piece, site_names, host) and len(squash(piece)) >= 4
    ]


def _merge_kickers(votes: dict[str, float], chosen: dict[str, tuple[int, str]], shown: set[str]) -> None:
    """Join the votes of "Kicker: Headline" and "Headline" (another source dropped the kicker).

    The kicker is a rubric ("Chronik: X" in og:title, "X" in the <h1> or JSON-LD) and is dropped,
    unless the page shows the long form in its <h1> and not the short one: "«Quote»: X" as the
    <h1> is part of the headline. A long kicker is a department label ("Medienmitteilung der
    …direktion"), whatever the <h1> shows.
    """
    for long_key in list(votes):
        if long_key not in votes:
            continue
        match = _KICKER.match(chosen[long_key][1])
        if not match:
            continue
        short_key = squash(match.group(2))
        if short_key == long_key or short_key not in votes or squash(match.group(1)) == short_key:
            continue  # "X: X" (artist and album of one name) has no kicker to drop
        if long_key in shown and short_key not in shown and len(match.group(1).split()) <= _KICKER_MAX_WORDS:
            keep, drop = long_key, short_key
        else:
            keep, drop = short_key, long_key
        votes[keep] += votes.pop(drop)
        if chosen[drop][0] < chosen[keep][0]:
            chosen[keep] = (chosen[drop][0], chosen[keep][1])


def _merge_affixes(
    votes: dict[str, float], chosen: dict[str, tuple[int, str]], site_keys: list[str], site_names: list[str], host: str
) -> None:
    """Give the votes of "Headline + something naming the site" to "Headline" when another
    source gives the headline alone, whatever joins them (a separator, a space, nothing)."""
    for long_key in sorted(votes, key=len, reverse=True):
        for short_key in list(votes):
            if long_key not in votes or short_key == long_key or len(short_key) < 4:
                continue
            if long_key.startswith(short_key):
                rest = long_key[len(short_key) :]
            elif long_key.endswith(short_key):
                rest = long_key[: len(long_key) - len(short_key)]
            else:
                continue
            if len(rest) > 60 or not (is_site_part(rest, site_names, host) or any(k in rest for k in site_keys)):
                continue
            votes[short_key] += votes.pop(long_key)
            if chosen[long_key][0] < chosen[short_key][0]:
                chosen[short_key] = (chosen[long_key][0], chosen[short_key][1])
            break


def _names_site(text: str, site_names: list[str], host: str) -> bool:
    """True when the text is the site's name (or its host's brand), not a headline that mentions it."""
    key, brand = squash(text), squash(host_key(host))
    if not key:
        return False
    return any(same_site(text, name) for name in site_names) or key == brand


def _is_home(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.path in ("", "/") and not parts.query


def pick_title(
    page: ParsedPage, ld_headline: object, site_names: list[str], logos: list[str], notes: list[str] | None = None
) -> str | None:
    """The headline most sources agree on (after removing site names), ties going to the main <h1>.

    Social titles (og/twitter) are often rewritten for sharing while the <h1> and JSON-LD keep the
    headline; a vote between sources recovers it without trusting any one of them blindly.
    """
    site_names = site_names + logos
    headings = [without_decorations(_LEADING_DATE.sub("", heading)) for heading in page.h1_texts()[:3] if heading not in logos]
    # An <h1> starting with the name the <title> gives as the site's ("ProNATs e.V. Verein zur …"
    # for "Kinder und Arbeit » ProNATs e.V.") is the site's banner, unless the <title> repeats it.
    site_parts = _title_site_parts(page.title_tag, site_names, page.host)
    title_key = squash(page.title_tag or "")
    # An <h1> that is itself the <title>'s piece naming the site is the banner too.
    headings = [
        h
        for h in headings
        if squash(h) not in site_parts
        and not any(squash(h).startswith(part) and squash(h) not in title_key for part in site_parts)
    ]
    sources: list[tuple[str, object]] = [
        ("og", page.first_meta("og:title")),
        ("twitter", page.first_meta("twitter:title")),
        ("ld", ld_headline),
        ("meta", page.first_meta("citation_title", "dc.title", "dcterms.title")),
        ("title", page.title_tag),
    ]
    if len(headings) <= 2:  # many <h1>s mean the template uses them for boxes and teasers
        sources += [("h1", heading) for heading in headings]
    if not page.h1_nodes:
        sources.append(("h2", first_h2(page)))
    texts = [(source, clean_text(value)) for source, value in sources if isinstance(value, str)]
    site_keys = [key for key in (squash(name) for name in site_names) if len(key) >= 4]
    home = _is_home(page.url)
    other_votes: dict[str, float] = {}
    social_votes: dict[str, list[float]] = {}
    chosen: dict[str, tuple[int, str]] = {}
    shown: set[str] = set()
    for source, text in texts:
        if not text:
            continue
        headline = strip_site_affix(without_decorations(text), site_names, page.host)
        headline = _without_page_type(headline, [other for s, other in texts if s != source and other])
        headline = cut_to_heading(headline, headings)
        # A title that is only the site's name (home-page style og:title) is no headline, except
        # on the home page, where the site's name is the title.
        if not headline or (
            not home and (_names_site(text, site_names, page.host) or _names_site(headline, site_names, page.host))
        ):
            if notes is not None:
                notes.append(f"     title  --  {source:8} {text!r}: names the site only")
            continue
        key = squash(headline)
        if not key:
            continue
        if source in ("h1", "h2"):
            shown.add(key)
        if source in _SOCIAL_SOURCES:
            social_votes.setdefault(key, []).append(_TITLE_WEIGHTS[source])
        else:
            other_votes[key] = other_votes.get(key, 0.0) + _TITLE_WEIGHTS[source]
        rank = _TITLE_ORDER.index(source)
        if key not in chosen or rank < chosen[key][0]:
            chosen[key] = (rank, headline)
        if notes is not None:
            notes.append(f"     title  {_TITLE_WEIGHTS[source]:3.1f} {source:8} {text!r} -> {headline!r}")
    if not chosen:
        return headings[0] if headings else None
    votes = {key: other_votes.get(key, 0.0) for key in chosen}
    for key, weights in social_votes.items():
        votes[key] += max(weights) + _SOCIAL_ECHO * (len(weights) - 1)
    _merge_affixes(votes, chosen, site_keys, site_names, page.host)
    _merge_kickers(votes, chosen, shown)
    best = max(votes, key=lambda key: (votes[key], -chosen[key][0]))
    if notes is not None:
        for key, count in sorted(votes.items(), key=lambda item: -item[1]):
            mark = "->" if key == best else "  "
            notes.append(f"  {mark} title  {count:4.1f} votes {chosen[key][1]!r}")
    return chosen[best][1]
