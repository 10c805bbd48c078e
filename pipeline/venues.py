"""Venue tags (`CVPR 2020`) read from an arXiv comment or journal reference, by the table in data/venues.tsv."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_YEAR4 = r"(?:19[89]\d|20\d\d)"
_URL = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|org|io|net)/\S*", re.IGNORECASE)


@dataclass(frozen=True)
class Venue:
    name: str  # as printed in the tag
    aliases: tuple[str, ...]  # every spelling, the name included
    exact: bool  # the spellings count only as written (names that are also ordinary words)
    area: str


def parse_table(text: str) -> list[Venue]:
    """The venues of a table in the venues.tsv format; a malformed line raises ValueError naming it."""
    venues: list[Venue] = []
    seen: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != 4 or not cells[0].strip() or cells[2] not in ("any", "exact"):
            raise ValueError(f"venues table line {number}: expected name, aliases, any|exact, area")
        name = cells[0].strip()
        aliases = (name, *(a.strip() for a in cells[1].split("|") if a.strip()))
        for alias in aliases:
            if alias.lower() in seen:
                raise ValueError(f"venues table line {number}: {alias!r} is already a spelling of {seen[alias.lower()]}")
            seen[alias.lower()] = name
        venues.append(Venue(name, aliases, cells[2] == "exact", cells[3].strip()))
    return venues


@lru_cache(maxsize=1)
def venues() -> tuple[Venue, ...]:
    """The venue table shipped with the package."""
    text = resources.files("pipeline").joinpath("data/venues.tsv").read_text(encoding="utf-8")
    return tuple(parse_table(text))


class _Matcher:
    """One alternation of every spelling, longest first, in the three shapes a year takes."""

    def __init__(self, table: tuple[Venue, ...]):
        self.by_spelling = {a.lower(): (v, a) for v in table for a in v.aliases}
        spellings = sorted(self.by_spelling, key=len, reverse=True)
        names = "|".join(re.escape(s).replace(r"\ ", r"\s+") for s in spellings)
        alias = rf"(?<![\w&+-])(?P<alias>{names})(?![^\W\d_]|[&+]|-[A-Za-z])"
        # "CVPR 2020", "CVPR2020", "(ISSTA) 2022", "ISCA-2021", "ICML, 2019", "ICLR'21", "AAAI-21".
        self.year_after = re.compile(
            rf"{alias}(?:\s*['’`]\s*(?P<short>\d\d)|\)?[\s,(-]*(?P<year>{_YEAR4})|-?(?P<attached>\d\d))(?!\d)"
            r"(?P<workshop>\s+workshops?\b)?",
            re.IGNORECASE,
        )
        # "2023 IEEE International Conference on ... Workshops (ICSTW)": the year opens the phrase.
        self.year_before = re.compile(rf"(?<!\d)(?P<year>{_YEAR4})(?!\d)[^.;()\d]{{0,100}}?(?P<open>\()?{alias}", re.IGNORECASE)

    def venue(self, match: re.Match[str]) -> Venue | None:
        written = " ".join(match.group("alias").split())
        venue, spelling = self.by_spelling[written.lower()]
        if venue.exact and written != spelling:
            return None
        return venue


@lru_cache(maxsize=1)
def _matcher() -> _Matcher:
    return _Matcher(venues())


def _year(match: re.Match[str]) -> str | None:
    if match.group("year"):
        return match.group("year")
    two = int(match.group("short") or match.group("attached"))
    if 40 <= two < 80:  # an edition number ("MICRO-54"), not a year
        return None
    return f"{1900 + two if two >= 80 else 2000 + two}"


def find_venue(text: str | None) -> str | None:
    """The first venue named with its year in `text`, as a tag: `Accepted to CVPR 2020` ->
    `CVPR 2020`, `ICLR'21` -> `ICLR 2021`, `NeurIPS 2021 workshop on ...` -> `NeurIPS 2021
    Workshop`, `2023 IEEE ... (ICSTW)` -> `ICSTW 2023`; None when no venue and year are named."""
    if not text:
        return None
    text = _URL.sub(" ", text)  # "github.com/a/cvpr2020-demo" names no venue
    matcher = _matcher()
    for match in matcher.year_after.finditer(text):
        venue, year = matcher.venue(match), _year(match)
        if venue is not None and year is not None:
            return f"{venue.name} {year}" + (" Workshop" if match.group("workshop") else "")
    for match in matcher.year_before.finditer(text):
        venue = matcher.venue(match)
        # Only a spelled-out name or an abbreviation in parentheses is tied to a year before it:
        # "In 2019 we ran it on an FPGA" names no venue.
        spelled_out = " " in match.group("alias").strip()
        if venue is not None and (match.group("open") or spelled_out):
            return f"{venue.name} {match.group('year')}"
    return None


def venue_of(comment: str | None, journal_ref: str | None) -> str | None:
    """The venue tag of a paper: from its comment first, else from its journal reference."""
    return find_venue(comment) or find_venue(journal_ref)
