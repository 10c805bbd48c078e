"""Summary drafts: boilerplate removed, cut at sentence ends within the budget, never mid-word."""

from __future__ import annotations

import pytest

from pipeline.summary import (
    clean_text,
    draft_summary,
    format_count,
    github_facts,
    split_sentences,
)


@pytest.mark.parametrize("text, sentences", [
    ("One. Two! Three? Four.", ["One.", "Two!", "Three?", "Four."]),
    ("We use e.g. ResNet. It works.", ["We use e.g. ResNet.", "It works."]),
    ("Smith et al. Show this. Next.", ["Smith et al. Show this.", "Next."]),
    ("Speed-up of 3.5 times. Done.", ["Speed-up of 3.5 times.", "Done."]),
    ("Version 2. the rest follows.", ["Version 2. the rest follows."]),
    ("他说“好。”然后走了。真的吗？是的！", ["他说“好。”", "然后走了。", "真的吗？", "是的！"]),
    ("华为P30搭载麒麟980。该处理器采用7nm工艺", ["华为P30搭载麒麟980。", "该处理器采用7nm工艺"]),
    ("It said (see Fig. 2). Then.", ["It said (see Fig. 2).", "Then."]),
])
def test_sentence_split(text, sentences):
    assert split_sentences(text) == sentences


@pytest.mark.parametrize("raw, cleaned", [
    ("Abstract:  We   propose\n a method.", "We propose a method."),
    ("abstract. We propose.", "We propose."),
    ("点击上方蓝字关注我们。本文介绍ActNN。", "本文介绍ActNN。"),
    ("点击上方“机器之心”，选择“星标”公众号。正文。", "正文。"),
    ("本文介绍ActNN。点击阅读原文查看。", "本文介绍ActNN。"),
    ("作者的总结，从分布式机器学习…展开", "作者的总结，从分布式机器学习"),
    ("Great post. Click here to subscribe! More.", "Great post. More."),
    ("Great post. Share this article on Twitter. More.", "Great post. More."),
    ("", ""),
    (None, ""),
])
def test_clean_text(raw, cleaned):
    assert clean_text(raw) == cleaned


def test_english_budget_keeps_whole_sentences():
    sentences = [f"Sentence number {i} says something about neural network pruning methods." for i in range(10)]
    summary = draft_summary(" ".join(sentences))
    assert summary == " ".join(sentences[:3])
    assert len(summary) <= 320


def test_english_budget_stops_before_a_sentence_that_does_not_fit():
    text = "Short first. " + "A long second sentence " * 20 + "ends here. Third."
    assert draft_summary(text) == "Short first."


def test_chinese_budget():
    sentence = "随着超大规模深度学习模型逐渐成为趋势，如何在有限的内存下训练这些模型成为了一个难题。"  # 42 chars
    summary = draft_summary(sentence * 6)
    assert summary == sentence * 3
    long_sentence = "这是一个非常长的句子" * 30 + "。"
    assert draft_summary(sentence + long_sentence) == sentence


def test_first_sentence_over_budget_is_cut_at_a_word():
    text = "word " * 100 + "end."
    summary = draft_summary(text)
    assert summary.endswith("word…") and len(summary) <= 320
    cjk = draft_summary("长" * 500)
    assert len(cjk) == 200 and cjk.endswith("…")


def test_never_mid_word():
    text = "Supercalifragilistic " * 30
    summary = draft_summary(text)
    assert summary.endswith("Supercalifragilistic…")


@pytest.mark.parametrize("number, shown", [(0, "0"), (999, "999"), (1000, "1k"), (12345, "12.3k"),
                                           (1_250_000, "1.2M"), (3_000_000, "3M")])
def test_format_count(number, shown):
    assert format_count(number) == shown


def test_github_facts():
    record = {"language": "C++", "stars": 12345, "license": "Apache-2.0", "archived": False,
              "latest_release": {"tag": "v2.0", "name": "Release 2.0", "published_at": "2020-05-01T10:00:00Z"}}
    assert github_facts(record) == "C++ · ★ 12.3k · Apache-2.0 · 最新版本 v2.0（2020-05-01）"
    assert github_facts({"archived": True, "license": "NOASSERTION"}) == "已归档（archived）"
    assert github_facts({}) == ""
