"""Scoring and picking candidates: keywords, likeness to featured titles, dedup, version updates."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.gather.feeds import FeedItem
from pipeline.gather.pick import FeedBatch, pick
from pipeline.gather.score import Likeness, keyword_hits, score, terms


@dataclass(frozen=True)
class PastEntry:
    """Shaped like the archive's entries: only what gathering reads."""

    date: str
    section: str
    title: str
    keys: tuple[str, ...] = ()


@dataclass
class Archive:
    entries: list[PastEntry] = field(default_factory=list)

    def featured(self, key: str) -> list[PastEntry]:
        return [e for e in self.entries if key in e.keys]


ARCHIVE = Archive(
    [
        PastEntry("2026-10-15", "博文", "端侧大模型推理加速实践", ("web:https://old.example.org/a",)),
        PastEntry("2026-11-01", "论文", "Structured pruning for edge NPUs", ("arxiv:2510.00001",)),
        PastEntry("2026-11-15", "业界新闻", "某公司发布新款手机芯片", ()),
    ]
)


def item(title: str, url: str | None, summary: str = "", announce: str | None = None, published: float | None = None) -> FeedItem:
    return FeedItem(id=url or title, title=title, url=url, summary=summary, announce_type=announce, published=published)


def run(batches, *, seen=frozenset(), known=frozenset(), keywords=(), archive=ARCHIVE, limit=50):
    return pick(batches, seen=lambda i: i in seen, known=lambda k: k in known, keywords=keywords, archive=archive, limit=limit)


def test_terms_are_latin_words_and_cjk_bigrams():
    assert terms("Edge LLM 端侧推理 on C++ and int8-quant") == ["edge", "llm", "c++", "int8-quant", "端侧", "侧推", "推理"]


def test_keywords_match_whole_latin_words_and_cjk_substrings():
    assert keyword_hits(["NPU", "量化", "edge ai", "arm"], "A new NPU for edge AI: 端侧量化 on alarms") == [
        "NPU",
        "量化",
        "edge ai",
    ]


def test_likeness_finds_the_featured_title_across_scripts_and_word_order():
    likeness = Likeness([(e.date, e.title) for e in ARCHIVE.entries])
    [best, *_] = likeness.best("大模型端侧推理的新方法")
    assert best.date == "2026-10-15" and best.score > 0.3
    assert likeness.best("Pruning NPUs at the edge")[0].title == "Structured pruning for edge NPUs"
    assert likeness.best("Quarterly earnings of a bank") == []


def test_score_explains_itself():
    likeness = Likeness([(e.date, e.title) for e in ARCHIVE.entries])
    s = score("端侧大模型推理 on NPU", "uses 量化", ["NPU", "量化", "FPGA"], likeness)
    assert s.keywords == ["NPU", "量化"]
    assert s.why().startswith("keywords: NPU, 量化; like 2026-10-15 「端侧大模型推理加速实践」")
    assert s.value > 1.5


def test_candidates_are_new_filtered_deduplicated_and_best_first():
    blog = FeedBatch(
        "Blog",
        [
            item("Cooking tips", "https://b.example.org/cook?utm_source=rss"),
            item("NPU 量化 guide", "https://b.example.org/npu?utm_source=rss"),
            item("Seen before", "https://b.example.org/old"),
            item("In sources.txt", "https://b.example.org/mine"),
            item("Featured already", "https://old.example.org/a"),
            item("No link", None),
        ],
        exclude=["cooking"],
    )
    mirror = FeedBatch("Mirror", [item("NPU 量化 guide (copy)", "https://b.example.org/npu#top")])
    picked = run(
        [blog, mirror], seen={"web:https://b.example.org/old"}, known={"web:https://b.example.org/mine"}, keywords=["NPU", "量化"]
    )
    assert [(c.key, c.source, c.section) for c in picked.candidates] == [("web:https://b.example.org/npu", "Blog", "博文")]
    assert picked.candidates[0].url == "https://b.example.org/npu"
    assert (picked.counts["Blog"].items, picked.counts["Blog"].new, picked.counts["Blog"].kept) == (6, 3, 1)
    assert picked.seen == {"web:https://b.example.org/npu", "web:https://b.example.org/mine", "web:https://old.example.org/a"}


def test_arxiv_replacements_are_not_new_papers_and_include_filters():
    listing = FeedBatch(
        "arXiv cs.LG",
        [
            item("Tiny NPU compiler", "https://arxiv.org/abs/2512.00001", announce="new"),
            item("Old NPU paper v2", "https://arxiv.org/abs/2511.00002", announce="replace"),
            item("Cross-listed NPU work", "https://arxiv.org/abs/2512.00003", announce="cross"),
            item("Old NPU cross v3", "https://arxiv.org/abs/2510.00004", announce="replace-cross"),
            item("Protein folding", "https://arxiv.org/abs/2512.00005", announce="new"),
        ],
        include=["NPU"],
    )
    picked = run([listing])
    assert [c.key for c in picked.candidates] == ["arxiv:2512.00001", "arxiv:2512.00003"]
    assert all(c.section == "论文" for c in picked.candidates)


def test_a_repository_s_next_release_is_new_but_a_known_repository_is_not_a_candidate():
    releases = FeedBatch("ncnn releases", [item("20261201", "https://github.com/Tencent/ncnn/releases/tag/20261201")])
    picked = run([releases], seen={"github:tencent/ncnn@20261101"})
    [candidate] = picked.candidates
    assert candidate.title == "Tencent/ncnn 20261201" and candidate.section == "开源项目"
    assert picked.seen == {"github:tencent/ncnn@20261201"}
    assert run([releases], known={"github:tencent/ncnn"}).candidates == []


def test_the_limit_keeps_the_best_and_the_feed_section_wins():
    batch = FeedBatch(
        "News", [item(f"Item {i} NPU" if i % 2 else f"Item {i}", f"https://n.example.org/{i}") for i in range(10)], section="news"
    )
    picked = run([batch], keywords=["NPU"], limit=3)
    assert len(picked.candidates) == 3 and all("NPU" in c.title for c in picked.candidates)
    assert {c.section for c in picked.candidates} == {"业界新闻"}
    assert picked.counts["News"].kept == 3 and len(picked.seen) == 10
