"""The web stage against a misbehaving local server: every fault ends as ok or as a failure with
a precise reason, quickly, and each test fails if the protection it checks is removed."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import time

import httpx
import pytest

from pipeline import HOMEPAGE, __version__
from pipeline.fetchers.base import FetchRequest
from pipeline.fetchers.web import WebFetcher
from pipeline.http import AddressGuard, HttpLimits, is_public_address
from pipeline.models import Cached, Link
from pipeline.retry import RetryPolicy
from tests.localserver import Reply, hang, reset, streamed
from tests.parseworkers import misbehaving_worker

PAGE = b"<html><head><title>Hello page</title></head><body><p>hi</p></body></html>"
MB = 1024 * 1024


class FakeSleep:
    """Records back-off delays instead of sleeping them."""

    def __init__(self):
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def link(url: str) -> Link:
    return Link(key=f"web:{url}", kind="web", url=url, original=url)


def make_fetcher(server, sleep: FakeSleep | None = None, **limits) -> WebFetcher:
    options = {"connect_timeout": 1.0, "read_timeout": 1.0, "deadline": 1.5, **limits}
    return WebFetcher(
        allowed_origins={("127.0.0.1", server.port)},
        limits=HttpLimits(**options),
        retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=10, async_sleep=sleep or FakeSleep()),
    )


def fetch_one(server, path: str, *, cached: Cached | None = None, fetcher: WebFetcher | None = None, **kw):
    fetcher = fetcher or make_fetcher(server, **kw)
    url = path if path.startswith("http") else server.url(path)
    [result] = list(fetcher.fetch([FetchRequest(link(url), cached)]))
    return result


# --- ordinary pages -------------------------------------------------------------------------


def test_html_page_is_extracted_with_an_honest_user_agent(server):
    server.route("/a", Reply(body=PAGE, headers={"ETag": '"v1"', "Last-Modified": "Mon, 02 Nov 2026 10:00:00 GMT"}))
    result = fetch_one(server, "/a")
    assert result.ok and result.record.title == "Hello page"
    assert result.record.url == server.url("/a")
    assert (result.etag, result.last_modified) == ('"v1"', "Mon, 02 Nov 2026 10:00:00 GMT")
    agent = server.hits("/a")[0].headers["user-agent"]
    assert agent == f"Mozilla/5.0 (compatible; enrich/{__version__}; +{HOMEPAGE})"


def test_conditional_request_answered_304_is_not_modified(server):
    def handler(req):
        if req.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(body=PAGE)

    server.route("/c", handler)
    cached = Cached(
        key="web:x", kind="web", fetched_at=0, record={"title": "old"}, etag='"v1"', last_modified="Mon, 02 Nov 2026 10:00:00 GMT"
    )
    result = fetch_one(server, "/c", cached=cached)
    assert result.ok and result.not_modified and result.record is None and result.etag == '"v1"'
    assert server.hits("/c")[0].headers["if-modified-since"] == "Mon, 02 Nov 2026 10:00:00 GMT"


def test_malformed_html_and_binary_served_as_html_do_not_crash(server):
    server.route("/broken", Reply(body=b"<html><head><title>Half <b>open</title><body><div><p>unclosed<table><tr>"))
    server.route("/binary", Reply(body=bytes(range(256)) * 64, headers={"Content-Type": "text/html"}))
    fetcher = make_fetcher(server)
    results = {r.key: r for r in fetcher.fetch([FetchRequest(link(server.url(p))) for p in ("/broken", "/binary")])}
    assert all(r.ok for r in results.values()), results
    assert "Half" in results[f"web:{server.url('/broken')}"].record.title


def test_pdf_gets_a_record_from_its_headers_without_downloading_it(server):
    sent: list[int] = []
    size = 40 * MB
    headers = {
        "Content-Type": "application/pdf",
        "Content-Length": str(size),
        "Content-Disposition": 'attachment; filename="tiny-ml.pdf"',
    }
    server.route("/paper", Reply(raw=streamed(lambda: (b"%PDF" + b"\0" * (MB - 4) for _ in range(40)), headers, sent)))
    result = fetch_one(server, "/paper")
    assert result.ok
    assert (result.record.title, result.record.content_type) == ("tiny-ml.pdf", "application/pdf")
    assert result.record.note == "PDF document, not parsed"
    _wait_for(lambda: sent)
    assert sent[0] < size  # the client hung up long before the end


def test_image_title_comes_from_the_url(server):
    server.route("/img/chip%20photo.png", Reply(body=b"\x89PNG\r\n", headers={"Content-Type": "image/png"}))
    server.routes["/img/chip photo.png"] = server.routes["/img/chip%20photo.png"]
    result = fetch_one(server, "/img/chip%20photo.png")
    assert result.ok and result.record.title == "chip photo.png" and result.record.note == "PNG image, not parsed"


# --- retries ---------------------------------------------------------------------------------


def test_500_then_success_is_retried(server):
    server.sequence("/flaky", Reply(500, b"oops"), Reply(body=PAGE))
    sleep = FakeSleep()
    result = fetch_one(server, "/flaky", sleep=sleep)
    assert result.ok and result.record.title == "Hello page"
    assert len(server.hits("/flaky")) == 2 and len(sleep.delays) == 1


def test_503_forever_fails_transiently_after_bounded_attempts(server):
    server.route("/down", Reply(503, b"busy"))
    result = fetch_one(server, "/down")
    assert (result.ok, result.error, result.permanent) == (False, "HTTP 503", False)
    assert len(server.hits("/down")) == 3


def test_429_honours_retry_after(server):
    server.sequence("/limited", Reply(429, b"slow down", {"Retry-After": "7"}), Reply(body=PAGE))
    sleep = FakeSleep()
    result = fetch_one(server, "/limited", sleep=sleep)
    assert result.ok
    assert sleep.delays == [7.0]  # not the 0.01 s back-off


def test_429_forever_says_rate_limited(server):
    server.route("/limited", Reply(429, b"slow down", {"Retry-After": "1"}))
    result = fetch_one(server, "/limited")
    assert (result.error, result.permanent) == ("HTTP 429 (rate limited)", False)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (404, "HTTP 404"),
        (410, "HTTP 410 (gone)"),
        (451, "HTTP 451 (unavailable for legal reasons)"),
        (403, "HTTP 403 (access denied)"),
    ],
)
def test_permanent_statuses_are_not_retried(server, status, reason):
    server.route("/gone", Reply(status, b"no"))
    result = fetch_one(server, "/gone")
    assert (result.error, result.permanent) == (reason, True)
    assert len(server.hits("/gone")) == 1


# --- broken connections ----------------------------------------------------------------------


def test_connection_reset(server):
    server.route("/reset", Reply(raw=reset()))
    result = fetch_one(server, "/reset")
    assert (result.error, result.permanent) == ("connection reset", False)
    assert len(server.hits("/reset")) == 3  # transient: retried


def test_connection_refused():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fetcher = WebFetcher(allowed_origins={("127.0.0.1", port)}, retry=RetryPolicy(attempts=2, async_sleep=FakeSleep()))
    [result] = fetcher.fetch([FetchRequest(link(f"http://127.0.0.1:{port}/"))])
    assert result.error == "could not connect (connection refused)"
    assert fetcher.requests_made == 2


def test_hang_without_bytes_hits_the_read_timeout(server):
    server.route("/hang", Reply(raw=hang(3)))
    result = fetch_one(
        server,
        "/hang",
        read_timeout=0.2,
        deadline=1.5,
    )
    assert result.error == "timed out after 0.2 s (no data)"


def test_hang_is_cut_by_the_link_deadline(server):
    server.route("/hang", Reply(raw=hang(3)))
    result = fetch_one(server, "/hang", read_timeout=5, deadline=0.5)
    assert (result.error, result.permanent) == ("timed out after 0.5 s", False)


def test_trickle_of_one_byte_a_second_is_cut_by_the_deadline(server):
    body = b"<p>x"  # four seconds' worth: without the deadline the fetch would succeed
    headers = {"Content-Type": "text/html", "Content-Length": str(len(body))}
    server.route("/trickle", Reply(raw=streamed(lambda: (bytes([b]) for b in body), headers, interval=1.0)))
    # Each byte arrives well within the read timeout: only the deadline can stop this.
    result = fetch_one(server, "/trickle", read_timeout=5, deadline=0.5)
    assert result.error == "timed out after 0.5 s"


def test_truncated_body_is_an_invalid_response(server):
    headers = {"Content-Type": "text/html", "Content-Length": "5000"}
    server.route("/short", Reply(raw=streamed(lambda: iter([PAGE]), headers)))
    result = fetch_one(server, "/short")
    assert result.error == "invalid response: the body ended early (connection closed)"
    assert not result.permanent


# --- size caps ---------------------------------------------------------------------------------


def test_50_mb_body_is_cut_at_5_mb_and_still_parsed(server):
    sent: list[int] = []
    size = 50 * MB
    head = b"<html><head><title>Huge</title></head><body>"

    def chunks():
        yield head
        for _ in range(size // (64 * 1024)):
            yield b"a" * (64 * 1024)

    headers = {"Content-Type": "text/html", "Content-Length": str(len(head) + size // (64 * 1024) * 64 * 1024)}
    server.route("/huge", Reply(raw=streamed(chunks, headers, sent)))
    result = fetch_one(server, "/huge")
    assert result.ok and result.record.title == "Huge"
    assert result.record.note == "page larger than 5 MB; only its first 5 MB were read"
    _wait_for(lambda: sent)
    assert sent[0] < size


GZIP_BOMB = gzip.compress(b"<html><head><title>Bomb</title></head><body>" + b"\0" * (32 * MB), 9)


def test_gzip_bomb_is_cut_while_decompressing(server):
    assert len(GZIP_BOMB) < MB  # small on the wire, 32 MB inflated
    server.route("/bomb", Reply(body=GZIP_BOMB, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}))
    result = fetch_one(server, "/bomb")
    assert result.ok and result.record.title == "Bomb"
    assert result.record.note == "page larger than 5 MB; only its first 5 MB were read"


def test_small_gzip_page_is_decoded(server):
    server.route("/gz", Reply(body=gzip.compress(PAGE), headers={"Content-Encoding": "gzip"}))
    result = fetch_one(server, "/gz")
    assert result.ok and result.record.title == "Hello page" and result.record.note is None


# --- redirects and the address guard -----------------------------------------------------------


def test_redirect_is_followed_and_the_record_has_the_final_url(server):
    server.route("/old", Reply(301, headers={"Location": "/new"}))
    server.route("/new", Reply(body=PAGE))
    result = fetch_one(server, "/old")
    assert result.ok and result.record.url == server.url("/new")


def test_redirect_loop(server):
    server.route("/loop/a", Reply(302, headers={"Location": "/loop/b"}))
    server.route("/loop/b", Reply(302, headers={"Location": "/loop/a"}))
    result = fetch_one(server, "/loop/a")
    assert result.error == "redirect loop"
    assert len(server.requests) == 2


def test_chain_of_30_redirects_stops_after_10(server):
    for n in range(30):
        server.route(f"/chain/{n}", Reply(302, headers={"Location": f"/chain/{n + 1}"}))
    server.route("/chain/30", Reply(body=PAGE))
    result = fetch_one(server, "/chain/0")
    assert result.error == "too many redirects (more than 10)"
    assert len(server.requests) == 11  # the first request and 10 redirects followed


@pytest.mark.parametrize("host", ["127.0.0.2", "localhost"])
def test_redirect_to_another_loopback_address_is_refused(server, host):
    server.route("/out", Reply(302, headers={"Location": f"http://{host}:{server.port}/inside"}))
    server.route("/inside", Reply(body=PAGE))
    result = fetch_one(server, "/out")
    assert result.error == f"refused: {host} resolves to a private address (use --allow-private-hosts)"
    assert not result.permanent  # rerunning with the flag must not meet a cached failure
    assert server.hits("/inside") == []


def test_private_host_is_refused_without_any_request(server):
    server.route("/a", Reply(body=PAGE))
    fetcher = WebFetcher(retry=RetryPolicy(async_sleep=FakeSleep()))  # no allow-list
    result = fetch_one(server, "/a", fetcher=fetcher)
    assert result.error.startswith("refused: 127.0.0.1 resolves to a private address")
    assert server.requests == [] and fetcher.requests_made == 0


def test_allow_private_hosts_lets_redirects_reach_localhost(server):
    server.route("/out", Reply(302, headers={"Location": f"http://localhost:{server.port}/inside"}))
    server.route("/inside", Reply(body=PAGE))
    fetcher = WebFetcher(allow_private_hosts=True, retry=RetryPolicy(async_sleep=FakeSleep()))
    result = fetch_one(server, "/out", fetcher=fetcher)
    assert result.ok and result.record.url == f"http://localhost:{server.port}/inside"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::127.0.0.1", False),
        ("2002:7f00:1::", False),
        ("::ffff:8.8.8.8", True),
    ],
)
def test_address_classification(address, public):
    assert is_public_address(address) is public


def test_guard_checks_every_resolved_address():
    async def resolve(host, port):
        return ["93.184.216.34", "10.0.0.5"]  # one public, one private: refuse

    guard = AddressGuard(resolve=resolve)
    with pytest.raises(Exception, match="refused: example.org resolves to a private address"):
        asyncio.run(guard.check(httpx.URL("https://example.org/")))


def test_unresolvable_host_says_so():
    async def resolve(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    fetcher = WebFetcher(resolve=resolve, retry=RetryPolicy(attempts=2, async_sleep=FakeSleep()))
    [result] = fetcher.fetch([FetchRequest(link("https://no-such-host.example/"))])
    assert (result.error, result.permanent) == ("could not resolve host", False)
    assert fetcher.requests_made == 0


def test_garbage_instead_of_http_is_an_invalid_response(server):
    def garbage(handler):
        handler.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        handler.close_connection = True

    server.route("/ssh", Reply(raw=garbage))
    result = fetch_one(server, "/ssh")
    assert result.error.startswith("invalid response: not a well-formed HTTP answer")


def test_injected_transport_runs_without_any_network():
    """The benchmark's path: a fake transport and resolver, no socket opened."""
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/short":
            return httpx.Response(302, headers={"Location": "https://blog.example.com/post"})
        return httpx.Response(200, content=PAGE, headers={"Content-Type": "text/html"})

    async def resolve(host, port):
        return ["93.184.216.34"]

    fetcher = WebFetcher(transport=httpx.MockTransport(answer), resolve=resolve, retry=RetryPolicy(async_sleep=FakeSleep()))
    [result] = fetcher.fetch([FetchRequest(link("https://sho.rt/short"))])
    assert result.ok and result.record.url == "https://blog.example.com/post"
    assert seen == ["https://sho.rt/short", "https://blog.example.com/post"] and fetcher.requests_made == 2


# --- concurrency -------------------------------------------------------------------------------


def test_results_are_yielded_as_soon_as_each_completes(server):
    release = threading.Event()

    def slow(_req):
        release.wait(2)
        return Reply(body=PAGE)

    server.route("/slow", slow)
    server.route("/fast", Reply(body=PAGE))
    fetcher = make_fetcher(server, deadline=5)
    results = fetcher.fetch([FetchRequest(link(server.url("/slow"))), FetchRequest(link(server.url("/fast")))])
    first = next(results)
    was_released = release.is_set()
    release.set()
    second = next(results)
    assert not was_released
    assert [first.key, second.key] == [f"web:{server.url('/fast')}", f"web:{server.url('/slow')}"]
    assert fetcher.requests_made == 2


def test_per_host_limit_bounds_requests_in_flight(server):
    lock = threading.Lock()
    state = {"now": 0, "most": 0}
    gate = threading.Barrier(2, timeout=0.3)  # lets 2 overlap for sure; a third would break it

    def counted(_req):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        try:
            gate.wait()
        except threading.BrokenBarrierError:
            pass
        time.sleep(0.02)
        with lock:
            state["now"] -= 1
        return Reply(body=PAGE)

    for n in range(8):
        server.route(f"/p{n}", counted)
    fetcher = make_fetcher(server, per_host=2, deadline=5)
    results = list(fetcher.fetch([FetchRequest(link(server.url(f"/p{n}"))) for n in range(8)]))
    assert all(r.ok for r in results) and len(results) == 8
    assert state["most"] == 2


def test_one_crashing_extraction_does_not_stop_the_others(server, tmp_path):
    server.route("/bad", Reply(body=PAGE))
    server.route("/crash", Reply(body=PAGE))
    server.route("/good", Reply(body=PAGE))
    fetcher = make_fetcher(server)
    fetcher.parse_command = misbehaving_worker(tmp_path)
    results = {
        r.key.rsplit("/", 1)[-1]: r
        for r in fetcher.fetch([FetchRequest(link(server.url(f"/{n}"))) for n in ("bad", "crash", "good")])
    }
    assert results["good"].ok
    assert results["bad"].error == "internal error: ValueError: boom"
    assert results["crash"].error == "the parser stopped on this page (it may be too large or malformed)"
    assert not results["crash"].permanent


def _wait_for(condition, seconds: float = 2.0) -> None:
    """The server thread records what it sent just after the client hangs up."""
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        time.sleep(0.01)


def test_a_cookie_set_on_a_redirect_is_sent_to_its_target(server):
    """Sites that set a session cookie and redirect (consent and login gates) see it come back."""
    server.route("/gate", Reply(302, headers={"Location": "/article", "Set-Cookie": "session=abc; Path=/"}))
    server.route(
        "/article", lambda req: Reply(body=PAGE) if "session=abc" in req.headers.get("cookie", "") else Reply(403, b"no session")
    )
    result = fetch_one(server, "/gate")
    assert result.ok and result.record.url == server.url("/article")
    assert "cookie" not in server.requests[0].headers  # nothing is sent before a site sets it


def test_a_page_that_sets_a_cookie_and_reloads_itself_is_not_a_loop(server):
    server.route(
        "/consent",
        lambda req: (
            Reply(body=PAGE)
            if "consent=yes" in req.headers.get("cookie", "")
            else Reply(302, headers={"Location": "/consent", "Set-Cookie": "consent=yes; Path=/"})
        ),
    )
    result = fetch_one(server, "/consent")
    assert result.ok and len(server.requests) == 2


def test_a_freed_connection_goes_to_the_host_with_the_most_links_left():
    from pipeline.limits import LongestLineFirst

    async def scenario() -> list[str]:
        connections = LongestLineFirst(total=1)
        await connections.acquire(1)  # in use
        order: list[str] = []

        async def wait(name: str, links_left: int) -> None:
            await connections.acquire(links_left)
            order.append(name)
            connections.release()

        waiting = [asyncio.create_task(wait(n, left)) for n, left in (("small", 2), ("wechat", 40), ("blog", 5))]
        await asyncio.sleep(0)
        cancelled = asyncio.create_task(wait("gone", 99))
        await asyncio.sleep(0)
        cancelled.cancel()  # a waiter cancelled before its turn takes nothing
        connections.release()
        await asyncio.gather(*waiting)
        await connections.acquire(1)  # and every connection came back
        return order

    assert asyncio.run(scenario()) == ["wechat", "blog", "small"]
