"""The optional TOML config file (`enrich.toml`): cache freshness, extra site names, web limits."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PATH = "enrich.toml"


class ConfigError(Exception):
    """The config file is unreadable or holds a value of the wrong kind (exit code 2)."""


@dataclass
class Config:
    cache: dict = field(default_factory=dict)  # e.g. {"github_days": 2, "arxiv_pinned_days": "never"}
    sites: dict[str, str] = field(default_factory=dict)  # domain -> source name printed after " | "
    web: dict = field(default_factory=dict)  # per_host, connections, timeout
    github: dict = field(default_factory=dict)  # rate_limit_wait
    path: str | None = None


def load_config(explicit: str | None = None) -> Config:
    """Reads `explicit`, else `$ENRICH_CONFIG`, else `./enrich.toml` when it exists."""
    path = explicit or os.environ.get("ENRICH_CONFIG") or DEFAULT_PATH
    if not Path(path).exists():
        if explicit:
            raise ConfigError(f"config file {path} does not exist")
        return Config()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from exc
    config = Config(path=str(path))
    for name in ("cache", "sites", "web", "github"):
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"config file {path}: [{name}] must be a table")
        setattr(config, name, value)
    bad = [k for k, v in config.sites.items() if not isinstance(v, str)]
    if bad:
        raise ConfigError(f"config file {path}: [sites] values must be strings ({', '.join(bad)})")
    return config
