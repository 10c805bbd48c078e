"""Summary drafts: boilerplate removed, cut at sentence ends within the budget, never mid-word."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.models import ArxivRecord, GithubRecord, WebRecord
from pipeline.summary import (
    clean_text,
    draft_summary,
    format_count,
    github_facts,
    page_summary,
    paper_summary,
    paper_title,
    repository_summary,
    split_sentences,
)


@pytest.mark.parametrize(
    "text, sentences",
    [
        ("One. Two! Three? Four.", ["One.", "Two!", "Three?", "Four."]),
        ("We use e.g. ResNet. It works.", ["We use e.g. ResNet.", "It works."]),
        ("Smith et al. Show this. Next.", ["Smith et al. Show this.", "Next."]),
        ("Speed-up of 3.5 times. Done.", ["Speed-up of 3.5 times.", "Done."]),
        ("Version 2. the rest follows.", ["Version 2. the rest follows."]),
        ("他说“好。”然后走了。真的吗？是的！", ["他说“好。”", "然后走了。", "真的吗？", "是的！"]),
        ("华为P30搭载麒麟980。该处理器采用7nm工艺", ["华为P30搭载麒麟980。", "该处理器采用7nm工艺"]),
        ("It said (see Fig. 2). Then.", ["It said (see Fig. 2).", "Then."]),
    ],
)
def test_sentence_split(text, sentences):
    assert split_sentences(text) == sentences


@pytest.mark.parametrize(
    "raw, cleaned",
    [
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
    ],
)
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


@pytest.mark.parametrize(
    "number, shown", [(0, "0"), (999, "999"), (1000, "1k"), (12345, "12.3k"), (1_250_000, "1.2M"), (3_000_000, "3M")]
)
def test_format_count(number, shown):
    assert format_count(number) == shown


def test_github_facts():
    record = GithubRecord(
        full_name="o/r",
        language="C++",
        stars=12345,
        license="Apache-2.0",
        archived=False,
        latest_release={"tag": "v2.0", "name": "Release 2.0", "published_at": "2020-05-01T10:00:00Z"},
    )
    assert github_facts(record) == "C++ · ★ 12.3k · Apache-2.0 · 最新版本 v2.0（2020-05-01）"
    assert github_facts(GithubRecord(full_name="o/r", archived=True, license="NOASSERTION")) == "已归档（archived）"
    assert github_facts(GithubRecord(full_name="o/r")) == ""


# ---------------------------------------------------------------------------------------------
# Cleaning and cutting, whatever the text

_SENTENCE_END = re.compile(r"(?:[。！？｡।॥։።။۔؟‼⁇⁈⁉]|(?<!\.)[.!?])[”’」』）)\"'\]》】]*$")
_WORD = re.compile(r"[^\W\d_]|\d")

_TOKENS = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGH", min_size=1, max_size=12),
    st.text(alphabet="模型压缩量化推理加速部署芯片", min_size=1, max_size=10),
    st.sampled_from(
        [
            ".",
            "!",
            "?",
            "。",
            "！",
            "？",
            "؟",
            "।",
            ",",
            "，",
            "...",
            "…",
            "e.g.",
            "3.5",
            '<a class="wx_topic_link">#AI</a>',
            "&lt;b&gt;",
            "&amp;",
            "&amp;lt;p&amp;gt;",
            "\\x26lt;a\\x26gt;",
            "a < b",
            "摄影：张三",
            "点击上方蓝字关注我们",
            "هل",
            "नमस्ते",
            "\n\n",
            "“",
            "”",
            "(",
            ")",
        ]
    ),
)
_TEXTS = st.lists(_TOKENS, max_size=80).map(" ".join)


def _wordish(char: str) -> bool:
    return bool(_WORD.match(char)) and not ("\u4e00" <= char <= "\u9fff")


@settings(max_examples=400, deadline=None)
@given(text=_TEXTS, complete=st.booleans(), budget=st.sampled_from([None, 40, 120]))
def test_every_summary_is_clean_and_ends_at_a_sentence_end_or_with_an_ellipsis(text, complete, budget):
    summary = draft_summary(text, complete=complete, budget=budget)
    assert "<" not in summary and "&lt;" not in summary and "&amp;" not in summary
    if not summary:
        return
    cleaned = clean_text(text)
    assert len(summary) <= (budget or 320)
    if summary.endswith("…"):
        head = summary[:-1]
        # Never mid-word: the text goes on after the kept words with a break between words.
        assert cleaned.startswith(head)
        assert not (_wordish(head[-1]) and len(cleaned) > len(head) and _wordish(cleaned[len(head)]))
    elif not _SENTENCE_END.search(summary):
        # Only a complete text may end without a mark: where its author ended it.
        assert complete and summary == cleaned


# ---------------------------------------------------------------------------------------------
# Each kind's material


def test_paper_latex_becomes_unicode():
    record = ArxivRecord(
        id="1",
        title="$ω$Test: WebView-Oriented Testing",
        abstract="We propose $ω$Test, which bounds the $\\ell_1$ norm in $O(n^2)$ time with 50% less memory. It \\emph{works}.",
    )
    assert paper_title(record) == "ωTest: WebView-Oriented Testing"
    summary = paper_summary(record)
    assert summary == "We propose ωTest, which bounds the ℓ1 norm in O(n²) time with 50% less memory. It works."
    assert paper_summary(ArxivRecord(id="1", abstract="It costs $5 and $10 a month.")) == "It costs $5 and $10 a month."
    # Comparisons are no tags: the words between them stay.
    assert paper_summary(ArxivRecord(id="1", abstract="We prove $x<y$ and $z>w$ for all inputs.")) == (
        "We prove x＜y and z>w for all inputs."
    )


def test_repository_summary_adds_the_readme_paragraph():
    record = GithubRecord(
        full_name="o/r",
        description="Tiny inference engine for microcontrollers",
        readme="**TinyEngine** runs [int8 models](https://example.org/docs) on Cortex-M in 256 KB "
        "of SRAM. ![badge](https://img.shields.io/x.svg) It needs no OS.",
    )
    assert repository_summary(record) == [
        "Tiny inference engine for microcontrollers",
        "TinyEngine runs int8 models on Cortex-M in 256 KB of SRAM. It needs no OS.",
    ]
    # A README that only repeats the description adds nothing; no README, no second paragraph.
    assert repository_summary(replace(record, readme="Tiny inference engine for microcontrollers.")) == [
        "Tiny inference engine for microcontrollers"
    ]
    assert repository_summary(GithubRecord(full_name="o/r", description=None, readme=None)) == []


def test_wechat_page_without_description_gets_its_text_lead():
    record = WebRecord(
        url="https://mp.weixin.qq.com/s/abc",
        title="端侧大模型部署实践",
        description=None,
        text="端侧大模型部署实践\n\n摄影：王五\n\n一、背景\n\n"
        "随着手机芯片算力提升，大模型开始在端侧运行。本文介绍我们的量化方案。效果如何？\n\n"
        "第二段讲具体做法。",
    )
    assert page_summary(record) == "随着手机芯片算力提升，大模型开始在端侧运行。本文介绍我们的量化方案。效果如何？"


def test_description_that_is_the_cut_off_lead_gives_way_to_the_text():
    text = "The new NPU runs transformer models at 2 W. It ships in phones next year. Vendors already sample it."
    cut = WebRecord(title="A new NPU", description="The new NPU runs transformer models at 2 W. It ships in ph", text=text)
    assert page_summary(cut) == text
    titled = replace(cut, text="A new NPU\n\nPhoto: Jane Doe\n\n" + text)
    assert page_summary(titled) == text
    own = WebRecord(title="A new NPU", description="An NPU for phones, explained.", text=text)
    assert page_summary(own) == "An NPU for phones, explained."


def test_site_truncated_description_loses_its_broken_tail():
    assert page_summary(WebRecord(description="Quantization works. Pruning is harder to deploy on mobi...")) == (
        "Quantization works."
    )
    assert page_summary(WebRecord(description="Pruning is harder to deploy on mobi...")) == "Pruning is harder to deploy on…"
    assert page_summary(WebRecord(description="模型剪枝在移动端部署更难，因为…")) == "模型剪枝在移动端部署更难，因为…"


def test_wechat_automatic_digest_counts_as_cut():
    # WeChat's 54-character digest stops anywhere, here in the middle of "S20".
    digest = "今天凌晨，芯片公司在旧金山举行发布会，正式发布旗下新一代旗舰手机芯片 Galaxy S20 系列机型，包括 S2"
    assert len(digest) in range(50, 61)
    summary = page_summary(WebRecord(url="https://mp.weixin.qq.com/s/x", description=digest))
    assert summary.endswith("包括…")
    assert page_summary(WebRecord(url="https://example.com/a", description=digest)) == digest


@pytest.mark.parametrize(
    "description, summary",
    [
        ("摄影：张三 今天发布了新一代端侧推理芯片。", "今天发布了新一代端侧推理芯片。"),
        ("文/李四 来源：新华社 边缘AI芯片出货量大增。", "边缘AI芯片出货量大增。"),
        ("【新智元导读】谷歌发布第五代TPU。", "谷歌发布第五代TPU。"),
        ("编者按：本文介绍模型量化。", "本文介绍模型量化。"),
        ("Photo by Jane Doe. The chip ships today.", "The chip ships today."),
        ("&lt;a class=&quot;wx_topic_link&quot;&gt;#端侧AI&lt;/a&gt; 新品发布。", "#端侧AI 新品发布。"),
        ("\\x26lt;a class=\\x26quot;wx_topic_link\\x26quot;\\x26gt;#话题\\x26lt;/a\\x26gt;今天发布。", "#话题 今天发布。"),
        ("R&amp;D spending grew. A &lt; B.", "R&D spending grew. A ＜ B."),
        ("هل يعمل النموذج على الهاتف؟ نعم، يعمل بسرعة. هذا رائع", "هل يعمل النموذج على الهاتف؟ نعم، يعمل بسرعة."),
        ("मॉडल फोन पर चलता है। यह तेज़ है। और", "मॉडल फोन पर चलता है। यह तेज़ है।"),
        ("新华社北京4月24日电（记者 张三）首届航天合作论坛开幕。", "首届航天合作论坛开幕。"),
        ("机器之心报道 机器之心编辑部 谷歌发布第五代TPU。", "谷歌发布第五代TPU。"),
        ("AUSTIN, Texas — Clean water gets cheaper. More soon.", "Clean water gets cheaper. More soon."),
        ("LONDON (Reuters) — Chips sold out.", "Chips sold out."),
        ("NASA — the agency flew a drone. It worked.", "NASA — the agency flew a drone. It worked."),
        ("涨了30%。[哇] 百度这几年很难。[苦涩]", "涨了30%。百度这几年很难。"),
        ("Visit the post for more.", ""),
    ],
)
def test_page_description_cleaning(description, summary):
    assert page_summary(WebRecord(title="A headline", description=description)) == summary


def test_no_repeat_of_the_title():
    record = WebRecord(title="Edge AI chips sell out", description="Edge AI chips sell out: makers promise more by May.")
    assert page_summary(record) == "makers promise more by May."
    cjk = WebRecord(title="端侧芯片售罄", description="端侧芯片售罄｜厂商承诺五月前补货。")
    assert page_summary(cjk) == "厂商承诺五月前补货。"
    heading = WebRecord(title="Data Echoing", description="Data Echoing New work reuses outputs of the pipeline.")
    assert page_summary(heading) == "New work reuses outputs of the pipeline."


@pytest.mark.parametrize(
    "record",
    [
        WebRecord(title="Data Echoing", description="Data echoing reuses outputs of the input pipeline."),
        WebRecord(title="端侧芯片售罄", description="端侧芯片售罄，厂商承诺五月前补货。"),
    ],
)
def test_a_title_that_is_the_sentences_subject_stays(record):
    assert page_summary(record) == record.description


def test_arabic_question_mark_ends_a_sentence():
    assert split_sentences("هل هذا صحيح؟ نعم.") == ["هل هذا صحيح؟", "نعم."]
    assert split_sentences("Wait... what? Yes.") == ["Wait... what?", "Yes."]


def test_cut_is_never_inside_a_latin_word_in_cjk_text():
    text = "本文介绍" + "在微控制器上运行" * 20 + "TensorFlowLiteMicro框架的方法"
    summary = draft_summary(text, budget=170)
    assert summary.endswith("…") and not summary[:-1].endswith(("Tensor", "TensorFlow", "TensorFlowLite"))
