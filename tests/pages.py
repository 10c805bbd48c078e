"""Helpers for extraction tests: the project's hand-written fixture pages and tiny inline pages."""

from pathlib import Path

PAGES = Path(__file__).parent / "fixtures" / "pages"


def page(name: str) -> bytes:
    """A fixture page's bytes, as a server would send them."""
    return (PAGES / name).read_bytes()


def inline_page(head: str, body: str = "") -> bytes:
    """A minimal UTF-8 English page with `head` and `body` markup."""
    return f"<!doctype html><html lang='en'><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>".encode()
