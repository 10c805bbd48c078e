"""The config file: every key checked at load, bad values refused with the key named."""

from __future__ import annotations

import io
import json
import re
import tomllib

import pytest

from pipeline.cli import main
from pipeline.config import (
    CacheSettings,
    ConfigError,
    FeedSettings,
    GatherSettings,
    GithubSettings,
    WebSettings,
    documented_settings,
    load_config,
    parse_config,
)


def test_no_file_gives_the_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENRICH_CONFIG", raising=False)
    config = load_config()
    assert config.web == WebSettings() and config.cache == CacheSettings() and config.path is None


def test_values_are_typed_and_ints_stand_for_floats():
    config = parse_config({"web": {"per_host": 2, "deadline": 5}, "github": {"rate_limit_wait": 0}})
    assert config.web.per_host == 2 and config.web.deadline == 5.0 and isinstance(config.web.deadline, float)
    assert config.web.total == WebSettings().total
    assert config.github == GithubSettings(rate_limit_wait=0.0)


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"web": {"per_host": 0}}, "[web] per_host = 0: must be greater than 0"),
        ({"web": {"per_host": "4"}}, "[web] per_host = '4': must be a whole number"),
        ({"web": {"per_host": True}}, "[web] per_host = True: must be a whole number"),
        ({"web": {"deadline": float("nan")}}, "[web] deadline = nan: must be a number"),
        ({"web": {"deadline": float("inf")}}, "[web] deadline = inf"),
        ({"web": {"per_hots": 4}}, "[web] has no key 'per_hots'"),
        ({"cache": {"github_days": "soon"}}, "[cache] github_days = 'soon'"),
        ({"cache": {"web_days": -1}}, "[cache] web_days = -1"),
        ({"cache": {"failure_days": "never"}}, "[cache] failure_days = 'never': must be a number"),
        ({"github": {"seconds_between_requests": -0.5}}, "must be 0 or more"),
        ({"github": 3}, "[github] must be a table"),
        ({"sites": {"example.org": 3}}, "[sites] values must be non-empty strings (example.org)"),
        ({"webb": {}}, "unknown section [webb]"),
    ],
)
def test_bad_values_are_refused_naming_the_key(data, named):
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "enrich.toml")
    assert named in str(caught.value)
    assert str(caught.value).startswith("config file enrich.toml: ")


def test_never_is_accepted_where_expiry_can_be_switched_off():
    assert parse_config({"cache": {"web_days": "never"}}).cache.web_days == "never"


def test_every_setting_is_documented():
    for cls in (CacheSettings, WebSettings, GithubSettings):
        for name, _default, doc in documented_settings(cls):
            assert doc, f"{cls.__name__}.{name} has no meaning written down"


def test_a_bad_config_is_exit_2_naming_the_key(tmp_path, capsys):
    config = tmp_path / "enrich.toml"
    config.write_text("[web]\nper_host = -1\n", encoding="utf-8")
    code = main(["--config", str(config), "--offline", "https://example.org/"])
    err = capsys.readouterr().err
    assert code == 2
    assert "per_host = -1" in err and "Traceback" not in err


# --- arrays of tables: [[gather.feeds]] ----------------------------------------------------------
def test_gather_feeds_are_read_as_typed_tables():
    config = parse_config(
        tomllib.loads(
            '[gather]\nkeywords = ["NPU"]\n[[gather.feeds]]\nurl = "https://rss.arxiv.org/rss/cs.LG"\n'
            'include = ["quantization"]\nsection = "论文"\n[[gather.feeds]]\nurl = "https://example.org/feed"\n'
        )
    )
    first, second = config.gather.feeds
    assert first == FeedSettings(url="https://rss.arxiv.org/rss/cs.LG", include=["quantization"], section="论文")
    assert second.url == "https://example.org/feed" and second.include == [] and second.name == ""
    assert config.gather.keywords == ["NPU"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[gather.feeds]]\nurl = "https://a.org/f"\n[[gather.feeds]]\nname = "b"\n', "[[gather.feeds]] #2 needs url"),
        (
            '[[gather.feeds]]\nurl = "https://a.org/f"\n[[gather.feeds]]\nurl = "ftp://b"\n',
            "[[gather.feeds]] #2 url = 'ftp://b': must be an http(s) address",
        ),
        (
            '[[gather.feeds]]\nurl = "https://a.org/f"\ninclude = "npu"\n',
            "[[gather.feeds]] #1 include = 'npu': must be a list of strings",
        ),
        ('[[gather.feeds]]\nurl = "https://a.org/f"\nsection = "misc"\n', "[[gather.feeds]] #1 section = 'misc': must be one of"),
        ('[[gather.feeds]]\nurl = "https://a.org/f"\nlink = "x"\n', "[[gather.feeds]] #1 has no key 'link'"),
        ('[gather]\nfeeds = "https://a.org/f"\n', "[[gather.feeds]] must be an array of tables"),
        ("[gather]\nmax_candidates = 0\n", "[gather] max_candidates = 0: must be greater than 0"),
    ],
)
def test_a_bad_feed_table_is_named_by_its_position(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(tomllib.loads(text))
    assert message in str(caught.value)


def test_every_feed_setting_is_documented():
    for cls in (GatherSettings, FeedSettings):
        for name, _default, doc in documented_settings(cls):
            assert doc, f"{cls.__name__}.{name} has no meaning written down"


def test_the_commented_feed_example_that_init_writes_loads():
    from pipeline.scaffold import config_template

    text = config_template()
    sample = re.sub(r"^# (\[\[.*|  \w+ = .*)$", r"\1", text[text.index("[gather]") : text.index("[sites]")], flags=re.MULTILINE)
    [feed] = parse_config(tomllib.loads(sample)).gather.feeds
    assert feed.url.startswith("https://rss.arxiv.org/") and feed.section == "论文"


def test_the_sites_table_names_the_source_in_the_draft_and_leaves_the_record_alone(server, tmp_path, monkeypatch):
    page = (
        '<html><head><title>Chips | Example</title><meta property="og:site_name" content="U.S.">'
        '<meta property="og:title" content="Chips"></head><body><h1>Chips</h1></body></html>'
    )
    server.route("/news/chips", page)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ENRICH_ALLOW_PRIVATE_HOSTS", "1")
    config = tmp_path / "enrich.toml"
    config.write_text('[sites]\n"127.0.0.1" = "Example Daily"\n', encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["--config", str(config), server.url("/news/chips")], io.BytesIO(b""), out, err) == 0, err.getvalue()
    assert f"- [Chips | Example Daily]({server.url('/news/chips')})  " in out.getvalue()
    out = io.StringIO()
    assert (
        main(["--config", str(config), "--format", "json", "--offline", server.url("/news/chips")], io.BytesIO(b""), out, err)
        == 0
    )
    assert json.loads(out.getvalue())["entries"][0]["record"]["site_name"] != "Example Daily"  # the page's own words
