"""Keeps credentials out of everything the tool writes: errors, logs, cache, draft."""

from __future__ import annotations

import logging
import os
import re

TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
# Secrets learnt after start-up (the summarizer's API key, named by the config file): every
# Redactor, including the one the log handler was given before the config was read, hides them.
_REGISTERED: set[str] = set()


def register_secret(value: str | None) -> None:
    if value and len(value.strip()) >= 8:
        _REGISTERED.add(value.strip())


def github_token() -> str | None:
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


REDACTED = "***"

# Credentials recognisable by their shape, whoever's they are: GitHub's token formats, and the
# value after an Authorization header or a token/key/secret/password parameter (in a URL, a
# form or JSON). Values shorter than 8 characters are left: they are words, not secrets.
_GITHUB_TOKEN = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{30,255})\b")
# After "Authorization:" a scheme word, or a value with a digit in it: "Authorization: framework
# for ..." in a title is prose, "Authorization: Bearer abc..." and "authorization=c2VjcmV0..." are not.
_VALUE = r"[^\s\"',;&]"
_AUTHORIZATION = re.compile(
    rf"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)"
    rf"(?:((?:bearer|token|basic|digest)\s+){_VALUE}{{8,}}|(?={_VALUE}{{8,}}){_VALUE}*\d{_VALUE}*)"
)
_SECRET_NAME = r"[\w-]*(?:token|api[_-]?key|apikey|secret|passw(?:or)?d)"
# `name=value` (URLs, forms, environment) or `"name": "value"` (JSON); a bare `name: value` is
# left alone, since prose says that too ("Beyond the token: attention ...").
_SECRET_PARAMETER = re.compile(rf"(?i)(\b{_SECRET_NAME}\s*=\s*[\"']?|[\"']{_SECRET_NAME}[\"']\s*:\s*[\"'])[^\s\"',;&<>]{{8,}}")


class Redactor:
    """The one redactor: replaces every known secret value (the GitHub token variables, or the
    secrets given) and anything shaped like a credential with `***`. Every text the tool writes
    (errors, logs, records before they are cached, the draft, the summary) passes through it."""

    def __init__(self, secrets: list[str | None] | None = None):
        if secrets is None:
            secrets = [os.environ.get(name) for name in TOKEN_VARIABLES]
        # Very short values would redact ordinary words; real tokens are long.
        self.secrets = sorted({s.strip() for s in secrets if s and len(s.strip()) >= 8}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in sorted({*self.secrets, *_REGISTERED}, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        if "_" in text:
            text = _GITHUB_TOKEN.sub(REDACTED, text)
        if "=" in text or ":" in text:
            text = _AUTHORIZATION.sub(lambda m: m.group(1) + (m.group(2) or "") + REDACTED, text)
            text = _SECRET_PARAMETER.sub(lambda m: m.group(1) + REDACTED, text)
        return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the rendered message (arguments and tracebacks included)."""

    def __init__(self, redact: Redactor):
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
