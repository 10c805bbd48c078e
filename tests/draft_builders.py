"""Builders for draft tests: Entries made by hand, a tiny canonical_key, and golden-file checks."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pipeline.models import RECORD_TYPES, Entry, Link, Record, SourceEntry

GOLDEN = Path(__file__).parent / "golden"


def arxiv_link(paper_id: str) -> Link:
    url = f"https://arxiv.org/abs/{paper_id}"
    return Link(key=f"arxiv:{paper_id}", kind="arxiv", url=url, original=url)


def github_link(full_name: str) -> Link:
    url = f"https://github.com/{full_name}"
    return Link(key=f"github:{full_name.lower()}", kind="github", url=url, original=url)


def web_link(url: str) -> Link:
    return Link(key=f"web:{url}", kind="web", url=url, original=url)


def typed(kind: str, record: Record | dict[str, Any] | None) -> Record | None:
    """A record of `kind`; a dict is read as the cache reads a stored record (unknown keys dropped),
    so tests can write records as literals."""
    return RECORD_TYPES[kind].from_dict(record) if isinstance(record, dict) else record


def entry(
    main: Link, record=None, *, line=1, extras=(), note=None, section=None, status="ok", error=None, extra_records=None
) -> Entry:
    default = {"arxiv": "论文", "github": "开源项目", "web": "博文"}[main.kind]
    source = SourceEntry(line=line, main=main, extras=list(extras), note=note, section=section)
    extras_typed = {key: typed(key.split(":", 1)[0], r) for key, r in (extra_records or {}).items()}
    return Entry(
        source=source,
        section=section or default,
        status=status,
        record=typed(main.kind, record),
        error=error,
        extra_records={key: r for key, r in extras_typed.items() if r is not None},
    )


def canonical_key(url: str) -> str | None:
    """Just enough of the real canonicalization for tests: arXiv ids, GitHub repos, other URLs."""
    if not re.match(r"https?://", url):
        return None
    match = re.match(r"https?://arxiv\.org/(?:abs|pdf)/([\w./-]+?)(?:\.pdf)?$", url)
    if match:
        return f"arxiv:{match.group(1)}"
    match = re.match(r"https?://github\.com/([\w.-]+/[\w.-]+)", url)
    if match:
        return f"github:{match.group(1).lower()}"
    return f"web:{url.split('#')[0]}"


def assert_golden(name: str, text: str) -> None:
    """Compare with tests/golden/<name>; UPDATE_GOLDEN=1 rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"golden file {path.name} missing: run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")
