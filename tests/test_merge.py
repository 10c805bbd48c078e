"""Merging into a draft the editor is editing: new entries added, editor text never touched."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.draft import render_markdown
from pipeline.mdtext import urls_in_text
from pipeline.merge import find_failures_block
from pipeline.merge import merge as merge_into
from tests.draft_builders import arxiv_link, canonical_key, entry, github_link, web_link

DATE = "2020-05-15"


def paper(n: int, **kw):
    pid = f"2001.{10000 + n}"
    return entry(arxiv_link(pid), {"id": pid, "title": f"Paper {n}", "abstract": f"Paper {n} does things."}, line=n, **kw)


def repo(n: int, **kw):
    return entry(github_link(f"o/r{n}"), {"full_name": f"o/r{n}", "description": f"repo {n}", "stars": n}, line=n, **kw)


def post(n: int, **kw):
    return entry(web_link(f"https://example.com/post/{n}"), {"title": f"Post {n}", "site_name": "Site"}, line=n, **kw)


def merge(existing, entries, **kw):
    return merge_into(existing, list(entries), canonical_key=canonical_key, date=DATE, **kw).text


TOOL_INTRO = re.compile(
    r"^> 导读：本期\d+条。【新闻】〔待编辑〕；【论文】〔待编辑〕；【开源】〔待编辑〕；【博文】〔待编辑〕。  $"
)


def is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    """Every line of `needle` is in `haystack`, in order; the tool's own 导读 line (whose count
    follows the draft) is not the editor's text."""
    needle = [line for line in needle if not TOOL_INTRO.match(line)]
    remaining = iter(haystack)
    return all(any(line == other for other in remaining) for line in needle)


def section_of(text: str, url: str) -> str:
    heading = ""
    for line in text.split("\n"):
        if line.startswith("## "):
            heading = line.strip()
        if f"]({url})" in line:
            return heading
    raise AssertionError(f"{url} not in the draft")


def test_new_entries_go_to_the_end_of_their_section():
    base = render_markdown([paper(1), post(2)], date=DATE)
    merged = merge(base, [paper(1), post(2), paper(3), repo(4)])
    assert is_subsequence(base.split("\n"), merged.split("\n"))
    papers = merged[merged.index("## 论文") : merged.index("## 开源项目")]
    assert papers.index("Paper 1") < papers.index("Paper 3")
    assert papers.endswith("〔待编辑〕  \n\n")  # blank line kept before the next heading
    assert section_of(merged, "https://github.com/o/r4") == "## 开源项目"
    assert "\n\n\n" not in merged
    assert merge(merged, [paper(1), post(2), paper(3), repo(4)]) == merged


def test_entries_the_editor_moved_are_left_alone_and_links_only_mentioned_are_added():
    base = render_markdown([paper(1), post(2)], date=DATE)
    lines = base.split("\n")
    start = next(i for i, line in enumerate(lines) if "Paper 1" in line)
    block = lines[start : start + 2]
    del lines[start : start + 2]
    lines[lines.index("## 博文  ") + 1 : lines.index("## 博文  ") + 1] = ["", *block]
    lines.insert(3, "我的笔记：see https://github.com/o/r5 and https://arxiv.org/pdf/2001.10006v2.pdf。")
    edited = "\n".join(lines)
    assert merge(edited, [paper(1), post(2)]) == edited
    merged = merge(edited, [paper(1), post(2), repo(5), paper(6)])
    # A link in the editor's prose is not an entry: both become entries of their own, once.
    assert is_subsequence(edited.split("\n"), merged.split("\n"))
    assert merged.count("- [o/r5: repo 5](https://github.com/o/r5)") == 1
    assert merged.count("](https://arxiv.org/abs/2001.10006)") == 1
    assert "> 导读：本期4条。" in merged


def test_editor_text_is_kept_exactly():
    base = render_markdown([post(2)], date=DATE)
    edited = base.replace("摘要：", "摘要：编辑改写的摘要，") + "\n## [往期回顾](https://github.com/x/y)\n\n| 表 | 格 |\n"
    merged = merge(edited, [post(2), post(3)])
    assert is_subsequence(edited.split("\n"), merged.split("\n"))
    assert merged.index("Post 3") < merged.index("往期回顾")


def test_missing_sections_are_created_in_the_fixed_order():
    existing = "# 嵌入式AI简报 (2020-05-15)\n\n## 业界新闻  \n\n- [n](https://example.com/n)  \n\n## 博文  \n\nfree text\n"
    merged = merge(existing, [paper(1), repo(2), post(3, section="应用")])
    headings = [line.strip() for line in merged.split("\n") if line.startswith("## ")]
    assert headings == ["## 业界新闻", "## 论文", "## 开源项目", "## 博文", "## 应用"]
    assert is_subsequence(existing.split("\n"), merged.split("\n"))
    assert merged.endswith("\n")
    assert merge(merged, [paper(1), repo(2), post(3, section="应用")]) == merged


def test_custom_section_goes_before_a_footer():
    existing = "## 博文  \n\n- [p](https://example.com/p)  \n\n## [往期回顾](https://github.com/x/y)  \n\nfooter\n"
    merged = merge(existing, [post(3, section="应用")])
    assert merged.index("## 应用") < merged.index("往期回顾")


def test_failures_block_is_rewritten_in_place_and_never_counts_as_present():
    failed = post(7, status="failed", error="HTTP 404")
    base = render_markdown([post(2), failed], date=DATE) + "\n编辑在最后写的话\n"
    assert "HTTP 404" in base
    again = merge(base, [post(2), post(7, status="failed", error="timed out after 30 s")])
    assert "timed out after 30 s" in again and "HTTP 404" not in again
    assert again.endswith("\n编辑在最后写的话\n")
    recovered = merge(again, [post(2), post(7)])
    assert "enrich:failed" not in recovered
    assert section_of(recovered, "https://example.com/post/7") == "## 博文"
    assert recovered.endswith("\n编辑在最后写的话\n")


def test_failures_block_is_appended_when_absent():
    existing = "## 博文  \n\n- [p](https://example.com/p)  \n"
    merged = merge(existing, [post(7, status="failed", error="HTTP 404")])
    assert merged.startswith(existing)
    assert merged.rstrip("\n").endswith("<!-- /enrich:failed -->")
    assert merge(merged, [post(7, status="failed", error="HTTP 404")]) == merged


def test_renamed_repository_is_not_added_twice():
    renamed = entry(github_link("old/name"), {"full_name": "new/name", "html_url": "https://github.com/new/name"})
    once = merge("## 开源项目  \n", [renamed])
    assert "(https://github.com/new/name)" in once
    assert merge(once, [renamed]) == once


def test_crlf_draft_keeps_its_line_endings():
    base = render_markdown([post(1)], date=DATE).replace("\n", "\r\n")
    merged = merge(base, [post(1), post(2)])
    assert "Post 2" in merged and merged.count("\r\n") == merged.count("\n")
    assert is_subsequence(base.split("\r\n"), merged.split("\r\n"))
    assert merge(merged, [post(1), post(2)]) == merged


def test_empty_existing_draft_is_a_new_draft():
    assert merge("", [post(1)]) == render_markdown([post(1)], date=DATE)


def test_plain_template_merge():
    base = render_markdown([post(1)], date=DATE, template="plain")
    merged = merge(base, [post(1), paper(2)], template="plain")
    assert section_of(merged, "https://arxiv.org/abs/2001.10002") == "## Papers"
    assert merge(merged, [post(1), paper(2)], template="plain") == merged


# ---------------------------------------------------------------------------------------------
# Property: whatever the editor did, a merge keeps every editor line and adds each entry once.

MAKERS = [paper, repo, post]
FREE_TEXT = st.one_of(
    st.text(alphabet="abc xyz中文编辑说明[]()|*_->#！。，1.", max_size=40),
    st.sampled_from(["", "## 往期回顾", "### 小结", "# 另一个标题", "摘要：编辑自己写的", "----", "  "]),
)


@st.composite
def scenarios(draw):
    numbers = draw(st.lists(st.integers(1, 30), min_size=1, max_size=12, unique=True))
    pool = []
    for n in numbers:
        make = MAKERS[n % 3]
        section = draw(st.sampled_from([None, None, None, "业界新闻", "应用"]))
        pool.append((n, make, section))
    in_base = draw(st.lists(st.booleans(), min_size=len(pool), max_size=len(pool)))
    failed_before = draw(st.lists(st.booleans(), min_size=len(pool), max_size=len(pool)))
    failed_now = draw(st.lists(st.booleans(), min_size=len(pool), max_size=len(pool)))
    base_entries = [
        make(n, section=s, status="failed" if f else "ok", error="HTTP 404" if f else None)
        for (n, make, s), b, f in zip(pool, in_base, failed_before)
        if b
    ]
    run_entries = [
        make(n, section=s, status="failed" if f else "ok", error="HTTP 500" if f else None)
        for (n, make, s), f in zip(pool, failed_now)
    ]
    lines = render_markdown(base_entries, date=DATE).split("\n")
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["rewrite", "delete_entry", "move_entry", "insert", "delete_line"]))
        entry_starts = [i for i, line in enumerate(lines) if line.startswith("- [")]
        if op == "rewrite":
            summaries = [i for i, line in enumerate(lines) if line.startswith("摘要：")]
            if summaries:
                lines[draw(st.sampled_from(summaries))] = "摘要：" + draw(FREE_TEXT)
        elif op in ("delete_entry", "move_entry") and entry_starts:
            start = draw(st.sampled_from(entry_starts))
            end = lines.index("", start) if "" in lines[start:] else len(lines)
            block = lines[start:end]
            del lines[start:end]
            if op == "move_entry":
                at = draw(st.integers(0, len(lines)))
                lines[at:at] = block
        elif op == "insert":
            lines.insert(draw(st.integers(0, len(lines))), draw(FREE_TEXT))
        elif op == "delete_line" and lines:
            del lines[draw(st.integers(0, len(lines) - 1))]
    return "\n".join(lines), run_entries


def outside_block(text: str) -> list[str]:
    lines = text.split("\n")
    block = find_failures_block(lines)
    return lines if not block else lines[: block[0]] + lines[block[1] + 1 :]


def entry_line_count(lines: list[str], url: str) -> int:
    return sum(1 for line in lines if re.match(r"^- ", line) and f"]({url})" in line)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_merge_keeps_editor_lines_adds_each_entry_once_and_is_idempotent(scenario):
    edited, run_entries = scenario
    merged = merge(edited, run_entries)

    editor_lines, result_lines = outside_block(edited), outside_block(merged)
    assert is_subsequence(editor_lines, result_lines)

    for item in run_entries:
        url = item.source.main.url
        # e.g. in the remains of a failures block whose marker the editor deleted
        mentioned = url in urls_in_text("\n".join(editor_lines))
        if item.status == "ok" and not mentioned:
            assert entry_line_count(result_lines, url) == 1, url
        else:
            assert entry_line_count(result_lines, url) == entry_line_count(editor_lines, url)

    assert merge(merged, run_entries) == merged
