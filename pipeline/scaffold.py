"""`enrich init`: lay out what a new digest needs (config, sources, drafts, ignores), never overwriting."""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.config import SECTIONS, documented_settings, table_list_item

DRAFT = "drafts/next.md"
WORKFLOW = ".github/workflows/enrich-nightly.yml"
IGNORED = ("cache/", ".venv/")

SOURCES_TEMPLATE = """\
# Links for the next issue, one entry per line (`enrich sources.txt -o drafts/next.md` drafts them).
#
# - All URLs on a line belong to one entry: the first is its main link, the others become labelled
#   lines (论文 for arXiv, 代码 for GitHub, 博客/链接 for pages).
# - Other text on the line is your note; it is kept and shown in the draft as 备注.
# - `[业界新闻]`, `[论文]`, `[开源项目]` or `[博文]` on its own line sets the section of the entries
#   below it; without one, arXiv goes to 论文, GitHub to 开源项目, everything else to 博文.
# - Lines starting with # are comments; blank lines are ignored.
#
# [论文]
# https://arxiv.org/abs/1907.05550 https://ai.googleblog.com/2020/05/speeding-up-neural-network-training.html
# https://github.com/lmbxmu/HRank  CVPR2020 oral, check the ImageNet numbers
"""


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string or array is JSON-compatible


def config_template() -> str:
    """A commented enrich.toml listing every key with its default and meaning, made from the same
    typed settings the program reads, so the two cannot drift. Every key is commented out: the file
    changes nothing until the editor uncomments a line."""
    out = [
        "# enrich.toml: settings of `enrich` for this digest. Every key is shown commented out with its",
        "# default; uncomment a line to change it. Unknown keys and nonsense values are refused at load.",
    ]
    for section, cls in SECTIONS.items():
        out += ["", f"[{section}]  # {(cls.__doc__ or '').split(':', 1)[-1].strip()}"]
        hints = typing.get_type_hints(cls)
        settings = [s for s in documented_settings(cls) if table_list_item(hints[s[0]]) is None]
        rows = [(f"# {name} = {_toml_value(default)}", doc) for name, default, doc in settings if default is not None]
        rows += [(f'# {name} = ""', doc) for name, default, doc in settings if default is None]
        width = max(len(left) for left, _ in rows)
        out += [f"{left.ljust(width)}  # {doc}" for left, doc in rows]
        for name, _default, doc in documented_settings(cls):
            item = table_list_item(hints[name])
            if item is not None:
                out += _table_list_sample(f"{section}.{name}", item, doc)
    out += [
        "",
        '[sites]  # source names printed after " | ", by domain (subdomains included)',
        '# "example-ai.cn" = "Example AI"',
    ]
    return "\n".join(out) + "\n"


def _table_list_sample(where: str, cls: type, doc: str) -> list[str]:
    """A commented `[[where]]` table: every key's meaning on a line of its own (so uncommenting a
    key line never drops a key of the table into the section above it), then the class's EXAMPLE."""
    out = ["", f"# {doc}:"]
    for name, default, meaning in documented_settings(cls):
        out.append(f"#  - {name}: {meaning}{' (required)' if default is None else ''}")
    out.append(f"# [[{where}]]")
    out += [f"#   {name} = {_toml_value(value)}" for name, value in getattr(cls, "EXAMPLE", {}).items()]
    return out


def workflow_template() -> str:
    return resources.files("pipeline").joinpath("data", "enrich-nightly.yml").read_text(encoding="utf-8")


@dataclass
class Step:
    path: str
    done: str  # "created", "kept (exists)", "added cache/ to", ...


def _write_new(path: Path, text: str) -> bool:
    """Writes `text` to a file that does not exist yet; False (and nothing written) if it does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        return False
    return True


def _ignore_lines(path: Path) -> list[str]:
    """Adds the lines of IGNORED that .gitignore lacks, keeping everything it already says."""
    present = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    missing = [line for line in IGNORED if line not in present and line.rstrip("/") not in present]
    if missing:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if text and not text.endswith("\n"):
            text += "\n"
        path.write_text(text + "\n".join(missing) + "\n", encoding="utf-8")
    return missing


def init(directory: Path, *, github_actions: bool = False) -> list[Step]:
    """Creates what is missing in `directory`; never overwrites or removes anything."""
    directory.mkdir(parents=True, exist_ok=True)
    steps: list[Step] = []
    files = {"enrich.toml": config_template(), "sources.txt": SOURCES_TEMPLATE}
    if github_actions:
        files[WORKFLOW] = workflow_template()
    for name, text in files.items():
        steps.append(Step(name, "created" if _write_new(directory / name, text) else "kept (exists)"))
    drafts = directory / Path(DRAFT).parent
    steps.append(Step(f"{drafts.name}/", "kept (exists)" if drafts.is_dir() else "created"))
    drafts.mkdir(exist_ok=True)
    added = _ignore_lines(directory / ".gitignore")
    steps.append(Step(".gitignore", f"added {', '.join(added)}" if added else "kept (ignores cache/ already)"))
    return steps


def changed_anything(steps: list[Step]) -> bool:
    return any(not step.done.startswith("kept") for step in steps)
