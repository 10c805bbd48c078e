"""Per-site extraction rules, chosen by the page's host and applied over the generic rules."""

from __future__ import annotations

from types import ModuleType

from pipeline.sites import wechat, zhihu
from pipeline.sites.common import host_matches

_RULES: tuple[ModuleType, ...] = (wechat, zhihu)


def rules_for(host: str) -> ModuleType | None:
    """The site module whose HOSTS cover `host` (a domain or one of its subdomains), if any."""
    for module in _RULES:
        if any(host_matches(host, domain) for domain in module.HOSTS):
            return module
    return None
