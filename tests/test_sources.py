"""sources.txt: decoding, the line grammar, and planning entries with their warnings."""

from __future__ import annotations

import codecs
import io
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.models import Diagnostic, SourceLine
from pipeline.sources import (
    MAX_LINE,
    SourceError,
    decode_lines,
    parse_lines,
    plan_entries,
    section_name,
)


def parse(text: str) -> list:
    return list(parse_lines(text.splitlines()))


def plan(text: str):
    return plan_entries(parse_lines(text.splitlines()))


# --- decode_lines ----------------------------------------------------------------------------


def test_decode_strips_bom_and_crlf():
    data = "\ufeff[论文]\r\nhttps://arxiv.org/abs/1907.05550 好文\r\n".encode()
    assert list(decode_lines(data, "sources.txt")) == ["[论文]", "https://arxiv.org/abs/1907.05550 好文"]


def test_decode_accepts_a_binary_file_object():
    assert list(decode_lines(io.BytesIO(b"a\nb\r\nc"), "f")) == ["a", "b", "c"]


def test_bom_only_counts_at_the_start():
    assert list(decode_lines(b"a\n\xef\xbb\xbfb\n", "f")) == ["a", "\ufeffb"]


def test_non_utf8_names_source_and_line():
    data = b"# ok\nhttps://example.com/\n" + "论文\n".encode("gbk")
    lines = decode_lines(data, "sources.txt")
    assert next(lines) == "# ok"
    assert next(lines) == "https://example.com/"
    with pytest.raises(SourceError, match=r"^sources\.txt: line 3 is not valid UTF-8"):
        next(lines)


def test_a_line_at_the_limit_decodes_and_one_past_it_is_refused_with_its_number():
    at_limit = b"https://example.com/" + b"a" * (MAX_LINE - 20)
    assert [len(line) for line in decode_lines(at_limit + b"\nnext\n", "f")] == [MAX_LINE, 4]
    lines = decode_lines(b"# fine\n" + at_limit + b"a\nnext\n", "sources.txt")
    assert next(lines) == "# fine"
    with pytest.raises(SourceError, match=r"^sources\.txt: line 2 is longer than 64 KiB"):
        next(lines)


class EndlessLine(io.RawIOBase):
    """A 50 MB line without a newline, made on demand; counts what was read of it."""

    def __init__(self, size: int = 50 * 1024 * 1024):
        self.left, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = b"a" * n
        self.left -= n
        self.read_bytes += n
        return n


def test_a_50_mb_line_is_refused_after_reading_little_of_it():
    stream = EndlessLine()
    with pytest.raises(SourceError, match="line 1 is longer than 64 KiB"):
        list(decode_lines(io.BufferedReader(stream), "big.txt"))
    assert stream.read_bytes <= 4 * MAX_LINE  # the limit and a chunk, not 50 MB


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_every_line_ending_ends_a_line(ending):
    text = ending.join(["# c", "https://example.com/a", "", "https://example.com/b note"]) + ending
    assert list(decode_lines(text.encode(), "f")) == ["# c", "https://example.com/a", "", "https://example.com/b note"]
    assert [i.line for i in parse_lines(decode_lines(text.encode(), "f"))] == [2, 4]


def test_a_crlf_split_between_two_reads_is_one_line_end():
    assert list(decode_lines(iter([b"a\r", b"\nb\r", b"\r", b"c"]), "f")) == ["a", "b", "", "c"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-32", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "utf-8-sig"])
def test_utf16_and_utf32_are_read_with_or_without_a_bom(codec):
    text = "[论文]\r\nhttps://arxiv.org/abs/1907.05550 好文\rhttps://example.com/\n"
    assert list(decode_lines(text.encode(codec), "f")) == [
        "[论文]",
        "https://arxiv.org/abs/1907.05550 好文",
        "https://example.com/",
    ]


def test_utf16_read_in_odd_pieces_decodes_the_same():
    data = "https://example.com/a 好\nhttps://example.com/b\n".encode("utf-16")
    pieces = [data[i : i + 3] for i in range(0, len(data), 3)]
    assert list(decode_lines(iter(pieces), "f")) == ["https://example.com/a 好", "https://example.com/b"]


def test_nul_bytes_that_are_no_known_encoding_are_refused_with_the_line():
    with pytest.raises(SourceError, match=r"^f: line 2 holds a NUL byte at column 3; is it UTF-16"):
        list(decode_lines(b"https://example.com/\nab\0c\n", "f"))


def test_broken_utf16_is_refused_clearly():
    data = codecs.BOM_UTF16_LE + "https://example.com/\n".encode("utf-16-le") + b"\x00\xdc"  # a lone low surrogate
    with pytest.raises(SourceError, match="not valid UTF-16-LE; save the file as UTF-8"):
        list(decode_lines(data, "f"))


# --- parse_lines -----------------------------------------------------------------------------


def test_comments_and_blank_lines_are_ignored():
    assert parse("# a comment\n\n   \n  # indented comment\n") == []


def test_line_numbers_are_physical_and_one_based():
    [item] = parse("# c\n\nhttps://example.com/a\n")
    assert isinstance(item, SourceLine) and item.line == 3


def test_urls_and_note():
    [item] = parse("https://github.com/lmbxmu/HRank  CVPR2020 oral,   check the ImageNet numbers")
    assert item.urls == ["https://github.com/lmbxmu/HRank"]
    assert item.note == "CVPR2020 oral, check the ImageNet numbers"
    assert item.section is None


def test_several_urls_on_one_line_keep_their_order():
    [item] = parse("https://arxiv.org/abs/1907.05550 https://ai.googleblog.com/x.html github.com/a/b")
    assert item.urls == ["https://arxiv.org/abs/1907.05550", "https://ai.googleblog.com/x.html", "github.com/a/b"]
    assert item.note is None


@pytest.mark.parametrize(
    ("header", "section"),
    [
        ("[论文]", "论文"),
        ("[papers]", "论文"),
        ("[Paper]", "论文"),
        ("[news]", "业界新闻"),
        ("[业界新闻]", "业界新闻"),
        ("[open source]", "开源项目"),
        ("[OpenSource]", "开源项目"),
        ("[open-source]", "开源项目"),
        ("[projects]", "开源项目"),
        ("[code]", "开源项目"),
        ("[blog]", "博文"),
        ("[Blogs]", "博文"),
        ("[posts]", "博文"),
        ("  [ 博文 ]  ", "博文"),
        ("【论文】", "论文"),
    ],
)
def test_headers_and_aliases(header, section):
    items = parse(f"{header}\nhttps://example.com/")
    assert items == [SourceLine(line=2, urls=["https://example.com/"], section=section)]


def test_header_applies_until_the_next_one():
    items = parse("https://a.example/\n[news]\nhttps://b.example/\n[blog]\nhttps://c.example/")
    assert [i.section for i in items] == [None, "业界新闻", "博文"]


def test_unknown_header_is_kept_and_warned():
    warning, item = parse("[应用]\nhttps://example.com/")
    assert isinstance(warning, Diagnostic) and warning.line == 1 and warning.level == "warning"
    assert "[应用]" in warning.message and "unknown section" in warning.message
    assert item.section == "应用"


def test_section_name():
    assert section_name("Open Source") == "开源项目"
    assert section_name("whatever") is None


def test_line_without_url_is_reported_and_skipped():
    text = "https://example.com/\n" * 6 + "remember to ask Alice about the " + "very " * 30 + "long benchmark\n"
    items = parse(text)
    warning = items[-1]
    assert isinstance(warning, Diagnostic)
    assert str(warning).startswith("line 7: no URL on this line, skipped: 'remember to ask Alice")
    assert len(warning.message) < 110 and warning.message.endswith("…'")
    assert len(items) == 7


@pytest.mark.parametrize(
    ("line", "urls", "note"),
    [
        ("<https://example.com/a>", ["https://example.com/a"], None),
        ("(https://example.com/a)", ["https://example.com/a"], None),
        ("see https://example.com/a.", ["https://example.com/a"], "see"),
        ("https://example.com/a, https://example.com/b;", ["https://example.com/a", "https://example.com/b"], None),
        ("https://example.com/a，很好。", ["https://example.com/a"], "很好。"),
        ("https://example.com/a。", ["https://example.com/a"], None),
        ("（https://example.com/a）", ["https://example.com/a"], None),
        ("https://example.com/a；https://example.com/b！", ["https://example.com/a", "https://example.com/b"], None),
        (
            "链接：https://arxiv.org/abs/2002.10179 项目：https://github.com/lmbxmu/HRank",
            ["https://arxiv.org/abs/2002.10179", "https://github.com/lmbxmu/HRank"],
            None,
        ),
        ("好文：https://example.com/a？", ["https://example.com/a"], "好文"),
        ("https://en.wikipedia.org/wiki/Mali_(GPU)", ["https://en.wikipedia.org/wiki/Mali_(GPU)"], None),
        ("(https://en.wikipedia.org/wiki/Mali_(GPU))", ["https://en.wikipedia.org/wiki/Mali_(GPU)"], None),
        ("arXiv:2104.14129, www.infoq.cn/a", ["arXiv:2104.14129", "www.infoq.cn/a"], None),
    ],
)
def test_punctuation_around_urls(line, urls, note):
    [item] = parse(line)
    assert (item.urls, item.note) == (urls, note)


# --- plan_entries ----------------------------------------------------------------------------

SOURCES = """\
# issue 2020-05
[论文]
https://arxiv.org/abs/1907.05550 https://ai.googleblog.com/2020/05/speeding-up.html?utm_source=x
https://github.com/lmbxmu/HRank  CVPR2020 oral
just a thought
[杂项]

http://export.arxiv.org/pdf/1907.05550v1.pdf
https://arxiv.org/pdf/1907.05550.pdf
https://github.com/LMBXMU/hrank/tree/master
"""


def test_plan_entries_end_to_end():
    entries, diagnostics = plan(SOURCES)
    assert [(e.line, e.main.key, e.section) for e in entries] == [
        (3, "arxiv:1907.05550", "论文"),
        (4, "github:lmbxmu/hrank", "论文"),
        (8, "arxiv:1907.05550v1", "杂项"),
    ]
    assert [x.key for x in entries[0].extras] == ["web:https://ai.googleblog.com/2020/05/speeding-up.html"]
    assert entries[1].note == "CVPR2020 oral"
    assert [str(d) for d in diagnostics] == [
        "line 5: no URL on this line, skipped: 'just a thought'",
        "line 6: unknown section [杂项], kept as its own section (known: 业界新闻, 论文, 开源项目, 博文)",
        "line 9: duplicate of line 3 (arxiv:1907.05550), skipped",
        "line 10: duplicate of line 4 (github:lmbxmu/hrank), skipped",
    ]


def test_duplicate_extras_within_an_entry_are_removed():
    [entry], diagnostics = plan(
        "https://arxiv.org/abs/1907.05550 arxiv:1907.05550 https://github.com/a/b https://github.com/a/b/issues/1"
    )
    assert [x.key for x in entry.extras] == ["github:a/b"]
    assert diagnostics == []


def test_a_url_seen_as_an_extra_may_still_be_a_main_link():
    entries, diagnostics = plan("https://arxiv.org/abs/1907.05550 https://github.com/a/b\nhttps://github.com/a/b")
    assert [e.main.key for e in entries] == ["arxiv:1907.05550", "github:a/b"]
    assert diagnostics == []


def test_bad_main_url_makes_the_next_one_main():
    [entry], diagnostics = plan("[news]\nhttps://bad..host/x https://example.com/a note")
    assert entry.main.key == "web:https://example.com/a" and entry.line == 2 and entry.note == "note"
    [warning] = diagnostics
    assert warning.line == 2 and "https://bad..host/x" in warning.message


def test_line_with_only_bad_urls_is_skipped():
    entries, diagnostics = plan("https://bad..host/x http://[::1/\nhttps://example.com/")
    assert [e.line for e in entries] == [2]
    assert [d.line for d in diagnostics] == [1, 1, 1]
    assert "no usable link" in diagnostics[-1].message


# --- properties and streaming ----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.text(), st.sampled_from(["[论文]", "[x]", "# c", "https://a.b/ c", "arxiv:1", "www.", "https://[::1"])))
)
def test_arbitrary_text_only_yields_diagnostics(lines):
    items = list(parse_lines(lines))
    assert all(isinstance(i, (SourceLine, Diagnostic)) for i in items)
    entries, diagnostics = plan_entries(items)
    assert len(entries) + len([d for d in diagnostics if "duplicate" in d.message]) <= len(lines)
    assert all(isinstance(d, Diagnostic) and d.line is not None for d in diagnostics)


def test_a_hundred_thousand_lines_stream():
    consumed = 0

    def source():
        nonlocal consumed
        for n in range(100_000):
            consumed += 1
            yield f"https://example.com/{n} note {n}\n".encode()

    items = parse_lines(decode_lines(source(), "big.txt"))
    first = list(itertools.islice(items, 3))
    assert [i.line for i in first] == [1, 2, 3]
    assert consumed <= 4  # nothing was read ahead into a list

    # Every later line is also yielded as soon as it is read: never more than one line ahead.
    count = 3
    for item in items:
        count += 1
        assert consumed <= item.line + 1
    assert count == 100_000 and consumed == 100_000


def test_bidi_and_zero_width_controls_are_removed_from_lines():
    [item] = parse("https://exam\u200bple.com/a\u202e \u2066note\u2069 text\ufeff\n")
    assert item.urls == ["https://example.com/a"] and item.note == "note text"
    assert [i.section for i in parse("[\u200b论文]\nhttps://example.com/\n")] == ["论文"]


def test_a_link_given_in_several_sources_is_kept_once(tmp_path):
    from pipeline.run import read_sources

    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("https://arxiv.org/abs/1907.05550\nhttps://github.com/a/b\n", encoding="utf-8")
    second.write_text("https://example.com/post\nhttps://arxiv.org/abs/1907.05550 seen before\n", encoding="utf-8")
    stdin = io.BytesIO(b"https://GitHub.com/A/B\n")
    entries, diagnostics = read_sources([str(first), str(second), "-"], stdin)
    assert [e.main.key for e in entries] == ["arxiv:1907.05550", "github:a/b", "web:https://example.com/post"]
    assert [str(d) for d in diagnostics] == [
        "line 2: duplicate of line 1 (arxiv:1907.05550), skipped",
        "line 1: duplicate of line 2 (github:a/b), skipped",
    ]
