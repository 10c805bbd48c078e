"""Every third-party package that pipeline/ imports is declared in pyproject.toml's dependencies."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them: `PyGithub` and `pygithub` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_distributions(pyproject: str) -> set[str]:
    """The distribution names of `[project] dependencies`, without versions, extras or markers."""
    requirements = tomllib.loads(pyproject)["project"]["dependencies"]
    return {normalized(re.match(r"[A-Za-z0-9._-]+", r.strip()).group()) for r in requirements}


def imported_top_level(source: str) -> set[str]:
    """The top-level modules a file imports absolutely (relative imports are the package's own)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def undeclared(modules: set[str], declared: set[str], distributions: dict[str, list[str]]) -> dict[str, str]:
    """Third-party modules whose distribution is not declared, each with the reason."""
    missing: dict[str, str] = {}
    for module in sorted(modules - set(sys.stdlib_module_names) - {"pipeline", "__future__"}):
        providers = {normalized(d) for d in distributions.get(module, [])}
        if not providers:
            missing[module] = "no installed distribution provides it"
        elif not providers & declared:
            missing[module] = f"provided by {', '.join(sorted(providers))}, which is not declared"
    return missing


def test_every_imported_package_is_declared():
    declared = declared_distributions((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    modules: set[str] = set()
    for path in (ROOT / "pipeline").rglob("*.py"):
        modules |= imported_top_level(path.read_text(encoding="utf-8"))
    assert "httpx" in modules  # the walk found the package's imports at all
    assert undeclared(modules, declared, packages_distributions()) == {}


def test_an_undeclared_import_is_reported():
    source = "import json\nimport lxml.etree\nfrom github import Github\nfrom . import sibling\n"
    declared = declared_distributions('[project]\ndependencies = ["PyGithub>=2.4,<3  ", "httpx[http2]>=0.27"]\n')
    assert declared == {"pygithub", "httpx"}
    assert imported_top_level(source) == {"json", "lxml", "github"}
    missing = undeclared(imported_top_level(source), declared, {"lxml": ["lxml"], "github": ["PyGithub"]})
    assert missing == {"lxml": "provided by lxml, which is not declared"}
    assert undeclared({"nosuchmodule"}, declared, {}) == {"nosuchmodule": "no installed distribution provides it"}
