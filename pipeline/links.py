"""Link identity: a URL an editor pasted canonicalized into one `Link` (key, kind, canonical URL),
the keys two forms of one item share, and the arXiv id and GitHub name grammars, written once."""

from __future__ import annotations

import functools
import ipaddress
import re
import string
from urllib.parse import unquote

import ada_url

from pipeline.models import Link

__all__ = [
    "LinkError",
    "canonicalize",
    "looks_like_url",
    "identity_key",
    "parse_arxiv_id",
    "arxiv_ids_in",
    "GITHUB_RESERVED",
    "TRACKING_PARAMS",
    "MAX_URL_LENGTH",
]


class LinkError(ValueError):
    """The text is not a usable http(s) URL; the message says why in plain words."""


# Real links are a few hundred characters; anything this long is pasted data, not a link.
MAX_URL_LENGTH = 32_768

# Query parameters that only say where a click came from. They never change the page, so they
# are dropped from the canonical URL (and key). `utm_*` is matched as a prefix.
TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "wbraid",
        "gbraid",  # ad-click ids (Facebook, Google, Microsoft, Yandex, X, TikTok)
        "mc_cid",
        "mc_eid",  # Mailchimp
        "_hsenc",
        "_hsmi",
        "mkt_tok",  # HubSpot, Marketo
        "igshid",
        "igsh",  # Instagram shares
        "ref_src",
        "ref_url",  # X/Twitter embeds
        "spm",
        "scm",  # Alibaba / CSDN click tracking
        "share_token",
        "share_source",
        "share_medium",
        "share_plat",
        "share_tag",  # app shares
        "vd_source",  # Bilibili
        "share_code",  # Zhihu
    }
)

# Hosts that serve the same page over https; forcing it makes http/https variants one key.
FORCE_HTTPS_HOSTS = frozenset({"mp.weixin.qq.com", "zhuanlan.zhihu.com", "www.zhihu.com"})

ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org", "browse.arxiv.org", "lanl.arxiv.org"})
ARXIV_PAPER_PATHS = frozenset({"abs", "pdf", "html", "format", "ps"})
GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})
DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
WECHAT_HOST = "mp.weixin.qq.com"
WECHAT_ARTICLE_PARAMS = ("__biz", "mid", "idx", "sn")

# First path segments of github.com that are GitHub's own pages, not a user or organisation.
GITHUB_RESERVED = frozenset(
    """
    about account apps articles blog business codespaces collections contact copilot
    customer-stories dashboard enterprise enterprises events explore features github
    issues join login logout marketplace mobile new nonprofit notifications organizations orgs
    partners password_reset pricing pulls readme resources search security sessions settings
    signup site solutions sponsors stars team topics trending users watching wiki .well-known
    """.split()
)
_GITHUB_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_GITHUB_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")

# New-style ids (since 2007-04): YYMM.NNNN, five digits from 2015-01 on; old style: archive/YYMMNNN.
_ARXIV_NEW = re.compile(r"(\d{2})(\d{2})\.(\d{4,5})(?:v(\d+))?")
_ARXIV_OLD = re.compile(r"([a-z]+(?:-[a-z]+)*)(?:\.[a-z]{2}(?:-[a-z]+)?)?/(\d{2})(\d{2})(\d{3})(?:v(\d+))?", re.I)
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(.+)", re.I)
# An id cited in free text: as an arXiv link or an `arXiv:` reference, by the same two grammars.
_ARXIV_IN_TEXT = re.compile(rf"(?:arxiv\.org/(?:abs|pdf)/|arxiv:\s*)({_ARXIV_NEW.pattern}|{_ARXIV_OLD.pattern})", re.IGNORECASE)

# Scheme-less forms an editor pastes; they get https:// put in front.
_SCHEMELESS = re.compile(
    r"(?:www\.|(?:www\.)?github\.com/|mp\.weixin\.qq\.com/|(?:dx\.|www\.)?doi\.org/"
    r"|(?:www\.|export\.)?arxiv\.org/)",
    re.I,
)
# An IPv6 host whose brackets were percent-encoded (as drafts once wrote it): read as the literal.
_ESCAPED_IPV6 = re.compile(r"(?i)^(https?://(?:[^/?#@\\]*@)?)%5B([0-9a-f:.]+)%5D")
# `https:///path` and `https:path`: no `//host`, so the link names no host the editor could have meant.
_NO_AUTHORITY = re.compile(r"(?i)^https?:(?![/\\]{2}[^/\\])")
_HAS_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://", re.I)
_URL_TOKEN = re.compile(
    r"(?:https?://[^\s/?#]|www\.\w|arxiv:\S|10\.48550/arxiv\.\S|(?:dx\.|www\.)?doi\.org/\S"
    r"|(?:www\.)?github\.com/\S|mp\.weixin\.qq\.com/\S|(?:www\.|export\.)?arxiv\.org/\S)",
    re.I,
)

_HOSTNAME = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*")
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
# Decoded wherever they are escaped: the unreserved characters, and the marks RFC 2396 counted as
# unreserved (`!*'()`), which servers treat alike escaped or not. The draft escapes parentheses
# inside a Markdown link target, so without this a Wikipedia link read back from the draft would
# not be the same link as the one in sources.txt.
_DECODABLE = _UNRESERVED | frozenset("!*'()")
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_HEX = frozenset("0123456789abcdefABCDEF")


def looks_like_url(token: str) -> bool:
    """True when a word of sources.txt is meant as a link rather than note text."""
    return _URL_TOKEN.match(token) is not None


def canonical_key(url: str) -> str | None:
    """The key of `url`, or None when it is no usable link (text an editor wrote, say)."""
    try:
        return canonicalize(url).key
    except LinkError:
        return None


def canonicalize(url: str) -> Link:
    """The canonical `Link` of `url`; raises LinkError (only) when it is not a usable link."""
    original = url
    text = url.strip() if isinstance(url, str) else ""
    if not text:
        raise LinkError("empty link")
    if len(text) > MAX_URL_LENGTH:
        raise LinkError(f"link is too long ({len(text)} characters)")
    if " " in text or not text.isprintable():  # isprintable() is False for every other space
        raise LinkError(f"link contains spaces or control characters: {_short(text)!r}")
    try:
        return _canonicalize(text, original)
    except LinkError:
        raise
    except ValueError as exc:  # ports, IPv6 and encoding report through ValueError
        raise LinkError(f"not a usable URL: {_short(text)!r} ({exc})") from None


def _canonicalize(text: str, original: str) -> Link:
    if text[:6].lower() == "arxiv:":
        return _arxiv_link(text[6:], original, strict=True)
    if _ARXIV_DOI.fullmatch(text):  # a bare DOI: resolve it the way doi.org would
        text = "https://doi.org/" + text
    elif not _HAS_SCHEME.match(text) and _SCHEMELESS.match(text):
        text = "https://" + text

    scheme = text.split(":", 1)[0].lower() if _HAS_SCHEME.match(text) else ""
    if scheme not in ("http", "https"):
        raise LinkError(f"not an http(s) link: {_short(text)!r}")
    if _NO_AUTHORITY.match(text):  # a browser would take the first path segment for the host
        raise LinkError(f"link has no host name: {_short(text)!r}")
    # Parsed as browsers parse it (the WHATWG URL standard, by ada): a backslash is a slash, so
    # `http://example.com\@evil.com/` is example.com, as the editor's browser showed it.
    try:
        parsed = ada_url.URL(_ESCAPED_IPV6.sub(r"\1[\2]", text))
    except ValueError:
        raise LinkError(f"not a usable URL: {_short(text)!r}") from None
    host = _normalize_host(parsed.hostname, text)
    port = int(parsed.port) if parsed.port else None  # the parser has dropped a default port
    if host in FORCE_HTTPS_HOSTS:
        scheme = "https"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc += f":{port}"
    path = _remove_dot_segments(_normalize_escapes(parsed.pathname, _PATH_SAFE)) or "/"
    query = _normalize_escapes(parsed.search.removeprefix("?"), _QUERY_SAFE)

    segments = [s for s in path.split("/") if s]
    if host in ARXIV_HOSTS:
        link = _arxiv_from_path(segments, original)
        if link is not None:
            return link
    if host in DOI_HOSTS:
        doi = _ARXIV_DOI.fullmatch("/".join(segments))
        if doi:
            return _arxiv_link(doi.group(1), original, strict=False)
    if host in GITHUB_HOSTS:
        link = _github_from_path(segments, original)
        if link is not None:
            return link
    if host == WECHAT_HOST:
        path, query = _wechat(path, query)
    else:
        query = _drop_tracking(query)
    canonical = f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
    return Link(key=f"web:{canonical}", kind="web", url=canonical, original=original)


# --- hosts, paths, queries -------------------------------------------------------------------


def _normalize_host(host: str, text: str) -> str:
    """Lower-case ASCII host (IDNA for international names), or LinkError."""
    host = host.rstrip(".")
    if not host:
        raise LinkError(f"link has no host name: {_short(text)!r}")
    if host.startswith("[") and host.endswith("]"):  # an IPv6 literal, kept valid (never %5B...%5D)
        return ipaddress.IPv6Address(host[1:-1]).compressed
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    host = host.lower()
    if len(host) > 253 or not _HOSTNAME.fullmatch(host):
        raise LinkError(f"not a valid host name: {_short(host)!r}")
    return host


@functools.cache
def _all_safe(safe: frozenset[str]):
    """A matcher that says whether a text holds only characters of `safe`."""
    return re.compile("[" + "".join(re.escape(c) for c in sorted(safe)) + "]*").fullmatch


def _normalize_escapes(text: str, safe: frozenset[str]) -> str:
    """Upper-case %XX escapes, decode the ones of _DECODABLE characters, escape everything unsafe.

    A `%` that does not start an escape is escaped itself, so an already-encoded URL is never
    encoded twice and the result is stable when normalized again.
    """
    if "%" not in text and _all_safe(safe)(text):
        return text  # the common case, decided in C
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "%" and i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
            code = text[i + 1 : i + 3].upper()
            decoded = chr(int(code, 16))
            out.append(decoded if decoded in _DECODABLE else f"%{code}")
            i += 3
            continue
        if ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4: `/a/./b/../c` -> `/a/c`."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """(decoded lower-case name, raw pair) for every non-empty `&`-separated pair."""
    pairs = []
    for raw in query.split("&"):
        if raw:
            name = unquote(raw.split("=", 1)[0].replace("+", " ")).lower()
            pairs.append((name, raw))
    return pairs


def _is_tracking(name: str) -> bool:
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _drop_tracking(query: str) -> str:
    return "&".join(raw for name, raw in _query_pairs(query) if not _is_tracking(name))


def _wechat(path: str, query: str) -> tuple[str, str]:
    """WeChat article links: keep only what names the article (everything else is per-reader)."""
    short = re.fullmatch(r"/s/([A-Za-z0-9_-]+)/?", path)
    if short:
        return f"/s/{short.group(1)}", ""
    pairs = _query_pairs(query)
    found = {name: raw for name, raw in reversed(pairs)}  # first occurrence wins
    if path in ("/s", "/s/", "/mp/appmsg/show") and "__biz" in found:
        # `__biz` is base64 and its `=` padding comes both raw and as %3D: make that one form.
        kept = [re.sub("%3D", "=", found[name], flags=re.I) for name in WECHAT_ARTICLE_PARAMS if name in found]
        return "/s", "&".join(kept)
    return path, _drop_tracking(query)


# --- arXiv -----------------------------------------------------------------------------------


def _parse_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """(id without version, version) for a well-formed arXiv id, else None."""
    new = _ARXIV_NEW.fullmatch(text)
    if new:
        yy, mm, number, version = new.groups()
        yymm = int(yy + mm)
        if not 1 <= int(mm) <= 12 or yymm < 704 or len(number) != (4 if yymm < 1501 else 5):
            return None
        ident = f"{yy}{mm}.{number}"
    else:
        old = _ARXIV_OLD.fullmatch(text)
        if not old:
            return None
        archive, yy, mm, number, version = old.groups()
        if not 1 <= int(mm) <= 12:
            return None
        # The subject class (math.GT/...) is not part of the paper's id: arXiv lists it as math/...
        ident = f"{archive.lower()}/{yy}{mm}{number}"
    if version is None:
        return ident, None
    if int(version) < 1:
        return None
    return ident, int(version)


def parse_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """`'2104.14129v2'` -> `('2104.14129', 2)`, `'arXiv:cs/0112017'` -> `('cs/0112017', None)`;
    None when the text is not a well-formed arXiv id."""
    text = text.strip()
    if text[:6].lower() == "arxiv:":
        text = text[6:]
    return _parse_arxiv_id(text)


def arxiv_ids_in(*texts: str | None) -> list[str]:
    """The arXiv ids free text cites (`arxiv.org/abs/...`, `arXiv:...`), each once, in order of
    appearance, as canonical ids with the version when one is given (`2104.14129v2`)."""
    found: list[str] = []
    for text in texts:
        for match in _ARXIV_IN_TEXT.finditer(str(text or "")):
            parsed = _parse_arxiv_id(match.group(1))
            if parsed is None:
                continue
            ident = f"{parsed[0]}v{parsed[1]}" if parsed[1] else parsed[0]
            if ident not in found:
                found.append(ident)
    return found


def _arxiv_link(raw: str, original: str, *, strict: bool) -> Link:
    parsed = _parse_arxiv_id(raw)
    if parsed is None:
        if strict:
            raise LinkError(f"not a valid arXiv id: {_short(raw)!r}")
        return _malformed_arxiv(_normalize_escapes(raw, _PATH_SAFE), original)
    ident, version = parsed
    if version is None:
        return Link(f"arxiv:{ident}", "arxiv", f"https://arxiv.org/abs/{ident}", original)
    pinned = f"{ident}v{version}"
    return Link(
        f"arxiv:{pinned}",
        "arxiv",
        f"https://arxiv.org/abs/{pinned}",
        original,
        detail=(("version", str(version)),),
    )


def _strip_pdf(text: str) -> str:
    while text.lower().endswith(".pdf"):
        text = text[:-4]
    return text


def _malformed_arxiv(raw: str, original: str) -> Link:
    """A paper link whose id is broken: the arXiv stage rejects it locally with a clear error."""
    # Empty and dot segments would be folded away when the URL is read again: fold them now.
    raw = _strip_pdf("/".join(s for s in raw.split("/") if s not in ("", ".", "..")))
    if not raw:
        raise LinkError("not a valid arXiv id: it is empty")
    return Link(
        f"arxiv:{raw.lower()}",
        "arxiv",
        f"https://arxiv.org/abs/{raw}",
        original,
        detail=(("malformed", "1"),),
    )


def _arxiv_from_path(segments: list[str], original: str) -> Link | None:
    if len(segments) < 2 or segments[0].lower() not in ARXIV_PAPER_PATHS:
        return None  # /, /list/cs.CV/recent, /help ... are ordinary pages
    rest = _strip_pdf("/".join(segments[1:]))
    if not rest:
        return None
    candidates = [rest]
    if segments[0].lower() == "html":  # /html/2104.14129v1/S3.html: a section of the paper
        candidates += ["/".join(segments[1:3]), segments[1]]
    for candidate in candidates:
        if _parse_arxiv_id(candidate):
            return _arxiv_link(candidate, original, strict=False)
    return _malformed_arxiv(rest, original)


# --- GitHub ----------------------------------------------------------------------------------


def _github_from_path(segments: list[str], original: str) -> Link | None:
    """The repository a github.com link points into, or None for GitHub's other pages."""
    if len(segments) < 2:
        return None
    owner, repo = segments[0], segments[1]
    if repo.lower().endswith(".git"):
        repo = repo[:-4]
    if (
        owner.lower() in GITHUB_RESERVED
        or not _GITHUB_OWNER.fullmatch(owner)
        or not _GITHUB_REPO.fullmatch(repo)
        or repo in (".", "..")
    ):
        return None
    detail: tuple[tuple[str, str], ...] = ()
    if len(segments) > 4 and segments[2] == "releases" and segments[3] == "tag":
        detail = (("release_tag", unquote("/".join(segments[4:]))),)
    return Link(
        f"github:{owner.lower()}/{repo.lower()}",
        "github",
        f"https://github.com/{owner}/{repo}",
        original,
        detail=detail,
    )


# --- identity ---------------------------------------------------------------------------------


def identity_key(key: str | None) -> str | None:
    """The key two links of one item share: arXiv without version, GitHub and hosts in lower
    case, a Zhihu answer or column article by its id whatever URL form it came in."""
    if not key:
        return None
    if key.startswith("arxiv:"):
        parsed = parse_arxiv_id(key)
        return f"arxiv:{parsed[0]}" if parsed else key.lower()  # a malformed id is only itself
    if key.startswith("github:"):
        return key.lower()
    zhihu = _ZHIHU_ANSWER.match(key)
    if zhihu:
        return f"zhihu:answer:{zhihu.group(1)}"
    zhihu = _ZHIHU_ARTICLE.match(key)
    if zhihu:
        return f"zhihu:article:{zhihu.group(1)}"
    return key


_ZHIHU_ANSWER = re.compile(r"web:https://(?:www\.)?zhihu\.com/(?:question/\d+/)?answer/(\d+)/?$")
_ZHIHU_ARTICLE = re.compile(r"web:https://zhuanlan\.zhihu\.com/p/(\d+)/?$")


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
