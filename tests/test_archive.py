"""The archive of published issues: parsing the digest's format, indexing link identities, caching."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pipeline import archive
from pipeline.archive import (
    ArchiveIndex,
    alias_pairs,
    identity_lines,
    load_archive,
    parse_issue,
    split_source,
)
from pipeline.cache import Cache
from pipeline.models import FetchResult, GithubRecord, WebRecord
from pipeline.sourcenames import learn_names

ROOT = Path(__file__).resolve().parent.parent


ISSUE = """---
layout: default
---

# 嵌入式AI简报 (2020-05-15)

> 导读：本期4条。【新闻】[预热](https://example.com/preamble)

- [Preamble bullet](https://example.com/flash)；

## 业界新闻  

- [CUDA 11 Features Revealed | NVIDIA Developer](https://devblogs.nvidia.com/cuda-11-features-revealed/)  
摘要：The A100 GPU has hardware capabilities. See https://example.com/in-summary for more.  
Second line of the summary.  

## 论文

- [CVPR2020][2002.10179] [轻量化网络 | 机器之心](https://mp.weixin.qq.com/s/AbCdEfGh123)  
标题：HRank: Filter Pruning using High-Rank Feature Map  
论文：https://arxiv.org/pdf/2002.10179v2.pdf  
代码: https://github.com/lmbxmu/HRank/tree/master  
摘要：剪枝。  

## 开源项目

> 注：每条内容前缀为github地址的仓库拥有者和仓库名。

- [alibaba/MNN：阿里轻量级推理引擎发布 |AI科技大本营](https://mp.weixin.qq.com/s/VBE54nbPn8zmvh6l)  
摘要：MNN 1.0。  
- iPhone 12将采用5纳米A14处理器 | IT之家  

## 博文

- [MLsys各方向综述 丨 知乎](https://zhuanlan.zhihu.com/p/104444471)  
链接：https://zhuanlan.zhihu.com/p/104444471  

## [往期回顾](https://github.com/ysh329/awesome-embedded-ai)

- [2020-05-01](https://example.com/footer)
"""


def test_an_issue_parses_into_entries_with_their_links_and_keys():
    entries = parse_issue(ISSUE, "2020-05-15")
    assert [e.section for e in entries] == ["业界新闻", "论文", "开源项目", "开源项目", "博文"]
    news, paper, repo, plain, post = entries
    assert (news.title, news.source, news.kind) == ("CUDA 11 Features Revealed", "NVIDIA Developer", "web")
    assert news.summary == (
        "The A100 GPU has hardware capabilities. See https://example.com/in-summary for more.\nSecond line of the summary."
    )
    assert news.urls == ("https://devblogs.nvidia.com/cuda-11-features-revealed/",)  # not the summary's link
    assert paper.source == "机器之心" and paper.title == "轻量化网络"
    assert set(paper.keys) >= {"arxiv:2002.10179", "github:lmbxmu/hrank"}
    assert len(paper.urls) == 3
    assert repo.source == "AI科技大本营" and "github:alibaba/mnn" in repo.keys  # rebuilt from the prefix
    assert (plain.title, plain.source, plain.urls) == ("iPhone 12将采用5纳米A14处理器", "IT之家", ())
    assert post.source == "知乎" and post.keys == ("zhihu:article:104444471",)
    # Nothing from the preamble or the footer.
    assert not any("example.com/f" in u or "preamble" in u for e in entries for u in e.urls)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("标题 | 量子位", ("标题", "量子位")),
        ("ECCV 2022｜新方法 | 极市平台", ("ECCV 2022｜新方法", "极市平台")),
        ("a | b | InfoQ", ("a | b", "InfoQ")),
        ("深度学习（上）| InfoQ", ("深度学习（上）", "InfoQ")),
        ("标题 丨 DeepTech深科技", ("标题", "DeepTech深科技")),
        ("owner/repo: description", ("owner/repo: description", None)),
    ],
)
def test_the_source_is_what_follows_the_last_spaced_bar(text, expected):
    assert split_source(text) == expected


def test_identity_lines_skip_summaries_and_prose():
    text = (
        "- [A | B](https://example.com/a)  \n论文：https://arxiv.org/abs/2001.00001  \n"
        "摘要：see https://example.com/b and 代码：https://github.com/o/r  \n"
        "更多评价见知乎：很好，https://example.com/c  \n备注：https://example.com/d  \n"
    )
    assert identity_lines(text) == ["https://example.com/a", "https://arxiv.org/abs/2001.00001"]


def _tally(path: Path) -> set[str]:
    """An independent count of the published links of one issue: every http(s) URL on a top-level
    list line or on a `label：URL` line, between the first section heading and the footer."""
    found: set[str] = set()
    inside = False
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("## "):
            inside = "往期回顾" not in line
            continue
        if line.startswith("# "):
            inside = False
        if not inside:
            continue
        labelled = re.match(
            r"^([^\s：:，。、；\-\[][^：:，。、；]{0,19}?) ?[：:] ?(\[[^\]]*\]\()?(https?://[^\s)]+)\)?\s*$", line
        )
        if line.startswith("- "):
            found.update(u.rstrip(".,;:!?*_~") for u in re.findall(r"https?://[^\s()\[\]<>\"'，。；：、（）]+", line))
        elif labelled and not labelled.group(1).startswith(("摘要", "备注")):
            found.add(labelled.group(3).rstrip(".,;:!?*_~"))
    return found


def test_every_published_link_is_indexed(published, tmp_path):
    index = load_archive(published, None)
    files = sorted(published.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].md"))
    assert len({e.date for e in index.entries}) == len(files)
    total = 0
    for path in files:
        expected = _tally(path)
        date = path.stem
        got = {u for e in index.entries if e.date == date for u in e.urls}
        assert got == expected, f"{path.name}: missing {sorted(expected - got)[:3]}, extra {sorted(got - expected)[:3]}"
        total += len(expected)
    assert total > 700  # 37 issues, about 20 links each
    for entry in index.entries:
        for url in entry.urls:
            key = archive.url_identity(url)
            if key:
                assert entry in index.featured(key)


def test_the_same_paper_and_repository_under_other_urls_are_recognized(published):
    index = load_archive(published, None)
    # 2020-08-26 features 2008.04175v1 with its code repository jonasrauber/eagerpy.
    for url in (
        "https://arxiv.org/abs/2008.04175",
        "https://arxiv.org/pdf/2008.04175.pdf",
        "http://arxiv.org/abs/2008.04175v3",
        "https://arxiv.org/html/2008.04175v1",
    ):
        assert [e.date for e in index.featured(archive.url_identity(url))] == ["2020-08-26"], url
    for url in (
        "https://github.com/jonasrauber/eagerpy/tree/master/eagerpy",
        "https://github.com/JonasRauber/EagerPy/blob/main/README.md",
    ):
        assert "2020-08-26" in [e.date for e in index.featured(archive.url_identity(url))], url
    assert index.featured("arxiv:1234.56789") == []


def _web(key: str, **fields) -> tuple[str, FetchResult]:
    return "web", FetchResult(key=key, record=WebRecord(**fields))


def test_wechat_short_and_long_links_are_one_article_once_fetched(tmp_path):
    short = "https://mp.weixin.qq.com/s/AbCdEfGh123"
    long = "https://mp.weixin.qq.com/s?__biz=MzA3MzI4MjgzMw==&mid=2650781234&idx=1&sn=0123abcd&chksm=ff#rd"
    index = ArchiveIndex(parse_issue(ISSUE, "2020-05-15"))
    assert index.featured(archive.url_identity(long)) == []  # nothing tells them apart yet
    cache = Cache(tmp_path / "cache")
    cache.store_many([_web(f"web:{short}", canonical_url=long, site_name="机器之心")])
    folder = tmp_path / "issues"
    folder.mkdir()
    (folder / "2020-05-15.md").write_text(ISSUE, encoding="utf-8")
    index = load_archive(folder, cache)
    assert [e.title for e in index.featured(archive.url_identity(long))] == ["轻量化网络"]
    cache.close()


def test_a_renamed_repository_is_found_under_both_names():
    aliases = alias_pairs([("github:alibaba/mnn", GithubRecord(full_name="alibaba/MNN-New", renamed_from="alibaba/MNN"))])
    index = ArchiveIndex(parse_issue(ISSUE, "2020-05-15"), aliases=aliases)
    assert [e.date for e in index.featured("github:alibaba/mnn-new")] == ["2020-05-15"]


def test_zhihu_answers_are_one_item_under_either_url():
    key = archive.url_identity("https://www.zhihu.com/question/347692093/answer/12345")
    assert key == archive.url_identity("https://www.zhihu.com/answer/12345") == "zhihu:answer:12345"


def test_the_index_is_parsed_again_only_for_changed_files(tmp_path, monkeypatch):
    folder = tmp_path / "issues"
    folder.mkdir()
    (folder / "2020-05-15.md").write_text(ISSUE, encoding="utf-8")
    (folder / "2020-06-03.md").write_text(ISSUE.replace("2020-05-15", "2020-06-03"), encoding="utf-8")
    parsed: list[str] = []
    real = archive._parse_file
    monkeypatch.setattr(archive, "_parse_file", lambda path, data: parsed.append(path.name) or real(path, data))
    cache = Cache(tmp_path / "cache")
    first = load_archive(folder, cache)
    assert sorted(parsed) == ["2020-05-15.md", "2020-06-03.md"]
    parsed.clear()
    assert load_archive(folder, cache).entries == first.entries and parsed == []
    os.utime(folder / "2020-05-15.md", (1, 1))  # touched, same bytes: no parse
    assert load_archive(folder, cache).entries == first.entries and parsed == []
    (folder / "2020-06-03.md").write_text(ISSUE.replace("2020-05-15", "2020-06-03").replace("IT之家", "ITHome"), encoding="utf-8")
    changed = load_archive(folder, cache)
    assert parsed == ["2020-06-03.md"]
    assert "ITHome" in {e.source for e in changed.entries}
    (folder / "2020-05-15.md").unlink()
    assert {e.date for e in load_archive(folder, cache).entries} == {"2020-06-03"}
    cache.close()


def test_a_missing_archive_folder_is_a_clear_error(tmp_path):
    with pytest.raises(archive.ArchiveError, match="does not exist"):
        load_archive(tmp_path / "nope", None)


def test_source_names_are_learned_by_domain_and_account():
    issue = ISSUE + "".join(
        f"\n## 博文\n\n- [Post {n} | {name}](https://blog.example.org/{n})  \n"
        for n, name in enumerate(["Example Blog", "Example Blog", "Someone"])
    )
    index = ArchiveIndex(parse_issue(issue.replace("## [往期回顾]", "## 往期"), "2020-05-15"))
    long = "https://mp.weixin.qq.com/s?__biz=MzA3MzI4MjgzMw==&mid=1&idx=1&sn=2"
    pages = {"web:https://mp.weixin.qq.com/s/AbCdEfGh123": WebRecord(canonical_url=long, site_name="机器之心Pro")}
    names = learn_names(index, pages)
    assert names.by_domain["blog.example.org"] == "Example Blog"
    assert "devblogs.nvidia.com" not in names.by_domain  # one article is no habit yet
    assert names.by_account["MzA3MzI4MjgzMw=="] == "机器之心"
    assert names.by_page_name["机器之心Pro"] == "机器之心"
    assert "InfoQ" not in names.printed and "IT之家" in names.printed
