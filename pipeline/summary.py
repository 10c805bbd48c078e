"""Summary drafts for every kind: the best material at hand, cleaned and cut to a few whole sentences.

The material: a paper's abstract; a repository's description and its README's first real
paragraph; a page's description when it is a real summary, else the lead of the article's text.
The result is a *draft* for the editor, never finished prose; the Markdown templates mark it as
such (the default template appends `〔待编辑〕`). The text returned here carries no marker, so the
JSON document stays plain data.

Budget: up to three sentences and about 200 characters of CJK text or 320 of Latin text. The cut
is always at a sentence end of the text's own script (`。！？`, `.!?`, Arabic `؟`, Devanagari `।`,
…); only when the first sentence alone is over budget is it cut at a word boundary (a character
boundary in CJK text, never mid-word) and ended with `…`. A text the site itself cut short (`...`)
loses its broken tail.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from pipeline import textclean
from pipeline.models import ArxivRecord, GithubRecord, WebRecord
from pipeline.textclean import (
    drop_credits,
    drop_prompts,
    drop_title,
    latex_to_text,
    markdown_to_text,
    squash,
    strip_markup,
)

# The version of the drafting rules, for summaries kept between runs: the rules are this module
# and the cleaning module, so their text is the version, and no one has to remember to bump it.
RULES = hashlib.sha1(b"".join(Path(m).read_bytes() for m in (__file__, textclean.__file__))).hexdigest()[:16]

CJK_BUDGET = 200
LATIN_BUDGET = 320
MAX_SENTENCES = 3
# Of an article's text, cleaned: twice the longest budget is more than a summary can use.
LEAD_PARAGRAPHS_CHARS = 2 * LATIN_BUDGET

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

# Words after which a period does not end a sentence.
_ABBREVIATIONS = (
    "e.g.",
    "i.e.",
    "et al.",
    "etc.",
    "vs.",
    "cf.",
    "fig.",
    "figs.",
    "eq.",
    "eqs.",
    "no.",
    "dr.",
    "mr.",
    "ms.",
    "prof.",
    "sec.",
    "approx.",
    "resp.",
)
_LONGEST_ABBREVIATION = max(len(a) for a in _ABBREVIATIONS)

# Sentence ends. Marks of scripts written without a space after them (CJK `。！？`, Devanagari
# `।॥`, Armenian `։`, Ethiopic `።`, Myanmar `။`, Urdu `۔`, Arabic `؟`) end a sentence where they
# stand; `.!?` only before whitespace or the end (so "3.5" and "node.js" do not). Closing quotes
# and brackets stay with the sentence they close.
_CLOSERS = "”’」』）)\"'\\]》】"
_SENTENCE_END = re.compile(rf"(?P<wide>[。！？｡।॥։።။۔؟‼⁇⁈⁉]+)[{_CLOSERS}]*|(?P<latin>[.!?]+)[{_CLOSERS}]*(?=\s|$)")
# A text a site cut short: it ends in an ellipsis of its own.
_CUT_MARK = re.compile(r"\s*(?:\.{2,}|…+|。{3,})[\s\"”』」)）]*$")
_NEXT_WORD = re.compile(r"\s*(\S)")


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def clean_text(text: str | None, *, title: str | None = None) -> str:
    """Plain one-line text: markup, entities and escapes undone, opening credits and labels,
    share prompts and a leading repeat of `title` removed, whitespace collapsed."""
    if not text:
        return ""
    # One collapse before the rules (they match single spaces) and one after (they leave gaps).
    text = collapse_whitespace(strip_markup(text))
    return collapse_whitespace(drop_title(drop_prompts(drop_credits(text)).strip(), title))


def _ends(text: str) -> Iterator[int]:
    """Offsets just past each sentence end, one at a time (a summary needs only the first few)."""
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        mark = match.group("latin")
        if mark:
            if mark.startswith(".."):  # an ellipsis, not a full stop
                continue
            # Only the last few characters can hold an abbreviation, and only the next
            # non-space character matters: never copy the rest of the text for each mark.
            at = match.start("latin") + 1
            before = text[max(at - _LONGEST_ABBREVIATION, 0) : at]
            if mark[0] == "." and before.lower().endswith(_ABBREVIATIONS):
                continue
            following = _NEXT_WORD.match(text, end)
            if following and following.group(1).islower():
                continue
        yield end


def sentence_ends(text: str) -> list[int]:
    """Offsets just past each sentence end, and the text's end when it has an unended tail."""
    ends = list(_ends(text))
    if not ends or ends[-1] < len(text.rstrip()):
        ends.append(len(text))
    return ends


def split_sentences(text: str) -> list[str]:
    pieces, start = [], 0
    for end in sentence_ends(text):
        if text[start:end].strip():
            pieces.append(text[start:end].strip())
        start = end
    return pieces


def is_mostly_cjk(text: str) -> bool:
    if not text or text.isascii():  # no CJK at all, without scanning for it
        return False
    sample = text[:400]  # the script of a text shows in its first few sentences
    return len(_CJK.findall(sample)) * 3 >= len(sample)


def _wordish(char: str) -> bool:
    """A character of a word written with spaces between words (not CJK, where any character
    boundary is a fine place to cut)."""
    return (char.isalnum() or char in "'’_-") and not _CJK.match(char)


_TRAILING = " ,;:，；：、([{“‘「『（《【\"'-"


def cut_at_sentence(text: str, limit: int, *, at_least: float = 0.5) -> str:
    """`text` capped at `limit` characters: at its last sentence end within them when that keeps
    `at_least` of the limit, else between words with `…`. For the stored leads (an article's text,
    a README's paragraph), which must be bounded without ending in the middle of a word."""
    if len(text) <= limit:
        return text
    end = 0
    for candidate in _ends(text):
        if candidate > limit:
            break
        end = candidate
    if end >= limit * at_least:
        return text[:end].rstrip()
    return cut_words(text, limit)


def cut_words(text: str, budget: int, ellipsis: str = "…") -> str:
    """At most `budget` characters (ellipsis included), cut between words (or CJK characters)."""
    return text if len(text) <= budget else _cut(text, budget, ellipsis)


def _cut(text: str, budget: int, ellipsis: str = "…") -> str:
    room = min(max(budget - len(ellipsis), 1), len(text))
    cut = room
    while cut > 0 and cut < len(text) and _wordish(text[cut - 1]) and _wordish(text[cut]):
        cut -= 1
    if cut < room // 2:  # one token longer than half the budget (a URL, a hash): cut it
        cut = room
    head = text[:cut].rstrip(_TRAILING)
    return head + ellipsis if head else ""


def _fragment(text: str, budget: int) -> str:
    """A text without a whole sentence that its site cut short: its broken last word goes and
    `…` says it goes on."""
    text = _CUT_MARK.sub("", text)
    if len(text) >= budget:
        return _cut(text, budget)
    if text and _wordish(text[-1]) and " " in text:
        text = text[: text.rstrip().rfind(" ")]
    head = text.rstrip(_TRAILING)
    return head + "…" if head else ""


def draft_summary(text: str | None, *, budget: int | None = None, complete: bool = True, title: str | None = None) -> str:
    """A few whole sentences of `text`, cleaned; '' when there is nothing to say.

    `complete` says the text ends where its author ended it (an abstract, a repository's
    description): its last words count even without a mark. A text its site may have cut
    (a page description) keeps only whole sentences, or ends in `…`.
    """
    return _whole_sentences(clean_text(text, title=title), budget, complete)


def _whole_sentences(text: str, budget: int | None, complete: bool) -> str:
    """`draft_summary` of a text already cleaned."""
    if not text:
        return ""
    if budget is None:
        budget = CJK_BUDGET if is_mostly_cjk(text) else LATIN_BUDGET
    complete = complete and not _CUT_MARK.search(text)
    cut = count = 0
    for end in _ends(text):
        if count == MAX_SENTENCES or (cut and len(text[:end].rstrip()) > budget):
            break
        cut, count = end, count + 1
    if complete and count < MAX_SENTENCES and text[cut:].strip() and len(text.rstrip()) <= budget:
        cut = len(text)  # the unended last words of a complete text fit too
    summary = text[:cut].strip()
    if not summary:
        return cut_words(text, budget) if complete else _fragment(text, budget)
    return cut_words(summary, budget)


# ---------------------------------------------------------------------------------------------
# The material of each kind


# WeChat fills the digest an author left empty with the article's first 54 characters, cut
# wherever they end.
_AUTO_DIGEST_HOSTS = ("mp.weixin.qq.com",)
_AUTO_DIGEST_CHARS = range(50, 61)
_LEAD_SLACK = 120  # word characters of a text before the place its description was taken from
_ENDS_SENTENCE = re.compile(rf"(?:[。！？｡।॥։።။۔؟‼⁇⁈⁉]|(?<!\.)[.!?])[{_CLOSERS}]*$")


def is_cut_short(description: str, text: str | None, url: str | None = None) -> bool:
    """Whether a page description is no summary but the article's first line cut short: it ends
    in the site's own ellipsis, it is the start of the article's text, or it is WeChat's
    automatic digest."""
    if _CUT_MARK.search(description):
        return True
    host = (urlsplit(url).hostname or "") if url else ""
    if host in _AUTO_DIGEST_HOSTS and len(description) in _AUTO_DIGEST_CHARS and not _ENDS_SENTENCE.search(description):
        return True
    if not text:
        return False
    start = squash(description)
    # The text may open with the headline or a credit line before the words the description took.
    return len(start) >= 8 and 0 <= squash(text[: len(description) * 2 + 400]).find(start) <= _LEAD_SLACK


def _paragraphs(text: str) -> Iterator[str]:
    """The text's paragraphs, one at a time: a summary needs only the first few of them."""
    for paragraph in _LINES.split(text):
        paragraph = collapse_whitespace(paragraph)
        if paragraph:
            yield paragraph


_LINES = re.compile(r"\n\s*\n|\n")


def lead_summary(text: str | None, *, title: str | None = None) -> str:
    """The summary of an article's text: its first paragraphs that are prose (headings, captions
    and credit lines skipped)."""
    if not text:
        return ""
    chosen: list[str] = []
    size = 0
    title_squashed = squash(title) if title else None
    for paragraph in _paragraphs(text):
        cleaned = clean_text(paragraph, title=title)
        if not cleaned or (title_squashed and len(cleaned) <= 2 * len(title_squashed) + 20 and squash(cleaned) == title_squashed):
            continue
        # A short line without a sentence end is a heading or a caption, not the lead.
        if next(_ends(cleaned), None) is None and len(cleaned) < (30 if is_mostly_cjk(cleaned) else 60):
            continue
        chosen.append(cleaned)
        size += len(cleaned)
        if size >= LEAD_PARAGRAPHS_CHARS:
            break
    if not chosen:  # a post of short lines only (a WeChat text share): they are what it says
        chosen = [clean_text(p, title=title) for p in itertools.islice(_paragraphs(text), 8)]
    return _whole_sentences(_join([p for p in chosen if p]), None, True)


_WIDE = re.compile(r"[\u3000-\u303f\uff00-\uffef]")


def _join(paragraphs: list[str]) -> str:
    """Paragraphs as one text: a space between them, except between CJK ones (CJK text has
    no spaces between sentences)."""
    joined = ""
    for paragraph in paragraphs:
        wide = joined and (_CJK.match(joined[-1]) or _WIDE.match(joined[-1])) and _CJK.match(paragraph[0])
        joined += paragraph if not joined or wide else " " + paragraph
    return joined


_MIN_DESCRIPTION = 12


def page_summary(record: WebRecord) -> str:
    """A web page's summary: its description when that is a real summary, else its text's lead,
    else what there is of the description."""
    title = record.title or None
    text = record.text or None
    description = clean_text(record.description, title=title)
    if len(description) < _MIN_DESCRIPTION and not _ENDS_SENTENCE.search(description):
        description = ""  # what is left of a description that was the title plus a keyword
    if description and not is_cut_short(description, text, record.url):
        # Unended words after whole sentences are where the site cut its description; a
        # description without any sentence end is a phrase, whole as it is.
        return draft_summary(description, complete=next(_ends(description), None) is None, title=title)
    lead = lead_summary(text, title=title)
    if lead:
        return lead
    return draft_summary(description, complete=False, title=title) if description else ""


def paper_title(record: ArxivRecord) -> str | None:
    """A paper's title with its LaTeX made readable."""
    return latex_to_text(record.title) or None


def paper_summary(record: ArxivRecord) -> str:
    """A paper's summary: the first sentences of its abstract, LaTeX made readable."""
    return draft_summary(latex_to_text(record.abstract), title=paper_title(record))


def repository_summary(record: GithubRecord) -> list[str]:
    """A repository's summary paragraphs: its description, then its README's first real
    paragraph when that says more than the description."""
    description = draft_summary(record.description)
    readme = record.readme
    paragraphs = [description] if description else []
    if readme:
        about = draft_summary(markdown_to_text(str(readme)))
        said = squash(description)
        if about and not (said and (squash(about).startswith(said) or said.startswith(squash(about)))):
            paragraphs.append(about)
    return paragraphs


def format_count(number: int) -> str:
    """12345 -> '12.3k', 999 -> '999', 1200000 -> '1.2M' (as GitHub shows star counts)."""
    for limit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if number >= limit:
            value = f"{number / limit:.1f}".rstrip("0").rstrip(".")
            return f"{value}{suffix}"
    return str(number)


def github_facts(record: GithubRecord) -> str:
    """The facts an editor checks about a repository, e.g. `C++ · ★ 12.3k · Apache-2.0 · 最新版本 v2.0（2020-05-01）`."""
    facts: list[str] = []
    if record.archived:
        facts.append("已归档（archived）")
    if record.language:
        facts.append(collapse_whitespace(str(record.language)))
    if isinstance(record.stars, int):
        facts.append(f"★ {format_count(record.stars)}")
    if record.license and record.license != "NOASSERTION":
        facts.append(collapse_whitespace(str(record.license)))
    release = record.latest_release or None
    if isinstance(release, dict):
        name = release.get("tag") or release.get("name")
        if name:
            when = str(release.get("published_at") or "")[:10]
            facts.append(f"最新版本 {collapse_whitespace(str(name))}" + (f"（{when}）" if when else ""))
    if record.renamed_from:
        facts.append(f"原名 {collapse_whitespace(str(record.renamed_from))}")
    return " · ".join(facts)
