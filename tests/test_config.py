"""The config file: every key checked at load, bad values refused with the key named."""

from __future__ import annotations

import pytest

from pipeline.cli import main
from pipeline.config import (
    CacheSettings, ConfigError, GithubSettings, WebSettings, documented_settings, load_config, parse_config,
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


@pytest.mark.parametrize(("data", "named"), [
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
])
def test_bad_values_are_refused_naming_the_key(data, named):
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "enrich.toml")
    assert named in str(caught.value)
    assert str(caught.value).startswith("config file enrich.toml: ")


def test_never_is_accepted_where_expiry_can_be_switched_off():
    assert parse_config({"cache": {"web_days": "never"}}).cache.web_days == "never"


def test_every_setting_is_documented():
    for cls in (CacheSettings, WebSettings, GithubSettings):
        for name, default, doc in documented_settings(cls):
            assert doc, f"{cls.__name__}.{name} has no meaning written down"


def test_a_bad_config_is_exit_2_naming_the_key(tmp_path, capsys):
    config = tmp_path / "enrich.toml"
    config.write_text("[web]\nper_host = -1\n", encoding="utf-8")
    code = main(["--config", str(config), "--offline", "https://example.org/"])
    err = capsys.readouterr().err
    assert code == 2
    assert "per_host = -1" in err and "Traceback" not in err
