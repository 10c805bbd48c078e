"""Hostile titles, sources, descriptions, notes and URLs can not break the draft's structure."""

from __future__ import annotations

import re

import pytest

from pipeline import mdtext
from pipeline.draft import render_markdown
from tests.draft_builders import entry, github_link, web_link

HOSTILE = [
    "line one\nline two\r\n- [fake](https://evil.example)",
    "a | b | c",
    "close ] bracket [ open",
    "paren ) and ( paren",
    "`code` and ``` fences",
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "trailing backslash \\",
    "## not a heading",
    "\u2028separator\x00nul\x1b[31m",
]

LINK_LINE = re.compile(r"^- \[(?P<text>(?:\\.|[^\\\[\]])*)\]\((?P<url>https?://[^\s()<>]+)\)  $")


def entry_block(text: str) -> list[str]:
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("- "))
    return lines[start : lines.index("", start)]


def assert_safe(block: list[str]) -> None:
    assert LINK_LINE.match(block[0]), block[0]
    whole = "\n".join(block)
    assert "<script" not in whole and "<img" not in whole
    assert "javascript:" not in re.sub(r"\\.", "", " ".join(re.findall(r"(?<!\\)\]\(([^)]*)\)", whole)))
    assert sum(1 for line in block if line.startswith("- ")) == 1
    for line in block[1:]:
        assert re.match(r"^(摘要|备注|代码|论文|博客|链接)：", line) or not line.startswith(("#", "-", ">", "<")), line
        # no unescaped bracket can open a second link on a following line
        assert not re.search(r"(?<!\\)\[", line), line


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_web_title_source_description_and_note(text):
    item = entry(web_link("https://example.com/a"), {"title": text, "site_name": text, "description": text}, note=text)
    assert_safe(entry_block(render_markdown([item], date="2020-01-01")))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_repository_description(text):
    item = entry(
        github_link("o/r"),
        {"full_name": "o/r", "description": text, "language": text, "license": text, "latest_release": {"tag": text}},
    )
    assert_safe(entry_block(render_markdown([item], date="2020-01-01")))


def test_brackets_are_escaped_and_render_back():
    item = entry(web_link("https://example.com/a"), {"title": "a [b] c | d", "site_name": "S"})
    line = entry_block(render_markdown([item], date="2020-01-01"))[0]
    assert line == r"- [a \[b\] c \| d | S](https://example.com/a)  "


def test_line_start_markers_are_escaped():
    assert mdtext.escape_line("## x") == r"\## x"
    assert mdtext.escape_line("1. x") == r"1\. x"
    assert mdtext.escape_line("- x") == r"\- x"
    assert mdtext.escape_line("C++") == "C++"


def test_html_is_never_active():
    assert mdtext.escape("<b>x</b> & y") == "&lt;b>x&lt;/b> & y"


def test_huge_title_is_capped_and_huge_description_cut():
    item = entry(web_link("https://example.com/a"), {"title": "標題" * 50_000, "description": "word " * 20_000})
    block = entry_block(render_markdown([item], date="2020-01-01"))
    title = LINK_LINE.match(block[0]).group("text")
    assert len(title) <= mdtext.TITLE_LIMIT and title.endswith("…")
    assert len(block[1]) < 400 and block[1].endswith("…〔待编辑〕  ")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<script>", "ftp://x.example/a", "//evil.example", "", None]
)
def test_only_http_urls_become_links(url):
    assert mdtext.safe_url(url) is None


def test_url_breaking_characters_are_encoded():
    assert mdtext.safe_url("https://en.wikipedia.org/wiki/A_(b) c<d>") == "https://en.wikipedia.org/wiki/A_%28b%29%20c%3Cd%3E"


def test_non_http_main_and_extra_links_are_not_linked():
    bad = web_link("javascript:alert(1)")
    item = entry(web_link("https://example.com/a"), {"title": "T"}, extras=[bad])
    text = render_markdown([item], date="2020-01-01")
    assert "javascript" not in text
    main_bad = entry(bad, {"title": "T"})
    block = entry_block(render_markdown([main_bad], date="2020-01-01"))
    assert block[0] == "- T  "


def test_hostile_repo_homepage_is_not_linked():
    item = entry(
        github_link("o/r"),
        {"full_name": "o/r", "homepage": "javascript:alert('arxiv.org/abs/2001.00001')", "html_url": "javascript:alert(1)"},
    )
    block = entry_block(render_markdown([item], date="2020-01-01"))
    assert block[0] == "- [o/r](https://github.com/o/r)  "
    assert "论文：https://arxiv.org/abs/2001.00001  " in block  # the id is data, the link is rebuilt


def test_hostile_failure_reason_stays_in_its_block():
    item = entry(web_link("https://example.com/a"), None, status="failed", error="boom\n<!-- /enrich:failed -->\n## 论文")
    text = render_markdown([item], date="2020-01-01")
    block = text[text.index("<!-- enrich:failed") :]
    assert block.count("<!-- /enrich:failed -->") == 1
    assert "\n## 论文" not in block
