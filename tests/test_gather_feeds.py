"""Reading feeds: every shape the digest's sources publish, and what is not a feed."""

from __future__ import annotations

import pytest

from pipeline.gather.feeds import FeedError, parse_feed, parse_json_feed
from tests import feeddocs as docs


def test_rss2_items_have_title_link_date_and_plain_summary():
    feed = parse_feed(docs.rss2([("Edge LLM & NPU", "https://blog.example.org/a")]).encode(), "application/rss+xml")
    [item] = feed.items
    assert (item.title, item.url, item.summary) == ("Edge LLM & NPU", "https://blog.example.org/a", "About Edge LLM & NPU.")
    assert item.published == docs.WHEN.timestamp() and feed.problems == []


def test_atom_entries():
    feed = parse_feed(docs.atom([("NPU compiler", "https://atom.example.org/npu")]).encode(), "application/atom+xml")
    [item] = feed.items
    assert item.url == "https://atom.example.org/npu" and item.id == "tag:example.org,2026:0" and item.author == "Li Lei"


@pytest.mark.parametrize("version", ["https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1"])
def test_json_feed_1_0_and_1_1(version):
    feed = parse_feed(
        docs.json_feed([("端侧推理", "https://j.example.org/1")], version=version).encode(), "application/feed+json"
    )
    [item] = feed.items
    assert (item.title, item.url, item.summary, item.author) == (
        "端侧推理",
        "https://j.example.org/1",
        "About 端侧推理",
        "Han Meimei",
    )
    assert item.published == docs.WHEN.timestamp()


def test_json_feed_1_0_author_and_untitled_item():
    body = b'{"version": "https://jsonfeed.org/version/1", "items": [{"id": 7, "content_text": "A note without a title", "author": {"name": "X"}, "external_url": "https://e.example.org/n"}]}'
    [item] = parse_json_feed(body).items
    assert (item.id, item.title, item.url, item.author) == ("7", "A note without a title", "https://e.example.org/n", "X")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"items": []}', "JSON without a JSON Feed version"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": 3}', "without an items list"),
        (b"{not json", "invalid JSON"),
    ],
)
def test_bad_json_feeds_are_named(body, reason):
    with pytest.raises(FeedError, match=reason):
        parse_feed(body, "application/json")


def test_arxiv_listing_keeps_the_announce_type():
    body = docs.arxiv_listing(
        [
            ("2512.00001v1", "Tiny NPU", "new"),
            ("2511.00002v2", "Old paper", "replace"),
            ("2512.00003v1", "Cross one", "cross"),
            ("2510.00004v3", "Old cross", "replace-cross"),
        ]
    )
    feed = parse_feed(body.encode(), "application/rss+xml")
    assert [(i.url, i.announce_type) for i in feed.items] == [
        ("https://arxiv.org/abs/2512.00001", "new"),
        ("https://arxiv.org/abs/2511.00002", "replace"),
        ("https://arxiv.org/abs/2512.00003", "cross"),
        ("https://arxiv.org/abs/2510.00004", "replace-cross"),
    ]
    assert feed.skip_days == {"saturday", "sunday"}


def test_empty_arxiv_listing_is_a_feed_with_no_items():
    feed = parse_feed(docs.arxiv_listing([]).encode(), "application/rss+xml")
    assert feed.items == [] and feed.title == "cs.LG updates on arXiv.org"


def test_github_releases_and_wechat_bridge():
    releases = parse_feed(docs.github_releases("Tencent/ncnn", ["20261201", "20261101"]).encode(), "application/atom+xml")
    assert [i.url for i in releases.items] == [
        "https://github.com/Tencent/ncnn/releases/tag/20261201",
        "https://github.com/Tencent/ncnn/releases/tag/20261101",
    ]
    bridge = parse_feed(docs.wechat_bridge("机器之心", [("端侧大模型量化实践", docs.wechat_url(1))]).encode(), "application/xml")
    [item] = bridge.items
    assert item.title == "端侧大模型量化实践" and item.summary == "端侧大模型量化实践的正文摘要。"
    assert item.url.startswith("https://mp.weixin.qq.com/s?__biz=") and item.author == "机器之心"


def test_malformed_xml_with_items_is_read_and_says_so():
    body = docs.rss2([("One", "https://m.example.org/1"), ("Two", "https://m.example.org/2")]).replace(
        "</channel></rss>", "<item><title>broken &amp</title>"
    )
    feed = parse_feed(body.encode(), "text/xml")
    assert [i.url for i in feed.items][:2] == ["https://m.example.org/1", "https://m.example.org/2"]
    assert feed.problems and feed.problems[0].startswith("malformed XML")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<?xml version='1.0'?><rss><channel><title>x</title></chan", "not a feed"),
        (b"<!DOCTYPE html><html><head><title>Login</title></head><body>please log in</body></html>", "HTML page"),
        (b"plain words, nothing else", "not a feed"),
    ],
)
def test_what_is_not_a_feed_is_named(body, reason):
    with pytest.raises(FeedError, match=reason):
        parse_feed(body, None)
