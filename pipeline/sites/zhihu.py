"""Zhihu answers, questions and column posts: headline, author and time from the page's state JSON."""

from __future__ import annotations

import json
import re

from pipeline.sites.common import CHINA_TZ, PageUnavailable, ParsedPage, clean_text, to_iso_date, unix_to_iso
from pipeline.textblocks import fragment_paragraphs, node_paragraphs

HOSTS = ("zhihu.com",)
SITE_NAME = "知乎"


def recognizes(page: ParsedPage) -> bool:
    """A Zhihu page saved or served under another address."""
    return "zhihu" in page.text[:5000] and page.tree.css_first("script#js-initialData") is not None


_INBOX_PREFIX = re.compile(r"^\(\s*[\d+]+\s*封私信\s*(?:/\s*[\d+]+\s*条消息\s*)?\)\s*|^\(\s*[\d+]+\s*条消息\s*\)\s*")
_SITE_SUFFIX = re.compile(r"\s*[-–—|｜]\s*知乎(?:专栏)?\s*$")
_ANSWERER_SUFFIX = re.compile(r"\s*-\s*(.+?)的回答\s*$")
_SIGN_IN_TITLES = ("安全验证", "登录知乎", "登录 - 知乎", "知乎 - 有问题，就会有答案")


def clean_zhihu_title(title: str | None) -> tuple[str | None, str | None]:
    """The headline of a Zhihu <title>, and the answerer its legacy form names ("… - X的回答 - 知乎")."""
    if not title:
        return None, None
    title = _INBOX_PREFIX.sub("", title)
    title = _SITE_SUFFIX.sub("", title)
    answerer = None
    match = _ANSWERER_SUFFIX.search(title)
    if match:
        answerer = match.group(1).strip()
        title = title[: match.start()]
    return clean_text(title), answerer


def _initial_state(page: ParsedPage) -> dict:
    node = page.tree.css_first("script#js-initialData")
    if node is None:
        return {}
    raw = (node.text() or "").strip()
    # A page saved from a rendered DOM as XHTML wraps the JSON in CDATA.
    raw = re.sub(r"^(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>$", "", raw).strip()
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    state = data.get("initialState") if isinstance(data, dict) else None
    return state if isinstance(state, dict) else {}


def _check_blocked(page: ParsedPage) -> None:
    title = page.title_tag or ""
    if re.match(r"^40[13]\b", title) or any(marker in title for marker in _SIGN_IN_TITLES):
        raise PageUnavailable("blocked by Zhihu's sign-in wall", permanent=False)


def _name(person: object) -> str | None:
    if isinstance(person, dict):
        name = clean_text(person.get("name"))
        # Anonymous answers carry a placeholder user, not an author.
        return None if name in ("匿名用户", "知乎用户") else name
    return None


def _from_state(page: ParsedPage) -> dict[str, str | None]:
    entities = _initial_state(page).get("entities") or {}
    url = page.url
    found: dict[str, str | None] = {}
    article = re.search(r"zhuanlan\.zhihu\.com/p/(\d+)", url) or re.search(r"zhihu\.com/p/(\d+)", url)
    answer = re.search(r"/question/(\d+)/answer/(\d+)", url)
    question = re.search(r"/question/(\d+)", url)
    if article:
        item = (entities.get("articles") or {}).get(article.group(1)) or {}
        found.update(
            title=clean_text(item.get("title")),
            author=_name(item.get("author")),
            published=unix_to_iso(item.get("created"), CHINA_TZ) if item.get("created") else None,
            description=clean_text(item.get("excerpt")),
            image=clean_text(item.get("titleImage") or item.get("imageUrl")),
        )
    elif answer:
        item = (entities.get("answers") or {}).get(answer.group(2)) or {}
        asked = (entities.get("questions") or {}).get(answer.group(1)) or item.get("question") or {}
        found.update(
            title=clean_text(asked.get("title") if isinstance(asked, dict) else None),
            author=_name(item.get("author")),
            published=unix_to_iso(item.get("createdTime"), CHINA_TZ) if item.get("createdTime") else None,
        )
    elif question:
        asked = (entities.get("questions") or {}).get(question.group(1)) or {}
        found.update(
            title=clean_text(asked.get("title")),
            published=unix_to_iso(asked.get("created"), CHINA_TZ) if asked.get("created") else None,
        )
    return {key: value for key, value in found.items() if value}


def extract(page: ParsedPage) -> dict[str, str | None]:
    """Zhihu's own fields; the page has no og:title or og:site_name, so the generic rules would miss them."""
    _check_blocked(page)
    fields = _from_state(page)
    headline, answerer = clean_zhihu_title(page.title_tag)
    fields.setdefault(
        "title",
        page.select_text(".Post-Title")
        or page.select_text("h1.QuestionHeader-title")
        or page.select_text("#zh-question-title h2")
        or page.select_text("#zh-question-title")
        or headline,
    )
    if "author" not in fields and answerer and "/answer/" in page.url:
        fields["author"] = answerer
    if "author" not in fields and "/answer/" in page.url:
        fields["author"] = page.select_text(".AuthorInfo-name") or page.select_text("a.author-link")
    if "published" not in fields:
        node = page.tree.css_first('[itemprop="dateCreated"]')
        if node is not None:
            fields["published"] = to_iso_date(node.attributes.get("content") or node.attributes.get("datetime"))
    fields["site_name"] = SITE_NAME
    fields["language"] = page.lang or "zh-CN"
    return fields


# --- main text --------------------------------------------------------------------------------

# Rendered bodies, most specific first: a column post, the answer of an answer page, a legacy answer.
_BODY_SELECTORS = (
    ".Post-RichText",
    ".AnswerCard .RichContent-inner",
    ".AnswerItem .RichContent-inner",
    ".zm-item-answer .zm-editable-content",
)


def article_text(page: ParsedPage) -> list[str] | None:
    """The post's or the answer's paragraphs: the full HTML the state JSON holds, else the rendered
    body; None on question pages (the generic rules take the question and its answers)."""
    entities = _initial_state(page).get("entities") or {}
    article = re.search(r"zhihu\.com/p/(\d+)", page.url)
    answer = re.search(r"/answer/(\d+)", page.url)
    item: object = None
    if article:
        item = (entities.get("articles") or {}).get(article.group(1))
    elif answer:
        item = (entities.get("answers") or {}).get(answer.group(1))
    content = item.get("content") if isinstance(item, dict) else None
    if isinstance(content, str) and content.strip():
        return fragment_paragraphs(content)
    if not (article or answer):
        return None
    for selector in _BODY_SELECTORS:
        node = page.tree.css_first(selector)
        if node is not None:
            return node_paragraphs(node)
    return None
