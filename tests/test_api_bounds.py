"""The API stages within bounds: a hanging API costs a few timeouts for the whole stage (the stage
breaker), and the arXiv and GitHub stages trust what SSL_CERT_FILE names, as the web stage does,
reporting a refused certificate as such, without retrying it."""

from __future__ import annotations

import io
import ssl
import time

import certifi
import pytest

from pipeline.breaker import TIMEOUTS_IN_A_ROW, StageBreaker
from pipeline.fetchers.arxiv import ArxivFetcher
from pipeline.fetchers.base import FetchRequest, guarded
from pipeline.fetchers.github import GithubFetcher
from pipeline.models import Link
from pipeline.retry import FetchError, RetryPolicy, TimedOut, TransientError
from pipeline.trust import certificate_reason
from tests.certs import self_signed
from tests.fakes import API_PATH, ATOM, NOW, FakeArxiv, FakeClock, ok, repo_json, simple_paper
from tests.localserver import LocalServer, Reply, hang, streamed


def arxiv_link(paper_id: str) -> FetchRequest:
    url = f"https://arxiv.org/abs/{paper_id}"
    return FetchRequest(Link(key=f"arxiv:{paper_id}", kind="arxiv", url=url, original=url))


def github_link(full_name: str) -> FetchRequest:
    url = f"https://github.com/{full_name}"
    return FetchRequest(Link(key=f"github:{full_name}", kind="github", url=url, original=url))


def arxiv_fetcher(api_url: str, clock: FakeClock, timeout: float = 5.0, **kwargs) -> ArxivFetcher:
    retry = RetryPolicy(
        attempts=4, base_delay=3.0, max_delay=60.0, deadline=180.0, sleep=clock.sleep, clock=clock, jitter=lambda: 0.0
    )
    return ArxivFetcher(api_url, timeout=(timeout, timeout), clock=clock, sleep=clock.sleep, retry=retry, **kwargs)


def github_fetcher(base_url: str, sleeps: list[float], timeout: float = 5) -> GithubFetcher:
    retry = RetryPolicy(attempts=3, base_delay=1, max_delay=120, deadline=300, sleep=sleeps.append, jitter=lambda: 1.0)
    return GithubFetcher(base_url, None, timeout=timeout, seconds_between_requests=0, clock=lambda: NOW, retry_policy=retry)


# -- the breaker on its own ------------------------------------------------------------------------


def test_the_breaker_opens_after_timeouts_in_a_row_only():
    breaker = StageBreaker("Some")
    calls = []

    def times_out():
        calls.append(1)
        raise TimedOut("timed out after 1 s")

    def answers_badly():
        calls.append(1)
        raise TransientError("HTTP 503")

    for _ in range(TIMEOUTS_IN_A_ROW - 1):
        with pytest.raises(TimedOut):
            breaker.call(times_out)
    with pytest.raises(TransientError):
        breaker.call(answers_badly)  # an answer: the count starts again
    for _ in range(TIMEOUTS_IN_A_ROW - 1):
        with pytest.raises(TimedOut):
            breaker.call(times_out)
    assert not breaker.is_open
    with pytest.raises(FetchError) as opened:
        breaker.call(times_out)
    assert opened.value.reason == f"Some API not answering ({TIMEOUTS_IN_A_ROW} requests in a row timed out)"
    assert not isinstance(opened.value, TransientError)  # so no retry policy tries again
    made = len(calls)
    with pytest.raises(FetchError, match="^Some API not answering$"):
        breaker.call(times_out)
    assert len(calls) == made  # open: nothing goes out


# -- a hanging API costs the breaker's bound, however many links ---------------------------------

LINKS = 12
TIMEOUT = 1.0  # PyGithub takes whole seconds


def test_a_hanging_arxiv_api_costs_a_few_timeouts_for_any_number_of_links(server):
    server.route(API_PATH, Reply(raw=hang(10)))
    clock = FakeClock()
    fetcher = arxiv_fetcher(server.url(API_PATH), clock, timeout=TIMEOUT / 2, batch_size=1)  # a request per link
    started = time.monotonic()
    results = list(guarded(fetcher, [arxiv_link(f"2104.{14100 + n}") for n in range(LINKS)]))
    elapsed = time.monotonic() - started
    assert len(results) == LINKS
    assert all(r.error.startswith("arXiv API not answering") and not r.permanent for r in results)
    assert len(server.hits(API_PATH)) == TIMEOUTS_IN_A_ROW
    assert elapsed < TIMEOUTS_IN_A_ROW * TIMEOUT / 2 + 2  # without the breaker: 4 tries x 12 links


def test_a_hanging_github_api_costs_a_few_timeouts_for_any_number_of_links(server):
    names = [f"owner/repo{n}" for n in range(LINKS)]
    for name in names:
        server.route(f"/repos/{name}", Reply(raw=hang(10)))
    sleeps: list[float] = []
    fetcher = github_fetcher(server.url(""), sleeps, timeout=TIMEOUT)
    started = time.monotonic()
    results = list(guarded(fetcher, [github_link(name) for name in names]))
    elapsed = time.monotonic() - started
    assert len(results) == LINKS
    assert all(r.error.startswith("GitHub API not answering") and not r.permanent for r in results)
    assert len(server.requests) == TIMEOUTS_IN_A_ROW
    assert elapsed < TIMEOUTS_IN_A_ROW * TIMEOUT + 2  # without the breaker: 3 tries x 12 links


def silent_after_the_headers() -> Reply:
    return Reply(raw=streamed(lambda: iter([b"{}"]), {"Content-Type": "application/json", "Content-Length": "100"}, interval=10))


def test_a_github_api_that_stops_after_the_headers_counts_as_not_answering(server):
    # requests reports it as a connection error wrapping a read timeout: still a timeout.
    names = [f"owner/repo{n}" for n in range(LINKS)]
    for name in names:
        server.route(f"/repos/{name}", silent_after_the_headers())
    github = github_fetcher(server.url(""), [], timeout=TIMEOUT)
    repos = list(guarded(github, [github_link(name) for name in names]))
    assert all(r.error.startswith("GitHub API not answering") for r in repos)
    assert len(server.requests) == TIMEOUTS_IN_A_ROW


def test_an_arxiv_answer_that_keeps_trickling_in_is_cut_at_the_total_timeout(server):
    # Each byte comes well within the read timeout; the whole answer never would.
    server.route(API_PATH, Reply(raw=streamed(lambda: iter([b"<"] * 1000), ATOM, interval=0.05)))
    clock = FakeClock()
    fetcher = arxiv_fetcher(server.url(API_PATH), clock, timeout=1.0, total_timeout=0.4)
    started = time.monotonic()
    [result] = list(guarded(fetcher, [arxiv_link("2104.14129")]))
    elapsed = time.monotonic() - started
    assert result.error.startswith("arXiv API not answering")  # three trickles in a row: timeouts
    assert len(server.hits(API_PATH)) == TIMEOUTS_IN_A_ROW
    assert elapsed < TIMEOUTS_IN_A_ROW * 0.4 + 2  # unbounded, each would take 50 s


def test_an_api_that_answers_again_resets_the_count(server):
    clock = FakeClock()
    api = FakeArxiv(clock)
    api.add(simple_paper("2104.14129"))
    # Two timeouts, then answers: the breaker must not add them up with later ones.
    hits = []

    def flaky(req):
        hits.append(req)
        return Reply(raw=hang(10)) if len(hits) <= TIMEOUTS_IN_A_ROW - 1 else api(req)

    server.route(API_PATH, flaky)
    fetcher = arxiv_fetcher(server.url(API_PATH), clock, timeout=TIMEOUT / 2)
    [result] = list(guarded(fetcher, [arxiv_link("2104.14129")]))
    assert result.ok and result.record.title == "Paper 2104.14129"
    assert fetcher.breaker.timeouts_in_a_row == 0


# -- one trust store --------------------------------------------------------------------------------


@pytest.fixture
def tls_api(tmp_path):
    """An HTTPS server speaking both APIs, and the path of its certificate."""
    context, cert_path = self_signed(tmp_path / "server", "127.0.0.1")
    srv = LocalServer(tls=context).start()
    api = FakeArxiv(FakeClock())
    api.add(simple_paper("2104.14129", "A paper over TLS"))
    srv.route(API_PATH, api)
    srv.route("/repos/owner/tls", ok(repo_json("owner/tls")))
    srv.route("/repos/owner/tls/releases/latest", Reply(404, '{"message": "Not Found"}'))
    yield srv, cert_path
    srv.stop()


def test_the_api_stages_trust_the_certificate_ssl_cert_file_names(tls_api, monkeypatch):
    srv, cert_path = tls_api
    monkeypatch.setenv("SSL_CERT_FILE", cert_path)
    clock = FakeClock()
    [paper] = list(guarded(arxiv_fetcher(srv.url(API_PATH), clock), [arxiv_link("2104.14129")]))
    assert paper.ok and paper.record.title == "A paper over TLS"
    [repo] = list(guarded(github_fetcher(srv.url(""), []), [github_link("owner/tls")]))
    assert repo.ok and repo.record.full_name == "owner/tls"


def test_an_untrusted_certificate_is_reported_as_such_and_not_retried(tls_api, tmp_path, monkeypatch):
    srv, _ = tls_api
    _, other_authority = self_signed(tmp_path / "other", "127.0.0.1")
    monkeypatch.setenv("SSL_CERT_FILE", other_authority)
    clock = FakeClock()
    arxiv = arxiv_fetcher(srv.url(API_PATH), clock)
    [paper] = list(guarded(arxiv, [arxiv_link("2104.14129")]))
    assert paper.error == "TLS certificate not trusted: self-signed certificate" and not paper.permanent
    assert clock.sleeps == []  # no back-off: no second try
    sleeps: list[float] = []
    github = github_fetcher(srv.url(""), sleeps)
    results = list(guarded(github, [github_link("owner/tls"), github_link("owner/other")]))
    assert [r.error for r in results] == ["TLS certificate not trusted: self-signed certificate"] * 2
    assert sleeps == [] and github.requests_made == 1  # the second link is not even tried
    assert srv.requests == []


def test_certificate_reasons_are_found_however_deeply_wrapped():
    inner = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    inner.verify_message = "unable to get local issuer certificate"
    try:
        try:
            raise inner
        except ssl.SSLError as exc:
            raise OSError("wrapped") from exc
    except OSError as outer:
        assert certificate_reason(outer) == "TLS certificate not trusted: unable to get local issuer certificate"
    text = OSError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)")
    assert certificate_reason(text) == "TLS certificate not trusted: self-signed certificate"
    assert certificate_reason(OSError("Connection refused")) is None


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SSL_CERT_FILE", "missing.pem", "SSL_CERT_FILE=missing.pem is not a readable file of certificates"),
        ("SSL_CERT_DIR", "no-such-folder", "SSL_CERT_DIR=no-such-folder is not a readable folder of certificates"),
        ("SSL_CERT_FILE", "garbage.pem", "SSL_CERT_FILE=garbage.pem holds no usable certificates"),
    ],
)
def test_a_bad_trust_store_is_one_usage_error_before_anything_is_fetched(tmp_path, monkeypatch, variable, value, says):
    from pipeline.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "garbage.pem").write_text("not a certificate\n", encoding="utf-8")
    monkeypatch.setenv(variable, value)
    err = io.StringIO()
    code = main(["https://example.org/"], io.BytesIO(b""), io.StringIO(), err)
    assert code == 2 and says in err.getvalue()
    assert not (tmp_path / "cache").exists()  # nothing was opened, nothing fetched


def test_the_trust_check_begun_early_gives_the_same_answer_and_raises_what_it_met(tmp_path, monkeypatch):
    from pipeline import trust

    (tmp_path / "garbage.pem").write_text("not a certificate\n", encoding="utf-8")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "garbage.pem"))
    assert trust.check_trust_store_meanwhile()() == trust.check_trust_store() is not None
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    assert trust.check_trust_store_meanwhile()() is None

    def broken() -> str | None:
        raise RuntimeError("no way to tell")

    monkeypatch.setattr(trust, "check_trust_store", broken)
    answer = trust.check_trust_store_meanwhile()
    with pytest.raises(RuntimeError, match="no way to tell"):
        answer()
