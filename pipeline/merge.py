"""Merge a run's entries into a draft the editor is already editing, without touching their text.

Rules: an entry is present when a URL on an entry line or a labelled link line of the draft
(outside the tool-owned block) names the same item; a URL inside a summary or other prose does
not count. An entry that is not present is added at the end of its section (before the section's
trailing blank lines; a missing section is created in the fixed order), unless the tool put it
into this draft before and the editor has since deleted it: then it is listed in the tool's block
as removed by the editor, until `readd` brings it back. Every existing line is kept, unchanged
and in order, except the tool's own 导读 line, whose count follows the draft while the editor has
not edited it; the tool's block is rewritten in place or appended at the end. Merging the same
entries again returns the identical text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from pipeline.archive import identity_key, identity_lines, is_entry_line
from pipeline.draft import (
    FAILED_END,
    DraftTemplate,
    EntryView,
    entry_urls,
    entry_views,
    failure_items,
    load_template,
    notice,
    render_markdown,
    section_order,
)
from pipeline.models import Diagnostic, Entry
from pipeline.sourcenames import LearnedNames

REMOVED_BY_EDITOR = "编辑已从稿中删除，不再加入（--readd 可重新加入）"
ONLY_A_LINK_LINE = "已是稿中另一条目的链接行，未单独加入"

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


def _outside_block(lines: list[str]) -> list[str]:
    block = find_failures_block(lines)
    return [line for i, line in enumerate(lines) if not block or not block[0] <= i <= block[1]]


Resolve = Callable[[str], str]  # an identity key -> the one key of its item (aliases the cache knows)


def _same(key: str) -> str:
    return key


def keys_present(
    text: str, canonical_key: Callable[[str], str | None], resolve: Resolve = _same, *, labelled: bool = True
) -> set[str]:
    """Identity keys of the items a draft holds: the links of its entry lines and labelled link
    lines outside the tool's block (a link in a summary or other prose does not count)."""
    present: set[str] = set()
    for url in identity_lines("\n".join(_outside_block(text.split("\n"))), labelled=labelled):
        key = _safe_key(canonical_key, url, resolve)
        if key:
            present.add(key)
    return present


def _safe_key(canonical_key: Callable[[str], str | None], url: str | None, resolve: Resolve = _same) -> str | None:
    if not url:
        return None
    try:
        key = identity_key(canonical_key(url))
    except ValueError:  # a malformed URL in the editor's text is simply not a key
        return None
    return resolve(key) if key else None


def entry_identities(
    entry: Entry, view: EntryView, canonical_key: Callable[[str], str | None], resolve: Resolve = _same
) -> set[str]:
    """The keys an entry is known by in a draft: its main link's, and the URL its entry line shows
    (a renamed repository's new URL)."""
    main = identity_key(entry.source.main.key)
    # Most entry lines show the main link itself, whose key is known: no need to parse it again.
    shown = None if view.url == entry.source.main.url else _safe_key(canonical_key, view.url, resolve)
    return {resolve(main) if main else None, shown} - {None}  # type: ignore[return-value]


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


def _add_section(lines: list[str], name: str, views: list[EntryView], template: DraftTemplate, order: list[str]) -> list[str]:
    layout = _Layout(lines, template, order)
    entry_chunk: list[str] = []
    for view in views:
        entry_chunk += ["", *template.entry_lines(view)]
    if name in layout.headings:
        heading = layout.headings[name]
        at = max(layout.after_last_text(layout.region_end(heading)), heading + 1)
        return _insert(lines, at, entry_chunk)
    position = order.index(name)
    later = [layout.headings[n] for n in order[position + 1 :] if n in layout.headings]
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
        return lines[: block[0]] + block_lines + lines[block[1] + 1 :]
    if not block_lines:
        return lines
    if lines and lines[-1] == "":  # the text ends with a newline: keep it last
        body = lines[:-1]
        return body + ([""] if body and body[-1].strip() else []) + block_lines + [""]
    return lines + [""] + block_lines


def _update_intro(lines: list[str], template: DraftTemplate, names: list[str]) -> list[str]:
    """The tool's 导读 line gets the draft's entry count, while it is exactly as the tool writes it
    (any count): a line the editor has touched is theirs."""
    sample = template.intro(0)
    if not sample or "0" not in sample:
        return lines
    head, _, tail = sample.partition("0")
    pattern = re.compile(re.escape(head) + r"\d+" + re.escape(tail) + "$")
    found = [i for i, line in enumerate(lines) if pattern.match(line)]
    if len(found) != 1:
        return lines
    layout = _Layout(lines, template, names)
    count = 0
    for heading in layout.headings.values():
        count += sum(is_entry_line(lines[i]) for i in range(heading + 1, layout.region_end(heading)))
    lines[found[0]] = template.intro(count) or lines[found[0]]
    return lines


@dataclass
class MergeResult:
    """The merged text, the identity keys of the run's entries it holds, and the entries the
    editor had removed (held back)."""

    text: str
    in_draft: set[str] = field(default_factory=set)
    removed: list[Entry] = field(default_factory=list)
    linked: list[Entry] = field(default_factory=list)  # present only as another entry's link line


def merge(
    existing: str,
    entries: Sequence[Entry],
    *,
    canonical_key: Callable[[str], str | None],
    template: str | None = None,
    date: str,
    diagnostics: Sequence[Diagnostic] = (),
    remembered: AbstractSet[str] = frozenset(),
    readd: bool = False,
    notices: Sequence[dict[str, Any]] = (),
    names: LearnedNames | None = None,
    resolve: Resolve = _same,
) -> MergeResult:
    """`existing` with the entries it does not mention yet added, and the failures block renewed,
    by the editor's decisions. `canonical_key(url)` maps a URL found in the text to its key (None
    when it is not one); `date` is only used when `existing` is empty and a whole new draft is
    written. `remembered` holds the identity keys the tool put into this draft before; one of those
    no longer present was removed by the editor and is not added again unless `readd`. `notices`
    are further entries held back, for the tool's block; `resolve` maps an identity key to its
    item's one key (a WeChat article's two link forms, a renamed repository)."""
    remembered = {resolve(k) for k in remembered}
    views = entry_views(entries, names)
    if not existing.strip():
        text = render_markdown(
            entries, template=template, date=date, diagnostics=diagnostics, notices=notices, names=names, views=views
        )
        kept = {k for e, v in zip(entries, views) if e.status != "failed" for k in entry_identities(e, v, canonical_key, resolve)}
        return MergeResult(text, kept)
    if "\r\n" in existing and existing.count("\r\n") == existing.count("\n"):
        # A Windows-edited draft: merge as LF and give it back with its own line endings.
        result = merge(
            existing.replace("\r\n", "\n"),
            entries,
            canonical_key=canonical_key,
            template=template,
            date=date,
            diagnostics=diagnostics,
            remembered=remembered,
            readd=readd,
            notices=notices,
            names=names,
            resolve=resolve,
        )
        result.text = result.text.replace("\n", "\r\n")
        return result
    loaded = load_template(template)
    lines = existing.split("\n")
    present = keys_present(existing, canonical_key, resolve)
    on_entry_lines = keys_present(existing, canonical_key, resolve, labelled=False)
    result = MergeResult("")

    new_by_section: dict[str, list[EntryView]] = {}
    for entry, view in zip(entries, views):
        if entry.status == "failed":
            continue
        identities = entry_identities(entry, view, canonical_key, resolve)
        if identities & present:
            if identities & on_entry_lines or identities & remembered:
                result.in_draft |= identities
            else:
                # Another entry's `代码：` or `论文：` line already names it: said in the tool's block,
                # so the sources line (and its note) does not vanish silently.
                result.linked.append(entry)
            continue
        if identities & remembered and not readd:
            result.removed.append(entry)
            continue
        present |= identities  # a link twice in one run is added once
        result.in_draft |= identities
        new_by_section.setdefault(entry.section, []).append(view)

    order = section_order(e.section for e in entries)
    for name in order:
        if name in new_by_section:
            lines = _add_section(lines, name, new_by_section[name], loaded, order)
    held = [
        *notices,
        *(notice(e.source.line, entry_urls(e), REMOVED_BY_EDITOR) for e in result.removed),
        *(notice(e.source.line, entry_urls(e), ONLY_A_LINK_LINE) for e in result.linked),
    ]
    lines = _replace_failures(lines, loaded.failures_lines(failure_items(entries, diagnostics, held)))
    lines = _update_intro(lines, loaded, order)  # counted once the tool's block is in its final place
    result.text = "\n".join(lines)
    return result
