"""The web stage connects only to the addresses its guard checked (no second DNS answer can
send it elsewhere), over TLS verified against the link's own host name."""

from __future__ import annotations

import ipaddress

import pytest

from pipeline import http
from pipeline.fetchers.base import FetchRequest
from pipeline.fetchers.web import WebFetcher
from pipeline.models import Link
from pipeline.retry import RetryPolicy
from tests.certs import self_signed
from tests.localserver import LocalServer

PAGE = "<html><head><title>Pinned</title></head><body><h1>Pinned</h1></body></html>"


class Resolver:
    """A rebinding resolver: its first answer passes the guard, every later one is private."""

    def __init__(self, first: str):
        self.first, self.calls = first, []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return [self.first] if len(self.calls) == 1 else ["10.0.0.7"]


@pytest.fixture
def loopback_counts_as_public(monkeypatch):
    """The tests' server is on 127.0.0.1; for the guard it stands in for a public address."""
    monkeypatch.setattr(http, "is_public_address", lambda address: address == "127.0.0.1")


def fetch(fetcher: WebFetcher, *urls: str):
    requests = [FetchRequest(Link(key=f"web:{u}", kind="web", url=u, original=u)) for u in urls]
    return {r.key.removeprefix("web:"): r for r in fetcher.fetch(requests)}


def test_connections_go_to_the_checked_address_not_to_a_later_answer(server, loopback_counts_as_public):
    server.route("/a", PAGE)
    server.route("/b", PAGE)
    resolve = Resolver(first="127.0.0.1")
    fetcher = WebFetcher(resolve=resolve, retry=RetryPolicy(attempts=1))
    # "rebind.test" exists in no DNS: the pages can only be reached at the address checked.
    urls = [f"http://rebind.test:{server.port}/a", f"http://rebind.test:{server.port}/b"]
    results = fetch(fetcher, *urls)
    assert all(results[u].ok and results[u].record.title == "Pinned" for u in urls)
    assert resolve.calls == ["rebind.test"]  # resolved and checked once, for the whole run
    assert [r.headers["host"] for r in server.requests] == [f"rebind.test:{server.port}"] * 2


def test_a_private_first_answer_is_refused_before_connecting(server, loopback_counts_as_public):
    server.route("/a", PAGE)
    fetcher = WebFetcher(resolve=Resolver(first="192.168.0.10"), retry=RetryPolicy(attempts=1))
    [result] = fetch(fetcher, f"http://rebind.test:{server.port}/a").values()
    assert result.error == "refused: rebind.test resolves to a private address (use --allow-private-hosts)"
    assert server.requests == []


# --- TLS ----------------------------------------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    server_context, cert_path = self_signed(tmp_path, "secure.test")
    monkeypatch.setenv("SSL_CERT_FILE", cert_path)  # trusted the way an editor would trust it
    srv = LocalServer(tls=server_context).start()
    srv.route("/page", PAGE)
    yield srv
    srv.stop()


def test_https_page_through_a_pinned_connection(tls_server, loopback_counts_as_public):
    fetcher = WebFetcher(resolve=Resolver(first="127.0.0.1"), retry=RetryPolicy(attempts=1))
    url = f"https://secure.test:{tls_server.port}/page"
    [result] = fetch(fetcher, url).values()
    assert result.ok and result.record.title == "Pinned" and result.record.url == url
    assert len(tls_server.requests) == 1


def test_certificate_for_another_host_is_refused(tls_server, loopback_counts_as_public):
    fetcher = WebFetcher(resolve=Resolver(first="127.0.0.1"), retry=RetryPolicy(attempts=1))
    [result] = fetch(fetcher, f"https://impostor.test:{tls_server.port}/page").values()
    assert result.error == "TLS certificate not trusted: Hostname mismatch, certificate is not valid for 'impostor.test'."
    assert tls_server.requests == []


def test_an_address_literal_needs_no_resolver(server, loopback_counts_as_public):
    async def no_dns(host, port):
        raise AssertionError("an address literal is not resolved")

    server.route("/a", PAGE)
    fetcher = WebFetcher(resolve=no_dns, retry=RetryPolicy(attempts=1))
    [result] = fetch(fetcher, server.url("/a")).values()
    assert result.ok and ipaddress.ip_address(server.requests[0].headers["host"].split(":")[0])


# --- proxies ------------------------------------------------------------------------------------


@pytest.fixture
def proxy_env(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


async def public(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]


def test_the_environment_proxy_carries_the_request(server, proxy_env):
    server.route("/page", PAGE)  # the local server plays the forward proxy
    proxy_env.setenv("HTTP_PROXY", server.url("/"))
    fetcher = WebFetcher(resolve=public, retry=RetryPolicy(attempts=1))
    [result] = fetch(fetcher, "http://news.example/page").values()
    assert result.ok and result.record.title == "Pinned"
    assert server.requests[0].headers["host"] == "news.example"


def test_no_proxy_exempts_a_host(server, proxy_env):
    server.route("/page", PAGE)
    proxy_env.setenv("HTTP_PROXY", server.url("/"))
    proxy_env.setenv("NO_PROXY", "news.example")
    fetcher = WebFetcher(resolve=public, retry=RetryPolicy(attempts=1), limits=http.HttpLimits(connect_timeout=0.5, deadline=1.0))
    [result] = fetch(fetcher, "http://news.example/page").values()
    assert not result.ok and server.requests == []  # went (or tried to go) to 93.184.216.34 directly


def test_a_fast_server_cannot_fill_memory_while_a_page_is_parsed():
    from pipeline import netbackend

    class Transport:
        paused = False

        def pause_reading(self):
            self.paused = True

        def resume_reading(self):
            self.paused = False

    transport, protocol = Transport(), netbackend._Protocol()
    protocol.connection_made(transport)
    chunk = b"x" * 65536
    while not transport.paused:
        protocol.data_received(chunk)
    assert len(protocol.buffer) <= netbackend.READ_PAUSE_AT + len(chunk)
    while len(protocol.buffer) >= netbackend.READ_RESUME_AT:
        assert transport.paused
        protocol.take(65536)
    assert not transport.paused  # read again once the reader caught up
