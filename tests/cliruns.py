"""A whole `enrich` run for tests: given links and an enrich.toml, the JSON document, timed."""

from __future__ import annotations

import io
import json
import time

from pipeline.cli import main


def timed_json_run(tmp_path, monkeypatch, urls: list[str], config: str) -> tuple[int, dict, str, float]:
    """Runs `enrich sources.txt --format json` in `tmp_path` with `urls` as its sources and
    `config` as its enrich.toml: (exit code, the JSON document, stderr, seconds it took)."""
    (tmp_path / "sources.txt").write_text("".join(url + "\n" for url in urls), encoding="utf-8")
    (tmp_path / "enrich.toml").write_text(config, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ENRICH_CONFIG", str(tmp_path / "enrich.toml"))
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    code = main(["sources.txt", "--allow-private-hosts", "--format", "json"], io.BytesIO(), out, err)
    elapsed = time.monotonic() - started
    return code, json.loads(out.getvalue()), err.getvalue(), elapsed
