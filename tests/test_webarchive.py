"""Archived copies: the original URL of a Wayback Machine or archive.today copy, read without the archive's chrome."""

import pytest

from pipeline.extract import extract_page
from pipeline.webarchive import original_url, unwrap, without_chrome


@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "https://web.archive.org/web/20170102030405/http://blog.example.de/2010/05/post/",
            "http://blog.example.de/2010/05/post/",
        ),
        ("https://web.archive.org/web/20170102030405id_/https://example.com/a?b=1", "https://example.com/a?b=1"),
        ("http://web.archive.org/web/2016/example.com/x", "http://example.com/x"),  # no scheme, short stamp
        ("https://web.archive.org/web/20140506070809/the-site.net/2008/05/a.html", "http://the-site.net/2008/05/a.html"),
        ("https://web.archive.org/web/20160101000000/http:/example.com/a", "http://example.com/a"),  # one slash
        ("https://web.archive.org/web/20160101000000/https%3A%2F%2Fexample.com%2Fa", "https://example.com/a"),
        ("https://archive.ph/2021.03.04-120000/https://news.example.org/story", "https://news.example.org/story"),
        ("https://archive.is/20210304120000/https://news.example.org/story", "https://news.example.org/story"),
        ("https://web.archive.org/web/", None),
        ("https://web.archive.org/web/20160101000000/", None),
        ("https://example.com/web/20160101000000/http://other.com/", None),  # not an archive
        ("https://archive.ph/AbCd1", None),  # short form: the page's canonical link names it
        (None, None),
        ("", None),
    ],
)
def test_original_url(url, expected):
    assert original_url(url) == expected


def test_archive_today_short_address_reads_the_canonical_link():
    html = (
        b'<html><head><link rel="canonical" href="https://archive.ph/2021.03.04-120000/https://news.example.org/s"></head></html>'
    )
    assert original_url("https://archive.ph/AbCd1", html) == "https://news.example.org/s"


def test_unwrap_rewritten_links():
    assert unwrap("https://web.archive.org/web/20160101000000im_/http://example.com/i.png") == "http://example.com/i.png"
    assert unwrap("https://example.com/i.png") == "https://example.com/i.png"
    assert unwrap(None) is None


_WAYBACK_COPY = b"""<html><head><script src="//archive.org/includes/athena.js" type="text/javascript"></script>
<script type="text/javascript" src="/_static/js/bundle-playback.js?v=1"></script>
<title>Faustkeile der Altsteinzeit - Beispielblog</title>
<meta property="og:site_name" content="Beispielblog">
<meta property="og:image" content="https://web.archive.org/web/20190304050607im_/http://www.beispielblog.de/bild.jpg">
<link rel="canonical" href="https://web.archive.org/web/20190304050607/http://www.beispielblog.de/werkzeuge"></head>
<body><!-- BEGIN WAYBACK TOOLBAR INSERT -->
<div id="wm-ipp-base"><h1>Wayback Machine</h1><p>2 captures</p></div>
<!-- END WAYBACK TOOLBAR INSERT -->
<article><h1>Faustkeile der Altsteinzeit</h1><p>Text.</p></article></body></html>
<!-- FILE ARCHIVED ON 05:06:07 Mar 04, 2019 AND RETRIEVED FROM THE INTERNET ARCHIVE ON 1:00:00 Jan 01, 2020. -->"""

_ARCHIVE_TODAY_COPY = """<!DOCTYPE html><html><head><title>Chip news: a tiny NPU ships – Example News</title>
<link rel="canonical" href="https://archive.ph/2021.03.04-120000/https://news.example.org/npu">
</head><body><center><div id="HEADER"><table><tr><td><h1>archive.today webpage capture</h1>
<a href="https://archive.ph/">Saved from</a><input name="q" value="https://news.example.org/npu"></td></tr></table>
</div></center><div id="CONTENT"><div><h1>Chip news: a tiny NPU ships</h1><p>Text.</p></div></div></body></html>""".encode()


def test_wayback_copy_is_read_as_the_original_page():
    url = "https://web.archive.org/web/20190304050607/http://www.beispielblog.de/werkzeuge"
    record = extract_page(_WAYBACK_COPY, url)
    assert record.title == "Faustkeile der Altsteinzeit"
    assert record.site_name == "Beispielblog"
    assert record.url == url
    assert record.archived_from == "http://www.beispielblog.de/werkzeuge"
    assert record.canonical_url == "http://www.beispielblog.de/werkzeuge"
    assert record.image == "http://www.beispielblog.de/bild.jpg"
    bare = without_chrome(_WAYBACK_COPY, url)
    assert b"2 captures" not in bare and b"athena.js" not in bare and b"Faustkeile der Altsteinzeit</h1>" in bare


def test_archive_today_copy_is_read_without_its_header():
    record = extract_page(_ARCHIVE_TODAY_COPY, "https://archive.ph/AbCd1")
    assert record.title == "Chip news: a tiny NPU ships"
    assert record.archived_from == "https://news.example.org/npu"
    assert b"archive.today webpage capture" not in without_chrome(_ARCHIVE_TODAY_COPY, "https://archive.ph/AbCd1")


def test_a_page_that_only_mentions_an_archive_is_not_a_copy():
    html = b"<html><head><title>Links</title></head><body><h1>Links</h1><!-- BEGIN WAYBACK TOOLBAR INSERT --></body></html>"
    record = extract_page(html, "https://example.com/links")
    assert record.archived_from is None
    assert without_chrome(html, "https://example.com/links") == html


def test_the_web_stage_records_a_wayback_copy_as_its_original(server, monkeypatch):
    """Fetched for real (the local server plays a forward proxy for web.archive.org)."""
    from pipeline.fetchers.base import FetchRequest
    from pipeline.fetchers.web import WebFetcher
    from pipeline.models import Link
    from pipeline.retry import RetryPolicy

    async def public(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url("/"))
    url = "http://web.archive.org/web/20190304050607/http://www.beispielblog.de/werkzeuge"
    server.route("/web/20190304050607/http://www.beispielblog.de/werkzeuge", _WAYBACK_COPY.decode())
    fetcher = WebFetcher(resolve=public, retry=RetryPolicy(attempts=1))
    [result] = fetcher.fetch([FetchRequest(Link(key=f"web:{url}", kind="web", url=url, original=url))])
    assert result.ok, result.error
    assert result.record.title == "Faustkeile der Altsteinzeit"
    assert result.record.archived_from == "http://www.beispielblog.de/werkzeuge"
    assert server.requests[0].headers["host"] == "web.archive.org"
