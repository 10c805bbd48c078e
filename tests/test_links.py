"""URL canonicalization: real-world forms map to one key each; nothing but LinkError escapes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.links import (
    LinkError,
    arxiv_ids_in,
    canonicalize,
    identity_key,
    looks_like_url,
)

W = "https://mp.weixin.qq.com/s?__biz=MzI3MDQ2MjA3OA==&mid=2247485181&idx=1&sn=b2a6c5d1"

# (input, expected key, kind, canonical url)
CASES = [
    # --- arXiv: every path form reduces to one id
    ("https://arxiv.org/abs/1907.05550", "arxiv:1907.05550", "arxiv", "https://arxiv.org/abs/1907.05550"),
    ("http://arxiv.org/abs/1907.05550", "arxiv:1907.05550", "arxiv", "https://arxiv.org/abs/1907.05550"),
    ("https://arxiv.org/pdf/2104.14129", "arxiv:2104.14129", "arxiv", "https://arxiv.org/abs/2104.14129"),
    ("https://arxiv.org/pdf/2104.14129.pdf", "arxiv:2104.14129", "arxiv", "https://arxiv.org/abs/2104.14129"),
    ("https://arxiv.org/pdf/2104.14129v2.pdf", "arxiv:2104.14129v2", "arxiv", "https://arxiv.org/abs/2104.14129v2"),
    ("https://arxiv.org/abs/2104.14129v3", "arxiv:2104.14129v3", "arxiv", "https://arxiv.org/abs/2104.14129v3"),
    ("https://arxiv.org/html/2104.14129v1/#S3", "arxiv:2104.14129v1", "arxiv", "https://arxiv.org/abs/2104.14129v1"),
    ("https://arxiv.org/html/2104.14129v1/S3.html", "arxiv:2104.14129v1", "arxiv", "https://arxiv.org/abs/2104.14129v1"),
    ("https://arxiv.org/format/2104.14129", "arxiv:2104.14129", "arxiv", "https://arxiv.org/abs/2104.14129"),
    ("http://export.arxiv.org/abs/2002.10179", "arxiv:2002.10179", "arxiv", "https://arxiv.org/abs/2002.10179"),
    ("https://www.arxiv.org/abs/2002.10179/", "arxiv:2002.10179", "arxiv", "https://arxiv.org/abs/2002.10179"),
    ("arxiv.org/abs/2002.10179?context=cs.CV", "arxiv:2002.10179", "arxiv", "https://arxiv.org/abs/2002.10179"),
    ("arxiv:2104.14129", "arxiv:2104.14129", "arxiv", "https://arxiv.org/abs/2104.14129"),
    ("arXiv:2104.14129v2", "arxiv:2104.14129v2", "arxiv", "https://arxiv.org/abs/2104.14129v2"),
    ("10.48550/arXiv.2104.14129", "arxiv:2104.14129", "arxiv", "https://arxiv.org/abs/2104.14129"),
    ("https://doi.org/10.48550/arXiv.2104.14129", "arxiv:2104.14129", "arxiv", "https://arxiv.org/abs/2104.14129"),
    ("doi.org/10.48550/ARXIV.2104.14129", "arxiv:2104.14129", "arxiv", "https://arxiv.org/abs/2104.14129"),
    ("https://arxiv.org/abs/cs/0112017", "arxiv:cs/0112017", "arxiv", "https://arxiv.org/abs/cs/0112017"),
    ("https://arxiv.org/pdf/quant-ph/0201082v1", "arxiv:quant-ph/0201082v1", "arxiv", "https://arxiv.org/abs/quant-ph/0201082v1"),
    ("https://arxiv.org/abs/math.GT/0309136", "arxiv:math/0309136", "arxiv", "https://arxiv.org/abs/math/0309136"),
    ("arXiv:cs/0112017", "arxiv:cs/0112017", "arxiv", "https://arxiv.org/abs/cs/0112017"),
    ("https://arxiv.org/abs/0704.0001", "arxiv:0704.0001", "arxiv", "https://arxiv.org/abs/0704.0001"),
    ("https://arxiv.org/abs/abc", "arxiv:abc", "arxiv", "https://arxiv.org/abs/abc"),
    ("https://arxiv.org/abs/2104.1412", "arxiv:2104.1412", "arxiv", "https://arxiv.org/abs/2104.1412"),
    (
        "https://arxiv.org/list/cs.CV/recent",
        "web:https://arxiv.org/list/cs.CV/recent",
        "web",
        "https://arxiv.org/list/cs.CV/recent",
    ),
    ("https://arxiv.org/", "web:https://arxiv.org/", "web", "https://arxiv.org/"),
    # --- GitHub: anything inside a repository is the repository
    ("https://github.com/lmbxmu/HRank", "github:lmbxmu/hrank", "github", "https://github.com/lmbxmu/HRank"),
    ("http://github.com/lmbxmu/HRank/", "github:lmbxmu/hrank", "github", "https://github.com/lmbxmu/HRank"),
    ("https://www.github.com/Tencent/ncnn.git", "github:tencent/ncnn", "github", "https://github.com/Tencent/ncnn"),
    ("github.com/Tencent/ncnn/tree/master/src/layer", "github:tencent/ncnn", "github", "https://github.com/Tencent/ncnn"),
    (
        "https://github.com/Tencent/ncnn/blob/master/README.md#build",
        "github:tencent/ncnn",
        "github",
        "https://github.com/Tencent/ncnn",
    ),
    ("https://github.com/Tencent/ncnn/releases", "github:tencent/ncnn", "github", "https://github.com/Tencent/ncnn"),
    ("https://github.com/Tencent/ncnn/releases/tag/20200413", "github:tencent/ncnn", "github", "https://github.com/Tencent/ncnn"),
    (
        "https://github.com/mindspore-ai/mindspore/issues/42",
        "github:mindspore-ai/mindspore",
        "github",
        "https://github.com/mindspore-ai/mindspore",
    ),
    ("https://github.com/apache/tvm/pull/5601/files", "github:apache/tvm", "github", "https://github.com/apache/tvm"),
    ("https://github.com/apache/tvm/wiki/Roadmap", "github:apache/tvm", "github", "https://github.com/apache/tvm"),
    ("https://github.com/apache/tvm/actions", "github:apache/tvm", "github", "https://github.com/apache/tvm"),
    ("https://github.com/google/ruy#readme", "github:google/ruy", "github", "https://github.com/google/ruy"),
    ("https://github.com/ysh329", "web:https://github.com/ysh329", "web", "https://github.com/ysh329"),
    ("https://github.com/", "web:https://github.com/", "web", "https://github.com/"),
    (
        "https://github.com/orgs/tensorflow/repositories",
        "web:https://github.com/orgs/tensorflow/repositories",
        "web",
        "https://github.com/orgs/tensorflow/repositories",
    ),
    ("https://github.com/topics/edge-ai", "web:https://github.com/topics/edge-ai", "web", "https://github.com/topics/edge-ai"),
    (
        "https://github.com/features/actions",
        "web:https://github.com/features/actions",
        "web",
        "https://github.com/features/actions",
    ),
    ("https://github.com/sponsors/ysh329", "web:https://github.com/sponsors/ysh329", "web", "https://github.com/sponsors/ysh329"),
    ("https://github.com/settings/tokens", "web:https://github.com/settings/tokens", "web", "https://github.com/settings/tokens"),
    (
        "https://github.com/marketplace/actions/checkout",
        "web:https://github.com/marketplace/actions/checkout",
        "web",
        "https://github.com/marketplace/actions/checkout",
    ),
    (
        "https://gist.github.com/ysh329/abc123",
        "web:https://gist.github.com/ysh329/abc123",
        "web",
        "https://gist.github.com/ysh329/abc123",
    ),
    ("https://ysh329.github.io/notes/", "web:https://ysh329.github.io/notes/", "web", "https://ysh329.github.io/notes/"),
    # --- WeChat: the article id stays, everything per-reader goes
    (
        "https://mp.weixin.qq.com/s/1YBqKcDQ9FQzCSnEVjZjvA",
        "web:https://mp.weixin.qq.com/s/1YBqKcDQ9FQzCSnEVjZjvA",
        "web",
        "https://mp.weixin.qq.com/s/1YBqKcDQ9FQzCSnEVjZjvA",
    ),
    (
        "http://mp.weixin.qq.com/s/1YBqKcDQ9FQzCSnEVjZjvA?scene=21&from=timeline",
        "web:https://mp.weixin.qq.com/s/1YBqKcDQ9FQzCSnEVjZjvA",
        "web",
        "https://mp.weixin.qq.com/s/1YBqKcDQ9FQzCSnEVjZjvA",
    ),
    (
        "mp.weixin.qq.com/s/1YBqKcDQ9FQzCSnEVjZjvA#wechat_redirect",
        "web:https://mp.weixin.qq.com/s/1YBqKcDQ9FQzCSnEVjZjvA",
        "web",
        "https://mp.weixin.qq.com/s/1YBqKcDQ9FQzCSnEVjZjvA",
    ),
    (W + "&chksm=eaca5b2bddbdd23d&scene=21#wechat_redirect", "web:" + W, "web", W),
    (
        "https://mp.weixin.qq.com/s?__biz=MzI3MDQ2MjA3OA%3D%3D&mid=2247485181&idx=1&sn=b2a6c5d1&chksm=ea&mpshare=1&scene=1&srcid=0520x&sharer_sharetime=1590&sharer_shareid=9f&key=abc&ascene=1&uin=MTA&devicetype=Windows+10&version=62090070&lang=zh_CN&exportkey=A1&pass_ticket=xyz&wx_header=0",
        "web:" + W,
        "web",
        W,
    ),
    (
        "https://mp.weixin.qq.com/s/?sn=b2a6c5d1&idx=1&mid=2247485181&__biz=MzI3MDQ2MjA3OA==&clicktime=1&enterid=2",
        "web:" + W,
        "web",
        W,
    ),
    (
        "http://mp.weixin.qq.com/mp/appmsg/show?__biz=MzI3MDQ2MjA3OA==&mid=2247485181&idx=1&sn=b2a6c5d1&isappinstalled=0&nettype=WIFI&abtest_cookie=AA&poc_token=HN&rd2werd=1",
        "web:" + W,
        "web",
        W,
    ),
    # --- Zhihu and ordinary pages
    (
        "http://zhuanlan.zhihu.com/p/141025166?utm_source=wechat_session&utm_medium=social&utm_oi=12&share_code=abc&utm_psn=1",
        "web:https://zhuanlan.zhihu.com/p/141025166",
        "web",
        "https://zhuanlan.zhihu.com/p/141025166",
    ),
    (
        "http://www.zhihu.com/question/3?utm_id=0",
        "web:https://www.zhihu.com/question/3",
        "web",
        "https://www.zhihu.com/question/3",
    ),
    (
        "https://ai.googleblog.com/2020/05/speeding-up-neural-network-training.html",
        "web:https://ai.googleblog.com/2020/05/speeding-up-neural-network-training.html",
        "web",
        "https://ai.googleblog.com/2020/05/speeding-up-neural-network-training.html",
    ),
    (
        "HTTPS://News.MIT.edu:443/2020/x?fbclid=IwAR0&a=1&gclid=9&b=&spm=1.2#top",
        "web:https://news.mit.edu/2020/x?a=1&b=",
        "web",
        "https://news.mit.edu/2020/x?a=1&b=",
    ),
    ("http://example.com:8080", "web:http://example.com:8080/", "web", "http://example.com:8080/"),
    ("http://example.com/?utm_source=x", "web:http://example.com/", "web", "http://example.com/"),
    ("https://example.com/a/./b/../c?", "web:https://example.com/a/c", "web", "https://example.com/a/c"),
    (
        "https://example.com/%7euser/%e4%b8%ad%2fx",
        "web:https://example.com/~user/%E4%B8%AD%2Fx",
        "web",
        "https://example.com/~user/%E4%B8%AD%2Fx",
    ),
    (
        "https://example.com/中文 ".strip(),
        "web:https://example.com/%E4%B8%AD%E6%96%87",
        "web",
        "https://example.com/%E4%B8%AD%E6%96%87",
    ),
    ("https://example.com/100%", "web:https://example.com/100%25", "web", "https://example.com/100%25"),
    ("https://bücher.example/", "web:https://xn--bcher-kva.example/", "web", "https://xn--bcher-kva.example/"),
    ("www.infoq.cn/article/x", "web:https://www.infoq.cn/article/x", "web", "https://www.infoq.cn/article/x"),
    ("https://user:secret@example.com/p", "web:https://example.com/p", "web", "https://example.com/p"),
    (
        "https://www.researchgate.net/publication/340523407_DynaBERT",
        "web:https://www.researchgate.net/publication/340523407_DynaBERT",
        "web",
        "https://www.researchgate.net/publication/340523407_DynaBERT",
    ),
]


@pytest.mark.parametrize(("raw", "key", "kind", "url"), CASES, ids=[c[0][:60] for c in CASES])
def test_real_world_forms(raw, key, kind, url):
    link = canonicalize(raw)
    assert (link.key, link.kind, link.url) == (key, kind, url)
    assert link.original == raw
    again = canonicalize(link.url)
    assert (again.key, again.url) == (key, url)


def test_enough_real_world_forms():
    assert len(CASES) >= 40


def test_arxiv_details():
    assert canonicalize("https://arxiv.org/abs/2104.14129v2").get("version") == "2"
    assert canonicalize("https://arxiv.org/abs/2104.14129").detail == ()
    assert canonicalize("https://arxiv.org/abs/abc").detail == (("malformed", "1"),)
    assert canonicalize("https://arxiv.org/abs/2104.1412").get("malformed") == "1"
    # A malformed id keeps its raw text, lower-cased, so the arXiv stage can name it.
    assert canonicalize("https://arxiv.org/abs/ABC.pdf").key == "arxiv:abc"


@pytest.mark.parametrize("bad", ["1501.1234", "1413.0001", "0703.0001", "2104.12345v0", "cs/0113017"])
def test_malformed_arxiv_ids_are_flagged(bad):
    link = canonicalize(f"https://arxiv.org/abs/{bad}")
    assert link.kind == "arxiv" and link.get("malformed") == "1"
    assert canonicalize("https://arxiv.org/abs/1412.1234").get("malformed") is None  # the control


def test_github_release_tag_detail():
    link = canonicalize("https://github.com/Tencent/ncnn/releases/tag/v1.0%2Bbeta")
    assert link.key == "github:tencent/ncnn"
    assert link.get("release_tag") == "v1.0+beta"
    assert canonicalize("https://github.com/Tencent/ncnn/issues/1").detail == ()


def test_same_paper_same_key():
    forms = [
        "https://arxiv.org/abs/1907.05550",
        "http://export.arxiv.org/pdf/1907.05550.pdf",
        "arXiv:1907.05550",
        "10.48550/arXiv.1907.05550",
        "https://doi.org/10.48550/arXiv.1907.05550",
    ]
    assert {canonicalize(f).key for f in forms} == {"arxiv:1907.05550"}


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "not a url",
        "ftp://example.com/file",
        "mailto:editor@example.com",
        "javascript:alert(1)",
        "http://",
        "https:///path",
        "http://exa mple.com/",
        "http://[::1/",
        "http://example.com:99999/",
        "http://example.com:port/",
        "http://a..b.com/",
        "http://-/",
        "arxiv:not-an-id",
        "arXiv:2104.1412",
        "https://" + "a" * 40_000 + ".com/",
        "example.com",
    ],
)
def test_unusable_links_raise_link_error(bad):
    with pytest.raises(LinkError):
        canonicalize(bad)


def test_link_error_is_a_value_error_with_words():
    with pytest.raises(ValueError, match="not an http"):
        canonicalize("ftp://example.com/")


@pytest.mark.parametrize(
    "token",
    [
        "https://x.org/a",
        "http://x.org",
        "HTTPS://X.ORG",
        "www.infoq.cn/a",
        "arxiv:2104.14129",
        "arXiv:2104.14129",
        "10.48550/arXiv.2104.14129",
        "doi.org/10.48550/arXiv.2104.14129",
        "github.com/a/b",
        "mp.weixin.qq.com/s/abc",
    ],
)
def test_looks_like_url(token):
    assert looks_like_url(token)


@pytest.mark.parametrize(
    "token", ["CVPR2020", "oral,", "check", "https://", "http:", "ImageNet", "e.g.", "10.1000/x", "摘要：", "arxiv"]
)
def test_does_not_look_like_url(token):
    assert not looks_like_url(token)


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_arbitrary_text_only_raises_link_error(text):
    try:
        canonicalize(text)
    except LinkError:
        pass


_host = st.one_of(
    st.sampled_from(
        [
            "arxiv.org",
            "export.arxiv.org",
            "github.com",
            "www.github.com",
            "mp.weixin.qq.com",
            "zhuanlan.zhihu.com",
            "doi.org",
            "example.com",
            "EXAMPLE.com",
            "例子.中国",
            "[::1]",
            "127.0.0.1",
        ]
    ),
    st.from_regex(r"[a-zA-Z0-9-]{1,10}(\.[a-zA-Z0-9-]{1,10}){0,2}", fullmatch=True),
)
_piece = st.lists(
    st.sampled_from(
        list("aZ09-._~%/?#&=+;:@!$'()*,[] ")
        + ["%2e", "%7E", "%41", "%3D", "中", "..", "."]
        + [
            "abs",
            "pdf",
            "2104.14129",
            "v2",
            ".pdf",
            "tree",
            "releases",
            "tag",
            "s",
            "__biz=",
            "utm_source=",
            "mid=",
            "cs/0112017",
            ".git",
        ]
    ),
    max_size=12,
).map(lambda parts: "".join(parts).replace(" ", ""))
_urlish = st.builds(
    lambda scheme, host, port, path, tail: f"{scheme}://{host}{port}/{path}{tail}",
    st.sampled_from(["http", "https", "HTTP"]),
    _host,
    st.sampled_from(["", ":80", ":443", ":8080", ":"]),
    _piece,
    _piece,
)


@settings(max_examples=600, deadline=None)
@given(st.one_of(_urlish, st.text(max_size=40), st.builds(lambda s: "arxiv:" + s, _piece)))
def test_canonicalize_is_idempotent(text):
    try:
        link = canonicalize(text)
    except LinkError:
        return
    again = canonicalize(link.url)
    assert (again.key, again.url, again.kind) == (link.key, link.url, link.kind)
    assert link.key.startswith(f"{link.kind}:")


# --- parsed as browsers parse (WHATWG, by ada) ------------------------------------------------


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://example.com\\@evil.com/", "web:http://example.com/@evil.com/"),  # a backslash is a slash
        ("https://example.com\\a\\b", "web:https://example.com/a/b"),
        ("http://0x7f.1/", "web:http://127.0.0.1/"),  # IPv4 in the forms browsers accept
        ("http://[::1]:8080/x", "web:http://[::1]:8080/x"),
        ("http://[0:0:0:0:0:0:0:1]/", "web:http://[::1]/"),
        ("http://%5B::1%5D:8080/x", "web:http://[::1]:8080/x"),  # as older drafts wrote it
        ("http://user:secret@example.com/a", "web:http://example.com/a"),
    ],
)
def test_urls_are_read_as_browsers_read_them(url, key):
    assert canonicalize(url).key == key


def test_an_ipv6_link_stays_valid_in_the_draft_and_is_found_again_by_the_merge():
    from pipeline.mdtext import safe_url, urls_in_text

    link = canonicalize("http://[2001:db8::1]:8080/a?q=1")
    shown = safe_url(link.url)
    assert shown == "http://[2001:db8::1]:8080/a?q=1"  # never http://%5B2001:db8::1%5D...
    assert [canonicalize(u).key for u in urls_in_text(f"- [Title | Site]({shown})  ")] == [link.key]


def test_parentheses_escaped_or_not_are_one_link():
    """The draft escapes parentheses in a link target; read back, it must be the same link."""
    from pipeline.mdtext import safe_url
    from pipeline.merge import keys_present

    url = "https://en.wikipedia.org/wiki/Transformer_(machine_learning_model)"
    assert canonicalize(safe_url(url)).key == canonicalize(url).key == f"web:{url}"
    assert canonicalize("https://example.org/a%2Fb%3Bc").url == "https://example.org/a%2Fb%3Bc"  # meaningful escapes stay
    draft = f"## 博文  \n\n- [Transformer | Wikipedia]({safe_url(url)})  \n"
    assert keys_present(draft, lambda u: canonicalize(u).key) == {f"web:{url}"}


# --- link identity beyond canonicalize: ids in text, identity keys, GitHub's own pages


@pytest.mark.parametrize(
    "texts, expected",
    [
        (("code for arXiv: 2104.14129v2 and https://arxiv.org/pdf/cs/0112017",), ["2104.14129v2", "cs/0112017"]),
        (("see arxiv.org/abs/2104.14129v2", "again ARXIV:2104.14129v2 and arXiv:2104.14129"), ["2104.14129v2", "2104.14129"]),
        (("arXiv:2113.00001 has no 13th month, arXiv:0612.1234 predates new-style ids",), []),
        (("math.GT/0309136 with arxiv:math.GT/0309136v2",), ["math/0309136v2"]),
        (("2104.14129 alone is not a citation", None), []),
    ],
)
def test_arxiv_ids_in_text(texts, expected):
    assert arxiv_ids_in(*texts) == expected


@pytest.mark.parametrize(
    "key, expected",
    [
        ("arxiv:2104.14129v2", "arxiv:2104.14129"),
        ("arxiv:cs/0112017v1", "arxiv:cs/0112017"),
        ("arxiv:not-an-idv2", "arxiv:not-an-idv2"),  # a malformed id is only itself
        ("github:Foo/Bar", "github:foo/bar"),
        ("web:https://www.zhihu.com/question/1/answer/42", "zhihu:answer:42"),
        ("web:https://zhihu.com/answer/42/", "zhihu:answer:42"),
        ("web:https://zhuanlan.zhihu.com/p/7", "zhihu:article:7"),
        ("web:https://example.com/Path", "web:https://example.com/Path"),
        (None, None),
    ],
)
def test_identity_key(key, expected):
    assert identity_key(key) == expected


@pytest.mark.parametrize("owner", ["security", "readme", "codespaces", "marketplace", "topics"])
def test_githubs_own_pages_are_no_repository_anywhere(owner):
    from pipeline.fetchers.arxiv import find_code_urls

    assert canonicalize(f"https://github.com/{owner}/thing").kind == "web"
    assert find_code_urls(f"code at https://github.com/{owner}/thing") == []
