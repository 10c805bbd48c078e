"""`-o`: a regular file or a new path only; symlinks followed, read-only drafts kept, the usual mode
for new files, bounded reads, and a failed write that leaves the old draft whole."""

from __future__ import annotations

import errno
import io
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline import output
from pipeline.cli import main
from pipeline.output import OutputRefused, file_type_problem, read_existing_output

ROOT = Path(__file__).resolve().parent.parent
URL = "https://example.org/a"
OTHER = "https://example.org/b"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--offline", "--date", "2026-11-23", *args], io.BytesIO(), out, err)
    return code, out.getvalue(), err.getvalue()


# -- what -o may name ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (stat.S_IFCHR, "a character device"),
        (stat.S_IFBLK, "a block device"),
        (stat.S_IFIFO, "a FIFO"),
        (stat.S_IFSOCK, "a socket"),
        (stat.S_IFDIR, "a directory"),
    ],
)
def test_only_a_regular_file_may_be_overwritten(kind, words):
    # The root-only cases (/dev/null, /dev/zero) are decided by the file type alone: checked here
    # by mode, never by writing to /dev.
    assert words in file_type_problem(kind | 0o666)


def test_a_writable_regular_file_is_fine_and_one_without_write_bits_is_not():
    assert file_type_problem(stat.S_IFREG | 0o644) is None
    assert file_type_problem(stat.S_IFREG | 0o200) is None
    assert "read-only (mode 0444)" in file_type_problem(stat.S_IFREG | 0o444)


def test_a_directory_is_refused_with_exit_2(workdir):
    (workdir / "drafts").mkdir()
    for name in ("drafts", "drafts/", "/", "."):
        code, out, err = run("-o", name, URL)
        assert (code, out) == (2, ""), name
        assert "directory" in err, err
    assert list((workdir / "drafts").iterdir()) == []


def test_a_fifo_is_refused_without_blocking(workdir):
    os.mkfifo(workdir / "pipe.md")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.monotonic()
    # A child process, so a regression that opened the FIFO would hang only it (and time out).
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "--offline", "-o", "pipe.md", URL],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == "enrich: -o pipe.md is a FIFO (named pipe), not a regular file"
    assert time.monotonic() - started < 20
    assert stat.S_ISFIFO(os.stat(workdir / "pipe.md").st_mode)


def test_a_socket_is_refused(workdir):
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(workdir / "sock.md"))
        code, _, err = run("-o", "sock.md", URL)
    assert code == 2 and "is a socket" in err


def test_a_fifo_or_device_swapped_in_late_is_never_read(tmp_path):
    fifo = tmp_path / "late.md"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_existing_output(fifo, "md")
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(5)  # a blocking open would wait here for a writer that never comes
    if reader.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # set the stuck reader free
        pytest.fail("opening the draft blocked on a FIFO")
    assert len(outcome) == 1 and isinstance(outcome[0], OutputRefused) and "FIFO" in str(outcome[0])
    if os.path.exists("/dev/zero"):  # reading /dev/zero would never end
        with pytest.raises(OutputRefused, match="character device"):
            read_existing_output(Path("/dev/zero"), "md")


def test_an_oversized_existing_draft_is_refused_not_read_whole(workdir, monkeypatch):
    monkeypatch.setattr(output, "MAX_EXISTING_DRAFT", 1000)
    (workdir / "big.md").write_text("x" * 1001, encoding="utf-8")
    code, _, err = run("-o", "big.md", URL)
    assert code == 2 and "more than a draft can be" in err
    assert (workdir / "big.md").read_text(encoding="utf-8") == "x" * 1001


# -- symlinks, modes, read-only drafts ---------------------------------------------------------------
def test_a_symlinked_draft_stays_a_link_and_its_target_is_written(workdir):
    (workdir / "real").mkdir()
    assert run("-o", "real/next.md", URL)[0] == 1
    os.symlink("real/next.md", workdir / "next.md")
    code, _, err = run("-o", "next.md", URL, OTHER)
    assert code == 1, err
    assert (workdir / "next.md").is_symlink() and os.readlink(workdir / "next.md") == "real/next.md"
    text = (workdir / "real" / "next.md").read_text(encoding="utf-8")
    assert URL in text and OTHER in text
    assert not list(workdir.glob(".next.md.*")) and not list((workdir / "real").glob(".next.md.*.tmp"))


def test_a_dangling_symlink_gets_its_target_created(workdir):
    os.symlink("drafts/new.md", workdir / "next.md")
    assert run("-o", "next.md", URL)[0] == 1
    assert (workdir / "next.md").is_symlink()
    assert URL in (workdir / "drafts" / "new.md").read_text(encoding="utf-8")


def test_a_read_only_draft_is_refused_and_untouched_even_for_root(workdir):
    draft = workdir / "next.md"
    draft.write_text("# my draft\n", encoding="utf-8")
    draft.chmod(0o444)
    code, out, err = run("-o", "next.md", URL)
    assert (code, out) == (2, "")
    assert err.strip() == "enrich: -o next.md is read-only (mode 0444); not overwriting it"
    assert draft.read_text(encoding="utf-8") == "# my draft\n"
    assert stat.S_IMODE(draft.stat().st_mode) == 0o444


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_a_new_draft_gets_the_usual_mode(workdir, umask):
    old = os.umask(umask)
    try:
        assert run("-o", "next.md", URL)[0] == 1
    finally:
        os.umask(old)
    assert stat.S_IMODE((workdir / "next.md").stat().st_mode) == 0o666 & ~umask


def test_an_existing_draft_keeps_its_mode(workdir):
    draft = workdir / "next.md"
    draft.write_text("# my draft\n", encoding="utf-8")
    draft.chmod(0o640)
    assert run("-o", "next.md", URL)[0] == 1
    assert stat.S_IMODE(draft.stat().st_mode) == 0o640


# -- a write that fails -------------------------------------------------------------------------------
def test_a_full_disk_on_o_is_exit_4_and_the_old_draft_is_whole(workdir, monkeypatch):
    draft = workdir / "next.md"
    draft.write_text("# my draft\n", encoding="utf-8")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output.os, "fsync", full)
    code, _, err = run("-o", "next.md", URL)
    assert code == 4
    assert (
        err.strip().splitlines()[-1]
        == f"enrich: could not finish: cannot write the draft {draft}: the disk is full; nothing was replaced"
    )
    assert draft.read_text(encoding="utf-8") == "# my draft\n"
    assert [p.name for p in workdir.iterdir() if p.name.endswith(".tmp")] == []


def test_a_folder_that_refuses_the_temp_file_is_exit_4_naming_the_draft(workdir, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(output.tempfile, "mkstemp", denied)
    code, _, err = run("-o", "next.md", URL)
    assert code == 4
    assert (
        err.strip().splitlines()[-1]
        == f"enrich: could not finish: cannot write the draft {workdir / 'next.md'}: Permission denied"
    )
    assert not (workdir / "next.md").exists()
