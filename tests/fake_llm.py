"""A fake OpenAI-compatible chat-completions endpoint for the local test server: the documented
request and response shapes (`choices[].message`, `finish_reason`, `usage`), error bodies
`{"error": {"message", "type", "param", "code"}}`, and a context window it silently cuts the
prompt to, as Ollama does."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.localserver import Reply, Request

PATH = "/v1/chat/completions"
JSON = {"Content-Type": "application/json"}
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def count_tokens(text: str) -> int:
    """The fake's tokenizer: one token per CJK character, one per four other characters."""
    cjk = len(_CJK.findall(text))
    return cjk + (len(text) - cjk + 3) // 4


def field_of(message: str, name: str) -> str:
    """A `名称：value` line of the user message the summarizer sends."""
    match = re.search(rf"^{name}：(.*)$", message, re.MULTILINE)
    return match.group(1).strip() if match else ""


def chinese_summary(messages: list[dict]) -> str:
    """A plausible answer in Simplified Chinese that uses only what the input says."""
    user = messages[1]["content"] if len(messages) > 1 else ""
    title = field_of(user, "标题")
    return f"{title}介绍了一种面向端侧部署的新方法，在保持精度的同时降低了推理开销，适合移动设备和嵌入式平台参考。"


def completion(text: str, *, model: str, prompt_tokens: int, completion_tokens: int, finish_reason: str = "stop") -> dict:
    return {
        "id": "chatcmpl-test0001",
        "object": "chat.completion",
        "created": 1_777_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def error(
    status: int,
    message: str,
    *,
    type_: str = "invalid_request_error",
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return Reply(status, json.dumps(body), {**JSON, **(headers or {})})


Answerer = Callable[[list[dict]], "str | Reply"]


@dataclass
class FakeChat:
    """Answers with `answer(messages)` (a text, or a Reply for errors and faults)."""

    answer: Answerer = chinese_summary
    model: str = "fake-model"
    context: int | None = None  # prompt tokens beyond this are dropped without a word
    bodies: list[dict] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, req: Request) -> Reply:
        if req.method != "POST":
            return error(405, "Method not allowed")
        try:
            body = json.loads(req.body)
        except ValueError:
            return error(400, "We could not parse the JSON body of your request.")
        with self._lock:
            self.bodies.append(body)
            self.headers.append(req.headers)
        messages = body.get("messages")
        if not isinstance(messages, list) or not body.get("model"):
            return error(400, "you must provide a model parameter and messages", code="invalid_request")
        result = self.answer(messages)
        if isinstance(result, Reply):
            return result
        prompt_tokens = sum(count_tokens(m["content"]) for m in messages) + 8
        if self.context is not None:
            prompt_tokens = min(prompt_tokens, self.context)
        text, finish = result, "stop"
        limit = body.get("max_tokens")
        if isinstance(limit, int) and count_tokens(text) > limit:
            while count_tokens(text) > limit:
                text = text[:-1]
            finish = "length"
        return Reply(
            200,
            json.dumps(
                completion(
                    text,
                    model=self.model,
                    prompt_tokens=prompt_tokens,
                    completion_tokens=count_tokens(text),
                    finish_reason=finish,
                ),
                ensure_ascii=False,
            ),
            JSON,
        )

    @property
    def asked(self) -> int:
        with self._lock:
            return len(self.bodies)
