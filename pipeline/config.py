"""The optional TOML config file (`enrich.toml`), loaded into typed settings and checked key by key."""

from __future__ import annotations

import math
import os
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

DEFAULT_PATH = "enrich.toml"
MB = 1024 * 1024


class ConfigError(Exception):
    """The config file is unreadable or holds a key or value it should not (exit code 2)."""


# -- declaring settings --------------------------------------------------------------------------
Check = Callable[[Any], str | None]  # returns what is wrong with a value, or None


def positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def not_negative(value: Any) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def days_or_never(value: Any) -> str | None:
    return None if value == "never" or value >= 0 else 'must be a number of days (0 or more) or "never"'


REQUIRED = MISSING  # the default of a key that has none: the table must give it


def setting(default: Any, doc: str, check: Check | None = None) -> Any:
    """One key of a section: its default (or REQUIRED), one line saying what it means (for `enrich
    init` and the README), and an optional check of its value beyond its type."""
    if default is REQUIRED:
        return field(metadata={"doc": doc, "check": check})
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"doc": doc, "check": check})
    return field(default=default, metadata={"doc": doc, "check": check})


# -- the sections --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CacheSettings:
    """[cache]: how long records stay fresh, in days."""

    arxiv_days: float | Literal["never"] = setting(7, "an arXiv paper's record, unpinned", days_or_never)
    arxiv_pinned_days: float | Literal["never"] = setting("never", "a version-pinned paper (it never changes)", days_or_never)
    github_days: float | Literal["never"] = setting(1, "a repository (then revalidated with its ETag)", days_or_never)
    web_days: float | Literal["never"] = setting(30, "a web page", days_or_never)
    failure_days: float = setting(1, "a permanent failure (404, 410, 451, deleted article)", not_negative)


@dataclass(frozen=True)
class WebSettings:
    """[web]: how much one run may ask of the network, and how long one link may take."""

    total: int = setting(64, "connections open at once, all hosts together", positive)
    per_host: int = setting(4, "requests in flight to one host", positive)
    connect_timeout: float = setting(10.0, "seconds to connect", positive)
    read_timeout: float = setting(20.0, "seconds of silence between two reads", positive)
    deadline: float = setting(30.0, "seconds for one link, all hops and retries included", positive)
    max_redirects: int = setting(10, "redirects followed for one link", not_negative)
    max_body: int = setting(5 * MB, "bytes read of a body, after decompression", positive)


@dataclass(frozen=True)
class GithubSettings:
    """[github]: politeness towards the GitHub API."""

    rate_limit_wait: float = setting(60, "seconds a primary rate limit may be waited out", not_negative)
    seconds_between_requests: float = setting(0.25, "spacing between two requests", not_negative)


def http_address(value: Any) -> str | None:
    return None if value.startswith(("http://", "https://")) and len(value) > 8 else "must be an http(s) address"


def http_url_or_empty(value: Any) -> str | None:
    return None if value == "" else http_address(value)


def not_empty(value: Any) -> str | None:
    return None if value.strip() else "must not be empty"


@dataclass(frozen=True)
class SummarizeSettings:
    """[summarize]: the optional language-model summarizer (any OpenAI-compatible endpoint)."""

    endpoint: str = setting("", "base URL of the chat-completions API; empty: no summarizer", http_url_or_empty)
    model: str = setting("", "the model's name at that endpoint")
    api_key_env: str = setting("", "name of the environment variable holding the API key; empty for local servers")
    enabled: bool = setting(True, "summarize on every run; false: only with --summarize")
    language: str = setting("简体中文", "the language (and script) of the summaries", not_empty)
    length: int = setting(240, "characters a summary may have (the archive's median 摘要 has 239)", positive)
    prompt: str = setting("", "a file whose text replaces the built-in instructions")
    concurrency: int = setting(2, "requests in flight at once", positive)
    timeout: float = setting(60.0, "seconds one answer may take", positive)
    max_tokens: int = setting(400, "tokens one answer may have", positive)
    context_tokens: int = setting(4096, "the model's context window in tokens; longer input is trimmed", positive)
    budget_tokens: int = setting(200_000, "tokens one run may spend, prompts and answers together", not_negative)
    allow_insecure_http: bool = setting(False, "allow an http:// endpoint that is not on this machine")


@dataclass(frozen=True)
class ArchiveSettings:
    """[archive]: the folder of published issues, and what to do with a link featured before."""

    path: str = setting("", "folder of published issues (Markdown); empty: no archive")
    featured: Literal["mark", "skip"] = setting("mark", "an already-featured entry: marked in the draft, or left out")


def known_section(value: Any) -> str | None:
    from pipeline.sources import SECTION_ALIASES, section_name

    if value == "" or section_name(value) is not None:
        return None
    return f"must be one of the digest's sections ({', '.join(SECTION_ALIASES)}) or an alias of one"


@dataclass(frozen=True)
class FeedSettings:
    """[[gather.feeds]]: one feed `enrich gather` reads (RSS, Atom or JSON Feed)."""

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "url": "https://rss.arxiv.org/rss/cs.LG+cs.AR",
        "name": "arXiv cs.LG+cs.AR",
        "include": ["quantization", "edge", "端侧"],
        "section": "论文",
    }

    url: str = setting(REQUIRED, "the feed's address", http_address)
    name: str = setting("", "what warnings and the inbox call it (default: its host and path)")
    include: list[str] = setting([], "keep only items whose title or summary has one of these (empty: all)")
    exclude: list[str] = setting([], "drop items whose title or summary has any of these")
    section: str = setting("", "the section its candidates go to (default: inferred from the link)", known_section)


@dataclass(frozen=True)
class GatherSettings:
    """[gather]: what `enrich gather` collects into the inbox, and how long it keeps it there."""

    keywords: list[str] = setting([], "terms of the beat: each one a candidate mentions raises its score")
    max_candidates: int = setting(30, "candidates added to the inbox at most, per run", positive)
    keep_days: float = setting(14, "days an unticked candidate stays in the inbox", positive)
    silent_days: float = setting(30, "days without a new item after which a feed is warned about", positive)
    inbox: str = setting("inbox.md", "the inbox file, relative to where enrich runs")
    feeds: list[FeedSettings] = setting([], "the feeds, one [[gather.feeds]] table each")


@dataclass(frozen=True)
class Config:
    cache: CacheSettings = field(default_factory=CacheSettings)
    # Source names printed after " | ", by domain (subdomains included): a free-form table.
    sites: dict[str, str] = field(default_factory=dict)
    web: WebSettings = field(default_factory=WebSettings)
    github: GithubSettings = field(default_factory=GithubSettings)
    summarize: SummarizeSettings = field(default_factory=SummarizeSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    gather: GatherSettings = field(default_factory=GatherSettings)
    path: str | None = None


# Every table the file may hold, with the settings class it is read into.
SECTIONS: dict[str, type] = {
    "cache": CacheSettings,
    "web": WebSettings,
    "github": GithubSettings,
    "summarize": SummarizeSettings,
    "archive": ArchiveSettings,
    "gather": GatherSettings,
}


# -- reading and checking ------------------------------------------------------------------------
def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) is Literal:
        return " or ".join(repr(a).replace("'", '"') for a in typing.get_args(hint))
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint) if a is not type(None))
    if typing.get_origin(hint) is list:
        item = typing.get_args(hint)[0]
        plural = {str: "strings", int: "whole numbers", float: "numbers", bool: "true or false values"}
        return f"a list of {plural.get(item, _type_name(item))}"
    return {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}.get(hint, str(hint))


def _conforms(value: Any, hint: Any) -> tuple[bool, Any]:
    """Whether `value` is of type `hint`; also returns it converted (an int where a float is meant)."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        return value in typing.get_args(hint), value
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            if arg is type(None) and value is None:
                return True, None
            ok, converted = _conforms(value, arg)
            if ok:
                return True, converted
        return False, value
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            return False, value
        converted = [_conforms(v, item) for v in value]
        return all(ok for ok, _ in converted), [v for _, v in converted]
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False, value
        return math.isfinite(value), float(value)  # nan and inf are never a sensible setting
    if hint is str:
        return isinstance(value, str), value
    raise TypeError(f"unsupported setting type {hint!r}")


def table_list_item(hint: Any) -> type | None:
    """The settings class of a `list[SomeSettings]` key (an array of tables), else None."""
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        if is_dataclass(item):
            return item  # type: ignore[return-value]
    return None


def _load_tables(cls: type, value: Any, where: str) -> list[Any]:
    """An array of tables (`[[gather.feeds]]`), each checked as a section; errors name it by
    its position: `[[gather.feeds]] #2 url`."""
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be an array of tables (a {where} header before each)")
    return [load_section(cls, table, f"{where} #{number}") for number, table in enumerate(value, 1)]


def load_section(cls: type, table: Any, where: str) -> Any:
    """Reads one TOML table into the settings class `cls`; `where` names it in errors (`[web]`)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    hints = typing.get_type_hints(cls)
    known: dict[str, Field[Any]] = {f.name: f for f in fields(cls)}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigError(f"{where} has no key {unknown[0]!r} (known: {', '.join(known)})")
    missing = [name for name, f in known.items() if f.default is MISSING and f.default_factory is MISSING and name not in table]
    if missing:
        raise ConfigError(f"{where} needs {missing[0]}")
    values: dict[str, Any] = {}
    for name, value in table.items():
        item_cls = table_list_item(hints[name])
        if item_cls is not None:
            values[name] = _load_tables(item_cls, value, f"[[{where.strip('[]').split(' #')[0]}.{name}]]")
            continue
        ok, converted = _conforms(value, hints[name])
        problem = None if ok else f"must be {_type_name(hints[name])}"
        check = known[name].metadata.get("check")
        if problem is None and check is not None and converted != "never":
            problem = check(converted)
        if problem:
            raise ConfigError(f"{where} {name} = {value!r}: {problem}")
        values[name] = converted
    return cls(**values)


def documented_settings(cls: type) -> list[tuple[str, Any, str]]:
    """(key, default, meaning) of every key of a settings class, in declaration order."""
    result = []
    for f in fields(cls):
        if f.default is MISSING and f.default_factory is MISSING:
            default = None  # required: no default to show
        else:
            default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[operator]
        result.append((f.name, default, f.metadata.get("doc", "")))
    return result


def parse_config(data: dict[str, Any], path: str | None = None) -> Config:
    """Checks a parsed TOML document and turns it into typed settings; raises ConfigError."""
    where = f"config file {path}: " if path else "config: "
    unknown = sorted(set(data) - set(SECTIONS) - {"sites"})
    if unknown:
        raise ConfigError(f"{where}unknown section [{unknown[0]}] (known: {', '.join([*SECTIONS, 'sites'])})")
    sections: dict[str, Any] = {}
    try:
        for name, cls in SECTIONS.items():
            sections[name] = load_section(cls, data.get(name, {}), f"[{name}]")
    except ConfigError as exc:
        raise ConfigError(f"{where}{exc}") from None
    sites = data.get("sites", {})
    if not isinstance(sites, dict):
        raise ConfigError(f"{where}[sites] must be a table")
    bad = [k for k, v in sites.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise ConfigError(f"{where}[sites] values must be non-empty strings ({', '.join(bad)})")
    return Config(**sections, sites=dict(sites), path=path)


def load_config(explicit: str | None = None) -> Config:
    """Reads `explicit`, else `$ENRICH_CONFIG`, else `./enrich.toml` when it exists."""
    path = explicit or os.environ.get("ENRICH_CONFIG") or DEFAULT_PATH
    if not Path(path).exists():
        if explicit:
            raise ConfigError(f"config file {path} does not exist")
        return Config()
    import tomllib  # here: most runs have no config file to parse

    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from exc
    return parse_config(data, str(path))
