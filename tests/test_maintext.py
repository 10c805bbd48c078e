"""The article's main text: site rules (WeChat, Zhihu, CSDN, cnblogs), the generic path, boilerplate, charsets."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract import extract_page, extract_text
from pipeline.maintext import LEAD_CHARS, lead
from tests.pages import inline_page, page

WECHAT = "https://mp.weixin.qq.com/s/AbCdEf"
NOT_IN_A_SUMMARY = ("<", ">", "&lt;", "&amp;", "&quot;", "wx_topic_link")


# --- WeChat -----------------------------------------------------------------------------------


def test_wechat_article_keeps_the_body_without_follow_prompts_or_the_link_list_after_it():
    text = extract_text(page("wechat_article_text.html"), WECHAT)
    assert text is not None
    assert text.split("\n\n") == [
        "唤醒词检测是端侧语音的第一步，模型必须常驻内存。",
        "我们在 Cortex-M4 上把模型压到了 48KB，延迟 12ms。",
        "量化后精度只掉了 0.3 个点。#TinyML",
    ]


def test_wechat_text_share_takes_the_post_from_the_page_data_with_topic_text_and_no_tags():
    text = extract_text(page("wechat_text_share.html"), WECHAT)
    assert text == "周末把 RISC-V 板子跑通了\n\n用的是 #边缘AI 的开发板，功耗不到 1W。\n\n细节见评论区"


def test_wechat_image_share_has_no_js_content_and_takes_the_post_from_the_page_data():
    html = """<html><head><meta charset="utf-8"><title></title>
<meta property="og:title" content="展会随拍" /></head><body>
<div class="wx_follow_nickname">硬件笔记</div>
<script>var item_show_type = '8' || '';
window.cgiData = { picture_page_info_list: [], content_noencode: JsDecode('展台上最多的是端侧推理芯片。\\x0a\\x0a有三家在演示 1W 以内的语音模型。') };
</script></body></html>"""
    assert extract_text(html.encode(), WECHAT) == "展台上最多的是端侧推理芯片。\n\n有三家在演示 1W 以内的语音模型。"


def test_wechat_article_filled_by_script_reads_the_escaped_body():
    html = """<html><head><meta charset="utf-8"></head><body>
<div id="js_content" style="visibility: hidden;"></div>
<script>var item_show_type = "0";
window.cgiData = { content_noencode: JsDecode('\\x3csection\\x3e\\x3cp\\x3e转载的正文第一段。\\x3c/p\\x3e\\x3cp\\x3e第二段 \\x26amp; 结尾。\\x3c/p\\x3e\\x3c/section\\x3e') };
</script></body></html>"""
    assert extract_text(html.encode(), WECHAT) == "转载的正文第一段。\n\n第二段 & 结尾。"


def test_wechat_topic_link_in_a_description_keeps_its_text_and_loses_its_markup():
    record = extract_page(page("wechat_text_share.html"), WECHAT)
    assert record.description == "周末把 RISC-V 板子跑通了 用的是 #边缘AI 的开发板"
    assert not any(bad in record.description for bad in NOT_IN_A_SUMMARY)


def test_wechat_deleted_page_has_no_text():
    assert extract_text(page("wechat_deleted.html"), WECHAT) is None


# --- Zhihu, CSDN, cnblogs -----------------------------------------------------------------


def _zhihu_state(entities: dict) -> str:
    data = json.dumps({"initialState": {"entities": entities}}, ensure_ascii=False)
    return f'<script id="js-initialData" type="text/json">{data}</script>'


def test_zhihu_answer_text_comes_whole_from_the_state_json_not_the_collapsed_render():
    content = "<p>先说结论：能跑，但要量化。</p><p>细节见<a href='https://example.org'>这篇文章</a>。</p>"
    state = _zhihu_state({"answers": {"222": {"content": content}}, "questions": {}, "articles": {}})
    html = inline_page(
        "<title>MCU 能跑大模型吗？ - 知乎</title>",
        f'<div class="AnswerCard"><div class="RichContent-inner">先说结论：能跑…</div></div>{state}',
    )
    text = extract_text(html, "https://www.zhihu.com/question/111/answer/222")
    assert text == "先说结论：能跑，但要量化。\n\n细节见这篇文章。"


def test_zhihu_column_without_content_in_its_state_reads_the_rendered_post():
    state = _zhihu_state({"articles": {"333": {"title": "标题"}}})
    html = inline_page(
        "<title>七个坑 - 知乎</title>",
        '<div class="Post-Header"><h1 class="Post-Title">七个坑</h1></div>'
        '<div class="Post-RichText"><p>第一个坑是内存对齐。</p><h2>小结</h2><p>先量化再裁剪。</p></div>'
        f'<div class="Recommendations-Main"><a href="/p/9">另一篇文章</a></div>{state}',
    )
    assert extract_text(html, "https://zhuanlan.zhihu.com/p/333") == "第一个坑是内存对齐。\n\n小结\n\n先量化再裁剪。"


def test_zhihu_legacy_answer_page():
    html = inline_page(
        "<title>问题 - 张三的回答 - 知乎</title>",
        '<div id="zh-question-detail"><div class="zm-editable-content">问题的补充说明</div></div>'
        '<div class="zm-item-answer"><div class="zm-editable-content">回答的第一段。<br>回答的第二段。</div></div>',
    )
    assert extract_text(html, "http://www.zhihu.com/question/1/answer/2") == "回答的第一段。\n\n回答的第二段。"


def test_csdn_post_drops_code_line_numbers_and_copy_buttons():
    html = inline_page(
        "<title>交叉编译笔记-CSDN博客</title>",
        '<h1 id="articleContentId" class="title-article">交叉编译笔记</h1>'
        '<div id="content_views"><p>先装工具链。</p><pre><code>make -j4</code>'
        '<ul class="pre-numbering"><li>1</li></ul><div class="hljs-button">复制</div></pre></div>'
        '<div class="recommend-box"><a href="/x">相关推荐：另一篇</a></div>',
    )
    assert extract_text(html, "https://blog.csdn.net/u/article/details/1") == "先装工具链。\n\nmake -j4"


def test_cnblogs_post_body_only():
    html = page("cnblogs_post.html").replace(
        b'<div class="postBody"><pre>cmake ...</pre></div>',
        b'<div class="postBody"><div id="cnblogs_post_body"><p>\xe6\xad\xa3\xe6\x96\x87\xe3\x80\x82</p>'
        b'<div class="cnblogs_code"><div class="cnblogs_code_toolbar">copy</div><pre>cmake ..</pre></div></div></div>',
    )
    assert extract_text(html, "https://www.cnblogs.com/lao-zhou/p/1") == "正文。\n\ncmake .."


# --- the generic path ---------------------------------------------------------------------


def test_generic_article_keeps_the_body_and_leaves_every_kind_of_chrome_out():
    text = extract_text(page("news_article_body.html"), "https://chips.example/news/npu")
    assert text is not None
    paragraphs = text.split("\n\n")
    # The headline is the record's title; the text starts with the article itself.
    assert (
        paragraphs[0]
        == "A neural processing unit smaller than a grain of rice now ships inside a line of hearing aids, the maker said on Tuesday."
    )
    assert (
        "A neural processing unit smaller than a grain of rice now ships inside a line of hearing aids, the maker said on Tuesday."
        in paragraphs
    )
    assert (
        "The chip runs a denoising network at under one milliwatt, which the company says triples battery life compared with running the same model on the DSP."
        in paragraphs
    )
    assert "“We wanted speech to stay clear in a noisy restaurant,” the chief engineer said." in paragraphs
    assert "Process: 22 nm, with the weights held in on-chip SRAM." in paragraphs
    assert paragraphs[-1] == "Shipments start in May, with a developer kit to follow later this year."
    for chrome in (
        "Share on X",
        "Related stories",
        "Edge AI chips",
        "Great news",
        "Most read",
        "RISC-V everywhere",
        "Our editors picked",
        "Example Media",
        "Reviews",
        "By Jane Roe",
        "Tiny NPU",
    ):
        assert chrome not in text, chrome


def test_generic_page_without_an_article_element_finds_the_densest_paragraphs():
    links = "".join(f'<li><a href="/t/{i}">A fairly long teaser headline number {i} for the sidebar</a></li>' for i in range(30))
    body = (
        f'<div id="wrap"><div class="col-left"><ul>{links}</ul></div>'
        '<div class="col-main"><div class="box"><h1>Why quantization works</h1>'
        "<p>Weights of trained networks cluster tightly, so eight bits keep almost all of their information.</p>"
        "<p>Activations are harder, because outliers stretch the range, which is why per-channel scales help.</p>"
        '</div><div class="box"><p>Calibration data needs to look like production data, or the scales drift.</p></div></div>'
        '<div class="col-right"><p>Sponsored: buy our board, now with free shipping to many countries worldwide!</p></div></div>'
    )
    text = extract_text(inline_page("<title>Why quantization works</title>", body), "https://blog.example/q")
    assert text is not None
    assert "Weights of trained networks cluster tightly" in text
    assert "Calibration data needs to look like production data" in text
    assert "teaser headline" not in text and "free shipping" not in text


def test_generic_page_rendered_by_script_falls_back_to_json_ld_article_body():
    body_text = "First paragraph of the story, long enough to count as an article body for sure.\n\n" * 3
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": "H",
            "articleBody": body_text + "Last paragraph &amp; <b>done</b>.",
        }
    )
    html = inline_page(f'<script type="application/ld+json">{ld}</script>', '<div id="app">Loading…</div>')
    text = extract_text(html, "https://news.example/a")
    assert text is not None
    assert text.startswith("First paragraph of the story") and text.endswith("Last paragraph & done.")


def test_boilerplate_lines_and_a_closing_heading_with_nothing_under_it_are_dropped():
    body = (
        "<article><p>The first real paragraph of the article, with enough words to be the body.</p>"
        "<p>Share this article</p><p>点击上方蓝字关注我们</p><p>推荐阅读</p>"
        "<p>The second real paragraph of the article, also with enough words in it.</p>"
        "<p>Copyright 2026 Example Media. All rights reserved.</p><h2>Elsewhere on the site</h2></article>"
    )
    text = extract_text(inline_page("", body), "https://example.org/a")
    assert text == (
        "The first real paragraph of the article, with enough words to be the body.\n\n"
        "The second real paragraph of the article, also with enough words in it."
    )


def test_gbk_page_is_decoded():
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        '<title>芯片新闻</title></head><body><div class="nav"><a href="/">首页</a></div>'
        '<div class="content"><p>国产边缘计算芯片今日发布，功耗降低一半。</p>'
        "<p>该芯片面向智能摄像头与语音设备，预计明年量产。</p></div></body></html>"
    ).encode("gbk")
    assert extract_text(html, "http://news.example.cn/1.html") == (
        "国产边缘计算芯片今日发布，功耗降低一半。\n\n该芯片面向智能摄像头与语音设备，预计明年量产。"
    )


def test_gbk_page_without_a_declared_charset():
    text = extract_text(page("gbk_undeclared.html"), "http://news.example.cn/2.html")
    assert text is not None and "本次发布会介绍了新一代神经网络处理器" in text


@pytest.mark.parametrize(
    "html", [b"", b"   ", b"<html>", b"<html><head><title>t</title></head></html>", b"<html><body></body></html>"]
)
def test_pages_without_text_give_none_not_a_crash(html):
    assert extract_text(html, "https://example.org/") is None


# --- the lead kept in the record ----------------------------------------------------------


def test_lead_keeps_whole_paragraphs_up_to_the_limit():
    first, second, third = "a" * 3000, "b" * 900, "c" * 500
    assert lead(f"{first}\n\n{second}\n\n{third}") == f"{first}\n\n{second}"
    assert lead(None) is None


def test_a_first_paragraph_longer_than_the_limit_is_cut_at_a_sentence_end_or_a_space():
    sentences = "这是一个很长的句子，用来填满段落。" * 400  # 17 characters a sentence
    cut = lead(sentences)
    assert cut is not None and LEAD_CHARS // 2 < len(cut) <= LEAD_CHARS and cut.endswith("。")
    words = lead("word " * 1_000_000)
    assert words is not None and len(words) <= LEAD_CHARS + 1 and words.endswith("word…")


def test_extract_page_with_text_fills_the_record_from_the_same_page():
    html = page("news_article_body.html")
    record = extract_page(html, "https://chips.example/news/npu", with_text=True)
    assert record.title == "Tiny NPU ships in hearing aids"
    assert record.text == lead(extract_text(html, "https://chips.example/news/npu"))
    assert extract_page(html, "https://chips.example/news/npu").text is None


def test_text_written_with_line_breaks_straight_into_a_div_is_found():
    menu = "".join(f'<a href="/r/{i}">Regional news item number {i} with a long headline</a><br>' for i in range(40))
    body = (
        f'<div id="left">{menu}</div><div id="content"><h1>Rainy October</h1><div class="news_text">'
        "The weather is a good way to start a conversation, and October gave people plenty to talk about.<br><br>"
        "Instead of the usual autumn weather, the month brought a lot of rain and mild days.<br><br>"
        "The record was set on the coast, where the storm surge was the highest in decades.</div></div>"
    )
    text = extract_text(inline_page("<title>Rainy October</title>", body), "https://news.example/rain")
    assert text == (
        "The weather is a good way to start a conversation, and October gave people plenty to talk about.\n\n"
        "Instead of the usual autumn weather, the month brought a lot of rain and mild days.\n\n"
        "The record was set on the coast, where the storm surge was the highest in decades."
    )


_TAGS = [
    "<p>",
    "</p>",
    "<div class='share'>",
    "<div class='post-content'>",
    "</div>",
    "<br>",
    "<article>",
    "<h2>",
    "</h2>",
    "<li>",
    "<a href='/x'>",
    "</a>",
    "<script>",
    "<table><tr><td>",
    "<header>",
    "<nav>",
    '<script type="application/ld+json">{"articleBody": "',
    '<div id="js_content">',
    "<pre>",
    "<h1>",
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(_TAGS), st.text(max_size=80)), max_size=40),
    st.sampled_from(
        [
            "",
            "https://mp.weixin.qq.com/s/x",
            "https://www.zhihu.com/question/1/answer/2",
            "https://blog.csdn.net/a/article/details/1",
            "https://example.org/a",
        ]
    ),
)
def test_any_markup_gives_text_or_none_never_an_exception(pieces, url):
    text = extract_text("".join(pieces).encode("utf-8", "surrogatepass"), url)
    assert text is None or (text.strip() and "\n\n\n" not in text)
