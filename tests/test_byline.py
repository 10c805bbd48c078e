"""Generic author and publication-date rules: metadata first, then the visible byline."""

import pytest

from pipeline.byline import byline_name, date_from_text
from pipeline.extract import extract_page
from tests.pages import inline_page


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("By Jane Roe", "Jane Roe"),
        ("By: Drew Dietsch", "Drew Dietsch"),
        ("Von Tomas Spahn Fr, 18. Oktober 2019", "Tomas Spahn"),
        ("Posted on September 21, 2020 by Adi Tzlil", "Adi Tzlil"),
        ("January 17, 2017 at 6:08 PM ET by Kori Schulman", "Kori Schulman"),
        ("Janic Cathomen, 01.12.2021", "Janic Cathomen"),
        ("Alexa von Heyden", "Alexa von Heyden"),  # "von" inside a name is no lead-in
        ("Name *", None),
        ("105092", None),
        ("Samo Burja is the president of Bismarck Analysis, a political risk consultancy.", None),
        ("人氣(", None),
    ],
)
def test_byline_name(text, expected):
    assert byline_name(text) == expected


def test_byline_element_when_metadata_is_silent():
    html = inline_page(
        "<title>Forest lands</title>",
        "<article><h1>Forest lands</h1>"
        '<div class="post-byline">By <span class="author-name">Julie Mollins</span>'
        '<span class="author-title">Staff Writer</span></div><p>Text.</p></article>'
        '<section class="comments"><div class="comment-author">Troll McTroll</div></section>',
    )
    assert extract_page(html, "https://press.example/forest").author == "Julie Mollins"


def test_commenter_is_not_the_author():
    html = inline_page(
        "<title>Forest lands</title>",
        "<article><h1>Forest lands</h1><p>Text.</p></article>"
        '<ol class="comment-list"><li><span class="comment-author vcard">Troll McTroll</span></li></ol>'
        '<form><p class="comment-form-author">Name *</p></form>',
    )
    assert extract_page(html, "https://press.example/forest").author is None


def test_job_title_inside_the_byline_is_dropped():
    html = inline_page(
        "<title>Schools</title>",
        '<div class="byline"><div class="author-name">By Howard Blume <span class="author-title">Staff Writer</span></div>'
        '<span class="byline-date">Dec. 16, 2016</span></div>',
    )
    assert extract_page(html, "https://times.example/s").author == "Howard Blume"


def test_site_name_as_meta_author_gives_way_to_the_byline():
    html = inline_page(
        '<meta name="author" content="Lesotho Times"><meta property="og:site_name" content="Lesotho Times">',
        '<h1>Budget passed</h1><p class="byline">By Mohloai Mpesi</p>',
    )
    assert extract_page(html, "https://lestimes.example/budget").author == "Mohloai Mpesi"


def test_site_name_stays_when_there_is_no_byline():
    html = inline_page(
        '<meta name="author" content="Lesotho Times"><meta property="og:site_name" content="Lesotho Times">',
        "<h1>Budget passed</h1>",
    )
    assert extract_page(html, "https://lestimes.example/budget").author == "Lesotho Times"


def test_rel_author_link_counts_even_in_the_post_footer():
    html = inline_page(
        "<title>Politcamp</title>",
        '<h1>Politcamp</h1><footer class="entry-footer">Posted by <a rel="author" href="/u/marc">marc</a></footer>',
    )
    assert extract_page(html, "https://murdeltas.example/politcamp").author == "marc"


def test_metadata_author_is_kept_as_written_but_placeholders_are_not():
    kept = inline_page('<meta name="author" content="Bradley M. Kuhn (http://ebb.org/bkuhn/)">', "<h1>Events</h1>")
    assert extract_page(kept, "https://ebb.example/a").author == "Bradley M. Kuhn (http://ebb.org/bkuhn/)"
    placeholder = inline_page('<meta name="author" content="null">', '<h1>Events</h1><span class="author">Rodolfo Costa</span>')
    assert extract_page(placeholder, "https://gazeta.example/a").author == "Rodolfo Costa"


def test_published_from_time_element_in_article_header():
    html = inline_page(
        "<title>Launch</title>",
        '<article><header><h1>Launch</h1><time datetime="2024-05-02T09:30:00+02:00">2 May</time></header></article>',
    )
    assert extract_page(html, "https://news.example/launch").published == "2024-05-02T09:30:00+02:00"


def test_published_prefers_metadata_over_markup():
    html = inline_page(
        '<meta property="article:published_time" content="2024-05-01T08:00:00Z">',
        '<h1>Launch</h1><time datetime="2024-06-30">30 June</time>',
    )
    assert extract_page(html, "https://news.example/launch").published == "2024-05-01T08:00:00+00:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("27.01.2022", "2022-01-27"),
        ("Stand: 04.02.2022", "2022-02-04"),
        ("Von Deutscher Tennis Bund 4. 2. 2022.", "2022-02-04"),
        ("28.01.22 / 0 Kommentare", "2022-01-28"),
        ("7. Jun 2017, 11:19", "2017-06-07"),
        ("20. Mai 2007", "2007-05-20"),
        ("le 07 Mai 2020", "2020-05-07"),
        ("30 septembre 2018", "2018-09-30"),
        ("Posted on September 21, 2020 by Adi Tzlil", "2020-09-21"),
        ("Apr 27th, 2020", "2020-04-27"),
        ("2019年04月13日 09時00分", "2019-04-13"),
        ("Thursday, May 26, 2016", "2016-05-26"),
        ("31.02.2022", None),
        ("at 2:33 PM", None),
    ],
)
def test_date_from_text(text, expected):
    assert date_from_text(text) == expected


def test_published_from_visible_date_when_nothing_else_has_it():
    html = inline_page(
        "<title>Lehrgang</title>",
        '<article><h1>Lehrgang</h1><span class="date">02.02.2022</span><p>Text.</p></article>'
        '<aside class="sidebar"><span class="date">01.09.2021</span></aside>',
    )
    assert extract_page(html, "https://verband.example/news/1").published == "2022-02-02"


def test_visible_date_in_comments_is_not_the_publication_date():
    html = inline_page(
        "<title>Lehrgang</title>",
        '<h1>Lehrgang</h1><div class="comments"><span class="comment-date">am 9. Juni 2017</span></div>',
    )
    assert extract_page(html, "https://verband.example/news/1").published is None
