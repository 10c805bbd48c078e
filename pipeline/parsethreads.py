"""Worker threads that parse pages off the event loop within each link's deadline: a parse still
running at its deadline is abandoned to its thread and a fresh worker takes that thread's place."""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

A = TypeVar("A")
T = TypeVar("T")


@dataclass
class _Job(Generic[A, T]):
    work: Callable[[A], T]
    argument: A
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future[T]
    started: threading.Event = field(default_factory=threading.Event)


def _settle(done: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if done.done():  # its deadline came first
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)


class ParseThreads:
    """`await threads.run(parse, page, deadline_at)`; `close()` when the run is over.

    A thread cannot be stopped, so the pages are bounded before they get here (pagebounds.py);
    this is for what those bounds do not foresee. The threads are daemons, so the process never
    waits at its end for an abandoned parse, and an abandoned parse costs the other pages nothing
    but a share of the CPU. (The HTML parser lets go of the GIL while it works.)"""

    def __init__(self, workers: int | None = None):
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads = 0
        # As many as asyncio's default executor would use.
        for _ in range(workers or min(32, (os.cpu_count() or 1) + 4)):
            self._add_worker()

    def _add_worker(self) -> None:
        self._threads += 1
        threading.Thread(target=self._work, name=f"enrich-parse-{self._threads}", daemon=True).start()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            if job.done.done():
                continue  # its deadline passed while it waited in line
            job.started.set()
            try:
                outcome: tuple[Any, BaseException | None] = (job.work(job.argument), None)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting link, whatever it is
                outcome = (None, exc)
            try:
                job.loop.call_soon_threadsafe(_settle, job.done, *outcome)
            except RuntimeError:
                pass  # the run's loop is closed: nobody waits for this page any more

    async def run(self, work: Callable[[A], T], argument: A, deadline_at: float) -> T:
        """`work(argument)` on a worker thread; TimeoutError when the loop's clock reaches
        `deadline_at` first (the work then goes on, unwatched, in its thread)."""
        loop = asyncio.get_running_loop()
        job = _Job(work, argument, loop, loop.create_future())
        self._jobs.put(job)
        try:
            async with asyncio.timeout_at(deadline_at):
                return await job.done
        except TimeoutError:
            if job.started.is_set():
                self._add_worker()  # that thread is taken until the parse ends, if ever
            raise

    def close(self) -> None:
        """Lets every worker end once it is free (an abandoned one, when its parse ends)."""
        for _ in range(self._threads):
            self._jobs.put(None)
