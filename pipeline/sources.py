"""Read sources.txt: bytes -> lines -> URLs, notes and sections -> canonical, de-duplicated entries."""

from __future__ import annotations

import codecs
import io
import itertools
import re
from collections.abc import Iterable, Iterator

from pipeline.links import LinkError, canonicalize, looks_like_url
from pipeline.models import SECTIONS, Diagnostic, Link, SourceEntry, SourceLine
from pipeline.sanitize import strip_invisible

__all__ = ["MAX_LINE", "SourceError", "decode_lines", "parse_lines", "plan_entries", "section_name", "SECTION_ALIASES"]


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
_SECTION_BY_ALIAS = {alias: section for section, aliases in SECTION_ALIASES.items() for alias in (section, *aliases)}

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

# A line of sources.txt holds a few URLs and a note; one longer than this is pasted data, and
# refusing it as soon as it passes the limit keeps a 50 MB line from costing memory.
MAX_LINE = 64 * 1024  # bytes of UTF-8, or characters of UTF-16/UTF-32 input
_CHUNK = 64 * 1024
_NEWLINE_BYTES = re.compile(rb"\r\n|\r|\n")
_NEWLINE_TEXT = re.compile(r"\r\n|\r|\n")
# Byte-order marks, longest first: UTF-32's little-endian mark starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _chunks(data: bytes | Iterable[bytes]) -> Iterator[bytes]:
    """The input in pieces of at most _CHUNK bytes (a file is read, never iterated by line, so a
    line without end is never read whole)."""
    if isinstance(data, (bytes, bytearray)):
        data = io.BytesIO(data)
    read = getattr(data, "read", None)
    if read is not None:
        while chunk := read(_CHUNK):
            yield chunk
        return
    for piece in data:
        for start in range(0, len(piece), _CHUNK):
            yield piece[start : start + _CHUNK]


def sniff_encoding(head: bytes) -> tuple[str, int]:
    """(codec, length of its byte-order mark) for the first bytes of a file. Without a mark, UTF-16
    and UTF-32 are told by where the zero bytes of the first character fall (UTF-16 only when that
    character is ASCII, as `#`, `[` and `http` are; otherwise the UTF-8 check names line 1)."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    # A text file starts with a character that is not NUL; in UTF-32 the two high bytes of any
    # character are zero, in UTF-16 the high byte of an ASCII one is.
    if len(head) >= 4 and head[2:4] == b"\0\0" and head[:2] != b"\0\0":
        return "utf-32-le", 0
    if len(head) >= 4 and head[:2] == b"\0\0" and head[2:4] != b"\0\0":
        return "utf-32-be", 0
    if len(head) >= 2 and head[1] == 0 and head[0]:
        return "utf-16-le", 0
    if len(head) >= 2 and head[0] == 0 and head[1]:
        return "utf-16-be", 0
    return "utf-8", 0


def _split(pieces: Iterable, name: str, newline: re.Pattern) -> Iterator:
    """Lines (bytes or text, as the pieces are) ended by LF, CRLF or a lone CR, each refused with its
    number as soon as it grows past MAX_LINE."""
    buffer = None
    number = 1
    after_cr = False
    for piece in pieces:
        if not piece:
            continue
        if after_cr and piece[:1] in (b"\n", "\n"):
            piece = piece[1:]  # the LF of a CRLF that the last piece ended in the middle of
        after_cr = piece[-1:] in (b"\r", "\r")
        buffer = piece if buffer is None else buffer + piece
        *complete, buffer = newline.split(buffer)
        for line in complete:
            _check_length(line, number, name)
            yield line
            number += 1
        _check_length(buffer, number, name)
    if buffer:
        yield buffer


def _check_length(line, number: int, name: str) -> None:
    if len(line) > MAX_LINE:
        raise SourceError(
            f"{name}: line {number} is longer than {MAX_LINE // 1024} KiB; a sources file holds one entry "
            "per line (is this the right file?)"
        )


def decode_lines(data: bytes | Iterable[bytes], name: str) -> Iterator[str]:
    """Decode input line by line, never holding more than a line and one chunk.

    `data` is the whole input as bytes, a binary file, or any iterable of byte pieces. UTF-8 is
    expected (BOM allowed); UTF-16 and UTF-32 are read when a BOM or the zero bytes of their first
    character say so. Lines end with LF, CRLF or a lone CR. Raises SourceError naming the line that
    is not text in that encoding, holds a NUL byte, or is longer than MAX_LINE.
    """
    pieces = _chunks(data)
    head = b""
    for piece in pieces:  # enough of the start to see a byte-order mark
        head += piece
        if len(head) >= 4:
            break
    codec, bom = sniff_encoding(head)
    first = head[bom:]
    rest = itertools.chain([first], pieces)
    if codec != "utf-8":
        yield from _decode_wide(rest, codec, name)
        return
    for number, raw in enumerate(_split(rest, name, _NEWLINE_BYTES), start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{name}: line {number} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at "
                f"column {exc.start + 1}); save the file as UTF-8"
            ) from None
        if "\0" in text:
            raise SourceError(
                f"{name}: line {number} holds a NUL byte at column {text.index(chr(0)) + 1}; is it UTF-16 or "
                "UTF-32 without a byte-order mark? save the file as UTF-8"
            )
        yield text


def _decode_wide(pieces: Iterable[bytes], codec: str, name: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(codec)("strict")
    texts = _decoded(pieces, decoder, codec, name)
    yield from _split(texts, name, _NEWLINE_TEXT)


def _decoded(pieces: Iterable[bytes], decoder: codecs.IncrementalDecoder, codec: str, name: str) -> Iterator[str]:
    line = 1
    for final, piece in itertools.chain(((False, p) for p in pieces), [(True, b"")]):
        try:
            text = decoder.decode(piece, final=final)
        except UnicodeDecodeError:
            raise SourceError(
                f"{name}: after line {line} the input is not valid {codec.upper()}; save the file as UTF-8"
            ) from None
        line += text.count("\n") + text.count("\r") - text.count("\r\n")
        yield text


# --- text -> lines of URLs and notes ---------------------------------------------------------


def parse_lines(lines: Iterable[str]) -> Iterator[SourceLine | Diagnostic]:
    """Turn text lines into SourceLines (URLs, note, section), warning about lines it skips."""
    section: str | None = None
    for number, line in enumerate(lines, start=1):
        # Bidi and zero-width controls never belong to a link or a header and can disguise a note;
        # a zero-width space pasted into a URL (as chat apps copy them) would otherwise refuse it.
        stripped = strip_invisible(line).strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.fullmatch(stripped)
        if header and not looks_like_url(header.group(1)):
            name = " ".join(header.group(1).split())
            section = section_name(name)
            if section is None:
                section = name
                yield Diagnostic(
                    f"unknown section [{name}], kept as its own section (known: {', '.join(SECTIONS)})",
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
    """Canonicalize every URL and make one entry per main link; report what was dropped and why.
    The run's one de-duplication pass: give it every source of a run at once."""
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
            diagnostics.append(Diagnostic(f"duplicate of line {first_line_of[main.key]} ({main.key}), skipped", item.line))
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
