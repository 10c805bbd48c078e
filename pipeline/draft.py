"""Entries -> the draft: one view per entry, shared by the Markdown templates and the JSON document.

Rendering choices (the reference format, `嵌入式AI简报`, leaves these open):
- Paper entry line: `- [<venue>][<id>] [<title>](<url>)`; the venue tag only when the record
  knows one (`[CVPR 2020][2002.10179] [...]`), the id with its version when the editor pinned one.
- Open-source: `- [<owner>/<repo>: <description>](<url>)`, with GitHub's current name and URL
  (a renamed repository also says `原名 <old name>` in its facts line). No source.
- Web: `- [<title> | <source>](<url>)`, source = the page's site name (a few hosts have a known
  name from the site table in `pipeline.sites.names`); no ` | ` when unknown.
- Labelled lines `<label>：<bare url>`: extra links by kind: arXiv 论文, GitHub 代码, web 博客
  on blog hosts (blog.*, *.blog*, medium, substack, 知乎专栏, *.github.io, WeChat articles) and
  链接 elsewhere. A paper's code links add `代码：` lines and a repository whose description or
  homepage names an arXiv paper adds a `论文：` line, unless that link is another entry's main link
  in this run; no link is said twice in one entry.
- A web write-up with an arXiv extra in 论文 gets the paper's id tag and a `标题：<paper title>`
  line; one with a GitHub extra in 开源项目 gets the `<owner>/<repo>: ` prefix.
- `摘要：<draft>〔待编辑〕`: the draft is marked unfinished by `〔待编辑〕` after its first line
  (the plain template uses `[draft]`), a language model's draft by `〔AI 草稿·待编辑〕`, plus
  `〔数字待核〕` when it holds numbers its input does not; GitHub entries add a facts line (language, stars,
  licence, release, archived, former name). The JSON summary carries no marker.
- A new draft's empty section holds the placeholder `<!-- 本节暂无条目 -->` (invisible when
  rendered; the merge keeps it, like every other line already in the file).
- The editor's note from sources.txt: its own line, `备注：<note>`, after the summary.
- Failed links are not in their section; they are listed in a tool-owned block at the end,
  between `<!-- enrich:failed -->` and `<!-- /enrich:failed -->`, which each run rewrites. The
  block also lists entries the run held back on purpose (featured before, removed by the editor).
- An entry featured in a past issue is marked on its entry line, `〔已收录：2020-05-15 期〕`; a
  paper featured before whose code is new says `〔后续：论文已收录于 2020-05-15 期，代码为新〕`.
- Source names: with `names` (the archive's habits and the config's `[sites]`), the name the
  editor prints wins over the page's own (see `sourcenames.LearnedNames.pick`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jinja2

from pipeline import mdtext
from pipeline.links import LinkError, arxiv_ids_in, canonicalize, identity_key
from pipeline.models import SECTIONS, ArxivRecord, Diagnostic, Entry, GithubRecord, Link, Status, WebRecord
from pipeline.sites.names import known_site_name
from pipeline.summary import (
    github_facts,
    page_summary,
    paper_summary,
    paper_title,
    repository_summary,
)
from pipeline.venues import venue_of

if TYPE_CHECKING:  # imported where used: a run without an archive never loads it
    from pipeline.sourcenames import LearnedNames

TEMPLATES_DIR = Path(__file__).parent / "templates"
BUILTIN_TEMPLATES = {"embedded-ai": "embedded-ai.md.j2", "plain": "plain.md.j2"}
DEFAULT_TEMPLATE = "embedded-ai"

FAILED_START = "<!-- enrich:failed：本块由 enrich 生成，每次运行都会重写 -->"
FAILED_END = "<!-- /enrich:failed -->"

LABEL_BY_KIND = {"arxiv": "论文", "github": "代码"}
_BLOG_HOSTS = (
    "medium.com",
    "substack.com",
    "zhuanlan.zhihu.com",
    "mp.weixin.qq.com",
    "github.io",
    "towardsdatascience.com",
    "dev.to",
    "hashnode.dev",
)


@dataclass
class LinkLine:
    label: str
    url: str
    key: str | None


@dataclass
class EntryView:
    """What an entry says, as plain text (the templates escape it; JSON uses it as is)."""

    key: str
    kind: str
    section: str
    line: int
    status: Status
    url: str | None  # http(s) only; None means the entry line shows text, not a link
    title: str
    source: str | None = None
    tags: list[str] = field(default_factory=list)
    links: list[LinkLine] = field(default_factory=list)
    summary: str = ""  # paragraphs separated by "\n"
    note: str | None = None
    error: str | None = None
    paper_title: str | None = None  # the paper's own title when the entry links a write-up of it
    summary_source: str = "extractive"  # "model": the first paragraph is the language model's draft
    numbers_unchecked: bool = False
    featured: list[str] = field(default_factory=list)  # dates of past issues that featured it
    follow_up: bool = False  # featured before as a paper, with code that is new since


# ---------------------------------------------------------------------------------------------
# Keys for links found inside records, compared to avoid saying one link twice.


def compare_key(key: str | None) -> str | None:
    """Keys compared loosely: case-insensitive, an arXiv version does not make another paper."""
    if not key:
        return None
    if key.startswith("web:"):  # web URLs keep their case: paths are case-sensitive
        return key
    return identity_key(key)


@functools.lru_cache(maxsize=4096)  # a repository named by many papers is parsed once
def github_key_and_url(url: str) -> tuple[str, str] | None:
    """The repository a URL names, as (key, canonical URL), by the same rules as sources.txt."""
    try:
        link = canonicalize(url)
    except LinkError:
        return None
    return (link.key, link.url) if link.kind == "github" else None


# A canonical http(s) URL's lower-case host (and port); anything else goes through urlsplit.
_PLAIN_HOST = re.compile(r"https?://([a-z0-9._-]+)(?::\d+)?(?=[/?#]|$)")


def _host(url: str) -> str:
    """`urlsplit(url).hostname` lower-cased, without parsing the whole URL in the common case."""
    plain = _PLAIN_HOST.match(url)
    return plain.group(1) if plain else (urlsplit(url).hostname or "").lower()


def _web_label(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path.lower()
    blog = (
        host.startswith("blog.")
        or ".blog" in host
        or "blog" in host.split(".")[0]
        or path.startswith("/blog")
        or any(host == h or host.endswith("." + h) for h in _BLOG_HOSTS)
    )
    return "博客" if blog else "链接"


# ---------------------------------------------------------------------------------------------
# The view


def entry_view(entry: Entry, all_keys: Iterable[str] | AbstractSet[str] = (), names: LearnedNames | None = None) -> EntryView:
    """The view of one entry; `all_keys` are the main keys of every entry in this run (pass a
    set of `compare_key` values to share it between entries); `names` the editor's source names."""
    main = entry.source.main
    record = entry.record
    everyone = all_keys if isinstance(all_keys, AbstractSet) else {compare_key(k) for k in all_keys}
    others = _AllBut(everyone, compare_key(main.key))
    view = EntryView(
        key=main.key,
        kind=main.kind,
        section=entry.section,
        line=entry.source.line,
        status=entry.status,
        url=mdtext.safe_url(main.url),
        title=main.url,
        error=entry.error,
        featured=[f["date"] for f in entry.featured_in],
        follow_up=entry.follow_up,
    )
    if entry.source.note:
        view.note = mdtext.one_line(entry.source.note, mdtext.NOTE_LIMIT)

    seen = {compare_key(main.key)}

    def add_code_lines(paper_record: ArxivRecord | None) -> None:
        for code_url in (paper_record.code_urls if paper_record else None) or []:
            repo = github_key_and_url(str(code_url))
            if repo:
                add_line("代码", repo[1], repo[0], skip_other_entries=True)

    def add_line(label: str, url: str | None, key: str | None, *, skip_other_entries: bool) -> None:
        safe = mdtext.safe_url(url)
        compare = compare_key(key)
        if safe is None or (compare and compare in seen) or (skip_other_entries and compare in others):
            return
        seen.add(compare)
        view.links.append(LinkLine(label, safe, key))

    for extra in entry.source.extras:
        label = LABEL_BY_KIND.get(extra.kind) or _web_label(extra.url)
        url = extra.url
        if extra.kind == "github":  # a renamed repository: link to where it lives now
            repository = entry.extra_records.get(extra.key)
            url = (mdtext.safe_url(repository.html_url) if isinstance(repository, GithubRecord) else None) or url
        add_line(label, url, extra.key, skip_other_entries=False)

    # A record of another kind than the link's (never made by the cache or the fetchers) counts
    # as none: the entry then shows what its link alone says.
    if main.kind == "arxiv":
        paper = record if isinstance(record, ArxivRecord) else None
        _paper(view, main.key, paper)
        add_code_lines(paper)
    elif main.kind == "github":
        repository = record if isinstance(record, GithubRecord) else None
        _repository(view, main, repository)
        if repository is not None:
            for paper_id in arxiv_ids_in(repository.description, repository.homepage):
                add_line("论文", f"https://arxiv.org/abs/{paper_id}", f"arxiv:{paper_id}", skip_other_entries=True)
    else:
        _web_page(view, main.url, record if isinstance(record, WebRecord) else None, names, entry.drafted_summary)
        _write_up(view, entry, add_code_lines)
    view.summary_source = entry.summary_source
    if entry.model_summary:
        facts = github_facts(record) if isinstance(record, GithubRecord) and main.kind == "github" else ""
        view.summary = "\n".join(p for p in (mdtext.one_line(entry.model_summary), facts) if p)
        view.numbers_unchecked = entry.numbers_unchecked
    return view


def _write_up(view: EntryView, entry: Entry, add_code_lines: Callable[[ArxivRecord | None], None]) -> None:
    """A web write-up of a paper or a repository (its link is an extra on the same line) takes
    the reference format's shapes: `[<arXiv id>] [<headline> | <source>]` plus a `标题：<paper
    title>` line, or `[<owner>/<repo>: <headline> | <source>]` in 开源项目."""
    paper = next((x for x in entry.source.extras if x.kind == "arxiv"), None)
    if paper is not None and entry.section == "论文":
        found = entry.extra_records.get(paper.key)
        paper_record = found if isinstance(found, ArxivRecord) else None
        venue = paper_venue(paper_record) if paper_record else None
        if venue:
            view.tags.append(mdtext.one_line(venue, 40))
        view.tags.append(paper.key.split(":", 1)[1])
        title = paper_title(paper_record) if paper_record else None
        if title:
            view.paper_title = mdtext.one_line(title, mdtext.TITLE_LIMIT)
        add_code_lines(paper_record)
    repo = next((x for x in entry.source.extras if x.kind == "github"), None)
    if repo is not None and entry.section == "开源项目":
        found = entry.extra_records.get(repo.key)
        full_name = (found.full_name if isinstance(found, GithubRecord) else None) or repo.url.split("github.com/")[-1]
        view.title = mdtext.one_line(f"{full_name}: {view.title}", mdtext.TITLE_LIMIT)


def paper_venue(record: ArxivRecord) -> str | None:
    """The venue tag, read again from the comment and journal reference, so a cached record gains
    what the venue table learned since it was fetched."""
    return venue_of(record.comment, record.journal_ref) or record.venue


def _paper(view: EntryView, key: str, record: ArxivRecord | None) -> None:
    venue = paper_venue(record) if record else None
    if venue:
        view.tags.append(mdtext.one_line(venue, 40))
    view.tags.append(key.split(":", 1)[1])
    if record is None:
        return
    title = paper_title(record)
    if title:
        view.title = mdtext.one_line(title, mdtext.TITLE_LIMIT)
    view.summary = paper_summary(record)


def _repository(view: EntryView, main: Link, record: GithubRecord | None) -> None:
    as_linked = main.url.rstrip("/").split("github.com/")[-1] if "github.com/" in main.url else main.key[7:]
    full_name = mdtext.one_line((record.full_name if record else None) or as_linked, 140)
    description = mdtext.one_line((record.description if record else None) or "")
    view.title = mdtext.one_line(f"{full_name}: {description}" if description else full_name, mdtext.TITLE_LIMIT)
    if record is None:
        return
    current = record.html_url or (f"https://github.com/{full_name}" if record.full_name else None)
    view.url = mdtext.safe_url(current) or view.url
    paragraphs = [*repository_summary(record), github_facts(record)]
    view.summary = "\n".join(p for p in paragraphs if p)


def _web_page(
    view: EntryView, url: str, record: WebRecord | None, names: LearnedNames | None = None, drafted: str | None = None
) -> None:
    if record is not None and record.title:
        view.title = mdtext.one_line(record.title, mdtext.TITLE_LIMIT)
    host = _host(url)
    source = record.site_name if record else None
    if names is not None:
        from pipeline.sourcenames import wechat_account

        account = wechat_account(str((record.canonical_url if record else None) or "")) or wechat_account(url)
        source = names.pick(host, source, account)
    source = source or known_site_name(host)
    if source and mdtext.one_line(source) != view.title:
        view.source = mdtext.one_line(source, mdtext.SOURCE_LIMIT)
    summary = drafted if drafted is not None else page_summary(record) if record else ""
    view.summary = summary or mdtext.one_line((record.note if record else None) or "")


class _AllBut:
    """Membership in a set minus one element, without copying the set for every entry."""

    def __init__(self, keys: AbstractSet[str | None], excluded: str | None):
        self.keys, self.excluded = keys, excluded

    def __contains__(self, key: object) -> bool:
        return key != self.excluded and key in self.keys


def entry_views(entries: Sequence[Entry], names: LearnedNames | None = None) -> list[EntryView]:
    keys = frozenset(k for e in entries if (k := compare_key(e.source.main.key)) is not None)
    return [entry_view(e, keys, names) for e in entries]


# ---------------------------------------------------------------------------------------------
# Markdown


class _Fields(dict):
    """A dict whose keys are also attributes: Jinja's `e.title` tries the attribute first, and
    a plain dict makes every such lookup fail and retry as an item (a third of the render)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.__dict__ = self


def _md_view(view: EntryView) -> dict[str, Any]:
    """The view with every text escaped for Markdown: what templates receive."""
    return _Fields(
        {
            "key": view.key,
            "kind": view.kind,
            "section": mdtext.escape(view.section),
            "line": view.line,
            "status": view.status,
            "url": view.url,
            "title": mdtext.escape(view.title, mdtext.TITLE_LIMIT),
            "source": mdtext.escape(view.source) if view.source else None,
            "tags": [mdtext.escape(t) for t in view.tags],
            "links": [_Fields(label=mdtext.escape(link.label), url=link.url, key=link.key) for link in view.links],
            "summary": [mdtext.escape_line(p) for p in view.summary.split("\n") if p.strip()],
            "note": mdtext.escape(view.note) if view.note else None,
            "paper_title": mdtext.escape(view.paper_title) if view.paper_title else None,
            "by_model": view.summary_source == "model",
            "numbers_unchecked": view.numbers_unchecked,
            "featured": [mdtext.escape(d) for d in view.featured],
            "follow_up": view.follow_up,
        }
    )


def notice(line: int | None, urls: str, reason: str) -> dict[str, Any]:
    """An item of the tool's block for an entry held back on purpose (not a failure)."""
    return {"line": line, "url": urls, "reason": mdtext.escape(reason, mdtext.REASON_LIMIT)}


def entry_urls(entry: Entry) -> str:
    return " ".join(mdtext.safe_url(link.url) or mdtext.escape(link.url, 300) for link in entry.source.links)


def failure_items(
    entries: Sequence[Entry], diagnostics: Sequence[Diagnostic], notices: Sequence[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    def shown(url: str) -> str:
        return mdtext.safe_url(url) or mdtext.escape(url, 300)

    # A failed entry's extra links are listed with it: they are not in the draft anywhere else.
    items = [
        {
            "line": e.source.line,
            "url": " ".join(shown(link.url) for link in e.source.links),
            "reason": mdtext.escape(e.error or "failed", mdtext.REASON_LIMIT),
        }
        for e in entries
        if e.status == Status.FAILED
    ]
    items += [{"line": d.line, "url": None, "reason": mdtext.escape(d.message, mdtext.REASON_LIMIT)} for d in diagnostics]
    items += notices
    return sorted(items, key=lambda item: (item["line"] is None, item["line"] or 0))


class DraftTemplate:
    """A loaded template: the whole-document body plus the macros the merge needs."""

    def __init__(self, template: str | None = None):
        name = template or DEFAULT_TEMPLATE
        search = [str(TEMPLATES_DIR)]
        if name in BUILTIN_TEMPLATES or name in BUILTIN_TEMPLATES.values():
            file_name = BUILTIN_TEMPLATES.get(name, name)
        else:
            path = Path(name)
            if not path.is_file():
                raise ValueError(f"no such template: {name} (built in: {', '.join(BUILTIN_TEMPLATES)})")
            search.insert(0, str(path.resolve().parent))
            file_name = path.name
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(search),
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        self.template = self.env.get_template(file_name)
        module = self.template.make_module({"date": "", "sections": [], "entry_count": 0, "failures_block": ""})
        fallback = None
        if not all(hasattr(module, m) for m in ("entry", "section_heading", "failures")):
            fallback = self.env.get_template(BUILTIN_TEMPLATES[DEFAULT_TEMPLATE]).make_module(
                {"date": "", "sections": [], "entry_count": 0, "failures_block": ""}
            )
        self.macros = {m: getattr(module, m, None) or getattr(fallback, m) for m in ("entry", "section_heading", "failures")}

    def entry_lines(self, view: EntryView) -> list[str]:
        return str(self.macros["entry"](_md_view(view))).strip("\n").split("\n")

    def heading(self, section: str) -> str:
        return str(self.macros["section_heading"](mdtext.escape(section))).strip("\n")

    def failures_lines(self, items: list[dict[str, Any]]) -> list[str]:
        """The tool-owned block, markers included; [] when nothing failed."""
        if not items:
            return []
        inner = str(self.macros["failures"](items)).strip("\n").split("\n")
        return [FAILED_START, *inner, FAILED_END]

    def intro(self, count: int) -> str | None:
        """The template's 导读 line for `count` entries, when it has an `intro` macro."""
        macro = getattr(
            self.template.make_module({"date": "", "sections": [], "entry_count": 0, "failures_block": ""}), "intro", None
        )
        return str(macro(count)).strip("\n") if macro else None

    def document(self, views: list[EntryView], *, date: str, failures: list[dict[str, Any]]) -> str:
        block = "\n".join(self.failures_lines(failures))
        text = self.template.render(date=date, sections=group_by_section(views), entry_count=len(views), failures_block=block)
        return text if text.endswith("\n") else text + "\n"  # a text file ends with a newline


_LOADED: dict[str, DraftTemplate] = {}


def load_template(template: str | None = None) -> DraftTemplate:
    """A built-in template is compiled once per process; a template file is read every time."""
    name = template or DEFAULT_TEMPLATE
    if name not in BUILTIN_TEMPLATES and name not in BUILTIN_TEMPLATES.values():
        return DraftTemplate(name)
    if name not in _LOADED:
        _LOADED[name] = DraftTemplate(name)
    return _LOADED[name]


def section_order(names: Iterable[str]) -> list[str]:
    """The four fixed sections, then any custom ones in the order they first appear."""
    custom: list[str] = []
    for name in names:
        if name not in SECTIONS and name not in custom:
            custom.append(name)
    return [*SECTIONS, *custom]


def group_by_section(views: list[EntryView]) -> list[dict[str, Any]]:
    return [
        _Fields(name=mdtext.escape(name), entries=[_md_view(v) for v in views if v.section == name])
        for name in section_order(v.section for v in views)
    ]


def render_markdown(
    entries: Sequence[Entry],
    *,
    template: str | None = None,
    date: str,
    diagnostics: Sequence[Diagnostic] = (),
    notices: Sequence[dict[str, Any]] = (),
    names: LearnedNames | None = None,
    views: Sequence[EntryView] | None = None,
) -> str:
    """A new draft of the issue dated `date` (YYYY-MM-DD); `template` is a built-in name
    (`embedded-ai`, `plain`) or a path to a Jinja2 file; `notices` are entries held back on
    purpose, listed in the tool's block; `views` are the entries' views when the caller has them
    already (drafting a summary is the costly part of a view)."""
    loaded = load_template(template)
    shown = [v for v in (entry_views(entries, names) if views is None else views) if v.status != Status.FAILED]
    return loaded.document(shown, date=date, failures=failure_items(entries, diagnostics, notices))


# ---------------------------------------------------------------------------------------------
# JSON


def entry_json(entry: Entry, view: EntryView) -> dict[str, Any]:
    failed = entry.status == Status.FAILED
    return {
        "key": view.key,
        "kind": view.kind,
        "section": view.section,
        "line": view.line,
        "url": entry.source.main.url,
        "title": None if failed and entry.record is None else view.title,
        "source": view.source,
        "summary": view.summary or None,
        "note": view.note,
        "links": [{"label": link.label, "url": link.url, "key": link.key} for link in view.links],
        "status": entry.status,
        "error": entry.error,
        "cached": entry.cached,
        "fetched_at": entry.fetched_at,
        "record": entry.record.to_dict() if entry.record is not None else None,
        "summary_source": view.summary_source,
        "summary_numbers_unchecked": view.numbers_unchecked,
        "featured_in": [{"date": f["date"], "section": f["section"]} for f in entry.featured_in],
        "follow_up": entry.follow_up,
    }


def render_json(entries: Sequence[Entry], diagnostics: Sequence[Diagnostic] = (), names: LearnedNames | None = None) -> str:
    """The `--format json` document: {"entries": [...], "diagnostics": [{"line", "message"}]},
    UTF-8 text, indented."""
    views = entry_views(entries, names)
    document = {
        "entries": [entry_json(e, v) for e, v in zip(entries, views)],
        "diagnostics": [{"line": d.line, "message": d.message} for d in diagnostics],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


__all__ = [
    "FAILED_END",
    "FAILED_START",
    "DraftTemplate",
    "EntryView",
    "LinkLine",
    "entry_view",
    "entry_views",
    "load_template",
    "render_json",
    "render_markdown",
    "section_order",
]
