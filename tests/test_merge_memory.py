"""The merge under random editing: what the editor deleted stays deleted, what they wrote stays as
written, every new link is added once; and a link counts as present only on an entry line or a
labelled link line of the draft."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.merge import find_failures_block, keys_present, merge
from tests.draft_builders import canonical_key
from tests.test_merge import DATE, TOOL_INTRO, is_subsequence, paper, post, repo

MAKERS = (paper, repo, post)
UNIVERSE = [MAKERS[n % 3](n) for n in range(1, 13)]
URL_OF = {e.source.main.key: e.source.main.url for e in UNIVERSE}


def _run(text: str, keys: list[str], remembered: set[str], readd: bool = False):
    entries = [e for e in UNIVERSE if e.source.main.key in keys]
    return merge(text, entries, canonical_key=canonical_key, date=DATE, remembered=remembered, readd=readd)


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) of every entry the draft holds: its entry line and the lines under it."""
    block = find_failures_block(lines)
    found = []
    for i, line in enumerate(lines):
        if line.startswith("- [") and not (block and block[0] <= i <= block[1]):
            end = i + 1
            while end < len(lines) and lines[end].strip() and not lines[end].startswith(("- ", "#", "<!--")):
                end += 1
            found.append((i, end))
    return found


def _entry_count(text: str, url: str) -> int:
    return sum(1 for line in text.split("\n") if line.startswith("- ") and f"]({url})" in line)


def _sections(lines: list[str]) -> list[tuple[int, int]]:
    heads = [i for i, line in enumerate(lines) if line.startswith("## ")]
    block = find_failures_block(lines)
    stop = block[0] if block else len(lines)
    heads = [h for h in heads if h < stop]
    return [(h, nxt) for h, nxt in zip(heads, [*heads[1:], stop])]


operation = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("move"), st.integers(0, 20), st.integers(0, 20)),
    st.tuples(st.just("edit"), st.integers(0, 20), st.integers(0, 11)),
    st.tuples(st.just("rewrite"), st.integers(0, 20)),
    st.tuples(st.just("reorder"), st.integers(0, 5), st.integers(0, 5)),
)


def _apply(text: str, op: tuple, deleted: set[str]) -> str:
    lines = text.split("\n")
    blocks = _blocks(lines)
    if op[0] == "delete" and blocks:
        start, end = blocks[op[1] % len(blocks)]
        deleted.update(k for k, url in URL_OF.items() if f"]({url})" in lines[start])
        del lines[start:end]
    elif op[0] == "move" and blocks:
        start, end = blocks[op[1] % len(blocks)]
        chunk = lines[start:end]
        del lines[start:end]
        targets = [s for s, _ in _blocks(lines)] or [len(lines)]
        at = targets[op[2] % len(targets)]
        lines[at:at] = [*chunk, ""]
    elif op[0] == "edit":
        # The editor's own prose, which may mention a link the sources will only bring later.
        url = URL_OF[UNIVERSE[op[2]].source.main.key]
        spots = [end for _, end in blocks] or [len(lines)]
        at = spots[op[1] % len(spots)]
        lines[at:at] = [f"编辑补充：另见 {url} 的讨论。"]
    elif op[0] == "rewrite" and blocks:
        # The editor rewrites an entry's title and summary in place.
        start, end = blocks[op[1] % len(blocks)]
        lines[start] = lines[start].replace("[", "[编辑改过的标题 ", 1)
        for i in range(start + 1, end):
            lines[i] = lines[i].replace("〔待编辑〕", "，编辑写完了。")
    elif op[0] == "reorder":
        sections = _sections(lines)
        if len(sections) >= 2:
            a, b = sorted((op[1] % len(sections), op[2] % len(sections)))
            if a != b:
                (s1, e1), (s2, e2) = sections[a], sections[b]
                lines = lines[:s1] + lines[s2:e2] + lines[e1:s2] + lines[s1:e1] + lines[e2:]
    return "\n".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.sets(st.integers(0, 11), min_size=1, max_size=6),
    rounds=st.lists(st.tuples(st.lists(operation, max_size=5), st.sets(st.integers(0, 11), max_size=3)), min_size=1, max_size=3),
)
def test_random_editing_then_runs_with_new_links(first, rounds):
    keys = [UNIVERSE[n].source.main.key for n in sorted(first)]
    result = _run("", keys, set())
    text, remembered = result.text, set(result.in_draft)
    deleted: set[str] = set()
    for ops, new in rounds:
        for op in ops:
            text = _apply(text, op, deleted)
        deleted -= {k for k in URL_OF if _entry_count(text, URL_OF[k])}  # a duplicate left elsewhere
        keys += [UNIVERSE[n].source.main.key for n in sorted(new) if UNIVERSE[n].source.main.key not in keys]
        result = _run(text, keys, remembered)
        merged = result.text
        editor = [line for i, line in enumerate(text.split("\n")) if not TOOL_INTRO.match(line) and not _in_block(text, i)]
        assert is_subsequence(editor, merged.split("\n")), "an editor line was changed or reordered"
        for key in keys:
            count = _entry_count(merged, URL_OF[key])
            if key in deleted:
                assert count == 0, f"{key} came back after the editor deleted it"
            else:
                assert count >= 1, f"{key} is missing"
                assert count == max(1, _entry_count(text, URL_OF[key])), f"{key} was added twice"
        assert _run(merged, keys, remembered | result.in_draft).text == merged  # a second run: no change
        text, remembered = merged, remembered | result.in_draft
    readded = _run(text, keys, remembered, readd=True).text
    for key in keys:
        assert _entry_count(readded, URL_OF[key]) >= 1


def _in_block(text: str, index: int) -> bool:
    block = find_failures_block(text.split("\n"))
    return bool(block and block[0] <= index <= block[1])


# -- merge identity over generated drafts ------------------------------------------------------

LINKS = [URL_OF[e.source.main.key] for e in UNIVERSE]
prose = st.sampled_from(
    [
        "摘要：本文引用了 {url} 的结果。  ",
        "编辑的话：见 {url}",
        "> 导读：本期3条，见{url}。",
        "    - 列表里的 {url}",
        "  1. [一篇相关文章]({url})  ",
        "备注：{url}",
        "更多评价见知乎：很好，{url}  ",
        "# 标题 {url}",
    ]
)
identity = st.sampled_from(
    [
        "- [标题 | 来源]({url})  ",
        "- [2001.00001] [Title]({url})  ",
        "* [x]({url})",
        "论文：{url}  ",
        "代码: {url}",
        "Github 项目链接：{url}  ",
        "标题：[Paper]({url})  ",
    ]
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, len(LINKS) - 1), st.data()), max_size=12))
def test_only_entry_and_labelled_lines_make_a_link_present(choices):
    lines, expected = ["# 嵌入式AI简报 (2020-05-15)", ""], set()
    for counts, n, data in choices:
        shape = data.draw(identity if counts else prose)
        lines.append(shape.format(url=LINKS[n]))
        if counts:
            expected.add(canonical_key(LINKS[n]))
    assert keys_present("\n".join(lines), canonical_key) == expected


def test_a_summary_that_mentions_a_paper_does_not_hide_the_editors_entry_for_it():
    text = _run("", [UNIVERSE[1].source.main.key], set()).text
    mention = URL_OF[UNIVERSE[0].source.main.key]
    text = re.sub(r"摘要：", f"摘要：参见 {mention} 。", text, count=1)
    merged = _run(text, [UNIVERSE[1].source.main.key, UNIVERSE[0].source.main.key], set()).text
    assert _entry_count(merged, mention) == 1


def test_a_wechat_article_under_its_other_link_form_is_the_same_entry_once_fetched():
    from pipeline.archive import ArchiveIndex, alias_pairs
    from pipeline.links import canonicalize
    from pipeline.models import WebRecord
    from tests.draft_builders import entry, web_link

    short = "https://mp.weixin.qq.com/s/AbCdEfGh123"
    long = "https://mp.weixin.qq.com/s?__biz=MzA3MzI4MjgzMw==&mid=2650781234&idx=1&sn=0123abcd"
    record = {"title": "文章", "site_name": "机器之心", "canonical_url": long + "&chksm=ff&scene=21#rd"}
    first = entry(web_link(short), record, line=1)
    again = entry(web_link(canonicalize(long + "&scene=21").url), record, line=1)
    text = merge("", [first], canonical_key=canonical_key, date=DATE).text
    aliases = ArchiveIndex([], aliases=alias_pairs([(f"web:{short}", WebRecord.from_dict(record))]))
    key = canonicalize(long).key

    def real_key(url: str) -> str | None:
        return canonicalize(url).key if "weixin" in url else canonical_key(url)

    unaware = merge(text, [again], canonical_key=real_key, date=DATE)
    assert _entry_count(unaware.text, canonicalize(long).url) == 1  # without the alias: two entries
    aware = merge(text, [again], canonical_key=real_key, date=DATE, resolve=aliases.resolve)
    assert aware.text == text
    # Deleted by the editor under one form, it stays deleted under the other.
    remembered = {f"web:{short}"}
    gone = "\n".join(line for line in text.split("\n") if short not in line)
    held = merge(gone, [again], canonical_key=real_key, date=DATE, remembered=remembered, resolve=aliases.resolve)
    assert [e.source.main.key for e in held.removed] == [key]


def test_marks_in_both_templates():
    from pipeline.draft import render_markdown
    from tests.draft_builders import assert_golden

    featured, follow_up, new = paper(1), repo(2), post(3)
    featured.featured_in = [{"date": "2019-10-03", "section": "论文"}, {"date": "2020-05-15", "section": "博文"}]
    follow_up.featured_in, follow_up.follow_up = [{"date": "2020-05-15", "section": "论文"}], True
    for template, name in (("embedded-ai", "marks.md"), ("plain", "marks-plain.md")):
        assert_golden(name, render_markdown([featured, follow_up, new], template=template, date=DATE))


def test_a_link_only_on_another_entrys_link_line_is_listed_not_lost():
    from tests.draft_builders import arxiv_link, entry, github_link

    with_code = entry(
        arxiv_link("2001.10001"), {"id": "2001.10001", "title": "Paper", "code_urls": ["https://github.com/o/code"]}, line=1
    )
    first = merge("", [with_code], canonical_key=canonical_key, date=DATE)
    assert "代码：https://github.com/o/code  " in first.text
    repo_entry = entry(
        github_link("o/code"), {"full_name": "o/code", "description": "code"}, line=2, note="its own entry, please"
    )
    second = merge(first.text, [with_code, repo_entry], canonical_key=canonical_key, date=DATE, remembered=first.in_draft)
    assert _entry_count(second.text, "https://github.com/o/code") == 0
    assert "第 2 行：https://github.com/o/code — 已是稿中另一条目的链接行，未单独加入" in second.text
    assert "github:o/code" not in second.in_draft  # deleting the paper's entry would bring it in on its own
    lines = second.text.split("\n")
    start, end = _blocks(lines)[0]
    third = merge(
        "\n".join(lines[:start] + lines[end:]),
        [repo_entry],
        canonical_key=canonical_key,
        date=DATE,
        remembered=first.in_draft | second.in_draft,
    )
    assert _entry_count(third.text, "https://github.com/o/code") == 1
