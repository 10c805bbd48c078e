"""Worker processes that parse pages off the event loop, each page within its link's deadline: a
worker still parsing at the deadline is stopped, and a fresh one takes its place.

Processes rather than threads: a parse thread holds the interpreter for milliseconds at a time,
and the loop, which lets go of it at every socket call, waited that long to get it back on every
request it sent; and a thread stuck in a page can only be abandoned, still burning a core, where a
process can be stopped.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline.cache import record_problem
from pipeline.errors import PageTooComplex, PageUnavailable, ParseFailed
from pipeline.models import WebRecord
from pipeline.parseworker import ANSWER_HEAD_SIZE, ParseJob, answer_size, job_frame

# One worker parses far faster than pages arrive from the network, and each more takes a core
# from the loop and the cache; so another starts only when a worker has been on one page this
# long (a page slow to parse must not hold up the others'), up to MAX_WORKERS. A line of pages
# behind a busy worker that is moving is no reason: a new worker would only slow it down.
PATIENCE = 0.25
MAX_WORKERS = 4

# What a worker inherits of the environment: enough to start Python, nothing else (no tokens).
_KEPT_ENVIRONMENT = ("PATH", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP", "LANG", "LC_ALL", "LC_CTYPE")


def worker_command() -> list[str]:
    return [sys.executable, "-m", "pipeline.parseworker"]


def worker_environment() -> dict[str, str]:
    """The worker's environment: this run's Python settings and the folder this package is in
    first on its path, so it runs the same code as the run that starts it."""
    env = {k: v for k, v in os.environ.items() if k in _KEPT_ENVIRONMENT or (k.startswith("PYTHON") and k != "PYTHONPATH")}
    here = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([here, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])
    return env


def record_from_answer(data: bytes) -> WebRecord:
    """The record an answer carries, or the error it reports raised as the fetcher's own."""
    try:
        answer = json.loads(data)
        if "record" in answer:
            # Checked as a stored record is: the worker read a hostile page, so its answer is
            # not trusted to hold the types the rest of the run relies on.
            problem = record_problem("web", answer["record"])
            if problem is None:
                return WebRecord.from_dict(answer["record"])
            raise ParseFailed(f"internal error: the parser's answer is no record ({problem})")
        if "unavailable" in answer:
            raise PageUnavailable(str(answer["unavailable"]), permanent=bool(answer.get("permanent", True)))
        if "too_complex" in answer:
            raise PageTooComplex(str(answer["too_complex"]))
        reason = str(answer["failed"])
    except (ValueError, KeyError, TypeError) as exc:
        reason = f"internal error: the parser's answer could not be read ({exc})"
    raise ParseFailed(reason)


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.busy_since: float | None = None  # the loop's time when its current page was sent

    async def parse(self, frame: bytes) -> bytes:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.busy_since = asyncio.get_running_loop().time()
        self.process.stdin.write(frame)
        await self.process.stdin.drain()
        head = await self.process.stdout.readexactly(ANSWER_HEAD_SIZE)
        answer = await self.process.stdout.readexactly(answer_size(head))
        self.busy_since = None
        return answer

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        if self.process.returncode is None:
            try:
                self.process.kill()
            except ProcessLookupError:
                pass


class ParsePool:
    """`await pool.parse(job, deadline_at)` gives the page's record; `await pool.close()` when the
    run is over. One worker to begin with (`start()` starts it before the first page comes), one
    more whenever a worker has been on one page for PATIENCE while others wait, up to `size`; a
    worker gets one page at a time, so a page is never written to a worker busy with another."""

    def __init__(self, size: int = MAX_WORKERS, command: Sequence[str] | None = None):
        self.size = max(1, size)
        self.command = list(command or worker_command())
        self._idle: asyncio.Queue[_Worker] | None = None
        self._workers: set[_Worker] = set()
        self._stopped: list[_Worker] = []  # waited for at close, so none outlives the loop
        self._starting = 0
        self._closed = False
        self._background: set[asyncio.Task[None]] = set()  # kept: the loop holds tasks weakly

    def _room(self) -> bool:
        return not self._closed and len(self._workers) + self._starting < self.size

    async def _start_worker(self) -> _Worker:
        self._starting += 1
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                env=worker_environment(),
            )
        finally:
            self._starting -= 1
        worker = _Worker(process)
        self._workers.add(worker)
        return worker

    def start(self) -> None:
        """Starts the first worker in the background, so its start-up overlaps the downloads."""
        if not self._workers and not self._starting:
            self._start_in_background()

    def _start_in_background(self) -> None:
        task = asyncio.get_running_loop().create_task(self._start_idle_worker())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _start_idle_worker(self) -> None:
        if not self._room():
            return
        try:
            worker = await self._start_worker()
        except OSError:
            return  # the next page that needs a worker tries again, and says why it cannot
        if self._closed:
            worker.stop()
            await worker.process.wait()
        else:
            self._idle_workers().put_nowait(worker)

    async def _take(self) -> _Worker:
        idle = self._idle_workers()
        if not idle.empty():
            return idle.get_nowait()  # the common case, without setting up the patience timer
        if not self._workers and not self._starting:
            return await self._start_worker()
        while self._room():
            try:
                async with asyncio.timeout(PATIENCE):
                    return await idle.get()
            except TimeoutError:
                if self._room() and self._one_is_stuck():
                    return await self._start_worker()
        return await idle.get()

    def _one_is_stuck(self) -> bool:
        now = asyncio.get_running_loop().time()
        return any(w.busy_since is not None and now - w.busy_since >= PATIENCE for w in self._workers)

    def _idle_workers(self) -> asyncio.Queue[_Worker]:
        if self._idle is None:
            self._idle = asyncio.Queue()
        return self._idle

    def _retire(self, worker: _Worker) -> None:
        """Stops a worker that may be mid-page; the next page that needs one starts a fresh one."""
        worker.stop()
        self._workers.discard(worker)
        self._stopped.append(worker)
        if self._idle_workers().empty():
            # Somebody may be waiting for a worker that will never come back: start its successor.
            self._start_in_background()

    async def parse(self, job: ParseJob, deadline_at: float) -> WebRecord:
        """The page's record; TimeoutError when the loop's clock reaches `deadline_at` first
        (waiting for a free worker included), ParseFailed when its worker died on it."""
        frame = job_frame(job)
        async with asyncio.timeout_at(deadline_at):
            try:
                worker = await self._take()
            except OSError as exc:
                raise ParseFailed(f"internal error: the parser could not be started ({exc})") from exc
            try:
                answer = await worker.parse(frame)
            except BaseException as exc:
                self._retire(worker)
                if isinstance(exc, (asyncio.IncompleteReadError, ConnectionError)):
                    raise ParseFailed("the parser stopped on this page (it may be too large or malformed)") from exc
                raise
        self._idle_workers().put_nowait(worker)
        return record_from_answer(answer)

    async def close(self) -> None:
        """Stops every worker and waits for them to end."""
        self._closed = True
        background = list(self._background)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        workers, self._workers = [*self._workers, *self._stopped], set()
        for worker in workers:
            worker.stop()
        for worker in workers:
            await worker.process.wait()
