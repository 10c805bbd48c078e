"""An element's visible text as paragraphs: block boundaries kept, inline markup joined, boilerplate lines dropped."""

from __future__ import annotations

import html
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

# Elements whose end is a paragraph break; inline elements (a, b, span, code…) join their text
# with no added space, so "中文<a>链接</a>" and "foo<b>bar</b>" stay one word.
BLOCK_TAGS = (
    "p",
    "div",
    "section",
    "article",
    "main",
    "blockquote",
    "pre",
    "li",
    "dt",
    "dd",
    "ul",
    "ol",
    "dl",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "tr",
    "figure",
    "figcaption",
    "header",
    "footer",
    "aside",
    "nav",
    "hr",
    "address",
    "details",
    "summary",
)
_BLOCK_SELECTOR = ", ".join(BLOCK_TAGS)
# Cells of a table row are pieces of one line.
_CELL_SELECTOR = "td, th"
# Never visible or never text.
INVISIBLE_TAGS = [
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "canvas",
    "video",
    "audio",
    "select",
    "button",
    "input",
    "textarea",
    "img",
    "picture",
    "source",
]

_BREAK = "\u2029"  # paragraph separator: never in real page text, so it marks our own breaks
_LINE = "\u2028"
_HEADING = "\ufdd0"  # a noncharacter: marks a line that is a heading

# Lines that are never the article however long the article: follow-us prompts, share and
# read-more links, copyright notices. Anchored so a sentence that merely mentions them stays.
_BOILERPLATE_LINE = re.compile(
    r"^\W*("
    r"点击(上方|下方|蓝字|关注|阅读原文|“|\")|关注(我们|公众号|我)|长按(识别|扫描|扫码|二维码)|扫码关注|扫描二维码|识别二维码"
    r"|阅读原文|原文链接|推荐阅读|相关阅读|往期(推荐|回顾|精选|文章)|延伸阅读|精彩推荐|热门推荐|猜你喜欢|更多精彩"
    r"|版权(声明|所有)|本文(为|系).{0,12}原创|转载请|免责声明|责任编辑|编辑[:：]|来源[:：]|分享到|点赞|在看|喜欢此内容"
    r"|预览时标签不可点|微信扫一扫|继续滑动看下一个|轻触阅读原文|向上滑动看下一个"
    r"|share (this|on)|follow us|sign up for|subscribe to|read more\b|related (articles|posts|stories)"
    r"|copyright\b|©|\(c\) ?\d{4}|all rights reserved|advertisement\b|anzeige\b|teilen\b|mehr zum thema"
    # Headings of "more to read" lists, in the languages pages come in.
    r"|(you (may|might) also like|more from|read next|recommended for you|auch interessant|weitere themen"
    r"|das könnte (dich|sie) (auch )?interessieren|lesen sie auch|temas relacionados|te puede interesar"
    r"|à lire aussi|lire aussi|leia também)\W*$"
    # Caption credits.
    r"|(photo|foto|bild|image|credit|crédits?)( ?(credits?|photos?))?\s*[:：]"
    r")",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u3000\u200b\ufeff]+")


# Calls to subscribe or sign in, wherever they stand in a short line.
_SUBSCRIBE_PROMPT = re.compile(
    r"\b(subscribe|subscribers?|subscription|newsletter|abonnieren|abonnement|sign up|log in|anmelden)\b",
    re.IGNORECASE,
)


def _is_boilerplate(line: str) -> bool:
    if len(line) >= 160:
        return False
    return (len(line) < 120 and _BOILERPLATE_LINE.search(line) is not None) or _SUBSCRIBE_PROMPT.search(line) is not None


def mark_blocks(root: LexborNode) -> None:
    """Put break markers around every block element and line markers at every <br> (mutates the tree)."""
    for node in root.css(_BLOCK_SELECTOR):
        node.insert_before(_BREAK)
        node.insert_after(_BREAK)
    for node in root.css("br"):
        node.insert_after(_LINE)
    for node in root.css(_CELL_SELECTOR):
        node.insert_after(" ")
    for node in root.css("h2, h3, h4, h5, h6"):
        node.insert_before(_HEADING)


def paragraphs_of(text: str, end: re.Pattern[str] | None = None) -> list[str]:
    """Marked text split into clean paragraphs; boilerplate lines and empty ones dropped.

    A line matching `end` after the first paragraph ends the text (a site's sign-off before its
    lists of other articles).
    """
    found: list[str] = []
    headings: list[bool] = []
    for block in text.split(_BREAK):
        heading = _HEADING in block
        for line in block.replace(_HEADING, "").split(_LINE):
            line = _SPACES.sub(" ", line).strip()
            if not line:
                continue
            if end is not None and found and end.match(line):
                return found
            if not _is_boilerplate(line):
                found.append(line)
                headings.append(heading)
    # Headings with nothing after them head the lists that follow an article, not its text.
    while found and headings[-1]:
        found.pop()
        headings.pop()
    return found


def node_paragraphs(root: LexborNode, end: re.Pattern[str] | None = None) -> list[str]:
    """The paragraphs of one element (its tree is marked in place: call once, last)."""
    root.strip_tags(INVISIBLE_TAGS)
    mark_blocks(root)
    return paragraphs_of(root.text(deep=True) or "", end)


_REAL_TAG = re.compile(r"</?[a-z][a-z0-9]*(\s[^<>]*)?/?>", re.IGNORECASE)
_ESCAPED_TAG = re.compile(r"&lt;/?[a-z]", re.IGNORECASE)
_BLOCK_TAG = re.compile(r"<(p|div|section|br|h\d|li|blockquote|pre)\b", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]*>")


def fragment_paragraphs(fragment: str, end: re.Pattern[str] | None = None) -> list[str]:
    """The paragraphs of an HTML fragment held in a string (a page's JS data).

    Plain text with HTML links inside (WeChat text shares) breaks at its newlines; a fragment
    with block markup breaks at its blocks, as a page does. Markup that arrives entity-escaped
    (`&lt;a class=&quot;wx_topic_link&quot;&gt;#话题&lt;/a&gt;`) is markup, not text.
    """
    if not _REAL_TAG.search(fragment) and _ESCAPED_TAG.search(fragment):
        fragment = html.unescape(fragment)
    if not _BLOCK_TAG.search(fragment):
        text = html.unescape(_ANY_TAG.sub("", fragment))
        fragment = html.escape(text, quote=False).replace("\n", "<br>")
    tree = LexborHTMLParser(f"<div>{fragment}</div>")
    root = tree.body
    return node_paragraphs(root, end) if root is not None else []


def fragment_text(fragment: str) -> str:
    """An HTML fragment's visible text on one line: tags dropped, entities decoded."""
    return " ".join(fragment_paragraphs(fragment))
