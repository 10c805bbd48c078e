"""HTML -> web record: archived copies unwrapped, site rules, bot walls, then per-field rules (titles and site names by agreement)."""

from __future__ import annotations

import re
from datetime import timezone

from pipeline.byline import byline_from_markup, pick_author, published
from pipeline.decode import decode_html
from pipeline.maintext import extract_text, text_of
from pipeline.maintext import lead as text_lead
from pipeline.models import WebRecord
from pipeline.sitename import is_site_part, pick_site_name, site_candidates, squash
from pipeline.sites.common import (
    CHINA_TZ,
    PageUnavailable,
    ParsedPage,
    clean_text,
    resolve_url,
)
from pipeline.sites.names import known_site_name
from pipeline.sites.rules import rules_for
from pipeline.titles import (
    pick_title,
    site_headings,
    strip_site_affix,
    title_affixes,
    title_end_naming_host,
)
from pipeline.webarchive import original_url, unwrap, without_chrome

__all__ = ["PageUnavailable", "extract_page", "extract_text", "strip_site_affix"]

# --- bot walls ------------------------------------------------------------------------------

_BOT_TITLE = re.compile(
    r"^(just a moment\b|attention required|access denied|access to this page has been denied|"
    r"please wait\b.*(redirect|verif|check)|one more step|checking your browser|ddos-guard|"
    r"security check|(please )?verify(ing)? (that )?you are (a )?human|are you a robot|human verification|"
    r"captcha|robot check|pardon our interruption|请稍候|安全验证|人机验证|访问验证)",
    re.IGNORECASE,
)
# Markers only challenge pages carry (Cloudflare, PerimeterX, DataDome, Akamai); normal pages may
# load Cloudflare's /cdn-cgi/challenge-platform/ script, so that path alone proves nothing.
_BOT_MARKERS = (
    "window._cf_chl_opt",
    'id="challenge-form"',
    "cf-browser-verification",
    "px-captcha",
    "captcha-delivery.com",
    "geo.captcha-delivery",
    "errors.edgesuite.net",
)
_SMALL_PAGE = 60_000


def _check_bot_wall(page: ParsedPage) -> None:
    title = page.title_tag or ""
    if title and _BOT_TITLE.search(title) and not page.first_meta("og:title"):
        raise PageUnavailable("blocked by a bot check", permanent=False)
    if len(page.text) < _SMALL_PAGE and any(marker in page.text for marker in _BOT_MARKERS):
        raise PageUnavailable("blocked by a bot check", permanent=False)


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


def _author(page: ParsedPage, ld: list[dict], by_id: dict[str, dict], site_names: list[str]) -> str | None:
    ld_authors = _ld_name(_ld_first(ld, "author"), by_id)
    citation = page.meta_values("citation_author")
    article_author = page.first_meta("article:author")
    if article_author and article_author.startswith(("http://", "https://")):
        article_author = None

    def is_site(name: str, names: list[str]) -> bool:
        return is_site_part(name, names, page.host)

    found = pick_author(
        [
            page.first_meta("author"),
            article_author,
            ", ".join(dict.fromkeys(ld_authors)) if ld_authors else None,
            ", ".join(citation) if citation else None,
            page.first_meta("dc.creator", "dcterms.creator", "parsely-author", "sailthru.author", "byl"),
        ],
        site_names,
        is_site,
    )
    if found and not is_site(found, site_names):
        return found
    # Metadata silent or naming only the site: the visible byline may name the person.
    return byline_from_markup(page) or found


def _language(page: ParsedPage, ld: list[dict]) -> str | None:
    value = _first(
        page.lang,
        page.first_meta("og:locale", "content-language", "dc.language"),
        _ld_first(ld, "inLanguage") if isinstance(_ld_first(ld, "inLanguage"), str) else None,
    )
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


def _site_name(
    page: ParsedPage, ld: list[dict], by_id: dict[str, dict], logos: list[str], notes: list[str] | None
) -> tuple[str | None, list[str]]:
    """The site's name by agreement of its signals, and the names a title may carry as its affix."""
    publisher = _ld_name(_ld_first(ld, "publisher"), by_id)
    websites = [obj for obj in page.json_ld if "WebSite" in _types(obj)]
    website = _ld_name(websites[0], by_id) if websites else []
    headline = _ld_first(ld, "headline")
    # A suffix that the <title> adds to the headline that og:title, JSON-LD or the <h1> give alone.
    affixes = title_affixes(
        [page.title_tag, page.first_meta("og:title")],
        [
            page.first_meta("og:title"),
            page.first_meta("twitter:title"),
            headline if isinstance(headline, str) else None,
            page.first_meta("citation_title"),
            *(h for h in page.h1_texts()[:2] if h not in logos),
        ],
    )
    candidates = site_candidates(
        [
            ("og:site_name", page.first_meta("og:site_name")),
            ("publisher", publisher[0] if publisher else None),
            ("website", website[0] if website else None),
            ("application-name", page.first_meta("application-name", "apple-mobile-web-app-title")),
            ("known", known_site_name(page.host)),
            *affixes,
            *(("logo", logo) for logo in logos),
            ("title end", title_end_naming_host(page.title_tag, page.host)),
        ]
    )
    site_name = pick_site_name(candidates, page.host, notes)
    strong = [c.name for c in candidates if c.source in ("og:site_name", "publisher") and len(squash(c.name)) >= 4]
    names = [name for name in (site_name, known_site_name(page.host), *strong) if name]
    return site_name, list(dict.fromkeys(names))


def generic_fields(page: ParsedPage, notes: list[str] | None = None) -> dict[str, str | None]:
    """Every field by the generic ordered rules, for any page; `notes`, when given, collects the
    title and site-name candidates and why one won."""
    ld = _article_objects(page)
    by_id = _ld_by_id(page)
    logos = site_headings(page)
    site_name, site_names = _site_name(page, ld, by_id, logos, notes)
    return {
        "title": pick_title(page, _ld_first(ld, "headline"), site_names, logos, notes),
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


def _page_bytes(html: object) -> bytes:
    """The page as bytes: text is encoded as UTF-8; anything else is refused with PageUnavailable."""
    if isinstance(html, bytes):
        return html
    if isinstance(html, (bytearray, memoryview)):
        return bytes(html)
    if isinstance(html, str):
        return html.encode("utf-8", "surrogatepass")
    raise PageUnavailable(f"not an HTML page: got {type(html).__name__}, not bytes", permanent=True)


def extract_page(html: bytes, url: str | None, *, content_type: str | None = None, with_text: bool = False) -> WebRecord:
    """The web record of an HTML page, or PageUnavailable when the page is not an article.

    Any bytes and any `url` (None and "" included: the page is then read without a host) give a
    record or PageUnavailable, never another exception. A copy on web.archive.org or archive.today
    is read as the page it copied, without the archive's chrome, and the record names the original
    in `archived_from`. Site rules (WeChat, Zhihu) run first and win where they give a value; the
    generic rules fill in the rest. `with_text` adds the lead of the article's main text, from the
    same parse. Pure: no I/O, the same bytes always give the same record.
    """
    body = _page_bytes(html)
    fetched_url = url if isinstance(url, str) else None
    archived_from = original_url(fetched_url, body)
    if archived_from is not None:
        body = without_chrome(body, fetched_url)
    page = ParsedPage(decode_html(body, content_type), archived_from or fetched_url or "")
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
    if archived_from is not None:
        # The archive rewrites the copy's links to point into itself.
        fields["canonical_url"] = unwrap(fields["canonical_url"]) or archived_from
        fields["image"] = unwrap(fields["image"])
    media = (content_type or "").split(";")[0].strip().lower() or None
    record = WebRecord(url=fetched_url, content_type=media, archived_from=archived_from, **fields)
    if with_text:
        # Last: the main-text rules prune the parsed tree that the field rules above read.
        record.text = text_lead(text_of(page))
    return record
