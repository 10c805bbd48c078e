"""Page summaries drafted once per fetched record: a warm run takes them from the cache, a
refetched record or changed drafting rules draft them anew, and prune drops them with their record."""

from __future__ import annotations

import io

import pytest

import pipeline.summary
from pipeline.cache import Cache
from pipeline.cli import main
from pipeline.models import FetchResult, WebRecord
from tests.localserver import Reply

ARTICLE = "https://mp.weixin.qq.com/s/AbCdEfGh"
TEXT = "随着手机芯片算力提升，大模型开始在端侧运行。本文介绍我们的量化方案。\n\n第二段讲具体做法。"


def store(folder, text: str = TEXT, clock=None) -> None:
    cache = Cache(folder, clock=clock) if clock else Cache(folder)
    cache.store("web", FetchResult(f"web:{ARTICLE}", record=WebRecord(url=ARTICLE, title="端侧大模型部署实践", text=text)))
    cache.close()


@pytest.fixture
def drafted(monkeypatch):
    """Counts the summaries drafted from records (not taken from the cache)."""
    calls: list[str] = []
    real = pipeline.summary.page_summary

    def counting(record):
        calls.append(record.url)
        return real(record)

    monkeypatch.setattr(pipeline.summary, "page_summary", counting)
    return calls


def run() -> str:
    out, err = io.StringIO(), io.StringIO()
    assert main(["sources.txt", "--offline", "--date", "2026-12-04"], io.BytesIO(b""), out, err) == 0, err.getvalue()
    return out.getvalue()


def test_a_warm_run_takes_the_summary_drafted_before_and_the_draft_is_the_same(tmp_path, monkeypatch, drafted):
    monkeypatch.chdir(tmp_path)
    store(tmp_path / "cache")
    (tmp_path / "sources.txt").write_text(f"{ARTICLE}\n", encoding="utf-8")
    first = run()
    assert drafted == [ARTICLE]
    assert "摘要：随着手机芯片算力提升，大模型开始在端侧运行。本文介绍我们的量化方案。第二段讲具体做法。〔待编辑〕  " in first
    second = run()
    assert drafted == [ARTICLE]  # not drafted again
    assert second == first


def test_a_refetched_record_or_new_rules_are_drafted_anew(tmp_path, monkeypatch, drafted):
    monkeypatch.chdir(tmp_path)
    store(tmp_path / "cache", clock=lambda: 1_000_000.0)
    (tmp_path / "sources.txt").write_text(f"{ARTICLE}\n", encoding="utf-8")
    run()
    store(tmp_path / "cache", text="新的一段正文讲的是另一件事。", clock=lambda: 2_000_000.0)  # refetched
    assert "摘要：新的一段正文讲的是另一件事。〔待编辑〕  " in run()
    monkeypatch.setattr(pipeline.summary, "RULES", "changed-rules")
    run()
    assert drafted == [ARTICLE, ARTICLE, ARTICLE]


def test_prune_drops_the_summaries_of_pruned_records(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store(tmp_path / "cache")
    (tmp_path / "sources.txt").write_text(f"{ARTICLE}\n", encoding="utf-8")
    run()
    cache = Cache(tmp_path / "cache", clock=lambda: 10**12)
    assert cache.drafted_summaries({f"web:{ARTICLE}": cache.get(f"web:{ARTICLE}").fetched_at}, pipeline.summary.RULES)
    assert cache.prune(1) == 1
    assert cache.db.execute("SELECT count(*) FROM drafted_summaries").fetchone() == (0,)
    cache.close()


def test_a_fetched_page_is_drafted_once_as_it_arrives_and_the_next_run_takes_that(tmp_path, monkeypatch, drafted, server):
    page = (
        '<html><head><meta charset="utf-8"><title>端侧大模型部署实践</title></head><body><h1>端侧大模型部署实践</h1>'
        f"<article><p>{TEXT.splitlines()[0]}</p><p>第二段讲具体做法。</p></article></body></html>"
    )
    server.route("/post", Reply(body=page))
    url = server.url("/post")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sources.txt").write_text(f"{url}\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["sources.txt", "--allow-private-hosts", "--date", "2026-12-04"], io.BytesIO(b""), out, err) == 0, err.getvalue()
    assert drafted == [url]
    assert "摘要：随着手机芯片算力提升" in out.getvalue()
    assert run() == out.getvalue()  # offline, from the cache: the summary drafted while fetching
    assert drafted == [url]
