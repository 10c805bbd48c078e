"""The archive of published issues: each issue's Markdown parsed into entries, indexed by link identity.

The pure part reads one issue (the digest's format, tolerant of its variants: tags before the
title link, the source after the last ` | `, labelled link lines, 2019's extra links on the entry
line, plain-text titles, empty link targets). The thin I/O part, `load_archive`, reads a folder and
keeps each file's parsed entries in the cache, parsing again only a file whose size, mtime or
content hash changed.

Identity: an entry is known by every link on its entry line and labelled link lines (never by a
link inside its 摘要), by the `owner/repo` prefix of an open-source title and by an arXiv tag.
Keys are compared as `identity_key` says (arXiv without version, GitHub lower case, a Zhihu
answer or article by its id); `ArchiveIndex` also follows aliases the cache learned from fetched
pages (a WeChat `/s/<id>` link and the `__biz`/`mid`/`idx`/`sn` link of the same article, a
renamed GitHub repository).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline import mdtext
from pipeline.links import LinkError, canonicalize, identity_key, parse_arxiv_id
from pipeline.models import RECORD_TYPES, ArxivRecord, Entry, GithubRecord, Record, WebRecord

log = logging.getLogger(__name__)

# -- reading one issue (pure) ------------------------------------------------------------------

_DATE_IN_H1 = re.compile(r"^#\s.*?\((\d{4}-\d{2}-\d{2})\)")
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
_SECTION = re.compile(r"^##(?!#)\s*(.*?)\s*$")
_ENTRY = re.compile(r"^[-*+]\s+\S")
_TAG = re.compile(r"^\[([^\[\]]*)\](?!\()\s*")
# A labelled link line: a short label, a colon (full-width or ASCII), then one bare URL or one
# Markdown link and nothing else. `摘要` and `备注` are prose, never a link line.
_LABELLED = re.compile(
    r"^(?P<label>[^\s\-*+>#\[\]()：:，。；、][^：:，。；、\[\]()]{0,19}?)\s*[：:]\s*"
    r"(?:(?P<bare>https?://\S+)|\[[^\]]*\]\((?P<linked>https?://[^)\s]+)\))\s*$",
    re.IGNORECASE,
)
_PROSE_LABELS = ("摘要", "备注")
_SUMMARY = re.compile(r"^摘要\s*[：:]\s*")
# The source follows the last bar that has a space on at least one side (` | `, `…| X`, `… |X`,
# `丨 `); a full-width `｜` or a bar inside a word belongs to the title.
_SOURCE_BAR = re.compile(r"(?:\s+[|丨]\s*|[|丨]\s+)")
_REPO_PREFIX = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]{0,38})/([A-Za-z0-9._-]{1,100})\s*[:：]")
_FOOTER = "往期回顾"


@dataclass(frozen=True)
class ArchiveEntry:
    """One entry of a published issue."""

    date: str  # the issue's date, YYYY-MM-DD
    section: str
    kind: str  # "arxiv" | "github" | "web": the kind of the entry's title link
    title: str
    source: str | None  # the name printed after the last ` | `, as the editor wrote it
    summary: str | None  # the published 摘要 text (lines joined with "\n")
    urls: tuple[str, ...]  # every link on the entry line and its labelled link lines, in order
    keys: tuple[str, ...]  # identity keys of those links, plus repo prefix and arXiv tag


def url_identity(url: str) -> str | None:
    """`identity_key` of a URL as it appears in text; None when it is not a usable link."""
    try:
        return identity_key(canonicalize(url).key)
    except LinkError:
        return None


def labelled_link(line: str) -> tuple[str, str] | None:
    """(label, url) when `line` is a labelled link line such as `论文：https://…`, else None."""
    match = _LABELLED.match(line.rstrip())  # indented: part of a summary's list, not a link line
    if not match or match.group("label").strip() in _PROSE_LABELS:
        return None
    url = match.group("bare") or match.group("linked")
    return match.group("label").strip(), url.rstrip(".,;:!?*_~")


def is_entry_line(line: str) -> bool:
    """A top-level list item: where an entry of the digest begins."""
    return _ENTRY.match(line) is not None


def identity_lines(text: str, *, labelled: bool = True) -> list[str]:
    """The URLs that make an item present in a draft: those on entry lines and (unless not
    `labelled`) labelled link lines, never those inside a summary or other prose."""
    found: list[str] = []
    for line in text.split("\n"):
        if is_entry_line(line):
            found += mdtext.urls_in_text(line)
        elif labelled:
            link = labelled_link(line)
            if link:
                found.append(link[1])
    return found


def split_source(text: str) -> tuple[str, str | None]:
    """(title, source) of an entry's link text; the source is what follows the last bar."""
    matches = list(_SOURCE_BAR.finditer(text))
    if not matches:
        return text.strip(), None
    last = matches[-1]
    source = text[last.end() :].strip()
    return text[: last.start()].strip(), source or None


def _entry_line_parts(line: str) -> tuple[list[str], str, str | None]:
    """(tags, link text, title URL or None) of an entry line."""
    rest = re.sub(r"^[-*+]\s+", "", line.strip())
    tags: list[str] = []
    while (tag := _TAG.match(rest)) and "](" in rest[tag.end() :]:
        tags.append(tag.group(1).strip())
        rest = rest[tag.end() :]
    close = rest.find("](")
    if rest.startswith("[") and close > 0:
        end = rest.find(")", close + 2)
        target = rest[close + 2 : end if end >= 0 else len(rest)].strip()
        return tags, rest[1:close], target if target.lower().startswith(("http://", "https://")) else None
    return tags, rest.removeprefix("[") if "](" not in rest else rest, None


def _kind_of(url: str | None) -> str:
    if not url:
        return "web"
    try:
        return canonicalize(url).kind
    except LinkError:
        return "web"


@dataclass
class _Draft:
    section: str
    line: str
    urls: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    in_summary: bool = False


def _finish(date: str, draft: _Draft) -> ArchiveEntry:
    tags, text, title_url = _entry_line_parts(draft.line)
    title, source = split_source(text)
    urls = tuple(dict.fromkeys([*mdtext.urls_in_text(draft.line), *draft.urls]))
    keys = [url_identity(u) for u in urls]
    prefix = _REPO_PREFIX.match(title)
    if prefix and draft.section == "开源项目":
        keys.append(f"github:{prefix.group(1)}/{prefix.group(2)}".lower())
    for tag in tags:
        paper = parse_arxiv_id(tag)  # `[2002.10179]`: the paper's id tag
        if paper:
            keys.append(f"arxiv:{paper[0]}")
    summary = "\n".join(line for line in draft.summary if line.strip()).strip() or None
    return ArchiveEntry(
        date=date,
        section=draft.section,
        kind=_kind_of(title_url or (urls[0] if urls else None)),
        title=title,
        source=source,
        summary=summary,
        urls=urls,
        keys=tuple(dict.fromkeys(k for k in keys if k)),
    )


def issue_date(text: str, name: str = "") -> str | None:
    """The issue's date from its H1 `# 嵌入式AI简报 (YYYY-MM-DD)`, else from the file name."""
    for line in text.split("\n")[:40]:
        match = _DATE_IN_H1.match(line)
        if match:
            return match.group(1)
    match = _DATE_IN_NAME.search(name)
    return match.group(1) if match else None


def parse_issue(text: str, date: str) -> list[ArchiveEntry]:
    """Every entry of one published issue, in order; the preamble and the footer are skipped."""
    entries: list[ArchiveEntry] = []
    section: str | None = None
    current: _Draft | None = None
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        heading = _SECTION.match(line)
        if heading or line.startswith("# "):
            if current:
                entries.append(_finish(date, current))
                current = None
            section = heading.group(1).strip() if heading else None
            if section and _FOOTER in section:
                break
            continue
        if section is None:
            continue
        if is_entry_line(line):
            if current:
                entries.append(_finish(date, current))
            current = _Draft(section, line)
            continue
        if current is None or line.startswith(("<", "----")):
            continue
        labelled = labelled_link(line)
        summary = _SUMMARY.match(line)
        if labelled and not summary:
            current.urls.append(labelled[1])
            current.in_summary = False
        elif summary:
            current.in_summary = True
            current.summary.append(line[summary.end() :])
        elif current.in_summary:
            current.summary.append(line.strip())
    if current:
        entries.append(_finish(date, current))
    return entries


# -- the index ---------------------------------------------------------------------------------


@dataclass
class ArchiveIndex:
    """Every published entry, and where each link identity was featured."""

    entries: list[ArchiveEntry] = field(default_factory=list)
    # identity key -> the identity key it is the same item as (learned from fetched pages)
    aliases: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_key: dict[str, list[ArchiveEntry]] = {}
        for entry in self.entries:
            for key in entry.keys:
                bucket = self._by_key.setdefault(self.resolve(key), [])
                if entry not in bucket:
                    bucket.append(entry)

    def resolve(self, key: str) -> str:
        """The one identity a key stands for, following aliases (a few hops at most)."""
        key = identity_key(key) or key
        for _ in range(8):
            nxt = self.aliases.get(key)
            if nxt is None or nxt == key:
                break
            key = nxt
        return key

    def featured(self, key: str) -> list[ArchiveEntry]:
        """The published entries that featured the item `key` names, oldest first."""
        return sorted(self._by_key.get(self.resolve(key), []), key=lambda e: e.date)

    def printed_names(self) -> set[str]:
        return {e.source for e in self.entries if e.source}


def alias_pairs(records: Iterable[tuple[str, Record]]) -> dict[str, str]:
    """Aliases from cached records: a WeChat page's own link (`og:url`/`msg_link`) names the same
    article as the link it was fetched by; a renamed repository's old name its new one. Both
    sides of a pair map to one representative (the lesser key), so either form finds the other."""
    pairs: list[tuple[str, str]] = []
    for key, record in records:
        if key.startswith("github:") and isinstance(record, GithubRecord) and record.full_name:
            new = f"github:{record.full_name.lower()}"
            old = record.renamed_from
            pairs += [(key.lower(), new)] + ([(f"github:{old.lower()}", new)] if old else [])
        elif key.startswith("web:https://mp.weixin.qq.com/") and isinstance(record, WebRecord) and record.canonical_url:
            other = url_identity(record.canonical_url)
            if other and other.startswith("web:https://mp.weixin.qq.com/"):
                pairs.append((identity_key(key) or key, other))
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        while parent.get(k, k) != k:
            k = parent[k]
        return k

    for a, b in pairs:
        if a == b:
            continue
        ra, rb = find(a), find(b)
        if ra != rb:
            low, high = sorted((ra, rb))
            parent[high] = low
            parent.setdefault(low, low)
    return {k: find(k) for k in parent if find(k) != k}


# -- what the archive says about a run's entry (pure) ------------------------------------------


def _code_keys(entry: Entry) -> set[str]:
    keys = {identity_key(link.key) for link in entry.source.links if link.kind == "github"}
    for record in (entry.record, *entry.extra_records.values()):
        if isinstance(record, ArxivRecord):
            for url in record.code_urls or []:
                keys.add(url_identity(str(url)))
    return {k for k in keys if k and k.startswith("github:")}


def featured_info(entry: Entry, index: ArchiveIndex) -> tuple[list[dict[str, str]], bool]:
    """(featured_in, follow_up) of a run's entry: the past issues that featured any of its links
    (`{"date", "section"}`, oldest first), and whether it is a paper featured before whose code is
    new since (no issue that featured the paper featured that code)."""
    past: list[ArchiveEntry] = []
    for link in entry.source.links:
        for found in index.featured(link.key):
            if found not in past:
                past.append(found)
    past.sort(key=lambda e: (e.date, e.section))
    featured_in = list({(e.date, e.section): {"date": e.date, "section": e.section} for e in past}.values())
    papers = [link.key for link in entry.source.links if link.kind == "arxiv"]
    paper_issues = [e for key in papers for e in index.featured(key)]
    code = _code_keys(entry)
    if paper_issues and code:
        shown = {index.resolve(k) for e in paper_issues for k in e.keys}
        if any(index.resolve(k) not in shown and not index.featured(k) for k in code):
            return featured_in, True
    return featured_in, False


# -- reading a folder, with the parsed files kept in the cache (thin I/O) ----------------------

_TABLE = """
CREATE TABLE IF NOT EXISTS archive_files (
    path    TEXT PRIMARY KEY,   -- the issue file, resolved
    size    INTEGER NOT NULL,
    mtime   REAL NOT NULL,
    sha256  TEXT NOT NULL,
    entries TEXT NOT NULL       -- the parsed entries as JSON
)
"""


class ArchiveError(Exception):
    """The archive folder cannot be read (exit code 2)."""


def _parse_file(path: Path, data: bytes) -> list[ArchiveEntry]:
    text = data.decode("utf-8", errors="replace")
    date = issue_date(text, path.name)
    return parse_issue(text, date) if date else []


def _stored(entries_json: str) -> list[ArchiveEntry]:
    return [
        ArchiveEntry(**{**item, "urls": tuple(item["urls"]), "keys": tuple(item["keys"])}) for item in json.loads(entries_json)
    ]


def load_archive(folder: str | Path, cache: Any | None) -> ArchiveIndex:
    """Every issue (`*.md`) in `folder`, parsed or taken from the cache's copy of an unchanged
    file; `cache` is a `pipeline.cache.Cache` (or None: parse everything, keep nothing)."""
    root = Path(folder)
    if not root.is_dir():
        raise ArchiveError(f"archive folder {folder} does not exist or is not a folder")
    db = getattr(cache, "db", None)
    known: dict[str, tuple[int, float, str, str]] = {}
    if db is not None:
        try:
            db.execute(_TABLE)
            known = {
                p: (s, m, h, e) for p, s, m, h, e in db.execute("SELECT path, size, mtime, sha256, entries FROM archive_files")
            }
        except sqlite3.Error as exc:  # a read-only or failing cache: the issues are simply parsed
            log.warning("the archive index is not cached (%s); reading every issue", exc)
            db = None
    entries: list[ArchiveEntry] = []
    updates: list[tuple[str, int, float, str, str]] = []
    seen: set[str] = set()
    for path in sorted(root.glob("*.md")):
        name = str(path.resolve())
        seen.add(name)
        try:
            stat = path.stat()
            row = known.get(name)
            if row and row[0] == stat.st_size and row[1] == stat.st_mtime:
                entries += _stored(row[3])
                continue
            data = path.read_bytes()
        except OSError as exc:
            raise ArchiveError(f"cannot read archive file {path}: {exc.strerror or exc}") from exc
        digest = hashlib.sha256(data).hexdigest()
        if row and row[2] == digest:  # touched, not changed
            parsed_json = row[3]
        else:
            parsed_json = json.dumps([asdict(e) for e in _parse_file(path, data)], ensure_ascii=False)
        entries += _stored(parsed_json)
        updates.append((name, stat.st_size, stat.st_mtime, digest, parsed_json))
    gone = [p for p in known if p not in seen and Path(p).parent == root.resolve()]
    if db is not None and (updates or gone):
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT OR REPLACE INTO archive_files VALUES (?, ?, ?, ?, ?)", updates)
                db.executemany("DELETE FROM archive_files WHERE path = ?", ((p,) for p in gone))
        except sqlite3.Error as exc:
            log.warning("the archive index could not be cached (%s)", exc)
    return ArchiveIndex(entries, aliases=cached_aliases(cache))


def cached_aliases(cache: Any | None) -> dict[str, str]:
    """`alias_pairs` of every GitHub and WeChat record in the cache (a `pipeline.cache.Cache`)."""
    db = getattr(cache, "db", None)
    if db is None:
        return {}
    try:
        rows = db.execute(
            "SELECT key, kind, record FROM records WHERE record IS NOT NULL AND "
            "(key LIKE 'github:%' OR key LIKE 'web:https://mp.weixin.qq.com/%')"
        ).fetchall()
    except sqlite3.Error as exc:
        log.warning("aliases could not be read from the cache (%s)", exc)
        return {}
    return alias_pairs(_usable(rows))


def _usable(rows: Iterable[tuple[str, str, str]]) -> Iterator[tuple[str, Record]]:
    """(key, typed record) of the rows whose record is whole; a bad row is left for the run that
    meets it to drop and refetch."""
    from pipeline.cache import stored_record

    for key, kind, text in rows:
        record = stored_record(kind, text)[1] if kind in RECORD_TYPES else None
        if record is not None:
            yield key, record


def cached_pages(cache: Any | None, index: ArchiveIndex) -> dict[str, WebRecord]:
    """The cached web records of the archive's title links, by resolved identity key."""
    db = getattr(cache, "db", None)
    if db is None:
        return {}
    wanted: dict[str, str] = {}
    for entry in index.entries:
        if entry.kind == "web" and entry.urls:
            try:
                wanted[canonicalize(entry.urls[0]).key] = index.resolve(url_identity(entry.urls[0]) or "")
            except LinkError:
                continue
    found: dict[str, WebRecord] = {}
    keys = list(wanted)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.execute(f"SELECT key, kind, record FROM records WHERE record IS NOT NULL AND key IN ({marks})", chunk)
        for key, record in _usable(rows):
            if isinstance(record, WebRecord):
                found[wanted[key]] = record
    return found
