"""Turn the bytes of an HTML page into text, trusting its charset declarations only when the bytes agree."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

# WHATWG's encoding table treats these labels as their supersets; decoding with the narrower codec
# turns valid characters (e.g. GBK's extra hanzi, cp1252's curly quotes) into errors.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "euc_cn": "gb18030",
    "hz": "gb18030",
    "latin_1": "cp1252",
    "iso8859_1": "cp1252",
    "ascii": "cp1252",
    "iso8859_9": "cp1254",
    "tis_620": "cp874",
    "iso8859_11": "cp874",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "utf_16": "utf-8",  # a page cannot really declare UTF-16 inside itself; WHATWG maps it to UTF-8
    "utf_16_le": "utf-8",
    "utf_16_be": "utf-8",
}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)

_PRESCAN_BYTES = 4096
_DETECT_BYTES = 200_000  # enough text for a confident guess; detection on 4 MB pages is slow


def normalize_charset(label: str | None) -> str | None:
    """The Python codec to decode a declared charset label with, or None if the label is unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in ("utf8", "unicode-1-1-utf-8", "x-unicode20utf8"):
        label = "utf-8"
    if label in ("x-gbk", "gb_2312-80", "chinese", "csgb2312", "iso-ir-58"):
        label = "gbk"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    name = name.replace("-", "_")
    return _SUPERSETS.get(name, codecs.lookup(name).name)


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset parameter of an HTTP Content-Type header, as a Python codec name."""
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return normalize_charset(match.group(1)) if match else None


def charset_from_meta(body: bytes) -> str | None:
    """The charset a page declares in `<meta charset>` or `http-equiv` within its first 4 KB."""
    match = _META_CHARSET.search(body[:_PRESCAN_BYTES])
    return normalize_charset(match.group(1).decode("ascii", "replace")) if match else None


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _detect(body: bytes) -> str | None:
    """Guess the encoding from the bytes alone (charset-normalizer), as a Python codec name."""
    best = from_bytes(body[:_DETECT_BYTES]).best()
    return normalize_charset(best.encoding) if best is not None else None


def _mostly_utf8(body: bytes) -> str | None:
    """UTF-8 text of a body with a few broken bytes (a truncated or patched page), else None."""
    text = body.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    multibyte = len(body) - len(text)  # bytes beyond one per character: a measure of valid UTF-8 use
    return text if broken <= 3 and multibyte > 20 * broken else None


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTML body: header charset, BOM, `<meta>` prescan, then detection; never raises.

    A declaration is used only when the bytes agree with it: valid UTF-8 wins over any declaration
    (a server default of ISO-8859-1 or a stale "gb2312" on a UTF-8 page are the common lies), and
    bytes that are not valid in the declared charset go to detection.
    """
    if not body:
        return ""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace")

    if body.isascii():
        return body.decode("ascii")
    try:
        # Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the page declares: GBK or Latin-1
        # text practically never forms valid UTF-8, while "charset=gb2312" on a UTF-8 page is common.
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = charset_from_content_type(content_type) or charset_from_meta(body)
    if declared is not None and codecs.lookup(declared).name != "utf-8" and _decodes(body, declared):
        return body.decode(declared)
    if declared is None or codecs.lookup(declared).name == "utf-8":
        nearly = _mostly_utf8(body)
        if nearly is not None:
            return nearly

    guessed = _detect(body)
    for candidate in (guessed, declared):
        if candidate and _decodes(body, candidate):
            return body.decode(candidate)
    # Nothing decodes cleanly: keep the most plausible reading and mark the bad bytes.
    return body.decode(guessed or declared or "utf-8", errors="replace")
