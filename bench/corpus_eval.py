"""Measure extract_page against a corpus of saved pages with known metadata: accuracy, negatives, crashes, speed.

The corpus is a folder with a `manifest.jsonl`: one JSON object per page with `file` (path under the
folder), `url`, `expected` (field -> value; `date` is read as `published`) and optionally `kind`,
`source_project` (or `source_repo`) and `expected_null` (fields a correct extractor leaves empty: a negative page).

    PYTHONPATH=. python bench/corpus_eval.py CORPUS_DIR [--json] [--failures] [--repeat N] [--compare-trafilatura]

A field counts as right when it equals the expected value after NFKC, HTML-entity, curly-quote and
whitespace normalization, ignoring case; `published` counts as right when it names the same
instant (or the same day, when either side has no time).

Every title miss is put in one of three kinds, so a figure can be read against what the corpus
asks: "keeps an affix" (the expected title is a signal's text with the site's name, a section or
a kicker still set off from the headline by a separator, where the extractor's title is that
headline; the corpus's own definition of a title leaves the site's name out), "no signal has it" (no <title>, Open Graph, Twitter, JSON-LD, citation or heading text
of the page equals the expected title) and "signals disagree" (one signal has it, another won).
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
import unicodedata
from collections import defaultdict
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.decode import decode_html  # noqa: E402
from pipeline.extract import PageUnavailable, extract_page  # noqa: E402
from pipeline.sites.common import ParsedPage, to_iso_date  # noqa: E402
from pipeline.titles import first_h2  # noqa: E402

FIELDS = ("title", "site_name", "description", "author", "published")
NEGATIVE_KINDS = {"wechat-deleted", "wechat-violation", "wechat-unavailable", "wechat-account-about", "wechat-verify"}
# What sets a site's name, a section or a kicker off from the headline.
_AFFIX_JOINTS = frozenset("|-–—_:：·»›~")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})


def normalize(value: object) -> str:
    """The comparison form of a field value."""
    text = html.unescape(str(value or ""))
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return " ".join(text.split()).casefold()


def _moment(value: str) -> tuple[datetime | None, bool]:
    """A parsed date and whether it carries a time of day."""
    iso = to_iso_date(value)
    if not iso:
        return None, False
    try:
        return datetime.fromisoformat(iso), "T" in iso
    except ValueError:
        return None, False


def same_published(expected: str, got: str | None) -> bool:
    if not got:
        return False
    want, want_time = _moment(expected)
    have, have_time = _moment(got)
    if want is None or have is None:
        return normalize(expected) == normalize(got)
    if not (want_time and have_time):
        return want.date() == have.date()
    if (want.tzinfo is None) != (have.tzinfo is None):
        return want.replace(tzinfo=None) == have.replace(tzinfo=None)
    return want == have


def field_matches(field: str, expected: object, got: str | None) -> bool:
    if isinstance(expected, list):  # several authors: the record lists them comma-separated
        expected = ", ".join(str(item) for item in expected)
    if field == "published":
        return same_published(expected, got)
    return normalize(expected) == normalize(got)


def title_signals(body: bytes, url: str) -> list[str]:
    """Every text the page offers as its title, as written: <title>, Open Graph, Twitter,
    citation and Dublin Core titles, JSON-LD headlines, its <h1>s and, without one, its first <h2>."""
    page = ParsedPage(decode_html(body, None), url)
    texts = [page.title_tag, *page.h1_texts(), first_h2(page)]
    texts += [value for name in ("og:title", "twitter:title", "citation_title", "dc.title") for value in page.meta_values(name)]
    texts += [obj.get("headline") for obj in page.json_ld if isinstance(obj, dict)]
    return [text for text in texts if isinstance(text, str) and text.strip()]


def title_miss_kind(expected: str, got: str | None, signals: list[str]) -> str:
    """Why a title is a miss: "keeps an affix", "no signal has it" or "signals disagree"."""
    wanted, mine = normalize(expected), normalize(got)
    if wanted not in {normalize(text) for text in signals}:
        return "no signal has it"
    if mine and mine != wanted:
        rest = wanted[len(mine) :] if wanted.startswith(mine) else wanted[: -len(mine)] if wanted.endswith(mine) else ""
        joint = rest.lstrip()[:1] if wanted.startswith(mine) else rest.rstrip()[-1:]
        if joint and joint in _AFFIX_JOINTS and 0 < len(rest.split()) <= 7:
            return "keeps an affix"
    return "signals disagree"


def load_corpus(folder: Path) -> list[dict]:
    """Manifest entries with their file bytes read in (so timing measures parsing only)."""
    entries = []
    with open(folder / "manifest.jsonl", encoding="utf-8") as manifest:
        for line in manifest:
            if not line.strip():
                continue
            entry = json.loads(line)
            entry["expected"] = {("published" if k == "date" else k): v for k, v in entry.get("expected", {}).items()}
            entry["body"] = (folder / entry["file"]).read_bytes()
            entries.append(entry)
    return entries


def _is_negative(entry: dict) -> bool:
    return entry.get("kind") in NEGATIVE_KINDS or (bool(entry.get("expected_null")) and not entry["expected"])


def evaluate(entries: list[dict], compare_trafilatura: bool = False) -> dict:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # field -> [right, expected]
    by_group: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    by_project: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    failures, crashes, unexpected_unavailable = [], [], []
    negatives = [0, 0]
    parse_seconds = 0.0
    cpu_seconds = 0.0
    trafilatura_titles = [0, 0]
    title_misses: dict[str, int] = defaultdict(int)

    # Warm up once so lazily imported modules do not count as parse time.
    extract_page(b"<html><head><title>warm-up</title></head></html>", "https://example.invalid/")
    for entry in entries:
        group = entry.get("kind") or entry.get("source_project") or "all"
        project = entry.get("source_project") or entry.get("source_repo") or "unknown"
        url = entry.get("url") or "https://example.invalid/" + entry["file"]
        started, started_cpu = time.perf_counter(), time.process_time()
        try:
            record = extract_page(entry["body"], url).to_dict()
            unavailable = None
        except PageUnavailable as exc:
            record, unavailable = {}, exc
        except Exception as exc:  # noqa: BLE001 - a crash is what we are counting
            crashes.append({"file": entry["file"], "error": f"{type(exc).__name__}: {exc}"})
            continue
        finally:
            parse_seconds += time.perf_counter() - started
            cpu_seconds += time.process_time() - started_cpu

        if _is_negative(entry):
            negatives[1] += 1
            empty = all(not record.get(f) for f in entry.get("expected_null", []))
            if unavailable is not None or empty:
                negatives[0] += 1
            else:
                failures.append({"file": entry["file"], "field": "negative", "got": record.get("title")})
            continue
        if unavailable is not None:
            unexpected_unavailable.append({"file": entry["file"], "reason": unavailable.reason})

        for field, expected in entry["expected"].items():
            if field not in FIELDS or expected in (None, ""):
                continue
            right = field_matches(field, expected, record.get(field))
            for bucket in (totals[field], by_group[group][field], by_project[project][field]):
                bucket[0] += right
                bucket[1] += 1
            if not right:
                failure = {"file": entry["file"], "field": field, "expected": expected, "got": record.get(field)}
                if field == "title":
                    failure["kind"] = title_miss_kind(expected, record.get("title"), title_signals(entry["body"], url))
                    title_misses[failure["kind"]] += 1
                failures.append(failure)

        if compare_trafilatura and entry["expected"].get("title"):
            trafilatura_titles[1] += 1
            trafilatura_titles[0] += normalize(entry["expected"]["title"]) == normalize(_trafilatura_title(entry, url))

    def rates(counts: dict[str, list[int]]) -> dict[str, dict]:
        return {f: {"right": r, "total": t, "accuracy": round(r / t, 4) if t else None} for f, (r, t) in sorted(counts.items())}

    report = {
        "pages": len(entries),
        "fields": rates(totals),
        "by_group": {group: rates(counts) for group, counts in sorted(by_group.items())},
        "by_project": {project: rates(counts) for project, counts in sorted(by_project.items())},
        "negatives": {"recognized": negatives[0], "total": negatives[1]},
        "crashes": crashes,
        "unexpected_unavailable": unexpected_unavailable,
        "pages_per_second": round(len(entries) / parse_seconds, 1) if parse_seconds else None,
        # CPU time of this process only: steady when other jobs share the machine's cores.
        "pages_per_cpu_second": round(len(entries) / cpu_seconds, 1) if cpu_seconds else None,
        "title_misses": dict(sorted(title_misses.items())),
        "failures": failures,
    }
    if compare_trafilatura:
        right, total = trafilatura_titles
        report["trafilatura_title"] = {"right": right, "total": total, "accuracy": round(right / total, 4) if total else None}
    return report


def _trafilatura_title(entry: dict, url: str) -> str | None:
    from trafilatura import extract_metadata  # optional: only for --compare-trafilatura

    from pipeline.decode import decode_html

    try:
        metadata = extract_metadata(decode_html(entry["body"], None), default_url=url)
    except Exception:  # noqa: BLE001 - a comparison tool's crash is its miss
        return None
    return metadata.title if metadata is not None else None


def _percent(stats: dict) -> str:
    return f"{stats['accuracy'] * 100:5.1f}% ({stats['right']}/{stats['total']})" if stats["total"] else "-"


def print_report(report: dict, show_failures: bool) -> None:
    print(
        f"pages: {report['pages']}   parse speed: {report['pages_per_second']} pages/s "
        f"({report['pages_per_cpu_second']} per CPU second; one core, parsing only)"
    )
    print("accuracy by field:")
    for field, stats in report["fields"].items():
        print(f"  {field:12} {_percent(stats)}")
    print("by group:")
    for group, fields in report["by_group"].items():
        cells = "  ".join(f"{field}={_percent(stats).split(' ')[-1]}" for field, stats in fields.items())
        print(f"  {group:32} {cells}")
    if set(report["by_project"]) != set(report["by_group"]):
        print("by source project:")
        for project, fields in report["by_project"].items():
            cells = "  ".join(f"{field}={_percent(stats).split(' ')[-1]}" for field, stats in fields.items())
            print(f"  {project:32} {cells}")
    if report["title_misses"]:
        print("title misses: " + ", ".join(f"{kind} {count}" for kind, count in report["title_misses"].items()))
    neg = report["negatives"]
    print(f"negative pages recognized: {neg['recognized']}/{neg['total']}")
    print(f"crashes: {len(report['crashes'])}")
    for crash in report["crashes"]:
        print(f"  {crash['file']}: {crash['error']}")
    if report["unexpected_unavailable"]:
        print(f"article pages reported unavailable: {len(report['unexpected_unavailable'])}")
        for item in report["unexpected_unavailable"]:
            print(f"  {item['file']}: {item['reason']}")
    if "trafilatura_title" in report:
        print(f"trafilatura extract_metadata title: {_percent(report['trafilatura_title'])}")
    if show_failures:
        print("mismatches:")
        for failure in report["failures"]:
            kind = f" ({failure['kind']})" if "kind" in failure else ""
            print(
                f"  {failure['file']} [{failure['field']}]{kind} expected={failure.get('expected')!r} got={failure.get('got')!r}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="folder holding manifest.jsonl and the saved pages")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.add_argument("--failures", action="store_true", help="list every mismatch")
    parser.add_argument("--repeat", type=int, default=1, metavar="N", help="parse the corpus N times and report the fastest run")
    parser.add_argument(
        "--compare-trafilatura", action="store_true", help="also measure trafilatura's extract_metadata title accuracy"
    )
    args = parser.parse_args(argv)
    if not (args.corpus / "manifest.jsonl").is_file():
        parser.error(f"{args.corpus} has no manifest.jsonl")
    entries = load_corpus(args.corpus)
    report = evaluate(entries, compare_trafilatura=args.compare_trafilatura)
    for _ in range(args.repeat - 1):
        again = evaluate(entries)
        if (again["pages_per_cpu_second"] or 0) > (report["pages_per_cpu_second"] or 0):
            report["pages_per_second"] = again["pages_per_second"]
            report["pages_per_cpu_second"] = again["pages_per_cpu_second"]
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print_report(report, args.failures)
    return 1 if report["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
