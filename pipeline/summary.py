"""Summary drafts: clean an abstract or page description and cut it to a few whole sentences.

The result is a *draft* for the editor, never finished prose; the Markdown templates mark it as
such (the default template appends `〔待编辑〕`). The text returned here carries no marker, so the
JSON document stays plain data.

Budget: up to three sentences and about 200 characters of CJK text or 320 of Latin text. The cut
is always at a sentence end; only when the first sentence alone is over budget is it cut at a word
boundary (never mid-word) and ended with `…`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

CJK_BUDGET = 200
LATIN_BUDGET = 320
MAX_SENTENCES = 3

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")

# Boilerplate that says nothing about the content: WeChat follow prompts, "read more" links,
# share prompts, collapsed-text markers, and a leading "Abstract:" label.
_BOILERPLATE = [
    re.compile(r"^\s*(abstract|summary|摘要|简介)\s*[:：.]\s*", re.IGNORECASE),
    re.compile(r"点击(上方|下方|蓝字)[^。！？!\n]{0,40}?(关注|星标|置顶)[^。！？!\n]{0,30}[。！？!]?"),
    re.compile(r"(点击)?(左下角)?[「“\"]?阅读原文[」”\"]?[^。！？!\n]{0,20}[。！？!]?"),
    re.compile(r"(点击)?(右上角)?(分享|转发)(到|至)?(朋友圈|给朋友|微信)[。！？!]?"),
    re.compile(r"\bclick here\b[^.!?\n]{0,80}[.!?]?", re.IGNORECASE),
    re.compile(r"\b(share (this|on)|share via)\b[^.!?\n]{0,60}[.!?]?", re.IGNORECASE),
    re.compile(r"\bread more\b\.?", re.IGNORECASE),
    re.compile(r"(…|\.\.\.)?\s*(展开全文|展开)\s*$"),
]

# Text without any of these words holds none of the boilerplate above (a cheap first look).
_BOILERPLATE_HINT = re.compile(r"abstract|summary|摘要|简介|点击|阅读原文|分享|转发|click here|share|read more|展开",
                               re.IGNORECASE)

# Words after which a period does not end a sentence.
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "etc.", "vs.", "cf.", "fig.", "figs.", "eq.", "eqs.",
                  "no.", "dr.", "mr.", "ms.", "prof.", "sec.", "approx.", "resp.")

# A CJK sentence end, or an English one followed by whitespace; closing quotes/brackets stay
# with the sentence they close.
_SENTENCE_END = re.compile(r"[。！？]+[”」』）)\"']*|[.!?]+[\"')\]”]*(?=\s)")

_ASCII_HINTS = ("abstract", "summary", "click here", "share", "read more")


def _has_boilerplate_hint(text: str) -> bool:
    # The case-insensitive regex costs ~10 µs a text; for ASCII text (most descriptions) plain
    # substring tests of the lower-cased text say the same (ASCII letters only fold to ASCII).
    if text.isascii():
        lowered = text.lower()
        return any(hint in lowered for hint in _ASCII_HINTS)
    return _BOILERPLATE_HINT.search(text) is not None


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def clean_text(text: str | None) -> str:
    """Whitespace collapsed and boilerplate removed."""
    if not text:
        return ""
    text = collapse_whitespace(text)
    if not _has_boilerplate_hint(text):
        return text
    for _ in range(2):  # a removed prompt can expose another one
        for pattern in _BOILERPLATE:
            text = pattern.sub(_GAP, text)
        text = _close_gaps(text)
    return text


_GAP = "\x00"


def _close_gaps(text: str) -> str:
    """Where boilerplate was removed, keep a space only between two Latin characters."""

    def join(match: re.Match[str]) -> str:
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        latin = before.isascii() and after.isascii() and before and after
        return " " if latin else ""

    return collapse_whitespace(re.sub(r"\s*\x00[\s\x00]*", join, text))


_LONGEST_ABBREVIATION = max(len(a) for a in _ABBREVIATIONS)


def sentence_ends(text: str) -> list[int]:
    """Offsets just past each sentence end: `。！？`, or `.!?` + space when not an abbreviation and
    not followed by a lower-case word (so "e.g. the", "et al. show" and "3.5" do not split)."""
    return list(_sentence_ends(text))


def _sentence_ends(text: str) -> Iterator[int]:
    """`sentence_ends`, one at a time: a summary needs only the first few of a long abstract."""
    last = None
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        mark = match.group()
        if mark[0] in ".!?":
            # Only the last few characters can hold an abbreviation, and only the next
            # non-space character matters: never copy the rest of the text for each mark.
            before = text[max(end - _LONGEST_ABBREVIATION, 0) : end]
            if mark[0] == "." and before.lower().endswith(_ABBREVIATIONS):
                continue
            following = _NEXT_WORD.match(text, end)
            if following and following.group(1).islower():
                continue
        last = end
        yield end
    if last is None or last < len(text.rstrip()):
        yield len(text)


_NEXT_WORD = re.compile(r"\s*(\S)")


def split_sentences(text: str) -> list[str]:
    pieces, start = [], 0
    for end in sentence_ends(text):
        if text[start:end].strip():
            pieces.append(text[start:end].strip())
        start = end
    return pieces


def is_mostly_cjk(text: str) -> bool:
    if not text or text.isascii():  # no CJK at all, without scanning for it
        return False
    return len(_CJK.findall(text)) * 3 >= len(text)


def cut_words(text: str, budget: int, ellipsis: str = "…") -> str:
    """At most `budget` characters (ellipsis included), cut at a space when the text has spaces."""
    if len(text) <= budget:
        return text
    room = max(budget - len(ellipsis), 1)
    head = text[:room]
    if not is_mostly_cjk(head) and " " in head and not text[room].isspace():
        head = head[: head.rfind(" ")] if head.rfind(" ") > room // 2 else head
    return head.rstrip(" ,;:，；：、") + ellipsis


def draft_summary(text: str | None, *, budget: int | None = None) -> str:
    """A few whole sentences of `text`, cleaned; '' when there is nothing to say."""
    text = clean_text(text)
    if not text:
        return ""
    if budget is None:
        budget = CJK_BUDGET if is_mostly_cjk(text) else LATIN_BUDGET
    # Keep whole sentences from the start, as written (their own spacing), within the budget.
    cut = 0
    for count, end in enumerate(_sentence_ends(text), start=1):
        if count > MAX_SENTENCES or (cut and len(text[:end].strip()) > budget):
            break
        cut = end
    summary = text[:cut].strip()
    return cut_words(summary, budget)


def format_count(number: int) -> str:
    """12345 -> '12.3k', 999 -> '999', 1200000 -> '1.2M' (as GitHub shows star counts)."""
    for limit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if number >= limit:
            value = f"{number / limit:.1f}".rstrip("0").rstrip(".")
            return f"{value}{suffix}"
    return str(number)


def github_facts(record: dict[str, Any]) -> str:
    """The facts an editor checks about a repository, e.g. `C++ · ★ 12.3k · Apache-2.0 · 最新版本 v2.0（2020-05-01）`."""
    facts: list[str] = []
    if record.get("archived"):
        facts.append("已归档（archived）")
    if record.get("language"):
        facts.append(collapse_whitespace(str(record["language"])))
    if isinstance(record.get("stars"), int):
        facts.append(f"★ {format_count(record['stars'])}")
    if record.get("license") and record["license"] != "NOASSERTION":
        facts.append(collapse_whitespace(str(record["license"])))
    release = record.get("latest_release") or None
    if isinstance(release, dict):
        name = release.get("tag") or release.get("name")
        if name:
            when = str(release.get("published_at") or "")[:10]
            facts.append(f"最新版本 {collapse_whitespace(str(name))}" + (f"（{when}）" if when else ""))
    if record.get("renamed_from"):
        facts.append(f"原名 {collapse_whitespace(str(record['renamed_from']))}")
    return " · ".join(facts)
