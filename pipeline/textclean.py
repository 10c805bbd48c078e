"""Text cleaning for summaries: markup, entities and escapes undone, credits and share prompts dropped, LaTeX made readable."""

from __future__ import annotations

import html
import re
from functools import lru_cache

# A tag as markup writes it (`<a class=…>`, `</p>`, `<br/>`, `<!-- … -->`), by the names of HTML
# elements (and WeChat's `mp-*` ones): "$x<y$ and $z>w$" in an abstract holds no tag.
_TAG_NAMES = (
    "a abbr address article aside audio b big blockquote body br button caption center cite code col "
    "colgroup dd del details div dl dt em embed figcaption figure font footer form h1 h2 h3 h4 h5 h6 "
    "head header hr html i iframe img input ins kbd label li link main mark meta nav noscript object ol "
    "option p param picture pre q s samp script section select small source span strike strong style "
    "sub summary sup svg table tbody td tfoot th thead time title tr tt u ul var video wbr"
).split()
_TAG = re.compile(
    r"<!--.*?-->|</?(?:" + "|".join(sorted(_TAG_NAMES, key=len, reverse=True)) + r"|mp-[\w-]+)"
    r"(?=[\s/>])[^<>]*>",
    re.DOTALL | re.IGNORECASE,
)
# JavaScript string escapes left in text a page put in a script (`\x26lt;a …`, `\u003c`).
_JS_ESCAPE = re.compile(r"\\x([0-9A-Fa-f]{2})|\\u([0-9A-Fa-f]{4})")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]{1,31});")


def _js_unescape(text: str) -> str:
    return _JS_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def strip_markup(text: str) -> str:
    """Plain text: JavaScript escapes and HTML entities decoded (twice escaped ones too), tags
    removed, and a `<` that is left written as `＜`, so no markup survives in any form."""
    if "\\x" in text or "\\u" in text:
        text = _js_unescape(text)
    for _ in range(3):  # "&amp;lt;a&amp;gt;" needs two rounds before the tag shows
        if "&" in text and _ENTITY.search(text):
            text = html.unescape(text)
        if "<" in text:
            text = _TAG.sub(" ", text)
        if not ("&" in text and _ENTITY.search(text)):
            break
    # What is left is prose ("a < b") or a broken tag; either way it must not read as markup.
    return text.replace("<", "＜")


# Credits and labels that open a text and say nothing about its content: a photo or source
# credit, a byline, an editor's-note or lead label. The credit's value ends at the first space
# or punctuation mark.
_CREDIT_LABELS = (
    "摄影",
    "图片来源",
    "图源",
    "题图",
    "封面",
    "来源",
    "出处",
    "作者",
    "文",
    "撰文",
    "编辑",
    "责编",
    "责任编辑",
    "编译",
    "整理",
    "出品",
    "策划",
    "审校",
    "校对",
    "排版",
    "转载自",
    "本文转载自",
    "原文作者",
    "译者",
    "翻译",
)
_CREDIT = re.compile(
    r"^\s*(?:(?:" + "|".join(sorted(_CREDIT_LABELS, key=len, reverse=True)) + r")\s*[：:|/丨｜]\s*"
    r"[^\s，。；;！？!?：:]{1,30}[\s，。；;]*)+"
)
_LATIN_CREDIT = re.compile(
    r"^\s*(?:(?:photo|image|picture|cover image|source|credit|text|words)s?\s*(?:by|:)\s[^.|\n]{1,60}[.|]\s*"
    r"|by\s+[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,3}\s*[|,]\s*)+",
    re.IGNORECASE,
)
# `编者按：`, `【新智元导读】`, `导语：`, `Abstract:`: the label goes, what it introduces stays.
_OPENER = re.compile(
    r"^\s*(?:【[^】]{0,12}(?:编者按|导读|导语|按|摘要)】|\[(?:编者按|导读)\]"
    r"|(?:编者按|编辑按|编者的话|导读|导语|摘要|简介|前言|写在前面|abstract|summary|tl;dr)\s*[:：]"
    r"|(?:abstract|summary)\s*\.|编者按)\s*",
    re.IGNORECASE,
)
# A news desk's line or dateline: "机器之心报道 机器之心编辑部", "新智元报道 编辑：好困",
# "新华社北京4月24日电（记者 张三）", "AUSTIN, Texas — ".
_DESK = re.compile(
    r"^\s*(?:[\w·]{2,12}(?:报道|原创|出品)\s+(?:[\w·]{2,12}编辑部\s*)?"
    r"|[\u4e00-\u9fff]{1,8}(?:社|网|报|台)[\u4e00-\u9fff]{0,6}\d{1,2}月\d{1,2}日(?:电|讯)\s*(?:[（(][^）)]{0,30}[）)])?\s*"
    # A city in capitals with a region or an agency ("LONDON (Reuters) —"): "NASA —" is no dateline.
    r"|[A-Z][A-Z.'-]{2,}(?:\s[A-Z][A-Z.'-]+){0,2}"
    r"(?:,\s*[A-Z][\w.]*(?:\s[A-Z][\w.]*)?|\s*\([A-Za-z][\w .]{1,20}\))\s*(?:—|–|--)\s+)"
)

# Prompts to follow, share or read more, anywhere in the text.
_PROMPTS = [
    re.compile(r"点击(?:上方|下方|蓝字)[^。！？!\n]{0,40}?(?:关注|星标|置顶)[^。！？!\n]{0,30}[。！？!]?"),
    re.compile(r"(?:点击)?(?:左下角)?[「“\"]?阅读原文[」”\"]?[^。！？!\n]{0,20}[。！？!]?"),
    re.compile(r"(?:点击)?(?:右上角)?(?:分享|转发)(?:到|至)?(?:朋友圈|给朋友|微信)[。！？!]?"),
    re.compile(r"(?:欢迎)?(?:关注|扫码关注|长按关注)(?:我们|本公众号|公众号)[^。！？!\n]{0,30}[。！？!]?"),
    re.compile(r"文章浏览阅读[\d.,wk万]+次(?:，点赞\d+次)?(?:，收藏\d+次)?[。，]?"),
    re.compile(r"\bclick here\b[^.!?\n]{0,80}[.!?]?", re.IGNORECASE),
    re.compile(r"\b(?:share (?:this|on)|share via)\b[^.!?\n]{0,60}[.!?]?", re.IGNORECASE),
    re.compile(r"\bread more\b\.?", re.IGNORECASE),
    re.compile(r"\bvisit the post for more\b\.?", re.IGNORECASE),  # WordPress.com's stock description
    re.compile(r"\[[\u4e00-\u9fff]{1,4}\]"),  # WeChat's stickers written as text: [哇], [苦涩]
    re.compile(r"(?:…|\.\.\.)?\s*(?:展开全文|展开)\s*$"),
]
# Text without any of these holds none of the prompts above: a cheap first look, as substring
# tests (a case-insensitive regex alternation scans the text at a tenth of the speed).
_PROMPT_HINTS = (
    "点击",
    "阅读原文",
    "分享",
    "转发",
    "关注",
    "文章浏览",
    "展开",
    "[",
    "click here",
    "share",
    "read more",
    "visit the post",
)


def _may_hold_prompts(text: str) -> bool:
    lowered = text.lower()
    return any(hint in lowered for hint in _PROMPT_HINTS)


_LEADING_ELLIPSIS = re.compile(r"^\s*(?:\.{2,}|…+)\s*")


def drop_credits(text: str) -> str:
    """The text without the credits, desk lines and labels that open it (and without an
    ellipsis that opens a text a site cut at its start)."""
    text = _LEADING_ELLIPSIS.sub("", text)
    for _ in range(3):  # "编者按：摄影：张三 …" holds two
        before = text
        for pattern in (_OPENER, _CREDIT, _DESK, _LATIN_CREDIT):
            text = pattern.sub("", text, count=1)
        if text == before:
            break
    return text


def drop_prompts(text: str) -> str:
    """The text without follow, share and read-more prompts; where one was removed between two
    Latin words a space stays."""
    if not _may_hold_prompts(text):
        return text
    for pattern in _PROMPTS:
        text = pattern.sub("\x00", text)

    def join(match: re.Match[str]) -> str:
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        return " " if before.isascii() and after.isascii() and before and after else ""

    return re.sub(r"\s*\x00[\s\x00]*", join, text)


_NOT_WORD = re.compile(r"[\W_]+")


def squash(text: str) -> str:
    """Word characters only, case-folded: for comparing a text with a title however punctuated."""
    return _NOT_WORD.sub("", text).casefold()


# A title is squashed once for all the paragraphs of its page.
_squash_title = lru_cache(maxsize=1024)(squash)


# What follows a title that stands as a heading rather than as the start of a sentence.
_AFTER_A_HEADING = ":：-–—_|｜丨.。!！?？"


def drop_title(text: str, title: str | None) -> str:
    """The text without a leading repeat of the title (and the punctuation after it)."""
    if not title or not text:
        return text
    wanted = _squash_title(title)
    # Most texts do not repeat the title: their first letter says so, else their squashed start.
    first = next((char for char in text[:64] if char.isalnum() and char != "_"), "")
    if len(wanted) < 4 or first.casefold()[:1] != wanted[:1] or not squash(text[: len(title) * 2 + 20]).startswith(wanted):
        return text
    # Walk the text until as many word characters as the title has are consumed.
    consumed, end = "", 0
    for position, char in enumerate(text, start=1):
        if char.isalnum():
            consumed += char.casefold()
            if len(consumed) == len(wanted):
                end = position
                break
    if consumed != wanted:
        return text
    rest = text[end:]
    if rest.lstrip() == "" or rest.lstrip()[:1] in _AFTER_A_HEADING:
        return rest.lstrip(" \t" + _AFTER_A_HEADING)
    after_space = rest.lstrip(" \t")
    if (
        after_space is not rest
        and after_space[:1]
        and (after_space[:1].isupper() or after_space[:1].isdigit() or not after_space[:1].isascii())
    ):
        return after_space  # "Title New sentence…": the title stood as a heading
    # Anything else goes on with the title as its subject ("Data echoing reuses…", "标题，……"):
    # dropping it would leave half a sentence.
    return text


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\[[^\]]*\]")
_MD_EMPHASIS = re.compile(r"(\*\*|__|`+|~~)(?=\S)(.+?)(?<=\S)\1")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)


def markdown_to_text(text: str) -> str:
    """The words of a Markdown paragraph (a README's): images dropped, links and emphasis reduced
    to their text."""
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(lambda m: m.group(1) or m.group(2), text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    return _MD_HEADING.sub("", text)


# ---------------------------------------------------------------------------------------------
# LaTeX in arXiv titles and abstracts

_MATH = re.compile(r"(?<!\\)\$(?!\$)([^$\n]{1,300}?)(?<!\\)\$")
_COMMANDS_DROPPED = re.compile(r"\\(?:cite[tp]?|ref|eqref|label|footnote)\*?\{[^{}]*\}")
_URL_COMMANDS = re.compile(r"\\(?:url|href)\{([^{}]*)\}(?:\{([^{}]*)\})?")
_SUPERSCRIPTS = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")


@lru_cache(maxsize=1)
def _converter():
    # Imported on first use: building its tables costs time, and most entries hold no LaTeX.
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


def _latex(source: str, math: bool) -> str:
    # pylatexenc reads "%" as the start of a comment: "50% faster" would lose the rest.
    source = re.sub(r"(?<!\\)%", r"\\%", source)
    try:
        text = _converter().latex_to_text(source)
    except Exception:  # pylatexenc is lenient; a parse failure keeps the text as written
        return source
    if math:  # "\ell_1" -> "ℓ_1" -> "ℓ1", "n^2" -> "n²"
        text = re.sub(r"\^\{?([0-9+-]+)\}?", lambda m: m.group(1).translate(_SUPERSCRIPTS), text)
        text = re.sub(r"(?<=\S)_\{?(\w+)\}?", r"\1", text)
    return text


def _is_money(text: str, match: re.Match[str]) -> bool:
    # "$5 and $10": both dollar signs start a number.
    return match.group(1)[:1].isdigit() and text[match.end() : match.end() + 1].isdigit()


def latex_to_text(text: str | None) -> str | None:
    """Readable Unicode for the LaTeX in an arXiv title or abstract: `$ω$Test` -> `ωTest`,
    `$\\ell_1$` -> `ℓ1`, `\\emph{x}` -> `x`; text without `$` or `\\` is returned as is."""
    if not text or ("$" not in text and "\\" not in text):
        return text
    text = _URL_COMMANDS.sub(lambda m: m.group(2) or m.group(1), _COMMANDS_DROPPED.sub("", text))
    pieces: list[str] = []
    start = 0
    for match in _MATH.finditer(text):
        if _is_money(text, match):
            continue
        pieces.append(_plain_latex(text[start : match.start()]))
        pieces.append(_latex(match.group(1), math=True))
        start = match.end()
    pieces.append(_plain_latex(text[start:]))
    return "".join(pieces)


def _plain_latex(text: str) -> str:
    return _latex(text, math=False) if "\\" in text else text
