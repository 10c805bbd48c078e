"""Record fields made safe before they are cached or shown: secrets redacted, bidi and zero-width controls removed, lengths capped."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any, TypeVar

from pipeline.models import Record

# Caps, in characters. A title or name is a line; abstracts, descriptions and page text are a few
# paragraphs; a record that exceeds them is pasted data or a hostile page, and the cache and draft
# should not carry it.
SHORT_CAP = 1_000  # titles, names, authors, site names, dates, ids, tags
LONG_CAP = 20_000  # abstracts, descriptions, comments, README paragraphs, page text, notes
URL_CAP = 8_192  # a longer URL is dropped, not cut: a cut URL points somewhere else
LIST_CAP = 500  # authors, topics, categories, code links

LONG_FIELDS = frozenset({"abstract", "description", "comment", "readme", "text", "note", "journal_ref", "summary"})
URL_FIELDS = frozenset({"url", "canonical_url", "image", "homepage", "abs_url", "pdf_url", "html_url", "code_urls"})

# Characters that reorder or hide text without showing themselves (the "Trojan Source" class):
# bidi embeddings, overrides and isolates, direction marks, zero-width spaces, word joiners and a
# stray BOM. Zero-width (non-)joiners stay: scripts such as Persian and emoji sequences need them.
_INVISIBLE = re.compile("[\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

R = TypeVar("R", bound=Record)  # the kind in is the kind out


def strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)


def cut(text: str, cap: int) -> str:
    return text if len(text) <= cap else text[: cap - 1] + "…"


def clean_value(name: str, value: Any, redact: Callable[[str], str]) -> Any:
    """A field's value with every string in it cleaned and capped by what the field holds."""
    if isinstance(value, str):
        text = redact(strip_invisible(value))
        if name in URL_FIELDS:
            return text if len(text) <= URL_CAP else None
        return cut(text, LONG_CAP if name in LONG_FIELDS else SHORT_CAP)
    if isinstance(value, list):
        items = (clean_value(name, item, redact) for item in value[:LIST_CAP])
        return [item for item in items if item is not None]
    if isinstance(value, dict):
        return {key: clean_value(key, item, redact) for key, item in value.items()}
    return value


def clean_record(record: R, redact: Callable[[str], str]) -> R:
    """A copy of a record with every field cleaned (see clean_value)."""
    changes = {f.name: clean_value(f.name, getattr(record, f.name), redact) for f in dataclasses.fields(record)}
    return dataclasses.replace(record, **changes)
