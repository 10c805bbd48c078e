"""Generic extraction: ordered fallbacks, site-name removal, bot walls, decoding."""

import pytest

from pipeline.extract import PageUnavailable, extract_page, strip_site_affix
from tests.pages import inline_page, page


def test_news_page_with_json_ld_graph():
    record = extract_page(page("news_jsonld.html"), "https://news.example.com/2024/05/02/npu?utm_source=x")
    assert record.title == "Chipmaker Ships Tiny NPU for Hearing Aids"
    assert record.site_name == "Example Times"
    assert record.author == "Ada Lovelace"
    assert record.published == "2024-05-02T09:30:00+02:00"
    assert record.description == "A 1 mW neural accelerator & its SDK."
    assert record.canonical_url == "https://news.example.com/2024/05/tiny-npu"
    assert record.image == "https://news.example.com/img/npu.jpg"
    assert record.language == "en"


def test_page_with_only_an_h1():
    record = extract_page(page("only_h1.html"), "https://example.org/notes")
    assert record.title == "Notes on quantizing MobileNet & friends"
    assert record.site_name is None and record.published is None


def test_gbk_page_title_loses_section_and_site():
    record = extract_page(page("gbk_undeclared.html"), "https://www.example.cn/news/1.html")
    assert record.title == "边缘计算芯片发布会回顾"


def test_wrong_charset_page_is_readable():
    assert extract_page(page("wrong_charset.html"), "https://example.de/a").title == "Über Größenänderungen"


def test_cloudflare_wall_is_not_a_record():
    with pytest.raises(PageUnavailable) as caught:
        extract_page(page("cloudflare.html"), "https://example.com/post")
    assert caught.value.reason == "blocked by a bot check"
    assert caught.value.permanent is False


@pytest.mark.parametrize("title", ["Attention Required! | Cloudflare", "Access denied", "Please verify you are a human"])
def test_other_bot_walls(title):
    html = f"<html><head><title>{title}</title></head><body>Ray ID: 1</body></html>"
    with pytest.raises(PageUnavailable):
        extract_page(html.encode(), "https://example.com/post")


@pytest.mark.parametrize(
    "title, site, host, expected",
    [
        ("Tiny NPUs Are Here | Example Times", ["Example Times"], "example.com", "Tiny NPUs Are Here"),
        ("Ars Technica - Tiny NPUs", [], "arstechnica.com", "Tiny NPUs"),
        ("新闻标题_栏目_示例网", ["示例网"], "example.cn", "新闻标题"),
        ("Tiny NPUs :: Blog", ["Blog"], "blog.example", "Tiny NPUs"),
        ("Tiny NPUs ｜ 掘金", ["掘金"], "juejin.cn", "Tiny NPUs"),
        ("Left - Right: a debate", [], "example.com", "Left - Right: a debate"),  # no site part: kept
    ],
)
def test_strip_site_affix(title, site, host, expected):
    assert strip_site_affix(title, site, host) == expected


def test_meta_fallbacks_and_relative_urls():
    html = b"""<html lang="de_DE"><head>
    <meta name="citation_title" content="Sparse Kernels &amp;amp; You">
    <meta name="citation_author" content="Doe, J."><meta name="citation_author" content="Roe, R.">
    <meta name="citation_publication_date" content="2021/03/04">
    <meta name="twitter:image" content="//cdn.example.org/a.png">
    </head><body></body></html>"""
    record = extract_page(html, "https://papers.example.org/x")
    assert record.title == "Sparse Kernels & You"
    assert record.author == "Doe, J., Roe, R."
    assert record.published == "2021-03-04"
    assert record.image == "https://cdn.example.org/a.png"
    assert record.language == "de-DE"


def test_homepage_style_og_title_falls_back_to_headline():
    html = b"""<html><head><meta property="og:site_name" content="Example Blog">
    <meta property="og:title" content="Example Blog"><title>Why SRAM matters - Example Blog</title>
    </head><body><h1>Why SRAM matters</h1></body></html>"""
    assert extract_page(html, "https://example.net/sram").title == "Why SRAM matters"


def test_garbage_does_not_crash():
    record = extract_page(b"\x00\xff<html><title>", "https://example.com/")
    assert record.url == "https://example.com/"


def test_headline_kept_by_h1_and_json_ld_over_rewritten_social_title():
    # og:title, twitter:title and <title> come from one SEO field; the <h1> and the JSON-LD
    # headline are the article's own and outvote it.
    html = inline_page(
        '<meta property="og:title" content="Dead Cells Might Be A Good Thing">'
        '<meta name="twitter:title" content="Dead Cells Might Be A Good Thing">'
        '<meta property="og:site_name" content="Giggles">'
        "<title>Dead Cells Might Be A Good Thing | Giggles</title>"
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Wait, are dead cells good?"}</script>',
        "<article><h1>Wait, are dead cells good?</h1></article>",
    )
    assert extract_page(html, "https://giggles.example/a").title == "Wait, are dead cells good?"


def test_headline_split_into_kicker_spans_has_no_space_before_colon():
    html = inline_page(
        "<title>Patent: Maker must destroy phones - Tech.example</title>",
        '<h1><style>.k{display:block}</style><span class="k">Patent</span><span class="hidden">:</span> '
        "<span>Maker must destroy phones</span></h1>",
    )
    assert extract_page(html, "https://tech.example/n/1").title == "Patent: Maker must destroy phones"


def test_kicker_follows_what_the_h1_shows():
    # A section label before the colon in the social titles, the bare headline as <h1>.
    section = inline_page(
        '<meta property="og:title" content="Chronik: Lotte ist tot"><title>Chronik: Lotte ist tot - wien.example</title>',
        "<h1>Lotte ist tot</h1>",
    )
    assert extract_page(section, "https://wien.example/s/1").title == "Lotte ist tot"
    # A quote kicker shown in the <h1> belongs to the headline.
    quote = inline_page(
        '<meta property="og:title" content="Kramer misses the Games - ski.example">'
        "<title>Kramer misses the Games - ski.example</title>",
        '<h1>"Pure void": Kramer misses the Games</h1>',
    )
    assert extract_page(quote, "https://ski.example/k").title == '"Pure void": Kramer misses the Games'
    # A long department label in the <h1> is not part of the headline.
    department = inline_page(
        '<meta property="og:title" content="Press releases"><title>Boosters remain available until February</title>',
        "<h1><span>Press release of the Health, Social and Integration Directorate</span>"
        "<span>:</span>Boosters remain available until February</h1>",
    )
    assert extract_page(department, "https://canton.example/pr?id=1").title == "Boosters remain available until February"


def test_date_before_the_headline_in_the_h1_is_dropped():
    html = inline_page(
        '<meta name="twitter:title" content="Oil report November 2021">'
        "<title>AGENCY - Statistics - Oil report November 2021</title>",
        '<h1><a href="/">Federal Agency for Oil</a></h1><h1><span class="date">27.01.2022</span> Oil report November 2021</h1>',
    )
    assert extract_page(html, "https://www.agency.example/news/1").title == "Oil report November 2021"


def test_h1_starting_with_the_titles_site_name_is_a_banner():
    html = inline_page(
        "<title>Children and work » KidsNet e.V.</title>",
        "<h1>KidsNet e.V. Association for working children and youth</h1><h2>Children and work</h2>",
    )
    assert extract_page(html, "https://www.kidsnet.example/info/").title == "Children and work"


def test_meta_value_attribute_is_read_when_content_is_missing():
    # Some large news sites write `<meta name=... value=...>` without `content=`.
    html = (
        b"<html><head><title>Edge chips sell out - Daily Wire Example</title>"
        b'<meta property="og:site_name" value="Daily Wire Example">'
        b'<meta name="description" value="Edge chips sold out in a week. Makers promise more.">'
        b"</head><body><h1>Edge chips sell out</h1></body></html>"
    )
    record = extract_page(html, "https://news.example.net/a/1")
    assert record.description == "Edge chips sold out in a week. Makers promise more."
    assert record.site_name == "Daily Wire Example"
