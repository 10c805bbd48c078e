"""The README's examples are true: its sources.txt sample, draft sample, config file and options."""

from __future__ import annotations

import contextlib
import io
import re
import tomllib
from pathlib import Path

import pytest

from pipeline.cache import Freshness
from pipeline.cli import main
from pipeline.config import load_config
from pipeline.sources import parse_lines, plan_entries

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def block_after(heading: str, lang: str) -> str:
    section = README.split(heading, 1)[1]
    return re.search(rf"```{lang}\n(.*?)```", section, re.S).group(1)


def test_the_two_opening_commands_are_the_ones_ci_runs():
    first, second = re.findall(r"```sh\n(.*?)\n```", README, re.S)[:2]
    assert first.endswith("enrich sources.txt")
    assert second in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_sources_sample_parses_as_described():
    entries, diagnostics = plan_entries(parse_lines(block_after("## sources.txt", "text").splitlines()))
    assert diagnostics == []
    assert [(e.section, e.main.key, [x.key for x in e.extras], e.note) for e in entries] == [
        ("论文", "arxiv:1907.05550", ["web:https://ai.googleblog.com/2020/05/speeding-up-neural-network-training.html"], None),
        ("论文", "github:lmbxmu/hrank", [], "CVPR2020 oral, check the ImageNet numbers"),
    ]


def test_draft_sample_is_what_the_end_to_end_run_writes():
    golden = (ROOT / "tests" / "golden" / "end-to-end.md").read_text(encoding="utf-8")
    sample = block_after("## The draft", "markdown")
    for line in sample.splitlines():
        assert line in golden.splitlines(), line


def test_config_sample_loads(tmp_path):
    path = tmp_path / "enrich.toml"
    path.write_text(block_after("## Configuration", "toml"), encoding="utf-8")
    config = load_config(str(path))
    assert Freshness.from_settings(config.cache).arxiv_pinned is None
    assert config.web.per_host == 4
    assert config.sites == {"example-ai.cn": "Example AI"}
    assert tomllib.loads(path.read_text(encoding="utf-8"))["github"]["rate_limit_wait"] == 60


def help_of(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main([*argv, "--help"])
    return out.getvalue()


# Other programs' commands that the README shows (their options are theirs, not enrich's).
OTHER_COMMANDS = re.compile(
    r"`(?:systemctl|journalctl|cp|pip|python3?) [^`]*`|^(?:systemctl|journalctl|cp|pip|python3?) .*$", re.MULTILINE
)


def test_every_option_the_readme_names_is_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = capsys.readouterr().out + help_of("cache") + help_of("init") + help_of("gather")
    assert "Look inside the cache" in help_of("cache")
    assert "--github-actions" in help_of("init")
    about_the_command = OTHER_COMMANDS.sub("", README.split("## Measuring", 1)[0])  # bench scripts have their own
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", about_the_command))
    assert {"--offline", "--github-actions", "--days"} <= named
    for option in sorted(named):
        assert option in help_text, option


@pytest.mark.parametrize("command", [[], ["cache"], ["init"], ["gather"]], ids=lambda c: " ".join(["enrich", *c]))
def test_every_option_of_help_is_in_the_readme(command):
    """The other way round: nothing the command offers is missing from the README."""
    offered = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", help_of(*command))) - {"--help"}
    assert offered
    assert sorted(o for o in offered if o not in README) == []


def test_summarizer_samples_load_and_the_key_table_is_complete(tmp_path):
    from pipeline.config import SummarizeSettings, documented_settings
    from pipeline.llm import check_endpoint

    section = README.split("## Summaries by a language model", 1)[1].split("\n## ", 1)[0]
    samples = re.findall(r"```toml\n(.*?)```", section, re.DOTALL)
    assert len(samples) == 2
    for number, sample in enumerate(samples):
        path = tmp_path / f"summarize-{number}.toml"
        path.write_text(sample, encoding="utf-8")
        settings = load_config(str(path)).summarize
        assert settings.model and check_endpoint(settings.endpoint, settings.allow_insecure_http)
    table = dict(re.findall(r"^\| `(\w+)` \| (.+?) \|", section, re.MULTILINE))
    for name, default, _doc in documented_settings(SummarizeSettings):
        assert name in table, name
        shown = table[name].strip("`")
        expected = "none" if default == "" else str(default).lower() if isinstance(default, bool) else default
        assert shown in (str(expected), f'"{expected}"', f"{expected:g}" if isinstance(expected, float) else ""), name


def test_gather_config_sample_loads(tmp_path):
    path = tmp_path / "enrich.toml"
    path.write_text(block_after("## Gather candidates", "toml"), encoding="utf-8")
    gather = load_config(str(path)).gather
    assert [f.name for f in gather.feeds] == ["arXiv cs.LG+cs.AR", "ncnn releases", "某公众号"]
    assert gather.feeds[0].section == "论文" and gather.feeds[2].exclude == ["招聘", "广告"]
    assert "量化" in gather.keywords and gather.keep_days == 14


def test_the_inbox_sample_is_what_gather_reads(tmp_path):
    from datetime import date

    from pipeline.gather.inbox import parse_inbox
    from pipeline.gather.run import settle
    from pipeline.links import canonical_key

    sample = block_after("## Gather candidates", "markdown")
    first, second = parse_inbox(sample, canonical_key)
    assert (first.key, first.ticked, first.note, first.picked) == ("arxiv:2512.00001", False, None, date(2026, 12, 4))
    assert (second.ticked, second.section) == (True, "论文")
    (tmp_path / "inbox.md").write_text(sample, encoding="utf-8")
    settle(tmp_path / "inbox.md", tmp_path / "sources.txt", [], today=date(2026, 12, 5), keep_days=14)
    assert (tmp_path / "sources.txt").read_text(encoding="utf-8") == (
        "[论文]\nhttps://arxiv.org/abs/2512.00002  check the energy numbers against the MCUNet paper\n"
    )
