"""The SQLite store of fetched records and the freshness policy that decides what to refetch."""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import CacheSettings
from pipeline.models import Cached, FetchResult, Kind

log = logging.getLogger(__name__)

DB_NAME = "enrich.sqlite3"
# Bump when the meaning or shape of stored records changes: rows of another version are misses,
# except rows of a version listed in _UPGRADES, which keep serving.
SCHEMA_VERSION = 2
# Older versions whose rows this one still reads, each with the kinds whose records it lacks a
# field of. Version 1 web records have no `text`: they keep serving (offline, or when a refresh
# fails) but are due for refetching, unconditionally, so that the refetch fills the field in.
# Their other kinds are what version 2 stores, and are relabelled when the database opens.
_UPGRADES: dict[int, frozenset[str]] = {1: frozenset({"web"})}
_READABLE = (SCHEMA_VERSION, *_UPGRADES)
_READABLE_MARKS = ",".join("?" * len(_READABLE))
DAY = 86400.0
_PINNED = re.compile(r"v\d+$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    key           TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    record        TEXT,            -- the stage's record as JSON; NULL for a remembered failure
    error         TEXT,            -- the last permanent failure, if any
    error_at      REAL,
    fetched_at    REAL NOT NULL,   -- when `record` (or the failure) was last confirmed
    etag          TEXT,
    last_modified TEXT,
    last_used     REAL NOT NULL,   -- last run whose sources named this key (for prune)
    schema        INTEGER NOT NULL
)
"""


@dataclass
class Freshness:
    """How long a record stays fresh, by kind; None means never expires."""

    arxiv: float | None = 7 * DAY
    arxiv_pinned: float | None = None  # a version-pinned paper never changes
    github: float | None = 1 * DAY
    web: float | None = 30 * DAY
    failure: float = 1 * DAY  # permanent failures are remembered this long

    @classmethod
    def from_settings(cls, settings: CacheSettings) -> Freshness:
        """Seconds from the `[cache]` settings, which are in days ("never": no expiry)."""

        def seconds(days: float | str) -> float | None:
            return None if days == "never" else float(days) * DAY

        return cls(
            arxiv=seconds(settings.arxiv_days),
            arxiv_pinned=seconds(settings.arxiv_pinned_days),
            github=seconds(settings.github_days),
            web=seconds(settings.web_days),
            failure=float(settings.failure_days) * DAY,
        )

    def ttl(self, key: str, kind: str) -> float | None:
        if kind == "arxiv":
            pinned = _PINNED.search(key) is not None
            return self.arxiv_pinned if pinned else self.arxiv
        return getattr(self, kind, 30 * DAY)


@dataclass
class Lookup:
    """The cache's verdict on one key."""

    cached: Cached | None = None
    fresh: bool = False  # usable without asking the network
    failure: str | None = None  # a remembered permanent failure, still within its day

    @property
    def has_record(self) -> bool:
        return self.cached is not None and self.cached.record is not None


@dataclass
class Stats:
    total: int = 0
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    bytes: int = 0
    path: str = ""


class Cache:
    """One SQLite database in WAL mode: readers never block the writer, a killed process loses at
    most its uncommitted record, and every committed record is whole."""

    def __init__(self, directory: str | os.PathLike, freshness: Freshness | None = None, clock=time.time):
        self.dir = Path(directory)
        self.path = self.dir / DB_NAME
        self.freshness = freshness or Freshness()
        self.clock = clock
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db = self._open()

    # -- opening, corruption and schema versions -------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash never corrupts, only forgets
        db.execute("PRAGMA busy_timeout=30000")
        return db

    def _open(self) -> sqlite3.Connection:
        try:
            db = self._connect()
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("integrity check failed")
            self._migrate(db)
            return db
        except sqlite3.DatabaseError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise
            aside = self.path.with_name(f"{DB_NAME}.corrupt-{int(self.clock())}")
            log.warning("cache %s is unreadable (%s); moved aside to %s and rebuilt", self.path, exc, aside.name)
            for suffix in ("", "-wal", "-shm"):
                src = Path(str(self.path) + suffix)
                if src.exists():
                    src.replace(Path(str(aside) + suffix))
            db = self._connect()
            self._migrate(db)
            return db

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        with db:
            db.execute("BEGIN IMMEDIATE")
            if version in _UPGRADES:
                # Same table; rows of kinds whose records did not change take the new version now.
                stale_kinds = sorted(_UPGRADES[version])
                marks = ",".join("?" * len(stale_kinds))
                db.execute(
                    f"UPDATE records SET schema = ? WHERE schema = ? AND kind NOT IN ({marks})",
                    (SCHEMA_VERSION, version, *stale_kinds),
                )
                log.info("cache schema %s upgraded to %s; older %s records serve until refetched",
                         version, SCHEMA_VERSION, "/".join(stale_kinds))
            elif version not in (0, SCHEMA_VERSION):
                # An older (or newer) layout: its rows are misses, never a crash. Refetching is
                # cheap next to guessing at another version's meaning.
                log.warning("cache schema %s is not %s; starting a fresh cache", version, SCHEMA_VERSION)
                db.execute("DROP TABLE IF EXISTS records")
            db.execute(_SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()

    # -- reading -----------------------------------------------------------------------------
    def _rows(self, keys: list[str]) -> Iterator[tuple]:
        """Rows of the keys, of this schema version or one it upgrades from, with that version."""
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            yield from self.db.execute(
                "SELECT key, kind, record, error, error_at, fetched_at, etag, last_modified, schema "
                f"FROM records WHERE schema IN ({_READABLE_MARKS}) AND key IN ({marks})",
                (*_READABLE, *chunk),
            )

    @staticmethod
    def _outdated(kind: str, schema: int) -> bool:
        """A row of an older version whose record lacks a field this version fills in."""
        return schema != SCHEMA_VERSION and kind in _UPGRADES.get(schema, ())

    def lookup_many(self, keys: Iterable[str], kind_of: dict[str, str]) -> dict[str, Lookup]:
        """The verdict for every key at once (one query per 500 keys: a warm run is one pass)."""
        now = self.clock()
        keys = list(dict.fromkeys(keys))
        failure_ttl = self.freshness.failure
        found: dict[str, Lookup] = {}
        for key, kind, record, error, error_at, fetched_at, etag, last_modified, schema in self._rows(keys):
            if kind != kind_of.get(key, kind):
                continue
            outdated = self._outdated(kind, schema)
            if outdated:
                # No validators: a 304 would keep the record that lacks the new field.
                etag = last_modified = None
            cached = Cached(key, kind, fetched_at, json.loads(record) if record else None, error, etag, last_modified)
            ttl = self.freshness.ttl(key, kind)
            failure_fresh = error_at is not None and now - error_at < failure_ttl
            fresh = cached.record is not None and not outdated and (ttl is None or now - fetched_at < ttl)
            found[key] = Lookup(cached, fresh, error if failure_fresh else None)
        # A key without a usable row is a miss; the verdicts come in the order asked.
        return {key: found.get(key) or Lookup() for key in keys}

    def get(self, key: str) -> Cached | None:
        for key_, kind, record, error, _error_at, fetched_at, etag, last_modified, _schema in self._rows([key]):
            return Cached(key_, kind, fetched_at, json.loads(record) if record else None, error, etag, last_modified)
        return None

    # -- writing -----------------------------------------------------------------------------
    def store_many(self, results: Iterable[tuple[Kind, FetchResult]]) -> None:
        """Records the outcomes that arrived together in one transaction: a kill loses at most
        these, and every committed record is whole (one commit per record would cost a WAL
        write per link)."""
        with self.db:
            self.db.execute("BEGIN")
            for kind, result in results:
                self._store(kind, result)

    def store(self, kind: Kind, result: FetchResult) -> None:
        """Records one fetch outcome in its own transaction.

        Transient failures are never stored; a permanent failure never erases a record the
        editor may still want (it is kept, and served as stale).
        """
        self.store_many([(kind, result)])

    def _store(self, kind: Kind, result: FetchResult) -> None:
        now = self.clock()
        if result.ok and result.not_modified:
            self.db.execute(
                "UPDATE records SET fetched_at = ?, error = NULL, error_at = NULL, "
                "etag = COALESCE(?, etag) WHERE key = ?",
                (now, result.etag, result.key),
            )
        elif result.ok and result.record is not None:
            self.db.execute(
                "INSERT INTO records (key, kind, record, error, error_at, fetched_at, etag, last_modified, "
                "last_used, schema) VALUES (?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, record = excluded.record, "
                "error = NULL, error_at = NULL, fetched_at = excluded.fetched_at, etag = excluded.etag, "
                "last_modified = excluded.last_modified, last_used = excluded.last_used, schema = excluded.schema",
                (
                    result.key,
                    kind,
                    json.dumps(result.record.to_dict(), ensure_ascii=False, separators=(",", ":")),
                    now,
                    result.etag,
                    result.last_modified,
                    now,
                    SCHEMA_VERSION,
                ),
            )
        elif result.permanent:
            self.db.execute(
                "INSERT INTO records (key, kind, record, error, error_at, fetched_at, last_used, schema) "
                "VALUES (?, ?, NULL, ?, ?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET error = excluded.error, error_at = excluded.error_at",
                (result.key, kind, result.error, now, now, now, SCHEMA_VERSION),
            )

    def mark_used(self, keys: Iterable[str]) -> None:
        now = self.clock()
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("UPDATE records SET last_used = ? WHERE key = ?", ((now, k) for k in keys))

    # -- looking inside ----------------------------------------------------------------------
    def stats(self) -> Stats:
        now = self.clock()
        stats = Stats(path=str(self.path))
        for key, kind, has_record, _error_at, fetched_at, schema in self.db.execute(
            f"SELECT key, kind, record IS NOT NULL, error_at, fetched_at, schema FROM records WHERE schema IN ({_READABLE_MARKS})",
            _READABLE,
        ):
            ttl = self.freshness.ttl(key, kind)
            if not has_record:
                state = "failed"
            elif not self._outdated(kind, schema) and (ttl is None or now - fetched_at < ttl):
                state = "fresh"
            else:
                state = "stale"
            by_kind = stats.by_kind.setdefault(kind, {"fresh": 0, "stale": 0, "failed": 0})
            by_kind[state] += 1
            stats.total += 1
        for suffix in ("", "-wal"):
            p = Path(str(self.path) + suffix)
            stats.bytes += p.stat().st_size if p.exists() else 0
        return stats

    def show(self, key: str) -> dict | None:
        row = self.db.execute(
            "SELECT key, kind, record, error, error_at, fetched_at, etag, last_modified, last_used, schema "
            "FROM records WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        names = ("key", "kind", "record", "error", "error_at", "fetched_at", "etag", "last_modified", "last_used", "schema")
        data = dict(zip(names, row))
        data["record"] = json.loads(data["record"]) if data["record"] else None
        for name in ("error_at", "fetched_at", "last_used"):
            if data[name] is not None:
                data[name] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(data[name]))
        return data

    def prune(self, older_than_days: float) -> int:
        cutoff = self.clock() - older_than_days * DAY
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            removed = self.db.execute(
                f"DELETE FROM records WHERE last_used < ? OR schema NOT IN ({_READABLE_MARKS})", (cutoff, *_READABLE)
            ).rowcount
        self.db.execute("VACUUM")
        return removed
