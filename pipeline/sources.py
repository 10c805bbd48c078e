"""Read sources.txt: bytes -> lines -> URLs, notes and sections -> canonical, de-duplicated entries."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator

from pipeline.links import LinkError, canonicalize, looks_like_url
from pipeline.models import SECTIONS, Diagnostic, Link, SourceEntry, SourceLine

__all__ = ["SourceError", "decode_lines", "parse_lines", "plan_entries", "section_name", "SECTION_ALIASES"]


class SourceError(Exception):
    """The input cannot be read at all (not UTF-8, ...); the message names the source and line."""


# Header names an editor may write for the four sections (compared case-insensitively, with
# spaces, hyphens and underscores ignored).
SECTION_ALIASES = {
    "业界新闻": ("news", "industrynews", "industry", "新闻", "业界", "行业新闻"),
    "论文": ("papers", "paper", "research", "arxiv"),
    "开源项目": ("opensource", "projects", "project", "code", "repos", "repositories", "github", "开源", "项目"),
    "博文": ("blog", "blogs", "posts", "post", "articles", "article", "博客", "文章"),
}
_SECTION_BY_ALIAS = {
    alias: section
    for section, aliases in SECTION_ALIASES.items()
    for alias in (section, *aliases)
}

_HEADER = re.compile(r"[\[【]\s*([^\[\]【】]+?)\s*[\]】]")
# Characters that wrap a URL or follow it when pasted into prose; never part of a pasted link.
_OPENERS = "<(（【「《\"'“‘"
_TRAILING = ".,;:!?'\"”’>）】」》，。；：！？、…"
# Full-width punctuation does not occur raw in a copied URL, so it ends the URL and starts text.
_FULLWIDTH_CUT = re.compile(r"[，。；：！？（）【】「」《》、…]")
_EMBEDDED_SCHEME = re.compile(r"https?://", re.I)
# Labels the newsletter format puts before a URL (链接：https://...); copying them in is harmless.
_LINK_LABELS = {"链接", "论文", "代码", "博客", "项目", "项目地址", "地址", "原文", "link", "paper", "code", "blog"}
NOTE_PREVIEW = 60


def section_name(name: str) -> str | None:
    """The standard section for a header name or alias, or None when it is not one of them."""
    folded = re.sub(r"[\s_-]+", "", name).casefold()
    return _SECTION_BY_ALIAS.get(folded)


# --- bytes -> text ---------------------------------------------------------------------------


def decode_lines(data: bytes | Iterable[bytes], name: str) -> Iterator[str]:
    """Decode UTF-8 input line by line (BOM and CRLF allowed), without holding more than a line.

    `data` is the whole input as bytes, or any iterable of byte lines such as a file opened in
    binary mode. Raises SourceError at the first line that is not UTF-8, naming it.
    """
    lines: Iterable[bytes] = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    for number, raw in enumerate(lines, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{name}: line {number} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at "
                f"column {exc.start + 1}); save the file as UTF-8"
            ) from None
        yield text.rstrip("\r\n")


# --- text -> lines of URLs and notes ---------------------------------------------------------


def parse_lines(lines: Iterable[str]) -> Iterator[SourceLine | Diagnostic]:
    """Turn text lines into SourceLines (URLs, note, section), warning about lines it skips."""
    section: str | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.fullmatch(stripped)
        if header and not looks_like_url(header.group(1)):
            name = " ".join(header.group(1).split())
            section = section_name(name)
            if section is None:
                section = name
                yield Diagnostic(
                    f"unknown section [{name}], kept as its own section "
                    f"(known: {', '.join(SECTIONS)})",
                    number,
                )
            continue
        urls, words = split_words(stripped)
        note = " ".join(words) or None
        if not urls:
            yield Diagnostic(f"no URL on this line, skipped: {_preview(stripped)!r}", number)
            continue
        yield SourceLine(line=number, urls=urls, note=note, section=section)


def split_words(text: str) -> tuple[list[str], list[str]]:
    """(URL tokens, note words) of one line."""
    urls: list[str] = []
    words: list[str] = []
    for token in text.split():
        while token:  # the text after a URL may hold another one: 论文：URL，代码：URL。
            url, before, after = _url_in_token(token)
            if url is None:
                words.append(token)
                break
            if before:
                words.append(before)
            urls.append(url)
            token = after
    return urls, words


def _url_in_token(token: str) -> tuple[str | None, str, str]:
    """(URL, text before it, text after it) when the token carries a URL, else (None, "", "")."""
    before = ""
    start = _EMBEDDED_SCHEME.search(token)
    if start and start.start() > 0:  # 链接：https://... pasted without a space
        before = token[: start.start()].rstrip(":：" + _OPENERS)
        token = token[start.start() :]
        if before.casefold() in _LINK_LABELS:
            before = ""
    candidate = token.lstrip(_OPENERS)
    after = ""
    cut = _FULLWIDTH_CUT.search(candidate)
    if cut:
        candidate, after = candidate[: cut.start()], candidate[cut.start() :].lstrip(_TRAILING).strip()
    candidate = _strip_trailing(candidate)
    if not looks_like_url(candidate):
        return None, "", ""
    return candidate, before, after


def _strip_trailing(url: str) -> str:
    """Drop punctuation that ends a sentence rather than the URL; keep balanced brackets."""
    open_round, close_round = url.count("("), url.count(")")
    open_square, close_square = url.count("["), url.count("]")
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _TRAILING:
            end -= 1
        elif last == ")" and open_round < close_round:
            end -= 1
            close_round -= 1
        elif last == "]" and open_square < close_square:
            end -= 1
            close_square -= 1
        else:
            break
    return url[:end]


def _preview(text: str) -> str:
    return text if len(text) <= NOTE_PREVIEW else text[: NOTE_PREVIEW - 1] + "…"


# --- lines -> entries ------------------------------------------------------------------------


def plan_entries(items: Iterable[SourceLine | Diagnostic]) -> tuple[list[SourceEntry], list[Diagnostic]]:
    """Canonicalize every URL and make one entry per main link; report what was dropped and why."""
    entries: list[SourceEntry] = []
    diagnostics: list[Diagnostic] = []
    first_line_of: dict[str, int] = {}
    for item in items:
        if isinstance(item, Diagnostic):
            diagnostics.append(item)
            continue
        links: list[Link] = []
        for url in item.urls:
            try:
                links.append(canonicalize(url))
            except LinkError as exc:
                diagnostics.append(Diagnostic(f"link {_preview(url)!r} ignored: {exc}", item.line))
        if not links:
            diagnostics.append(Diagnostic("no usable link on this line, skipped", item.line))
            continue
        main, *rest = links
        if main.key in first_line_of:
            diagnostics.append(
                Diagnostic(f"duplicate of line {first_line_of[main.key]} ({main.key}), skipped", item.line)
            )
            continue
        first_line_of[main.key] = item.line
        extras: list[Link] = []
        seen = {main.key}
        for link in rest:
            if link.key not in seen:
                seen.add(link.key)
                extras.append(link)
        entries.append(SourceEntry(line=item.line, main=main, extras=extras, note=item.note, section=item.section))
    return entries, diagnostics
