"""The chat-completions client against a local endpoint, and the pure parts of the summarizer:
answer checks, examples of the editor's voice, trimming to the model's window."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import pytest

from pipeline.answer_checks import (
    SIMPLIFIED_ONLY,
    TRADITIONAL_ONLY,
    check_answer,
    numbers_in,
    script_for,
    tidy_answer,
)
from pipeline.llm import ChatClient, EndpointError, check_endpoint
from pipeline.models import ArxivRecord, GithubRecord, WebRecord
from pipeline.prompts import (
    SummaryInput,
    build_request,
    builtin_examples,
    estimate_tokens,
    instructions,
    pick_examples,
    summary_input,
)
from pipeline.retry import FetchError, RetryPolicy
from tests.fake_llm import PATH, FakeChat, error
from tests.localserver import Reply, hang

KEY = "sk-proj-Plant3dKeyThatMustNeverLeak0123456789"


def client_for(
    server, chat: FakeChat | None = None, *, key: str | None = None, timeout: float = 5.0, sleeps: list[float] | None = None
) -> ChatClient:
    if chat is not None:
        server.route(PATH, chat)
    slept = sleeps if sleeps is not None else []
    retry = RetryPolicy(attempts=3, base_delay=1.0, max_delay=60.0, deadline=300.0, sleep=slept.append, jitter=lambda: 1.0)
    return ChatClient(server.url("/v1"), "fake-model", api_key=key, timeout=timeout, retry=retry)


MESSAGES = [{"role": "system", "content": "写摘要"}, {"role": "user", "content": "标题：X\n正文：\nText."}]


# -- the client --------------------------------------------------------------------------------
def test_request_and_answer_have_the_documented_shapes(server):
    chat = FakeChat(answer=lambda messages: "一段摘要。")
    client = client_for(server, chat, key=KEY)
    answer = client.complete(MESSAGES, max_tokens=300)
    body, headers = chat.bodies[0], chat.headers[0]
    assert body == {"model": "fake-model", "messages": MESSAGES, "max_tokens": 300, "temperature": 0.2, "stream": False}
    assert headers["authorization"] == f"Bearer {KEY}" and headers["content-type"] == "application/json"
    assert answer.text == "一段摘要。" and answer.finish_reason == "stop" and answer.model == "fake-model"
    assert answer.prompt_tokens and answer.completion_tokens == 5
    assert answer.total_tokens == answer.prompt_tokens + 5


def test_a_local_server_gets_no_authorization_header(server):
    chat = FakeChat(answer=lambda messages: "一段摘要。")
    client_for(server, chat).complete(MESSAGES, max_tokens=50)
    assert "authorization" not in chat.headers[0]


def test_429_is_retried_after_the_time_the_server_asks(server):
    server.sequence(
        PATH,
        error(429, "Rate limit reached", type_="requests", code="rate_limit_exceeded", headers={"Retry-After": "7"}),
        Reply(200, json.dumps({"model": "m", "choices": [{"message": {"content": "好的摘要"}, "finish_reason": "stop"}]})),
    )
    sleeps: list[float] = []
    answer = client_for(server, sleeps=sleeps).complete(MESSAGES, max_tokens=50)
    assert answer.text == "好的摘要" and answer.prompt_tokens is None  # no usage: unknown, not zero
    assert sleeps == [7.0] and len(server.hits(PATH)) == 2


def test_5xx_is_retried_within_bounds_then_reported(server):
    server.route(PATH, error(503, "The server is overloaded", type_="server_error"))
    sleeps: list[float] = []
    with pytest.raises(FetchError) as caught:
        client_for(server, sleeps=sleeps).complete(MESSAGES, max_tokens=50)
    assert len(server.hits(PATH)) == 3 and len(sleeps) == 2
    assert caught.value.reason == "HTTP 503: The server is overloaded (server_error)"


def test_an_error_body_is_reported_without_the_key_even_when_the_server_echoes_it(server):
    echoed = f"Incorrect API key provided: {KEY[:10]}{'*' * 20}{KEY[-4:]}. Or the whole thing: {KEY}"
    server.route(PATH, error(401, echoed, code="invalid_api_key"))
    with pytest.raises(FetchError) as caught:
        client_for(server, key=KEY).complete(MESSAGES, max_tokens=50)
    reason = caught.value.reason
    assert reason.startswith("HTTP 401: Incorrect API key provided: ") and reason.endswith("(invalid_api_key)")
    assert KEY not in reason and KEY[:10] not in reason and len(server.hits(PATH)) == 1  # 4xx: no retry


def test_a_server_that_hangs_costs_the_timeout_once(server):
    server.route(PATH, Reply(raw=hang(2.0)))
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        client_for(server, timeout=0.3).complete(MESSAGES, max_tokens=50)
    assert caught.value.reason == "the model did not answer within 0.3 s"
    assert time.monotonic() - started < 1.5 and len(server.hits(PATH)) == 1


def test_an_answer_that_is_not_a_completion_is_an_error(server):
    server.route(PATH, Reply(200, "<html>proxy login</html>", {"Content-Type": "text/html"}))
    with pytest.raises(FetchError, match="not a chat completion"):
        client_for(server).complete(MESSAGES, max_tokens=50)


def test_redirects_are_not_followed_so_the_key_stays_with_the_endpoint(server):
    server.route(PATH, Reply(307, "", {"Location": "http://example.invalid/steal"}))
    with pytest.raises(FetchError, match="HTTP 307"):
        client_for(server, key=KEY).complete(MESSAGES, max_tokens=50)


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:11434/v1", "http://localhost:8080/v1", "http://[::1]:8000/v1", "https://api.example.com/v1"]
)
def test_local_and_https_endpoints_are_accepted(endpoint):
    assert check_endpoint(endpoint + "/", allow_insecure_http=False) == endpoint


def test_plain_http_to_another_machine_is_refused_unless_allowed():
    with pytest.raises(EndpointError, match="allow_insecure_http"):
        check_endpoint("http://192.168.1.20:11434/v1", allow_insecure_http=False)
    assert check_endpoint("http://192.168.1.20:11434/v1", allow_insecure_http=True)
    with pytest.raises(EndpointError, match="not in the URL"):
        check_endpoint(f"https://user:{KEY}@api.example.com/v1", allow_insecure_http=False)


# -- checks on answers -----------------------------------------------------------------------------
SOURCE = "We propose ActNN, which trains with 2-bit activations and cuts memory by 12x on 8 GPUs in 2021."


def check(text: str, language: str = "简体中文", length: int = 240, finish_reason: str | None = "stop"):
    return check_answer(text, source_text=SOURCE, language=language, length=length, finish_reason=finish_reason)


def test_a_good_simplified_answer_with_english_names_passes():
    verdict = check("ActNN 用 2-bit 激活压缩训练神经网络，在 8 块 GPU 上把显存占用降到原来的十二分之一，适合 PyTorch 用户。")
    assert verdict.ok, verdict


def test_an_english_answer_is_not_chinese():
    verdict = check("ActNN trains neural networks with 2-bit activations and saves a lot of memory.")
    assert verdict.problems == ["the answer is not in 简体中文"]


def test_traditional_characters_are_not_simplified():
    verdict = check("這個框架讓開發者在邊緣設備上訓練網絡，顯存佔用大幅下降，對於資源受限的場景很實用。")
    assert verdict.problems == ["the answer is in Traditional characters, not 简体中文"]
    assert check("这个框架让开发者在边缘设备上训练网络，显存占用大幅下降，对于资源受限的场景很实用。").ok


def test_asking_for_traditional_refuses_simplified():
    assert check("这个框架让开发者在边缘设备上训练网络，显存占用大幅下降。", language="繁體中文").problems
    assert check("這個框架讓開發者在邊緣設備上訓練網絡，顯存佔用大幅下降。", language="繁體中文").ok


def test_an_english_summary_may_be_asked_for():
    assert check("ActNN trains networks with 2-bit activations, cutting memory use sharply.", language="English").ok
    assert check("ActNN 用低比特激活压缩训练神经网络，显存占用大幅下降。", language="English").problems


def test_the_character_tables_hold_only_characters_of_one_script():
    def encodable(char: str, codec: str) -> bool:
        try:
            char.encode(codec)
        except UnicodeEncodeError:
            return False
        return True

    assert not [c for c in TRADITIONAL_ONLY if encodable(c, "gb2312")]
    assert not [c for c in SIMPLIFIED_ONLY if encodable(c, "big5")]


def test_numbers_the_input_does_not_hold_are_named():
    verdict = check("ActNN 用 2-bit 激活训练，显存降低 12 倍，速度提升 37%，在 2021 年发布。")
    assert verdict.problems == [] and verdict.unbacked_numbers == ["37"] and not verdict.ok
    assert numbers_in("1,000 个样本，3.5 倍，v2") == {"1000", "3.5", "2"}


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("ActNN 用低比特激活训练。\n\n第二段：显存降低。", "more than one paragraph"),
        ("## ActNN\nActNN 用低比特激活训练神经网络。", "more than one paragraph"),
        ("ActNN 用低比特激活训练，详见 [论文](https://arxiv.org/abs/2104.14129)。", "a Markdown link"),
        ("- [ActNN] 用低比特激活训练神经网络，显存占用大幅下降。", "a heading, quote or list"),
        ("ActNN 用低比特激活训练神经网络，代码见 https://github.com/ucbrise/actnn 。", "a URL"),
    ],
)
def test_markdown_that_would_break_the_entry_is_refused(answer, problem):
    assert any(problem in p for p in check(answer).problems), check(answer).problems


def test_length_and_cut_off_answers_are_refused():
    assert check("显存" * 200).problems == ["the answer has 400 characters, more than 300"]
    assert check("ActNN 用低比特激活训练神经网络，显", finish_reason="length").problems == [
        "the answer was cut off at max_tokens"
    ]
    assert check("好").problems == ["the answer is empty or too short"]


def test_what_models_wrap_around_an_answer_is_taken_off():
    assert tidy_answer("<think>先想想……</think>\n摘要：“ActNN 降低显存。”") == "ActNN 降低显存。"


def test_language_names():
    assert script_for("简体中文").chinese and not script_for("简体中文").traditional
    assert script_for("zh-TW").traditional and script_for("English").english
    assert script_for("Deutsch") == script_for("Deutsch").__class__()


# -- the input and the editor's voice ------------------------------------------------------------
@dataclass(frozen=True)
class PastEntry:  # what the archive gives: duck-typed, only these fields are read
    date: str
    section: str
    kind: str
    title: str
    source: str | None
    summary: str
    urls: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()


def past(date: str, kind: str, title: str, length: int) -> PastEntry:
    return PastEntry(date, "论文", kind, title, None, "摘" * length)


def test_examples_are_the_latest_entries_of_the_same_kind_and_a_usable_length():
    archive = [
        past("2020-01-06", "arxiv", "old", 200),
        past("2021-07-18", "arxiv", "newest", 220),
        past("2021-06-01", "github", "a repo", 200),
        past("2021-05-01", "arxiv", "too short", 20),
        past("2021-04-01", "arxiv", "too long", 900),
        past("2021-03-01", "arxiv", "middle", 250),
        past("2021-07-19", "arxiv", "The Same Paper", 240),
    ]
    picked = pick_examples(archive, "arxiv", length=240, count=2, exclude_title="the same paper")
    assert [e.title for e in picked] == ["newest", "middle"]
    assert [e.title for e in pick_examples(archive, "github", length=240)] == ["a repo"]
    assert pick_examples([], "web", length=240) == []


def test_the_request_shows_examples_and_keeps_the_window():
    item = SummaryInput("arxiv:1", "arxiv", "ActNN", "arXiv", "check the numbers", "A sentence. " * 3000)
    prompt = instructions(None, language="简体中文", length=240)
    request = build_request(item, prompt, builtin_examples("arxiv"), context_tokens=2048, max_tokens=400)
    system, user = request.messages[0]["content"], request.messages[1]["content"]
    assert "简体中文" in system and "240" in system and builtin_examples("arxiv")[0].summary in system
    assert "标题：ActNN" in user and "编辑备注：check the numbers" in user and "来源：arXiv" in user
    assert request.trimmed_from == len(item.text) and user.endswith("A sentence.…")
    assert request.estimated_prompt_tokens + 400 <= 2048
    short = build_request(
        SummaryInput("arxiv:1", "arxiv", "ActNN", "arXiv", None, "Short."), prompt, [], context_tokens=2048, max_tokens=400
    )
    assert short.trimmed_from is None and short.fingerprint != request.fingerprint


def test_the_best_text_of_each_kind():
    paper = summary_input("arxiv:1", "arxiv", ArxivRecord(id="1", title="T", abstract="Abstract: We do X."), None)
    assert paper is not None and paper.text == "We do X." and paper.source == "arXiv"
    repo = summary_input("github:o/r", "github", GithubRecord(full_name="o/r", description="Fast.", readme="It runs."), "n")
    assert repo is not None and repo.text == "Fast.\nIt runs." and repo.note == "n"
    page = summary_input("web:x", "web", WebRecord(title="P", description="Short.", text="The lead."), None)
    assert page is not None and page.text == "The lead."
    assert summary_input("web:y", "web", WebRecord(title="P"), None) is None


def test_token_estimates_are_generous_for_chinese_and_english():
    assert estimate_tokens("模型压缩") == 4 and estimate_tokens("a" * 35) == 10


# -- the model's draft in the entry ------------------------------------------------------------------
def test_a_repositorys_model_summary_keeps_its_facts_line_and_says_where_it_comes_from():
    from pipeline.draft import render_json, render_markdown
    from tests.draft_builders import entry, github_link

    repo = entry(
        github_link("o/fastnet"),
        {"full_name": "o/fastnet", "description": "Fast inference.", "language": "C++", "stars": 1200, "license": "MIT"},
    )
    repo.model_summary, repo.summary_source, repo.numbers_unchecked = "一个快速推理框架，支持多种后端。", "model", True
    text = render_markdown([repo], date="2026-11-23")
    assert "摘要：一个快速推理框架，支持多种后端。〔AI 草稿·待编辑〕〔数字待核〕  \nC++ · ★ 1.2k · MIT  \n" in text
    plain = render_markdown([repo], date="2026-11-23", template="plain")
    assert "一个快速推理框架，支持多种后端。 [AI draft] [check the numbers]" in plain
    document = json.loads(render_json([repo]))["entries"][0]
    assert document["summary"] == "一个快速推理框架，支持多种后端。\nC++ · ★ 1.2k · MIT"
    assert document["summary_source"] == "model" and document["summary_numbers_unchecked"] is True
    repo.model_summary, repo.summary_source = None, "fallback: budget spent"
    document = json.loads(render_json([repo]))["entries"][0]
    assert document["summary"].startswith("Fast inference.") and document["summary_source"] == "fallback: budget spent"
    assert "摘要：Fast inference.〔待编辑〕" in render_markdown([repo], date="2026-11-23")


def test_the_editors_archive_gives_the_examples_when_there_is_one():
    from pipeline.config import SummarizeSettings
    from pipeline.summarize import Summarizer

    settings = SummarizeSettings(endpoint="http://127.0.0.1:9/v1", model="m")
    item = SummaryInput("arxiv:1", "arxiv", "ActNN", "arXiv", None, "We propose ActNN.")
    archived = PastEntry("2021-07-18", "论文", "arxiv", "HRank", None, "编辑写的论文摘要，" * 20)
    with_archive = Summarizer(settings, None, archive=[archived]).request_for(item).messages[0]["content"]
    assert archived.summary in with_archive and builtin_examples("arxiv")[0].summary not in with_archive
    quoted = PastEntry("2021-07-19", "论文", "arxiv", "XNNPACK", None, "XNNPACK is a highly optimized library. " * 5)
    linked = PastEntry("2021-07-20", "论文", "arxiv", "Lecture", None, "课程讲义见 https://example.edu/notes 。" * 6)
    picked = Summarizer(settings, None, archive=[archived, quoted, linked]).request_for(item).messages[0]["content"]
    assert archived.summary in picked and "XNNPACK" not in picked and "example.edu" not in picked
    without = Summarizer(settings, None).request_for(item).messages[0]["content"]
    assert builtin_examples("arxiv")[0].summary in without
