"""Records cleaned before they are cached or shown: secrets, invisible controls, caps."""

from __future__ import annotations

import io
import json
import sqlite3

import pytest

from pipeline.cli import main
from pipeline.models import ArxivRecord, GithubRecord, WebRecord
from pipeline.sanitize import LIST_CAP, LONG_CAP, SHORT_CAP, URL_CAP, clean_record, strip_invisible
from pipeline.secrets import Redactor
from tests.fakes import FakeGraphQL, ok, repo_json

TOKEN = "ghp_" + "Q" * 36
OTHER_TOKEN = "github_pat_" + "Z" * 40  # not the run's own: redacted by its shape
BIDI = "\u202e\u2066\u200f\u200b\ufeff"


# -- the redactor ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"leaked {TOKEN}!", "leaked ***!"),
        (f"also {OTHER_TOKEN}", "also ***"),
        ("https://x.org/feed?token=abcdef123456&page=2", "https://x.org/feed?token=***&page=2"),
        ("https://x.org/?access_token=abcdef123456", "https://x.org/?access_token=***"),
        ("api_key = sk-abcdefghijklmnop", "api_key = ***"),
        ('{"client_secret": "s3cr3t-value-123"}', '{"client_secret": "***"}'),
        ("Authorization: Bearer abcdefghijk", "Authorization: Bearer ***"),
        ("Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==", "Proxy-Authorization: Basic ***"),
    ],
)
def test_credentials_are_redacted_by_value_and_by_shape(text, expected):
    assert Redactor([TOKEN])(text) == expected


@pytest.mark.parametrize(
    "prose",
    [
        "Beyond the token: attention everywhere",
        "Authorization: framework for access control",
        "Tokenization matters; passwords=weak",
        "page=2&sort=desc",
    ],
)
def test_prose_that_mentions_tokens_is_left_alone(prose):
    assert Redactor([])(prose) == prose


# -- invisible controls and caps --------------------------------------------------------------------
def test_bidi_and_zero_width_controls_are_removed_and_joiners_kept():
    assert strip_invisible(f"evil{BIDI}title\u2068x\u2069") == "eviltitlex"
    assert strip_invisible("می\u200cخواهم 👩\u200d💻") == "می\u200cخواهم 👩\u200d💻"


def test_every_field_of_every_kind_is_cleaned_and_capped():
    redact = Redactor([TOKEN])
    web = clean_record(
        WebRecord(
            url="https://x.org/a?token=abcdef123456",
            title=f"A{BIDI}B {TOKEN}" + "t" * (2 * SHORT_CAP),
            site_name="\u202eSite",
            description="d" * (2 * LONG_CAP),
            author=f"me {OTHER_TOKEN}",
            image="https://x.org/" + "i" * URL_CAP,
        ),
        redact,
    )
    assert web.url == "https://x.org/a?token=***"
    assert web.title.startswith("AB ***tt") and len(web.title) == SHORT_CAP and web.title.endswith("…")
    assert web.site_name == "Site"
    assert len(web.description) == LONG_CAP
    assert web.author == "me ***"
    assert web.image is None  # a cut URL would point elsewhere: dropped
    paper = clean_record(
        ArxivRecord(
            id="2104.14129",
            title=f"T{BIDI}",
            authors=[f"A{i}\u200b" for i in range(2 * LIST_CAP)],
            abstract=f"see {TOKEN}",
            code_urls=["https://github.com/a/b", "https://x.org/" + "u" * URL_CAP],
        ),
        redact,
    )
    assert paper.title == "T" and len(paper.authors) == LIST_CAP and paper.authors[1] == "A1"
    assert paper.abstract == "see ***" and paper.code_urls == ["https://github.com/a/b"]
    repo = clean_record(
        GithubRecord(
            full_name="o/r",
            description=f"key {TOKEN}",
            stars=3,
            topics=[f"t{BIDI}"],
            latest_release={"tag": f"v1{BIDI}", "name": TOKEN, "published_at": None},
        ),
        redact,
    )
    assert (repo.description, repo.stars, repo.topics) == ("key ***", 3, ["t"])
    assert repo.latest_release == {"tag": "v1", "name": "***", "published_at": None}


# -- end to end: nothing hostile reaches the cache, the draft or the JSON ---------------------------------
def test_a_hostile_page_and_a_token_echoing_api_reach_nothing_written(tmp_path, monkeypatch, server):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("ENRICH_GITHUB_API", server.url(""))
    (tmp_path / "enrich.toml").write_text("[github]\nseconds_between_requests = 0\n", encoding="utf-8")
    monkeypatch.setenv("ENRICH_CONFIG", str(tmp_path / "enrich.toml"))
    server.route("/repos/ok/repo", ok(repo_json("ok/repo", description=f"echo {TOKEN} and {OTHER_TOKEN}")))
    graphql = FakeGraphQL()  # with a token, repositories are read through GraphQL
    graphql.add("ok/repo", description=f"echo {TOKEN} and {OTHER_TOKEN}")
    server.route("/graphql", graphql)
    server.route(
        "/page",
        f"<html><head><title>Real{BIDI} title txt.exe\u202eFDP</title>"
        f"<meta property='og:site_name' content='\u2067Site\u2069'>"
        f"<meta name=description content='{'w' * 3 * LONG_CAP} {TOKEN}'></head><body>x</body></html>",
    )
    sources = f"https://github.com/ok/repo\n{server.url('/page')}\n"
    (tmp_path / "sources.txt").write_text(sources, encoding="utf-8")
    outputs = []
    for fmt in ("json", "md"):
        out, err = io.StringIO(), io.StringIO()
        code = main(["--allow-private-hosts", "--format", fmt, "sources.txt"], io.BytesIO(), out, err)
        assert code == 0, err.getvalue()
        outputs += [out.getvalue(), err.getvalue()]
    entries = json.loads(outputs[0])["entries"]
    page = entries[1]["record"]
    assert page["title"] == "Real title txt.exeFDP" and page["site_name"] == "Site"
    assert len(page["description"]) <= LONG_CAP
    assert entries[0]["record"]["description"] == "echo *** and ***"
    db = sqlite3.connect(tmp_path / "cache" / "enrich.sqlite3")
    stored = "\n".join(row[0] for row in db.execute("SELECT record FROM records"))
    db.close()
    for text in [*outputs, stored]:
        assert TOKEN not in text and OTHER_TOKEN not in text
        assert not any(ch in text for ch in BIDI)
