"""Hostile inputs through the command: odd encodings and line ends, overlong lines."""

from __future__ import annotations

import io
import json

import pytest

from pipeline.cli import main


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--offline", "--format", "json", *args], io.BytesIO(), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


SOURCES = "# digest\r[论文]\rhttps://arxiv.org/abs/1907.05550 好文\rhttps://example.com/a\r"


@pytest.mark.parametrize("codec", ["utf-8", "utf-16", "utf-16-le", "utf-32", "utf-32-be"])
def test_cr_only_utf16_and_utf32_files_give_every_entry(workdir, codec):
    (workdir / "sources.txt").write_bytes(SOURCES.encode(codec))
    code, out, err = run("sources.txt")
    assert code == 1, err  # offline: every link "not cached", but every entry is there
    entries = json.loads(out)["entries"]
    assert [(e["key"], e["line"], e["note"]) for e in entries] == [
        ("arxiv:1907.05550", 3, "好文"),
        ("web:https://example.com/a", 4, None),
    ]
    assert entries[1]["section"] == "论文"


def test_an_overlong_line_stops_the_run_with_its_number(workdir):
    (workdir / "sources.txt").write_bytes(b"https://example.com/a\n" + b"x" * (200 * 1024) + b"\n")
    code, out, err = run("sources.txt", "-o", "draft.md")
    assert (code, out) == (2, "")
    assert err.strip() == (
        "enrich: sources.txt: line 2 is longer than 64 KiB; a sources file holds one entry per line (is this the right file?)"
    )
    assert not (workdir / "draft.md").exists()


def test_an_ipv6_entry_is_written_valid_and_never_duplicated_by_a_merge(workdir):
    from pipeline.cache import Cache
    from pipeline.models import FetchResult, WebRecord

    url = "http://[::1]:8080/x"
    cache = Cache(workdir / "cache")
    cache.store("web", FetchResult("web:" + url, WebRecord(url=url, title="Local page", site_name="Local")))
    cache.close()
    (workdir / "sources.txt").write_text(url + "\n", encoding="utf-8")
    for _ in range(3):
        out, err = io.StringIO(), io.StringIO()
        assert main(["--offline", "-o", "draft.md", "sources.txt"], io.BytesIO(), out, err) == 0, err.getvalue()
    text = (workdir / "draft.md").read_text(encoding="utf-8")
    assert text.count("Local page") == 1
    assert f"({url})" in text and "%5B" not in text
