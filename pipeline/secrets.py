"""Keeps credentials out of everything the tool writes: errors, logs, cache, draft."""

from __future__ import annotations

import logging
import os

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


class Redactor:
    """Replaces every known secret value in a text with `***`; a second line of defence behind
    stages that already build their messages without credentials."""

    def __init__(self, secrets: list[str | None] | None = None):
        if secrets is None:
            secrets = [os.environ.get(name) for name in TOKEN_VARIABLES]
        # Very short values would redact ordinary words; real tokens are long.
        self.secrets = sorted({s.strip() for s in secrets if s and len(s.strip()) >= 8}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in sorted({*self.secrets, *_REGISTERED}, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, "***")
        return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the rendered message (arguments and tracebacks included)."""

    def __init__(self, redact: Redactor):
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        if self.redact.secrets or _REGISTERED:
            record.msg = self.redact(record.getMessage())
            record.args = None
            if record.exc_info:
                record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True
