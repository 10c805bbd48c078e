"""HTML -> the article's main text: site rules first, then JSON-LD articleBody, the article element and a paragraph-density fallback."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import lru_cache

from selectolax.lexbor import LexborNode

from pipeline.decode import decode_html
from pipeline.sites.common import ParsedPage
from pipeline.sites.rules import rules_for
from pipeline.summary import cut_at_sentence
from pipeline.textblocks import INVISIBLE_TAGS, fragment_paragraphs, node_paragraphs

# How much of the text a record keeps: the lead a summary is drawn from, in whole paragraphs.
LEAD_CHARS = 4000

# Whole subtrees that are never the article.
_CHROME_TAGS = ("nav", "aside", "footer", "header", "dialog", "menu", "figure", "figcaption", "form")
_CHROME_ELEMENTS = ", ".join(_CHROME_TAGS) + (
    ', [hidden], [role="navigation"], [role="complementary"], [role="contentinfo"], [role="banner"]'
)
# Class/id words of blocks that are never the article: comments, share bars, related lists, notices.
_CHROME_WORDS = re.compile(
    r"(^|[^a-z])(comments?|kommentare?|disqus|respond|replies|sharing|shariff|sociable|"
    r"breadcrumbs?|cookies?|consent|gdpr|subscribe|subscription|signup|popup|modal|"
    r"more-?stories|top-?stories|most-?(read|popular)|trending|login|overlay|teaser-?list|"
    r"(next|prev|previous)-?(post|story|article)s?|print-?(button|link)s?|read-?also|see-?also|"
    r"more-?(articles|news|posts)|twitter-tweet|instagram-media|tiktok-embed|donations?|paywall|buybox|"
    r"disclaimer|affiliate)([^a-z]|$)"
    # Words that name chrome whatever follows them: "jp-relatedposts", "share-bar", "entryfooter".
    r"|(^|[^a-z])(related|recommend|newsletter|share|social|similar)|footer",
    re.IGNORECASE,
)
# Words of chrome that pages also put on wrappers of everything ("l-outer nav-open", "has-ads"):
# such a block goes only when it is small.
_WEAK_CHROME_WORDS = re.compile(
    r"(^|[^a-z])(navbar|navigation|nav|menu|pagination|pager|tags|tag-?(list|cloud|links)|byline|author-?(box|info|bio)|"
    r"meta|post-?meta|entry-?meta|widget|toolbar|ratings?|masthead|banner|caption|credit|read-?more|"
    r"sidebar|side-?bar|advert(isement)?|ads?|adsbygoogle|sponsor(ed)?|promo|outbrain|taboola|"
    r"copyright|sr-only|visually-?hidden|hide-?completely|skip|jump|credits?|image-?(source|author|credit)|"
    r"photo-?credit|authors?|autor|date|dateline|timestamp|reading-?time|post-?list)([^a-z]|$)",
    re.IGNORECASE,
)
# Stems of every word above, with only the left boundary: a quick first test that most class
# strings fail (a superset of both rules, so it never hides a chrome word).
_MAYBE_CHROME = re.compile(
    r"(?<![a-z])(?:comment|kommentar|disqus|respond|repl|shar|sociable|breadcrumb|cookie|consent|gdpr|subscri|"
    r"signup|popup|modal|more|top|most|trending|login|overlay|teaser|next|prev|print|read|see|twitter|"
    r"instagram|tiktok|donation|paywall|buybox|disclaimer|affiliate|related|recommend|newsletter|social|"
    r"similar|nav|menu|pag|tag|byline|author|autor|meta|postmeta|entrymeta|widget|toolbar|rating|masthead|"
    r"banner|caption|credit|side|advert|ad|sponsor|promo|outbrain|taboola|copyright|sr-only|visually|hide|"
    r"skip|jump|image|photo|date|timestamp|postlist|post-list)|footer",
    re.IGNORECASE,
)
_WEAK_CHROME_MAX_CHARS = 1000
# Elements whose class words are read: not links, icons and list items (a third of a page's
# classed elements), whose chrome the block around them or the link-list rule removes.
_INLINE = ":not(a):not(i):not(img):not(svg):not(path):not(li)"
_WORDS_SELECTOR = f"[class]{_INLINE}, [id]{_INLINE}"
_FORM_MAX_CHARS = 2000
# Words that mark a container of the article itself: chrome words in the same class do not
# remove it (readability's "maybe a candidate") when it holds much text.
_CONTENT_WORDS = re.compile(r"article|content|entry|main|post|story|body|text|blog", re.IGNORECASE)
_CONTENT_KEEP_CHARS = 600
_BEM_MODIFIER = re.compile(r"--[\w-]+")
# State classes name what a wrapper contains, not what it is: "has-sidebar", "with-comments",
# and WordPress's "tag-<term>" on the post itself.
_STATE_CLASS = re.compile(r"(^|\s)(has|with|no|show|hide|tag|category)-[\w-]+", re.IGNORECASE)

_WIDEN_FACTOR = 1.3
_LEAD_SELECTOR = ", ".join(
    f'[class*="{word}"]' for word in ("lead", "intro", "chapo", "teaser", "standfirst", "summary", "excerpt", "deck")
)
_LEAD_MIN_CHARS = 60
_LEAD_MAX_CHARS = 1500
_LIST_ITEM_SHARE = 0.5
# An <article> around the chosen block is taken whole (its lead paragraph often sits beside the
# body) unless it holds far more paragraph text, as a page-wide <article> wrapper does.
_ARTICLE_MAX_GROWTH = 1.5
_BR_HOLDERS = frozenset(("div", "section", "article", "main", "font", "span", "center"))
_PARAGRAPHS = "p, pre, blockquote, li, td, h2, h3, h4"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_TAG = re.compile(r"</?[a-z][a-z0-9]*[\s>/]", re.IGNORECASE)
_ESCAPED_TAG = re.compile(r"&lt;/?[a-z]|&amp;[a-z]+;", re.IGNORECASE)
_COMMAS = re.compile(r"[,，、;；。.]")


def _text_len(text: str) -> float:
    """Length in Latin-character units: a CJK character carries about as much as three letters."""
    return len(text) + 2 * len(_CJK.findall(text)) if _CJK.search(text) else len(text)


def _is_chrome_element(node: LexborNode) -> bool:
    """Whether a navigation/aside/footer/header/hidden element is page chrome."""
    tag = node.tag
    if tag == "header":
        # Article heads hold the lead paragraph; a page's head is outside its article.
        return not (_inside_article(node) or any(len(p.text() or "") > 100 for p in node.css("p")))
    if tag == "aside":
        # A page that wraps its whole article in <aside> is rare, but a big one is not chrome.
        return not (len(node.text() or "") > 2000 and node.css_first("p") is not None)
    if tag == "form":
        # Comment and rating forms are small; some frameworks wrap the whole page in one form.
        return len(node.text() or "") < _FORM_MAX_CHARS
    return tag not in ("html", "body", "article", "main")


def _inside_article(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in ("article", "main"):
            return True
        parent = parent.parent
    return False


def _is_chrome_by_words(node: LexborNode) -> bool:
    """Whether an element is page chrome by its class/id words (most elements are decided by a cache hit)."""
    attrs = node.attrs
    verdict = _chrome_words(f"{attrs.get('class') or ''} {attrs.get('id') or ''}")
    if verdict is _NOT_CHROME or node.tag in ("html", "body", "article", "main"):
        return False
    strong, content = verdict
    size = len(node.text() or "")
    if not strong and size > _WEAK_CHROME_MAX_CHARS:
        return False
    return not (content and size > _CONTENT_KEEP_CHARS)


_NOT_CHROME = (False, False)


@lru_cache(maxsize=8192)
def _chrome_words(marks: str) -> tuple[bool, bool]:
    """(strong chrome word?, content word?) of a class/id string; _NOT_CHROME when no chrome word.

    Cached: a page repeats the same few class strings on thousands of elements.
    """
    if _MAYBE_CHROME.search(marks) is None:
        return _NOT_CHROME
    marks = _STATE_CLASS.sub("", _BEM_MODIFIER.sub("", marks))
    if not marks.strip():
        return _NOT_CHROME
    strong = _CHROME_WORDS.search(marks) is not None
    if not strong and _WEAK_CHROME_WORDS.search(marks) is None:
        return _NOT_CHROME
    return strong, _CONTENT_WORDS.search(marks) is not None


def _remove_chrome(root: LexborNode) -> None:
    """Drops navigation, share bars, comment blocks and other chrome before any scoring."""
    root.strip_tags(INVISIBLE_TAGS)
    for node in root.css(_CHROME_ELEMENTS):
        if _is_chrome_element(node):
            node.decompose()
    for node in root.css(_WORDS_SELECTOR):
        if _is_chrome_by_words(node):
            node.decompose()


def _link_density(node: LexborNode, text_len: int) -> float:
    if not text_len:
        return 1.0
    linked = sum(len(a.text() or "") for a in node.css("a"))
    return min(1.0, linked / text_len)


def _drop_link_lists(root: LexborNode) -> None:
    """Removes blocks inside the article that are mostly links: related lists, tag clouds, teasers."""
    for node in root.css("ul, ol, div, section, table, p, dl"):
        text = node.text() or ""
        size = len(text.strip())
        if size > 1500:
            continue
        if size == 0 or _link_density(node, size) > (0.5 if node.tag != "p" else 0.8):
            node.decompose()


def _paragraph_weight(para: LexborNode) -> float:
    """How much a paragraph says the article is here: its text, less the share that is links."""
    text = (para.text() or "").strip()
    size = _text_len(text)
    if size < 25:
        return 0.0
    linked = sum(len(a.text() or "") for a in para.css("a")) if para.css_first("a") is not None else 0
    plain = max(0.0, 1 - linked / max(len(text), 1))
    # A list item or table cell is a weaker sign than a paragraph: reference lists and tables
    # of figures are long, but seldom the article.
    kind = _LIST_ITEM_SHARE if para.tag in ("li", "td") else 1.0
    return min(size, 800) * plain * plain * kind


def _best_container(body: LexborNode, marked: LexborNode | None) -> list[LexborNode]:
    """The element holding the article: the one the page marks as its articleBody, else the best
    parent of paragraphs; widened while its ancestors add much more paragraph text (an article
    split over sibling blocks)."""
    totals: dict[int, float] = {}
    direct: dict[int, float] = {}
    nodes: dict[int, LexborNode] = {}

    def spread(start: LexborNode | None, weight: float) -> None:
        """Adds a paragraph's weight to the block holding it (in full), its parent (half) and
        every further ancestor's total."""
        node, depth = start, 0
        while node is not None and node.tag not in ("html", None):
            key = node.mem_id
            if key not in nodes:
                nodes[key] = node
            totals[key] = totals.get(key, 0.0) + weight
            if depth < 2:
                direct[key] = direct.get(key, 0.0) + weight / (1 + depth)
            if node.tag == "body":
                break
            node = node.parent
            depth += 1

    for para in body.css(_PARAGRAPHS):
        weight = _paragraph_weight(para)
        if weight:
            spread(para.parent, weight)
    # Text written straight into a block and broken by <br>s, with no <p> around it: the block
    # is its own paragraph holder.
    seen: set[int] = set()
    for line_break in body.css("br"):
        holder = line_break.parent
        if holder is None or holder.tag not in _BR_HOLDERS or holder.mem_id in seen:
            continue
        seen.add(holder.mem_id)
        weight = _paragraph_weight(holder)
        if weight:
            spread(holder, weight)
    if marked is not None and marked.mem_id in totals:
        best = marked
    elif not direct:
        return [body]
    else:
        best = nodes[max(direct, key=direct.__getitem__)]
    # Wrappers that add nothing are passed over: an ancestor is taken only for the text it adds.
    ancestor = best.parent
    while ancestor is not None and ancestor.mem_id in totals:
        if totals[ancestor.mem_id] >= totals[best.mem_id] * _WIDEN_FACTOR:
            best = ancestor
        if ancestor.tag == "body":
            break
        ancestor = ancestor.parent
    ancestor = best.parent
    while ancestor is not None and ancestor.tag not in ("body", "html"):
        if ancestor.tag == "article":
            if totals.get(ancestor.mem_id, 0.0) <= totals[best.mem_id] * _ARTICLE_MAX_GROWTH:
                best = ancestor
            break
        ancestor = ancestor.parent
    return [best]


def _children(node: LexborNode) -> Iterable[LexborNode]:
    child = node.child
    while child is not None:
        yield child
        child = child.next


def _from_json_ld(page: ParsedPage) -> list[str] | None:
    """The articleBody of the page's JSON-LD, which some sites fill with (escaped) HTML."""
    for obj in page.json_ld:
        body = obj.get("articleBody")
        if isinstance(body, str) and len(body) > 200:
            for _ in range(2):
                if "&" in body and _ESCAPED_TAG.search(body):
                    body = html.unescape(body)
            if "<" in body and _TAG.search(body):
                return fragment_paragraphs(body)
            return [line.strip() for line in body.splitlines() if line.strip()]
    return None


def _is_within(node: LexborNode, ancestor: LexborNode) -> bool:
    key = ancestor.mem_id
    parent = node.parent
    while parent is not None:
        if parent.mem_id == key:
            return True
        parent = parent.parent
    return False


def _lead_outside(body: LexborNode, container: LexborNode) -> LexborNode | None:
    """The article's lead paragraph when the page puts it outside the body's block (a "chapo",
    "intro" or "teaser" in the article's head)."""
    for node in body.css(_LEAD_SELECTOR):
        text = (node.text() or "").strip()
        if not _LEAD_MIN_CHARS <= _text_len(text) <= _LEAD_MAX_CHARS or _link_density(node, len(text)) > 0.2:
            continue
        if _is_within(node, container) or _is_within(container, node):
            continue
        return node
    return None


def _generic(page: ParsedPage) -> list[str]:
    body = page.tree.body
    if body is None:
        return []
    _remove_chrome(body)
    containers = _best_container(body, body.css_first('[itemprop="articleBody"]'))
    found: list[str] = []
    lead_node = _lead_outside(body, containers[0])
    if lead_node is not None:
        found.extend(node_paragraphs(lead_node))
    for container in containers:
        _drop_link_lists(container)
        for heading in container.css("h1"):
            heading.decompose()
        found.extend(_trim(node_paragraphs(container)))
    ld_paragraphs = _from_json_ld(page)
    if ld_paragraphs and sum(map(len, ld_paragraphs)) > 1.3 * sum(map(len, found)):
        # The markup hid the text (rendered by script) but the structured data carries it.
        return ld_paragraphs
    return found


_DATE_LINE = re.compile(
    r"^\W*(\d{1,4}[./-]\s?\d{1,2}[./-]\s?\d{2,4}|\d{1,2}\.? \w+ \d{4}|\w+ \d{1,2}, \d{4}|\d{4}年\d{1,2}月\d{1,2}日)"
    r"([\s,|·-]*(um )?\d{1,2}[:.]\d{2}( ?(uhr|am|pm))?)?\W*$",
    re.IGNORECASE,
)


def _trim(paragraphs: list[str]) -> list[str]:
    """Drops lines that are only a date (the article's dateline, a list's timestamps)."""
    return [p for p in paragraphs if not (len(p) < 40 and _DATE_LINE.match(p))]


def text_of(page: ParsedPage) -> str | None:
    """The main text of a parsed page, paragraphs separated by blank lines (mutates the page's tree)."""
    site = rules_for(page)
    paragraphs = None
    article_text = getattr(site, "article_text", None)
    if article_text is not None:
        paragraphs = article_text(page)
    if paragraphs is None:
        paragraphs = _generic(page)
    text = "\n\n".join(paragraphs)
    return text or None


def extract_text(html: bytes, url: str, *, content_type: str | None = None) -> str | None:
    """The article's main text as paragraphs separated by blank lines, or None when it has none.

    Pure: no I/O. Navigation, share prompts, comments, related lists and footers are left out.
    """
    return text_of(ParsedPage(decode_html(html, content_type), url))


def lead(text: str | None, limit: int = LEAD_CHARS) -> str | None:
    """The first whole paragraphs of a text, up to about `limit` characters; a first paragraph
    longer than that is cut at a sentence end."""
    if not text:
        return None
    kept: list[str] = []
    size = 0
    for paragraph in text.split("\n\n"):
        if kept and size + len(paragraph) > limit:
            break
        if len(paragraph) > limit:
            kept.append(cut_at_sentence(paragraph, limit))  # one huge block must not fill the cache
            break
        kept.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(kept)
