"""Summaries and venue tags from the command line: fetched from local servers, and served from
the cache with the fields other stages fill (a page's text, a repository's README)."""

from __future__ import annotations

import io

from pipeline.cache import Cache
from pipeline.cli import main
from pipeline.models import FetchResult, GithubRecord, WebRecord
from tests.fakes import API_PATH, FakeArxiv, FakeClock, Paper, Version

PAPER = Paper(
    id="2206.01234",
    published="2022-06-02T10:00:00Z",
    authors=["Ada Lovelace"],
    categories=["cs.SE"],
    versions=[
        Version(
            title="$ω$Test: Testing WebViews with\n  an $\\ell_1$ Budget",
            summary="  We present $ω$Test, which keeps an $\\ell_1$ budget over $n^2$ paths. It finds 12\n"
            "crashes in popular apps. A third sentence. A fourth sentence that is cut.",
            updated="2022-06-02T10:00:00Z",
            comment="13 pages, In Proceedings of the 31st ACM SIGSOFT International Symposium on "
            "Software Testing and Analysis (ISSTA) 2022",
        )
    ],
)

NEWS = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Edge chips sell out - Daily Example</title>
<meta property="og:site_name" value="Daily Example">
<meta name="description" value="Photo by Jane Doe. Edge chips sell out: makers promise more by May &amp; June. Prices rose 20%. Analysts expect a glut in la...">
</head><body><h1>Edge chips sell out</h1></body></html>"""  # no article text: the description is all there is


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--date", "2026-11-23", "--lock-wait", "0.2", *args], io.BytesIO(b""), out, err)
    return code, out.getvalue(), err.getvalue()


def test_paper_and_news_page_fetched_and_summarized(server, tmp_path, monkeypatch):
    arxiv = FakeArxiv(clock=FakeClock())
    arxiv.add(PAPER)
    server.route(API_PATH, arxiv)
    server.route("/news/edge-chips", NEWS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ENRICH_ARXIV_API", server.url(API_PATH))
    monkeypatch.setenv("ENRICH_ALLOW_PRIVATE_HOSTS", "1")
    (tmp_path / "sources.txt").write_text(
        f"https://arxiv.org/abs/2206.01234\n[业界新闻]\n{server.url('/news/edge-chips')}\n", encoding="utf-8"
    )
    code, out, err = run("sources.txt")
    assert code == 0, err
    lines = out.split("\n")
    paper = next(i for i, line in enumerate(lines) if line.startswith("- [ISSTA 2022][2206.01234] "))
    assert lines[paper] == (
        "- [ISSTA 2022][2206.01234] [ωTest: Testing WebViews with an ℓ1 Budget](https://arxiv.org/abs/2206.01234)  "
    )
    assert lines[paper + 1] == (
        "摘要：We present ωTest, which keeps an ℓ1 budget over n² paths. It finds 12 "
        "crashes in popular apps. A third sentence.〔待编辑〕  "
    )
    news = next(i for i, line in enumerate(lines) if "Edge chips sell out" in line and line.startswith("- ["))
    assert lines[news].startswith("- [Edge chips sell out | Daily Example](")
    assert lines[news + 1] == "摘要：makers promise more by May & June. Prices rose 20%.〔待编辑〕  "


def test_cached_text_and_readme_make_the_summaries_offline(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cache = Cache(tmp_path / "cache")
    article = "https://mp.weixin.qq.com/s/AbCdEfGh"
    cache.store(
        "web",
        FetchResult(
            f"web:{article}",
            record=WebRecord(
                url=article,
                title="端侧大模型部署实践",
                site_name="某公众号",
                description=None,
                text="端侧大模型部署实践\n\n点击上方蓝字关注我们\n\n一、背景\n\n随着手机芯片算力提升，大模型开始在端侧运行。"
                "本文介绍我们的量化方案。\n\n第二段讲具体做法。",
            ),
        ),
    )
    cache.store(
        "github",
        FetchResult(
            "github:example/tinyengine",
            record=GithubRecord(
                full_name="example/TinyEngine",
                description="Tiny inference engine for microcontrollers",
                html_url="https://github.com/example/TinyEngine",
                language="C",
                stars=1200,
                readme="**TinyEngine** runs [int8 models](https://example.org) on Cortex-M in 256 KB of SRAM.",
            ),
        ),
    )
    cache.close()
    (tmp_path / "sources.txt").write_text(f"{article}\nhttps://github.com/example/TinyEngine\n", encoding="utf-8")
    code, out, err = run("sources.txt", "--offline")
    assert code == 0, err
    assert "摘要：随着手机芯片算力提升，大模型开始在端侧运行。本文介绍我们的量化方案。第二段讲具体做法。〔待编辑〕  " in out
    repo = out.split("- [example/TinyEngine: ", 1)[1].split("\n")
    assert repo[1:4] == [
        "摘要：Tiny inference engine for microcontrollers〔待编辑〕  ",
        "TinyEngine runs int8 models on Cortex-M in 256 KB of SRAM.  ",
        "C · ★ 1.2k  ",
    ]
