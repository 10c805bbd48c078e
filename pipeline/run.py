"""The one place that sequences I/O: read sources, look up the cache, fetch, store, render, write."""

from __future__ import annotations

import errno
import itertools
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date as date_type
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from pipeline.cache import Cache, Freshness, cache_is_read_only
from pipeline.collect import Collected, collect_outcomes
from pipeline.config import Config
from pipeline.fetchers.base import Fetcher
from pipeline.links import canonical_key, looks_like_url
from pipeline.lock import FileLock
from pipeline.models import DEFAULT_SECTION, Diagnostic, Entry, Link, Outcome, SourceEntry, SourceLine, Status, WebRecord
from pipeline.output import OutputFailed, OutputRefused, read_existing_output, resolve_output, write_atomically
from pipeline.report import rate_limit_note, summarize
from pipeline.secrets import Redactor
from pipeline.sources import SourceError, decode_lines, parse_lines, plan_entries

if TYPE_CHECKING:  # imported where used: the archive, the merge and the summarizer (and its HTTP
    # client) cost nothing before the cache opens, and nothing at all when a run does not need them
    from pipeline.archive import ArchiveIndex
    from pipeline.merge import MergeResult
    from pipeline.sourcenames import LearnedNames
    from pipeline.summarize import Summarizer

log = logging.getLogger("pipeline")

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_COULD_NOT_FINISH = 0, 1, 2, 3, 4


@dataclass
class Options:
    sources: list[str] = field(default_factory=list)
    output: str | None = None
    format: str = "md"
    offline: bool = False
    refresh: bool = False
    cache_dir: str = "cache"
    allow_private_hosts: bool = False
    template: str | None = None
    date: str | None = None
    lock_wait: float = 60.0
    summarize: bool | None = None  # --summarize / --no-summarize; None: as [summarize] says
    archive: str | None = None  # folder of published issues; None: the config's [archive] path
    readd: bool = False  # bring back entries the editor deleted from the draft


class UsageError(Exception):
    """Bad arguments or unreadable input: nothing is written (exit code 2)."""


_READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)


class CouldNotFinish(Exception):
    """The environment or the template stopped the run after it started (exit code 4); the message
    names the cause and the path."""


# -- reading -----------------------------------------------------------------------------------
def _argument_lines(urls: list[str]) -> Iterator[SourceLine]:
    for number, url in enumerate(urls, 1):
        yield SourceLine(line=number, urls=[url])


def read_sources(sources: list[str], stdin: BinaryIO) -> tuple[list[SourceEntry], list[Diagnostic]]:
    """Files, `-` and URL arguments -> entries. Raises UsageError for unreadable input."""
    items: list[Iterable[SourceLine | Diagnostic]] = []
    urls = [s for s in sources if s != "-" and looks_like_url(s) and not Path(s).is_file()]
    for source in sources:
        if source in urls:
            continue
        if source == "-":
            items.append(parse_lines(decode_lines(stdin, "standard input")))
            continue
        try:
            handle = open(source, "rb")  # noqa: SIM115 - closed when the generator finishes
        except OSError as exc:
            raise UsageError(f"cannot read {source}: {exc.strerror or exc}") from exc
        items.append(_closing(handle, parse_lines(decode_lines(handle, source))))
    if urls:
        items.append(_argument_lines(urls))
    try:
        # One pass over every source, so a link given twice is dropped in one place, however
        # many files it is spread over.
        return plan_entries(itertools.chain.from_iterable(items))
    except SourceError as exc:
        raise UsageError(str(exc)) from exc


def _closing(handle, lines):
    with handle:
        yield from lines


# -- assembling and writing --------------------------------------------------------------------
def _iso(ts: float | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) if ts is not None else None


def assemble(source_entries: list[SourceEntry], outcomes: dict[str, Outcome]) -> list[Entry]:
    entries = []
    for source in source_entries:
        main = outcomes[source.main.key]
        extra_records = {link.key: record for link in source.extras if (record := outcomes[link.key].record) is not None}
        entries.append(
            Entry(
                source=source,
                section=source.section or DEFAULT_SECTION[source.main.kind],
                status=main.status,
                record=main.record,
                error=main.error,
                cached=main.cached,
                fetched_at=_iso(main.fetched_at),
                extra_records=extra_records,
            )
        )
    return entries


class WhileFetching:
    """What the run does as results arrive, while the other links are still being fetched,
    rather than after the last has come: it drafts web pages' summaries, and at the first result
    loads the built-in template the draft will need (importing jinja2 and compiling it take some
    30 ms, hidden there behind the wait for the network)."""

    def __init__(self, load_template: bool) -> None:
        self.drafted: dict[str, str] = {}
        self.load_template = load_template

    def add(self, key: str, outcome: Outcome) -> None:
        if self.load_template:
            self.load_template = False
            from pipeline import draft

            draft.load_template()
        if isinstance(outcome.record, WebRecord) and not outcome.cached:
            from pipeline.summary import page_summary

            self.drafted[key] = page_summary(outcome.record)


def draft_page_summaries(entries: list[Entry], outcomes: dict[str, Outcome], cache: Cache, drafts: WhileFetching) -> None:
    """Every web entry's summary: drafted while fetching, or on an earlier run when its record
    has not been fetched again since (the cache keeps them by fetch time), or now; the new ones
    are kept for the next run."""
    from pipeline.summary import RULES, page_summary

    pages = [e for e in entries if e.source.main.kind == "web" and isinstance(e.record, WebRecord)]
    stamps = {key: at for e in pages if (at := outcomes[key := e.source.main.key].fetched_at) is not None}
    known = cache.drafted_summaries({key: at for key, at in stamps.items() if key not in drafts.drafted}, RULES)
    new: list[tuple[str, float, str]] = []
    for entry in pages:
        key = entry.source.main.key
        summary = drafts.drafted.get(key)
        if summary is None:
            summary = known.get(key)
        if summary is None and isinstance(entry.record, WebRecord):
            summary = page_summary(entry.record)
        entry.drafted_summary = summary
        if summary is not None and key in stamps and key not in known:
            new.append((key, stamps[key], summary))
    cache.store_drafted_summaries(new, RULES)


@dataclass
class Memory:
    """What the archive and the draft's history say for this run."""

    index: ArchiveIndex | None = None
    names: LearnedNames | None = None
    remembered: set[str] = field(default_factory=set)
    skip_featured: bool = False
    aliases: ArchiveIndex | None = None  # only its aliases: one key per item


def apply_archive(entries: list[Entry], mem: Memory) -> tuple[list[Entry], list[Entry]]:
    """Marks every entry featured before; with `featured = "skip"` also returns those (follow-ups
    excepted) apart: (kept, skipped)."""
    if mem.index is None:
        return entries, []
    from pipeline.archive import featured_info

    kept: list[Entry] = []
    skipped: list[Entry] = []
    for entry in entries:
        entry.featured_in, entry.follow_up = featured_info(entry, mem.index)
        held = mem.skip_featured and entry.featured_in and not entry.follow_up and entry.status != Status.FAILED
        (skipped if held else kept).append(entry)
    return kept, skipped


def _featured_reason(entry: Entry) -> str:
    issues = "、".join(f"{f['date']} 期「{f['section']}」" for f in entry.featured_in)
    return f'已收录于 {issues}，按 [archive] featured = "skip" 略过'


def render(
    entries: list[Entry], options: Options, diagnostics: list[Diagnostic], existing: str | None, mem: Memory | None = None
) -> MergeResult:
    """The draft: the JSON document, or the Markdown merged into `existing`."""
    import jinja2

    from pipeline import draft
    from pipeline.merge import MergeResult, merge

    issue_date = options.date or date_type.today().isoformat()
    mem = mem or Memory()
    entries, skipped = apply_archive(entries, mem)
    if options.format == "json":
        notes = [Diagnostic(_featured_reason(e), e.source.line) for e in skipped]
        return MergeResult(draft.render_json(entries, [*diagnostics, *notes], names=mem.names))
    notices = [draft.notice(e.source.line, draft.entry_urls(e), _featured_reason(e)) for e in skipped]
    try:
        return merge(
            existing or "",
            entries,
            canonical_key=canonical_key,
            template=options.template,
            date=issue_date,
            diagnostics=diagnostics,
            remembered=mem.remembered,
            readd=options.readd,
            notices=notices,
            names=mem.names,
            resolve=mem.aliases.resolve if mem.aliases else lambda key: key,
        )
    except jinja2.TemplateError as exc:
        raise CouldNotFinish(f"template {options.template or 'embedded-ai'} failed while rendering: {exc}") from exc


def load_memory(options: Options, config: Config, cache: Cache, output: Path | None, drafting: bool) -> Memory:
    """The archive's index and names, and the draft's memory (when a Markdown draft is merged)."""
    from pipeline import memory
    from pipeline.archive import (
        ArchiveError,
        ArchiveIndex,
        cached_aliases,
        cached_pages,
        load_archive,
    )
    from pipeline.sourcenames import LearnedNames, learn_names

    mem = Memory(skip_featured=config.archive.featured == "skip")
    folder = options.archive or config.archive.path
    if folder:
        try:
            mem.index = load_archive(folder, cache)
        except ArchiveError as exc:
            raise UsageError(str(exc)) from exc
        learned = learn_names(mem.index, cached_pages(cache, mem.index))
        mem.names = LearnedNames(learned.by_domain, learned.by_account, learned.by_page_name, learned.printed, dict(config.sites))
    elif config.sites:
        mem.names = LearnedNames(sites=dict(config.sites))
    if output is not None and drafting:
        mem.remembered = memory.remembered(cache.db, output)
        mem.aliases = ArchiveIndex([], aliases=mem.index.aliases if mem.index else cached_aliases(cache))
    return mem


def remember_draft(options: Options, freshness: Freshness, output: Path, keys: set[str], *, fresh: bool) -> None:
    from pipeline import memory

    cache = Cache(options.cache_dir, freshness)
    try:
        memory.remember(cache.db, output, keys, fresh=fresh)
    finally:
        cache.close()


# -- the whole run -----------------------------------------------------------------------------
def make_fetchers(kinds: set[str], options: Options, config: Config) -> dict[str, Fetcher]:
    """Builds only the stages this run needs: a warm run imports no HTTP library at all."""
    fetchers: dict[str, Fetcher] = {}
    if "arxiv" in kinds:
        from pipeline.fetchers.arxiv import ArxivFetcher

        fetchers["arxiv"] = ArxivFetcher(api_url=os.environ.get("ENRICH_ARXIV_API") or "https://export.arxiv.org/api/query")
    if "github" in kinds:
        from pipeline.fetchers.github import GithubFetcher
        from pipeline.secrets import github_token

        fetchers["github"] = GithubFetcher(
            base_url=os.environ.get("ENRICH_GITHUB_API") or "https://api.github.com",
            token=github_token(),
            max_rate_limit_wait=config.github.rate_limit_wait,
            seconds_between_requests=config.github.seconds_between_requests,
        )
    if "web" in kinds:
        from pipeline.fetchers.web import WebFetcher

        fetchers["web"] = WebFetcher(allow_private_hosts=options.allow_private_hosts, limits=config.web)
    return fetchers


def _summarizer(options: Options, config: Config) -> Summarizer | None:
    """The run's model summarizer, or None; the module (and its HTTP client) is only imported
    when one is configured or asked for."""
    if options.summarize is False or (not config.summarize.endpoint and not options.summarize):
        return None
    from pipeline.summarize import SummarizerSetupError, open_summarizer, wanted

    try:
        if not wanted(config.summarize, options.summarize):
            return None
        return open_summarizer(config.summarize, offline=options.offline)
    except SummarizerSetupError as exc:
        raise UsageError(str(exc)) from exc


def _summarize(summarizer: Summarizer | None, entries: list[Entry], options: Options, existing: str | None) -> str | None:
    """Model summaries for the entries the draft does not hold yet; the summary line's note."""
    if summarizer is None:
        return None
    from pipeline.merge import keys_present
    from pipeline.summarize import summarize_entries

    skip = keys_present(existing, canonical_key) if existing is not None and options.format == "md" else set()
    return summarize_entries(summarizer, entries, options.cache_dir, skip).line()


def move_ticked_candidates(options: Options, config: Config) -> None:
    """Candidates the editor ticked in `enrich gather`'s inbox join the sources file before it is
    read, as the next `gather` would move them: a ticked link is drafted the same night."""
    sources = options.sources or ["sources.txt"]
    inbox = Path(config.gather.inbox)
    if not config.gather.feeds or len(sources) != 1 or not Path(sources[0]).is_file() or not inbox.is_file():
        return
    from pipeline.gather.run import settle

    lock = FileLock(inbox.with_name(f".{inbox.name}.lock"), f"the inbox {inbox}")
    lock.acquire(options.lock_wait)
    try:
        settled = settle(inbox, Path(sources[0]), [], today=date_type.today(), keep_days=config.gather.keep_days)
    finally:
        lock.release()
    if settled.moved:
        log.info("moved %d ticked candidates from %s into %s", len(settled.moved), inbox, sources[0])


def check_options(options: Options, config: Config, trust_check: Callable[[], str | None] | None = None) -> Summarizer | None:
    """Everything that can refuse the run before anything is fetched (a refusal must cost
    nothing): the date, the template, the trust store (by `trust_check` when the caller has
    begun it), the summarizer's settings. Returns the run's summarizer, if any."""
    if options.date is not None:
        try:
            date_type.fromisoformat(options.date)
        except ValueError:
            raise UsageError(f"--date must be YYYY-MM-DD, not {options.date!r}") from None
    if options.template is not None:  # the built-in template is tested; the editor's is checked now
        import jinja2

        from pipeline import draft

        try:
            draft.load_template(options.template)
        except (ValueError, OSError, jinja2.TemplateError) as exc:
            raise UsageError(f"template: {exc}") from exc
    if not options.offline:
        from pipeline.trust import check_trust_store

        problem = (trust_check or check_trust_store)()
        if problem:
            raise UsageError(problem)
    return _summarizer(options, config)


def output_path(options: Options) -> Path | None:
    """The draft file of `-o`, checked before anything is locked; None: standard output."""
    try:
        return resolve_output(options.output) if options.output is not None else None
    except OutputRefused as exc:
        raise UsageError(str(exc)) from None
    except OutputFailed as exc:
        raise CouldNotFinish(str(exc)) from None


@contextmanager
def locked(options: Options, output: Path | None) -> Iterator[bool]:
    """Holds the cache's lock, then the draft's, and releases them in reverse order. Yields whether
    the cache is read-only: read-only media need no lock, since nothing can write that cache."""
    cache_read_only = cache_is_read_only(options.cache_dir)
    locks = [] if cache_read_only else [FileLock(Path(options.cache_dir) / "enrich.lock", f"the cache {options.cache_dir}")]
    if output is not None:
        locks.append(FileLock(output.with_name(f".{output.name}.lock"), f"the draft {output}"))
    held: list[FileLock] = []
    try:
        for lock in locks:
            try:
                lock.acquire(options.lock_wait)
            except OSError as exc:
                if lock is locks[0] and not cache_read_only and exc.errno in _READ_ONLY_ERRNOS:
                    cache_read_only = True
                    continue
                raise CouldNotFinish(f"cannot take the lock {lock.path}: {exc.strerror or exc}") from exc
            held.append(lock)
        yield cache_read_only
    finally:
        for lock in reversed(held):
            lock.release()


def existing_draft(output: Path | None, output_format: str) -> str | None:
    """The draft to merge into, read before fetching: a refusal must cost nothing."""
    try:
        return read_existing_output(output, output_format) if output is not None else None
    except OutputRefused as exc:
        raise UsageError(str(exc)) from None


def open_cache(options: Options, config: Config, *, read_only: bool) -> Cache:
    """The cache; a read-only one (by the lock's fallback or found so when opened) makes the run offline."""
    cache = Cache(options.cache_dir, Freshness.from_settings(config.cache), read_only=read_only)
    if cache.read_only and not options.offline:
        log.warning("the cache %s is read-only: working from it as if --offline, nothing is stored", cache.path)
    return cache


def enrich_entries(
    source_entries: list[SourceEntry],
    options: Options,
    config: Config,
    cache: Cache,
    redact: Redactor,
    stderr: TextIO,
    fetcher_factory: Callable[[set[str], Options, Config], dict[str, Fetcher]],
) -> tuple[list[Entry], Collected]:
    """The run's entries with their records, from the cache or fetched, and their drafted summaries."""
    links: dict[str, Link] = {}
    for entry in source_entries:
        for link in entry.links:
            links.setdefault(link.key, link)
    # A template the editor names was compiled by check_options; the built-in one is loaded here.
    drafts = WhileFetching(load_template=options.format == "md" and options.template is None)
    collected = collect_outcomes(
        links,
        cache,
        offline=options.offline or cache.read_only,
        refresh=options.refresh,
        redact=redact,
        fetchers_for=lambda kinds: fetcher_factory(kinds, options, config),  # only the stages this run needs
        stderr=stderr,
        on_result=drafts.add,
    )
    entries = assemble(source_entries, collected.outcomes)
    draft_page_summaries(entries, collected.outcomes, cache, drafts)
    return entries, collected


def write_draft(
    result: MergeResult, existing: str | None, output: Path | None, cache: Cache, options: Options, stdout: TextIO
) -> None:
    """The draft to standard output, or to its file atomically (untouched when nothing changed);
    then, and only once it is on disk, the draft's memory of what it holds."""
    if output is None:
        try:
            stdout.write(result.text)
            stdout.flush()
        except OSError as exc:
            raise CouldNotFinish(f"cannot write the draft to standard output: {exc.strerror or exc}") from exc
        return
    if result.text != existing:
        try:
            write_atomically(output, result.text)
        except OutputFailed as exc:
            raise CouldNotFinish(str(exc)) from None
    if options.format == "md" and not cache.read_only:
        # Only now: a crash before leaves nothing to mistake for a deletion.
        remember_draft(options, cache.freshness, output, result.in_draft, fresh=existing is None)


def summary_notes(result: MergeResult, cache: Cache, fetchers: dict[str, Fetcher], summaries_note: str | None) -> list[str]:
    """What the summary line adds after its counts."""
    notes = []
    if result.removed:
        notes.append(f"{len(result.removed)} removed by the editor, not added again (--readd brings them back)")
    if cache.read_only:
        notes.append("cache read-only: worked offline, nothing stored")
    return notes + [note for note in (rate_limit_note(fetchers), summaries_note) if note]


def execute(
    options: Options,
    config: Config,
    *,
    stdin: BinaryIO,
    stdout: TextIO,
    stderr: TextIO,
    fetcher_factory: Callable[[set[str], Options, Config], dict[str, Fetcher]] = make_fetchers,
    trust_check: Callable[[], str | None] | None = None,
) -> int:
    redact = Redactor()
    summarizer = check_options(options, config, trust_check)
    move_ticked_candidates(options, config)
    source_entries, diagnostics = read_sources(options.sources or ["sources.txt"], stdin)
    for diagnostic in diagnostics:
        log.warning("%s", diagnostic)
    output = output_path(options)
    with locked(options, output) as cache_read_only:
        existing = existing_draft(output, options.format)
        cache = open_cache(options, config, read_only=cache_read_only)
        try:
            mem = load_memory(options, config, cache, output, drafting=options.format == "md" and existing is not None)
            if summarizer is not None and mem.index is not None:
                summarizer.archive = mem.index.entries  # the editor's own entries show the voice
            entries, collected = enrich_entries(source_entries, options, config, cache, redact, stderr, fetcher_factory)
        finally:
            cache.close()
        summaries_note = _summarize(summarizer, entries, options, existing)
        result = render(entries, options, diagnostics, existing, mem)
        write_draft(result, existing, output, cache, options, stdout)
    summary = summarize(entries, collected.outcomes)
    summary.notes += summary_notes(result, cache, collected.fetchers, summaries_note)
    print(redact(summary.line()), file=stderr)
    return EXIT_SOME_FAILED if summary.failed or summary.extra_failed else EXIT_OK
