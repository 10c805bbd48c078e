"""A whole run over a server that misbehaves in every way at once: every link ends ok or failed
with a precise reason, the run stays within its stated bound, exits 1, and prints no traceback."""

from __future__ import annotations

import gzip

from tests.cliruns import timed_json_run
from tests.localserver import Reply, hang, reset, streamed

PAGE = "<html><head><title>Fine page</title></head><body><p>ok</p></body></html>"
BOT_WALL = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    "<div id='challenge-running'>Checking your browser before accessing</div>"
    "<script src='/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1'></script></body></html>"
)
# The per-link deadline for this test (30 s by default). All links run at once, so the run's
# bound is one deadline plus start-up.
DEADLINE = 3.0


def test_every_fault_ends_well(server, tmp_path, monkeypatch, capsys):
    bomb = gzip.compress(b"<html><body>" + b"\0" * (40 * 1024 * 1024))
    faults = {
        "/flaky": None,  # 500 then success, set below
        "/down": Reply(503, "down"),
        "/busy": Reply(429, "slow down", {"Retry-After": "0"}),
        "/reset": Reply(raw=reset()),
        "/hang": Reply(raw=hang(5)),
        "/trickle": Reply(raw=streamed(lambda: iter([b"<"] * 100), {"Content-Type": "text/html"}, interval=0.3)),
        "/truncated": Reply(
            raw=streamed(lambda: iter([b"<html><title>Cut"]), {"Content-Type": "text/html", "Content-Length": "5000"})
        ),
        "/bomb": Reply(200, bomb, {"Content-Encoding": "gzip"}),
        "/loop": Reply(302, "", {"Location": "/loop"}),
        "/wall": Reply(200, BOT_WALL),
        "/binary": Reply(200, bytes(range(256)) * 40),
        "/malformed": Reply(200, "<html><head><title>Broken <b>page</title><body><div><p>unclosed"),
        "/paper.pdf": Reply(200, b"%PDF-1.4 " + b"x" * 1000, {"Content-Type": "application/pdf"}),
    }
    for path, reply in faults.items():
        if reply is not None:
            server.route(path, reply)
    server.sequence("/flaky", Reply(500, "oops"), Reply(200, PAGE))
    for n in range(30):
        server.route(f"/hop/{n}", Reply(302, "", {"Location": f"/hop/{n + 1}"}))
    urls = [server.url(p) for p in [*faults, "/hop/0"]]
    config = f"[web]\ndeadline = {DEADLINE}\nread_timeout = 0.5\nconnect_timeout = 0.5\n"
    code, document, err, elapsed = timed_json_run(tmp_path, monkeypatch, urls, config)
    entries = {e["url"].rsplit("/", 1)[-1] if "/hop/" not in e["url"] else "hop": e for e in document["entries"]}
    status = {name: (e["status"], e["error"]) for name, e in entries.items()}
    assert code == 1
    assert status["flaky"] == ("ok", None) and entries["flaky"]["title"] == "Fine page"
    # Under load the deadline may end the retries before the back-off gives up; the reason
    # still names the failure.
    assert status["down"][0] == "failed" and status["down"][1].startswith("HTTP 503")
    assert status["busy"][0] == "failed" and "429" in status["busy"][1]
    assert status["reset"][0] == "failed" and ("reset" in status["reset"][1] or "connect" in status["reset"][1])
    assert status["hang"][0] == "failed" and status["hang"][1].startswith("timed out after")
    assert status["trickle"] == ("failed", f"timed out after {DEADLINE:g} s")
    assert status["truncated"][0] == "failed"
    assert status["bomb"][0] == "ok" and "5 MB" in entries["bomb"]["record"]["note"]
    assert status["loop"] == ("failed", "redirect loop")
    assert status["hop"] == ("failed", "too many redirects (more than 10)")
    assert status["wall"] == ("failed", "blocked by a bot check")
    # Bytes that are no page still make an entry (from the URL), never a made-up title.
    assert status["binary"] == ("ok", None) and entries["binary"]["record"]["title"] is None
    assert status["malformed"][0] == "ok"
    assert status["paper.pdf"][0] == "ok" and entries["paper.pdf"]["record"]["note"] == "PDF document, not parsed"
    assert all(e["status"] == "ok" or e["error"] for e in entries.values())
    # The bound: every link runs at once, none may take longer than its deadline (plus the
    # retries' back-off inside it); generous slack for a loaded machine.
    assert elapsed < DEADLINE + 5
    captured = capsys.readouterr()
    assert "Traceback" not in err + captured.err + captured.out


def test_a_link_out_of_time_names_the_failure_it_was_retrying():
    from pipeline.http import _deadline_reason
    from pipeline.retry import TransientError

    assert _deadline_reason([], 30) == "timed out after 30 s"
    assert _deadline_reason([TransientError("timed out after 20 s (no data)")], 30) == "timed out after 30 s"
    assert _deadline_reason([TransientError("connection reset"), TransientError("HTTP 503")], 30) == (
        "HTTP 503 (still failing after 30 s)"
    )
