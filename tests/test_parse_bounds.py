"""Every web link's whole life stays inside its deadline: hostile pages are bounded before the
parser meets them, parsing runs off the event loop, and one slow parse never holds up the rest."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

from pipeline.config import WebSettings
from pipeline.errors import PageUnavailable, ParseFailed
from pipeline.extract import extract_page
from pipeline.fetchers import web
from pipeline.fetchers.base import FetchRequest
from pipeline.fetchers.web import WebFetcher
from pipeline.models import Link
from pipeline.pagebounds import (
    FEW_TAGS,
    MAX_NESTING,
    MAX_OPTIONS,
    PageTooComplex,
    bound_page,
    complexity_cut,
)
from pipeline.parsepool import ParsePool, record_from_answer, worker_environment
from pipeline.parseworker import ParseJob, parse_job
from pipeline.sites.common import JSON_LD_MAX_OBJECTS, ParsedPage
from tests.cliruns import timed_json_run
from tests.parseworkers import misbehaving_worker, parses


def healthy_page(n: int) -> str:
    return f"<html><head><title>Healthy page {n}</title></head><body><h1>Healthy page {n}</h1><p>fine</p></body></html>"


def nested_divs(depth: int) -> bytes:
    """About 1 MB for 200,000: the page that took 103 s to parse on the event loop."""
    return (
        "<html><head><title>Deep page</title></head><body>" + "<div>" * depth + "x" + "</div>" * depth + "</body></html>"
    ).encode()


def json_ld_array(items: int) -> bytes:
    """About 4.8 MB for 1,600,000 empty objects: the page that took 117 s in the JSON-LD walk."""
    return (
        '<html><head><title>Many objects</title><script type="application/ld+json">['
        + ",".join(["{}"] * items)
        + "]</script></head><body><p>x</p></body></html>"
    ).encode()


# -- the nesting bound, on its own ---------------------------------------------------------------


def test_a_page_nested_deeper_than_the_limit_is_cut_at_the_tag_that_goes_too_deep():
    body = nested_divs(200_000)
    cut, why = complexity_cut(body)
    assert body[cut:].startswith(b"<div>") and why == f"nested deeper than {MAX_NESTING} elements"
    assert body[:cut].count(b"<div>") == MAX_NESTING
    kept, note = bound_page(body)
    assert kept == body[:cut]
    assert note == (
        f"page too complex to parse in full (nested deeper than {MAX_NESTING} elements); only its first {cut:,} bytes were read"
    )


def test_a_list_of_more_options_than_any_form_needs_is_cut():
    # The parser's work grows with the square of a <select>'s options: 128,000 took 36 s.
    body = ("<html><head><title>Options</title></head><body><select>" + "<option>x</option>" * 200_000).encode()
    cut, why = complexity_cut(body)
    assert why == f"a list of more than {MAX_OPTIONS:,} options"
    assert body[:cut].count(b"<option>") == MAX_OPTIONS and body[cut:].startswith(b"<option>")
    # Each list counts on its own: many lists of a few options are fine.
    lists = ("<select>" + "<option>x" * 100 + "</select>") * 200
    assert complexity_cut(lists.encode()) is None


def test_sloppy_but_shallow_markup_is_not_counted_as_deep():
    # Unclosed <p>, <li> and <td>, void elements, self-closing SVG, stray end tags and markup
    # inside scripts and comments: none of it nests, and none of it may look deep.
    piece = (
        "<p>para<li>item<td>cell<br><img src=x><input><meta name=a content=b>"
        "<svg><path d='M0'/><g/></svg></span></b>"
        "<script>if (a<b && c<d) { html = '<div><div><div>'; }</script><!-- <div><div> -->"
    )
    body = ("<html><body><div>" + piece * 2_000 + "</div></body></html>").encode()
    assert body.count(b"<") > FEW_TAGS  # so the scan really runs
    assert complexity_cut(body) is None
    assert bound_page(body) == (body, None)


def test_stray_end_tags_do_not_buy_depth():
    # An end tag with nothing of its name open changes nothing for the parser; were it counted,
    # a page could open thousands of elements after a run of them.
    body = b"</span>" * 2_000 + b"<div>" * (MAX_NESTING + 1)
    assert complexity_cut(body) == (len(b"</span>" * 2_000) + 5 * MAX_NESTING, f"nested deeper than {MAX_NESTING} elements")


def test_html_self_closing_syntax_still_opens_an_element():
    body = b"<div/>" * (MAX_NESTING + 1)  # <div/> in HTML is an open <div>
    assert complexity_cut(body)[0] == 6 * MAX_NESTING


def test_tags_that_never_close_are_scanned_in_linear_time():
    # 1.6 million "<a " without a ">": were each tried again to the end, the scan itself would be
    # quadratic (20,000 of them took 14 s).
    body = b"<html><body>" + b"<a " * 1_600_000
    started = time.monotonic()
    assert complexity_cut(body) is None
    assert time.monotonic() - started < 3


def test_a_less_than_sign_inside_an_attribute_hides_no_element():
    body = b'<div title="<">' * (MAX_NESTING + 1)
    assert complexity_cut(body) == (len(b'<div title="<">') * MAX_NESTING, f"nested deeper than {MAX_NESTING} elements")


def test_a_deep_utf16_page_is_refused_with_the_bound_it_broke():
    body = nested_divs(20_000).decode().encode("utf-16-le")
    with pytest.raises(PageTooComplex, match=f"^page too complex to parse \\(nested deeper than {MAX_NESTING} elements\\)$"):
        bound_page(body)


def test_a_page_with_few_tags_is_not_scanned(monkeypatch):
    scanned = []
    monkeypatch.setattr("pipeline.pagebounds.complexity_cut", lambda *a: scanned.append(a))
    body = nested_divs(FEW_TAGS // 2 - 10)
    assert bound_page(body) == (body, None) and scanned == []


# -- JSON-LD -----------------------------------------------------------------------------------


def test_a_huge_json_ld_array_is_walked_in_linear_time_and_capped():
    started = time.monotonic()
    page = ParsedPage(json_ld_array(1_600_000).decode(), "https://example.com/")
    assert len(page.json_ld) == JSON_LD_MAX_OBJECTS
    assert time.monotonic() - started < 5  # was 117 s


@pytest.mark.parametrize("depth", [900, 1_000])  # json reads 900 (and the rules then overflowed), not 1,000
def test_json_ld_nested_too_deep_costs_only_that_object(depth):
    deep = '{"@type": "NewsArticle", "author": ' + "[" * depth + '"A"' + "]" * depth + "}"
    good = '{"@type": "NewsArticle", "headline": "Headline from JSON-LD"}'
    html = (
        f'<html><head><script type="application/ld+json">{deep}</script>'
        f'<script type="application/ld+json">{good}</script></head><body><p>x</p></body></html>'
    )
    record = extract_page(html.encode(), "https://example.com/a")
    assert record.title == "Headline from JSON-LD"


def test_json_ld_graphs_nested_past_the_depth_cap_are_not_followed():
    graph = {"@type": "NewsArticle", "headline": "deepest"}
    for _ in range(40):
        graph = {"@graph": [graph]}
    page = ParsedPage(f'<script type="application/ld+json">{json.dumps(graph)}</script>', "https://example.com/")
    assert all(obj.get("headline") != "deepest" for obj in page.json_ld)
    assert len(page.json_ld) <= 20


# -- scheduling: off the loop, inside the deadline -----------------------------------------------


def _fetch(fetcher: WebFetcher, urls: list[str]):
    requests = [FetchRequest(Link(key=f"web:{u}", kind="web", url=u, original=u)) for u in urls]
    return fetcher.fetch(requests)


def test_the_loop_serves_other_links_while_a_page_is_parsed(server, tmp_path):
    """The slow page's parse holds until every healthy link has been delivered: were parsing on
    the event loop, or were the other pages waiting for its worker, nothing else could arrive
    and the wait would run out."""
    server.route("/slow", healthy_page(0))
    for n in range(1, 7):
        server.route(f"/ok{n}", healthy_page(n))
    fetcher = WebFetcher(allowed_origins={("127.0.0.1", server.port)}, parse_command=misbehaving_worker(tmp_path))
    order = []
    for result in _fetch(fetcher, [server.url("/slow")] + [server.url(f"/ok{n}") for n in range(1, 7)]):
        order.append(result.key.rsplit("/", 1)[-1])
        assert result.ok, result.error
        if len(order) == 6:
            (tmp_path / "release").touch()
    assert order[-1] == "slow" and sorted(order[:6]) == [f"ok{n}" for n in range(1, 7)]


def test_a_parse_that_outlives_the_deadline_fails_alone_in_time(server, tmp_path):
    server.route("/stuck", healthy_page(0))
    server.route("/ok", healthy_page(1))
    fetcher = WebFetcher(
        allowed_origins={("127.0.0.1", server.port)},
        limits=WebSettings(deadline=1.0),
        parse_command=misbehaving_worker(tmp_path),
    )
    started = time.monotonic()
    results = {}
    for result in _fetch(fetcher, [server.url("/stuck"), server.url("/ok")]):
        results[result.key.rsplit("/", 1)[-1]] = result.error
    ended = time.monotonic() - started
    assert results == {"ok": None, "stuck": "page too complex to parse (not done within the 1 s deadline)"}
    assert ended < 3
    stuck_pid = next(pid for _, pid, name in parses(tmp_path) if name == "stuck")
    assert not _alive(stuck_pid), "the worker stuck in the page was left running"


def _alive(pid: int, wait: float = 2.0) -> bool:
    """Whether the process is still there after up to `wait` seconds (a killed one is reaped
    by the loop's child watcher a moment later)."""
    end = time.monotonic() + wait
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.02)
    return True


def _job(name: str, body: bytes = b"<html><head><title>A page</title></head><body><p>x</p></body></html>") -> ParseJob:
    return ParseJob(f"https://example.org/{name}", body, "text/html; charset=utf-8", "text/html")


def test_a_stopped_worker_gives_its_place_to_a_fresh_one(tmp_path):
    async def two_parses_on_one_worker():
        pool = ParsePool(size=1, command=misbehaving_worker(tmp_path))
        loop = asyncio.get_running_loop()
        try:
            with pytest.raises(TimeoutError):
                await pool.parse(_job("stuck"), loop.time() + 0.5)
            return await pool.parse(_job("fine"), loop.time() + 5)
        finally:
            await pool.close()

    assert asyncio.run(two_parses_on_one_worker()).title == "A page"
    (stuck_pid, _), (fine_pid, _) = [(pid, name) for _, pid, name in parses(tmp_path)]
    assert stuck_pid != fine_pid and not _alive(stuck_pid)


def test_a_page_that_kills_its_worker_fails_alone(tmp_path):
    async def crash_then_parse():
        pool = ParsePool(size=1, command=misbehaving_worker(tmp_path))
        loop = asyncio.get_running_loop()
        try:
            with pytest.raises(ParseFailed, match="the parser stopped on this page"):
                await pool.parse(_job("crash"), loop.time() + 5)
            with pytest.raises(ParseFailed, match="internal error: ValueError: boom"):
                await pool.parse(_job("bad"), loop.time() + 5)
            return await pool.parse(_job("fine"), loop.time() + 5)
        finally:
            await pool.close()

    assert asyncio.run(crash_then_parse()).title == "A page"


def test_closing_the_pool_ends_its_workers(tmp_path):
    async def parse_and_close():
        pool = ParsePool(size=2, command=misbehaving_worker(tmp_path))
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(pool.parse(_job(f"p{n}"), loop.time() + 5) for n in range(4)))
        await pool.close()

    asyncio.run(parse_and_close())
    pids = {pid for _, pid, _ in parses(tmp_path)}
    assert pids and not any(_alive(pid, wait=0.5) for pid in pids)


def test_a_record_comes_back_from_the_worker_as_it_was_made():
    page = (
        '<html><head><meta charset="utf-8"><title>端侧推理的三个误区 | 示例科技</title>'
        '<meta property="og:site_name" content="示例科技"><meta name="author" content="张三"></head>'
        "<body><h1>端侧推理的三个误区</h1><p>" + "模型压缩之后，延迟并不总是下降。" * 20 + "</p></body></html>"
    ).encode()
    job = ParseJob("https://tech.example.cn/a/1", page, "text/html", "text/html", truncated=True)

    async def through_the_pool():
        pool = ParsePool(size=1)
        try:
            return await pool.parse(job, asyncio.get_running_loop().time() + 10)
        finally:
            await pool.close()

    record = asyncio.run(through_the_pool())
    assert record == parse_job(job)
    assert record.title == "端侧推理的三个误区" and record.text and "page larger than" in (record.note or "")


def test_the_worker_inherits_no_secret(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "x" * 36)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-for-the-parser")
    env = worker_environment()
    assert "GITHUB_TOKEN" not in env and "OPENAI_API_KEY" not in env
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(Path(web.__file__).resolve().parent.parent.parent)


# -- the whole run -----------------------------------------------------------------------------

DEADLINE = 10.0


def test_hostile_pages_end_inside_the_deadline_and_healthy_links_end_ok(server, tmp_path, monkeypatch):
    server.route("/deep", nested_divs(200_000))
    server.route("/objects", json_ld_array(1_600_000))
    healthy = [f"/page{n}" for n in range(6)]
    for n, path in enumerate(healthy):
        server.route(path, healthy_page(n))
    paths = ["/deep", "/objects", *healthy]
    urls = [server.url(p) for p in paths]
    code, document, err, elapsed = timed_json_run(tmp_path, monkeypatch, urls, f"[web]\ndeadline = {DEADLINE}\n")
    entries = {e["url"].rsplit("/", 1)[-1]: e for e in document["entries"]}
    assert code == 0, err
    assert "Traceback" not in err
    assert all(entries[p[1:]]["status"] == "ok" for p in healthy)
    assert [entries[p[1:]]["title"] for p in healthy] == [f"Healthy page {n}" for n in range(6)]
    deep = entries["deep"]
    assert deep["title"] == "Deep page"
    assert deep["record"]["note"].startswith(f"page too complex to parse in full (nested deeper than {MAX_NESTING} elements)")
    assert entries["objects"]["status"] == "ok" and entries["objects"]["title"] == "Many objects"
    assert elapsed < DEADLINE  # unbounded, the two pages took minutes


def test_nuls_are_dropped_before_parsing_but_utf16_is_left_whole():
    # The parser drops NULs in text anyway; on a worker thread a flood of them took seconds.
    flood = b"<html><head><title>Zeros</title></head><body>" + b"\0" * 100_000
    assert bound_page(flood) == (b"<html><head><title>Zeros</title></head><body>", None)
    utf16 = "<html><head><title>Wide</title></head><body>text</body></html>".encode("utf-16-le")
    assert bound_page(utf16) == (utf16, None)


@pytest.mark.parametrize(
    "answer, reason",
    [
        (b'{"record": {"url": "https://example.org/a", "title": ["not", "text"]}}', "field 'title' has the wrong type (list)"),
        (b'{"record": "a string"}', "the record is not a JSON object"),
        (b"not json", "the parser's answer could not be read"),
        (b'{"something": "else"}', "the parser's answer could not be read"),
    ],
)
def test_an_answer_that_is_no_record_fails_the_page_not_the_run(answer, reason):
    with pytest.raises(ParseFailed) as failed:
        record_from_answer(answer)
    assert failed.value.reason.startswith("internal error: ") and reason in failed.value.reason


def test_an_answer_says_why_a_page_is_no_article():
    with pytest.raises(PageUnavailable) as unavailable:
        record_from_answer(b'{"unavailable": "the article was deleted", "permanent": true}')
    assert unavailable.value.reason == "the article was deleted" and unavailable.value.permanent
    with pytest.raises(PageTooComplex, match="nested deeper"):
        record_from_answer(b'{"too_complex": "nested deeper than 512 elements"}')
