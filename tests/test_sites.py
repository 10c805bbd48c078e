"""WeChat and Zhihu site rules, and the known-site-name table."""

import pytest

from pipeline.extract import PageUnavailable, extract_page
from pipeline.sites.names import known_site_name
from tests.pages import page

WECHAT = "https://mp.weixin.qq.com/s/AbCdEf"


def test_wechat_classic_article():
    record = extract_page(page("wechat_classic.html"), WECHAT, content_type="text/html; charset=utf-8")
    assert record.title == "端侧大模型推理提速 3 倍：量化实践"
    assert record.site_name == "嵌入式AI"  # the account, not og:site_name nor the ad block's nick_name
    assert record.author == "张三"
    assert record.published == "2025-11-11T12:09:03+08:00"
    assert record.description == "本文介绍 INT4 量化 & 算子融合的经验"
    assert record.canonical_url == "http://mp.weixin.qq.com/s?__biz=MzA5&mid=1&idx=1&sn=abc"
    assert record.url == WECHAT


def test_wechat_image_share():
    record = extract_page(page("wechat_image_share.html"), WECHAT)
    assert record.title == "周末去看了芯片展"
    assert record.site_name == "硬件笔记"
    assert record.published == "2025-11-05T18:30:00+08:00"
    # Markup in a share's description is dropped, its text kept: a summary holds no tag or entity.
    assert record.description == "第一行 第二行 粗体"


@pytest.mark.parametrize(
    "name, reason, permanent",
    [
        ("wechat_deleted.html", "article deleted by its author", True),
        ("wechat_verify.html", "blocked by WeChat's bot check", False),
    ],
)
def test_wechat_negative_pages(name, reason, permanent):
    with pytest.raises(PageUnavailable) as caught:
        extract_page(page(name), WECHAT)
    assert caught.value.reason == reason
    assert caught.value.permanent is permanent


def test_wechat_violation_names_the_reason():
    with pytest.raises(PageUnavailable) as caught:
        extract_page(page("wechat_violation.html"), WECHAT)
    assert caught.value.reason.startswith("article removed by WeChat for violating its rules")
    assert "涉嫌过度营销" in caught.value.reason
    assert caught.value.permanent


def test_wechat_unavailable_and_profile_pages():
    unavailable = "<html><head><title>该内容暂时无法查看</title></head><body><p>该内容暂时无法查看</p></body></html>"
    with pytest.raises(PageUnavailable) as caught:
        extract_page(unavailable.encode(), WECHAT)
    assert caught.value.reason == "article temporarily unavailable" and not caught.value.permanent
    about = "<html><head><title>关于公众号</title></head><body>公众号简介 微信号 认证主体</body></html>"
    with pytest.raises(PageUnavailable) as caught:
        extract_page(about.encode(), "https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz=MzA5")
    assert caught.value.reason == "not an article: a WeChat account profile page"


def test_zhihu_column_post():
    record = extract_page(page("zhihu_column.html"), "https://zhuanlan.zhihu.com/p/612345678")
    assert record.title == "在 MCU 上跑 Transformer 的七个坑"
    assert record.site_name == "知乎"
    assert record.author == "李四"
    assert record.published == "2023-11-15T06:13:20+08:00"


def test_zhihu_answer_with_cdata_and_inbox_prefix():
    record = extract_page(page("zhihu_answer.html"), "https://www.zhihu.com/question/600000001/answer/3000000002")
    assert record.title == "如何评价 RISC-V 在边缘 AI 上的前景？"
    assert record.author == "王五"
    assert record.site_name == "知乎"
    assert record.published == "2023-07-23T12:26:40+08:00"
    assert record.description == "生态正在成熟…"


def test_zhihu_title_without_state_loses_suffix_and_prefix():
    html = "<html><head><title>(99+ 封私信 / 87 条消息) 为什么 NPU 难用？ - 知乎</title></head><body></body></html>"
    assert extract_page(html.encode(), "https://www.zhihu.com/question/1").title == "为什么 NPU 难用？"


@pytest.mark.parametrize("title", ["安全验证 - 知乎", "403 - 知乎"])
def test_zhihu_sign_in_wall(title):
    html = f"<html><head><title>{title}</title></head><body>登录知乎</body></html>"
    with pytest.raises(PageUnavailable) as caught:
        extract_page(html.encode(), "https://zhuanlan.zhihu.com/p/1")
    assert caught.value.reason == "blocked by Zhihu's sign-in wall" and not caught.value.permanent


def test_known_site_names_match_subdomains():
    assert known_site_name("www.infoq.cn") == "InfoQ"
    assert known_site_name("devblogs.nvidia.com") == "NVIDIA Developer"
    assert known_site_name("blog.research.google") == "Google AI Blog"
    assert known_site_name("notinfoq.cn") is None
    assert known_site_name("example.org") is None


def test_known_site_name_fills_a_page_without_one():
    html = "<html><head><title>机器之心发布 2024 报告</title></head><body><h1>2024 报告</h1></body></html>"
    assert extract_page(html.encode(), "https://www.jiqizhixin.com/articles/1").site_name == "机器之心"
