"""Helpers for tests that need a parse worker that misbehaves (tests/misbehaving_parse_worker.py)."""

import sys
from pathlib import Path

WORKER = Path(__file__).with_name("misbehaving_parse_worker.py")


def misbehaving_worker(folder: Path) -> list[str]:
    """The command line of a worker that notes its parses in `folder` (see the script)."""
    return [sys.executable, str(WORKER), str(folder)]


def parses(folder: Path) -> list[tuple[float, int, str]]:
    """What the worker noted: (monotonic time, worker pid, page name), in order."""
    log = folder / "parses.log"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [(float(t), int(pid), name) for t, pid, name in (line.split(" ", 2) for line in lines)]
