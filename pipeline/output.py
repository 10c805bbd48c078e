"""Where the draft goes: `-o`'s target checked (a regular file or a new path), read with a bound, written atomically."""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from pathlib import Path


class OutputRefused(Exception):
    """`-o` names something the draft must not be written to (exit code 2); the message says what."""


class OutputFailed(Exception):
    """The draft could not be written for a reason of the environment (exit code 4); names the path."""


# A draft is a few hundred KiB; anything larger is not one, and reading it whole would cost memory.
MAX_EXISTING_DRAFT = 64 * 1024 * 1024

_FILE_TYPES = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def file_type_problem(mode: int) -> str | None:
    """What is wrong with writing a draft over a file of this `st_mode`, or None for a regular file."""
    for test, name in _FILE_TYPES:
        if test(mode):
            return f"is {name}, not a regular file"
    if not stat.S_ISREG(mode):
        return "is not a regular file"
    if mode & 0o222 == 0:
        # Checked on the mode bits, not with access(): root may write anything, but a draft the
        # editor made read-only is one they meant to keep as it is.
        return f"is read-only (mode {stat.S_IMODE(mode):04o}); not overwriting it"
    return None


def resolve_output(name: str) -> Path:
    """The path the draft will really be written to: `name` itself, or the file a symlink points to
    (so the link stays a link). Raises OutputRefused when that is not a regular file or a new path."""
    if name == "" or name.endswith(os.sep) or os.path.basename(os.path.normpath(name)) in ("", ".", ".."):
        raise OutputRefused(f"-o {name!r} names a directory, not a file")
    path = Path(name)
    target = Path(os.path.realpath(path))  # every link followed, dangling ones to their new target
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise OutputFailed(f"cannot inspect the draft {name}: {exc.strerror or exc}") from exc
    problem = file_type_problem(info.st_mode)
    if problem is not None:
        where = name if target == path.absolute() else f"{name} (-> {target})"
        raise OutputRefused(f"-o {where} {problem}")
    if not os.access(target, os.W_OK):
        raise OutputRefused(f"-o {name}: permission denied; not writing it")
    return target


def read_existing_output(path: Path, fmt: str) -> str | None:
    """The draft to merge into, or None. Refuses to turn an editor's Markdown into JSON.

    Opened without blocking and checked again on the open file, so a FIFO or device swapped in
    after `resolve_output` can neither hang the run nor be read without end."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputRefused(f"cannot read the existing draft {path}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        problem = file_type_problem(info.st_mode)
        if problem is not None:
            raise OutputRefused(f"-o {path} {problem}")
        if info.st_size > MAX_EXISTING_DRAFT:
            raise OutputRefused(
                f"the existing draft {path} is {info.st_size // (1024 * 1024)} MiB, more than a draft can be "
                f"({MAX_EXISTING_DRAFT // (1024 * 1024)} MiB); not merging into it"
            )
        data = handle.read(MAX_EXISTING_DRAFT + 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OutputRefused(f"cannot read the existing draft {path}: not UTF-8 (byte {exc.start + 1})") from exc
    if fmt == "json":
        try:
            document = json.loads(text)
            if isinstance(document, dict) and "entries" in document:
                return None  # our own JSON document: replaced
        except ValueError:
            pass
        raise OutputRefused(f"{path} exists and is not a JSON document written by enrich; not overwriting it")
    return text


def _umask() -> int:
    """The process's umask (reading it means setting it; the draft is written after the stages'
    threads have finished, so nothing else creates files meanwhile)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, text: str) -> None:
    """Temp file in the same folder, fsync, rename: readers see the old file or the new one.

    An existing file keeps its mode; a new one gets the mode any new file gets (0666 less the
    umask), not the 0600 of a temporary file. Raises OutputFailed naming the path."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputFailed(f"cannot write the draft {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            reason = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else exc.strerror or str(exc)
            raise OutputFailed(f"cannot write the draft {path}: {reason}; nothing was replaced") from exc
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return  # the rename is done; a folder we cannot open for fsync only loses durability
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
