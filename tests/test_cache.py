"""The cache: freshness by kind, what is (never) stored, corruption and old schemas, SIGKILL safety."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from pipeline.cache import DAY, SCHEMA_VERSION, Cache, Freshness
from pipeline.config import parse_config
from pipeline.models import FetchResult, GithubRecord, WebRecord


class Clock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cache(tmp_path, clock):
    c = Cache(tmp_path / "cache", clock=clock)
    yield c
    c.close()


def _web(key="web:https://example.org/a", title="A"):
    return FetchResult(key=key, record=WebRecord(url=key[4:], title=title), etag='"v1"')


def lookup(cache, key, kind):
    return cache.lookup_many([key], {key: kind})[key]


def test_a_stored_record_is_fresh_until_its_kind_expires(cache, clock):
    cache.store("web", _web())
    cache.store("github", FetchResult(key="github:o/r", record=GithubRecord(full_name="o/r")))
    assert lookup(cache, "web:https://example.org/a", "web").fresh
    clock.now += 2 * DAY
    assert not lookup(cache, "github:o/r", "github").fresh  # GitHub: 1 day
    assert lookup(cache, "web:https://example.org/a", "web").fresh  # web: 30 days
    clock.now += 29 * DAY
    stale = lookup(cache, "web:https://example.org/a", "web")
    assert not stale.fresh and stale.has_record and stale.cached.etag == '"v1"'


def test_pinned_arxiv_never_expires_and_unpinned_does_after_a_week():
    fresh = Freshness()
    assert fresh.ttl("arxiv:1907.05550v2", "arxiv") is None
    assert fresh.ttl("arxiv:quant-ph/0201082v1", "arxiv") is None
    assert fresh.ttl("arxiv:1907.05550", "arxiv") == 7 * DAY
    assert fresh.ttl("arxiv:solv-int/9901001", "arxiv") == 7 * DAY


def test_freshness_is_overridable_from_config():
    settings = parse_config({"cache": {"github_days": 3, "arxiv_days": "never"}}).cache
    fresh = Freshness.from_settings(settings)
    assert fresh.github == 3 * DAY and fresh.arxiv is None and fresh.web == 30 * DAY


def test_transient_failures_are_never_stored(cache):
    cache.store("web", FetchResult(key="web:https://x.org/", error="timed out after 30 s"))
    assert cache.get("web:https://x.org/") is None


def test_permanent_failures_are_remembered_for_a_day(cache, clock):
    cache.store("web", FetchResult(key="web:https://x.org/", error="HTTP 404", permanent=True))
    assert lookup(cache, "web:https://x.org/", "web").failure == "HTTP 404"
    clock.now += DAY + 1
    assert lookup(cache, "web:https://x.org/", "web").failure is None


def test_a_failed_refresh_keeps_the_record(cache, clock):
    cache.store("web", _web())
    clock.now += 31 * DAY
    cache.store("web", FetchResult(key="web:https://example.org/a", error="HTTP 410 (gone)", permanent=True))
    found = lookup(cache, "web:https://example.org/a", "web")
    assert found.cached.record.title == "A" and found.failure == "HTTP 410 (gone)"


def test_not_modified_renews_without_rewriting_the_record(cache, clock):
    cache.store("github", FetchResult(key="github:o/r", record=GithubRecord(full_name="o/r", stars=5), etag='"e1"'))
    clock.now += 2 * DAY
    cache.store("github", FetchResult(key="github:o/r", not_modified=True))
    found = lookup(cache, "github:o/r", "github")
    assert found.fresh and found.cached.record.stars == 5 and found.cached.etag == '"e1"'


def test_a_corrupt_database_is_moved_aside_and_rebuilt(tmp_path, caplog):
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "enrich.sqlite3").write_bytes(b"this is not a database" * 100)
    cache = Cache(folder)
    cache.store("web", _web())
    assert cache.get("web:https://example.org/a").record.title == "A"
    cache.close()
    assert any(p.name.startswith("enrich.sqlite3.corrupt-") for p in folder.iterdir())
    assert "moved aside" in caplog.text


def test_an_older_schema_is_treated_as_misses_not_a_crash(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    db = sqlite3.connect(folder / "enrich.sqlite3")
    db.execute("CREATE TABLE records (key TEXT PRIMARY KEY, blob BLOB)")
    db.execute("INSERT INTO records VALUES ('web:https://example.org/a', x'00')")
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 41}")
    db.commit()
    db.close()
    cache = Cache(folder)
    assert cache.get("web:https://example.org/a") is None
    cache.store("web", _web())
    assert cache.get("web:https://example.org/a") is not None
    cache.close()


def test_stats_show_and_prune(cache, clock):
    cache.store("web", _web())
    cache.store("web", _web("web:https://example.org/b", "B"))
    cache.store("web", FetchResult(key="web:https://x.org/", error="HTTP 404", permanent=True))
    stats = cache.stats()
    assert stats.total == 3 and stats.by_kind["web"] == {"fresh": 2, "stale": 0, "failed": 1}
    shown = cache.show("web:https://example.org/b")
    assert shown["record"]["title"] == "B" and shown["fetched_at"].endswith("Z")
    clock.now += 100 * DAY
    cache.mark_used(["web:https://example.org/a"])
    assert cache.prune(90) == 2
    assert cache.get("web:https://example.org/a") is not None and cache.get("web:https://example.org/b") is None


_WRITER = textwrap.dedent(
    """
    import sys
    from pipeline.cache import Cache
    from pipeline.models import FetchResult, WebRecord
    cache = Cache(sys.argv[1])
    for i in range(100000):
        key = f"web:https://example.org/{i % 50}"
        cache.store("web", FetchResult(key=key, record=WebRecord(url=key[4:], title="t" * (i % 997), description="d" * 3000)))
        if i % 10 == 0:
            print(i, flush=True)
    """
)


def test_sigkill_at_any_moment_leaves_a_readable_cache_with_whole_records(tmp_path):
    rng = random.Random(7)
    folder = tmp_path / "cache"
    for _ in range(20):
        child = subprocess.Popen([sys.executable, "-c", _WRITER, str(folder)], stdout=subprocess.PIPE, text=True)
        for _ in range(rng.randint(1, 30)):  # kill after a random number of progress lines
            child.stdout.readline()
        child.kill()
        child.wait()
        child.stdout.close()
        cache = Cache(folder)
        assert cache.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for (record,) in cache.db.execute("SELECT record FROM records"):
            data = json.loads(record)
            assert data["description"] == "d" * 3000
        cache.close()
    assert not any(p.name.startswith("enrich.sqlite3.corrupt-") for p in folder.iterdir())
