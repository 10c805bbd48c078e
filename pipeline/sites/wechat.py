"""WeChat official-account articles (mp.weixin.qq.com): headline, account, author, time; negative pages."""

from __future__ import annotations

import html
import re

from pipeline.sites.common import (
    CHINA_TZ,
    PageUnavailable,
    ParsedPage,
    clean_text,
    js_unescape,
    resolve_url,
    to_iso_date,
    unix_to_iso,
)
from pipeline.sites.common import (
    js_var as _js_var,
)
from pipeline.textblocks import fragment_paragraphs, fragment_text, node_paragraphs

HOSTS = ("mp.weixin.qq.com",)
_ABOUT_TITLES = ("关于公众号", "关于服务号")


def recognizes(page: ParsedPage) -> bool:
    """A WeChat article saved or served under another address (a mirror, a local file)."""
    url = page.first_meta("og:url") or ""
    if "mp.weixin.qq.com/" in url:
        return True
    # Pages elsewhere may load WeChat's JS SDK from res.wx.qq.com; only WeChat's own pages
    # combine it with its article or message-page markup.
    text = page.text
    if "res.wx.qq.com" not in text:
        return False
    return "res.wx.qq.com/mmbizwap" in text or (
        "rich_media" in text or "weui-msg" in text or (page.title_tag or "") in _ABOUT_TITLES
    )


def _decoded(value: str | None) -> str | None:
    """A value from the page's JS or meta tags: JS escapes and HTML entities undone, spaces collapsed."""
    if value is None:
        return None
    return clean_text(html.unescape(js_unescape(value)))


def _plain_text(value: str | None) -> str | None:
    """A value that may hold markup, as text: share posts put topic links
    (`\\x26lt;a class=\\x26quot;wx_topic_link\\x26quot;…\\x26gt;#话题\\x26lt;/a\\x26gt;`) in their
    description, and only the topic's own text (#话题) belongs in a summary."""
    if value is None:
        return None
    return clean_text(fragment_text(js_unescape(value)))


def _headline(value: str | None) -> str | None:
    """A usable headline: text shares put the whole post in the title fields, so keep its first line."""
    if not value:
        return None
    first: str | None = js_unescape(value).strip().split("\n", 1)[0]
    first = clean_text(html.unescape(first or ""))
    if first and len(first) > 80:
        first = first[:80].rstrip() + "…"
    return first


def _check_negative(page: ParsedPage) -> None:
    """Raise PageUnavailable for WeChat's message pages (deleted, banned, unavailable, verify, profile)."""
    text = page.text
    if (page.title_tag or "") in _ABOUT_TITLES or "/mp/profile_ext" in page.url and "action=home" in page.url:
        raise PageUnavailable("not an article: a WeChat account profile page", permanent=True)
    if page.first_meta("og:title") or "msg_title" in text:
        return
    if "secitptpage" in text or "mmbizwap:secitptpage/verify" in text:
        raise PageUnavailable("blocked by WeChat's bot check", permanent=False)
    message = page.select_text(".weui-msg__title")
    if message:
        lowered = message.lower()
        if "删除" in message or "deleted" in lowered:
            raise PageUnavailable("article deleted by its author", permanent=True)
        if "违规" in message or "violat" in lowered:
            detail = page.select_text(".weui-msg__desc")
            if detail:
                detail = re.sub(r"[，,。\s]*(查看)?对应规则.*$", "", detail).strip()
            reason = "article removed by WeChat for violating its rules"
            raise PageUnavailable(f"{reason} ({detail})" if detail else reason, permanent=True)
        if "暂时无法查看" in message or "temporarily" in lowered:
            raise PageUnavailable("article temporarily unavailable", permanent=False)
        raise PageUnavailable(f"no article, WeChat says: {message}", permanent=True)
    if "该内容暂时无法查看" in text[:20000]:
        raise PageUnavailable("article temporarily unavailable", permanent=False)
    if "环境异常" in text[:50000] and "完成验证" in text[:50000]:
        raise PageUnavailable("blocked by WeChat's bot check", permanent=False)


def _account(page: ParsedPage) -> str | None:
    text = page.text
    for candidate in (
        _js_var(text, r"(?<![\w$.])", "var nickname", r"\s*=\s*(?:htmlDecode\(\s*)?{s}"),
        page.select_text("#js_name"),
        page.select_text(".wx_follow_nickname"),
        # cgiData's own nick_name is always wrapped in JsDecode(); the ad block's bare one is not.
        _js_var(text, "", "nick_name", r"\s*:\s*JsDecode\(\s*{s}"),
        page.select_text(".profile_nickname"),
    ):
        value = _decoded(candidate)
        if value:
            return value
    return None


def _published(page: ParsedPage) -> str | None:
    text = page.text
    for before, key, after in (
        (r"(?<![\w$.])", "var ct", r"\s*=\s*{s}"),
        ("", "window.ct", r"\s*=\s*{s}"),
        (r"(?<![\w$.])", "var create_time", r"\s*=\s*{s}"),
        ("", "ori_create_time", r"\s*:\s*{s}"),
    ):
        value = _js_var(text, before, key, after)
        if value and value.strip().isdigit():
            return unix_to_iso(value, CHINA_TZ)
    local = _js_var(text, "", "create_time", r"\s*:\s*JsDecode\(\s*{s}")
    return to_iso_date(local, CHINA_TZ)


def extract(page: ParsedPage) -> dict[str, str | None]:
    """The fields WeChat's markup gives reliably; the generic rules fill the rest."""
    _check_negative(page)
    text = page.text
    title = (
        # og:title and msg_title hold the bare headline; #activity-name may also hold badges
        # such as "已付费" (paid article).
        _headline(page.first_meta("og:title"))
        or _headline(_js_var(text, r"(?:(?<![\w$.])var |window\.)", "msg_title", r"\s*=\s*{s}"))
        or page.select_text("#activity-name")
        or _headline(page.first_meta("twitter:title"))
    )
    author = _decoded(
        _js_var(text, r"(?<![\w$.])", "var author", r"\s*=\s*{s}")
        or page.select_text("#js_author_name")
        or page.first_meta("og:article:author", "author")
        or _js_var(text, r"(?<![\w$])", "author", r"\s*:\s*JsDecode\(\s*{s}")
    )
    description = _plain_text(
        page.first_meta("og:description")
        or _js_var(text, r"(?<![\w$.])", "var msg_desc", r"\s*=\s*(?:htmlDecode\(\s*)?{s}")
        or page.first_meta("description")
    )
    link = _decoded(page.first_meta("og:url") or _js_var(text, r"(?<![\w$.])", "var msg_link", r"\s*=\s*{s}"))
    image = _decoded(page.first_meta("og:image") or _js_var(text, r"(?<![\w$.])", "var msg_cdn_url", r"\s*=\s*{s}"))
    return {
        "title": title,
        "site_name": _account(page),
        "author": author,
        "published": _published(page),
        "description": description,
        "canonical_url": resolve_url(link, page.url),
        "image": resolve_url(image, page.url),
        "language": page.lang or "zh-CN",
    }


# --- main text --------------------------------------------------------------------------------

# Lines after which a WeChat article only advertises: the account's sign-off and its link lists.
_END_MARKER = re.compile(
    r"^[-—–=·\s]*(end|往期推荐|推荐阅读|往期回顾|往期精选|精彩推荐|热门推荐|更多精彩|相关阅读)[-—–=·\s]*$", re.I
)
_SHARE_KINDS = ("8", "10")  # item_show_type of 图片分享 and 文本分享 posts
_MIN_BODY_CHARS = 50


def article_text(page: ParsedPage) -> list[str]:
    """The article's paragraphs: `#js_content` on article pages; the post's text from the page's
    data on image and text shares (and on article pages whose body a script fills in)."""
    text = page.text
    kind = _js_var(text, "", "item_show_type", r"\s*[:=]\s*{s}")
    paragraphs: list[str] = []
    node = page.tree.css_first("#js_content")
    if node is not None and kind not in _SHARE_KINDS:
        paragraphs = node_paragraphs(node, _END_MARKER)
    if sum(map(len, paragraphs)) < _MIN_BODY_CHARS:
        # Shares keep their text in cgiData; #js_content there holds only the account's card.
        data = _js_var(text, "", "content_noencode", r"\s*:\s*JsDecode\(\s*{s}")
        if data:
            paragraphs = fragment_paragraphs(data, _END_MARKER)
    if not paragraphs:
        description = page.first_meta("og:description") or _js_var(
            text, r"(?<![\w$.])", "var msg_desc", r"\s*=\s*(?:htmlDecode\(\s*)?{s}"
        )
        if description:
            paragraphs = fragment_paragraphs(html.unescape(js_unescape(description)))
    return paragraphs
