"""Editorial memory from the command line: links featured before, the editor's deletions, source
names learned from the archive, the 导读 count and the JSON document's diagnostics."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.draft_builders import assert_golden
from tests.test_end_to_end import ARTICLE, Site

ROOT = Path(__file__).resolve().parent.parent

PAST_ISSUE = """---
layout: default
---

# 嵌入式AI简报 (2020-05-15)

## 论文

- [2104.14129] [ActNN 解读 | 机器之心](https://mp.weixin.qq.com/s/ActNNwriteUp)  
论文：https://arxiv.org/abs/2104.14129v1  
摘要：只谈论文，没有代码。  

## 开源项目

- [lmbxmu/HRank: Pytorch implementation](https://github.com/lmbxmu/HRank)  
摘要：剪枝。  

## 博文

- [Another post | 示例博客](http://127.0.0.1:{port}/blog/older)  
摘要：同一站点的旧文。  
- [Yet another | 示例博客](http://127.0.0.1:{port}/blog/oldest)  
摘要：见 http://127.0.0.1:{port}/only-in-a-summary  
"""

SOURCES = """\
[论文]
https://arxiv.org/pdf/2104.14129v1.pdf https://github.com/ucbrise/actnn
[开源项目]
https://github.com/lmbxmu/HRank/blob/master/README.md  check the numbers
{web}/blog/data-echoing
{web}/only-in-a-summary
"""


@pytest.fixture
def site(server, tmp_path, monkeypatch):
    site = Site(server, tmp_path, monkeypatch)
    server.route("/only-in-a-summary", ARTICLE)
    archive = tmp_path / "issues"
    archive.mkdir()
    port = site.url("").rsplit(":", 1)[1].strip("/")
    (archive / "2020-05-15.md").write_text(PAST_ISSUE.replace("{port}", port), encoding="utf-8")
    return site


def _body(text: str, site: Site) -> str:
    return text.replace(site.url(""), "http://127.0.0.1:PORT")


def test_featured_links_are_marked_and_a_paper_with_new_code_is_a_follow_up(site):
    site.sources(SOURCES.replace("{web}/only-in-a-summary\n", ""))
    code, out, err = site.run("sources.txt", "--archive", "issues")
    assert code == 0, err
    assert_golden("featured.md", _body(out, site))
    assert (
        "- [lmbxmu/HRank: Pytorch implementation of our CVPR 2020 (Oral) -- HRank](https://github.com/lmbxmu/HRank)〔已收录：2020-05-15 期〕  "
        in out
    )
    assert "〔后续：论文已收录于 2020-05-15 期，代码为新〕" in out
    assert out.count("〔已收录") == 1 and out.count("〔后续") == 1
    # The page calls its site "Example AI Blog"; the editor always printed 示例博客 for this host.
    assert "[Speeding up Neural Network Training with Data Echoing | 示例博客]" in out

    code, out, _ = site.run("sources.txt", "--archive", "issues", "--format", "json")
    entries = {e["key"]: e for e in json.loads(out)["entries"]}
    assert entries["github:lmbxmu/hrank"]["featured_in"] == [{"date": "2020-05-15", "section": "开源项目"}]
    assert entries["github:lmbxmu/hrank"]["follow_up"] is False
    paper = entries["arxiv:2104.14129v1"]
    assert paper["featured_in"] == [{"date": "2020-05-15", "section": "论文"}] and paper["follow_up"] is True
    blog = next(e for k, e in entries.items() if k.startswith("web:"))
    assert blog["featured_in"] == [] and blog["source"] == "示例博客"


def test_without_an_archive_nothing_is_marked_and_the_page_names_itself(site):
    site.sources(SOURCES)
    code, out, err = site.run("sources.txt")
    assert code == 0, err
    assert "〔已收录" not in out and "〔后续" not in out
    assert "| Example AI Blog]" in out


def test_the_config_sites_table_wins_over_learned_names(site):
    site.sources(SOURCES)
    config = Path(os.environ["ENRICH_CONFIG"])
    config.write_text(
        config.read_text(encoding="utf-8") + '\n[archive]\npath = "issues"\n\n[sites]\n"127.0.0.1" = "本地"\n', encoding="utf-8"
    )
    code, out, err = site.run("sources.txt")
    assert code == 0, err
    assert "| 本地]" in out and "〔已收录：2020-05-15 期〕" in out


def test_skip_leaves_featured_entries_out_and_lists_them(site):
    site.sources(SOURCES)
    config = Path(os.environ["ENRICH_CONFIG"])
    config.write_text(config.read_text(encoding="utf-8") + '\n[archive]\npath = "issues"\nfeatured = "skip"\n', encoding="utf-8")
    code, out, err = site.run("sources.txt")
    assert code == 0, err
    tool_block = out[out.index("<!-- enrich:failed") :]
    assert "](https://github.com/lmbxmu/HRank)" not in out[: out.index("<!-- enrich:failed")]
    assert "第 4 行：https://github.com/lmbxmu/HRank — 已收录于 2020-05-15 期「开源项目」" in tool_block
    assert "〔后续：论文已收录于 2020-05-15 期，代码为新〕" in out  # a follow-up is never skipped
    code, out, _ = site.run("sources.txt", "--format", "json")
    document = json.loads(out)
    assert "github:lmbxmu/hrank" not in {e["key"] for e in document["entries"]}
    assert {"line": 4, "message": '已收录于 2020-05-15 期「开源项目」，按 [archive] featured = "skip" 略过'} in document[
        "diagnostics"
    ]


def test_a_link_only_in_a_published_summary_is_new(site):
    site.sources(SOURCES)
    _, out, _ = site.run("sources.txt", "--archive", "issues", "--format", "json")
    entry = next(e for e in json.loads(out)["entries"] if e["key"].endswith("/only-in-a-summary"))
    assert entry["featured_in"] == [] and entry["status"] == "ok"


def test_a_bad_archive_folder_is_a_usage_error(site):
    site.sources(SOURCES)
    code, _, err = site.run("sources.txt", "--archive", "no-such-folder")
    assert code == 2 and "archive folder no-such-folder does not exist" in err


def _entry_block(text: str, marker: str) -> tuple[int, int]:
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("- ") and marker in line)
    end = start + 1
    while end < len(lines) and lines[end].strip() and not lines[end].startswith(("- ", "#")):
        end += 1
    return start, end


def test_an_entry_the_editor_deleted_stays_deleted_until_readd(site):
    sources = site.sources(SOURCES)
    assert site.run("sources.txt", "-o", "draft.md")[0] == 0
    draft = site.dir / "draft.md"
    text = draft.read_text(encoding="utf-8")
    assert "> 导读：本期4条。" in text
    lines = text.split("\n")
    start, end = _entry_block(text, "lmbxmu/HRank")
    del lines[start:end]
    edited = "\n".join(lines).replace("摘要：", "摘要：编辑写的。", 1)
    draft.write_text(edited, encoding="utf-8")
    before = sources.read_text(encoding="utf-8")

    code, _, err = site.run("sources.txt", "-o", "draft.md")
    assert code == 0, err
    merged = draft.read_text(encoding="utf-8")
    assert "](https://github.com/lmbxmu/HRank)" not in merged
    assert merged.count("https://github.com/lmbxmu/HRank") == 1  # listed once, in the tool's block
    assert "第 4 行：https://github.com/lmbxmu/HRank — 编辑已从稿中删除，不再加入（--readd 可重新加入）" in merged
    assert "1 removed by the editor" in err
    assert "> 导读：本期3条。" in merged  # the tool's line follows the draft
    assert sources.read_text(encoding="utf-8") == before

    # A second run changes nothing; a new link is added once; the deleted one stays out.
    assert site.run("sources.txt", "-o", "draft.md")[0] == 0
    assert draft.read_text(encoding="utf-8") == merged
    site.repo("fresh/repo", description="A new repository")
    site.sources(SOURCES + "https://github.com/fresh/repo\n")
    assert site.run("sources.txt", "-o", "draft.md")[0] == 0
    merged = draft.read_text(encoding="utf-8")
    assert merged.count("](https://github.com/fresh/repo)") == 1
    assert "](https://github.com/lmbxmu/HRank)" not in merged

    code, _, err = site.run("sources.txt", "-o", "draft.md", "--readd")
    assert code == 0, err
    readded = draft.read_text(encoding="utf-8")
    assert readded.count("](https://github.com/lmbxmu/HRank)") == 1
    assert "编辑已从稿中删除" not in readded
    assert "摘要：编辑写的。" in readded


def test_moving_entries_around_is_not_deleting_them(site):
    site.sources(SOURCES)
    assert site.run("sources.txt", "-o", "draft.md")[0] == 0
    draft = site.dir / "draft.md"
    lines = draft.read_text(encoding="utf-8").split("\n")
    start, end = _entry_block("\n".join(lines), "lmbxmu/HRank")
    block = lines[start:end]
    del lines[start:end]
    at = lines.index("## 论文  ") + 1
    lines[at:at] = ["", *block]  # moved to the top of another section
    edited = "\n".join(lines)
    draft.write_text(edited, encoding="utf-8")
    assert site.run("sources.txt", "-o", "draft.md")[0] == 0
    assert draft.read_text(encoding="utf-8") == edited


def test_an_intro_line_the_editor_edited_is_left_alone(site):
    site.sources(SOURCES)
    assert site.run("sources.txt", "-o", "draft.md")[0] == 0
    draft = site.dir / "draft.md"
    edited = draft.read_text(encoding="utf-8").replace("【新闻】〔待编辑〕", "【新闻】高通发布新芯片")
    draft.write_text(edited, encoding="utf-8")
    site.repo("fresh/repo", description="A new repository")
    site.sources(SOURCES + "https://github.com/fresh/repo\n")
    assert site.run("sources.txt", "-o", "draft.md")[0] == 0
    merged = draft.read_text(encoding="utf-8")
    assert "> 导读：本期4条。【新闻】高通发布新芯片" in merged and "](https://github.com/fresh/repo)" in merged


def test_a_new_draft_file_starts_a_new_memory(site):
    site.sources(SOURCES)
    assert site.run("sources.txt", "-o", "draft.md")[0] == 0
    draft = site.dir / "draft.md"
    lines = draft.read_text(encoding="utf-8").split("\n")
    start, end = _entry_block("\n".join(lines), "lmbxmu/HRank")
    draft.write_text("\n".join(lines[:start] + lines[end:]), encoding="utf-8")
    assert site.run("sources.txt", "-o", "draft.md")[0] == 0
    assert "](https://github.com/lmbxmu/HRank)" not in draft.read_text(encoding="utf-8")
    draft.unlink()  # the editor starts the next issue from scratch
    assert site.run("sources.txt", "-o", "draft.md")[0] == 0
    assert "](https://github.com/lmbxmu/HRank)" in draft.read_text(encoding="utf-8")


def test_json_carries_the_runs_diagnostics(site):
    site.sources(SOURCES + "a line without a link\nhttps://github.com/lmbxmu/HRank\n")
    _, out, _ = site.run("sources.txt", "--format", "json")
    assert json.loads(out)["diagnostics"] == [
        {"line": 7, "message": "no URL on this line, skipped: 'a line without a link'"},
        {"line": 8, "message": "duplicate of line 4 (github:lmbxmu/hrank), skipped"},
    ]


# -- the real archive --------------------------------------------------------------------------


def test_a_sources_file_mixing_featured_and_new_links_gets_the_right_marks(site, published):
    site.sources(
        "https://arxiv.org/pdf/2008.04175v2.pdf\n"  # featured 2020-08-26 as 2008.04175v1
        "https://github.com/jonasrauber/eagerpy/tree/master/eagerpy\n"  # its code line, same issue
        "https://zhuanlan.zhihu.com/p/104444471?utm_source=wechat\n"  # 2020-02-16, 博文
        "https://arxiv.org/abs/2501.00001\n"  # new
        "https://github.com/fresh/repo\n"  # new
    )
    code, out, _ = site.run("sources.txt", "--offline", "--format", "json", "--archive", str(published))
    assert code == 1  # offline: nothing cached, every entry failed, yet every one is looked up
    featured = {e["key"]: e["featured_in"] for e in json.loads(out)["entries"]}
    assert featured == {
        "arxiv:2008.04175v2": [{"date": "2020-08-26", "section": "论文"}],
        "github:jonasrauber/eagerpy": [{"date": "2020-08-26", "section": "论文"}],
        "web:https://zhuanlan.zhihu.com/p/104444471": [{"date": "2020-02-16", "section": "博文"}],
        "arxiv:2501.00001": [],
        "github:fresh/repo": [],
    }
