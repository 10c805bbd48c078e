"""Merge a run's entries into a draft the editor is already editing, without touching their text.

Rules: an entry is new only when no URL anywhere in the draft (outside the tool-owned failures
block) canonicalizes to its key; new entries go at the end of their section (before the section's
trailing blank lines), a missing section is created in the fixed order; every existing line is
kept, unchanged and in order; the failures block is rewritten in place or appended at the end.
Merging the same entries again returns the identical text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from pipeline import mdtext
from pipeline.draft import (
    FAILED_END,
    DraftTemplate,
    EntryView,
    compare_key,
    failure_items,
    entry_views,
    load_template,
    render_markdown,
    section_order,
)
from pipeline.models import Diagnostic, Entry

_BOUNDARY = re.compile(r"^#{1,2}(?!#)\s*(.*?)\s*#*\s*$")  # an H1 or H2 heading ends a section


def find_failures_block(lines: list[str]) -> tuple[int, int] | None:
    """(start, end) line indexes of the last complete tool-owned block, both markers included."""
    for end in range(len(lines) - 1, -1, -1):
        if lines[end].strip().startswith(FAILED_END):
            for start in range(end - 1, -1, -1):
                if lines[start].strip().startswith("<!-- enrich:failed"):
                    return start, end
            return None
    return None


def _keys_present(lines: list[str], block: tuple[int, int] | None,
                  canonical_key: Callable[[str], str | None]) -> set[str]:
    outside = [line for i, line in enumerate(lines) if not block or not block[0] <= i <= block[1]]
    present: set[str] = set()
    for url in mdtext.urls_in_text("\n".join(outside)):
        key = _safe_key(canonical_key, url)
        if key:
            present.add(key)
    return present


def keys_in_draft(text: str, canonical_key: Callable[[str], str | None]) -> set[str]:
    """The keys (as `compare_key` gives them) of every entry a draft already holds: the entries a
    merge will leave alone."""
    lines = text.split("\n")
    return _keys_present(lines, find_failures_block(lines), canonical_key)


def _safe_key(canonical_key: Callable[[str], str | None], url: str | None) -> str | None:
    if not url:
        return None
    try:
        return compare_key(canonical_key(url))
    except ValueError:  # a malformed URL in the editor's text is simply not a key
        return None


class _Layout:
    """Where the sections of a draft are: heading line indexes and where each region ends."""

    def __init__(self, lines: list[str], template: DraftTemplate, names: list[str]):
        self.lines = lines
        block = find_failures_block(lines)
        self.block_start = block[0] if block else None
        titles = {self._title(template.heading(name)): name for name in names}
        self.boundaries: list[int] = []
        self.headings: dict[str, int] = {}
        for i, line in enumerate(lines):
            if block and block[0] <= i <= block[1]:
                continue
            match = _BOUNDARY.match(line.strip()) if line.startswith("#") else None
            if match:
                self.boundaries.append(i)
                name = titles.get(match.group(1).strip())
                if name is not None and name not in self.headings:
                    self.headings[name] = i
        if block:
            self.boundaries.append(block[0])
        self.boundaries.sort()

    @staticmethod
    def _title(heading: str) -> str:
        match = _BOUNDARY.match(heading.strip())
        return match.group(1).strip() if match else heading.strip()

    def region_end(self, heading: int) -> int:
        return next((b for b in self.boundaries if b > heading), len(self.lines))

    def after_last_text(self, before: int) -> int:
        """The index just past the last non-blank line before `before` (0 when there is none)."""
        for i in range(before - 1, -1, -1):
            if self.lines[i].strip():
                return i + 1
        return 0


def _insert(lines: list[str], at: int, chunk: list[str]) -> list[str]:
    if at < len(lines) and lines[at].strip():
        chunk = [*chunk, ""]  # keep a blank line before whatever follows
    return lines[:at] + chunk + lines[at:]


def _add_section(lines: list[str], name: str, views: list[EntryView], template: DraftTemplate,
                 order: list[str]) -> list[str]:
    layout = _Layout(lines, template, order)
    entry_chunk: list[str] = []
    for view in views:
        entry_chunk += ["", *template.entry_lines(view)]
    if name in layout.headings:
        heading = layout.headings[name]
        at = max(layout.after_last_text(layout.region_end(heading)), heading + 1)
        return _insert(lines, at, entry_chunk)
    position = order.index(name)
    later = [layout.headings[n] for n in order[position + 1:] if n in layout.headings]
    earlier = [layout.headings[n] for n in order[:position] if n in layout.headings]
    if later:
        anchor = min(later)
    elif earlier:
        anchor = layout.region_end(max(earlier))
    else:
        anchor = layout.block_start if layout.block_start is not None else len(lines)
    at = layout.after_last_text(anchor)
    return _insert(lines, at, ["", template.heading(name), *entry_chunk])


def _replace_failures(lines: list[str], block_lines: list[str]) -> list[str]:
    block = find_failures_block(lines)
    if block:
        return lines[: block[0]] + block_lines + lines[block[1] + 1:]
    if not block_lines:
        return lines
    if lines and lines[-1] == "":  # the text ends with a newline: keep it last
        body = lines[:-1]
        return body + ([""] if body and body[-1].strip() else []) + block_lines + [""]
    return lines + [""] + block_lines


def merge_draft(existing: str, entries: Sequence[Entry], *, canonical_key: Callable[[str], str | None],
                template: str | None = None, date: str, diagnostics: Sequence[Diagnostic] = ()) -> str:
    """`existing` with the entries it does not mention yet added, and the failures block renewed.

    `canonical_key(url)` maps a URL found in the text to its key (None when it is not one); `date`
    is only used when `existing` is empty and a whole new draft is written.
    """
    if not existing.strip():
        return render_markdown(entries, template=template, date=date, diagnostics=diagnostics)
    if "\r\n" in existing and existing.count("\r\n") == existing.count("\n"):
        # A Windows-edited draft: merge as LF and give it back with its own line endings.
        merged = merge_draft(existing.replace("\r\n", "\n"), entries, canonical_key=canonical_key,
                             template=template, date=date, diagnostics=diagnostics)
        return merged.replace("\n", "\r\n")
    loaded = load_template(template)
    lines = existing.split("\n")
    present = _keys_present(lines, find_failures_block(lines), canonical_key)

    new_by_section: dict[str, list[EntryView]] = {}
    for entry, view in zip(entries, entry_views(entries)):
        if entry.status == "failed":
            continue
        identities = {compare_key(entry.source.main.key), _safe_key(canonical_key, view.url)} - {None}
        if identities & present:
            continue
        present |= identities  # a link twice in one run is added once
        new_by_section.setdefault(entry.section, []).append(view)

    order = section_order(e.section for e in entries)
    for name in order:
        if name in new_by_section:
            lines = _add_section(lines, name, new_by_section[name], loaded, order)
    lines = _replace_failures(lines, loaded.failures_lines(failure_items(entries, diagnostics)))
    return "\n".join(lines)
