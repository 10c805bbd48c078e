"""What gathering remembers between runs, in two tables of the cache's database: each feed's HTTP
validators and newest item, and every item already offered (so it is never offered twice)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

# Additive tables: the cache's own schema version and its `records` table are untouched.
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS gather_feeds (
        feed          TEXT PRIMARY KEY,  -- a hash of the feed's URL: bridges put access keys in it
        etag          TEXT,
        last_modified TEXT,
        newest_at     REAL,              -- the newest item date seen in the feed, or when one was first seen
        checked_at    REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS gather_seen (
        item    TEXT PRIMARY KEY,        -- canonical key, plus @tag for a release
        seen_at REAL NOT NULL
    )""",
)


def feed_id(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class FeedMemory:
    etag: str | None = None
    last_modified: str | None = None
    newest_at: float | None = None
    checked_at: float | None = None


class GatherState:
    """Reads at the start of a run, writes once at its end, in one transaction (a crash before
    that forgets this run's items, so they are offered again rather than lost)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        with db:
            db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                db.execute(statement)

    def feed(self, url: str) -> FeedMemory:
        row = self.db.execute(
            "SELECT etag, last_modified, newest_at, checked_at FROM gather_feeds WHERE feed = ?", (feed_id(url),)
        ).fetchone()
        return FeedMemory(*row) if row else FeedMemory()

    def seen_items(self) -> set[str]:
        return {item for (item,) in self.db.execute("SELECT item FROM gather_seen")}

    def remember(self, feeds: Iterable[tuple[str, FeedMemory]], seen: Iterable[str], now: float) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(
                "INSERT INTO gather_feeds (feed, etag, last_modified, newest_at, checked_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(feed) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
                "newest_at = excluded.newest_at, checked_at = excluded.checked_at",
                [(feed_id(url), m.etag, m.last_modified, m.newest_at, now) for url, m in feeds],
            )
            self.db.executemany("INSERT OR IGNORE INTO gather_seen (item, seen_at) VALUES (?, ?)", [(item, now) for item in seen])
