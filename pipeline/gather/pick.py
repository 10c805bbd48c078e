"""Turns the feeds' items into candidates: new ones only, canonicalized, filtered, deduplicated
against what the digest already has, scored and ranked (pure)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pipeline.gather.feeds import FeedItem
from pipeline.gather.score import (
    ArchiveLike,
    Likeness,
    Score,
    featured_titles,
    keyword_hits,
    score,
)
from pipeline.links import LinkError, canonicalize
from pipeline.models import DEFAULT_SECTION, Link
from pipeline.sources import section_name

# arXiv announces a new version of an old paper as `replace` (or `replace-cross` when it reached the
# listing through a cross-list): a version update, not a new paper.
VERSION_UPDATES = frozenset({"replace", "replace-cross"})


@dataclass(frozen=True)
class FeedBatch:
    """The items one feed gave this run, with that feed's settings."""

    name: str
    items: Sequence[FeedItem]
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    section: str = ""


@dataclass(frozen=True)
class Candidate:
    key: str
    url: str
    title: str
    source: str  # the feed's name
    section: str
    published: float | None
    score: Score

    @property
    def why(self) -> str:
        return self.score.why()


@dataclass
class FeedCount:
    items: int = 0
    new: int = 0  # not seen before, not a version update, through the feed's filters
    kept: int = 0  # became candidates in the inbox


@dataclass
class Picked:
    candidates: list[Candidate]
    counts: dict[str, FeedCount]
    seen: set[str] = field(default_factory=set)  # item ids to remember, kept or not


def item_link(item: FeedItem) -> Link | None:
    if not item.url:
        return None
    try:
        return canonicalize(item.url)
    except LinkError:
        return None


def seen_id(link: Link) -> str:
    """What "already seen" is remembered by: the key, and a release's tag (a repository's next
    release is news even though the repository is not)."""
    tag = link.get("release_tag")
    return f"{link.key}@{tag}" if tag else link.key


def _title(item: FeedItem, link: Link) -> str:
    tag = link.get("release_tag")
    if tag and link.kind == "github":
        repo = link.url.rstrip("/").split("github.com/", 1)[-1]
        return f"{repo} {item.title}" if item.title and tag in item.title else f"{repo} {tag}"
    return item.title or link.url


@dataclass(frozen=True)
class Prepared:
    """One item of a feed, canonicalized, filtered and scored: the per-feed work, done as each
    feed arrives (off the event loop), before anything is known of the other feeds."""

    ident: str  # what "seen" remembers
    candidate: Candidate


@dataclass(frozen=True)
class PreparedFeed:
    name: str
    items: int
    prepared: list[Prepared]


def prepare(batch: FeedBatch, keywords: Sequence[str], likeness: Likeness) -> PreparedFeed:
    """Drops version updates, items without a usable link and items the feed's include/exclude
    filters refuse; scores the rest."""
    prepared = []
    section_of_feed = section_name(batch.section) if batch.section else None
    for item in batch.items:
        if item.announce_type in VERSION_UPDATES:
            continue
        link = item_link(item)
        if link is None:
            continue
        text = f"{item.title}\n{item.summary}"
        if batch.include and not keyword_hits(batch.include, text):
            continue
        if batch.exclude and keyword_hits(batch.exclude, text):
            continue
        title = _title(item, link)
        # A release is offered as its release page; sources.txt reads that as the repository.
        url = item.url if link.get("release_tag") and item.url else link.url
        candidate = Candidate(
            link.key,
            url,
            title,
            batch.name,
            section_of_feed or DEFAULT_SECTION[link.kind],
            item.published,
            score(title, item.summary, keywords, likeness),
        )
        prepared.append(Prepared(seen_id(link), candidate))
    return PreparedFeed(batch.name, len(batch.items), prepared)


def choose(
    feeds: Sequence[PreparedFeed],
    *,
    seen: Callable[[str], bool],
    known: Callable[[str], bool],
    archive: ArchiveLike | None,
    limit: int,
) -> Picked:
    """`seen(id)`: remembered from an earlier run; `known(key)`: already in sources.txt, the draft,
    the inbox or featured by an earlier issue. The best `limit` candidates are returned, best first;
    every new item is reported as seen so it is not offered again."""
    counts: dict[str, FeedCount] = {}
    found: list[tuple[str, Candidate]] = []
    picked = Picked([], counts)
    for feed in feeds:
        count = counts.setdefault(feed.name, FeedCount())
        count.items += feed.items
        for item in feed.prepared:
            if seen(item.ident) or item.ident in picked.seen:
                continue
            picked.seen.add(item.ident)
            count.new += 1
            key = item.candidate.key
            if known(key) or (archive is not None and archive.featured(key)):
                continue
            found.append((feed.name, item.candidate))
    # Best first; the same link from two feeds is one candidate, under the better-scored one.
    found.sort(key=lambda pair: (-pair[1].score.value, -(pair[1].published or 0.0), pair[1].key))
    taken: set[str] = set()
    for name, candidate in found:
        if candidate.key in taken or len(picked.candidates) >= limit:
            continue
        taken.add(candidate.key)
        picked.candidates.append(candidate)
        counts[name].kept += 1
    return picked


def pick(
    batches: Sequence[FeedBatch],
    *,
    seen: Callable[[str], bool],
    known: Callable[[str], bool],
    keywords: Sequence[str],
    archive: ArchiveLike | None,
    limit: int,
) -> Picked:
    """prepare() every feed, then choose(): the whole of picking, in one call."""
    likeness = Likeness(featured_titles(archive))
    return choose([prepare(b, keywords, likeness) for b in batches], seen=seen, known=known, archive=archive, limit=limit)
