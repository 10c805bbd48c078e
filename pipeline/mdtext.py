"""Make untrusted text and URLs safe to place inside one line of the Markdown draft.

Titles, site names, descriptions and notes come from pages we do not control. Whatever they hold
(newlines, brackets, backticks, HTML, `javascript:` URLs, megabytes of text), the entry must stay
one line with one link: whitespace is collapsed, Markdown punctuation that could close or open a
link or code span is backslash-escaped, `<` becomes `&lt;` so no HTML is ever active, and only
http(s) URLs become link targets.
"""

from __future__ import annotations

import re

TITLE_LIMIT = 300
SOURCE_LIMIT = 80
NOTE_LIMIT = 500
REASON_LIMIT = 300

# Characters that could end a link text, start a code span, split a title from its source,
# or start an escape get a backslash; `<` becomes an entity so no tag can ever open.
_MD_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`[]|"} | {"<": "&lt;"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def one_line(text: object, limit: int | None = None) -> str:
    """Whitespace (newlines included) collapsed to single spaces, control characters dropped,
    and capped at `limit` characters with `…`."""
    value = str(text if text is not None else "")
    # Printable text has no whitespace but " " (and no control characters): when it has no
    # run of spaces and none at either end there is nothing to collapse, the common case.
    if not value.isprintable() or "  " in value or value[:1] == " " or value[-1:] == " ":
        value = " ".join(_CONTROL.sub(" ", value).split())
    if limit is not None and len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return value


def escape(text: object, limit: int | None = None) -> str:
    """One line of Markdown text that renders as exactly `text` and can not change structure."""
    # One translate, not a regex substitution: escape runs on every text of every entry.
    return one_line(text, limit).translate(_MD_ESCAPES)


_BLOCK_START = re.compile(r"^(#|>|[-+*=]|\d+[.)]|~~~)")
_NUMBERED = re.compile(r"^(\d+)([.)])")


def escape_line(text: object, limit: int | None = None) -> str:
    """`escape`, and a text that would start a heading, quote or list when it begins a line
    gets a backslash in front of that marker."""
    value = escape(text, limit)
    number = _NUMBERED.match(value)
    if number:  # "1." starts a list; a backslash only works before the punctuation
        return f"{number.group(1)}\\{value[number.end(1) :]}"
    return "\\" + value if _BLOCK_START.match(value) else value


_HTTP_URL = re.compile(r"(?i)https?://[^/\s]")
# Characters percent-encoded in a link target: they would end the target, or break the
# draft-merge scanner that finds URLs in the text.
_URL_ESCAPES = str.maketrans({c: f"%{ord(c):02X}" for c in ' ()<>[]"`\\{}|^'})
_IPV6_AUTHORITY = re.compile(r"(?i)https?://(?:[^/?#@\s\[\]]*@)?\[[0-9a-f:.]+\]")
_URL_UNSAFE = re.compile("[" + re.escape(' ()<>[]"`\\{}|^') + "]")


def safe_url(url: object) -> str | None:
    """The URL fit to be a link target or a bare link, or None when it is not http(s)."""
    if not isinstance(url, str):
        return None
    value = _CONTROL.sub("", url).strip()
    if not _HTTP_URL.match(value) or len(value) > 4096:
        return None
    # Most URLs hold none of these characters: a search in C is cheaper than a translate.
    if not _URL_UNSAFE.search(value):
        return value
    ipv6 = _IPV6_AUTHORITY.match(value)  # its brackets are the host's syntax: %5B::1%5D is no host
    if ipv6:
        return ipv6.group() + value[ipv6.end() :].translate(_URL_ESCAPES)
    return value.translate(_URL_ESCAPES)


# A URL as it can appear in a draft: inside `(...)` or bare, ended by whitespace, brackets,
# quotes or CJK punctuation; trailing sentence punctuation is not part of it.
_URL_END = "\\s<>()\\[\\]\"'`，。；：、！？（）「」『』“”‘’《》【】"
# An IPv6 host's brackets are part of the URL; every other bracket ends it.
_URL_IN_TEXT = re.compile(rf"https?://(?:[^/?#@\s\[\]]*@)?(?:\[[0-9a-f:.]+\][^{_URL_END}]*|[^{_URL_END}]+)", re.IGNORECASE)


def urls_in_text(text: str) -> list[str]:
    return [m.group().rstrip(".,;:!?*_~") for m in _URL_IN_TEXT.finditer(text)]
