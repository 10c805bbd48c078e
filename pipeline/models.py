"""The plain dataclasses that flow between stages: links, source entries, records and results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, Literal, Self

Kind = Literal["arxiv", "github", "web"]


class Status(StrEnum):
    """A link's or an entry's state, from fetcher outcome to JSON: a `str` enum, so JSON, logs
    and templates see the same plain strings as before."""

    OK = "ok"
    STALE = "stale"  # a failed refresh serves the record we had
    FAILED = "failed"


# The four sections of the reference digest, always in this order.
SECTIONS = ("业界新闻", "论文", "开源项目", "博文")
DEFAULT_SECTION = {"arxiv": "论文", "github": "开源项目", "web": "博文"}


@dataclass(frozen=True)
class Link:
    """One canonicalized URL: what every stage, the cache and the draft merge key on."""

    key: str  # "arxiv:1907.05550", "arxiv:1907.05550v2", "github:owner/repo", "web:<url>"
    kind: Kind
    url: str  # the canonical URL (for GitHub: the repository URL)
    original: str  # the URL as the editor wrote it
    # Kind-specific detail that is not part of the key, e.g. {"release_tag": "v1.0"} for a
    # GitHub release link or {"version": 2} for a pinned arXiv link.
    detail: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str | None:
        return dict(self.detail).get(name)


@dataclass
class SourceLine:
    """One entry-bearing line of sources.txt, before canonicalization."""

    line: int
    urls: list[str]
    note: str | None = None
    section: str | None = None  # set by the nearest `[section]` header above, if any


@dataclass
class SourceEntry:
    """One entry of the run: a main link, its extra links, the editor's note and section."""

    line: int
    main: Link
    extras: list[Link] = field(default_factory=list)
    note: str | None = None
    section: str | None = None  # explicit header; None means "inferred from the main link"

    @property
    def links(self) -> list[Link]:
        return [self.main, *self.extras]


@dataclass
class Diagnostic:
    """A warning or error about the input, always tied to a line number when there is one."""

    message: str
    line: int | None = None
    level: Literal["warning", "error"] = "warning"

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.message}"


@dataclass
class _Record:
    """Shared JSON round-trip for the three record kinds; unknown keys are ignored on load."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The record of a JSON object; keys this version does not know (a newer version may add
        them) are dropped. A missing required field raises TypeError: the cache checks first."""
        names = _FIELD_NAMES.get(cls) or _FIELD_NAMES.setdefault(cls, frozenset(f.name for f in fields(cls)))
        if names.issuperset(data):  # the common case, a row this version wrote: no copy to filter
            return cls(**data)
        return cls(**{k: v for k, v in data.items() if k in names})


# Field names by record class: a warm run builds thousands of records, each kind's names are read once.
_FIELD_NAMES: dict[type, frozenset[str]] = {}


@dataclass
class ArxivRecord(_Record):
    id: str
    version: int | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    abstract: str | None = None
    published: str | None = None
    updated: str | None = None
    primary_category: str | None = None
    categories: list[str] = field(default_factory=list)
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    abs_url: str | None = None
    pdf_url: str | None = None
    code_urls: list[str] = field(default_factory=list)
    venue: str | None = None  # e.g. "CVPR 2020", read from the comment when it names one


@dataclass
class GithubRecord(_Record):
    full_name: str
    description: str | None = None
    stars: int | None = None
    forks: int | None = None
    language: str | None = None
    topics: list[str] = field(default_factory=list)
    license: str | None = None
    homepage: str | None = None
    created_at: str | None = None
    pushed_at: str | None = None
    archived: bool = False
    latest_release: dict[str, Any] | None = None
    html_url: str | None = None
    renamed_from: str | None = None  # the name the link used, when GitHub answered with a rename
    readme: str | None = None  # the README's first real paragraph


@dataclass
class WebRecord(_Record):
    url: str | None = None
    canonical_url: str | None = None
    title: str | None = None
    site_name: str | None = None
    description: str | None = None
    author: str | None = None
    published: str | None = None
    language: str | None = None
    image: str | None = None
    content_type: str | None = None
    note: str | None = None  # e.g. "PDF document, not parsed"
    text: str | None = None  # the article's lead: whole paragraphs, up to about 4,000 characters
    # For a copy on web.archive.org or archive.today: the URL of the page the archive copied.
    archived_from: str | None = None


# What a fetcher yields, the cache returns and entries carry; `isinstance` tells the kinds apart.
Record = ArxivRecord | GithubRecord | WebRecord
RECORD_TYPES: dict[str, type[Record]] = {"arxiv": ArxivRecord, "github": GithubRecord, "web": WebRecord}


@dataclass
class FetchResult:
    """What a fetcher yields for one link: a record, or a failure with an editor-readable reason.

    `permanent` separates failures worth remembering (404, deleted article) from transient ones
    (timeouts, 5xx), which are never cached. `not_modified` means a conditional request was
    answered 304 and the cached record is still current.
    """

    key: str
    record: Record | None = None
    error: str | None = None
    permanent: bool = False
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Cached:
    """A record as the cache holds it, with what freshness and revalidation need."""

    key: str
    kind: Kind
    fetched_at: float  # Unix seconds
    record: Record | None
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Entry:
    """One entry of the draft: the source entry joined with its records and status."""

    source: SourceEntry
    section: str
    status: Status
    record: Record | None = None
    error: str | None = None
    cached: bool = False
    fetched_at: str | None = None  # ISO 8601 UTC
    # Records of the extra links, by key, when they were fetched (for titles of labelled lines).
    extra_records: dict[str, Record] = field(default_factory=dict)
    # The language model's summary, when the summarizer ran and its answer passed the checks;
    # `summary_source` says which draft the entry shows: "extractive", "model" or "fallback: <why>".
    model_summary: str | None = None
    summary_source: str = "extractive"
    numbers_unchecked: bool = False  # the model's summary has numbers its input does not hold
    # Past issues that featured this entry's link, oldest first: [{"date", "section"}].
    # A web page's summary drafted before rendering (possibly on an earlier run, from the cache);
    # None: the draft drafts it from the record.
    drafted_summary: str | None = None
    featured_in: list[dict[str, str]] = field(default_factory=list)
    follow_up: bool = False  # a paper featured before whose code is new since: worth a new entry


@dataclass
class Outcome:
    """What the run knows about one link after the cache and the fetchers had their say."""

    status: Status
    record: Record | None = None
    error: str | None = None
    cached: bool = False
    fetched_at: float | None = None
