"""The `enrich` command end to end against local servers that play arXiv, GitHub and web pages:
the draft, the JSON document, the cache across runs, merge, failures, offline mode and locks."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.lock import FileLock
from tests.fakes import (
    API_PATH,
    FakeArxiv,
    FakeClock,
    Paper,
    Version,
    gh_headers,
    ok,
    release_json,
    repo_json,
)
from tests.localserver import Reply

GOLDEN = Path(__file__).parent / "golden"

ARTICLE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Speeding up Neural Network Training with Data Echoing | Example AI Blog</title>
<meta property="og:title" content="Speeding up Neural Network Training with Data Echoing">
<meta property="og:site_name" content="Example AI Blog">
<meta name="description" content="Data echoing reuses intermediate outputs of the input pipeline. It speeds up training when the accelerator waits for data.">
</head><body><article><h1>Speeding up Neural Network Training with Data Echoing</h1><p>Body.</p></article></body></html>"""

ACTNN = Paper(
    id="2104.14129",
    published="2021-04-29T06:43:07Z",
    authors=["Jianfei Chen", "Lianmin Zheng"],
    categories=["cs.LG", "stat.ML"],
    versions=[
        Version(
            title="ActNN: Reducing Training Memory Footprint via\n  2-Bit Activation Compressed Training",
            summary="  The increasing size of neural network models has been critical for improvements in\n"
            "their accuracy. We propose ActNN, a memory-efficient training framework. The code is\n"
            "available at https://github.com/ucbrise/actnn.",
            updated="2021-06-14T17:41:55Z",
            comment="ICML 2021",
        )
    ],
)


class Site:
    """One local server playing all three services, plus helpers to run the command against it."""

    def __init__(self, server, tmp_path: Path, monkeypatch):
        self.server, self.dir = server, tmp_path
        self.arxiv = FakeArxiv(clock=FakeClock())
        self.arxiv.add(ACTNN)
        server.route(API_PATH, self.arxiv)
        self.repo("ucbrise/actnn", description="Activation Compressed Training", language="Python", stargazers_count=190)
        server.route("/repos/ucbrise/actnn/releases/latest", ok(release_json("ucbrise/actnn", "v0.1")))
        self.repo("lmbxmu/HRank", description="Pytorch implementation of our CVPR 2020 (Oral) -- HRank", stargazers_count=250)
        server.route("/repos/lmbxmu/HRank/releases/latest", Reply(404, '{"message": "Not Found"}', gh_headers()))
        server.route("/blog/data-echoing", ARTICLE)
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("ENRICH_ARXIV_API", server.url(API_PATH))
        monkeypatch.setenv("ENRICH_GITHUB_API", server.url(""))
        monkeypatch.setenv("ENRICH_ALLOW_PRIVATE_HOSTS", "1")
        config = tmp_path / "enrich.toml"
        config.write_text("[github]\nseconds_between_requests = 0\n", encoding="utf-8")
        monkeypatch.setenv("ENRICH_CONFIG", str(config))

    def repo(self, full_name: str, **fields) -> None:
        self.server.route(f"/repos/{full_name}", ok(repo_json(full_name, **fields), ETag='W/"abc"'))

    def url(self, path: str) -> str:
        return self.server.url(path)

    def sources(self, text: str, name: str = "sources.txt") -> Path:
        path = self.dir / name
        path.write_text(text.replace("{web}", self.url("")), encoding="utf-8")
        return path

    def run(self, *args: str, stdin: bytes = b"") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(["--date", "2026-11-23", "--lock-wait", "0.2", *args], io.BytesIO(stdin), out, err)
        return code, out.getvalue(), err.getvalue()


@pytest.fixture
def site(server, tmp_path, monkeypatch):
    return Site(server, tmp_path, monkeypatch)


SOURCES = """\
# collected this fortnight
[论文]
https://arxiv.org/abs/2104.14129v1?context=cs https://github.com/ucbrise/actnn
https://arxiv.org/pdf/2104.14129v1.pdf  the same paper again

[开源项目]
https://github.com/lmbxmu/HRank/tree/master  CVPR2020 oral, check the ImageNet numbers
a line the editor forgot to finish
{web}/blog/data-echoing?utm_source=twitter#intro
"""


def normalized(text: str, site: Site) -> str:
    return text.replace(site.url(""), "http://127.0.0.1:PORT")


def test_sources_file_becomes_the_reference_draft(site):
    site.sources(SOURCES)
    code, out, err = site.run("sources.txt")
    assert code == 0, err
    golden = GOLDEN / "end-to-end.md"
    if not golden.exists():  # pragma: no cover - first run writes it for review
        golden.write_text(normalized(out, site), encoding="utf-8")
    assert normalized(out, site) == golden.read_text(encoding="utf-8")
    assert "line 4: duplicate of line 3 (arxiv:2104.14129v1), skipped" in err
    assert "line 8: no URL on this line" in err
    assert err.strip().splitlines()[-1].startswith("3 entries: 3 fetched, 0 from cache, 0 failed")


def test_json_document_carries_records_and_statuses(site):
    site.sources(SOURCES)
    code, out, _ = site.run("sources.txt", "--format", "json")
    assert code == 0
    entries = {e["key"]: e for e in json.loads(out)["entries"]}
    paper = entries["arxiv:2104.14129v1"]
    assert paper["section"] == "论文" and paper["line"] == 3 and paper["status"] == "ok"
    assert paper["record"]["title"] == "ActNN: Reducing Training Memory Footprint via 2-Bit Activation Compressed Training"
    assert paper["record"]["code_urls"] == ["https://github.com/ucbrise/actnn"]
    assert paper["links"] == [{"label": "代码", "url": "https://github.com/ucbrise/actnn", "key": "github:ucbrise/actnn"}]
    repo = entries["github:lmbxmu/hrank"]
    assert repo["record"]["stars"] == 250 and repo["note"] == "CVPR2020 oral, check the ImageNet numbers"
    page = entries[f"web:{site.url('/blog/data-echoing')}"]
    assert (page["title"], page["source"]) == ("Speeding up Neural Network Training with Data Echoing", "Example AI Blog")
    assert page["cached"] is False and page["fetched_at"].endswith("Z")


def test_second_run_asks_the_network_nothing(site):
    site.sources(SOURCES)
    first_code, first, _ = site.run("sources.txt")
    asked = len(site.server.requests)
    code, second, err = site.run("sources.txt")
    assert (first_code, code) == (0, 0)
    assert len(site.server.requests) == asked
    assert second == first
    assert err.strip().splitlines()[-1] == "3 entries: 0 fetched, 3 from cache, 0 failed"


def test_every_link_of_a_run_is_marked_used_by_it_fetched_or_cached(site):
    # `cache prune` removes what no run has used lately: a record fetched now is stored as used,
    # one the cache answers (or serves stale) is marked used.
    site.sources(SOURCES)

    def last_used() -> dict[str, float]:
        with sqlite3.connect(site.dir / "cache" / "enrich.sqlite3") as db:
            return dict(db.execute("SELECT key, last_used FROM records"))

    assert site.run("sources.txt")[0] == 0
    assert len(last_used()) == 4  # three entries and the paper's code repository
    site.server.route("/blog/data-echoing", Reply(404, "gone"))
    site.sources(SOURCES + "{web}/blog/new-page\n")
    site.server.route("/blog/new-page", ARTICLE)
    started = time.time()
    code, out, _ = site.run("sources.txt", "--format", "json")
    statuses = {e["key"]: e["status"] for e in json.loads(out)["entries"]}
    # Three entries answered by the cache (the page within its freshness: not asked), one fetched.
    assert code == 0 and list(statuses.values()) == ["ok"] * 4 and f"web:{site.url('/blog/new-page')}" in statuses
    assert len(last_used()) == 5 and all(used >= started for used in last_used().values())


def test_offline_serves_the_cache_and_fails_the_rest_as_not_cached(site):
    site.sources(SOURCES)
    site.run("sources.txt")
    site.sources(SOURCES + "https://github.com/fresh/repo\n")
    asked = len(site.server.requests)
    code, out, err = site.run("sources.txt", "--offline")
    assert code == 1 and len(site.server.requests) == asked
    assert "https://github.com/fresh/repo — not cached" in out
    assert "ActNN" in out


def test_failures_are_listed_with_line_numbers_and_the_run_goes_on(site):
    site.server.route("/repos/gone/away", Reply(404, '{"message": "Not Found"}', gh_headers()))
    site.sources("https://github.com/gone/away\nhttps://arxiv.org/abs/2104.14129\nhttps://arxiv.org/abs/2101.00001\n")
    code, out, err = site.run("sources.txt")
    assert code == 1
    assert "第 1 行：https://github.com/gone/away — repository not found (deleted or private)" in out
    assert "第 3 行：https://arxiv.org/abs/2101.00001 — no such arXiv paper" in out
    assert "- [2104.14129] [ActNN" in out or "[ICML 2021][2104.14129]" in out
    assert err.strip().splitlines()[-1].startswith("3 entries: 1 fetched, 0 from cache, 2 failed")


def test_merge_keeps_every_editor_byte_and_adds_only_new_entries(site):
    site.sources(SOURCES)
    assert site.run("sources.txt", "-o", "draft.md")[0] == 0
    draft = site.dir / "draft.md"
    edited = draft.read_text(encoding="utf-8").replace("摘要：", "摘要：编辑改写过的摘要。", 1) + "\n编辑自己写的结尾。\n"
    draft.write_text(edited, encoding="utf-8")
    site.repo("fresh/repo", description="A new repository")
    site.sources(SOURCES + "https://github.com/fresh/repo\n")
    code, _, err = site.run("sources.txt", "-o", "draft.md")
    assert code == 0, err
    merged = draft.read_text(encoding="utf-8")
    old_lines = [line for line in edited.splitlines() if not line.startswith("> 导读：本期")]
    assert "> 导读：本期4条。" in merged  # the tool's own 导读 line follows the count
    it = iter(merged.splitlines())
    assert all(any(line == m for m in it) for line in old_lines), "an editor line was changed or reordered"
    assert merged.count("https://github.com/fresh/repo") == 1
    assert site.run("sources.txt", "-o", "draft.md")[0] == 0
    assert draft.read_text(encoding="utf-8") == merged


def test_url_arguments_and_stdin(site):
    code, out, _ = site.run("https://arxiv.org/abs/2104.14129")
    assert code == 0 and "ActNN" in out
    code, out, _ = site.run("-", stdin=b"https://github.com/lmbxmu/HRank\n")
    assert code == 0 and "lmbxmu/HRank: Pytorch implementation" in out


def test_non_utf8_input_is_exit_2_naming_the_line_and_nothing_is_written(site):
    (site.dir / "sources.txt").write_bytes("https://github.com/a/b\n标题\n".encode("gbk"))
    code, out, err = site.run("sources.txt", "-o", "draft.md")
    assert code == 2 and "line 2" in err and out == ""
    assert not (site.dir / "draft.md").exists() and site.server.requests == []


def test_markdown_never_overwritten_by_json(site):
    site.sources(SOURCES)
    (site.dir / "draft.md").write_text("# my notes\n", encoding="utf-8")
    code, _, err = site.run("sources.txt", "--format", "json", "-o", "draft.md")
    assert code == 2 and "not overwriting" in err
    assert (site.dir / "draft.md").read_text(encoding="utf-8") == "# my notes\n"


def test_a_held_lock_ends_the_run_with_exit_3_naming_the_holder(site):
    site.sources(SOURCES)
    lock = FileLock(site.dir / "cache" / "enrich.lock", "the cache")
    lock.acquire(0)
    try:
        code, out, err = site.run("sources.txt")
    finally:
        lock.release()
    assert code == 3 and f"pid {__import__('os').getpid()}" in err and out == ""


def _expire(site: Site, key: str) -> None:
    db = sqlite3.connect(site.dir / "cache" / "enrich.sqlite3")
    db.execute("UPDATE records SET fetched_at = fetched_at - 10 * 86400 WHERE key = ?", (key,))
    db.commit()
    db.close()


def test_an_expired_github_record_is_revalidated_with_its_etag(site):
    site.sources("https://github.com/lmbxmu/HRank\n")
    site.run("sources.txt")
    _expire(site, "github:lmbxmu/hrank")
    site.server.route(
        "/repos/lmbxmu/HRank",
        lambda req: Reply(304, b"", gh_headers()) if req.headers.get("if-none-match") == 'W/"abc"' else Reply(500),
    )
    code, _, err = site.run("sources.txt")
    assert code == 0 and site.server.hits("/repos/lmbxmu/HRank")[-1].headers["if-none-match"] == 'W/"abc"'
    assert err.strip().splitlines()[-1].startswith("1 entry: 0 fetched, 1 from cache")


def test_a_failed_refresh_serves_the_stale_record(site):
    site.sources("https://github.com/lmbxmu/HRank\n")
    site.run("sources.txt")
    _expire(site, "github:lmbxmu/hrank")
    site.server.route("/repos/lmbxmu/HRank", Reply(404, '{"message": "Not Found"}', gh_headers()))
    code, out, err = site.run("sources.txt", "--format", "json")
    entry = json.loads(out)["entries"][0]
    assert entry["status"] == "stale" and entry["record"]["stars"] == 250
    assert entry["error"] == "repository not found (deleted or private)"
    assert "1 stale" in err


def test_the_command_runs_as_a_program(site):
    """One real process, as cron runs it: the console entry point, stderr summary, exit code."""
    site.sources(SOURCES)
    env = {k: v for k, v in __import__("os").environ.items()}
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "sources.txt", "-q"], cwd=site.dir, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().startswith("3 entries: 3 fetched, 0 from cache, 0 failed; GitHub: 4783 requests left")
    assert re.search(r"^- \[lmbxmu/HRank: ", proc.stdout, re.M)


def test_cache_commands_look_inside(site):
    site.sources(SOURCES)
    site.run("sources.txt")
    out, err = io.StringIO(), io.StringIO()
    assert main(["cache", "stats"], stdout=out, stderr=err) == 0
    assert re.search(r"4 records", out.getvalue()) and re.search(r"github\s+2 fresh", out.getvalue())
    out = io.StringIO()
    assert main(["cache", "show", "https://github.com/LMBXMU/HRank/issues/3"], stdout=out, stderr=err) == 0
    shown = json.loads(out.getvalue())
    assert shown["key"] == "github:lmbxmu/hrank" and shown["record"]["stars"] == 250 and shown["etag"] == 'W/"abc"'
    assert main(["cache", "show", "arxiv:0000.00000"], stdout=io.StringIO(), stderr=err) == 1
    out = io.StringIO()
    assert main(["cache", "prune", "--days", "0"], stdout=out, stderr=err) == 0
    assert out.getvalue().startswith("removed 4 records")


def test_progress_is_a_counter_on_a_terminal_and_log_lines_elsewhere(caplog):
    from pipeline.models import Outcome
    from pipeline.report import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    progress = Progress(2, screen, enabled=True)
    progress("web:https://a.org/", Outcome("ok"))
    progress("web:https://b.org/", Outcome("failed", error="HTTP 404"))
    progress.finish()
    assert "[1/2] ok" in screen.getvalue() and "[2/2] failed" in screen.getvalue()
    plain = io.StringIO()
    with caplog.at_level("INFO", logger="pipeline"):
        Progress(1, plain, enabled=False)("web:https://b.org/", Outcome("failed", error="HTTP 404"))
    assert plain.getvalue() == "" and "failed web:https://b.org/: HTTP 404" in caplog.text
