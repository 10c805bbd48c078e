"""Exit codes that mean one thing each: 2 for nonsense on the command line, 4 with one line for a run
that could not finish, and the guard that fails any test whose run printed a traceback."""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline.cli
from pipeline.cli import main
from tests.conftest import RUNS, TRACEBACK, tracebacks_without_verbose

ROOT = Path(__file__).resolve().parent.parent
URL = "https://example.org/a"


def run(*args: str, stdout=None) -> tuple[int, str, str]:
    out, err = stdout or io.StringIO(), io.StringIO()
    code = main(list(args), io.BytesIO(), out, err)
    return code, out.getvalue() if isinstance(out, io.StringIO) else "", err.getvalue()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- nonsense values: exit 2 before anything runs ---------------------------------------------------
@pytest.mark.parametrize("value", ["nan", "-1", "inf", "soon"])
def test_lock_wait_must_be_a_finite_number_of_seconds(workdir, value, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--offline", "--lock-wait", value, URL])
    assert exit_.value.code == 2
    assert "--lock-wait" in capsys.readouterr().err
    assert not (workdir / "cache").exists()  # refused before the cache was opened


@pytest.mark.parametrize("value", ["-1", "nan", "-inf"])
def test_prune_refuses_a_negative_age_and_deletes_nothing(workdir, value, capsys):
    from pipeline.cache import Cache
    from pipeline.models import FetchResult, WebRecord

    cache = Cache(workdir / "cache")
    cache.store("web", FetchResult("web:https://example.org/a", WebRecord(title="A")))
    cache.close()
    with pytest.raises(SystemExit) as exit_:
        main(["cache", "prune", "--days", value, "--cache-dir", str(workdir / "cache")])
    assert exit_.value.code == 2
    assert "--days" in capsys.readouterr().err
    assert Cache(workdir / "cache").stats().total == 1


def test_total_zero_in_the_config_is_refused_with_exit_2(workdir):
    (workdir / "enrich.toml").write_text("[web]\ntotal = 0\n", encoding="utf-8")
    code, out, err = run("--config", "enrich.toml", "--offline", URL)
    assert code == 2 and out == ""
    assert "[web] total = 0" in err


def test_cache_options_work_after_the_action(workdir):
    code, out, err = run("cache", "stats", "--cache-dir", "elsewhere")
    assert code == 0, err
    assert out.startswith(os.path.join("elsewhere", "enrich.sqlite3"))
    assert (workdir / "elsewhere" / "enrich.sqlite3").exists() and not (workdir / "cache").exists()
    # Given before the action, it still counts; given after, it wins.
    assert run("cache", "--cache-dir", "first", "stats")[1].startswith(os.path.join("first", ""))
    assert run("cache", "--cache-dir", "first", "stats", "--cache-dir", "second")[1].startswith(os.path.join("second", ""))


# -- exit 4: could not finish, one line ---------------------------------------------------------------
class FailingStream(io.StringIO):
    def __init__(self, error: int):
        super().__init__()
        self.error = error

    def write(self, text: str) -> int:
        raise OSError(self.error, os.strerror(self.error))


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EPIPE])
def test_a_full_or_closed_stdout_is_exit_4_naming_it(workdir, error):
    code, _, err = run("--offline", URL, stdout=FailingStream(error))
    assert code == 4
    assert (
        err.strip().splitlines()[-1]
        == f"enrich: could not finish: cannot write the draft to standard output: {os.strerror(error)}"
    )


def test_a_closed_stdout_pipe_in_a_real_process_is_exit_4_without_a_second_error(workdir):
    (workdir / "sources.txt").write_text("".join(f"https://example.org/{n}\n" for n in range(2000)), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    reader, writer = os.pipe()
    os.close(reader)  # nobody will ever read: the first write fails with EPIPE
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline", "--offline", "sources.txt"],
            cwd=workdir,
            env=env,
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(writer)
    assert proc.returncode == 4, proc.stderr
    assert proc.stderr.strip() == "enrich: could not finish: cannot write the draft to standard output: Broken pipe"


def test_the_command_leaves_with_mains_code_and_every_byte_of_its_output(workdir):
    # The command leaves without the interpreter's last cycle sweep: nothing it wrote may wait on it.
    (workdir / "sources.txt").write_text("".join(f"https://example.org/{n}\n" for n in range(2000)), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"} | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "--offline", "--format", "json", "sources.txt"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1  # every link failed: not cached, and --offline
    assert len(json.loads(proc.stdout)["entries"]) == 2000
    assert proc.stderr.strip().splitlines()[-1].startswith("2000 entries: 0 fetched, 0 from cache, 2000 failed")


def test_an_unexpected_exception_is_one_line_and_the_traceback_only_with_v(workdir, monkeypatch):
    def explode(*args, **kwargs):
        raise KeyError("no such thing")

    monkeypatch.setattr("pipeline.run.assemble", explode)
    code, out, err = run("--offline", URL)
    assert (code, out) == (4, "")
    assert err.strip().splitlines() == ["enrich: internal error: KeyError: 'no such thing' (-v shows the traceback)"]
    code, _, err = run("--offline", "-v", URL)
    assert code == 4 and TRACEBACK in err
    assert err.strip().splitlines()[-1] == "enrich: internal error: KeyError: 'no such thing'"


def test_a_permission_error_names_its_path(workdir, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", "drafts/next.md")

    monkeypatch.setattr("pipeline.run.assemble", denied)
    code, _, err = run("--offline", URL)
    assert code == 4
    assert err.strip() == "enrich: could not finish: Permission denied: drafts/next.md"


def test_a_template_that_fails_while_rendering_is_exit_4(workdir):
    (workdir / "broken.j2").write_text(
        "{% macro entry(e) %}{{ e.nothing.deeper }}{% endmacro %}"
        "{% macro section_heading(s) %}## {{ s }}{% endmacro %}"
        "{% macro failures(f) %}{{ f.nothing.deeper }}{% endmacro %}",
        encoding="utf-8",
    )
    (workdir / "sources.txt").write_text(URL + "\n", encoding="utf-8")
    code, out, err = run("--offline", "--template", "broken.j2", "sources.txt")
    assert (code, out) == (4, ""), err
    last = err.strip().splitlines()[-1]
    assert last.startswith("enrich: could not finish: template broken.j2 failed while rendering: ")
    assert TRACEBACK not in err


def test_a_token_never_reaches_the_one_line_message(workdir, monkeypatch):
    token = "ghp_" + "T" * 36
    monkeypatch.setenv("GITHUB_TOKEN", token)

    def leak(*args, **kwargs):
        raise RuntimeError(f"request with token {token} failed")

    monkeypatch.setattr("pipeline.run.assemble", leak)
    for verbose in ((), ("-v",)):
        code, _, err = run("--offline", *verbose, URL)
        assert code == 4 and token not in err and "***" in err


# -- the traceback guard can fail -----------------------------------------------------------------------
def test_the_guard_sees_a_traceback_main_prints(workdir, monkeypatch, _no_traceback_without_verbose):
    def traceback_printer(exc, stderr, verbose):
        stderr.write(f"{TRACEBACK}:\n  ...\nKeyError\n")
        return 4

    monkeypatch.setattr(pipeline.cli, "_could_not_finish", traceback_printer)
    monkeypatch.setattr("pipeline.run.assemble", lambda *a, **k: {}[0])
    assert run("--offline", URL)[0] == 4
    assert tracebacks_without_verbose(RUNS) == [f"--offline {URL}"]
    RUNS.clear()  # seen; the guard itself must not fail this test


def test_the_guard_sees_a_traceback_a_child_process_prints(tmp_path, _no_traceback_without_verbose):
    fake = tmp_path / "bin" / "enrich"  # a command named like ours that crashes
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\nraise RuntimeError('boom')\n", encoding="utf-8")
    fake.chmod(0o755)
    for stderr in (subprocess.DEVNULL, subprocess.PIPE):
        subprocess.run([str(fake), URL], stdout=subprocess.DEVNULL, stderr=stderr, timeout=60)
        assert tracebacks_without_verbose(RUNS) == [f"{fake} {URL}"]
        RUNS.clear()
    proc = subprocess.Popen([str(fake), URL], stderr=subprocess.PIPE, text=True)
    proc.wait(timeout=60)
    assert "boom" in proc.stderr.read()
    proc.stderr.close()
    assert len(tracebacks_without_verbose(RUNS)) == 1
    RUNS.clear()
    subprocess.run([str(fake), "-v", URL], stderr=subprocess.DEVNULL, timeout=60)
    assert tracebacks_without_verbose(RUNS) == []


def test_the_guard_lets_v_print_tracebacks(workdir, monkeypatch, _no_traceback_without_verbose):
    monkeypatch.setattr("pipeline.run.assemble", lambda *a, **k: {}[0])
    assert run("--offline", "-v", URL)[0] == 4
    assert tracebacks_without_verbose(RUNS) == []


def test_a_lock_that_cannot_be_taken_is_exit_4_naming_the_lock_file(workdir):
    (workdir / "cache" / "enrich.lock").mkdir(parents=True)  # something in the way of the lock file
    code, out, err = run("--offline", URL)
    assert (code, out) == (4, "")
    assert err.strip() == f"enrich: could not finish: cannot take the lock {os.path.join('cache', 'enrich.lock')}: Is a directory"
