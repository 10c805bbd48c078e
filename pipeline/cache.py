"""The SQLite store of fetched records and the freshness policy that decides what to refetch."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import os
import re
import sqlite3
import stat
import time
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from pipeline.config import CacheSettings
from pipeline.lock import LockHeld
from pipeline.models import RECORD_TYPES, Cached, FetchResult, Kind, Record

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

# SQLite's primary result codes (the low byte of `sqlite_errorcode`) that decide what a fault means.
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR = 5, 6, 8, 10
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 13, 14, 26
_FAULT_WORDS = {
    SQLITE_READONLY: "it is read-only",
    SQLITE_IOERR: "disk I/O error (is the disk full or failing?)",
    SQLITE_FULL: "the disk is full",
    SQLITE_CANTOPEN: "cannot open the database file (permissions?)",
}


class CacheError(Exception):
    """The cache cannot be used for a reason of the environment (disk full, permissions, I/O); the
    message names the database (exit code 4). The database itself is left exactly as it was."""


class CacheBusy(LockHeld):
    """Another SQLite client held the cache's write lock past the busy timeout (exit code 3)."""


def _result_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_corruption(exc: BaseException) -> bool:
    """Only these codes say the file is damaged; every other error leaves a healthy file in place."""
    return _result_code(exc) in (SQLITE_CORRUPT, SQLITE_NOTADB)


def _no_write_bits(path: Path) -> bool:
    """Read-only by its mode bits or for this user (mode bits count even for root, who may write
    anything: a cache made read-only is meant to be read only)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_IMODE(mode) & 0o222 == 0 or not os.access(path, os.W_OK)


def cache_is_read_only(directory: str | os.PathLike) -> bool:
    """True when the cache folder or its database may be read but not written (read-only media,
    a folder or file without write permission): the run then works from it as if --offline."""
    folder = Path(directory)
    return folder.is_dir() and (_no_write_bits(folder) or _no_write_bits(folder / DB_NAME))


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


# Page summaries drafted on earlier runs: drafting one from an article's text is the costliest
# step of a warm run, and its result changes only with the record or the drafting rules.
_DRAFTED_SCHEMA = """
CREATE TABLE IF NOT EXISTS drafted_summaries (
    key        TEXT PRIMARY KEY,
    fetched_at REAL NOT NULL,   -- the record's fetch time: a refetched record is drafted anew
    rules      TEXT NOT NULL,   -- the drafting rules' version (pipeline.summary.RULES)
    summary    TEXT NOT NULL
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

    # Seconds to wait for another SQLite client's write lock before giving up (CacheBusy).
    busy_timeout = 30.0

    def __init__(
        self, directory: str | os.PathLike, freshness: Freshness | None = None, clock=time.time, *, read_only: bool = False
    ):
        self.dir = Path(directory)
        self.path = self.dir / DB_NAME
        self.freshness = freshness or Freshness()
        self.clock = clock
        self.read_only = read_only or cache_is_read_only(self.dir)
        if not self.read_only:
            try:
                self.dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CacheError(f"cannot create the cache folder {self.dir}: {exc.strerror or exc}") from exc
        self._check_readable()
        self.db = self._open_read_only() if self.read_only else self._open()

    def _check_readable(self) -> None:
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return
        except OSError as exc:
            raise CacheError(f"the cache {self.path}: {exc.strerror or exc}") from exc
        if stat.S_IMODE(mode) & 0o444 == 0 or not os.access(self.path, os.R_OK):
            raise CacheError(f"the cache {self.path}: permission denied (mode {stat.S_IMODE(mode):04o}); left as it is")

    def _fault(self, exc: sqlite3.Error, doing: str = "") -> Exception:
        """The exception to raise for an SQLite error that is not corruption."""
        code = _result_code(exc)
        if code in (SQLITE_BUSY, SQLITE_LOCKED):
            return CacheBusy(
                f"the cache {self.path} is locked by another program writing to it "
                f"(waited {self.busy_timeout:g} s{'; ' + doing if doing else ''})"
            )
        words = _FAULT_WORDS.get(code or -1, str(exc))
        if doing and code != SQLITE_CANTOPEN:
            words += f" while {doing}"
        return CacheError(f"the cache {self.path}: {words}; left as it is")

    @contextmanager
    def _faults(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise self._fault(exc, doing) from exc

    # -- opening, corruption and schema versions -------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash never corrupts, only forgets
        return db

    def _create(self) -> None:
        """A new database is built under a temporary name and renamed into place, so a kill while
        it is made never leaves a database file without its table."""
        tmp = self.path.with_name(f".{DB_NAME}.{os.getpid()}.new")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            self._migrate(db)
        finally:
            db.close()  # the last connection's close checkpoints and removes the -wal
        os.replace(tmp, self.path)

    def _open(self) -> sqlite3.Connection:
        try:
            if not self.path.exists():
                self._create()
            db = self._connect()
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                db.close()
                self._move_aside(f"integrity check: {verdict}")
            else:
                self._migrate(db)
                return db
        except sqlite3.Error as exc:
            if _result_code(exc) == SQLITE_READONLY:  # read-only media the mode bits did not show
                self.read_only = True
                return self._open_read_only()
            if not is_corruption(exc):
                raise self._fault(exc, "opening it") from exc
            self._move_aside(str(exc))
        with self._faults("rebuilding it"):
            self._create()
            db = self._connect()
            self._migrate(db)
            return db

    def _move_aside(self, reason: str) -> None:
        aside = self.path.with_name(f"{DB_NAME}.corrupt-{int(self.clock())}")
        log.warning("cache %s is corrupt (%s); moved aside to %s and rebuilt", self.path, reason, aside.name)
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            if src.exists():
                src.replace(Path(str(aside) + suffix))

    def _open_read_only(self) -> sqlite3.Connection:
        """The database opened for reading only; a missing one reads as an empty cache."""
        if not self.path.exists():
            return self._empty()
        uri = self.path.absolute().as_uri()
        last: sqlite3.Error | None = None
        # A WAL database needs its -shm file to be read; on read-only media where it cannot be made,
        # `immutable` reads the file as it is (nothing can be writing to it there).
        for mode in ("mode=ro", "immutable=1"):
            try:
                db = sqlite3.connect(
                    f"{uri}?{mode}", uri=True, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
                )
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version not in _READABLE:
                    db.close()
                    log.warning(
                        "read-only cache %s has schema %s, not %s: nothing in it is used", self.path, version, SCHEMA_VERSION
                    )
                    return self._empty()
                return db
            except sqlite3.Error as exc:
                last = exc
        assert last is not None
        raise self._fault(last, "reading it") from last

    def _empty(self) -> sqlite3.Connection:
        db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
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
                log.info(
                    "cache schema %s upgraded to %s; older %s records serve until refetched",
                    version,
                    SCHEMA_VERSION,
                    "/".join(stale_kinds),
                )
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
            with self._faults("reading it"):
                rows = self.db.execute(
                    "SELECT key, kind, record, error, error_at, fetched_at, etag, last_modified, schema "
                    f"FROM records WHERE schema IN ({_READABLE_MARKS}) AND key IN ({marks})",
                    (*_READABLE, *chunk),
                ).fetchall()
            yield from rows

    def _cached(self, row: tuple) -> tuple[Cached, float | None, bool] | None:
        """The row as (Cached, error_at, outdated), or None when another program (or a bug) left it
        bad: such a row is dropped and its link refetched, never a crash of every run."""
        key, kind, record, error, error_at, fetched_at, etag, last_modified, schema = row
        problem, data = read_row(kind, record, error, error_at, fetched_at, etag, last_modified)
        if problem is not None:
            log.warning("cache row %s is unusable (%s); dropped, the link is fetched again", key, problem)
            self._drop(key)
            return None
        outdated = self._outdated(kind, schema)
        if outdated:
            # No validators: a 304 would keep the record that lacks the new field.
            etag = last_modified = None
        return Cached(key, kind, float(fetched_at), data, error, etag, last_modified), error_at, outdated

    def _drop(self, key: str) -> None:
        if self.read_only:
            return
        with self._faults("dropping a bad row"), self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM records WHERE key = ?", (key,))

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
        for row in self._rows(keys):
            key, kind = row[0], row[1]
            if kind != kind_of.get(key, kind):
                continue
            parsed = self._cached(row)
            if parsed is None:
                continue
            cached, error_at, outdated = parsed
            ttl = self.freshness.ttl(key, kind)
            failure_fresh = error_at is not None and now - error_at < failure_ttl
            fresh = cached.record is not None and not outdated and (ttl is None or now - cached.fetched_at < ttl)
            found[key] = Lookup(cached, fresh, cached.error if failure_fresh else None)
        # A key without a usable row is a miss; the verdicts come in the order asked.
        return {key: found.get(key) or Lookup() for key in keys}

    def get(self, key: str) -> Cached | None:
        for row in self._rows([key]):
            parsed = self._cached(row)
            return parsed[0] if parsed else None
        return None

    # -- writing -----------------------------------------------------------------------------
    def store_many(self, results: Iterable[tuple[Kind, FetchResult]]) -> float | None:
        """Records the outcomes that arrived together in one transaction: a kill loses at most
        these, and every committed record is whole (one commit per record would cost a WAL
        write per link). Returns the fetch time stored with them; a read-only cache stores
        nothing and returns None."""
        if self.read_only:
            return None
        now = self.clock()
        with self._faults("storing records"), self.db:
            self.db.execute("BEGIN")
            for kind, result in results:
                self._store(kind, result, now)
        return now

    def store(self, kind: Kind, result: FetchResult) -> None:
        """Records one fetch outcome in its own transaction.

        Transient failures are never stored; a permanent failure never erases a record the
        editor may still want (it is kept, and served as stale).
        """
        self.store_many([(kind, result)])

    def _store(self, kind: Kind, result: FetchResult, now: float) -> None:
        if result.ok and result.not_modified:
            self.db.execute(
                "UPDATE records SET fetched_at = ?, error = NULL, error_at = NULL, etag = COALESCE(?, etag) WHERE key = ?",
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
        if self.read_only:
            return
        now = self.clock()
        with self._faults("marking records used"), self.db:
            self.db.execute("BEGIN")
            self.db.executemany("UPDATE records SET last_used = ? WHERE key = ?", ((now, k) for k in keys))

    # -- drafted summaries -------------------------------------------------------------------
    def drafted_summaries(self, fetched: dict[str, float], rules: str) -> dict[str, str]:
        """The summaries drafted by `rules` for the records of `fetched` (key -> fetch time) that
        have not been fetched again since."""
        with self._faults("reading it"):
            if not self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'drafted_summaries'").fetchone():
                return {}
            keys, found = list(fetched), {}
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, fetched_at, summary in self.db.execute(
                    f"SELECT key, fetched_at, summary FROM drafted_summaries WHERE rules = ? AND key IN ({marks})",
                    (rules, *chunk),
                ):
                    if fetched_at == fetched[key] and isinstance(summary, str):
                        found[key] = summary
        return found

    def store_drafted_summaries(self, drafted: Iterable[tuple[str, float, str]], rules: str) -> None:
        """Keeps (key, fetch time, summary) for the next run; one row a key."""
        rows = [(key, fetched_at, rules, summary) for key, fetched_at, summary in drafted]
        if self.read_only or not rows:
            return
        with self._faults("storing drafted summaries"), self.db:
            self.db.execute("BEGIN")
            self.db.execute(_DRAFTED_SCHEMA)
            self.db.executemany("INSERT OR REPLACE INTO drafted_summaries VALUES (?, ?, ?, ?)", rows)

    # -- looking inside ----------------------------------------------------------------------
    def stats(self) -> Stats:
        now = self.clock()
        stats = Stats(path=str(self.path))
        with self._faults("reading it"):
            rows = self.db.execute(
                "SELECT key, kind, record IS NOT NULL, error_at, fetched_at, schema FROM records "
                f"WHERE schema IN ({_READABLE_MARKS})",
                _READABLE,
            ).fetchall()
        for key, kind, has_record, _error_at, fetched_at, schema in rows:
            if kind not in RECORD_TYPES or not _is_time(fetched_at):
                continue  # a bad row: counted nowhere, dropped when a run meets it
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
        with self._faults("reading it"):
            row = self.db.execute(
                "SELECT key, kind, record, error, error_at, fetched_at, etag, last_modified, last_used, schema "
                "FROM records WHERE key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        names = ("key", "kind", "record", "error", "error_at", "fetched_at", "etag", "last_modified", "last_used", "schema")
        data = dict(zip(names, row))
        try:
            data["record"] = json.loads(data["record"]) if data["record"] else None
        except (TypeError, ValueError, RecursionError):
            pass  # shown as stored: this command is for looking at what is there, bad rows included
        for name in ("error_at", "fetched_at", "last_used"):
            if _is_time(data[name]):
                data[name] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(data[name]))
        return data

    def prune(self, older_than_days: float) -> int:
        if not math.isfinite(older_than_days) or older_than_days < 0:
            raise ValueError(f"prune needs a finite number of days, 0 or more, not {older_than_days}")
        cutoff = self.clock() - older_than_days * DAY
        with self._faults("pruning it"):
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                removed = self.db.execute(
                    f"DELETE FROM records WHERE last_used < ? OR schema NOT IN ({_READABLE_MARKS})", (cutoff, *_READABLE)
                ).rowcount
                self.db.execute(_DRAFTED_SCHEMA)
                self.db.execute("DELETE FROM drafted_summaries WHERE key NOT IN (SELECT key FROM records)")
            self.db.execute("VACUUM")
        return removed


# -- checking rows ---------------------------------------------------------------------------------
def _is_time(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _optional_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def read_row(
    kind: Any, record: Any, error: Any, error_at: Any, fetched_at: Any, etag: Any, last_modified: Any
) -> tuple[str | None, Record | None]:
    """(what makes a stored row unusable, or None; its typed record) — the JSON is parsed once."""
    if kind not in RECORD_TYPES:
        return f"unknown kind {kind!r}", None
    if not _is_time(fetched_at) or not (error_at is None or _is_time(error_at)):
        return "its times are not numbers", None
    if not (_optional_text(error) and _optional_text(etag) and _optional_text(last_modified)):
        return "a text column holds something else", None
    if record is None:
        return (None if error is not None else "neither a record nor an error"), None
    return stored_record(kind, record)


def stored_record(kind: str, text: Any) -> tuple[str | None, Record | None]:
    """(what makes a stored record unusable, or None; the record of its kind): the one place stored
    JSON becomes a typed record. Keys this version does not know are dropped."""
    if not isinstance(text, str):
        return "the record is not JSON text", None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"the record is not valid JSON ({exc.msg})", None
    except RecursionError:
        return "the record is nested too deeply", None
    problem = record_problem(kind, data)
    return (problem, None) if problem is not None else (None, RECORD_TYPES[kind].from_dict(data))


@functools.cache
def _field_checks(kind: str) -> tuple[tuple[str, Callable[[Any], bool], bool], ...]:
    """(field name, type check, required) of a record kind, built once from its dataclass."""
    cls = RECORD_TYPES[kind]
    hints = typing.get_type_hints(cls)
    return tuple(
        (f.name, _check_for(hints[f.name]), f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
        for f in fields(cls)
    )


def record_problem(kind: str, data: Any) -> str | None:
    """What makes a stored record unusable for its kind, or None. Unknown fields are ignored (a
    newer version may have added them)."""
    if not isinstance(data, dict):
        return "the record is not a JSON object"
    for name, check, required in _field_checks(kind):
        if name not in data:
            if required:
                return f"field {name!r} is missing"
        elif not check(data[name]):
            return f"field {name!r} has the wrong type ({type(data[name]).__name__})"
    return None


_PLAIN = {float: (int, float), int: (int,), str: (str,), bool: (bool,), type(None): (type(None),)}


def _plain_types(hint: Any) -> tuple[type, ...] | None:
    """The types a JSON value of a plain hint (str, int, float, bool, None, dict, and unions of
    them) may have, for one isinstance() call; None for a hint that needs more (a list)."""
    if hint in _PLAIN:
        return _PLAIN[hint]
    origin = typing.get_origin(hint)
    if origin is dict:
        return (dict,)
    if origin in (typing.Union, types.UnionType):
        parts = [_plain_types(arg) for arg in typing.get_args(hint)]
        if all(part is not None for part in parts):
            return tuple(t for part in parts for t in part)  # type: ignore[union-attr]
    return None


def _check_for(hint: Any) -> Callable[[Any], bool]:
    """A predicate that says whether a JSON value fits a type hint of a record field (run on every
    row a warm run reads, so plain hints become one isinstance() call)."""
    plain = _plain_types(hint)
    if plain is not None:
        return lambda value: isinstance(value, plain)
    origin = typing.get_origin(hint)
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        item_types = _plain_types(item)
        if item_types is not None:
            return lambda value: isinstance(value, list) and all(isinstance(v, item_types) for v in value)
        item_check = _check_for(item)
        return lambda value: isinstance(value, list) and all(item_check(v) for v in value)
    if origin in (typing.Union, types.UnionType):
        checks = [_check_for(arg) for arg in typing.get_args(hint)]
        return lambda value: any(check(value) for check in checks)
    return lambda value: True  # a hint this check does not know (Any, Literal, ...): not judged here
