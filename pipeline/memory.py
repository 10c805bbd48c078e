"""The editor's decisions: which entries the tool put into which draft, kept in the cache's database.

A draft's memory is the set of identity keys of the run's entries it held after each run the tool
wrote it. An entry remembered but no longer in the draft was deleted by the editor: it is not
added again (until `--readd`). The memory is keyed by the draft's resolved path, so the editor's
edits and moves inside the file never matter; a draft that no longer exists starts afresh.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

_TABLE = """
CREATE TABLE IF NOT EXISTS drafted (
    draft    TEXT NOT NULL,   -- the draft file, resolved
    key      TEXT NOT NULL,   -- an identity key (pipeline.archive.identity_key)
    added_at REAL NOT NULL,
    PRIMARY KEY (draft, key)
)
"""


def _name(draft: Path) -> str:
    return str(draft.resolve())


def remembered(db: sqlite3.Connection, draft: Path) -> set[str]:
    """The identity keys the tool has put into `draft` (and seen there) so far; none, with a
    warning, when the cache cannot say (deleted entries may then come back, nothing is lost)."""
    try:
        db.execute(_TABLE)
        return {key for (key,) in db.execute("SELECT key FROM drafted WHERE draft = ?", (_name(draft),))}
    except sqlite3.Error as exc:
        log.warning("the draft's memory could not be read (%s); entries the editor deleted may return", exc)
        return set()


def remember(db: sqlite3.Connection, draft: Path, keys: Iterable[str], *, fresh: bool = False, clock=time.time) -> None:
    """Adds `keys` to the draft's memory in one transaction; `fresh` forgets the old memory first
    (a new file was written where none was). A failing cache costs only the memory: a warning."""
    now = clock()
    try:
        db.execute(_TABLE)
        with db:
            db.execute("BEGIN IMMEDIATE")
            if fresh:
                db.execute("DELETE FROM drafted WHERE draft = ?", (_name(draft),))
            db.executemany(
                "INSERT OR IGNORE INTO drafted (draft, key, added_at) VALUES (?, ?, ?)",
                ((_name(draft), key, now) for key in keys),
            )
    except sqlite3.Error as exc:
        log.warning("the draft's memory could not be saved (%s)", exc)
