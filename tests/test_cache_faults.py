"""Cache faults: only corruption moves a database aside; disk, permission and lock faults are
reported naming it; a read-only cache is worked from as if --offline; bad rows are dropped."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from pipeline.cache import DB_NAME, SCHEMA_VERSION, Cache, CacheBusy, CacheError, is_corruption
from pipeline.cli import main
from pipeline.models import FetchResult, GithubRecord, WebRecord

URL = "https://example.org/a"
KEY = "web:" + URL


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = list(args) if args[0] == "cache" else ["--date", "2026-11-23", "--lock-wait", "0.2", *args]
    code = main(argv, io.BytesIO(), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _healthy_cache(folder: Path) -> Path:
    cache = Cache(folder)
    cache.store("web", FetchResult(KEY, WebRecord(url=URL, title="Cached title", site_name="Example")))
    cache.close()
    return folder / DB_NAME


def _error(code: int, message: str) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorcode = code  # what SQLite sets on a real error of this kind
    return exc


def _snapshot(folder: Path) -> dict[str, bytes]:
    """The database and its WAL, byte for byte (the lock file, SQLite's -shm index and an empty WAL,
    which a reader may leave where it can, hold no data)."""
    files = (p for p in folder.iterdir() if p.name in (DB_NAME, DB_NAME + "-wal"))
    return {p.name: data for p in files if (data := p.read_bytes())}


# -- only corruption moves a file aside ---------------------------------------------------------
def test_only_the_corrupt_and_not_a_database_codes_count_as_corruption(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not sqlite at all " * 300)
    with pytest.raises(sqlite3.DatabaseError) as real:
        sqlite3.connect(garbage).execute("PRAGMA quick_check").fetchall()
    assert is_corruption(real.value)  # SQLITE_NOTADB, as SQLite itself reports it
    assert is_corruption(_error(11, "database disk image is malformed"))
    assert is_corruption(_error(267, "corrupt vtab"))  # an extended code of SQLITE_CORRUPT
    for code, message in (
        (10, "disk I/O error"),
        (13, "database or disk is full"),
        (14, "unable to open database file"),
        (8, "attempt to write a readonly database"),
        (5, "database is locked"),
        (3338, "disk I/O error"),
    ):
        assert not is_corruption(_error(code, message)), message


@pytest.mark.parametrize(
    ("code", "message", "words"),
    [
        (10, "disk I/O error", "disk I/O error"),
        (13, "database or disk is full", "the disk is full"),
        (14, "unable to open database file", "cannot open the database file"),
    ],
)
def test_an_environment_fault_on_open_leaves_the_database_in_place(workdir, monkeypatch, code, message, words):
    db = _healthy_cache(workdir / "cache")
    before = _snapshot(workdir / "cache")

    def failing_connect(self):
        raise _error(code, message)

    monkeypatch.setattr(Cache, "_connect", failing_connect)
    with pytest.raises(CacheError, match=words) as caught:
        Cache(workdir / "cache")
    assert str(db) in str(caught.value)
    code_, out, err = run("--offline", URL)
    assert (code_, out) == (4, "")
    assert err.strip().startswith(f"enrich: could not finish: the cache {Path('cache', DB_NAME)}: {words}")
    assert err.strip().endswith("; left as it is") and len(err.strip().splitlines()) == 1
    assert _snapshot(workdir / "cache") == before
    assert not list((workdir / "cache").glob("*.corrupt-*"))


def test_a_disk_full_while_storing_is_exit_4_naming_the_cache(workdir, monkeypatch, server):
    server.route("/page", "<html><head><title>A page</title></head><body>x</body></html>")
    _healthy_cache(workdir / "cache")

    def full(self, kind, result, now):
        raise _error(13, "database or disk is full")

    monkeypatch.setattr(Cache, "_store", full)
    code, out, err = run("--allow-private-hosts", server.url("/page"))
    assert (code, out) == (4, "")
    assert err.strip().splitlines()[-1] == (
        f"enrich: could not finish: the cache {Path('cache', DB_NAME)}: the disk is full while storing records; left as it is"
    )
    assert Cache(workdir / "cache").get(KEY).record.title == "Cached title"


def test_a_database_without_read_permission_is_reported_not_moved(workdir):
    db = _healthy_cache(workdir / "cache")
    db.chmod(0)
    try:
        code, out, err = run("--offline", URL)
        assert (code, out) == (4, "")
        assert (
            err.strip()
            == f"enrich: could not finish: the cache {Path('cache', DB_NAME)}: permission denied (mode 0000); left as it is"
        )
        assert run("cache", "stats")[0] == 4
        assert db.exists() and stat.S_IMODE(db.stat().st_mode) == 0
        assert not list((workdir / "cache").glob("*.corrupt-*"))
    finally:
        db.chmod(0o644)


def test_a_truly_corrupt_database_is_still_moved_aside(workdir):
    db = _healthy_cache(workdir / "cache")
    db.write_bytes(b"\0" * 100 + b"garbage" * 1000)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    code, _, err = run("--offline", URL)
    assert code == 1 and "corrupt" in err
    assert len(list((workdir / "cache").glob(f"{DB_NAME}.corrupt-*"))) == 1


# -- another SQLite client holding the write lock -----------------------------------------------
def test_a_write_lock_held_by_another_client_is_exit_3_naming_the_cache(workdir, monkeypatch, server):
    server.route("/page", "<html><head><title>A page</title></head><body>x</body></html>")
    db = _healthy_cache(workdir / "cache")
    monkeypatch.setattr(Cache, "busy_timeout", 0.2)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # holds the write lock, as a sqlite3 shell in a transaction does
    try:
        started = time.monotonic()
        code, out, err = run("--allow-private-hosts", server.url("/page"))
        elapsed = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert (code, out) == (3, "")
    assert err.strip() == (
        f"enrich: the cache {Path('cache', DB_NAME)} is locked by another program writing to it (waited 0.2 s; storing records)"
    )
    assert elapsed < 10
    with pytest.raises(CacheBusy):
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            Cache(workdir / "cache").store("web", FetchResult(KEY, WebRecord(title="new")))
        finally:
            holder.execute("ROLLBACK")
            holder.close()


# -- read-only caches ---------------------------------------------------------------------------
@pytest.fixture
def read_only_cache(workdir):
    db = _healthy_cache(workdir / "cache")
    for path in (db, workdir / "cache"):
        path.chmod(0o555 if path.is_dir() else 0o444)
    yield workdir / "cache"
    (workdir / "cache").chmod(0o755)
    db.chmod(0o644)


def test_a_read_only_cache_is_worked_from_as_if_offline(read_only_cache, server):
    server.route("/page", "<html><head><title>A page</title></head><body>x</body></html>")
    before = _snapshot(read_only_cache)
    code, out, err = run("--allow-private-hosts", "--format", "json", URL, server.url("/page"))
    assert code == 1, err
    entries = {e["url"]: e for e in json.loads(out)["entries"]}
    assert entries[URL]["status"] == "ok" and entries[URL]["title"] == "Cached title"
    assert entries[server.url("/page")]["error"] == "not cached"
    assert server.requests == []  # as if --offline: nothing was fetched
    assert "is read-only: working from it as if --offline" in err
    assert err.strip().endswith("cache read-only: worked offline, nothing stored")
    assert _snapshot(read_only_cache) == before
    assert not (read_only_cache / "enrich.lock").exists()  # no lock taken on a cache nobody can write


def test_cache_stats_and_show_read_a_read_only_cache_and_prune_refuses(read_only_cache):
    code, out, err = run("cache", "stats")
    assert code == 0 and "1 records" in out and "read-only" in err
    code, out, _ = run("cache", "show", URL)
    assert code == 0 and json.loads(out)["record"]["title"] == "Cached title"
    code, _, err = run("cache", "prune", "--days", "0")
    assert code == 4 and "read-only; nothing pruned" in err
    assert Cache(read_only_cache).stats().total == 1


def test_read_only_media_found_only_by_sqlite_is_read_only_too(workdir, monkeypatch):
    db = _healthy_cache(workdir / "cache")
    real_connect = Cache._connect

    def media_connect(self):
        # A database on read-only media: opening works, the first write says SQLITE_READONLY.
        conn = sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro", uri=True, isolation_level=None)
        conn.execute("PRAGMA user_version=0")  # raises SQLITE_READONLY like a write on such media
        return conn

    monkeypatch.setattr(Cache, "_connect", media_connect)
    cache = Cache(workdir / "cache")
    assert cache.read_only and cache.get(KEY).record.title == "Cached title"
    cache.store("web", FetchResult(KEY, WebRecord(title="not stored")))
    monkeypatch.setattr(Cache, "_connect", real_connect)
    assert Cache(workdir / "cache").get(KEY).record.title == "Cached title"


# -- bad rows -------------------------------------------------------------------------------------
BAD_ROWS = {
    "web:https://example.org/bad-json": ("web", "{not json"),
    "web:https://example.org/a-list": ("web", "[1, 2]"),
    "web:https://example.org/int-title": ("web", json.dumps({"title": 42})),
    "github:o/r": ("github", json.dumps({"description": "no full_name"})),
    "web:https://example.org/bad-kind": ("bogus", json.dumps({"title": "x"})),
    "web:https://example.org/deep": ("web", "[" * 100_000 + "]" * 100_000),
}


def _plant_bad_rows(db: Path, bad_time: bool = True) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    now = time.time()
    for key, (kind, record) in BAD_ROWS.items():
        conn.execute(
            "INSERT INTO records (key, kind, record, fetched_at, last_used, schema) VALUES (?, ?, ?, ?, ?, ?)",
            (key, kind, record, now, now, SCHEMA_VERSION),
        )
    if bad_time:
        conn.execute(
            "INSERT INTO records (key, kind, record, fetched_at, last_used, schema) VALUES (?, ?, ?, ?, ?, ?)",
            ("web:https://example.org/text-time", "web", json.dumps({"title": "t"}), "yesterday", now, SCHEMA_VERSION),
        )
    conn.close()


def test_bad_rows_are_dropped_and_their_links_refetched(workdir, server):
    db = _healthy_cache(workdir / "cache")
    _plant_bad_rows(db)
    server.route("/fresh", "<html><head><title>Fresh copy</title></head><body>x</body></html>")
    key = "web:" + server.url("/fresh")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(
        "INSERT INTO records (key, kind, record, fetched_at, last_used, schema) VALUES (?, 'web', '{oops', ?, ?, ?)",
        (key, time.time(), time.time(), SCHEMA_VERSION),
    )
    conn.close()
    urls = [k.split(":", 1)[1] if k.startswith("web:") else "https://github.com/o/r" for k in BAD_ROWS]
    code, out, err = run("--offline", "--format", "json", URL, "https://example.org/text-time", *urls)
    assert code == 1, err
    statuses = {e["key"]: (e["status"], e["error"]) for e in json.loads(out)["entries"]}
    assert statuses.pop(KEY) == ("ok", None)
    assert set(statuses.values()) == {("failed", "not cached")}  # each bad row a miss, not a crash
    assert "unusable" in err and "Traceback" not in err
    # Twice: the rows are gone, so the second run is quiet about them.
    assert "unusable" not in run("--offline", URL, *urls)[2]
    # A real run refetches a link whose row was bad and stores a good record.
    code, out, err = run("--allow-private-hosts", "--format", "json", server.url("/fresh"))
    assert code == 0, err
    assert json.loads(out)["entries"][0]["title"] == "Fresh copy"
    assert Cache(workdir / "cache").get(key).record.title == "Fresh copy"


def test_stats_and_show_survive_bad_rows(workdir):
    db = _healthy_cache(workdir / "cache")
    _plant_bad_rows(db)
    code, out, err = run("cache", "stats")
    assert code == 0, err
    assert "records" in out
    code, out, _ = run("cache", "show", "https://example.org/bad-json")
    assert code == 0 and json.loads(out)["record"] == "{not json"
    code, out, _ = run("cache", "show", "https://example.org/text-time")
    assert code == 0 and json.loads(out)["fetched_at"] == "yesterday"


def test_a_cache_folder_that_cannot_be_created_is_exit_4(workdir):
    (workdir / "file").write_text("x", encoding="utf-8")
    code, _, err = run("--offline", "--cache-dir", "file/cache", URL)
    assert code == 4
    assert "file/cache" in err and "Traceback" not in err
    assert os.path.isfile(workdir / "file")


# -- rows an older (or newer) version wrote ------------------------------------------------------
def _plant(db: Path, key: str, kind: str, record: dict) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    now = time.time()
    conn.execute(
        "INSERT INTO records (key, kind, record, fetched_at, last_used, schema) VALUES (?, ?, ?, ?, ?, ?)",
        (key, kind, json.dumps(record), now, now, SCHEMA_VERSION),
    )
    conn.close()


def test_a_row_with_fields_this_version_does_not_know_loads_as_its_typed_record(workdir):
    db = _healthy_cache(workdir / "cache")
    _plant(db, "github:o/r", "github", {"full_name": "o/R", "stars": 7, "watchers": 3, "owner": {"login": "o"}})
    cached = Cache(workdir / "cache").get("github:o/r")
    assert cached is not None and cached.record == GithubRecord(full_name="o/R", stars=7)
    code, out, err = run("--offline", "--format", "json", "https://github.com/o/r")
    assert code == 0, err
    (entry,) = json.loads(out)["entries"]
    assert entry["status"] == "ok" and entry["title"] == "o/R"
    assert entry["record"] == GithubRecord(full_name="o/R", stars=7).to_dict()  # the unknown keys are dropped


def test_a_row_without_a_required_field_is_a_miss_not_a_crash(workdir):
    db = _healthy_cache(workdir / "cache")
    _plant(db, "github:o/r", "github", {"description": "written without full_name", "stars": 7})
    code, out, err = run("--offline", "--format", "json", URL, "https://github.com/o/r")
    assert code == 1, err
    statuses = {e["key"]: (e["status"], e["error"]) for e in json.loads(out)["entries"]}
    assert statuses == {KEY: ("ok", None), "github:o/r": ("failed", "not cached")}
    assert "github:o/r is unusable (field 'full_name' is missing)" in err and "Traceback" not in err
    assert Cache(workdir / "cache").get("github:o/r") is None  # dropped: the next online run refetches it
