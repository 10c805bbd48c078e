"""The article's text in the web record: filled by the web stage, and the cache upgrade from schema 1 that loses nothing."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from pipeline.cache import SCHEMA_VERSION, Cache
from pipeline.models import FetchResult, WebRecord
from tests.pages import page
from tests.test_end_to_end import Site

# The records table as schema 1 wrote it (same layout as today; only web records lack `text`).
V1_TABLE = """
CREATE TABLE records (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, record TEXT, error TEXT, error_at REAL,
    fetched_at REAL NOT NULL, etag TEXT, last_modified TEXT, last_used REAL NOT NULL, schema INTEGER NOT NULL
)"""
WEB_KEY = "web:https://chips.example/news/npu"
V1_WEB = {
    "url": "https://chips.example/news/npu",
    "canonical_url": None,
    "title": "Tiny NPU ships in hearing aids",
    "site_name": "Chip Weekly",
    "description": "A tiny NPU.",
    "author": None,
    "published": None,
    "language": "en",
    "image": None,
    "content_type": "text/html",
    "note": None,
}
V1_REPO = {"full_name": "ucbrise/actnn", "description": "Activation Compressed Training", "stars": 190}


def make_v1_cache(folder: Path, rows: list[tuple[str, str, dict, str | None]], fetched_at: float) -> None:
    """A schema-1 database with records, as an earlier version of the tool left it."""
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(folder / "enrich.sqlite3")
    db.execute(V1_TABLE)
    for key, kind, record, etag in rows:
        db.execute(
            "INSERT INTO records VALUES (?, ?, ?, NULL, NULL, ?, ?, NULL, ?, 1)",
            (key, kind, json.dumps(record), fetched_at, etag, fetched_at),
        )
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()


# --- the cache upgrade --------------------------------------------------------------------


def test_schema_1_records_keep_serving_and_old_web_records_are_due_for_an_unconditional_refetch(tmp_path):
    now = time.time()
    make_v1_cache(
        tmp_path / "cache",
        [(WEB_KEY, "web", V1_WEB, 'W/"v1"'), ("github:ucbrise/actnn", "github", V1_REPO, 'W/"r"')],
        fetched_at=now - 3600,
    )
    cache = Cache(tmp_path / "cache")
    assert cache.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2

    web = cache.get(WEB_KEY)
    assert web is not None and web.record == WebRecord(**V1_WEB)  # nothing lost
    verdicts = cache.lookup_many([WEB_KEY, "github:ucbrise/actnn"], {WEB_KEY: "web", "github:ucbrise/actnn": "github"})
    old_web, repo = verdicts[WEB_KEY], verdicts["github:ucbrise/actnn"]
    # Served (offline, or when the refresh fails) but not fresh: the refetch fills `text` in, and
    # asks without validators, since a 304 would keep the record without it.
    assert old_web.has_record and not old_web.fresh
    assert old_web.cached.etag is None and old_web.cached.last_modified is None
    # GitHub records did not change shape: still fresh, validators kept, relabelled schema 2.
    assert repo.fresh and repo.cached.etag == 'W/"r"'
    assert cache.show("github:ucbrise/actnn")["schema"] == 2 and cache.show(WEB_KEY)["schema"] == 1
    assert cache.stats().by_kind["web"] == {"fresh": 0, "stale": 1, "failed": 0}
    assert cache.prune(older_than_days=365) == 0  # an old-schema record is not garbage

    refetched = WebRecord(**{**V1_WEB, "text": "A neural processing unit …"})
    cache.store("web", FetchResult(key=WEB_KEY, record=refetched, etag='W/"v2"'))
    after = cache.lookup_many([WEB_KEY], {WEB_KEY: "web"})[WEB_KEY]
    assert after.fresh and after.cached.record.text == "A neural processing unit …"
    assert after.cached.etag == 'W/"v2"' and cache.show(WEB_KEY)["schema"] == 2
    cache.close()


def test_a_schema_1_database_reopened_twice_is_upgraded_once(tmp_path):
    make_v1_cache(tmp_path / "cache", [(WEB_KEY, "web", V1_WEB, None)], fetched_at=time.time())
    Cache(tmp_path / "cache").close()
    cache = Cache(tmp_path / "cache")
    assert cache.get(WEB_KEY).record == WebRecord(**V1_WEB)
    cache.close()


# --- end to end -----------------------------------------------------------------------------


@pytest.fixture
def site(server, tmp_path, monkeypatch):
    found = Site(server, tmp_path, monkeypatch)
    server.route("/news/npu", page("news_article_body.html").decode("utf-8"))
    return found


def _web_entry(out: str) -> dict:
    return next(e for e in json.loads(out)["entries"] if e["kind"] == "web")


def test_the_web_stage_keeps_the_articles_text_in_the_record(site):
    site.sources("{web}/news/npu\n")
    code, out, err = site.run("sources.txt", "--format", "json")
    assert code == 0, err
    text = _web_entry(out)["record"]["text"]
    assert text.startswith("A neural processing unit smaller than a grain of rice now ships inside a line of hearing aids")
    assert "Shipments start in May" in text and "Share on X" not in text and "Most read" not in text
    # A re-render reads the text from the cache: no second request.
    asked = len(site.server.requests)
    code, again, _ = site.run("sources.txt", "--format", "json", "--offline")
    assert code == 0 and len(site.server.requests) == asked
    assert _web_entry(again)["record"]["text"] == text


def test_an_old_schema_cache_serves_offline_and_a_refetch_fills_the_text(site):
    url = site.url("/news/npu")
    make_v1_cache(site.dir / "cache", [(f"web:{url}", "web", {**V1_WEB, "url": url}, 'W/"v1"')], fetched_at=time.time())
    site.sources("{web}/news/npu\n")

    code, out, err = site.run("sources.txt", "--format", "json", "--offline")
    assert code == 0, err
    entry = _web_entry(out)
    assert entry["status"] == "ok" and entry["record"]["title"] == "Tiny NPU ships in hearing aids"
    assert entry["record"].get("text") is None

    code, out, err = site.run("sources.txt", "--format", "json")
    assert code == 0, err
    fetches = [r for r in site.server.requests if r.path == "/news/npu"]
    assert len(fetches) == 1 and "if-none-match" not in fetches[0].headers
    assert _web_entry(out)["record"]["text"].startswith("A neural processing unit")
