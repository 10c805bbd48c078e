"""Site-name candidates (og:site_name, JSON-LD publisher, app name, title affixes, the host) and the pick by their agreement."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pipeline.sites.common import clean_text

_SECOND_LEVEL = {"co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go"}
_NOT_ALNUM = re.compile(r"[\W_]+")
# Endings and openings a site's name is written with or without ("The Verge", "verge.com").
_NAME_NOISE = re.compile(r"^(https?)?(the|www)|(com|net|org|online|de|cz|at|ch|fr|es|it|nl|jp|cn|couk|io|info)$")


@lru_cache(maxsize=4096)
def squash(text: str) -> str:
    """Lower-case letters and digits only (CJK kept), for loose name comparisons."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text).lower())


@lru_cache(maxsize=1024)
def host_key(host: str) -> str:
    """The registered-domain label of a host: "arstechnica" for www.arstechnica.com."""
    labels = [label for label in host.split(".") if label]
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else (labels[0] if labels else "")


def is_site_part(part: str, site_names: list[str], host: str) -> bool:
    """True when a piece of a title names the site: one of its names, or its host's brand."""
    squashed = squash(part)
    if not squashed:
        return False
    for name in site_names:
        name_key = squash(name)
        if not name_key:
            continue
        if squashed == name_key:
            return True
        if len(squashed) <= 2 * len(name_key) + 4 and (squashed.startswith(name_key) or squashed.endswith(name_key)):
            return True
        if len(squashed) >= 4 and squashed in name_key:
            return True
    key = squash(host_key(host))
    if len(key) < 3:
        return False
    # Hosts are written without accents: "Nestlé Marktplatz" on nestle-marktplatz.de.
    squashed = _ascii(squashed)
    return squashed in (key, squash(host)) or (squashed.startswith(key) and len(squashed) <= 2 * len(key) + 4)


@lru_cache(maxsize=4096)
def _ascii(text: str) -> str:
    """The text with accents dropped ("é" -> "e"); other characters unchanged."""
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


@lru_cache(maxsize=4096)
def _name_key(name: str) -> str:
    """A name without accents, "the", "www" and a domain ending, for comparing names."""
    key = squash(_ascii(name))
    trimmed = _NAME_NOISE.sub("", key)
    return trimmed if len(trimmed) >= 2 else key


def same_site(a: str, b: str) -> bool:
    """Two ways of writing one site's name ("The Verge" and "theverge.com", "ORF.at" and "orf")."""
    key_a, key_b = _name_key(a), _name_key(b)
    return bool(key_a) and key_a == key_b


def names_host(name: str, host: str) -> bool:
    """True when a name is the host's brand, or contains it ("Evening Standard" on standard.co.uk)."""
    key, name_key = _name_key(host_key(host)), _name_key(name)
    if not key or not name_key:
        return False
    return key == name_key or (len(key) >= 4 and key in name_key) or (len(name_key) >= 4 and name_key in key)


# How much each signal's word counts. The host and the table of known sites by host only
# corroborate, as one signal (a platform's host names the platform, not the publication on it);
# a title's prefix is as often a section as the site; logos are often taglines; the end of a
# <title> that the host corroborates names the site only when nothing else does.
_WEIGHTS = {
    "og:site_name": 1.0,
    "og:site_name part": 0.9,
    "publisher": 1.0,
    "website": 0.8,
    "application-name": 0.8,
    "known": 0.5,
    "title suffix": 1.0,
    "title prefix": 0.7,
    "logo": 0.6,
    "title end": 0.3,
}
_HOST_WEIGHT = 0.5
_NAME_SEPARATORS = re.compile(r"\s+[-|–—:·]\s+|\s*[|｜]\s*")


@dataclass
class SiteCandidate:
    source: str
    name: str
    score: float = 0.0


def site_candidates(named: list[tuple[str, str | None]]) -> list[SiteCandidate]:
    """Cleaned candidates in signal order; a name written with a tagline ("Site - Slogan") also
    gives its parts, which win when another signal names the site the short way; a title's affix
    made of pieces ("Section - Site") gives only its pieces."""
    found: list[SiteCandidate] = []
    seen: set[tuple[str, str]] = set()
    for source, raw in named:
        name = clean_text(raw) if raw else None
        if not name or len(name) > 120 or (source, squash(name)) in seen:
            continue
        seen.add((source, squash(name)))
        if source in ("title suffix", "title prefix") and _NAME_SEPARATORS.search(name):
            # "Section - Site" after a headline: the piece nearest the title's end is the site's,
            # unless the host names another piece.
            parts = [clean_text(part) for part in _NAME_SEPARATORS.split(name)]
            found.extend(
                SiteCandidate(source, part)
                for part in (parts[::-1] if source == "title suffix" else parts)
                if part and squash(part)
            )
            continue
        found.append(SiteCandidate(source, name))
        if source in ("og:site_name", "application-name") and _NAME_SEPARATORS.search(name):
            for part in _NAME_SEPARATORS.split(name):
                part = clean_text(part) or ""
                if squash(part):
                    found.append(SiteCandidate(f"{source} part", part))
    return found


def _signal(source: str) -> str:
    """The signal a candidate comes from: a name's parts, and the <title>'s suffix and its end,
    cannot vote for each other."""
    source = source.removesuffix(" part")
    return "title suffix" if source == "title end" else source


def pick_site_name(candidates: list[SiteCandidate], host: str, notes: list[str] | None = None) -> str | None:
    """The name most signals agree on; without agreement, the first signal in the usual order
    (og:site_name, publisher, web site, app name, known sites, title suffix and prefix, logo).

    Each candidate scores its own weight plus the weights of the other signals that write the same
    name, and half a vote when the host names it too: an og:site_name naming a section ("U.S.")
    loses to a publisher that the title's suffix repeats.
    """
    if not candidates:
        return None
    for candidate in candidates:
        weight = _WEIGHTS.get(candidate.source, 0.8)
        agreeing = {
            _signal(other.source) for other in candidates if other is not candidate and same_site(other.name, candidate.name)
        }
        agreeing.discard(_signal(candidate.source))
        candidate.score = weight + sum(_WEIGHTS.get(source, 0.8) for source in agreeing)
        if "known" not in agreeing and candidate.source != "known" and names_host(candidate.name, host):
            candidate.score += _HOST_WEIGHT
    best = max(candidates, key=lambda c: (round(c.score, 3), -candidates.index(c)))
    if notes is not None:
        for candidate in candidates:
            mark = "->" if candidate is best else "  "
            notes.append(f"  {mark} site {candidate.score:4.1f} {candidate.source:20} {candidate.name!r}")
    return best.name
