"""HTML -> web record: per-field ordered fallback rules over Open Graph, JSON-LD, meta tags and markup, plus site rules."""

from __future__ import annotations

import re
import unicodedata
from datetime import timezone
from functools import lru_cache

from pipeline.byline import byline_from_markup, pick_author, published
from pipeline.decode import decode_html
from pipeline.models import WebRecord
from pipeline.sites import rules_for
from pipeline.sites.common import (
    CHINA_TZ,
    PageUnavailable,
    ParsedPage,
    clean_text,
    element_text,
    resolve_url,
)
from pipeline.sites.names import known_site_name, register_site_names

__all__ = ["PageUnavailable", "extract_page", "register_site_names", "strip_site_affix"]

# --- bot walls ------------------------------------------------------------------------------

_BOT_TITLE = re.compile(
    r"^(just a moment\b|attention required|access denied|access to this page has been denied|"
    r"please wait\b.*(redirect|verif|check)|one more step|checking your browser|ddos-guard|"
    r"security check|(please )?verify(ing)? (that )?you are (a )?human|are you a robot|human verification|"
    r"captcha|robot check|pardon our interruption|请稍候|安全验证|人机验证|访问验证)",
    re.I,
)
# Markers only challenge pages carry (Cloudflare, PerimeterX, DataDome, Akamai); normal pages may
# load Cloudflare's /cdn-cgi/challenge-platform/ script, so that path alone proves nothing.
_BOT_MARKERS = ("window._cf_chl_opt", 'id="challenge-form"', "cf-browser-verification", "px-captcha",
                "captcha-delivery.com", "geo.captcha-delivery", "errors.edgesuite.net")
_SMALL_PAGE = 60_000


def _check_bot_wall(page: ParsedPage) -> None:
    title = page.title_tag or ""
    if title and _BOT_TITLE.search(title) and not page.first_meta("og:title"):
        raise PageUnavailable("blocked by a bot check", permanent=False)
    if len(page.text) < _SMALL_PAGE and any(marker in page.text for marker in _BOT_MARKERS):
        raise PageUnavailable("blocked by a bot check", permanent=False)


# --- titles and site names ------------------------------------------------------------------

_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", "｜", " · ", " » ", "_", " |", "| ", " │ ", " * ", " : ", ": ")
# Looser separators, trusted only when a side equals the page's <h1>.
_HEADING_SEPARATORS = _SEPARATORS + (" / ", ", ", " ~ ", "—", "–", "-", "--")
_BRACKETED_SUFFIX = re.compile(r"\s*[\(\[（【]([^\)\]）】]{2,60})[\)\]）】]\s*$")
_SECOND_LEVEL = {"co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go"}


_NOT_ALNUM = re.compile(r"[\W_]+")


@lru_cache(maxsize=4096)
def _squash(text: str) -> str:
    """Lower-case letters and digits only (CJK kept), for loose name comparisons."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text).lower())


def _host_key(host: str) -> str:
    """The registered-domain label of a host: "arstechnica" for www.arstechnica.com."""
    labels = [label for label in host.split(".") if label]
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else (labels[0] if labels else "")


def _is_site_part(part: str, site_names: list[str], host: str) -> bool:
    squashed = _squash(part)
    if not squashed:
        return False
    for name in site_names:
        name_key = _squash(name)
        if not name_key:
            continue
        if squashed == name_key:
            return True
        if len(squashed) <= 2 * len(name_key) + 4 and (squashed.startswith(name_key) or squashed.endswith(name_key)):
            return True
        if len(squashed) >= 4 and squashed in name_key:
            return True
    key = _squash(_host_key(host))
    if len(key) >= 3:
        if squashed in (key, _squash(host)) or squashed.startswith(key) and len(squashed) <= 2 * len(key) + 4:
            return True
    return False


def strip_site_affix(title: str, site_names: list[str], host: str, headings: list[str] = ()) -> str:
    """The headline of a "Headline | Site" (or "Site - Headline") title.

    A part is removed only when it names the site (its name or its host); a title with no such
    part keeps its separators, unless one side of it is exactly the page's main heading.
    """
    for _ in range(3):
        changed = False
        for sep in _SEPARATORS:
            if sep not in title:
                continue
            parts = title.split(sep)
            if _is_site_part(parts[-1], site_names, host) and clean_text(sep.join(parts[:-1])):
                # "标题_栏目_站名": Chinese sites chain sections with "_"; headlines rarely contain it.
                kept = parts[:1] if sep == "_" else parts[:-1]
                title, changed = clean_text(sep.join(kept)) or title, True
                break
            if _is_site_part(parts[0], site_names, host) and clean_text(sep.join(parts[1:])):
                title, changed = clean_text(sep.join(parts[1:])) or title, True
                break
        if not changed:
            break
    bracketed = _BRACKETED_SUFFIX.search(title)
    if bracketed and _is_site_part(bracketed.group(1), site_names, host) and title[: bracketed.start()].strip():
        title = title[: bracketed.start()].strip()
    heading_keys = {_squash(h) for h in headings if h}
    if heading_keys and _squash(title) not in heading_keys:
        for sep in _HEADING_SEPARATORS:
            if sep in title:
                parts = title.split(sep)
                for cut in range(1, len(parts)):
                    for piece, rest in ((sep.join(parts[:cut]), sep.join(parts[cut:])),
                                        (sep.join(parts[cut:]), sep.join(parts[:cut]))):
                        if _squash(piece) in heading_keys:
                            return clean_text(piece) or title
    return title


# --- JSON-LD --------------------------------------------------------------------------------

_ARTICLE_TYPES = re.compile(r"(Article|Posting|Report|NewsArticle|BlogPosting|Blog|WebPage|ItemPage|Recipe|Review)$")


def _types(obj: dict) -> list[str]:
    kind = obj.get("@type")
    if isinstance(kind, str):
        return [kind]
    return [k for k in kind if isinstance(k, str)] if isinstance(kind, list) else []


def _article_objects(page: ParsedPage) -> list[dict]:
    """JSON-LD objects that describe the page itself, articles before generic web pages."""
    articles, pages = [], []
    for obj in page.json_ld:
        kinds = _types(obj)
        if any(_ARTICLE_TYPES.search(k) and not k.endswith("WebPage") for k in kinds):
            articles.append(obj)
        elif any(k.endswith("WebPage") or k == "ItemPage" for k in kinds):
            pages.append(obj)
    return articles + pages


def _ld_by_id(page: ParsedPage) -> dict[str, dict]:
    return {obj["@id"]: obj for obj in page.json_ld if isinstance(obj.get("@id"), str)}


def _ld_name(value: object, by_id: dict[str, dict]) -> list[str]:
    """Names in a JSON-LD person/organization value (a string, an object, a reference or a list)."""
    if isinstance(value, list):
        return [name for item in value for name in _ld_name(item, by_id)]
    if isinstance(value, str):
        return [value] if not value.startswith(("http://", "https://")) else []
    if isinstance(value, dict):
        if "name" not in value and isinstance(value.get("@id"), str) and value["@id"] in by_id:
            value = by_id[value["@id"]]
        name = value.get("name")
        if isinstance(name, list):
            name = name[0] if name else None
        text = clean_text(name) if isinstance(name, str) else None
        return [text] if text else []
    return []


def _ld_first(objects: list[dict], key: str) -> object:
    for obj in objects:
        value = obj.get(key)
        if value:
            return value
    return None


def _ld_image(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value if isinstance(value, str) else None


# --- field rules ----------------------------------------------------------------------------


def _first(*candidates: object) -> str | None:
    for candidate in candidates:
        text = clean_text(candidate) if candidate is not None else None
        if text:
            return text
    return None


def _site_name(page: ParsedPage, ld: list[dict], by_id: dict[str, dict], logos: list[str]) -> str | None:
    publisher = _ld_name(_ld_first(ld, "publisher"), by_id)
    websites = [obj for obj in page.json_ld if "WebSite" in _types(obj)]
    website = _ld_name(websites[0], by_id) if websites else []
    return _first(
        page.first_meta("og:site_name"),
        publisher[0] if publisher else None,
        website[0] if website else None,
        page.first_meta("application-name", "apple-mobile-web-app-title"),
        known_site_name(page.host),
        *logos,
    )


# How much each source's say counts when sources disagree: Open Graph and the <title> tag name the
# page on purpose; twitter:title is often a shortened social headline.
_TITLE_WEIGHTS = {"og": 1.1, "twitter": 0.5, "ld": 1.0, "meta": 0.8, "title": 1.0, "h1": 1.0}
_TITLE_ORDER = ("h1", "og", "title", "ld", "meta", "twitter")


_LOGO_HINT = re.compile(r"logo|brand|site-?title|site-?name|masthead", re.I)


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
    declared = {_squash(v) for v in (page.first_meta("og:title"), page.first_meta("twitter:title")) if v}
    found = []
    for node in page.h1_nodes[:3]:
        heading = element_text(node)
        key = _squash(heading or "")
        if not key or key in declared or not _looks_like_logo(node):
            continue
        for sep in _HEADING_SEPARATORS:
            if sep in title and key in (_squash(title.split(sep, 1)[0]), _squash(title.rsplit(sep, 1)[1])):
                found.append(heading)
                break
    return found


# og:title, twitter:title and <title> are usually written by one SEO plugin from one field, so
# their agreement is weaker evidence than the <h1> agreeing with the JSON-LD headline.
_SOCIAL_SOURCES = frozenset(("og", "twitter", "title"))
_SOCIAL_ECHO = 0.2
_LEADING_DATE = re.compile(r"^(\d{1,2}\.\d{1,2}\.\d{2,4}|\d{4}-\d{2}-\d{2})\s+(?=\S)")
_KICKER = re.compile(r"^(.{2,100}?):\s+(.+)$")
_KICKER_MAX_WORDS = 4


def _title_site_parts(title: str | None, site_names: list[str], host: str) -> list[str]:
    """The squashed ends of a "Site - Headline" <title> that name the site."""
    parts = []
    for sep in _SEPARATORS:
        if title and sep in title:
            pieces = title.split(sep)
            for piece in (pieces[0], pieces[-1]):
                if _is_site_part(piece, site_names, host) and len(_squash(piece)) >= 4:
                    parts.append(_squash(piece))
    return parts


def _merge_kickers(votes: dict[str, float], chosen: dict[str, tuple[int, str]], shown: set[str]) -> None:
    """Join the votes of "Kicker: Headline" and "Headline" (one source dropped the kicker).

    The variant the page shows in its <h1> (`shown`) takes the votes: "Chronik: X" in og:title
    with "X" as the <h1> is a section label, "«Quote»: X" as the <h1> is part of the headline. A
    long kicker is a department label ("Medienmitteilung der …direktion"), whatever the <h1> shows.
    """
    for long_key in list(votes):
        if long_key not in votes:
            continue
        match = _KICKER.match(chosen[long_key][1])
        if not match:
            continue
        short_key = _squash(match.group(2))
        if short_key == long_key or short_key not in votes:
            continue
        if len(match.group(1).split()) > _KICKER_MAX_WORDS or short_key in shown:
            keep, drop = short_key, long_key
        elif long_key in shown:
            keep, drop = long_key, short_key
        else:
            continue
        votes[keep] += votes.pop(drop)
        if chosen[drop][0] < chosen[keep][0]:
            chosen[keep] = (chosen[drop][0], chosen[keep][1])


def _title(page: ParsedPage, ld: list[dict], site_names: list[str], logos: list[str]) -> str | None:
    """The headline most sources agree on (after removing site names), ties going to the main <h1>.

    Social titles (og/twitter) are often rewritten for sharing while the <h1> and JSON-LD keep the
    headline; a vote between sources recovers it without trusting any one of them blindly.
    """
    site_names = site_names + logos
    headings = [_LEADING_DATE.sub("", heading) for heading in page.h1_texts()[:3] if heading not in logos]
    # An <h1> starting with the name the <title> gives as the site's ("ProNATs e.V. Verein zur …"
    # for "Kinder und Arbeit » ProNATs e.V.") is the site's banner, unless the <title> repeats it.
    site_parts = _title_site_parts(page.title_tag, site_names, page.host)
    title_key = _squash(page.title_tag or "")
    headings = [h for h in headings
                if not any(_squash(h).startswith(part) and _squash(h) not in title_key for part in site_parts)]
    sources = [
        ("og", page.first_meta("og:title")),
        ("twitter", page.first_meta("twitter:title")),
        ("ld", _ld_first(ld, "headline")),
        ("meta", page.first_meta("citation_title", "dc.title", "dcterms.title")),
        ("title", page.title_tag),
    ]
    if len(headings) <= 2:  # many <h1>s mean the template uses them for boxes and teasers
        sources += [("h1", heading) for heading in headings]
    other_votes: dict[str, float] = {}
    social_votes: dict[str, list[float]] = {}
    chosen: dict[str, tuple[int, str]] = {}
    shown: set[str] = set()
    for source, candidate in sources:
        text = clean_text(candidate) if isinstance(candidate, str) else None
        if not text:
            continue
        headline = strip_site_affix(text, site_names, page.host, headings)
        # A title that is only the site's name (home-page style og:title) is no headline.
        if not headline or (_is_site_part(headline, site_names, page.host) and len(_squash(headline)) <= 40):
            continue
        key = _squash(headline)
        if source == "h1":
            shown.add(key)
        if source in _SOCIAL_SOURCES:
            social_votes.setdefault(key, []).append(_TITLE_WEIGHTS[source])
        else:
            other_votes[key] = other_votes.get(key, 0.0) + _TITLE_WEIGHTS[source]
        rank = _TITLE_ORDER.index(source)
        if key not in chosen or rank < chosen[key][0]:
            chosen[key] = (rank, headline)
    if not chosen:
        return headings[0] if headings else None
    votes = {key: other_votes.get(key, 0.0) for key in chosen}
    for key, weights in social_votes.items():
        votes[key] += max(weights) + _SOCIAL_ECHO * (len(weights) - 1)
    _merge_kickers(votes, chosen, shown)
    best = max(votes, key=lambda key: (votes[key], -chosen[key][0]))
    return chosen[best][1]


def _author(page: ParsedPage, ld: list[dict], by_id: dict[str, dict], site_names: list[str]) -> str | None:
    ld_authors = _ld_name(_ld_first(ld, "author"), by_id)
    citation = page.meta_values("citation_author")
    article_author = page.first_meta("article:author")
    if article_author and article_author.startswith(("http://", "https://")):
        article_author = None

    def is_site(name: str, names: list[str]) -> bool:
        return _is_site_part(name, names, page.host)

    found = pick_author([
        page.first_meta("author"),
        article_author,
        ", ".join(dict.fromkeys(ld_authors)) if ld_authors else None,
        ", ".join(citation) if citation else None,
        page.first_meta("dc.creator", "dcterms.creator", "parsely-author", "sailthru.author", "byl"),
    ], site_names, is_site)
    if found and not is_site(found, site_names):
        return found
    # Metadata silent or naming only the site: the visible byline may name the person.
    return byline_from_markup(page) or found


def _language(page: ParsedPage, ld: list[dict]) -> str | None:
    value = _first(page.lang, page.first_meta("og:locale", "content-language", "dc.language"),
                   _ld_first(ld, "inLanguage") if isinstance(_ld_first(ld, "inLanguage"), str) else None)
    return value.replace("_", "-") if value else None


def _canonical(page: ParsedPage) -> str | None:
    node = page.tree.css_first('link[rel="canonical"]')
    href = node.attributes.get("href") if node is not None else None
    return resolve_url(href, page.url) or resolve_url(page.first_meta("og:url"), page.url)


def _image(page: ParsedPage, ld: list[dict]) -> str | None:
    node = page.tree.css_first('link[rel="image_src"]')
    for candidate in (
        page.first_meta("og:image", "og:image:url", "og:image:secure_url"),
        page.first_meta("twitter:image", "twitter:image:src"),
        _ld_image(_ld_first(ld, "image")),
        node.attributes.get("href") if node is not None else None,
    ):
        url = resolve_url(candidate, page.url)
        if url:
            return url
    return None


def _default_tz(page: ParsedPage) -> timezone | None:
    """The zone of zone-less times: Beijing time on Chinese-language or .cn pages, else unknown."""
    lang = (page.lang or "").lower()
    if lang.startswith("zh") or page.host.endswith(".cn"):
        return CHINA_TZ
    return None


def generic_fields(page: ParsedPage) -> dict[str, str | None]:
    """Every field by the generic ordered rules, for any page."""
    ld = _article_objects(page)
    by_id = _ld_by_id(page)
    logos = site_headings(page)
    site_name = _site_name(page, ld, by_id, logos)
    site_names = [name for name in (site_name, known_site_name(page.host)) if name]
    return {
        "title": _title(page, ld, site_names, logos),
        "site_name": site_name,
        "description": _first(
            page.first_meta("og:description"),
            page.first_meta("twitter:description"),
            page.first_meta("description"),
            _ld_first(ld, "description") if isinstance(_ld_first(ld, "description"), str) else None,
            page.first_meta("dc.description", "dcterms.description", "citation_abstract"),
        ),
        "author": _author(page, ld, by_id, site_names),
        "published": published(page, _ld_first(ld, "datePublished"), _default_tz(page)),
        "canonical_url": _canonical(page),
        "language": _language(page, ld),
        "image": _image(page, ld),
    }


def extract_page(html: bytes, url: str, *, content_type: str | None = None, with_text: bool = False) -> WebRecord:
    """The web record of an HTML page, or PageUnavailable when the page is not an article.

    Site rules (WeChat, Zhihu) run first and win where they give a value; the generic rules fill
    in the rest. `with_text` adds the lead of the article's main text, from the same parse.
    Pure: no I/O, the same bytes always give the same record.
    """
    page = ParsedPage(decode_html(html, content_type), url)
    site = rules_for(page)
    site_fields = site.extract(page) if site is not None else {}
    if site is None:
        _check_bot_wall(page)
    fields = generic_fields(page)
    if site is not None:
        # A site rule that knows its site leaves no room for the platform's generic values
        # (og:site_name on WeChat is "微信公众平台", never the account).
        fields["site_name"] = None
    for key, value in site_fields.items():
        # None: the site rule does not know, the generic value stays; "": the site rule knows the
        # generic value is wrong for this site (cnblogs' code line numbers as og:description).
        if value is not None:
            fields[key] = value or None
    media = (content_type or "").split(";")[0].strip().lower() or None
    record = WebRecord(url=url, content_type=media, **fields)
    if with_text:
        # Last: the main-text rules prune the parsed tree that the field rules above read.
        record.text = text_lead(text_of(page))
    return record


# --- main text ------------------------------------------------------------------------------
# The article's text has its own module; this re-export is the public entry point.
from pipeline.maintext import extract_text, text_of  # noqa: E402
from pipeline.maintext import lead as text_lead  # noqa: E402

__all__ += ["extract_text"]
