"""Picks a repository README's first real paragraph (pure): what a reader would take for its
description once badges, headings, HTML, tables, code, link lists and tables of contents are
skipped, flattened from Markdown to plain text."""

from __future__ import annotations

import html
import re

from pipeline.summary import cut_at_sentence

# What the record keeps: a lead, not the README. Long leads are cut at a sentence end.
README_LEAD_LIMIT = 800
# A paragraph shorter than this once flattened is a language switcher, a caption or a label.
_MIN_LEAD_CHARS = 20

_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^ {0,3}([-*_])(\s*\1){2,}\s*$")
_LIST_ITEM = re.compile(r"^ {0,3}([-*+]|\d{1,9}[.)])(\s|$)")
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+")
_HTML_BLOCK = re.compile(r"^ {0,3}<(/?[a-zA-Z][a-zA-Z0-9-]*|!|\?)")
_INDENTED_CODE = re.compile(r"^( {4}|\t)")
# Commands shown as prose (a shell prompt, an installer): instructions, not a description.
_COMMAND = re.compile(
    r"^(\$ |> |(pip3?|conda|npm|yarn|cargo|go|brew|apt(-get)?|docker|git|make|cmake|python3?)\s)", re.IGNORECASE
)

_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)|!\[([^\]]*)\]\[[^\]]*\]")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)|\[([^\]]+)\]\[[^\]]*\]")
# `[text]` alone is a shortcut reference link (its URL is defined elsewhere in the README).
_SHORTCUT_LINK = re.compile(r"\[([^\]\[]+)\](?![(\[:])")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# Emphasis only where a delimiter run touches a word on the inside: snake_case survives.
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_ESCAPE = re.compile(r"\\([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")
_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]")


def readme_lead(markdown: str) -> str | None:
    """The README's first real paragraph as plain text (capped at README_LEAD_LIMIT
    characters, cut at a sentence end), or None when it has none."""
    for block in _paragraphs(markdown):
        if _is_decoration(block):
            continue
        text = flatten_inline(block)
        if _is_too_thin(text):
            continue
        return cut_at_sentence(text, README_LEAD_LIMIT, at_least=1 / 3)
    return None


def _paragraphs(markdown: str) -> list[list[str]]:
    """The README's paragraphs as lists of lines; fenced code, headings, HTML blocks, tables,
    lists, quotes, rules, reference definitions and front matter are dropped here."""
    text = _COMMENT.sub("", markdown.replace("\r\n", "\n").replace("\r", "\n"))
    lines = text.split("\n")
    if lines and lines[0].strip() == "---":  # YAML front matter
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), None)
        if end is not None:
            lines = lines[end + 1 :]
    blocks: list[list[str]] = []
    current: list[str] = []
    skipping_block = False  # inside an HTML block, list, quote or table, until a blank line
    fence: str | None = None

    def close() -> None:
        nonlocal current
        if current:
            blocks.append(current)
        current = []

    for line in lines:
        if fence is not None:
            if line.lstrip().startswith(fence):
                fence = None
            continue
        opened = _FENCE.match(line)
        if opened:
            close()
            fence = opened.group(1)
            continue
        if not line.strip():
            close()
            skipping_block = False
            continue
        if skipping_block:
            continue
        if current and _SETEXT_UNDERLINE.match(line):
            current = []  # the lines so far were a heading
            continue
        if current and _TABLE_DELIMITER.match(line) and "|" in line:
            current = []
            skipping_block = True
            continue
        if _starts_other_block(line, at_paragraph_start=not current):
            close()
            skipping_block = not (_HEADING.match(line) or _RULE.match(line) or _REFERENCE_DEFINITION.match(line))
            continue
        current.append(line.strip())
    close()
    return blocks


def _starts_other_block(line: str, *, at_paragraph_start: bool) -> bool:
    if _HEADING.match(line) or _RULE.match(line) or _LIST_ITEM.match(line):
        return True
    if line.lstrip().startswith(">"):
        return True
    if at_paragraph_start:
        if _INDENTED_CODE.match(line) or _REFERENCE_DEFINITION.match(line):
            return True
        if _HTML_BLOCK.match(line) and not _IMG_TAG.match(line.strip()) and not _is_inline_tag_line(line):
            return True
        if line.lstrip().startswith("|"):
            return True
    return False


def _is_inline_tag_line(line: str) -> bool:
    """A line opening with inline HTML (`<b>`, `<a href>`, `<code>`) is part of a paragraph."""
    match = re.match(r"\s*<([a-zA-Z]+)", line)
    return match is not None and match.group(1).lower() in {"a", "b", "i", "em", "strong", "code", "kbd", "sub", "sup", "span"}


def _is_decoration(block: list[str]) -> bool:
    """Badges, images, link rows and commands: a paragraph with nothing to read."""
    first = block[0]
    if _COMMAND.match(first):
        return True
    joined = " ".join(block)
    # Nothing but links, images and separators: a row of badges or of links ("Docs – PyPI").
    bare = _TAG.sub("", _SHORTCUT_LINK.sub("", _LINK.sub("", _IMAGE.sub("", joined))))
    if not re.search(r"[^\W_]", bare):
        return True
    # A paragraph ending in ":" introduces what follows (a command, a list): not a lead.
    return joined.rstrip().endswith(":") and len(joined) < 120


def _is_too_thin(text: str) -> bool:
    """Too little text left once links, images and separators are gone."""
    letters = re.sub(r"[\W_]+", "", text)
    if not letters:
        return True
    weight = len(text) + len(_CJK.findall(text))  # a CJK character says about as much as a word
    return weight < _MIN_LEAD_CHARS


def flatten_inline(lines: list[str] | str) -> str:
    """Inline Markdown and HTML to plain text: images dropped, links to their text, emphasis,
    code spans and tags unwrapped, entities decoded, whitespace collapsed."""
    source = lines.split("\n") if isinstance(lines, str) else lines
    joined = ""
    for line in source:
        line = line.strip()
        line = line.removesuffix("\\")
        if not joined:
            joined = line
        elif _CJK.match(joined[-1:]) and _CJK.match(line[:1]):
            joined += line  # a soft break between CJK characters is no space
        else:
            joined += " " + line
    text = _IMAGE.sub("", joined)
    text = _IMG_TAG.sub("", text)
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
    text = _SHORTCUT_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _BREAK_TAG.sub(" ", text)
    text = _CODE_SPAN.sub(lambda m: m.group(2).strip(), text)
    text = _TAG.sub("", text)
    text = _STRONG.sub(r"\2", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _STRIKE.sub(r"\1", text)
    text = _ESCAPE.sub(r"\1", text)
    text = html.unescape(text)
    text = _SPACES.sub(" ", text).strip()
    # Separators left behind by removed badges or links, at either end.
    return text.strip(" |·•/-–—,;")
