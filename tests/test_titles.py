"""Titles and site names picked by agreement between a page's signals, one table row per class of page."""

import json

import pytest

from pipeline.extract import extract_page
from pipeline.sitename import SiteCandidate, pick_site_name, same_site
from pipeline.titles import strip_site_affix, title_affixes


def _page(
    title=None, og=None, twitter=None, site=None, app=None, publisher=None, headline=None, citation=None, body="", lang="en"
) -> bytes:
    """A page in the shape news and blog templates write, with only the signals given."""
    head = []
    if title is not None:
        head.append(f"<title>{title}</title>")
    for prop, value in (("og:title", og), ("og:site_name", site)):
        if value is not None:
            head.append(f'<meta property="{prop}" content="{value}">')
    for name, value in (("twitter:title", twitter), ("application-name", app), ("citation_title", citation)):
        if value is not None:
            head.append(f'<meta name="{name}" content="{value}">')
    if publisher is not None or headline is not None:
        ld = {"@context": "https://schema.org", "@type": "NewsArticle"}
        if headline is not None:
            ld["headline"] = headline
        if publisher is not None:
            ld["publisher"] = {"@type": "Organization", "name": publisher}
        head.append(f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>')
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">{"".join(head)}</head><body>{body}</body></html>'
    ).encode()


URL = "https://news.acme-example.com/2024/05/tiny-npu"

TITLE_CASES = [
    # the site's name as a suffix or prefix, with separators written every way
    ("› separator", _page(title="Tiny NPU ships › Example Times", site="Example Times"), URL, "Tiny NPU ships"),
    ("full-width colon", _page(title="边缘芯片发布：示例科技", site="示例科技", lang="zh"), URL, "边缘芯片发布"),
    ("dash without spaces", _page(title="边缘芯片发布-示例科技", site="示例科技", lang="zh"), URL, "边缘芯片发布"),
    (
        "hyphenated word is no prefix",
        _page(title="IGM-Vize warnt vor Kürzungen", site="IGM"),
        "https://www.igm.example/a",
        "IGM-Vize warnt vor Kürzungen",
    ),
    (
        "Blog Archive label",
        _page(title="Example Blog » Blog Archive » Tiny NPU ships", site="Example Blog"),
        URL,
        "Tiny NPU ships",
    ),
    (
        "site with its abbreviation",
        _page(title="Tiny NPU ships | Example Times (ET)", site="Example Times"),
        URL,
        "Tiny NPU ships",
    ),
    (
        "site with the host as its abbreviation",
        _page(title="Tiny NPU ships | Radio Nord (RN)"),
        "https://www.rn.example/en/npu/a-1",
        "Tiny NPU ships",
    ),
    ("host brand as suffix", _page(title="Tiny NPU ships - acme-example.com"), URL, "Tiny NPU ships"),
    (
        "accented brand on an unaccented host",
        _page(title="Tester werden │ Crème Marktplatz"),
        "https://www.creme-marktplatz.example/tests",
        "Tester werden",
    ),
    (
        "suffix glued to the headline",
        _page(title="Tiny NPU shipsAcme Example", twitter="Tiny NPU shipsAcme Example", og="Tiny NPU ships"),
        URL,
        "Tiny NPU ships",
    ),
    (
        "suffix naming the site in a phrase",
        _page(
            title="Espresso | Why We Drink on Podcastly",
            og="Espresso",
            twitter="Espresso | Why We Drink on Podcastly",
            site="podcastly",
        ),
        "https://play.podcastly.example/s/espresso",
        "Espresso",
    ),
    (
        "site and slogan after the headline",
        _page(title="Der Schreibstil - acme-example.com - Webdesign und Text"),
        URL,
        "Der Schreibstil",
    ),
    (
        "a name piece without spaces is kept",
        _page(title="15 Jahre acme-example.com — acme-example.com", og="15 Jahre acme-example.com — acme-example.com"),
        URL,
        "15 Jahre acme-example.com",
    ),
    (
        "<h1> banner repeating the title's site piece",
        _page(title="Das lauteste Musikvideo : Acme-Example-Archiv | Seit 2005", body="<h1>Acme-Example-Archiv</h1>"),
        URL,
        "Das lauteste Musikvideo",
    ),
    # kickers and rubrics
    ("kicker the <h1> lacks", _page(og="Exclusive: Tiny NPU ships", body="<h1>Tiny NPU ships</h1>"), URL, "Tiny NPU ships"),
    ("kicker JSON-LD lacks", _page(og="Chronik: Tiny NPU ships", headline="Tiny NPU ships"), URL, "Tiny NPU ships"),
    (
        "quote the <h1> shows is headline",
        _page(
            og="Tiny NPU ships",
            body="<h1>«Smaller is better»: Tiny NPU ships</h1>",
            headline="«Smaller is better»: Tiny NPU ships",
        ),
        URL,
        "«Smaller is better»: Tiny NPU ships",
    ),
    (
        "same words on both sides is no kicker",
        _page(title="Sun Circle: Sun Circle | Example Music", og="Sun Circle: Sun Circle"),
        URL,
        "Sun Circle: Sun Circle",
    ),
    # page-type words
    (
        "page type after, <h1> without",
        _page(title="Lasagne al forno Recipe | Example Food", og="Lasagne al forno Recipe", body="<h1>Lasagne al forno</h1>"),
        URL,
        "Lasagne al forno",
    ),
    ("page type the page itself uses", _page(title="Chocolate cake recipe"), URL, "Chocolate cake recipe"),
    (
        "page type before",
        _page(og="Review - Tiny NPU dev board", title="Review - Tiny NPU dev board", twitter="Tiny NPU dev board"),
        URL,
        "Tiny NPU dev board",
    ),
    # heading decorations
    (
        "permalink anchor",
        _page(title="Notes on quantization", body='<h1>Notes on int8 <a href="#n">¶</a></h1>'),
        URL,
        "Notes on int8",
    ),
    ("original text label", _page(body="<h1>Original text: 端侧推理的三个误区</h1>"), URL, "端侧推理的三个误区"),
    # where the heading is
    (
        "no <h1>: first visible <h2>",
        _page(
            title="Feuerwehr Beispielstadt - Ausbildung",
            body='<h2 class="sr-only">Navigation</h2><nav><h2>Menü</h2></nav><h2>Tauchdienst Ausbildung</h2>',
        ),
        URL,
        "Tauchdienst Ausbildung",
    ),
    (
        "no <h1>: the category <h2> is skipped",
        _page(title="Malaga | Einfach Reisen", body='<h2 class="post_cat">Allgemein</h2><h2>Malaga, die Metropole</h2>'),
        URL,
        "Malaga, die Metropole",
    ),
    (
        "no <h1>: the <h2> the template calls headline",
        _page(body='<h2>Neu hier?</h2><h2 itemprop="headline">Malaga</h2>'),
        URL,
        "Malaga",
    ),
    (
        "home page is titled by its site",
        _page(title="Learn Things — The best way to learn things", og="Learn Things", site="Learn Things"),
        "https://learnthings.example/",
        "Learn Things",
    ),
    (
        "a site name is no headline elsewhere",
        _page(og="Example Times", title="Tiny NPU ships | Example Times", site="Example Times"),
        URL,
        "Tiny NPU ships",
    ),
    (
        "a logo <h1> naming the site in brackets",
        _page(title="Chapter 3: The Lighthouse [Story Harbor]", body="<h1>Story Harbor beta</h1>"),
        "https://storyharbor.example/works/12/chapters/3",
        "Chapter 3: The Lighthouse",
    ),
    (
        "a repeated name is no kicker, whatever the page-type word",
        _page(
            og="Nightfall: Nightfall",
            title="Nightfall: Nightfall Album Review | Soundpage",
            site="Soundpage",
            body="<h1>Nightfall</h1>",
        ),
        "https://soundpage.example/reviews/albums/nightfall-nightfall/",
        "Nightfall: Nightfall",
    ),
    # archived copy
    (
        "wayback copy",
        _page(
            title="Old post - Example Blog",
            site="Example Blog",
            body="<!-- BEGIN WAYBACK TOOLBAR INSERT --><h1>Wayback Machine</h1>"
            "<!-- END WAYBACK TOOLBAR INSERT --><h2>Old post</h2>",
        ),
        "https://web.archive.org/web/20160101000000/http://blog.example.de/old",
        "Old post",
    ),
]


@pytest.mark.parametrize("label, html, url, expected", TITLE_CASES, ids=[case[0] for case in TITLE_CASES])
def test_title(label, html, url, expected):
    assert extract_page(html, url).title == expected


SITE_CASES = [
    (
        "og:site_name naming a section loses to publisher and title suffix",
        _page(title="Tiny NPU ships - The Example Times", og="Tiny NPU ships", site="U.S.", publisher="The Example Times"),
        "https://www.example-times.com/us/npu",
        "The Example Times",
    ),
    (
        "platform's og:site_name loses to the publication",
        _page(title="Tiny NPU ships | Debugger", og="Tiny NPU ships", site="Blogplatform", publisher="Debugger"),
        "https://someone.blogplatform.com/npu",
        "Debugger",
    ),
    (
        "og:site_name with a tagline gives way to its part others name",
        _page(
            title="Tiny NPU ships - Zprávy.cz",
            og="Tiny NPU ships | Zprávy.cz",
            site="Zprávy.cz - Víte, co se děje",
            publisher="Zprávy.cz",
        ),
        "https://sport.zpravy.cz/a",
        "Zprávy.cz",
    ),
    (
        "a title suffix names the site when nothing else does",
        _page(title="Zettelkasten (software) - Encyclopedia", body="<h1>Zettelkasten (software)</h1>"),
        "https://en.encyclopedia.example/wiki/Zettelkasten",
        "Encyclopedia",
    ),
    (
        "a title prefix names the site",
        _page(title="LeanThings | A Change in the Wind", body="<h1>A Change in the Wind</h1>"),
        URL,
        "LeanThings",
    ),
    (
        "a section before the headline loses to the app name",
        _page(
            title="News - Langer: Vom Dorfplatz nach Augusta",
            app="Golfverband-digital",
            body="<h1>Langer: Vom Dorfplatz nach Augusta</h1>",
        ),
        URL,
        "Golfverband-digital",
    ),
    (
        "a logo <h1> makes no headline a site name",
        _page(title="Was ist ein Blog eigentlich? | ExampleBlog", body='<h1 class="logo"><a href="/">ExampleBlog</a></h1>'),
        URL,
        "ExampleBlog",
    ),
    (
        "the piece of a suffix that names the host",
        _page(
            title="Homeoffice-Regeln und Pausen in Firmen - Wirtschaft - Tagesblatt",
            body="<h1>Homeoffice-Regeln und Pausen in Firmen</h1>",
        ),
        "https://www.tagesblatt.example/wirtschaft/1.html",
        "Tagesblatt",
    ),
    (
        "the end of the <title> that names the host, when nothing else names the site",
        _page(title="Winda w niebo | Kultura | Dwumiesięcznik"),
        "https://www.dwumiesiecznik.example/artykul/1.html",
        "Dwumiesięcznik",
    ),
    (
        "the end of the <title> does not vote with the suffix it is part of",
        _page(title="Mayor leads the by-election | Gazette.co.nz", og="Mayor leads the by-election", site="Gazette"),
        "https://www.gazette.co.nz/national/1",
        "Gazette",
    ),
    (
        "a <title> end not naming the host is no site name",
        _page(title="Wurmkiste bauen - Anleitung"),
        "https://www.selbst.example/wurmkiste.html",
        None,
    ),
    (
        "a kicker is no site name",
        _page(title="Nach dem Rückzug: Anwältin wird Ministerin", body="<h1>Anwältin wird Ministerin</h1>"),
        URL,
        None,
    ),
    (
        "og:site_name and publisher disagreeing, nothing else: og:site_name",
        _page(og="Tiny NPU ships", site="Example Times", publisher="Example Media Group"),
        URL,
        "Example Times",
    ),
    ("og:site_name alone", _page(og="Tiny NPU ships", site="Example Times"), URL, "Example Times"),
    ("nothing names the site", _page(og="Tiny NPU ships"), URL, None),
    (
        "a page-type word is no site name",
        _page(og="Review - Tiny NPU dev board", title="Review - Tiny NPU dev board", twitter="Tiny NPU dev board"),
        URL,
        None,
    ),
]


@pytest.mark.parametrize("label, html, url, expected", SITE_CASES, ids=[case[0] for case in SITE_CASES])
def test_site_name(label, html, url, expected):
    assert extract_page(html, url).site_name == expected


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("The Verge", "theverge.com", True),
        ("ORF.at", "orf", True),
        ("http://www.tmz.com", "TMZ.COM", True),
        ("Aktuálně.cz", "aktualne", True),
        ("Example Times", "Example Media Group", False),
        ("U.S.", "The Example Times", False),
    ],
)
def test_same_site(a, b, same):
    assert same_site(a, b) is same


def test_pick_explains_its_choice():
    notes: list[str] = []
    candidates = [
        SiteCandidate("og:site_name", "U.S."),
        SiteCandidate("publisher", "Example Times"),
        SiteCandidate("title suffix", "Example Times"),
    ]
    assert pick_site_name(candidates, "example-times.com", notes) == "Example Times"
    assert any(line.startswith("  -> site") and "Example Times" in line for line in notes)


def test_title_affixes_need_a_separator():
    assert title_affixes(["Tiny NPU ships | Example"], ["Tiny NPU ships"]) == [("title suffix", "Example")]
    assert title_affixes(["Example - Tiny NPU ships"], ["Tiny NPU ships"]) == [("title prefix", "Example")]
    assert title_affixes(["Headline about things | Blog"], ["Blog"]) == []  # the longer side is the headline
    assert title_affixes(["Tiny NPU shipsets"], ["Tiny NPU ships"]) == []
    assert title_affixes(["Tiny NPU ships"], ["Tiny NPU ships"]) == []


@pytest.mark.parametrize(
    "title, expected",
    [
        ("Tiny NPU ships ›Example Times", "Tiny NPU ships"),
        ("Tiny NPU ships»Example Times", "Tiny NPU ships"),
        ("Tiny NPU ships·Example Times", "Tiny NPU ships"),
        ("Example Times - Tiny NPU ships", "Tiny NPU ships"),
        ("Left - Right: a debate", "Left - Right: a debate"),
    ],
)
def test_strip_site_affix_separators(title, expected):
    assert strip_site_affix(title, ["Example Times"], "example.com") == expected
