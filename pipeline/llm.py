"""One client for every OpenAI-compatible chat-completions endpoint (hosted APIs, Ollama, llama.cpp, vLLM)."""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from pipeline.retry import (
    FetchError,
    PermanentError,
    RetryPolicy,
    TransientError,
    parse_retry_after,
)
from pipeline.secrets import Redactor

log = logging.getLogger("pipeline.llm")

USER_AGENT = "enrich-summarizer"
# The server's own error text is shown to the editor, but never at length.
ERROR_TEXT_LIMIT = 200


class EndpointError(ValueError):
    """The configured endpoint may not be used (bad URL, plain http to another machine)."""


@dataclass(frozen=True)
class Answer:
    """One completion: the text, why it ended, and what the server says it cost."""

    text: str
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    model: str

    @property
    def total_tokens(self) -> int:
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: str, allow_insecure_http: bool) -> str:
    """The base URL without a trailing slash; refuses what would send a key or text in the clear."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(f"[summarize] endpoint = {endpoint!r}: must be an http:// or https:// URL")
    if parts.username or parts.password:
        raise EndpointError("[summarize] endpoint: put the key in the variable api_key_env names, not in the URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_insecure_http:
        raise EndpointError(
            f"[summarize] endpoint = {endpoint!r}: plain http:// to another machine would send the key and the "
            "texts in the clear; use https://, or set allow_insecure_http = true"
        )
    return endpoint.rstrip("/")


class ChatClient:
    """POST {endpoint}/chat/completions, non-streaming. 429, 5xx and dropped connections are
    retried by `retry` (the project's one policy); a timeout is not, since a model that needed
    longer than `timeout` once will need it again."""

    def __init__(
        self,
        endpoint: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        allow_insecure_http: bool = False,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.url = check_endpoint(endpoint, allow_insecure_http) + "/chat/completions"
        self.model = model
        self.timeout = timeout
        self.retry = retry or RetryPolicy(attempts=3, base_delay=2.0, max_delay=60.0, deadline=timeout * 3)
        self.redact = Redactor([api_key])
        self._key_prefix = api_key[:8] if api_key and len(api_key) >= 12 else None
        headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        # No redirects: the key goes to the configured endpoint and nowhere else.
        self.http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float = 0.2) -> Answer:
        """The model's answer to `messages`; raises FetchError with a reason fit for the editor."""
        body = {"model": self.model, "messages": messages, "max_tokens": max_tokens, "temperature": temperature, "stream": False}
        return self.retry.call(lambda: self._post(body))

    def _post(self, body: dict[str, Any]) -> Answer:
        try:
            response = self.http.post(self.url, json=body)
        except httpx.TimeoutException:
            raise PermanentError(f"the model did not answer within {self.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise TransientError(self._clean(f"cannot reach the endpoint: {type(exc).__name__}")) from None
        except httpx.HTTPError as exc:  # a malformed answer on the wire, a decoding failure, ...
            raise PermanentError(self._clean(f"the endpoint's answer cannot be read: {type(exc).__name__}")) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(self._error_reason(response), retry_after=parse_retry_after(response.headers.get("retry-after")))
        if response.status_code != 200:
            raise PermanentError(self._error_reason(response))
        return self._answer(response)

    def _answer(self, response: httpx.Response) -> Answer:
        try:
            data = response.json()
            choice = data["choices"][0]
            text = choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise PermanentError("the endpoint's answer is not a chat completion") from None
        if not isinstance(text, str):
            raise PermanentError("the endpoint's answer has no text")
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        return Answer(
            text=text,
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
            completion_tokens=_int_or_none(usage.get("completion_tokens")),
            model=str(data.get("model") or self.model),
        )

    def _error_reason(self, response: httpx.Response) -> str:
        """`HTTP 401: Incorrect API key provided (invalid_api_key)` from the documented error body
        `{"error": {"message", "type", "code"}}`; just the status when the body is anything else."""
        reason = f"HTTP {response.status_code}"
        try:
            error = json.loads(response.content).get("error")
        except (ValueError, AttributeError):
            error = None
        if isinstance(error, str):
            error = {"message": error}
        if isinstance(error, dict) and error.get("message"):
            message = " ".join(str(error["message"]).split())[:ERROR_TEXT_LIMIT]
            code = error.get("code") or error.get("type")
            reason += f": {message}" + (f" ({code})" if code else "")
        return self._clean(reason)

    def _clean(self, text: str) -> str:
        """Without the key, nor the partial key some APIs echo back (`sk-abc123**********wxyz`)."""
        text = self.redact(text)
        if self._key_prefix and self._key_prefix in text:
            text = re.sub(re.escape(self._key_prefix) + r"\S*", "***", text)
        return text


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


__all__ = ["Answer", "ChatClient", "EndpointError", "FetchError", "check_endpoint", "is_loopback"]
