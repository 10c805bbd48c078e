"""The source names the editor prints, learned from the archive: by domain, by WeChat account and by
the name a page gives for itself (pure; the config's `[sites]` table always wins)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.archive import ArchiveIndex, url_identity
from pipeline.links import LinkError, canonicalize
from pipeline.models import WebRecord


def _host(url: str) -> str | None:
    try:
        link = canonicalize(url)
    except LinkError:
        return None
    match = re.match(r"https?://([^/:?#]+)", link.url)
    return match.group(1).lower().removeprefix("www.") if match else None


def wechat_account(url: str | None) -> str | None:
    """The `__biz` account id of a WeChat article link, when the link carries it."""
    match = re.search(r"[?&]__biz=([^&#]+)", url or "")
    return match.group(1).replace("%3D", "=").replace("%3d", "=") if match else None


@dataclass(frozen=True)
class LearnedNames:
    """Source names as the editor printed them: by domain, by WeChat account (`__biz`), and by the
    name a page gives for itself; `printed` holds every name the editor ever used."""

    by_domain: dict[str, str] = field(default_factory=dict)
    by_account: dict[str, str] = field(default_factory=dict)
    by_page_name: dict[str, str] = field(default_factory=dict)
    printed: frozenset[str] = frozenset()
    sites: dict[str, str] = field(default_factory=dict)  # the config's [sites]: always wins

    def pick(self, host: str, page_name: str | None, account: str | None = None) -> str | None:
        """The source to print for a page of `host` that names itself `page_name` (or nothing):
        the config's name for the domain; else the page's own name when the editor uses it;
        else what the editor printed for this WeChat account, this page name or this domain;
        else the page's name. None when nothing is known."""
        configured = _by_domain({k.lower().removeprefix("www."): v for k, v in self.sites.items()}, host)
        if configured:
            return configured
        if page_name and page_name in self.printed:
            return page_name
        learned = (
            (self.by_account.get(account) if account else None)
            or (self.by_page_name.get(page_name) if page_name else None)
            or _by_domain(self.by_domain, host)
        )
        return learned or page_name


def _by_domain(table: dict[str, str], host: str) -> str | None:
    labels = host.lower().removeprefix("www.").split(".")
    for start in range(len(labels) - 1):  # the host, then its parents, never a bare TLD
        name = table.get(".".join(labels[start:]))
        if name:
            return name
    return None


def _most_common(counter: Counter[str], at_least: int) -> str | None:
    if not counter:
        return None
    (name, count), *rest = counter.most_common(2) + [("", 0)]
    return name if count >= at_least and count > rest[0][1] else None  # a tie is no habit


def learn_names(index: ArchiveIndex, pages: Mapping[str, WebRecord]) -> LearnedNames:
    """The editor's names from the archive. `pages` maps an identity key to a cached web record
    of that link (when fetched), which tells the account id and the page's own name."""
    domains: dict[str, Counter[str]] = {}
    accounts: dict[str, Counter[str]] = {}
    page_names: dict[str, Counter[str]] = {}
    for entry in index.entries:
        source = entry.source
        if not source or entry.kind != "web" or "://" in source or not entry.urls:
            continue
        url = entry.urls[0]
        host = _host(url)
        if host and host != "mp.weixin.qq.com":
            domains.setdefault(host, Counter())[source] += 1
        record = pages.get(index.resolve(url_identity(url) or ""))
        canonical_url = record.canonical_url if record else None
        account = wechat_account(canonical_url or "") or wechat_account(url)
        if account:
            accounts.setdefault(account, Counter())[source] += 1
        if record is not None and record.site_name:
            page_names.setdefault(record.site_name, Counter())[source] += 1
    # A domain's habit needs two articles: one article on a platform (baijiahao, jianshu) names its
    # publisher, not the platform. An account or a page's own name is the publisher: once is enough.
    return LearnedNames(_habits(domains, 2), _habits(accounts, 1), _habits(page_names, 1), frozenset(index.printed_names()))


def _habits(table: dict[str, Counter[str]], at_least: int) -> dict[str, str]:
    return {k: v for k, v in ((k, _most_common(c, at_least)) for k, c in table.items()) if v}
