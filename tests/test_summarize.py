"""The model summarizer end to end: `enrich` against local pages and a local chat-completions
endpoint, checking the draft, the JSON, the cache, the budget, the logs and what never happens."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from pathlib import Path

import pytest

import pipeline.summarize
from pipeline.cli import main
from pipeline.llm import ChatClient
from pipeline.retry import RetryPolicy
from tests.fake_llm import PATH, FakeChat, chinese_summary, error, field_of
from tests.localserver import Reply, hang

KEY = "sk-proj-Plant3dKeyThatMustNeverLeak0123456789"


def page(title: str, description: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="og:site_name" content="Example AI Blog">'
        f'<meta name="description" content="{description}"></head>'
        f"<body><article><h1>{title}</h1><p>{description}</p></article></body></html>"
    )


PAGES = {
    "/blog/echo": (
        "Data Echoing",
        ("Data echoing reuses outputs of the input pipeline. It speeds up training when the accelerator waits for data."),
    ),
    "/blog/quant": (
        "Quantization on phones",
        ("Post-training quantization to 8 bits keeps accuracy within 1% on MobileNetV2. The post shows how."),
    ),
    "/blog/npu": ("A new edge NPU", ("The chip runs transformer models at the edge. Tools convert models from PyTorch.")),
}


class Site:
    """Pages and a chat endpoint on one local server, a config file, and the command."""

    def __init__(self, server, tmp_path: Path, monkeypatch):
        self.server, self.dir = server, tmp_path
        for path, (title, description) in PAGES.items():
            server.route(path, page(title, description))
        self.chat = FakeChat()
        server.route(PATH, self.chat)
        self.sleeps: list[float] = []
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("ENRICH_ALLOW_PRIVATE_HOSTS", "1")
        monkeypatch.setenv("ENRICH_CONFIG", str(tmp_path / "enrich.toml"))

        def client(*args, **kwargs) -> ChatClient:  # the real client, with back-off that does not sleep
            kwargs["retry"] = RetryPolicy(attempts=3, deadline=600, sleep=self.sleeps.append)
            return ChatClient(*args, **kwargs)

        monkeypatch.setattr(pipeline.summarize, "ChatClient", client)
        (tmp_path / "sources.txt").write_text("".join(f"{server.url(p)}\n" for p in PAGES), encoding="utf-8")

    def configure(self, **settings: object) -> None:
        values = {"endpoint": self.server.url("/v1"), "model": "fake-model", **settings}
        lines = ["[summarize]", *(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in values.items())]
        (self.dir / "enrich.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def run(self, *args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(["--date", "2026-11-23", "--lock-wait", "0.2", *args], io.BytesIO(b""), out, err)
        return code, out.getvalue(), err.getvalue()

    def json(self, *args: str) -> dict[str, dict]:
        code, out, err = self.run("sources.txt", "--format", "json", *args)
        assert code == 0, err
        return {e["url"].rsplit("/", 1)[-1]: e for e in json.loads(out)["entries"]}


def summaries(draft: str, marker: str) -> int:
    """How many 摘要 lines of a draft end with `marker`."""
    return sum(line.startswith("摘要：") and line.endswith(marker + "  ") for line in draft.split("\n"))


@pytest.fixture
def site(server, tmp_path, monkeypatch):
    return Site(server, tmp_path, monkeypatch)


def test_without_configuration_nothing_is_asked_and_the_draft_is_as_before(site, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the summarizer was set up without configuration")

    monkeypatch.setattr(pipeline.summarize, "open_summarizer", never)
    code, out, err = site.run("sources.txt")
    assert code == 0 and site.chat.asked == 0
    assert summaries(out, "〔待编辑〕") == 3 and "AI 草稿" not in out and "summaries" not in err
    site.configure()
    code, out, _ = site.run("sources.txt", "--no-summarize")
    assert code == 0 and site.chat.asked == 0 and "AI 草稿" not in out


def test_configured_summaries_are_the_models_marked_as_its_drafts(site):
    site.configure()
    code, out, err = site.run("sources.txt", "-v")
    assert code == 0, err
    assert site.chat.asked == 3
    expected = chinese_summary([{}, {"content": "标题：Data Echoing"}])
    assert f"摘要：{expected}〔AI 草稿·待编辑〕  " in out.split("\n")
    assert summaries(out, "〔AI 草稿·待编辑〕") == 3 and summaries(out, "。〔待编辑〕") == 0
    assert "from fake-model:" in err and "prompt +" in err and "answer tokens" in err
    assert "summaries: 3 by the model (0 cached)" in err.strip().splitlines()[-1]
    user = site.chat.bodies[0]["messages"][1]["content"]
    assert field_of(user, "标题") in {"Data Echoing", "Quantization on phones", "A new edge NPU"}
    assert "编辑过去写的摘要" in site.chat.bodies[0]["messages"][0]["content"]


def test_a_second_run_asks_nothing_and_a_changed_page_is_asked_again(site):
    site.configure()
    first = site.json()
    assert site.chat.asked == 3 and {e["summary_source"] for e in first.values()} == {"model"}
    again = site.json("--refresh")  # pages refetched, unchanged: the answers are reused
    assert site.chat.asked == 3 and [e["summary"] for e in again.values()] == [e["summary"] for e in first.values()]
    site.server.route("/blog/npu", page("A new edge NPU", "The chip now also runs diffusion models."))
    site.json("--refresh")
    assert site.chat.asked == 4
    assert "diffusion" in site.chat.bodies[-1]["messages"][1]["content"]
    site.configure(model="another-model")  # another model is another question
    site.json()
    assert site.chat.asked == 7


def test_an_answer_in_the_wrong_language_is_retried_once_then_the_extractive_draft_stays(site):
    site.chat.answer = lambda messages: "This post explains the method in English, which is not what was asked."
    site.configure()
    code, out, err = site.run("sources.txt", "--format", "json")
    assert code == 0
    entries = json.loads(out)["entries"]
    assert site.chat.asked == 6  # each entry: the answer, and one retry that says what was wrong
    retry = site.chat.bodies[-1]["messages"]
    assert retry[-2]["role"] == "assistant" and "not in 简体中文" in retry[-1]["content"]
    assert {e["summary_source"] for e in entries} == {"fallback: checks failed twice (the answer is not in 简体中文)"}
    assert entries[0]["summary"].startswith("Data echoing reuses outputs")
    assert "extractive draft kept: checks failed twice" in err
    assert "3 extractive (3 failed checks)" in err.strip().splitlines()[-1]


def test_traditional_characters_are_retried_and_a_fixed_answer_is_used(site):
    answers = iter(
        [
            "這個方法讓開發者在邊緣設備上訓練網絡，對於資源受限的場景很實用。",
            "这个方法让开发者在边缘设备上训练网络，对于资源受限的场景很实用。",
        ]
    )
    site.chat.answer = lambda messages: next(answers)
    (site.dir / "sources.txt").write_text(site.server.url("/blog/echo") + "\n", encoding="utf-8")
    site.configure()
    entries = site.json()
    assert site.chat.asked == 2 and "Traditional" in site.chat.bodies[1]["messages"][-1]["content"]
    assert entries["echo"]["summary"] == "这个方法让开发者在边缘设备上训练网络，对于资源受限的场景很实用。"
    assert entries["echo"]["summary_source"] == "model"


def test_invented_numbers_mark_the_entry_for_checking(site):
    site.chat.answer = lambda messages: "文章介绍训练后量化，把模型压到 8 比特，精度损失在 1% 以内，速度提升 37 倍。"
    (site.dir / "sources.txt").write_text(site.server.url("/blog/quant") + "\n", encoding="utf-8")
    site.configure()
    code, out, _ = site.run("sources.txt")
    assert code == 0 and site.chat.asked == 2
    assert "37" in site.chat.bodies[1]["messages"][-1]["content"]
    assert "速度提升 37 倍。〔AI 草稿·待编辑〕〔数字待核〕  " in out
    entry = site.json()["quant"]
    assert entry["summary_source"] == "model" and entry["summary_numbers_unchecked"] is True
    assert site.chat.asked == 2  # the flagged answer is cached like any other


def test_numbers_taken_from_the_input_are_fine(site):
    site.chat.answer = lambda messages: "文章介绍训练后量化，把 MobileNetV2 压到 8 比特，精度损失在 1% 以内。"
    (site.dir / "sources.txt").write_text(site.server.url("/blog/quant") + "\n", encoding="utf-8")
    site.configure()
    code, out, _ = site.run("sources.txt")
    assert code == 0 and site.chat.asked == 1 and "以内。〔AI 草稿·待编辑〕  " in out and "数字待核" not in out


def test_a_server_that_silently_cuts_the_prompt_is_caught(site):
    site.chat.context = 40  # like Ollama with a small num_ctx: it reads the head and says nothing
    site.configure()
    entries = site.json()
    reason = entries["echo"]["summary_source"]
    assert reason.startswith("fallback: the server read only 40 of about ") and "context window" in reason
    assert entries["echo"]["summary"].startswith("Data echoing")
    assert site.chat.asked == 3  # no retry: the same input would be cut the same way


def test_an_answer_cut_at_max_tokens_is_not_used(site):
    site.configure(max_tokens=12)
    entries = site.json()
    assert site.chat.asked == 6
    assert entries["echo"]["summary_source"] == "fallback: checks failed twice (the answer was cut off at max_tokens)"


def test_a_hanging_endpoint_falls_back_quickly_and_never_fails_the_run(site):
    site.server.route(PATH, Reply(raw=hang(1.5)))
    (site.dir / "sources.txt").write_text(site.server.url("/blog/echo") + "\n", encoding="utf-8")
    site.configure(timeout=0.2)
    code, out, err = site.run("sources.txt")
    assert code == 0
    assert "摘要：Data echoing reuses outputs" in out and "〔待编辑〕" in out
    assert "extractive draft kept: the model did not answer within 0.2 s" in err
    assert "1 extractive (1 timed out)" in err


def test_429_is_retried_honouring_retry_after(site):
    site.server.sequence(
        PATH,
        error(
            429, "Rate limit reached for requests", type_="requests", code="rate_limit_exceeded", headers={"Retry-After": "20"}
        ),
        Reply(
            200,
            json.dumps(
                {
                    "model": "fake-model",
                    "choices": [
                        {
                            "index": 0,
                            "message": {
                                "role": "assistant",
                                "content": "数据回显复用输入流水线的输出，在加速器等待数据时加快训练。",
                            },
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 600, "completion_tokens": 30, "total_tokens": 630},
                }
            ),
        ),
    )
    (site.dir / "sources.txt").write_text(site.server.url("/blog/echo") + "\n", encoding="utf-8")
    site.configure()
    entries = site.json()
    assert site.sleeps == [20.0] and entries["echo"]["summary_source"] == "model"


def test_the_budget_stops_the_asking_and_the_rest_stay_extractive(site):
    # A request is sent only when its estimated prompt (about 580 tokens here) plus max_tokens
    # fit in what is left; what it really cost (about 580 tokens, as the endpoint reports) is
    # then charged. 1,500 tokens: two requests, and the third finds about 350 left.
    site.configure(budget_tokens=1500, max_tokens=300, concurrency=1)
    code, out, err = site.run("sources.txt", "--format", "json")
    entries = json.loads(out)["entries"]
    assert code == 0 and site.chat.asked == 2
    assert [e["summary_source"] for e in entries] == ["model", "model", "fallback: budget spent"]
    assert entries[2]["summary"].startswith("The chip runs transformer models")
    assert "1 extractive (1 budget spent)" in err.strip().splitlines()[-1]
    site.configure(budget_tokens=0)
    assert {e["summary_source"] for e in site.json().values()} == {"model", "fallback: budget spent"}
    assert site.chat.asked == 2  # cached answers cost nothing; nothing new was asked


def test_the_key_goes_to_the_endpoint_and_nowhere_else(site, monkeypatch):
    monkeypatch.setenv("ENRICH_TEST_LLM_KEY", KEY)
    answers = iter([error(401, f"Incorrect API key provided: {KEY}", code="invalid_api_key")])
    site.chat.answer = lambda messages: next(answers, None) or chinese_summary(messages)
    site.configure(api_key_env="ENRICH_TEST_LLM_KEY")
    code, md, err_md = site.run("sources.txt", "-v", "-o", "draft.md")
    code_json, out_json, err_json = site.run("sources.txt", "-v", "--format", "json")
    assert code == 0 and code_json == 0
    assert {h["authorization"] for h in site.chat.headers} == {f"Bearer {KEY}"}
    assert "HTTP 401: Incorrect API key provided: *** (invalid_api_key)" in err_md
    written = (site.dir / "draft.md").read_text(encoding="utf-8")
    cache = b"".join(p.read_bytes() for p in (site.dir / "cache").iterdir() if p.is_file())
    for text in (md, err_md, out_json, err_json, written):
        assert KEY not in text and KEY[:12] not in text
    assert KEY.encode() not in cache and KEY[:12].encode() not in cache


def test_a_missing_key_variable_leaves_the_summaries_extractive(site, monkeypatch):
    monkeypatch.delenv("ENRICH_TEST_LLM_KEY", raising=False)
    site.configure(api_key_env="ENRICH_TEST_LLM_KEY")
    entries = site.json()
    assert site.chat.asked == 0
    assert entries["echo"]["summary_source"] == "fallback: ENRICH_TEST_LLM_KEY is not set"


def test_an_entry_already_in_the_draft_is_not_asked_about_nor_touched(site):
    echo = site.server.url("/blog/echo")
    edited = f"# 嵌入式AI简报 (2026-11-23)  \n\n## 博文  \n\n- [数据回显 | 示例博客]({echo})  \n摘要：编辑自己写的摘要。  \n"
    (site.dir / "draft.md").write_text(edited, encoding="utf-8")
    site.configure()
    code, _, err = site.run("sources.txt", "-o", "draft.md")
    assert code == 0, err
    assert site.chat.asked == 2
    assert all("Data Echoing" not in b["messages"][1]["content"] for b in site.chat.bodies)
    text = (site.dir / "draft.md").read_text(encoding="utf-8")
    assert text.startswith(edited) and text.count("〔AI 草稿·待编辑〕") == 2


def test_offline_uses_cached_answers_only(site):
    site.configure()
    site.json()
    assert site.chat.asked == 3
    entries = site.json("--offline")
    assert site.chat.asked == 3 and {e["summary_source"] for e in entries.values()} == {"model"}
    rows = sqlite3.connect(site.dir / "cache" / "enrich.sqlite3").execute("SELECT key, model FROM summaries").fetchall()
    assert len(rows) == 3 and {model for _, model in rows} == {"fake-model"}


@pytest.mark.parametrize(
    ("settings", "args", "message"),
    [
        ({}, ["--summarize"], "--summarize needs an endpoint"),
        ({"endpoint": "http://10.1.2.3:11434/v1", "model": "m"}, [], "allow_insecure_http"),
        ({"endpoint": "https://api.example.com/v1"}, [], "[summarize] model is not set"),
        ({"endpoint": "https://api.example.com/v1", "model": "m", "prompt": "missing.txt"}, [], "cannot read it"),
        ({"endpoint": "ftp://example.com", "model": "m"}, [], "must be an http(s) address"),
        ({"endpoint": "https://api.example.com/v1", "model": "m", "budget_tokens": -1}, [], "must be 0 or more"),
    ],
)
def test_settings_that_cannot_work_stop_the_run_before_anything_is_fetched(site, settings, args, message):
    lines = ["[summarize]", *(f"{k} = {json.dumps(v)}" for k, v in settings.items())]
    (site.dir / "enrich.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = site.run("sources.txt", *args)
    assert code == 2 and out == "" and message in err
    assert site.server.hits("/blog/echo") == [] and site.chat.asked == 0


def test_an_editors_prompt_file_replaces_the_instructions(site):
    (site.dir / "prompt.txt").write_text("用$language写不超过$length字的摘要，语气轻松。", encoding="utf-8")
    site.configure(prompt="prompt.txt", length=120)
    site.json()
    assert site.chat.bodies[0]["messages"][0]["content"].startswith("用简体中文写不超过120字的摘要，语气轻松。")


def test_cache_commands_count_and_prune_the_answers(site):
    site.configure()
    site.json()
    out = io.StringIO()
    assert main(["cache", "stats"], stdout=out, stderr=io.StringIO()) == 0
    assert "model summaries 3" in out.getvalue()
    out = io.StringIO()
    assert main(["cache", "prune", "--days", "1"], stdout=out, stderr=io.StringIO()) == 0
    assert out.getvalue().startswith("removed 0 records unused")
    out = io.StringIO()
    assert main(["cache", "prune", "--days", "0"], stdout=out, stderr=io.StringIO()) == 0
    assert out.getvalue().startswith("removed 3 records and 3 model summaries unused for 0 days")
    site.json()
    assert site.chat.asked == 6


def test_a_failure_inside_the_summarizer_costs_the_summary_never_the_draft(site, monkeypatch):
    real = pipeline.summarize.Summarizer.ask

    def ask(self, item, request):
        if "echo" in item.key:
            raise RuntimeError("a bug")
        return real(self, item, request)

    monkeypatch.setattr(pipeline.summarize.Summarizer, "ask", ask)
    site.configure()
    code, out, err = site.run("sources.txt", "--format", "json")
    entries = {e["url"].rsplit("/", 1)[-1]: e for e in json.loads(out)["entries"]}
    assert code == 0 and "RuntimeError: a bug" in err
    assert entries["echo"]["summary_source"] == "fallback: summarizer error: RuntimeError"
    assert entries["quant"]["summary_source"] == "model"


def test_every_summarize_setting_is_documented_and_checked():
    from pipeline.config import (
        ConfigError,
        SummarizeSettings,
        documented_settings,
        parse_config,
    )

    assert all(doc for _name, _default, doc in documented_settings(SummarizeSettings))
    assert parse_config({"summarize": {"timeout": 5}}).summarize.timeout == 5.0
    for bad, named in [
        ({"concurrency": 0}, "[summarize] concurrency = 0: must be greater than 0"),
        ({"language": " "}, "[summarize] language = ' ': must not be empty"),
        ({"allow_insecure_http": "yes"}, "must be true or false"),
        ({"api_key": "sk-..."}, "[summarize] has no key 'api_key'"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(named)):
            parse_config({"summarize": bad})


PAST_ISSUE = """# 嵌入式AI简报 (2020-05-15)

## 博文

- [端侧推理的一次尝试 | 示例博客](https://example.org/blog/on-device)  
摘要：作者在手机上把模型量化到八位，推理速度翻倍，精度几乎不变，并开源了转换脚本。文章从校准数据的选择讲起，逐层比较了对称与非对称量化的误差，最后给出在三款主流芯片上的实测结果，适合准备把模型搬到端侧的读者参考。  
"""


def test_the_editors_archive_gives_the_examples_of_the_voice(site):
    archive = site.dir / "issues"
    archive.mkdir()
    (archive / "2020-05-15.md").write_text(PAST_ISSUE, encoding="utf-8")
    site.configure()
    code, _, err = site.run("sources.txt", "--archive", str(archive))
    assert code == 0, err
    system = site.chat.bodies[0]["messages"][0]["content"]
    assert "《端侧推理的一次尝试》 作者在手机上把模型量化到八位" in system
