"""The inbox (`inbox.md`): candidates as a Markdown checklist, merged like the draft so the editor's
ticks, notes and other lines are never lost; ticked items turned into sources.txt lines (pure)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pipeline.gather.pick import Candidate
from pipeline.models import SECTIONS
from pipeline.sources import section_name

_ITEM = re.compile(r"^- \[([ xX])\] ")
_URL = re.compile(r"https?://[^\s<>()\[\]]+")
_PICKED = re.compile(r"^picked (\d{4}-\d{2}-\d{2})\b")
_HEADING = re.compile(r"^## +(.+?)\s*$")
_SOURCES_HEADER = re.compile(r"^\s*[\[【]\s*([^\[\]【】]+?)\s*[\]】]\s*$")

HEADER = """\
# Inbox

Candidates gathered from the feeds by `enrich gather`, best first. Tick an item (`- [x]`) and the
next `enrich gather` moves its link into sources.txt under its section, with your note. Your note
is any line you indent under an item (other than its `picked` line). Unticked items leave after
{keep_days:g} days, unless they have a note. Everything else you write here is kept as it is.
"""


@dataclass(frozen=True)
class InboxItem:
    """One checklist item: its line span in the file and what the editor made of it."""

    start: int  # index of the `- [ ]` line
    end: int  # one past its last indented line
    url: str | None
    key: str | None
    ticked: bool
    section: str | None  # the `## heading` it sits under (a standard name when it is one)
    note: str | None  # the editor's indented lines, joined
    picked: date | None


def parse_inbox(text: str, canonical_key: Callable[[str], str | None]) -> list[InboxItem]:
    lines = text.splitlines()
    items: list[InboxItem] = []
    section: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = _HEADING.match(line)
        if heading:
            section = section_name(heading.group(1)) or heading.group(1)
        match = _ITEM.match(line)
        if not match:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end][:1] in (" ", "\t") and lines[end].strip():
            end += 1
        notes, picked = [], None
        for extra in lines[i + 1 : end]:
            stamp = _PICKED.match(extra.strip())
            if stamp and picked is None:
                picked = _date(stamp.group(1))
            else:
                notes.append(extra.strip())
        url_match = _URL.search(line)
        url = url_match.group(0) if url_match else None
        items.append(
            InboxItem(
                i, end, url, canonical_key(url) if url else None, match.group(1) != " ", section, " ".join(notes) or None, picked
            )
        )
        i = end
    return items


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def expired(item: InboxItem, today: date, keep_days: float) -> bool:
    """An unticked item without a note, picked more than `keep_days` ago."""
    return not item.ticked and item.note is None and item.picked is not None and (today - item.picked).days > keep_days


def _markdown_title(title: str) -> str:
    return title.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def render_item(candidate: Candidate, today: date) -> list[str]:
    when = ""
    if candidate.published is not None:
        when = " · " + datetime.fromtimestamp(candidate.published, UTC).date().isoformat()
    url = candidate.url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return [
        f"- [ ] [{_markdown_title(candidate.title)}]({url}) · {candidate.source}{when}",
        f"  picked {today.isoformat()}: {candidate.why}",
    ]


def _section_order(name: str) -> int:
    return SECTIONS.index(name) if name in SECTIONS else len(SECTIONS)


def merge_inbox(
    existing: str | None, candidates: Sequence[Candidate], remove: Iterable[InboxItem], *, today: date, keep_days: float
) -> str:
    """The inbox with `remove`d items taken out and `candidates` appended to the end of their
    section (created in the digest's order when missing). Nothing else changes: with nothing to
    remove or add, the text comes back byte for byte."""
    gone = sorted({(item.start, item.end) for item in remove}, reverse=True)
    if existing is None:
        if not candidates:
            return HEADER.format(keep_days=keep_days)
        existing = HEADER.format(keep_days=keep_days)
    elif not gone and not candidates:
        return existing
    lines = existing.splitlines()
    for start, end in gone:
        del lines[start:end]
    by_section: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_section.setdefault(candidate.section, []).append(candidate)
    for section, group in by_section.items():
        chunk = [line for c in group for line in render_item(c, today)]
        lines = _add_to_section(lines, section, chunk)
    return "\n".join(lines) + "\n"


def _add_to_section(lines: list[str], section: str, chunk: list[str]) -> list[str]:
    headings = [(i, section_name(m.group(1)) or m.group(1)) for i, line in enumerate(lines) if (m := _HEADING.match(line))]
    for n, (at, name) in enumerate(headings):
        if name == section:
            region_end = headings[n + 1][0] if n + 1 < len(headings) else len(lines)
            last = max((i for i in range(at, region_end) if lines[i].strip()), default=at)
            insert = last + 1
            if last == at:  # an empty section: a blank line under the heading, as new ones have
                chunk = ["", *chunk]
            return [*lines[:insert], *chunk, *lines[insert:]]
    # A new section goes before the first one that comes after it in the digest's order.
    later = [at for at, name in headings if _section_order(name) > _section_order(section)]
    block = [f"## {section}", "", *chunk, ""]
    if later:
        return [*lines[: later[0]], *block, *lines[later[0] :]]
    while lines and not lines[-1].strip():
        lines.pop()
    return [*lines, "", *block[:-1]]


# -- sources.txt -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Move:
    section: str | None
    url: str
    note: str | None


def add_to_sources(text: str, moves: Sequence[Move]) -> str:
    """sources.txt with one line per move appended after the last line of its section (the header
    created at the end when missing). The editor's lines are never rewritten."""
    if not moves:
        return text
    lines = text.splitlines()
    for move in moves:
        line = f"{move.url}  {move.note}" if move.note else move.url
        lines = _add_source_line(lines, move.section, line)
    return "\n".join(lines) + "\n"


def _add_source_line(lines: list[str], section: str | None, line: str) -> list[str]:
    headers = [
        (i, section_name(m.group(1)) or m.group(1))
        for i, text in enumerate(lines)
        if (m := _SOURCES_HEADER.match(text)) and "://" not in m.group(1)
    ]
    if section is None:
        # No section: the link's kind decides, as for any line before the first header.
        at = headers[0][0] if headers else len(lines)
        last = max((i for i in range(at) if lines[i].strip()), default=-1)
        return [*lines[: last + 1], line, *lines[last + 1 :]]
    for n, (at, name) in enumerate(headers):
        if name == section:
            region_end = headers[n + 1][0] if n + 1 < len(headers) else len(lines)
            last = max((i for i in range(at, region_end) if lines[i].strip()), default=at)
            return [*lines[: last + 1], line, *lines[last + 1 :]]
    while lines and not lines[-1].strip():
        lines.pop()
    return [*lines, *([""] if lines else []), f"[{section}]", line]
