"""The web stage's plumbing on public interfaces: httpcore's failures mapped to httpx's, the two
concurrency limits, a page parsed only once its connection's next request is written, and a run
stopped early that ends at once."""

from __future__ import annotations

import asyncio
import threading
import time

import httpcore
import httpx
import pytest

from pipeline import http
from pipeline.fetchers.base import FetchRequest
from pipeline.fetchers.web import WebFetcher
from pipeline.http import HttpLimits
from pipeline.limits import ConnectionLimits
from pipeline.models import Link
from pipeline.retry import RetryPolicy
from pipeline.transport import httpx_errors
from tests.localserver import Reply
from tests.parseworkers import misbehaving_worker, parses

PAGE = b"<html><head><title>Plumbing</title></head><body><p>hi</p></body></html>"


def link(url: str) -> Link:
    return Link(key=f"web:{url}", kind="web", url=url, original=url)


def fetcher_for(server, **limits) -> WebFetcher:
    return WebFetcher(
        allowed_origins={("127.0.0.1", server.port)},
        limits=HttpLimits(**{"connect_timeout": 1.0, "read_timeout": 1.0, "deadline": 3.0, **limits}),
        retry=RetryPolicy(attempts=1),
    )


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpcore.ConnectTimeout, httpx.ConnectTimeout),
        (httpcore.ReadTimeout, httpx.ReadTimeout),
        (httpcore.WriteTimeout, httpx.WriteTimeout),
        (httpcore.PoolTimeout, httpx.PoolTimeout),
        (httpcore.ConnectError, httpx.ConnectError),
        (httpcore.ReadError, httpx.ReadError),
        (httpcore.WriteError, httpx.WriteError),
        (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
        (httpcore.LocalProtocolError, httpx.LocalProtocolError),
        (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
        (httpcore.ProxyError, httpx.ProxyError),
    ],
)
def test_httpcore_failures_become_the_matching_httpx_ones(raised, expected):
    with pytest.raises(httpx.TransportError) as caught, httpx_errors():
        raise raised("what happened")
    assert type(caught.value) is expected
    assert str(caught.value) == "what happened" and isinstance(caught.value.__cause__, raised)


def test_other_failures_pass_unchanged():
    with pytest.raises(KeyError), httpx_errors():
        raise KeyError("not a network failure")


def test_requests_in_flight_stay_within_both_limits():
    async def scenario() -> tuple[int, dict[str, int]]:
        limits = ConnectionLimits(per_host=2, total=3)
        now: dict[str, int] = {}
        most = {"total": 0}
        most_per_host: dict[str, int] = {}

        async def request(origin: str) -> None:
            async with limits.place(origin):
                now[origin] = now.get(origin, 0) + 1
                most["total"] = max(most["total"], sum(now.values()))
                most_per_host[origin] = max(most_per_host.get(origin, 0), now[origin])
                await asyncio.sleep(0.001)
                now[origin] -= 1

        await asyncio.gather(*(request(f"http://host{n % 2}") for n in range(30)))
        return most["total"], most_per_host

    total, per_host = asyncio.run(scenario())
    assert total == 3 and max(per_host.values()) == 2


def test_a_page_is_parsed_only_after_its_connections_next_request_is_written(server, monkeypatch, tmp_path):
    sent: list[float] = []
    real_hook = http._calling_when_sent

    def noting_hook(on_sent):
        hook = real_hook(on_sent)

        async def trace(event, info):
            if event.endswith("send_request_body.complete"):
                sent.append(time.monotonic())  # one connection: in order
            await hook(event, info)

        return trace

    monkeypatch.setattr(http, "_calling_when_sent", noting_hook)
    for name in ("a", "b", "c"):
        server.route(f"/{name}", Reply(body=PAGE))
    fetcher = fetcher_for(server, per_host=1)
    fetcher.parse_command = misbehaving_worker(tmp_path)
    results = list(fetcher.fetch([FetchRequest(link(server.url(f"/{n}"))) for n in "abc"]))
    assert [r.error for r in results] == [None] * 3
    parsed = {name: when for when, _pid, name in parses(tmp_path)}
    assert len(sent) == 3 and set(parsed) == {"a", "b", "c"}
    assert sent[1] < parsed["a"]  # /b was on the wire before /a's parse began
    assert sent[2] < parsed["b"]  # the last page waits for nothing


def test_stopping_early_cancels_what_is_in_flight(server):
    release = threading.Event()

    def slow(_req):
        release.wait(5)
        return Reply(body=PAGE)

    server.route("/slow", slow)
    server.route("/fast", Reply(body=PAGE))
    results = fetcher_for(server, deadline=10).fetch(
        [FetchRequest(link(server.url("/slow"))), FetchRequest(link(server.url("/fast")))]
    )
    try:
        first = next(results)
        started = time.monotonic()
        results.close()  # the caller stops: Ctrl-C, an error downstream
        took = time.monotonic() - started
    finally:
        release.set()
    assert first.key == f"web:{server.url('/fast')}" and first.ok
    assert took < 2  # not the /slow link's 5 s
