"""Shared fixtures: local servers on 127.0.0.1, an isolated environment for every test, and a guard
that fails any test whose command run printed a traceback without -v."""

from __future__ import annotations

import functools
import io
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import pipeline.cli
import pipeline.secrets
from tests.localserver import LocalServer

TRACEBACK = "Traceback (most recent call last)"
VERBOSE = ("-v", "--verbose")


@dataclass
class CliRun:
    """What one run of the command (in this process or a child) wrote to stderr."""

    argv: list[str]
    chunks: list[str] = field(default_factory=list)
    pending: list = field(default_factory=list)  # temp files a child wrote its stderr to, read at the end

    @property
    def verbose(self) -> bool:
        return any(arg in VERBOSE for arg in self.argv)

    def stderr(self) -> str:
        for handle in self.pending:
            handle.seek(0)
            self.chunks.append(handle.read().decode("utf-8", "replace"))
            handle.close()
        self.pending.clear()
        return "".join(self.chunks)


RUNS: list[CliRun] = []


class _Tee(io.TextIOBase):
    """Passes writes on to the stream the test gave `main()` and keeps a copy."""

    def __init__(self, target, run: CliRun):
        self._target, self._run = target, run

    def write(self, text: str) -> int:
        self._run.chunks.append(text)
        return self._target.write(text)

    def flush(self) -> None:
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    def fileno(self) -> int:
        return self._target.fileno()

    @property
    def encoding(self):  # type: ignore[override]
        return getattr(self._target, "encoding", "utf-8")


# Test modules do `from pipeline.cli import main`, and this file is imported before any of them:
# wrapping the module's attribute here is what they get, so every in-process run is watched.
_real_main = pipeline.cli.main


@functools.wraps(_real_main)
def _watched_main(argv=None, stdin=None, stdout=None, stderr=None):
    import sys

    run = CliRun(list(sys.argv[1:] if argv is None else argv))
    RUNS.append(run)
    try:
        return _real_main(argv, stdin, stdout, _Tee(stderr or sys.stderr, run))
    except Exception as exc:
        # In a real process this exception would end as a traceback on stderr.
        run.chunks.append(f"{TRACEBACK}: {type(exc).__name__} escaped main()")
        raise


pipeline.cli.main = _watched_main
_real_popen_init = subprocess.Popen.__init__
_real_communicate = subprocess.Popen.communicate


def _is_cli(args) -> bool:
    words = [str(a) for a in args] if isinstance(args, (list, tuple)) else str(args).split()
    return any(a == "pipeline" and i and words[i - 1] == "-m" for i, a in enumerate(words)) or any(
        w.endswith("/enrich") or w == "enrich" for w in words
    )


def _watched_popen_init(self, args, *rest, **kwargs):
    run = None
    if _is_cli(args):
        run = CliRun([str(a) for a in args] if isinstance(args, (list, tuple)) else str(args).split())
        RUNS.append(run)
        if kwargs.get("stderr") in (None, subprocess.DEVNULL):
            # Nobody reads it: send it to a file the guard reads once the test is over.
            spool = tempfile.TemporaryFile()
            run.pending.append(spool)
            kwargs["stderr"] = spool
    _real_popen_init(self, args, *rest, **kwargs)
    self._enrich_run = run
    if run is not None and self.stderr is not None:
        self.stderr = _ReadTee(self.stderr, run)


def _watched_communicate(self, *args, **kwargs):
    stderr = self.stderr
    if isinstance(stderr, _ReadTee):
        self.stderr = stderr.raw  # communicate reads the pipe's descriptor itself
    try:
        out, err = _real_communicate(self, *args, **kwargs)
    finally:
        if isinstance(stderr, _ReadTee):
            self.stderr = stderr
    run = getattr(self, "_enrich_run", None)
    if run is not None and err:
        run.chunks.append(err if isinstance(err, str) else err.decode("utf-8", "replace"))
    return out, err


class _ReadTee:
    """A child's stderr pipe that keeps a copy of what the test reads from it."""

    def __init__(self, raw, run: CliRun):
        self.raw, self._run = raw, run

    def _keep(self, data):
        if data:
            self._run.chunks.append(data if isinstance(data, str) else data.decode("utf-8", "replace"))
        return data

    def read(self, *args):
        return self._keep(self.raw.read(*args))

    def readline(self, *args):
        return self._keep(self.raw.readline(*args))

    def __iter__(self):
        for line in self.raw:
            yield self._keep(line)

    def __getattr__(self, name):
        return getattr(self.raw, name)


subprocess.Popen.__init__ = _watched_popen_init  # type: ignore[method-assign]
subprocess.Popen.communicate = _watched_communicate  # type: ignore[method-assign]


def tracebacks_without_verbose(runs: list[CliRun]) -> list[str]:
    """The argv of every run that printed a traceback on stderr without -v."""
    return [" ".join(run.argv) for run in runs if not run.verbose and TRACEBACK in run.stderr()]


@pytest.fixture(autouse=True)
def _no_traceback_without_verbose():
    """Every run of the command, in this process or as a child, must end in one line, not a traceback."""
    RUNS.clear()
    yield RUNS
    bad = tracebacks_without_verbose(RUNS)
    RUNS.clear()
    if bad:
        pytest.fail(f"the command printed a traceback without -v: {bad}")


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
    # Secrets a run registers (a token, an API key, a feed's access key) are the process's: each
    # test starts without any.
    monkeypatch.setattr(pipeline.secrets, "_REGISTERED", set())


@pytest.fixture
def published() -> Path:
    """The folder of real published issues of the reference digest, read in place (never copied
    into the project): ENRICH_ARCHIVE_DIR, else the shared reference folder beside the checkout."""
    root = Path(__file__).resolve().parent.parent
    folder = Path(os.environ.get("ENRICH_ARCHIVE_DIR") or root.parent / "shared" / "reference" / "archive")
    if not folder.is_dir() or not list(folder.glob("*.md")):
        pytest.skip(f"no archive of published issues at {folder} (set ENRICH_ARCHIVE_DIR)")
    return folder
