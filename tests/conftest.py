"""Shared fixtures: local servers on 127.0.0.1 and an isolated environment for every test."""

from __future__ import annotations

import pytest

from tests.localserver import LocalServer


@pytest.fixture
def server():
    srv = LocalServer().start()
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test may reach a real API or read the developer's token or cache."""
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "ENRICH_CACHE_DIR", "ENRICH_ALLOW_PRIVATE_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENRICH_ARXIV_API", "http://127.0.0.1:9/api/query")
    monkeypatch.setenv("ENRICH_GITHUB_API", "http://127.0.0.1:9")
    monkeypatch.setenv("ENRICH_CONFIG", str(tmp_path / "no-config.toml"))
