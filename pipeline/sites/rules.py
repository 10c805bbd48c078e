"""Which per-site rules a page gets: chosen by its host, or by markup the site alone writes."""

from __future__ import annotations

from types import ModuleType

from pipeline.sites import cnblogs, csdn, qdaily, wechat, zhihu
from pipeline.sites.common import ParsedPage, host_matches

_RULES: tuple[ModuleType, ...] = (wechat, zhihu, csdn, cnblogs, qdaily)


def rules_for(page: ParsedPage) -> ModuleType | None:
    """The site module whose HOSTS cover the page's host, or that recognizes the page's markup."""
    for module in _RULES:
        if any(host_matches(page.host, domain) for domain in module.HOSTS):
            return module
    for module in _RULES:
        if module.recognizes(page):
            return module
    return None
