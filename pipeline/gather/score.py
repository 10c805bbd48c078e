"""Ranks candidates by the beat's keywords and by likeness to the titles the digest has featured,
keeping the reasons so the editor sees why each was picked (pure)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

# A run of CJK ideographs (and kana, for the odd Japanese title); Latin words keep +, #, . and -
# inside them so C++, C#, Llama.cpp and int8-quantized stay one term.
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[a-z0-9](?:[a-z0-9+#.\-]*[a-z0-9+#])?")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "how",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "the",
        "their",
        "this",
        "to",
        "via",
        "we",
        "what",
        "when",
        "why",
        "with",
        "you",
        "your",
        "new",
        "using",
        "based",
        "towards",
        "toward",
    ]
)
KEYWORD_TITLE, KEYWORD_SUMMARY = 1.0, 0.5  # a keyword in the title says more than one in the summary
LIKENESS_WEIGHT = 3.0  # a cosine of 0.5 to a featured title weighs like one and a half title keywords
MIN_LIKENESS = 0.2  # below this, two titles share little more than common terms
MAX_LIKE = 2  # past entries shown as reasons


class ArchiveEntryLike(Protocol):
    date: Any
    section: str
    title: str


class ArchiveLike(Protocol):
    """What gathering needs of the editorial archive: its entries, and which issues featured a key."""

    @property
    def entries(self) -> Sequence[Any]: ...

    def featured(self, key: str) -> Sequence[Any]: ...


def terms(text: str) -> list[str]:
    """Latin words (lower case, no stop words) and CJK character bigrams: Chinese has no spaces and
    no segmenter is needed to match 端侧推理 with 端侧大模型推理 on 端侧 and 推理."""
    folded = text.casefold()
    found = [w for w in _LATIN_WORD.findall(_CJK_RUN.sub(" ", folded)) if w not in STOPWORDS and len(w) > 1]
    for run in _CJK_RUN.findall(folded):
        found += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
    return found


def keyword_hits(keywords: Iterable[str], text: str) -> list[str]:
    """The keywords `text` mentions: CJK ones as substrings, Latin ones as whole words."""
    folded = text.casefold()
    words = set(_LATIN_WORD.findall(folded))
    hits = []
    for keyword in keywords:
        k = keyword.strip().casefold()
        if not k:
            continue
        latin = _CJK_RUN.search(k) is None
        if (latin and (k in words or (" " in k and re.search(rf"(?<![a-z0-9]){re.escape(k)}(?![a-z0-9])", folded)))) or (
            not latin and k in folded
        ):
            hits.append(keyword.strip())
    return hits


@dataclass(frozen=True)
class Like:
    """A past entry a candidate resembles."""

    date: str
    title: str
    score: float


@dataclass
class Score:
    value: float = 0.0
    keywords: list[str] = field(default_factory=list)
    likes: list[Like] = field(default_factory=list)

    def why(self) -> str:
        """The reasons in one line, e.g. `keywords: NPU, 量化; like 2026-10-15 「…」`."""
        parts = []
        if self.keywords:
            parts.append("keywords: " + ", ".join(self.keywords))
        if self.likes:
            parts.append("like " + ", ".join(f"{like.date} 「{like.title}」" for like in self.likes))
        return "; ".join(parts) or "new in a watched feed"


class Likeness:
    """TF-IDF cosine between a title and the archive's featured titles: common terms (模型, model)
    weigh little, rare shared ones (剪枝, pruning) much."""

    def __init__(self, featured: Iterable[tuple[str, str]]):
        """featured: (date, title) of every entry the digest has run."""
        self.entries = [(date, title, Counter(terms(title))) for date, title in featured if title]
        frequency: Counter[str] = Counter()
        for _date, _title, counts in self.entries:
            frequency.update(counts.keys())
        n = len(self.entries)
        self.idf = {term: math.log((1 + n) / (1 + df)) + 1 for term, df in frequency.items()}
        self.vectors = [(date, title, self._vector(counts)) for date, title, counts in self.entries]

    def _vector(self, counts: Counter[str]) -> dict[str, float]:
        vector = {t: c * self.idf.get(t, 0.0) for t, c in counts.items() if t in self.idf}
        norm = math.sqrt(sum(v * v for v in vector.values()))
        return {t: v / norm for t, v in vector.items()} if norm else {}

    def best(self, title: str, limit: int = MAX_LIKE) -> list[Like]:
        if not self.vectors:
            return []
        query = self._vector(Counter(terms(title)))
        if not query:
            return []
        scored = []
        for date, past, vector in self.vectors:
            cosine = sum(w * vector.get(t, 0.0) for t, w in query.items())
            if cosine >= MIN_LIKENESS:
                scored.append(Like(date, past, round(cosine, 3)))
        scored.sort(key=lambda like: (-like.score, like.date))
        return scored[:limit]


def featured_titles(archive: ArchiveLike | None) -> list[tuple[str, str]]:
    if archive is None:
        return []
    return [(str(getattr(e, "date", "")), str(getattr(e, "title", "") or "")) for e in archive.entries]


def score(title: str, summary: str, keywords: Sequence[str], likeness: Likeness) -> Score:
    in_title = keyword_hits(keywords, title)
    in_summary = [k for k in keyword_hits(keywords, summary) if k not in in_title]
    likes = likeness.best(title)
    value = KEYWORD_TITLE * len(in_title) + KEYWORD_SUMMARY * len(in_summary)
    value += LIKENESS_WEIGHT * (likes[0].score if likes else 0.0)
    return Score(round(value, 3), [*in_title, *in_summary], likes)
