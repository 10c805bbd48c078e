"""Bounds a page before the HTML parser meets it: the page is cut where its markup starts to cost
the parser time that grows with the square of its size (nesting deeper than browsers build, a
list of options longer than any form needs)."""

from __future__ import annotations

import re

from pipeline.errors import PageTooComplex  # also importable from here, its old home

# Chromium's HTML parser builds no tree deeper than this either. Real pages stay far below: the
# deepest of some 850 saved pages (news, blogs, WeChat, Zhihu) measured 102 by `complexity_cut`.
MAX_NESTING = 512

# The parser re-examines a <select>'s options at every new one: 4,000 cost 0.04 s, 16,000 cost
# 0.8 s, 128,000 (1 MB) 36 s. A country list has some 250.
MAX_OPTIONS = 4096

# Below this many "<" even the worst of the above parses in under a second (16k nested divs: 0.3
# s; 16k options: 0.8 s), so the scan, which costs more than the parse, is skipped. Real pages have
# a few thousand; the largest of those 850 pages, under 20,000.
FEW_TAGS = 16_384

# Elements that never hold others, and those whose end tag is optional (a new <p> or <li> closes
# the one before: they follow each other rather than nest). Neither deepens the tree.
_LEAVES = frozenset(
    b"area base br col embed hr img input link meta source track wbr param keygen basefont bgsound"
    b" frame image p li dt dd option optgroup tr td th tbody thead tfoot colgroup rt rp rb rtc"
    b" html head body".split()
)
_FOREIGN = frozenset((b"svg", b"math"))  # inside them, <x/> closes itself; in HTML it does not
_LISTS = frozenset((b"select", b"datalist"))  # a new one starts a new count of options

# Comments and raw-text elements as one token each (their contents are not markup), else a tag:
# (1) raw-text element name, (2) "/" of an end tag, (3) tag name, (4) "/" of a self-closing tag.
# Every token may also end at the end of the page: otherwise each "<" with no ">" after it would
# be tried again to the end, and the scan would itself take time growing with the square.
_TOKEN = re.compile(
    rb"<!--.*?(?:-->|\Z)"
    rb"|<(script|style|textarea|title|xmp|noembed|noframes|iframe|plaintext)\b.*?(?:</\1\s*>|\Z)"
    rb"|<(/?)([A-Za-z][^\s/>]*)[^>]*?(?:(/?)>|\Z)",
    re.S | re.I,
)


def complexity_cut(body: bytes, limit: int = MAX_NESTING, max_options: int = MAX_OPTIONS) -> tuple[int, str] | None:
    """The offset of the first tag past a bound, and which bound; None when the page keeps to them.

    The nesting count is an over-estimate by design: an end tag closes only an element of its
    name that is open, and a misnested one closes just that one, so the count never falls below
    what the parser holds (the parser may add a few implied elements per table; a constant
    factor, still bounded)."""
    open_by_name: dict[bytes, int] = {}
    depth = foreign = options = 0
    for token in _TOKEN.finditer(body):
        name = token.group(3)
        if name is None:
            continue
        name = name.lower()
        if name in _LISTS and not token.group(2):
            options = 0
        elif name == b"option" and not token.group(2):
            options += 1
            if options > max_options:
                return token.start(), f"a list of more than {max_options:,} options"
        if name in _LEAVES:
            continue
        if token.group(2):
            count = open_by_name.get(name, 0)
            if count:  # an end tag with nothing of its name open is ignored, by us as by parsers
                open_by_name[name] = count - 1
                depth -= 1
                foreign -= name in _FOREIGN
            continue
        if token.group(4) and foreign:
            continue
        open_by_name[name] = open_by_name.get(name, 0) + 1
        depth += 1
        foreign += name in _FOREIGN
        if depth > limit:
            return token.start(), f"nested deeper than {limit} elements"
    return None


def _is_utf16(body: bytes) -> bool:
    """UTF-16 by its byte-order mark, or by the NUL beside every ASCII letter of its markup."""
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    head = body[:4096]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    return max(even, odd) > len(head) // 4 and min(even, odd) <= len(head) // 64  # not a NUL flood


def bound_page(body: bytes, limit: int = MAX_NESTING) -> tuple[bytes, str | None]:
    """The part of the page the parser may be given, and a note when that is not all of it.

    Raises PageTooComplex for a page past a bound whose bytes cannot be cut at a tag (UTF-16)."""
    wide = _is_utf16(body)
    if not wide and b"\x00" in body:
        # The parser drops NULs in text anyway, but on a worker thread a flood of them (a gzip
        # bomb of zeros) took seconds instead of a tenth of one (allocation in the thread's arena);
        # dropped here, they cost the worker process nothing either.
        body = body.replace(b"\x00", b"")
    if body.count(b"<") <= FEW_TAGS:
        return body, None
    found = complexity_cut(body.replace(b"\x00", b"") if wide else body, limit)
    if found is None:
        return body, None
    cut, why = found
    if wide:
        raise PageTooComplex(f"page too complex to parse ({why})")
    return body[:cut], f"page too complex to parse in full ({why}); only its first {cut:,} bytes were read"
