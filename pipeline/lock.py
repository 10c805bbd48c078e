"""Advisory file locks that keep two runs from writing the same cache or draft at once."""

from __future__ import annotations

import fcntl
import os
import socket
import time
from pathlib import Path


class LockHeld(Exception):
    """Another run holds the lock; the message names it (exit code 3)."""


class FileLock:
    """An flock on `path`: released by the kernel when the holder exits, even on SIGKILL, so a
    crashed run never leaves a stale lock behind. The file's text names the holder."""

    def __init__(self, path: str | os.PathLike, what: str):
        self.path = Path(path)
        self.what = what
        self._fd: int | None = None

    def acquire(self, wait: float, poll: float = 0.1, sleep=time.sleep, clock=time.monotonic) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = clock() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if clock() >= deadline:
                    holder = os.pread(fd, 400, 0).decode("utf-8", "replace").strip() or "another enrich run"
                    os.close(fd)
                    raise LockHeld(f"{self.what} is locked by {holder} (waited {wait:g} s; lock file {self.path})") from None
                sleep(poll)
        os.ftruncate(fd, 0)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, started {stamp}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
