"""`enrich gather` end to end against feeds served on 127.0.0.1: every shape, every fault named,
the inbox and sources.txt written safely, feed health reported."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import FeedSettings, parse_config
from pipeline.gather import run as gather_run
from pipeline.gather.run import (
    FeedReport,
    Fetched,
    GatherOptions,
    gather,
    health_warnings,
)
from pipeline.gather.state import FeedMemory
from pipeline.http import AddressGuard
from tests import feeddocs as docs
from tests.localserver import Reply, hang

THURSDAY = datetime(2026, 12, 3, 12, 0, tzinfo=UTC).timestamp()
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM = {"Content-Type": "application/atom+xml"}


def serve_shapes(server) -> None:
    server.route(
        "/blog.rss",
        Reply(
            body=docs.rss2(
                [
                    ("NPU 量化 in practice", "https://blog.example.org/npu?utm_source=rss"),
                    ("Cooking", "https://blog.example.org/cook"),
                ]
            ),
            headers=RSS,
        ),
    )
    server.route("/atom.xml", Reply(body=docs.atom([("Edge compiler notes", "https://atom.example.org/compiler")]), headers=ATOM))
    server.route(
        "/feed.json",
        Reply(
            body=docs.json_feed([("端侧推理 新进展", "https://j.example.org/1")]),
            headers={"Content-Type": "application/feed+json"},
        ),
    )
    server.route(
        "/arxiv",
        Reply(
            body=docs.arxiv_listing([("2512.00001v1", "Tiny NPU compilers", "new"), ("2511.00002v2", "An old paper", "replace")]),
            headers=RSS,
        ),
    )
    server.route("/releases.atom", Reply(body=docs.github_releases("Tencent/ncnn", ["20261201"]), headers=ATOM))
    server.route(
        "/wechat",
        Reply(
            body=docs.wechat_bridge("机器之心", [("端侧大模型量化实践", docs.wechat_url(1))]),
            headers={"Content-Type": "application/xml"},
        ),
    )


def write_config(
    tmp_path: Path, server, paths: list[str], extra: str = "", web: str = "", keywords: str = '["NPU", "量化"]'
) -> Path:
    feeds = "".join(f'[[gather.feeds]]\nurl = "{server.url(p)}"\nname = "{p.strip("/")}"\n' for p in paths)
    path = tmp_path / "enrich.toml"
    path.write_text(
        f'[gather]\nkeywords = {keywords}\ninbox = "{tmp_path / "inbox.md"}"\n{extra}\n'
        f"[web]\nconnect_timeout = 1\nread_timeout = 0.5\ndeadline = 1.0\n{web}\n{feeds}",
        encoding="utf-8",
    )
    return path


def run_gather(
    tmp_path: Path,
    server,
    paths: list[str],
    *,
    extra: str = "",
    web: str = "",
    clock=lambda: THURSDAY,
    fmt: str = "json",
    keywords: str = '["NPU", "量化"]',
    archive: str | None = None,
) -> tuple[int, dict, str]:
    config_file = write_config(tmp_path, server, paths, extra, web, keywords)
    config = parse_config(__import__("tomllib").loads(config_file.read_text("utf-8")))
    options = GatherOptions(
        sources=str(tmp_path / "sources.txt"),
        draft=str(tmp_path / "drafts" / "next.md"),
        format=fmt,
        cache_dir=str(tmp_path / "cache"),
        lock_wait=0,
        archive=archive,
    )
    out, err = io.StringIO(), io.StringIO()
    code = gather(
        options,
        config,
        None,
        stdout=out,
        stderr=err,
        guard=AddressGuard(allowed_origins={("127.0.0.1", server.port)}),
        clock=clock,
    )
    return code, (json.loads(out.getvalue()) if fmt == "json" else {}), err.getvalue()


SHAPES = ["/blog.rss", "/atom.xml", "/feed.json", "/arxiv", "/releases.atom", "/wechat"]


def test_every_feed_shape_gives_candidates_in_a_sectioned_inbox(tmp_path, server):
    serve_shapes(server)
    (tmp_path / "sources.txt").write_text("[博文]\nhttps://atom.example.org/compiler  already mine\n", encoding="utf-8")
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "next.md").write_text("- [x | y](https://j.example.org/1)  \n", encoding="utf-8")
    code, doc, err = run_gather(tmp_path, server, SHAPES)
    assert code == 0, err
    feeds = {f["name"]: f for f in doc["feeds"]}
    assert {n: (f["status"], f["items"], f["new"], f["kept"]) for n, f in feeds.items()} == {
        "blog.rss": ("ok", 2, 2, 2),
        "atom.xml": ("ok", 1, 1, 0),
        "feed.json": ("ok", 1, 1, 0),
        "arxiv": ("ok", 2, 1, 1),
        "releases.atom": ("ok", 1, 1, 1),
        "wechat": ("ok", 1, 1, 1),
    }
    keys = [c["key"] for c in doc["candidates"]]
    wechat = "web:https://mp.weixin.qq.com/s?__biz=MzA3MzI4MjgzMw==&mid=2650800001&idx=1&sn=abcdef0001"
    assert keys[0] == "web:https://blog.example.org/npu"  # two keywords
    assert set(keys[1:3]) == {"arxiv:2512.00001", wechat}  # one each
    assert set(keys[3:]) == {"github:tencent/ncnn", "web:https://blog.example.org/cook"}
    inbox = (tmp_path / "inbox.md").read_text(encoding="utf-8")
    assert inbox.index("## 论文") < inbox.index("## 开源项目") < inbox.index("## 博文")
    assert (
        "- [ ] [NPU 量化 in practice](https://blog.example.org/npu) · blog.rss · 2026-12-03\n  picked 2026-12-03: keywords: NPU, 量化\n"
        in inbox
    )
    assert "- [ ] [Tencent/ncnn 20261201](https://github.com/Tencent/ncnn/releases/tag/20261201) · releases.atom" in inbox
    assert "gather: 6 feeds, 8 items, 7 new, 5 to the inbox" in err


def test_a_second_run_asks_conditionally_and_leaves_the_inbox_byte_identical(tmp_path, server):
    body = docs.rss2([("NPU news", "https://c.example.org/1")])

    def conditional(request):
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(body=body, headers={**RSS, "ETag": '"v1"'})

    server.route("/c.rss", conditional)
    code, _doc, _err = run_gather(tmp_path, server, ["/c.rss"])
    first = (tmp_path / "inbox.md").read_bytes()
    code, doc, _err = run_gather(tmp_path, server, ["/c.rss"])
    assert code == 0 and doc["feeds"][0]["status"] == "not modified"
    assert server.hits("/c.rss")[1].headers["if-none-match"] == '"v1"'
    assert (tmp_path / "inbox.md").read_bytes() == first
    # Without validators the feed comes whole again, but its items were seen: still no change.
    server.route("/c.rss", Reply(body=body, headers=RSS))
    code, doc, _err = run_gather(tmp_path, server, ["/c.rss"])
    assert doc["feeds"][0]["status"] == "ok" and doc["feeds"][0]["new"] == 0
    assert (tmp_path / "inbox.md").read_bytes() == first


def test_a_ticked_item_moves_into_sources_with_its_note_exactly_once(tmp_path, server):
    server.route("/a.rss", Reply(body=docs.arxiv_listing([("2512.00009v1", "NPU scheduling", "new")]), headers=RSS))
    sources = tmp_path / "sources.txt"
    sources.write_text(
        "# my links\n[论文]\nhttps://arxiv.org/abs/1907.05550\n\n[博文]\nhttps://x.example.org/a\n", encoding="utf-8"
    )
    run_gather(tmp_path, server, ["/a.rss"])
    inbox = tmp_path / "inbox.md"
    text = inbox.read_text(encoding="utf-8")
    text = text.replace("- [ ] [NPU scheduling]", "- [x] [NPU scheduling]").replace(
        "  picked 2026-12-03: keywords: NPU\n", "  picked 2026-12-03: keywords: NPU\n  check the ablation\n"
    )
    inbox.write_text(text + "\nmy own line\n", encoding="utf-8")
    code, doc, _ = run_gather(tmp_path, server, ["/a.rss"])
    assert code == 0 and doc["moved"] == ["https://arxiv.org/abs/2512.00009"]
    assert sources.read_text(encoding="utf-8") == (
        "# my links\n[论文]\nhttps://arxiv.org/abs/1907.05550\nhttps://arxiv.org/abs/2512.00009  check the ablation\n"
        "\n[博文]\nhttps://x.example.org/a\n"
    )
    after = inbox.read_text(encoding="utf-8")
    assert "2512.00009" not in after and "my own line" in after
    run_gather(tmp_path, server, ["/a.rss"])
    assert sources.read_text(encoding="utf-8").count("2512.00009") == 1 and inbox.read_text(encoding="utf-8") == after


def test_a_crash_between_the_two_writes_moves_the_item_once(tmp_path, server, monkeypatch):
    server.route("/a.rss", Reply(body=docs.rss2([("NPU one", "https://d.example.org/1")]), headers=RSS))
    run_gather(tmp_path, server, ["/a.rss"])
    inbox = tmp_path / "inbox.md"
    inbox.write_text(inbox.read_text(encoding="utf-8").replace("- [ ]", "- [x]"), encoding="utf-8")
    real = gather_run.write_atomically

    def crash_on_inbox(path, text):
        if Path(path).name == "inbox.md":
            raise OSError(28, "No space left on device")
        real(path, text)

    monkeypatch.setattr(gather_run, "write_atomically", crash_on_inbox)
    with pytest.raises(OSError):
        run_gather(tmp_path, server, ["/a.rss"])
    monkeypatch.setattr(gather_run, "write_atomically", real)
    assert "- [x]" in inbox.read_text(encoding="utf-8")  # untouched by the crash
    run_gather(tmp_path, server, ["/a.rss"])
    assert (tmp_path / "sources.txt").read_text(encoding="utf-8") == "\n[博文]\nhttps://d.example.org/1\n".lstrip("\n")
    assert "d.example.org" not in inbox.read_text(encoding="utf-8")


def test_unticked_items_expire_but_noted_ones_stay(tmp_path, server):
    server.route(
        "/a.rss",
        Reply(body=docs.rss2([("NPU one", "https://e.example.org/1"), ("NPU two", "https://e.example.org/2")]), headers=RSS),
    )
    run_gather(tmp_path, server, ["/a.rss"], extra="keep_days = 7")
    inbox = tmp_path / "inbox.md"
    text = inbox.read_text(encoding="utf-8").replace(
        "](https://e.example.org/2) · a.rss · 2026-12-03\n  picked 2026-12-03: keywords: NPU\n",
        "](https://e.example.org/2) · a.rss · 2026-12-03\n  picked 2026-12-03: keywords: NPU\n  maybe\n",
    )
    inbox.write_text(text, encoding="utf-8")
    run_gather(tmp_path, server, ["/a.rss"], extra="keep_days = 7", clock=lambda: THURSDAY + 6 * 86400)
    assert inbox.read_text(encoding="utf-8") == text
    _, doc, _ = run_gather(tmp_path, server, ["/a.rss"], extra="keep_days = 7", clock=lambda: THURSDAY + 8 * 86400)
    after = inbox.read_text(encoding="utf-8")
    assert doc["expired"] == 1 and "e.example.org/1" not in after and "e.example.org/2" in after and "  maybe" in after


def test_every_fault_is_named_and_none_stops_the_others(tmp_path, server):
    server.route("/good.rss", Reply(body=docs.rss2([("NPU good", "https://g.example.org/1")]), headers=RSS))
    server.route(
        "/malformed.rss",
        Reply(
            body=docs.rss2([("NPU half", "https://g.example.org/2")]).replace("</channel></rss>", "<item><title>x &amp"),
            headers=RSS,
        ),
    )
    server.route("/garbage.rss", Reply(body="<?xml version='1.0'?><rss><channel><title>x</chan", headers=RSS))
    server.route("/login", Reply(body="<!DOCTYPE html><html><body>log in</body></html>"))
    server.route(
        "/huge.rss", Reply(body=docs.rss2([(f"item {i}", f"https://h.example.org/{i}") for i in range(400)]), headers=RSS)
    )
    server.route("/private.rss", Reply(302, headers={"Location": f"http://127.0.0.2:{server.port}/good.rss"}))
    server.route("/hang.rss", Reply(raw=hang(3)))
    server.route("/bridge.rss", Reply(403, body="forbidden"))
    server.route("/gone.rss", Reply(404, body="no"))
    paths = [
        "/good.rss",
        "/malformed.rss",
        "/garbage.rss",
        "/login",
        "/huge.rss",
        "/private.rss",
        "/hang.rss",
        "/bridge.rss",
        "/gone.rss",
    ]
    code, doc, err = run_gather(tmp_path, server, paths, web="max_body = 20000")
    assert code == 1
    outcome = {f["name"]: (f["status"], f["error"]) for f in doc["feeds"]}
    assert outcome["good.rss"] == ("ok", None)
    assert outcome["malformed.rss"] == ("ok", None)
    assert doc["feeds"][1]["warnings"][0].startswith("malformed XML")
    assert outcome["garbage.rss"][0] == "failed" and outcome["garbage.rss"][1].startswith("not a feed")
    assert outcome["login"] == ("failed", "not a feed: the address answers with an HTML page")
    assert outcome["huge.rss"] == ("failed", f"feed larger than {20000 / 1024 / 1024:g} MB, not read")
    assert outcome["private.rss"] == ("failed", "refused: 127.0.0.2 resolves to a private address (use --allow-private-hosts)")
    assert outcome["hang.rss"][0] == "failed" and "timed out" in outcome["hang.rss"][1]
    assert outcome["bridge.rss"] == ("failed", "HTTP 403 (access denied) (cookie expired?)")
    assert outcome["gone.rss"] == ("failed", "HTTP 404")
    assert {c["url"] for c in doc["candidates"]} == {"https://g.example.org/1", "https://g.example.org/2"}
    assert "7 failed: garbage.rss" in err and "bridge.rss (HTTP 403 (access denied) (cookie expired?))" in err
    assert server.hits("/good.rss") and not server.hits("/inside")


def test_a_feed_silent_for_longer_than_silent_days_is_warned_about(tmp_path, server):
    old = datetime(2026, 9, 1, tzinfo=UTC)
    server.route("/old.rss", Reply(body=docs.rss2([("Old post", "https://o.example.org/1")], when=old), headers=RSS))
    _, doc, err = run_gather(tmp_path, server, ["/old.rss"], extra="silent_days = 30")
    assert doc["feeds"][0]["warnings"] == ["no new item for 93 days"]
    assert "1 warned: old.rss (no new item for 93 days)" in err


def test_an_empty_arxiv_listing_on_a_weekday_is_a_warning_not_on_a_saturday():
    feed = FeedSettings(url="https://rss.arxiv.org/rss/cs.LG", name="arXiv cs.LG")
    empty = Fetched(FeedReport("arXiv cs.LG", feed.url), [], FeedMemory(), frozenset({"saturday", "sunday"}))
    assert health_warnings(empty, feed, None, THURSDAY, 30)[0].startswith("no items on a Thursday")
    assert health_warnings(empty, feed, None, THURSDAY + 2 * 86400, 30) == []  # Saturday
    monday_0230_utc = datetime(2026, 12, 7, 2, 30, tzinfo=UTC).timestamp()  # Sunday evening in New York
    assert health_warnings(empty, feed, None, monday_0230_utc, 30) == []
    blog = FeedSettings(url="https://blog.example.org/feed")
    assert health_warnings(empty, blog, None, THURSDAY, 30) == []


def test_the_cli_gathers_and_a_bad_config_is_exit_2(tmp_path, server, monkeypatch, capsys):
    serve_shapes(server)
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path, server, ["/blog.rss"])
    code = main(["gather", "--config", str(config), "--allow-private-hosts", "--cache-dir", str(tmp_path / "c")])
    captured = capsys.readouterr()
    assert code == 0 and captured.out == "" and "gather: 1 feeds, 2 items, 2 new, 2 to the inbox" in captured.err
    assert (tmp_path / "inbox.md").exists()
    config.write_text('[[gather.feeds]]\nname = "no url"\n', encoding="utf-8")
    assert main(["gather", "--config", str(config)]) == 2
    assert "[[gather.feeds]] #1 needs url" in capsys.readouterr().err
    config.write_text("[gather]\n", encoding="utf-8")
    assert main(["gather", "--config", str(config)]) == 2
    assert "no feeds to gather" in capsys.readouterr().err


def test_an_access_key_in_a_feed_url_reaches_neither_report_logs_nor_cache(tmp_path, server, monkeypatch, capsys):
    server.route("/key.rss", Reply(403))
    secret = "k3y-SECRET-0123456789"
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "enrich.toml"
    config.write_text(
        f'[web]\ndeadline = 0.4\n[[gather.feeds]]\nurl = "{server.url("/key.rss")}?key={secret}"\n'
        f'[[gather.feeds]]\nurl = "http://127.0.0.1:9/closed.rss?token={secret}"\n',
        encoding="utf-8",
    )
    code = main(["gather", "--config", str(config), "--allow-private-hosts", "--format", "json", "-v"])
    captured = capsys.readouterr()
    assert code == 1 and "/key.rss?…" in captured.out and "cookie expired?" in captured.err
    assert server.hits("/key.rss")[0].query == {"key": [secret]}  # the key was sent, only to the feed
    assert secret not in captured.out + captured.err
    assert all(secret.encode() not in p.read_bytes() for p in (tmp_path / "cache").iterdir() if p.is_file())


def test_feeds_without_a_name_are_named_by_host_and_path_and_never_share_one():
    from pipeline.gather.run import feed_names

    feeds = [
        FeedSettings(url="https://github.com/Tencent/ncnn/releases.atom"),
        FeedSettings(url="https://a.example.org/f", name="X"),
        FeedSettings(url="https://b.example.org/f?key=secret123456", name="X"),
    ]
    assert feed_names(feeds) == ["github.com/Tencent/ncnn/releases.atom", "X", "X #2"]


PAST_ISSUE = """# 嵌入式AI简报 (2020-05-15)

## 论文

- [2512.00001] [Tiny NPU compilers](https://arxiv.org/abs/2512.00001)  
摘要：旧文。  

## 博文

- [端侧大模型量化部署实践 | 示例](https://old.example.org/quant)  
摘要：旧文。  
"""


def test_the_archive_keeps_featured_links_out_and_ranks_by_featured_titles(tmp_path, server):
    server.route(
        "/arxiv",
        Reply(
            body=docs.arxiv_listing(
                [("2512.00001v1", "Tiny NPU compilers", "new"), ("2512.00003v1", "Gardening at scale", "new")]
            ),
            headers=RSS,
        ),
    )
    server.route(
        "/wechat",
        Reply(
            body=docs.wechat_bridge(
                "某号", [("园艺的乐趣", docs.wechat_url(7)), ("端侧大模型量化部署新实践", docs.wechat_url(8))]
            ),
            headers={"Content-Type": "application/xml"},
        ),
    )
    archive = tmp_path / "issues"
    archive.mkdir()
    (archive / "2020-05-15.md").write_text(PAST_ISSUE, encoding="utf-8")
    code, doc, err = run_gather(tmp_path, server, ["/arxiv", "/wechat"], keywords="[]", archive=str(archive))
    assert code == 0, err
    candidates = doc["candidates"]
    keys = [c["key"] for c in candidates]
    assert "arxiv:2512.00001" not in keys  # featured in 2020-05-15
    assert keys[0].endswith("sn=abcdef0008")  # most like a featured title
    assert "端侧大模型量化部署实践" in json.dumps(candidates[0], ensure_ascii=False)


def test_a_plain_enrich_run_moves_ticked_candidates_first(tmp_path, server, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "enrich.toml"
    config.write_text(f'[gather]\ninbox = "inbox.md"\n[[gather.feeds]]\nurl = "{server.url("/none.rss")}"\n', encoding="utf-8")
    monkeypatch.setenv("ENRICH_CONFIG", str(config))
    (tmp_path / "sources.txt").write_text("[博文]\nhttps://x.example.org/a\n", encoding="utf-8")
    (tmp_path / "inbox.md").write_text(
        "## 论文\n\n- [x] [NPU scheduling](https://arxiv.org/abs/2512.00009) · a.rss · 2026-12-03\n"
        "  picked 2026-12-03: keywords: NPU\n  check the ablation\n",
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    code = main(["sources.txt", "--offline", "--date", "2026-12-04"], io.BytesIO(b""), out, err)
    assert code == 1, err.getvalue()  # offline: nothing is cached, so both links fail
    assert (tmp_path / "sources.txt").read_text(encoding="utf-8") == (
        "[博文]\nhttps://x.example.org/a\n\n[论文]\nhttps://arxiv.org/abs/2512.00009  check the ablation\n"
    )
    assert "https://arxiv.org/abs/2512.00009" in out.getvalue()
    assert "2512.00009" not in (tmp_path / "inbox.md").read_text(encoding="utf-8")
