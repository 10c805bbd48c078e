"""`enrich gather`, the I/O shell: fetch the feeds, pick candidates, move ticked items into
sources.txt, merge the inbox, remember what was seen, and report each feed's health."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TextIO
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.cache import DAY, Cache
from pipeline.config import Config, FeedSettings
from pipeline.gather.feeds import WEEKDAYS, FeedError, ParsedFeed, parse_feed
from pipeline.gather.inbox import (
    InboxItem,
    Move,
    add_to_sources,
    expired,
    merge_inbox,
    parse_inbox,
)
from pipeline.gather.pick import (
    Candidate,
    FeedBatch,
    Picked,
    PreparedFeed,
    choose,
    prepare,
)
from pipeline.gather.score import ArchiveLike, Likeness, featured_titles
from pipeline.gather.state import FeedMemory, GatherState
from pipeline.http import AddressGuard, HttpClient
from pipeline.links import canonical_key
from pipeline.lock import FileLock
from pipeline.retry import FetchError
from pipeline.run import EXIT_OK, EXIT_SOME_FAILED, UsageError, write_atomically
from pipeline.secrets import Redactor, register_secret
from pipeline.sources import SourceError, decode_lines, parse_lines, plan_entries

log = logging.getLogger("pipeline")

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
DEFAULT_WEEKEND = frozenset({"saturday", "sunday"})
try:
    ARXIV_TIME: tzinfo = ZoneInfo("America/New_York")
except ZoneInfoNotFoundError:  # no time zone database: standard time is off by an hour at most
    ARXIV_TIME = timezone(timedelta(hours=-5))
_DRAFT_URL = re.compile(r"https?://[^\s<>()\[\]]+")


@dataclass
class GatherOptions:
    sources: str = "sources.txt"
    draft: str = "drafts/next.md"
    inbox: str | None = None  # default: [gather] inbox
    format: str = "text"
    cache_dir: str = "cache"
    allow_private_hosts: bool = False
    lock_wait: float = 60.0
    archive: str | None = None  # folder of published issues; None: the config's [archive] path


@dataclass
class FeedReport:
    """One feed's outcome, as the summary line and the JSON document give it."""

    name: str
    url: str  # without its query: bridges put access keys there
    status: str = "ok"  # ok | not modified | failed
    items: int = 0
    new: int = 0
    kept: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Fetched:
    report: FeedReport
    prepared: PreparedFeed | None = None
    memory: FeedMemory | None = None  # what to remember of the feed; None: keep what we had
    skip_days: frozenset[str] = DEFAULT_WEEKEND


def feed_secrets(feeds: list[FeedSettings]) -> list[str]:
    """Values that may be credentials: a bridge's access key in the query, a password in the URL."""
    found = []
    for feed in feeds:
        parts = urlsplit(feed.url)
        found += [value for _name, value in parse_qsl(parts.query)]
        if parts.password:
            found.append(parts.password)
    return found


def public_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}" + ("?…" if parts.query else "")


def feed_names(feeds: list[FeedSettings]) -> list[str]:
    """Each feed's name (when it has none, its host and path: one host serves many feeds), two of
    one name told apart by a number."""
    names: list[str] = []
    count: dict[str, int] = {}
    for feed in feeds:
        parts = urlsplit(feed.url)
        name = feed.name or f"{parts.hostname}{parts.path.rstrip('/')}"
        count[name] = count.get(name, 0) + 1
        names.append(name if count[name] == 1 else f"{name} #{count[name]}")
    return names


@dataclass(frozen=True)
class Scoring:
    """What preparing a feed's items needs, shared read-only by the worker threads."""

    keywords: list[str]
    likeness: Likeness


def read_items(
    body: bytes, content_type: str | None, feed: FeedSettings, name: str, scoring: Scoring
) -> tuple[ParsedFeed, PreparedFeed]:
    """Parse, canonicalize, filter and score one feed: all of it CPU work, done in a worker
    thread while the other feeds download (feedparser takes ~0.2 ms an item)."""
    parsed = parse_feed(body, content_type)
    batch = FeedBatch(name, parsed.items, feed.include, feed.exclude, feed.section)
    return parsed, prepare(batch, scoring.keywords, scoring.likeness)


def _is_arxiv(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "arxiv.org" or host.endswith(".arxiv.org")


# -- fetching ----------------------------------------------------------------------------------
async def fetch_feed(
    http: HttpClient, feed: FeedSettings, name: str, memory: FeedMemory, scoring: Scoring, now: float
) -> Fetched:
    """One feed, never raising: every failure becomes the report's error."""
    report = FeedReport(name, public_url(feed.url))
    try:
        page = await http.get(feed.url, etag=memory.etag, last_modified=memory.last_modified)
    except FetchError as exc:
        report.status, report.error = "failed", exc.reason
        if exc.reason.startswith(("HTTP 401", "HTTP 403")):
            report.error += " (cookie expired?)"
        return Fetched(report)
    if page.not_modified:
        report.status = "not modified"
        return Fetched(report, memory=FeedMemory(memory.etag, memory.last_modified, memory.newest_at))
    if page.truncated:
        report.status = "failed"
        report.error = f"feed larger than {http.limits.max_body / 1024 / 1024:g} MB, not read"
        return Fetched(report)
    try:
        parsed, prepared = await asyncio.to_thread(read_items, page.body or b"", page.content_type, feed, name, scoring)
    except FeedError as exc:
        report.status, report.error = "failed", str(exc)
        return Fetched(report)
    report.items = len(parsed.items)
    report.warnings += parsed.problems
    newest = max((i.published for i in parsed.items if i.published is not None), default=None)
    if newest is None and parsed.items:
        newest = memory.newest_at or now  # undated items: the first time we saw some
    remembered = FeedMemory(page.etag, page.last_modified, max(filter(None, (newest, memory.newest_at)), default=None))
    return Fetched(report, prepared, remembered, parsed.skip_days or DEFAULT_WEEKEND)


async def fetch_feeds(
    feeds: list[FeedSettings], memories: list[FeedMemory], http: HttpClient, scoring: Scoring, now: float
) -> list[Fetched]:
    names = feed_names(feeds)
    async with http:
        return list(await asyncio.gather(*(fetch_feed(http, f, n, m, scoring, now) for f, n, m in zip(feeds, names, memories))))


def health_warnings(fetched: Fetched, feed: FeedSettings, memory: FeedMemory | None, now: float, silent_days: float) -> list[str]:
    """The quiet failures: an arXiv listing empty on a weekday, a feed that stopped updating."""
    warnings = []
    report = fetched.report
    # arXiv's days are New York's: its Monday listing appears at midnight there, 05:00 UTC, so a
    # run at 02:30 UTC on a Monday still sees the weekend's empty feed.
    weekday = WEEKDAYS[datetime.fromtimestamp(now, ARXIV_TIME).weekday()]
    if report.status == "ok" and report.items == 0 and _is_arxiv(feed.url) and weekday not in fetched.skip_days:
        warnings.append(
            f"no items on a {weekday.title()} (arXiv lists papers every weekday: a wrong category, or arXiv is down?)"
        )
    newest = (fetched.memory or memory or FeedMemory()).newest_at
    if report.status != "failed" and newest is not None and now - newest > silent_days * DAY:
        warnings.append(f"no new item for {int((now - newest) // DAY)} days")
    return warnings


# -- files ---------------------------------------------------------------------------------------
def _read(path: Path, what: str) -> str | None:
    if not path.exists():
        return None
    try:
        return path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {what} {path}: {exc}") from exc


def sources_keys(text: str | None, name: str) -> set[str]:
    if not text:
        return set()
    try:
        entries, _ = plan_entries(parse_lines(decode_lines(text.encode("utf-8"), name)))
    except SourceError as exc:
        raise UsageError(str(exc)) from exc
    return {link.key for entry in entries for link in entry.links}


def draft_keys(text: str | None) -> set[str]:
    return {key for url in _DRAFT_URL.findall(text or "") if (key := canonical_key(url))}


@dataclass
class Settled:
    moved: list[str] = field(default_factory=list)  # URLs added to sources.txt
    dropped: int = 0  # ticked, but sources.txt had the link already
    expired: int = 0
    added: int = 0
    inbox_written: bool = False


def settle(
    inbox_path: Path,
    sources_path: Path,
    candidates: list[Candidate],
    *,
    today: date,
    keep_days: float,
    inbox_text: str | None = None,
    sources_text: str | None = None,
) -> Settled:
    """Moves ticked items into sources.txt, then rewrites the inbox without them and the expired
    ones, with `candidates` added. sources.txt is written first: after a crash between the two
    writes, the next run finds the ticked links in sources.txt and only drops them from the inbox."""
    inbox_text = _read(inbox_path, "the inbox") if inbox_text is None else inbox_text
    sources_text = _read(sources_path, "the sources file") if sources_text is None else sources_text
    items = parse_inbox(inbox_text or "", canonical_key)
    present = sources_keys(sources_text, str(sources_path))
    settled = Settled()
    moves, remove = [], []
    for item in items:
        if item.ticked and item.key is not None:
            remove.append(item)
            if item.key in present:
                settled.dropped += 1
            else:
                present.add(item.key)
                moves.append(Move(item.section, item.url or "", item.note))
        elif expired(item, today, keep_days):
            remove.append(item)
            settled.expired += 1
        elif item.ticked:
            log.warning("%s line %d: a ticked item without a usable link, left in place", inbox_path, item.start + 1)
    if moves:
        write_atomically(sources_path, add_to_sources(sources_text or "", moves))
        settled.moved = [m.url for m in moves]
    text = merge_inbox(inbox_text, candidates, remove, today=today, keep_days=keep_days)
    if text != inbox_text:
        write_atomically(inbox_path, text)
        settled.inbox_written = True
    settled.added = len(candidates)
    return settled


# -- the whole run -------------------------------------------------------------------------------
@dataclass
class GatherResult:
    reports: list[FeedReport]
    picked: Picked
    settled: Settled
    inbox: str

    def line(self) -> str:
        items = sum(r.items for r in self.reports)
        new = sum(r.new for r in self.reports)
        text = f"gather: {len(self.reports)} feeds, {items} items, {new} new, {self.settled.added} to the inbox ({self.inbox})"
        failed = [f"{r.name} ({r.error})" for r in self.reports if r.status == "failed"]
        warned = [f"{r.name} ({'; '.join(r.warnings)})" for r in self.reports if r.warnings]
        parts = [text]
        if self.settled.moved:
            parts.append(f"{len(self.settled.moved)} ticked moved to sources.txt")
        if self.settled.expired:
            parts.append(f"{self.settled.expired} expired")
        if failed:
            parts.append(f"{len(failed)} failed: " + ", ".join(failed))
        if warned:
            parts.append(f"{len(warned)} warned: " + ", ".join(warned))
        return "; ".join(parts)

    def document(self) -> dict:
        return {
            "feeds": [asdict(r) for r in self.reports],
            "candidates": [
                {
                    "key": c.key,
                    "url": c.url,
                    "title": c.title,
                    "source": c.source,
                    "section": c.section,
                    "score": c.score.value,
                    "why": c.why,
                    "keywords": c.score.keywords,
                    "likes": [asdict(like) for like in c.score.likes],
                }
                for c in self.picked.candidates
            ],
            "moved": self.settled.moved,
            "expired": self.settled.expired,
            "inbox": self.inbox,
        }


def gather(
    options: GatherOptions,
    config: Config,
    archive: ArchiveLike | None,
    *,
    stdout: TextIO,
    stderr: TextIO,
    guard: AddressGuard | None = None,
    clock: Callable[[], float] = time.time,
) -> int:
    settings = config.gather
    if not settings.feeds:
        raise UsageError("no feeds to gather: add [[gather.feeds]] tables to enrich.toml (see the README)")
    inbox_path = Path(options.inbox or settings.inbox)
    sources_path = Path(options.sources)
    # Request logs (-v) print feed URLs whole: registered, a feed's credentials are hidden by every
    # redactor of the run, the log handler's included.
    for secret in feed_secrets(settings.feeds):
        register_secret(secret)
    redact = Redactor()
    locks = [
        FileLock(Path(options.cache_dir) / "enrich.lock", f"the cache {options.cache_dir}"),
        FileLock(inbox_path.with_name(f".{inbox_path.name}.lock"), f"the inbox {inbox_path}"),
    ]
    held: list[FileLock] = []
    try:
        for lock in locks:
            lock.acquire(options.lock_wait)
            held.append(lock)
        result = _gather_locked(options, config, archive, inbox_path, sources_path, guard, clock)
    finally:
        for lock in reversed(held):
            lock.release()
    for report in result.reports:
        if report.status == "failed":
            log.warning("feed %s: %s", report.name, redact(report.error or ""))
        for warning in report.warnings:
            log.warning("feed %s: %s", report.name, redact(warning))
        log.info("feed %s: %s, %d items, %d new, %d kept", report.name, report.status, report.items, report.new, report.kept)
    if options.format == "json":
        stdout.write(redact(json.dumps(result.document(), ensure_ascii=False, indent=2)) + "\n")
        stdout.flush()
    print(redact(result.line()), file=stderr)
    return EXIT_SOME_FAILED if any(r.status == "failed" for r in result.reports) else EXIT_OK


def _load_archive(folder: str, cache: Cache) -> ArchiveLike | None:
    """The editorial archive candidates are deduplicated against and ranked by, when one is set."""
    if not folder:
        return None
    from pipeline.archive import ArchiveError, load_archive

    try:
        return load_archive(folder, cache)
    except ArchiveError as exc:
        raise UsageError(str(exc)) from exc


def _gather_locked(
    options: GatherOptions,
    config: Config,
    archive: ArchiveLike | None,
    inbox_path: Path,
    sources_path: Path,
    guard: AddressGuard | None,
    clock: Callable[[], float],
) -> GatherResult:
    settings = config.gather
    now = clock()
    today = datetime.fromtimestamp(now, UTC).date()
    inbox_text = _read(inbox_path, "the inbox")
    sources_text = _read(sources_path, "the sources file")
    draft = _read(Path(options.draft), "the draft")
    sources_keys(sources_text, str(sources_path))  # a sources file we cannot read costs no fetching
    cache = Cache(options.cache_dir)
    try:
        if archive is None:
            archive = _load_archive(options.archive or config.archive.path, cache)
        state = GatherState(cache.db)
        memories = [state.feed(f.url) for f in settings.feeds]
        http = HttpClient(
            limits=config.web,
            guard=guard or AddressGuard(allow_private=options.allow_private_hosts),
            body_types=None,
            accept=FEED_ACCEPT,
        )
        scoring = Scoring(list(settings.keywords), Likeness(featured_titles(archive)))
        fetched = asyncio.run(fetch_feeds(list(settings.feeds), memories, http, scoring, now))
        seen = state.seen_items()
        # Every link in the inbox, ticked or not, is known: never offered twice.
        inbox_items: list[InboxItem] = parse_inbox(inbox_text or "", canonical_key)
        known = sources_keys(sources_text, str(sources_path)) | draft_keys(draft) | {i.key for i in inbox_items if i.key}
        picked = choose(
            [f.prepared for f in fetched if f.prepared is not None],
            seen=seen.__contains__,
            known=known.__contains__,
            archive=archive,
            limit=settings.max_candidates,
        )
        settled = settle(
            inbox_path,
            sources_path,
            picked.candidates,
            today=today,
            keep_days=settings.keep_days,
            inbox_text=inbox_text,
            sources_text=sources_text,
        )
        reports = []
        for f, feed, memory in zip(fetched, settings.feeds, memories):
            count = picked.counts.get(f.report.name)
            if count is not None:
                f.report.new, f.report.kept = count.new, count.kept
            f.report.warnings += health_warnings(f, feed, memory, now, settings.silent_days)
            reports.append(f.report)
        state.remember(
            [(feed.url, f.memory) for f, feed in zip(fetched, settings.feeds) if f.memory is not None], picked.seen, now
        )
    finally:
        cache.close()
    return GatherResult(reports, picked, settled, str(inbox_path))
