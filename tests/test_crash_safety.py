"""Runs of the real command killed with SIGKILL, run side by side, and run with a planted token:
the cache and the draft stay whole, locks hold, and secrets never reach anything written."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes import gh_headers, ok, repo_json
from tests.localserver import LocalServer, Reply

PAGE = "<html><head><title>Page {n}</title><meta name=description content='About page {n}.'></head><body>x</body></html>"


@pytest.fixture
def slow_server():
    """Every answer takes 20 ms, so a run is long enough to be killed in the middle."""
    srv = LocalServer(latency=0.02).start()
    for n in range(60):
        srv.route(f"/p/{n}", PAGE.format(n=n))
    yield srv
    srv.stop()


def _env(server: LocalServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ENRICH_ALLOW_PRIVATE_HOSTS="1",
        ENRICH_ARXIV_API=server.url("/api/query"),
        ENRICH_GITHUB_API=server.url(""),
        ENRICH_CONFIG=str(tmp_path / "none.toml"),
        PYTHONPATH=str(Path(__file__).resolve().parent.parent),
    )
    env.update(extra)
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline", "--date", "2026-11-23", *args]


def _cache_is_whole(folder: Path) -> None:
    if not (folder / "enrich.sqlite3").exists():
        return  # killed before the cache was first created
    db = sqlite3.connect(folder / "enrich.sqlite3", timeout=10)
    try:
        verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.OperationalError as exc:
        files = sorted((p.name, p.stat().st_size) for p in folder.iterdir())
        pytest.fail(f"the cache did not open after a kill: {exc}; files: {files}")
    assert verdict == "ok"
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "records" not in tables:  # killed between creating the file and committing its schema:
        db.close()  # an empty database, which the next run sets up
        return
    for (record,) in db.execute("SELECT record FROM records WHERE record IS NOT NULL"):
        assert record.startswith("{") and record.endswith("}")
    db.close()


def test_sigkill_at_random_moments_leaves_old_or_new_draft_and_a_whole_cache(slow_server, tmp_path):
    rng = random.Random(11)
    env = _env(slow_server, tmp_path)
    sources = tmp_path / "sources.txt"
    draft = tmp_path / "draft.md"
    drafts_seen: set[str] = set()
    for round_ in range(20):
        count = 10 + 2 * round_  # the sources grow, as they do over a fortnight
        sources.write_text("".join(slow_server.url(f"/p/{n}") + "\n" for n in range(count)), encoding="utf-8")
        child = subprocess.Popen(
            _command("sources.txt", "-o", "draft.md", "--refresh", "-q"),
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.02, 0.5))  # a kill somewhere in startup, fetching or writing
        child.kill()
        child.wait()
        if draft.exists():
            text = draft.read_text(encoding="utf-8")
            assert text.startswith("---\nlayout: default\n---\n") and text.endswith("\n")
            assert "## 博文" in text  # a whole document, never a truncated one
            drafts_seen.add(text)
        _cache_is_whole(tmp_path / "cache")
        assert not list(tmp_path.glob("cache/enrich.sqlite3.corrupt-*"))
    # After the kills a normal run still works and finishes what was left.
    done = subprocess.run(
        _command("sources.txt", "-o", "draft.md", "-q"), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert draft.read_text(encoding="utf-8").count("Page ") >= 48
    assert not list(tmp_path.glob(".draft.md.*.tmp"))


@pytest.fixture
def slower_server():
    """Answers in 200 ms: a run of 30 links holds its lock for about 1.5 s."""
    srv = LocalServer(latency=0.2).start()
    for n in range(30):
        srv.route(f"/p/{n}", PAGE.format(n=n))
    yield srv
    srv.stop()


def test_a_second_run_while_the_first_holds_the_lock_ends_3_and_nothing_is_damaged(slower_server, tmp_path):
    env = _env(slower_server, tmp_path)
    (tmp_path / "sources.txt").write_text("".join(slower_server.url(f"/p/{n}") + "\n" for n in range(30)), encoding="utf-8")
    first = subprocess.Popen(
        _command("sources.txt", "-o", "draft.md", "-q"),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = tmp_path / "cache" / "enrich.lock"
    deadline = time.monotonic() + 30
    # The lock file names its holder while it is held: start the second run only then.
    while f"pid {first.pid} " not in (lock.read_text(encoding="utf-8") if lock.exists() else ""):
        assert first.poll() is None and time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.01)
    second = subprocess.run(
        _command("sources.txt", "-o", "draft.md", "--lock-wait", "0.1", "-q"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    first_err = first.communicate(timeout=60)[1]
    assert (first.returncode, second.returncode) == (0, 3), (first_err, second.stderr)
    assert f"is locked by pid {first.pid} " in second.stderr
    assert "## 博文" in (tmp_path / "draft.md").read_text(encoding="utf-8")
    _cache_is_whole(tmp_path / "cache")
    text = (tmp_path / "draft.md").read_text(encoding="utf-8")
    assert text.count("Page ") == 30


TOKEN = "ghp_PlantedTokenThatMustNeverBeWritten0042"


def test_a_planted_token_reaches_nothing_written(tmp_path):
    server = LocalServer().start()
    try:
        server.route("/repos/ok/repo", ok(repo_json("ok/repo", description=f"docs at https://x.org/?t={TOKEN[:4]}")))
        server.route("/repos/gone/repo", Reply(404, '{"message": "Not Found"}', gh_headers()))
        server.route("/repos/bad/token", Reply(401, f'{{"message": "Bad credentials", "token": "{TOKEN}"}}', gh_headers()))
        server.route("/oops", Reply(404, f"server echoes the header: {TOKEN}"))
        (tmp_path / "sources.txt").write_text(
            "https://github.com/ok/repo\nhttps://github.com/gone/repo\nhttps://github.com/bad/token\n"
            + server.url("/oops")
            + "\n",
            encoding="utf-8",
        )
        config = tmp_path / "enrich.toml"
        config.write_text("[github]\nseconds_between_requests = 0\n", encoding="utf-8")
        env = _env(server, tmp_path, GITHUB_TOKEN=TOKEN, ENRICH_CONFIG=str(config))
        outputs = []
        for fmt, name in (("md", "draft.md"), ("json", "draft.json")):
            proc = subprocess.run(
                _command("sources.txt", "-v", "--format", fmt, "-o", name),
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert proc.returncode == 1, proc.stderr
            assert "Authorization" in proc.stderr or "GET" in proc.stderr or "ok/repo" in proc.stderr  # -v says things
            outputs += [proc.stdout, proc.stderr, (tmp_path / name).read_text(encoding="utf-8")]
        proc = subprocess.run(
            _command("sources.txt", "-v", "--refresh"), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        outputs += [proc.stdout, proc.stderr]
        cache_bytes = b"".join(p.read_bytes() for p in (tmp_path / "cache").iterdir() if p.is_file())
        assert TOKEN.encode() not in cache_bytes
        for text in outputs:
            assert TOKEN not in text
    finally:
        server.stop()
