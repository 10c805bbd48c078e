"""The optional model summarizer for one run: which entries to ask about, within what budget, with answers checked and cached."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.answer_checks import check_answer, retry_hint, tidy_answer
from pipeline.archive import identity_key
from pipeline.config import SummarizeSettings
from pipeline.llm import Answer, ChatClient
from pipeline.models import Entry
from pipeline.prompts import (
    Request,
    SummaryInput,
    build_request,
    builtin_examples,
    instructions,
    pick_examples,
    summary_input,
)
from pipeline.retry import FetchError
from pipeline.secrets import register_secret

log = logging.getLogger("pipeline.summarize")

DB_NAME = "enrich.sqlite3"  # the run's cache database; the answers live in a table of their own
# The server read far fewer prompt tokens than were sent: it cut the input to its own window.
TRUNCATION_RATIO = 0.5

_ANSWERS = """
CREATE TABLE IF NOT EXISTS summaries (
    question     TEXT PRIMARY KEY,  -- hash of entry key, messages sent, model, language, length
    key          TEXT NOT NULL,     -- the entry's key, for looking inside
    model        TEXT NOT NULL,
    summary      TEXT,              -- the accepted answer; NULL when the checks refused it twice
    reason       TEXT,              -- why it was refused
    numbers_unchecked INTEGER NOT NULL DEFAULT 0,
    tokens       INTEGER NOT NULL,  -- what asking cost, prompts and answers of both tries
    created_at   REAL NOT NULL,
    last_used    REAL NOT NULL      -- last run that showed it (for `enrich cache prune`)
)
"""
DAY = 86400.0


class SummarizerSetupError(ValueError):
    """The [summarize] settings cannot work (exit code 2, before anything is fetched)."""


@dataclass
class Outcome:
    """The summarizer's result for one entry."""

    summary: str | None  # None: the extractive draft stays
    source: str  # "model" | "fallback: <reason>"
    numbers_unchecked: bool = False
    tokens: int = 0
    cached: bool = False
    requests: int = 0


@dataclass
class Report:
    """What the summary line says about the summarizer."""

    by_model: int = 0
    from_cache: int = 0
    tokens: int = 0
    requests: int = 0
    fallbacks: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        text = f"summaries: {self.by_model} by the model ({self.from_cache} cached), {self.tokens} tokens"
        if self.fallbacks:
            reasons = ", ".join(f"{n} {why}" for why, n in self.fallbacks.most_common())
            text += f"; {sum(self.fallbacks.values())} extractive ({reasons})"
        return text


class AnswerStore:
    """The `summaries` table of the cache database: its own connection, one transaction per
    answer, so a killed run keeps what it paid for. Holds no key and no request header."""

    def __init__(self, cache_dir: str | os.PathLike):
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(Path(cache_dir) / DB_NAME, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA busy_timeout=30000")
        self.db.execute(_ANSWERS)

    def get(self, question: str) -> Outcome | None:
        row = self.db.execute(
            "SELECT summary, reason, numbers_unchecked FROM summaries WHERE question = ?", (question,)
        ).fetchone()
        if row is None:
            return None
        summary, reason, unchecked = row
        source = "model" if summary is not None else f"fallback: {reason}"
        return Outcome(summary, source, bool(unchecked), 0, cached=True)

    def put(self, question: str, key: str, model: str, outcome: Outcome) -> None:
        reason = outcome.source.removeprefix("fallback: ") if outcome.summary is None else None
        now = time.time()
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO summaries (question, key, model, summary, reason, numbers_unchecked, "
                "tokens, created_at, last_used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (question, key, model, outcome.summary, reason, int(outcome.numbers_unchecked), outcome.tokens, now, now),
            )

    def mark_used(self, questions: list[str]) -> None:
        if not questions:
            return
        now = time.time()
        with self.db:
            self.db.executemany("UPDATE summaries SET last_used = ? WHERE question = ?", ((now, q) for q in questions))

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM summaries").fetchone()[0])

    def prune(self, older_than_days: float) -> int:
        """Drops answers no run has shown for `older_than_days`; returns how many."""
        cutoff = time.time() - older_than_days * DAY
        with self.db:
            return self.db.execute("DELETE FROM summaries WHERE last_used < ?", (cutoff,)).rowcount

    def close(self) -> None:
        self.db.close()


class Budget:
    """Tokens the run may still spend. A request is sent only when its prompt plus `max_tokens`
    fit in what is left, so concurrent requests can never overspend it together."""

    def __init__(self, limit: int):
        self.left = limit
        self._lock = threading.Lock()

    def reserve(self, tokens: int) -> bool:
        with self._lock:
            if tokens > self.left:
                return False
            self.left -= tokens
            return True

    def settle(self, reserved: int, spent: int) -> None:
        with self._lock:
            self.left += reserved - spent


def question_id(key: str, request: Request, model: str, language: str, length: int) -> str:
    """The cache key of an answer: what was asked, of which model, in which language."""
    parts = "\x1f".join([key, request.fingerprint, model, language, str(length)])
    return hashlib.sha256(parts.encode("utf-8")).hexdigest()


def prompt_template(settings: SummarizeSettings) -> str | None:
    if not settings.prompt:
        return None
    try:
        text = Path(settings.prompt).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SummarizerSetupError(f"[summarize] prompt = {settings.prompt!r}: cannot read it ({exc})") from exc
    if not text.strip():
        raise SummarizerSetupError(f"[summarize] prompt = {settings.prompt!r}: the file is empty")
    return text


def api_key(settings: SummarizeSettings) -> str | None:
    """The key from the variable `api_key_env` names; registered so no log line can show it."""
    if not settings.api_key_env:
        return None
    value = os.environ.get(settings.api_key_env, "").strip() or None
    register_secret(value)
    return value


class Summarizer:
    """Asks the model for a summary of each entry, at most `concurrency` at a time."""

    def __init__(
        self,
        settings: SummarizeSettings,
        client: ChatClient | None,
        *,
        archive: Sequence[Any] = (),
        offline_reason: str | None = None,
    ):
        self.settings = settings
        self.client = client  # None: answer from the cache only (offline, or no key)
        self.offline_reason = offline_reason or "offline"
        self.archive = archive
        self.system_prompt = instructions(prompt_template(settings), language=settings.language, length=settings.length)
        self.budget = Budget(settings.budget_tokens)
        self.report = Report()

    # -- one entry ----------------------------------------------------------------------------
    def request_for(self, item: SummaryInput) -> Request:
        examples = pick_examples(
            self.archive, item.kind, length=self.settings.length, exclude_title=item.title, accept=self._fit_as_example
        )
        return build_request(
            item,
            self.system_prompt,
            examples or builtin_examples(item.kind),
            context_tokens=self.settings.context_tokens,
            max_tokens=self.settings.max_tokens,
        )

    def _fit_as_example(self, summary: str) -> bool:
        """Only past summaries that would pass as answers (the editor sometimes quotes English or
        pastes links): an example the checks would refuse teaches the model to be refused."""
        verdict = check_answer(summary, source_text=summary, language=self.settings.language, length=10 * self.settings.length)
        return not verdict.problems

    def ask(self, item: SummaryInput, request: Request) -> Outcome:
        """Asks once, and once more with what was wrong; never raises."""
        assert self.client is not None
        messages = list(request.messages)
        spent = 0
        unchecked: str | None = None  # an answer whose only fault is numbers the input lacks
        for attempt in (1, 2):
            estimate = request.estimated_prompt_tokens + self.settings.max_tokens
            if not self.budget.reserve(estimate):
                return Outcome(
                    unchecked,
                    "model" if unchecked else "fallback: budget spent",
                    unchecked is not None,
                    spent,
                    requests=attempt - 1,
                )
            try:
                answer = self.client.complete(messages, max_tokens=self.settings.max_tokens)
            except FetchError as exc:
                self.budget.settle(estimate, 0)
                return Outcome(None, f"fallback: {exc.reason}", tokens=spent, requests=attempt)
            cost = answer.total_tokens or estimate
            self.budget.settle(estimate, cost)
            spent += cost
            self._log_answer(item.key, answer, attempt, request)
            truncated = self._truncation(answer, request)
            if truncated:
                return Outcome(None, f"fallback: {truncated}", tokens=spent, requests=attempt)
            text = tidy_answer(answer.text)
            verdict = check_answer(
                text,
                source_text=_facts_text(item),
                language=self.settings.language,
                length=self.settings.length,
                finish_reason=answer.finish_reason,
            )
            if verdict.ok:
                return Outcome(text, "model", tokens=spent, requests=attempt)
            if not verdict.problems:
                unchecked = text
            log.info(
                "summary of %s, try %d refused: %s",
                item.key,
                attempt,
                "; ".join(verdict.problems) or f"numbers not in the input: {', '.join(verdict.unbacked_numbers)}",
            )
            last_problem = (verdict.problems or ["numbers not in the input"])[0]
            messages = [
                *request.messages,
                {"role": "assistant", "content": answer.text},
                {"role": "user", "content": retry_hint(verdict, language=self.settings.language, length=self.settings.length)},
            ]
        if unchecked is not None:
            return Outcome(unchecked, "model", numbers_unchecked=True, tokens=spent, requests=2)
        return Outcome(None, f"fallback: checks failed twice ({last_problem})", tokens=spent, requests=2)

    def _truncation(self, answer: Answer, request: Request) -> str | None:
        if answer.prompt_tokens is None or answer.prompt_tokens >= request.estimated_prompt_tokens * TRUNCATION_RATIO:
            return None
        return (
            f"the server read only {answer.prompt_tokens} of about {request.estimated_prompt_tokens} prompt "
            "tokens (its context window is smaller than the input; raise it, or lower context_tokens)"
        )

    def _log_answer(self, key: str, answer: Answer, attempt: int, request: Request) -> None:
        trimmed = f", text trimmed from {request.trimmed_from} characters" if request.trimmed_from else ""
        log.info(
            "summary of %s (try %d) from %s: %s prompt + %s answer tokens, finish_reason %s%s",
            key,
            attempt,
            answer.model,
            _count(answer.prompt_tokens),
            _count(answer.completion_tokens),
            answer.finish_reason,
            trimmed,
        )

    # -- the run ------------------------------------------------------------------------------
    def run(self, items: list[SummaryInput], store: AnswerStore) -> dict[str, Outcome]:
        """An outcome for every item: cached answers first, then the model, within the budget."""
        outcomes: dict[str, Outcome] = {}
        asking: list[tuple[SummaryInput, Request, str]] = []
        reused: list[str] = []
        for item in items:
            request = self.request_for(item)
            question = question_id(item.key, request, self._model(), self.settings.language, self.settings.length)
            cached = store.get(question)
            if cached is not None:
                outcomes[item.key] = cached
                reused.append(question)
            elif self.client is None:
                outcomes[item.key] = Outcome(None, f"fallback: {self.offline_reason}")
            else:
                if request.trimmed_from:
                    log.info(
                        "summary of %s: text trimmed from %d characters to fit context_tokens = %d",
                        item.key,
                        request.trimmed_from,
                        self.settings.context_tokens,
                    )
                asking.append((item, request, question))
        store.mark_used(reused)
        if asking:
            with ThreadPoolExecutor(max_workers=self.settings.concurrency, thread_name_prefix="enrich-llm") as pool:
                futures = {pool.submit(self.ask, item, request): (item, question) for item, request, question in asking}
                for future in as_completed(futures):
                    item, question = futures[future]
                    try:
                        outcome = future.result()
                    except Exception as exc:  # a bug here must cost the summary, never the draft
                        log.warning(
                            "summary of %s: %s: %s", item.key, type(exc).__name__, exc, exc_info=log.isEnabledFor(logging.DEBUG)
                        )
                        outcome = Outcome(None, f"fallback: summarizer error: {type(exc).__name__}")
                    outcomes[item.key] = outcome
                    self.report.requests += outcome.requests
                    self.report.tokens += outcome.tokens
                    if outcome.summary is not None or outcome.source.startswith("fallback: checks failed"):
                        store.put(question, item.key, self._model(), outcome)
        for item in items:
            outcome = outcomes[item.key]
            if outcome.summary is not None:
                self.report.by_model += 1
                self.report.from_cache += outcome.cached
            else:
                self.report.fallbacks[_short_reason(outcome.source)] += 1
                # Offline, or without a key, the summary line says it once for all entries.
                if not outcome.cached and self.client is not None:
                    log.warning("summary of %s: extractive draft kept: %s", item.key, outcome.source.removeprefix("fallback: "))
        return outcomes

    def _model(self) -> str:
        return self.settings.model


def _facts_text(item: SummaryInput) -> str:
    """What numbers in an answer may come from: everything the model was told about the entry."""
    return "\n".join(filter(None, [item.title, item.source, item.note, item.text]))


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


def _short_reason(source: str) -> str:
    reason = source.removeprefix("fallback: ")
    if reason.startswith("checks failed"):
        return "failed checks"
    if reason.startswith("the server read only"):
        return "input cut by the server"
    if reason.startswith("the model did not answer"):
        return "timed out"
    if reason.startswith(("HTTP", "cannot reach", "the endpoint's answer")):
        return "endpoint errors"
    return reason


# -- wiring into a run ---------------------------------------------------------------------------
def wanted(settings: SummarizeSettings, flag: bool | None) -> bool:
    """Whether this run summarizes: `--summarize`/`--no-summarize` decide, else `enabled` when an
    endpoint is configured. Raises SummarizerSetupError for `--summarize` without an endpoint."""
    if flag is False:
        return False
    if not settings.endpoint:
        if flag:
            raise SummarizerSetupError("--summarize needs an endpoint: set [summarize] endpoint and model in the config file")
        return False
    if not settings.model:
        raise SummarizerSetupError("[summarize] model is not set: name the model the endpoint should run")
    return bool(flag) or settings.enabled


def open_summarizer(
    settings: SummarizeSettings,
    *,
    offline: bool,
    archive: Sequence[Any] = (),
    client_factory: Callable[..., ChatClient] | None = None,
) -> Summarizer:
    """The run's summarizer, set up before anything is fetched; raises SummarizerSetupError for
    settings that cannot work (a bad endpoint, an unreadable prompt file)."""
    key = api_key(settings)
    client = None
    reason = None
    if offline:
        reason = "offline"
    elif settings.api_key_env and key is None:
        reason = f"{settings.api_key_env} is not set"
        log.warning("[summarize] api_key_env: %s is not set; summaries stay extractive", settings.api_key_env)
    try:
        if reason is None:
            client = (client_factory or ChatClient)(
                settings.endpoint,
                settings.model,
                api_key=key,
                timeout=settings.timeout,
                allow_insecure_http=settings.allow_insecure_http,
            )
        else:
            from pipeline.llm import check_endpoint

            check_endpoint(settings.endpoint, settings.allow_insecure_http)
    except ValueError as exc:
        raise SummarizerSetupError(str(exc)) from exc
    return Summarizer(settings, client, archive=archive, offline_reason=reason)


def summarize_entries(
    summarizer: Summarizer, entries: Sequence[Entry], cache_dir: str, skip_keys: set[str] | frozenset[str] = frozenset()
) -> Report:
    """Sets the model's summary on every entry it can; entries whose key is in `skip_keys` (already
    in the editor's draft) and failed entries are not asked about."""
    items: list[SummaryInput] = []
    by_key: dict[str, Entry] = {}
    for entry in entries:
        if entry.status == "failed" or entry.record is None or identity_key(entry.source.main.key) in skip_keys:
            continue
        item = summary_input(entry.source.main.key, entry.source.main.kind, entry.record, entry.source.note)
        if item is None:
            continue
        items.append(item)
        by_key[item.key] = entry
    try:
        store = AnswerStore(cache_dir)
        try:
            outcomes = summarizer.run(items, store)
        finally:
            store.close()
    except (sqlite3.Error, OSError) as exc:  # the summaries are optional: the draft must still be written
        log.warning("summarizer: %s; summaries stay extractive", exc)
        outcomes = {item.key: Outcome(None, f"fallback: summarizer error: {exc}") for item in items}
        summarizer.report.fallbacks["summarizer error"] += len(items)
    finally:
        if summarizer.client is not None:
            summarizer.client.close()
    for key, outcome in outcomes.items():
        entry = by_key[key]
        entry.model_summary = outcome.summary
        entry.summary_source = outcome.source
        entry.numbers_unchecked = outcome.numbers_unchecked
    return summarizer.report
