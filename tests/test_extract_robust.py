"""extract_page meets any bytes and any URL with a record or PageUnavailable, never another exception."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extract import PageUnavailable, extract_page
from pipeline.models import WebRecord
from pipeline.sites.common import ParsedPage

# Real-shaped pages of the kinds the pipeline meets, written for these tests.
_WECHAT = """<!DOCTYPE html><html><head><meta charset="utf-8">
<meta property="og:title" content="端侧大模型推理优化">
<meta property="og:url" content="http://mp.weixin.qq.com/s?__biz=MzA5&amp;mid=1&amp;idx=1&amp;sn=ab">
<script src="https://res.wx.qq.com/mmbizwap/zh_CN/htmledition/js/a.js"></script></head>
<body><div class="rich_media"><h1 class="rich_media_title" id="activity-name">端侧大模型推理优化</h1>
<a id="js_name">嵌入式AI</a><em id="publish_time">2024-05-02 09:30</em>
<div id="js_content"><p>正文第一段。</p></div></div>
<script>var msg_title = '端侧大模型推理优化'; var nickname = "嵌入式AI"; var ct = "1714613400";
var msg_desc = "摘要\\x26amp;描述";</script></body></html>"""

_NEWS = """<!doctype html><html lang="en"><head><title>Tiny NPU ships | Example Times</title>
<meta property="og:title" content="Tiny NPU ships"><meta property="og:site_name" content="Example Times">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
"headline":"Tiny NPU ships","datePublished":"2024-05-02T09:30:00+02:00",
"author":{"@type":"Person","name":"Ada Lovelace"},"publisher":{"@type":"Organization","name":"Example Times"}}
</script></head><body><header><h1 class="logo"><a href="/">Example Times</a></h1></header>
<article><h1>Tiny NPU ships <a class="headerlink" href="#x">¶</a></h1><p>Text.</p></article></body></html>"""

_ZHIHU = """<html><head><title>如何评价端侧推理芯片？ - 知乎</title></head><body>
<h1 class="QuestionHeader-title">如何评价端侧推理芯片？</h1>
<script id="js-initialData" type="text/json">{"initialState":{"entities":{"answers":{}}}}</script>
</body></html>"""

_WAYBACK = """<html><head><script src="//archive.org/includes/analytics.js"></script>
<title>Old post - Example Blog</title><link rel="canonical" href="https://web.archive.org/web/20160101000000/http://blog.example.com/old"></head>
<body><!-- BEGIN WAYBACK TOOLBAR INSERT --><div id="wm-ipp"><h1>The Wayback Machine</h1></div>
<!-- END WAYBACK TOOLBAR INSERT --><h1>Old post</h1><p>Body.</p></body></html>"""

PAGES = [
    _WECHAT.encode(),
    _NEWS.encode(),
    _ZHIHU.encode(),
    _WAYBACK.encode(),
    _NEWS.encode("utf-16"),
    _WECHAT.encode("gb18030", "replace"),
]

URLS = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(
        [
            "https://mp.weixin.qq.com/s/abc",
            "https://www.zhihu.com/question/1",
            "https://news.example.com/a",
            "https://web.archive.org/web/20160101000000/http://blog.example.com/old",
            "https://web.archive.org/web/",
            "https://archive.ph/AbCd1",
            "https://archive.ph/2020.01.01-000000/",
            "http://[::1",
            "not a url",
            "https://\u00e9xample.com/\u4e2d",
            "javascript:alert(1)",
            "https:///nohost",
        ]
    ),
    st.text(max_size=80),
)


@st.composite
def mutated_pages(draw) -> bytes:
    """A fixture page cut, spliced with random bytes or with one of its parts repeated."""
    body = draw(st.sampled_from(PAGES))
    start = draw(st.integers(0, len(body)))
    end = draw(st.integers(start, len(body)))
    how = draw(st.sampled_from(["cut", "insert", "duplicate", "drop"]))
    if how == "cut":
        return body[:start]
    if how == "insert":
        return body[:start] + draw(st.binary(max_size=64)) + body[start:]
    if how == "duplicate":
        return body[:end] + body[start:end] + body[end:]
    return body[:start] + body[end:]


CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from(["text/html; charset=gbk", "text/html; charset=bogus", "text/html; charset=", "application/xhtml+xml"]),
    st.text(max_size=40),
)


def _extract_or_unavailable(body: bytes, url: str | None, content_type: str | None = None) -> None:
    try:
        record = extract_page(body, url, content_type=content_type)
    except PageUnavailable as exc:
        assert exc.reason
        return
    assert isinstance(record, WebRecord)
    assert record.url == url
    for value in record.to_dict().values():
        assert value is None or isinstance(value, str)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=mutated_pages(), url=URLS, content_type=CONTENT_TYPES)
def test_mutated_real_shaped_pages(body, url, content_type):
    _extract_or_unavailable(body, url, content_type)


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=512), url=URLS)
def test_random_bytes(body, url):
    _extract_or_unavailable(body, url)


@pytest.mark.parametrize("url", [None, "", "   ", "mp.weixin.qq.com/s/abc"])
def test_wechat_page_without_a_usable_url(url):
    record = extract_page(_WECHAT.encode(), url)
    assert record.title == "端侧大模型推理优化"
    assert record.url == url


def test_parsed_page_without_an_address_has_no_host():
    page = ParsedPage("<title>x</title>", None)  # type: ignore[arg-type]
    assert page.url == "" and page.host == ""


def test_text_is_read_as_utf8_and_other_objects_are_refused():
    assert extract_page(_NEWS, "https://news.example.com/a") == extract_page(_NEWS.encode(), "https://news.example.com/a")
    with pytest.raises(PageUnavailable, match="not bytes"):
        extract_page(None, "https://news.example.com/a")  # type: ignore[arg-type]
