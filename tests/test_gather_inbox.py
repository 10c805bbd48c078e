"""The inbox merge: the editor's ticks, notes and lines survive every run; ticked items reach
sources.txt exactly once, even across a crash between the two writes (hypothesis)."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.gather import run as gather_run
from pipeline.gather.inbox import Move, add_to_sources, merge_inbox, parse_inbox
from pipeline.gather.pick import Candidate
from pipeline.gather.run import settle
from pipeline.gather.score import Score
from pipeline.links import canonical_key
from pipeline.models import SECTIONS

TODAY = date(2026, 12, 3)


def candidate(n: int, section: str, title: str = "") -> Candidate:
    url = f"https://c{n}.example.org/post"
    return Candidate(f"web:{url}", url, title or f"Post {n}", "feed", section, None, Score(1.0, ["NPU"]))


def test_a_new_inbox_is_sectioned_in_the_digest_order():
    text = merge_inbox(
        None,
        [candidate(1, "博文"), candidate(2, "论文"), candidate(3, "博文", "A [bracketed] title")],
        [],
        today=TODAY,
        keep_days=14,
    )
    assert text.index("## 论文") < text.index("## 博文")
    assert "- [ ] [A \\[bracketed\\] title](https://c3.example.org/post) · feed\n  picked 2026-12-03: keywords: NPU\n" in text
    items = parse_inbox(text, canonical_key)
    first = items[0]
    assert (first.key, first.section, first.ticked, first.note, first.picked) == (
        "web:https://c2.example.org/post",
        "论文",
        False,
        None,
        TODAY,
    )


def test_new_sections_go_in_order_between_the_editor_s():
    existing = "# Inbox\n\nmy intro\n\n## 论文\n\n- [ ] [P](https://p.example.org/)\n\n## 博文\n\nfree text\n"
    text = merge_inbox(existing, [candidate(1, "开源项目"), candidate(2, "论文")], [], today=TODAY, keep_days=14)
    assert text == (
        "# Inbox\n\nmy intro\n\n## 论文\n\n- [ ] [P](https://p.example.org/)\n"
        "- [ ] [Post 2](https://c2.example.org/post) · feed\n  picked 2026-12-03: keywords: NPU\n\n"
        "## 开源项目\n\n- [ ] [Post 1](https://c1.example.org/post) · feed\n  picked 2026-12-03: keywords: NPU\n\n"
        "## 博文\n\nfree text\n"
    )


def test_sources_lines_are_appended_to_their_section_never_rewritten():
    text = "# c\n[papers]\nhttps://arxiv.org/abs/1\n# a comment of mine\n\n[博文]\nhttps://b.example.org/x  note\n"
    out = add_to_sources(
        text,
        [
            Move("论文", "https://arxiv.org/abs/2", "see fig 3"),
            Move("开源项目", "https://github.com/a/b", None),
            Move(None, "https://n.example.org/", None),
        ],
    )
    assert out == (
        "# c\nhttps://n.example.org/\n[papers]\nhttps://arxiv.org/abs/1\n# a comment of mine\n"
        "https://arxiv.org/abs/2  see fig 3\n\n[博文]\nhttps://b.example.org/x  note\n\n[开源项目]\nhttps://github.com/a/b\n"
    )


# -- the property ----------------------------------------------------------------------------
note_text = (
    st.text(alphabet=st.sampled_from(list("abcxyz 端侧量化！?")), min_size=1, max_size=12)
    .map(str.strip)
    .filter(lambda s: s and not s.startswith("picked"))
)


@st.composite
def editing(draw):
    first = draw(st.integers(1, 6))
    sections = draw(st.lists(st.sampled_from(SECTIONS), min_size=first, max_size=first))
    edits = draw(
        st.lists(st.tuples(st.booleans(), st.one_of(st.none(), note_text), st.booleans()), min_size=first, max_size=first)
    )
    order = draw(st.permutations(range(first)))
    second = draw(st.integers(0, 3))
    crash = draw(st.booleans())
    free = draw(st.one_of(st.none(), note_text))
    return sections, edits, order, second, crash, free


def edit_inbox(text: str, edits, order, free) -> tuple[str, list]:
    """Ticks, notes and deletions on each item, items reordered, a free line added: as an editor might."""
    lines = text.splitlines()
    items = parse_inbox(text, canonical_key)
    blocks, kept = [], []
    for item, (tick, note, delete) in zip(items, edits):
        block = lines[item.start : item.end]
        if tick:
            block[0] = block[0].replace("- [ ]", "- [x]", 1)
        if note:
            block.append(f"  {note}")
        blocks.append([] if delete else block)
        kept.append((item.url, tick, note, delete, block))
    permuted = [blocks[i] for i in order]
    out, cursor = [], 0
    for slot, item in enumerate(items):
        out += lines[cursor : item.start] + permuted[slot]
        cursor = item.end
    out += lines[cursor:]
    if free:
        out.insert(1, f"free: {free}")
    return "\n".join(out) + "\n", kept


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(editing())
def test_nothing_the_editor_wrote_is_lost_and_ticks_reach_sources_once(case):
    sections, edits, order, second, crash, free = case
    with tempfile.TemporaryDirectory() as folder:
        inbox, sources = Path(folder) / "inbox.md", Path(folder) / "sources.txt"
        mine = "[论文]\nhttps://arxiv.org/abs/1907.05550  mine\n\nhttps://x.example.org/  loose line\n"
        sources.write_text(mine, encoding="utf-8")
        settle(inbox, sources, [candidate(n, s) for n, s in enumerate(sections)], today=TODAY, keep_days=14)
        edited, kept = edit_inbox(inbox.read_text(encoding="utf-8"), edits, order, free)
        inbox.write_text(edited, encoding="utf-8")
        fresh = [candidate(100 + n, SECTIONS[n % 4]) for n in range(second)]
        if crash:
            real = gather_run.write_atomically

            def crash_on_inbox(path, text):
                if Path(path) == inbox:
                    raise OSError(28, "No space left on device")
                real(path, text)

            gather_run.write_atomically = crash_on_inbox
            try:
                settle(inbox, sources, fresh, today=TODAY, keep_days=14)
            except OSError:
                assert inbox.read_text(encoding="utf-8") == edited  # the crash left the inbox as it was
            finally:
                gather_run.write_atomically = real
        settle(inbox, sources, fresh, today=TODAY, keep_days=14)
        now_inbox, now_sources = inbox.read_text(encoding="utf-8"), sources.read_text(encoding="utf-8")
        source_lines = now_sources.splitlines()
        assert now_sources.startswith(mine.split("\n\n")[0])  # the editor's lines, untouched
        assert all(line in source_lines for line in mine.splitlines())
        for url, tick, note, delete, block in kept:
            in_sources = [line for line in source_lines if line.split()[:1] == [url]]
            if delete:
                assert not in_sources and url not in now_inbox
            elif tick:
                assert in_sources == [f"{url}  {note}" if note else url]
                assert url not in now_inbox
            else:
                assert not in_sources and "\n".join(block) in now_inbox
        if free:
            assert f"free: {free}" in now_inbox
        for c in fresh:
            assert now_inbox.count(c.url) == 1
        # Nothing new: both files byte for byte as they were.
        settle(inbox, sources, [], today=TODAY, keep_days=14)
        assert inbox.read_text(encoding="utf-8") == now_inbox and sources.read_text(encoding="utf-8") == now_sources
