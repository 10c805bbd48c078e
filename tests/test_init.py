"""`enrich init` and the nightly examples: a new digest from nothing, and examples that stay true."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import Config, parse_config
from pipeline.scaffold import config_template, workflow_template

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE_WORKFLOW = ROOT / "examples" / "github-actions" / "enrich-nightly.yml"
SYSTEMD = ROOT / "examples" / "systemd"

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>On-device LLMs | Example Blog</title>
<meta property="og:title" content="On-device LLMs"><meta property="og:site_name" content="Example Blog">
<meta name="description" content="Small models run on phones. Here is how."></head>
<body><article><h1>On-device LLMs</h1><p>Small models run on phones.</p></article></body></html>"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), io.BytesIO(b""), out, err)
    return code, out.getvalue(), err.getvalue()


def snapshot(directory: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(directory)): (p.read_bytes() if p.is_file() else None) for p in sorted(directory.rglob("*"))}


def test_a_new_directory_becomes_a_digest_that_drafts(server, tmp_path, monkeypatch):
    server.route("/post", PAGE)
    digest = tmp_path / "digest"
    code, out, _ = run("init", str(digest))
    assert code == 0
    assert "enrich sources.txt -o drafts/next.md" in out
    assert {"enrich.toml", "sources.txt", "drafts", ".gitignore"} <= {p.name for p in digest.iterdir()}
    with open(digest / "sources.txt", "a", encoding="utf-8") as handle:
        handle.write(f"\n[博文]\n{server.url('/post')}  worth a line\n")
    monkeypatch.chdir(digest)
    monkeypatch.delenv("ENRICH_CONFIG")  # the enrich.toml that init wrote is the one read
    monkeypatch.setenv("ENRICH_ALLOW_PRIVATE_HOSTS", "1")
    code, _, err = run("sources.txt", "-o", "drafts/next.md", "--date", "2026-12-04")
    assert code == 0, err
    draft = (digest / "drafts" / "next.md").read_text(encoding="utf-8")
    assert f"- [On-device LLMs | Example Blog]({server.url('/post')})  " in draft
    assert "备注：worth a line" in draft
    assert (digest / "cache").is_dir()


def test_a_second_init_changes_nothing_and_says_so(tmp_path):
    run("init", str(tmp_path), "--github-actions")
    before = snapshot(tmp_path)
    code, out, _ = run("init", str(tmp_path), "--github-actions")
    assert code == 0
    assert "Nothing to do" in out
    assert snapshot(tmp_path) == before


def test_init_keeps_what_exists_and_adds_only_missing_ignores(tmp_path):
    (tmp_path / "sources.txt").write_text("https://example.org/mine\n", encoding="utf-8")
    (tmp_path / ".gitignore").write_text("*.log\ncache", encoding="utf-8")  # no final newline
    code, out, _ = run("init", str(tmp_path))
    assert code == 0
    assert (tmp_path / "sources.txt").read_text(encoding="utf-8") == "https://example.org/mine\n"
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == "*.log\ncache\n.venv/\n"
    assert re.search(r"sources\.txt\s+kept \(exists\)", out)


def test_the_commented_config_lists_every_key_with_its_real_default():
    """Uncommenting every key line of the template must load exactly the program's defaults."""
    uncommented = re.sub(r"^# (\w+ = .*?)\s+#.*$", r"\1", config_template(), flags=re.MULTILINE)
    import tomllib

    data = tomllib.loads(uncommented)
    config = parse_config(data)
    assert config == Config(sites=config.sites)
    declared = {(section, key) for section, table in data.items() for key in table if section != "sites"}
    assert ("web", "per_host") in declared and ("cache", "arxiv_pinned_days") in declared
    assert parse_config(tomllib.loads(config_template())) == Config()  # as written: changes nothing


def test_the_example_workflow_is_the_one_init_writes():
    assert EXAMPLE_WORKFLOW.read_text(encoding="utf-8") == workflow_template()


def commands(text: str) -> list[str]:
    """The `enrich ...` command lines a workflow or unit runs (after `ExecStart=.../`, or in a run: step)."""
    found = re.findall(r"(?:^|/|\s)(enrich (?:sources\.txt|gather)[^\n|]*?)\s*(?:\|\||$)", text, re.MULTILINE)
    return [c.strip() for c in found]


@pytest.mark.parametrize("path", [EXAMPLE_WORKFLOW, SYSTEMD / "enrich.service"], ids=lambda p: p.name)
def test_the_examples_run_the_readmes_commands(path):
    found = commands(path.read_text(encoding="utf-8"))
    assert found, f"no enrich command found in {path.name}"
    nightly = README.split("## Run it every night", 1)[1].split("\n## ", 1)[0]
    for command in found:
        assert command in nightly, command


# Installed into the test environment by .ci/run, so it may not be on PATH.
ACTIONLINT = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(ACTIONLINT is None, reason="actionlint is not installed (.ci/run installs it)")
def test_actionlint_finds_nothing_in_the_workflow(tmp_path):
    assert ACTIONLINT is not None
    result = subprocess.run([ACTIONLINT, "-no-color", str(EXAMPLE_WORKFLOW)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(EXAMPLE_WORKFLOW.read_text(encoding="utf-8").replace("runs-on:", "runs_on:"), encoding="utf-8")
    assert subprocess.run([ACTIONLINT, "-no-color", str(broken)], capture_output=True).returncode != 0


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not on this machine")
def test_systemd_units_verify(tmp_path):
    def verify() -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "HOME": str(tmp_path), "SYSTEMD_LOG_COLOR": "0"}
        return subprocess.run(
            ["systemd-analyze", "verify", "enrich.service", "enrich.timer"], cwd=tmp_path, env=env, capture_output=True, text=True
        )

    for unit in ("enrich.service", "enrich.timer"):
        shutil.copy(SYSTEMD / unit, tmp_path / unit)
    missing = verify()  # %h/digest/.venv/bin/enrich does not exist yet: verify must say so
    assert missing.returncode != 0 and "not executable" in missing.stderr
    program = tmp_path / "digest" / ".venv" / "bin" / "enrich"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(0o755)
    result = verify()
    assert result.returncode == 0, result.stderr
    timer = (SYSTEMD / "enrich.timer").read_text(encoding="utf-8")
    assert "Persistent=true" in timer
