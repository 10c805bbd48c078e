"""The HTTP client's two concurrency limits, requests in flight per origin and in total, the
total one handing a freed connection to the waiting request whose host has the most links left."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class LongestLineFirst:
    """At most `total` holders at once; a freed place goes to the waiter with the most links left
    on its host, so the hosts' lines end together instead of the longest one (in the reference
    digest, WeChat's) running on alone at the end. Equal waiters go in arrival order."""

    def __init__(self, total: int):
        self.free = total
        self.waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self.arrivals = itertools.count()

    async def acquire(self, links_left: int) -> None:
        if self.free > 0:
            self.free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self.waiting, (-links_left, next(self.arrivals), waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted just as it was cancelled: pass the place on
            raise

    def release(self) -> None:
        while self.waiting:
            *_, waiter = heapq.heappop(self.waiting)
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1


class ConnectionLimits:
    """Requests in flight: at most `per_host` to one origin and `total` over all of them. The
    origin's place is taken first, so a request waiting for its host holds no place in the total."""

    def __init__(self, per_host: int, total: int):
        self.per_host = per_host
        self.hosts: dict[str, asyncio.Semaphore] = {}
        self.total = LongestLineFirst(total)

    @asynccontextmanager
    async def place(self, origin: str, links_left: int = 0) -> AsyncIterator[None]:
        host = self.hosts.get(origin)
        if host is None:
            host = self.hosts[origin] = asyncio.Semaphore(self.per_host)
        async with host:
            await self.total.acquire(links_left)
            try:
                yield
            finally:
                self.total.release()
