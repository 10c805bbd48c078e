"""Archived copies (Wayback Machine, archive.today): the original URL of a copy and the copy without the archive's chrome."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from pipeline.sites.common import host_matches, host_of

_WAYBACK_HOSTS = ("web.archive.org", "wayback.archive.org")
_ARCHIVE_TODAY_HOSTS = ("archive.today", "archive.ph", "archive.is", "archive.li", "archive.vn", "archive.fo", "archive.md")
# /web/<14-digit timestamp, or a shorter prefix of one>[<2-letter mode>_]/<original URL>; "id_" asks
# for the raw capture, "im_"/"js_"/"cs_" for resources: all name the same original.
_WAYBACK_PATH = re.compile(r"^/web/(\d{1,14})(?:[a-z]{2}_)?/+(.+)$", re.DOTALL)
# archive.today's long form: /<YYYY.MM.DD-hhmmss>/<original URL>; its short form (/AbCd1) names no
# original, which the page's canonical link then gives.
_ARCHIVE_TODAY_PATH = re.compile(r"^/(\d{4}\.\d{2}\.\d{2}-\d{6}|\d{14})/+(.+)$", re.DOTALL)
_SCHEME = re.compile(r"^(https?):/+", re.IGNORECASE)

# The Wayback Machine wraps its toolbar in these comments when it serves a page for people.
_WAYBACK_TOOLBAR = re.compile(
    rb"<!--\s*BEGIN WAYBACK TOOLBAR INSERT\s*-->.*?<!--\s*END WAYBACK TOOLBAR INSERT\s*-->", re.DOTALL | re.IGNORECASE
)
_WAYBACK_HEAD = re.compile(rb"<script[^>]*(?:archive\.org/includes|/_static/js/)[^>]*>\s*</script>", re.IGNORECASE)
# archive.today puts its own bar in a <div id="HEADER"> before the copied page's <div id="CONTENT">.
_ARCHIVE_TODAY_HEADER = re.compile(rb'<div\s+id="HEADER"', re.IGNORECASE)
_ARCHIVE_TODAY_CONTENT = re.compile(rb'<div\s+id="CONTENT"', re.IGNORECASE)
_CANONICAL = re.compile(rb'<link\s+rel="(?:canonical|bookmark)"\s+href="([^"]+)"', re.IGNORECASE)


def _with_scheme(original: str) -> str | None:
    """An absolute http(s) URL from an archive path's tail ("example.com/x" and "http:/x" too)."""
    original = original.strip()
    if "%3A" in original[:12].upper():
        original = unquote(original)
    match = _SCHEME.match(original)
    if match:
        original = f"{match.group(1).lower()}://{original[match.end() :]}"
    elif "://" in original:
        return None
    else:
        original = "http://" + original
    return original if host_of(original) and "." in host_of(original) else None


def _path_and_query(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


def archive_kind(url: str | None) -> str | None:
    """ "wayback" or "archive.today" when the URL is on one of those archives, else None."""
    host = host_of(url)
    if any(host_matches(host, domain) for domain in _WAYBACK_HOSTS):
        return "wayback"
    if any(host_matches(host, domain) for domain in _ARCHIVE_TODAY_HOSTS):
        return "archive.today"
    return None


def original_url(url: str | None, html: bytes = b"") -> str | None:
    """The URL the archive copied, for a copy's address (or, for archive.today's short
    addresses, from the copy's canonical link); None for any other URL."""
    kind = archive_kind(url)
    if kind is None or url is None:
        return None
    pattern = _WAYBACK_PATH if kind == "wayback" else _ARCHIVE_TODAY_PATH
    match = pattern.match(_path_and_query(url))
    if match:
        return _with_scheme(match.group(2))
    if kind == "archive.today":
        for link in _CANONICAL.findall(html[:200_000]):
            href = link.decode("utf-8", "replace")
            if archive_kind(href) == "archive.today":
                found = _ARCHIVE_TODAY_PATH.match(_path_and_query(href))
                if found:
                    return _with_scheme(found.group(2))
    return None


def unwrap(url: str | None) -> str | None:
    """A URL the archive rewrote to point into itself, as the original URL; others unchanged."""
    if url and archive_kind(url) is not None:
        return original_url(url) or url
    return url


def without_chrome(html: bytes, url: str | None) -> bytes:
    """The copied page without what the archive adds: the Wayback toolbar and its scripts,
    archive.today's header bar. Only the archive's own markers are cut, so a page that merely
    mentions an archive is left alone."""
    kind = archive_kind(url)
    if kind == "wayback":
        html = _WAYBACK_TOOLBAR.sub(b"", html)
        return _WAYBACK_HEAD.sub(b"", html)
    if kind == "archive.today":
        header = _ARCHIVE_TODAY_HEADER.search(html)
        content = _ARCHIVE_TODAY_CONTENT.search(html, header.end()) if header else None
        if header and content:
            return html[: header.start()] + html[content.start() :]
    return html
