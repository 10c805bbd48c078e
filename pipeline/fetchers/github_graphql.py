"""Builds GitHub GraphQL queries that read many repositories at once and turns their answers into
records and per-repository failures (pure: strings and JSON in, records and errors out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.errors import (
    BatchTooHeavy,
    Blocked,
    BudgetExhausted,
    FetchError,
    NotFound,
    ServerError,
)
from pipeline.models import GithubRecord
from pipeline.readme import readme_lead

__all__ = ["BatchTooHeavy", "BudgetExhausted", "build_query", "parse_answer"]  # the first two: their old home

# GitHub answers at most 100 top-level aliases' worth of nodes cheaply; more costs more points.
MAX_BATCH = 100
TOPICS = 20
# The README is read as a Git blob at HEAD: one `object` per common spelling, in this order, all in
# the same query (a missing path costs nothing and answers null). Other spellings (`README.rst`,
# `docs/README.md`) are not Markdown or not the landing page, so they are not asked for.
README_NAMES = ("README.md", "readme.md", "Readme.md", "README.markdown")
# A README's lead is near its top: what is read past this is not parsed.
README_READ_LIMIT = 100_000

_RELEASE = "tagName name publishedAt"
_FRAGMENT = "\n".join(
    [
        "fragment Repo on Repository {",
        "  nameWithOwner url description homepageUrl stargazerCount forkCount isArchived",
        "  createdAt pushedAt updatedAt",
        "  primaryLanguage { name }",
        "  licenseInfo { spdxId }",
        f"  repositoryTopics(first: {TOPICS}) {{ nodes {{ topic {{ name }} }} }}",
        f"  latestRelease {{ {_RELEASE} }}",
        *(f'  readme{i}: object(expression: "HEAD:{name}") {{ ... on Blob {{ text }} }}' for i, name in enumerate(README_NAMES)),
        "}",
    ]
)


@dataclass(frozen=True)
class BatchItem:
    """One repository of a batch: the name the link used and, for a release link, its tag."""

    owner: str
    name: str
    release_tag: str | None = None

    @property
    def requested(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class BatchAnswer:
    """What one answered query says: a record or a failure per item (by index), and the budget."""

    outcomes: dict[int, GithubRecord | FetchError] = field(default_factory=dict)
    cost: int | None = None
    remaining: int | None = None
    reset: float | None = None  # Unix seconds


def alias(index: int) -> str:
    return f"r{index}"


def build_query(items: Sequence[BatchItem]) -> tuple[str, dict[str, str]]:
    """The query text and its variables. Names travel as variables, never spliced into the text,
    so no repository name can change the query."""
    declarations: list[str] = []
    selections: list[str] = ["  rateLimit { cost remaining resetAt }"]
    variables: dict[str, str] = {}
    for i, item in enumerate(items):
        declarations += [f"$o{i}: String!", f"$n{i}: String!"]
        variables[f"o{i}"], variables[f"n{i}"] = item.owner, item.name
        tagged = ""
        if item.release_tag:
            declarations.append(f"$t{i}: String!")
            variables[f"t{i}"] = item.release_tag
            tagged = f" tagged: release(tagName: $t{i}) {{ {_RELEASE} }}"
        selections.append(f"  {alias(i)}: repository(owner: $o{i}, name: $n{i}) {{ ...Repo{tagged} }}")
    head = f"query Repositories({', '.join(declarations)}) {{" if declarations else "query Repositories {"
    return "\n".join([head, *selections, "}", _FRAGMENT]), variables


def _iso_to_unix(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def release_of(node: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not isinstance(node, Mapping) or not node.get("tagName"):
        return None
    return {"tag": node.get("tagName"), "name": node.get("name") or None, "published_at": node.get("publishedAt")}


def record_of(node: Mapping[str, Any], item: BatchItem) -> GithubRecord:
    """A record from one `repository` node, with the same fields and conventions as the REST
    record. GitHub follows renames and transfers, so `nameWithOwner` is the current name."""
    full_name = node["nameWithOwner"]
    licence = node.get("licenseInfo") or {}
    spdx = licence.get("spdxId") if isinstance(licence, Mapping) else None
    topics = [
        n["topic"]["name"]
        for n in (node.get("repositoryTopics") or {}).get("nodes") or []
        if isinstance(n, Mapping) and isinstance(n.get("topic"), Mapping) and n["topic"].get("name")
    ]
    language = node.get("primaryLanguage") or {}
    release = node.get("tagged") if item.release_tag else node.get("latestRelease")
    readme = next(
        (
            blob["text"]
            for i in range(len(README_NAMES))
            if isinstance(blob := node.get(f"readme{i}"), Mapping) and isinstance(blob.get("text"), str)
        ),
        None,
    )
    return GithubRecord(
        full_name=full_name,
        description=node.get("description") or None,
        stars=node.get("stargazerCount"),
        forks=node.get("forkCount"),
        language=language.get("name") if isinstance(language, Mapping) else None,
        topics=topics,
        license=None if spdx in (None, "", "NOASSERTION") else spdx,
        homepage=node.get("homepageUrl") or None,
        created_at=node.get("createdAt"),
        pushed_at=node.get("pushedAt"),
        archived=bool(node.get("isArchived", False)),
        latest_release=release_of(release),
        html_url=node.get("url"),
        renamed_from=item.requested if full_name.lower() != item.requested.lower() else None,
        readme=readme_lead(readme[:README_READ_LIMIT]) if readme else None,
    )


def alias_error(error: Mapping[str, Any]) -> FetchError:
    """One repository's failure, in the words the REST stage uses for the same case. GitHub
    gives a blocked or legally withheld repository no `type` of its own (or only the broad
    FORBIDDEN), so those are told apart by the `message` text, the only place that says it."""
    kind = str(error.get("type") or "")
    message = str(error.get("message") or "")
    lowered = message.lower()
    if kind == "NOT_FOUND":
        return NotFound("repository not found (deleted or private)")
    if "access blocked" in lowered or ("blocked" in lowered and kind == "FORBIDDEN"):
        return Blocked("repository blocked by GitHub")
    if "legal" in lowered or kind == "UNAVAILABLE_FOR_LEGAL_REASONS":
        return Blocked("repository unavailable for legal reasons (HTTP 451)")
    if kind == "FORBIDDEN":
        return Blocked(f"access denied by GitHub (HTTP 403){': ' + message if message else ''}")
    return ServerError(f"GitHub could not answer for this repository{': ' + message if message else ''}")


_HEAVY_TYPES = {"MAX_NODE_LIMIT_EXCEEDED", "RESOURCE_LIMITS_EXCEEDED", "TIMEOUT"}


def whole_query_error(errors: Sequence[Mapping[str, Any]]) -> FetchError:
    """The failure of a query GitHub did not run (errors without a repository's path). A query
    that timed out comes back with no `type` at all, only "Something went wrong ... timeout" in
    its `message`, so the text is read when the type says nothing."""
    for error in errors:
        kind = str(error.get("type") or "")
        message = str(error.get("message") or "")
        if kind == "RATE_LIMITED" or "rate limit" in message.lower():
            return BudgetExhausted("GitHub GraphQL budget exhausted")
        if kind in _HEAVY_TYPES or "timeout" in message.lower() or "something went wrong" in message.lower():
            return BatchTooHeavy(f"GitHub could not run the query ({kind or message[:80]})")
    first = errors[0] if errors else {}
    return FetchError(f"GitHub rejected the query: {str(first.get('message') or first.get('type') or 'no reason given')[:200]}")


def parse_answer(payload: object, items: Sequence[BatchItem]) -> BatchAnswer:
    """Every item of the batch gets a record or a failure; a query that did not run raises."""
    if not isinstance(payload, Mapping):
        raise ServerError("GitHub sent an unexpected GraphQL answer")
    data = payload.get("data")
    errors = [e for e in payload.get("errors") or [] if isinstance(e, Mapping)]
    by_alias: dict[str, Mapping[str, Any]] = {}
    general: list[Mapping[str, Any]] = []
    for error in errors:
        path = error.get("path")
        if isinstance(path, list) and path and isinstance(path[0], str) and path[0].startswith("r") and path[0][1:].isdigit():
            by_alias.setdefault(path[0], error)
        else:
            general.append(error)
    if not isinstance(data, Mapping) or (general and not by_alias and not any(data.get(alias(i)) for i in range(len(items)))):
        raise whole_query_error(general or errors)
    answer = BatchAnswer()
    rate = data.get("rateLimit")
    if isinstance(rate, Mapping):
        answer.cost = rate.get("cost") if isinstance(rate.get("cost"), int) else None
        answer.remaining = rate.get("remaining") if isinstance(rate.get("remaining"), int) else None
        answer.reset = _iso_to_unix(rate.get("resetAt"))
    for i, item in enumerate(items):
        node = data.get(alias(i))
        if isinstance(node, Mapping) and node.get("nameWithOwner"):
            if item.release_tag and not node.get("tagged"):
                answer.outcomes[i] = NotFound(f"release {item.release_tag} not found")
            else:
                answer.outcomes[i] = record_of(node, item)
        elif alias(i) in by_alias:
            answer.outcomes[i] = alias_error(by_alias[alias(i)])
        else:
            answer.outcomes[i] = ServerError("GitHub left this repository out of its answer")
    return answer
