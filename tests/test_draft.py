"""The draft's entry forms, skeleton, templates and JSON, checked against golden files."""

from __future__ import annotations

import json

import pytest

from pipeline.draft import entry_view, render_json, render_markdown
from pipeline.models import RECORD_TYPES, Diagnostic
from tests.draft_builders import arxiv_link, assert_golden, entry, github_link, web_link

DATE = "2020-05-15"

HRANK = entry(
    arxiv_link("2002.10179"),
    {
        "id": "2002.10179",
        "version": 2,
        "title": "HRank: Filter Pruning using\n  High-Rank Feature Map",
        "authors": ["Mingbao Lin"],
        "venue": "CVPR 2020",
        "abstract": "Abstract: Neural network pruning offers a promising prospect to facilitate deploying "
        "deep neural networks on resource-limited devices. However, existing methods are still "
        "challenged by the training inefficiency and labor cost in pruning designs, due to "
        "missing theoretical guidance of non-salient network components. In this paper, we "
        "propose a novel filter pruning method by exploring the High Rank of feature maps (HRank).",
        "code_urls": ["https://github.com/lmbxmu/HRank", "https://github.com/lmbxmu/HRank/tree/master"],
    },
    line=3,
    note="CVPR2020 oral, check the ImageNet numbers",
)

EAGERPY = entry(
    arxiv_link("2008.04175v1"),
    {
        "id": "2008.04175",
        "version": 1,
        "title": "EagerPy: Writing Code That Works Natively with PyTorch, TensorFlow, JAX, and NumPy",
        "abstract": "EagerPy is a Python framework that lets you write code that automatically works "
        "natively with PyTorch, TensorFlow, JAX, and NumPy.",
        "code_urls": ["https://github.com/jonasrauber/eagerpy"],
    },
    line=4,
)

MINGPT = entry(
    github_link("karpathy/minGPT"),
    {
        "full_name": "karpathy/minGPT",
        "html_url": "https://github.com/karpathy/minGPT",
        "description": "A minimal PyTorch re-implementation of the OpenAI GPT (Generative Pretrained Transformer) training",
        "language": "Python",
        "stars": 12345,
        "license": "MIT",
        "archived": False,
        "latest_release": None,
        "readme": "A PyTorch re-implementation of [GPT](https://github.com/openai/gpt-2), both training and "
        "inference. minGPT tries to be **small**, clean, interpretable and educational, as most of "
        "the currently available GPT model implementations can a bit sprawling.",
    },
    line=6,
)

RENAMED = entry(
    github_link("microsoft/SuperBench"),
    {
        "full_name": "microsoft/superbenchmark",
        "html_url": "https://github.com/microsoft/superbenchmark",
        "renamed_from": "microsoft/SuperBench",
        "archived": True,
        "description": "A validation and profiling tool for AI infrastructure, see arXiv:2401.01234",
        "homepage": "https://microsoft.github.io/superbenchmark/",
        "language": "Python",
        "stars": 250,
        "license": "MIT",
        "latest_release": {"tag": "v0.10.0", "name": "v0.10.0", "published_at": "2024-01-09T08:00:00Z"},
    },
    line=7,
)

WECHAT = entry(
    web_link("https://mp.weixin.qq.com/s/hdulZ39EXSNnojQJ9HH4Tg"),
    {
        "url": "https://mp.weixin.qq.com/s/hdulZ39EXSNnojQJ9HH4Tg",
        "title": "伯克利大学ActNN：节省显存新思路，在 PyTorch 里使用 2 bit 激活压缩训练神经网络",
        "site_name": "机器之心",
        "description": "点击上方蓝字关注我们。随着超大规模深度学习模型逐渐成为 AI 的趋势，如何在有限的 GPU 内存下训练这些模型成为了一个难题。"
        "本文将介绍来自加州伯克利大学的 ActNN。阅读原文",
    },
    line=9,
    section="论文",
    extras=[arxiv_link("2104.14129"), github_link("ucbrise/actnn")],
    extra_records={
        "arxiv:2104.14129": {
            "id": "2104.14129",
            "title": "ActNN: Reducing Training Memory Footprint via 2-Bit Activation Compressed Training",
            "venue": "ICML 2021",
            "code_urls": ["https://github.com/ucbrise/actnn", "https://github.com/other/extra"],
        }
    },
)

ZHIHU = entry(
    web_link("https://zhuanlan.zhihu.com/p/104444471"),
    {
        "title": "MLsys各方向综述",
        "site_name": None,
        "description": "作者以自己的角度，写了当前MLsys的各方向的总结，从分布式机器学习、深度学习模型压缩加速，再到框架系统设计。",
    },
    line=11,
)

NEWS = entry(
    web_link("https://devblogs.nvidia.com/cuda-11-features-revealed/"),
    {
        "title": "CUDA 11 Features Revealed",
        "site_name": "NVIDIA Developer",
        "description": "The A100 GPU has revolutionary hardware capabilities and we're excited to "
        "announce CUDA 11 in conjunction with A100.",
    },
    line=2,
    section="业界新闻",
    extras=[web_link("https://blog.tensorflow.org/2020/04/whats-new-in-tflite.html"), web_link("https://www.wemagine.ai/")],
)

FAILED = entry(
    web_link("https://mp.weixin.qq.com/s/deleted"), None, line=12, status="failed", error="article deleted by its author"
)

ALL = [NEWS, HRANK, EAGERPY, WECHAT, MINGPT, RENAMED, ZHIHU, FAILED]


def md(*entries, **kw):
    return render_markdown(list(entries), date=DATE, **kw)


def body(text: str) -> str:
    """The entry lines of a one-entry draft (between the section heading and the next blank)."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("- ["))
    end = lines.index("", start)
    return "\n".join(lines[start:end])


def test_skeleton_of_a_new_draft():
    text = md()
    assert_golden("skeleton.md", text)
    assert text.startswith("---\nlayout: default\n---\n\n# 嵌入式AI简报 (2020-05-15)  \n")
    assert "**关注模型压缩、低比特量化、移动端推理加速优化、部署**  \n" in text
    assert "> 导读：本期0条。【新闻】" in text
    headings = [line for line in text.split("\n") if line.startswith("## ")]
    assert headings == ["## 业界新闻  ", "## 论文  ", "## 开源项目  ", "## 博文  "]
    assert "enrich:failed" not in text


def test_paper_with_venue_tag_and_code_line():
    text = body(md(HRANK))
    assert_golden("paper.md", text + "\n")
    lines = text.split("\n")
    assert lines[0] == (
        "- [CVPR 2020][2002.10179] [HRank: Filter Pruning using High-Rank Feature Map](https://arxiv.org/abs/2002.10179)  "
    )
    assert lines[1] == "代码：https://github.com/lmbxmu/HRank  "  # the /tree/ form is the same repo
    assert lines[2].startswith("摘要：Neural network pruning") and "Abstract:" not in lines[2]
    assert lines[2].endswith("〔待编辑〕  ")
    assert lines[3] == "备注：CVPR2020 oral, check the ImageNet numbers  "


def test_pinned_paper_keeps_its_version():
    text = body(md(EAGERPY))
    assert_golden("paper-pinned.md", text + "\n")
    assert text.startswith("- [2008.04175v1] [EagerPy: ")


def test_open_source_form():
    text = body(md(MINGPT))
    assert_golden("repo.md", text + "\n")
    assert text.split("\n")[0] == (
        "- [karpathy/minGPT: A minimal PyTorch re-implementation of the OpenAI GPT "
        "(Generative Pretrained Transformer) training](https://github.com/karpathy/minGPT)  "
    )
    assert "Python · ★ 12.3k · MIT" in text


def test_renamed_archived_repo_uses_current_name_and_names_its_paper():
    text = body(md(RENAMED))
    assert_golden("repo-renamed.md", text + "\n")
    assert text.startswith("- [microsoft/superbenchmark: A validation")
    assert "(https://github.com/microsoft/superbenchmark)" in text
    assert "论文：https://arxiv.org/abs/2401.01234  " in text
    assert "已归档（archived）" in text and "最新版本 v0.10.0（2024-01-09）" in text
    assert "原名 microsoft/SuperBench" in text


def test_wechat_article_with_account_and_extra_links():
    text = body(md(WECHAT))
    assert_golden("wechat.md", text + "\n")
    lines = text.split("\n")
    assert lines[0].startswith("- [ICML 2021][2104.14129] [伯克利大学ActNN：")
    assert lines[0].endswith(" | 机器之心](https://mp.weixin.qq.com/s/hdulZ39EXSNnojQJ9HH4Tg)  ")
    assert lines[1:5] == [
        "标题：ActNN: Reducing Training Memory Footprint via 2-Bit Activation Compressed Training  ",
        "论文：https://arxiv.org/abs/2104.14129  ",
        "代码：https://github.com/ucbrise/actnn  ",
        "代码：https://github.com/other/extra  ",
    ]
    assert "点击上方" not in text and "阅读原文" not in text


def test_repo_write_up_in_open_source_gets_the_repo_prefix():
    item = entry(
        web_link("https://mp.weixin.qq.com/s/aPA0PEqVn509u3xbgmhIwQ"),
        {"title": "特斯拉AI总监Karpathy写了个GPT的Pytorch训练库，仅300行代码", "site_name": "机器之心"},
        section="开源项目",
        extras=[github_link("karpathy/mingpt")],
        extra_records={
            "github:karpathy/mingpt": {"full_name": "karpathy/minGPT", "html_url": "https://github.com/karpathy/minGPT"}
        },
    )
    lines = body(md(item)).split("\n")
    assert lines[0] == (
        "- [karpathy/minGPT: 特斯拉AI总监Karpathy写了个GPT的Pytorch训练库，仅300行代码 | 机器之心]"
        "(https://mp.weixin.qq.com/s/aPA0PEqVn509u3xbgmhIwQ)  "
    )
    assert lines[1] == "代码：https://github.com/karpathy/minGPT  "


def test_zhihu_source_is_zhihu():
    text = body(md(ZHIHU))
    assert_golden("zhihu.md", text + "\n")
    assert text.startswith("- [MLsys各方向综述 | 知乎](https://zhuanlan.zhihu.com/p/104444471)  ")


def test_multi_link_news_entry_labels_by_kind():
    text = body(md(NEWS))
    assert_golden("news-multilink.md", text + "\n")
    assert "博客：https://blog.tensorflow.org/2020/04/whats-new-in-tflite.html  " in text
    assert "链接：https://www.wemagine.ai/  " in text


def test_full_draft_and_failures_block():
    text = md(*ALL, diagnostics=[Diagnostic("no URL on this line", line=5)])
    assert_golden("full.md", text)
    start = text.index("<!-- enrich:failed")
    block = text[start:]
    assert block.rstrip("\n").endswith("<!-- /enrich:failed -->")
    assert "第 12 行：https://mp.weixin.qq.com/s/deleted — article deleted by its author" in block
    assert "第 5 行：no URL on this line" in block
    assert "mp.weixin.qq.com/s/deleted" not in text[:start]  # not in its section
    assert "本期7条" in text
    for line in text[: text.index("<!-- enrich:failed")].split("\n")[4:]:
        if line and not line.startswith("<!--"):
            assert line.endswith("  ") and not line.endswith("   "), line


def test_sections_in_fixed_order_then_custom():
    custom = entry(web_link("https://example.com/app"), {"title": "An app"}, section="应用")
    text = md(custom, MINGPT, NEWS)
    headings = [line.strip() for line in text.split("\n") if line.startswith("## ")]
    assert headings == ["## 业界新闻", "## 论文", "## 开源项目", "## 博文", "## 应用"]
    assert text.count("<!-- 本节暂无条目 -->") == 2


def test_plain_english_template():
    text = md(*ALL, template="plain")
    assert_golden("plain.md", text)
    assert text.startswith("# Link digest (2020-05-15)\n")
    assert [line for line in text.split("\n") if line.startswith("## ")][:4] == [
        "## News",
        "## Papers",
        "## Open source",
        "## Blog posts",
    ]
    assert "- [MLsys各方向综述](https://zhuanlan.zhihu.com/p/104444471) — 知乎" in text


def test_template_from_a_file(tmp_path):
    path = tmp_path / "mine.md.j2"
    path.write_text(
        "{% for s in sections %}{% for e in s.entries %}* {{ e.title }} <{{ e.url }}>\n{% endfor %}{% endfor %}", encoding="utf-8"
    )
    assert md(ZHIHU, template=str(path)) == "* MLsys各方向综述 <https://zhuanlan.zhihu.com/p/104444471>\n"
    with pytest.raises(ValueError, match="no such template"):
        md(ZHIHU, template=str(tmp_path / "missing.j2"))


def test_code_line_skipped_when_repo_is_another_entry():
    repo = entry(github_link("lmbxmu/HRank"), {"full_name": "lmbxmu/HRank", "description": "HRank code"})
    view = entry_view(HRANK, [HRANK.source.main.key, repo.source.main.key])
    assert view.links == []
    alone = entry_view(HRANK, [HRANK.source.main.key])
    assert [(link.label, link.url) for link in alone.links] == [("代码", "https://github.com/lmbxmu/HRank")]


def test_no_link_said_twice_in_one_entry():
    paper = entry(
        arxiv_link("2002.10179"),
        HRANK.record,
        extras=[github_link("lmbxmu/HRank"), arxiv_link("2002.10179v2"), github_link("LMBXMU/hrank")],
    )
    view = entry_view(paper, [])
    assert [link.label for link in view.links] == ["代码"]


def test_entry_without_record_falls_back_to_its_url():
    text = body(md(entry(web_link("https://example.com/x"), None)))
    assert text.split("\n") == ["- [https://example.com/x](https://example.com/x)  ", "摘要：〔待编辑〕  "]


def test_json_document():
    document = json.loads(render_json(ALL))
    first = document["entries"][1]
    assert list(first) == [
        "key",
        "kind",
        "section",
        "line",
        "url",
        "title",
        "source",
        "summary",
        "note",
        "links",
        "status",
        "error",
        "cached",
        "fetched_at",
        "record",
        "summary_source",
        "summary_numbers_unchecked",
        "featured_in",
        "follow_up",
    ]
    assert first["featured_in"] == [] and first["follow_up"] is False
    assert document["diagnostics"] == []
    assert first["key"] == "arxiv:2002.10179" and first["kind"] == "arxiv" and first["section"] == "论文"
    assert first["title"] == "HRank: Filter Pruning using High-Rank Feature Map"
    assert first["links"] == [{"label": "代码", "url": "https://github.com/lmbxmu/HRank", "key": "github:lmbxmu/hrank"}]
    assert "〔待编辑〕" not in first["summary"]
    assert first["record"]["venue"] == "CVPR 2020"
    failed = document["entries"][-1]
    assert failed["status"] == "failed" and failed["error"] == "article deleted by its author"
    assert failed["title"] is None and failed["record"] is None
    assert "机器之心" in render_json([WECHAT])  # UTF-8, not \\u escapes


@pytest.mark.parametrize(
    "record",
    [
        None,
        {},
        {
            "title": None,
            "description": None,
            "site_name": None,
            "full_name": None,
            "abstract": None,
            "code_urls": None,
            "latest_release": "v1",
            "stars": None,
            "venue": None,
        },
    ],
)
def test_records_with_missing_fields_still_render(record):
    def of(kind: str):  # the required fields are missing too: None, as a hostile row could hold
        return None if record is None else RECORD_TYPES[kind].from_dict({"id": None, "full_name": None, **record})

    for item in (
        entry(arxiv_link("2001.00001"), of("arxiv")),
        entry(github_link("o/r"), of("github")),
        entry(web_link("https://example.com/a"), of("web")),
    ):
        lines = body(md(item)).split("\n")
        assert lines[0].startswith("- [") and lines[-1] == "摘要：〔待编辑〕  "
        json.loads(render_json([item]))
