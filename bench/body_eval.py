"""Score main-text extraction on a body corpus (pages with snippets that must and must not appear).

The corpus folder holds `manifest.jsonl` (one object per page: `file`, `url`, `language`,
`source_project`, `with`, `without`) and the pages. Scoring follows the corpus README: whitespace
runs become one space in output and snippets, a `with` snippet found is a true positive, a
`without` snippet found a false positive; counts are summed over snippets of all pages.

    PYTHONPATH=. python bench/body_eval.py CORPUS_BODY_DIR [--compare-trafilatura] [--repeat N] [--failures]
    PYTHONPATH=. python bench/body_eval.py --wechat CN_CORPUS_DIR

`--wechat` checks instead that every WeChat article page (all post kinds) of a Chinese-pages
corpus gets non-empty text, and prints each page's text length.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.extract import extract_text

_SPACES = re.compile(r"[\s\u00a0\u3000]+")


def squash(text: str) -> str:
    """The README's only normalization: every whitespace run is one space, ends trimmed."""
    return _SPACES.sub(" ", text).strip()


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.tn += other.tn

    def figures(self) -> str:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else 0.0
        total = self.tp + self.fp + self.fn + self.tn
        accuracy = (self.tp + self.tn) / total if total else 0.0
        return f"P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}  acc {accuracy:.3f}  (TP {self.tp} FP {self.fp} FN {self.fn} TN {self.tn})"


@dataclass
class Run:
    name: str
    overall: Counts = field(default_factory=Counts)
    by_language: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_source: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    seconds: float = 0.0
    pages: int = 0
    crashes: int = 0
    empty: int = 0
    misses: list[tuple[str, list[str], list[str]]] = field(default_factory=list)


def score_page(output: str | None, with_: list[str], without: list[str]) -> tuple[Counts, list[str], list[str]]:
    """The snippet counts of one page, with the missed and the wrongly kept snippets."""
    counts = Counts()
    text = squash(output or "")
    missed, kept = [], []
    for snippet in with_:
        if text and squash(snippet) in text:
            counts.tp += 1
        else:
            counts.fn += 1
            missed.append(snippet)
    for snippet in without:
        if text and squash(snippet) in text:
            counts.fp += 1
            kept.append(snippet)
        else:
            counts.tn += 1
    return counts, missed, kept


def _language(entry: dict) -> str:
    language = entry.get("language")
    return language if language in ("en", "de", "zh") else "other"


def evaluate(name: str, extract: Callable[[bytes, str], str | None], pages: list[tuple[dict, bytes]]) -> Run:
    run = Run(name)
    for entry, raw in pages:
        started = time.process_time()
        try:
            output = extract(raw, entry.get("url") or "")
        except Exception:  # noqa: BLE001 - a crash is scored as an empty output and counted
            output = None
            run.crashes += 1
        run.seconds += time.process_time() - started
        run.pages += 1
        if not output or not output.strip():
            run.empty += 1
        counts, missed, kept = score_page(output, entry.get("with") or [], entry.get("without") or [])
        run.overall.add(counts)
        run.by_language[_language(entry)].add(counts)
        run.by_source[entry.get("source_project") or "?"].add(counts)
        if missed or kept:
            run.misses.append((entry["file"], missed, kept))
    return run


def time_pass(extract: Callable[[bytes, str], str | None], pages: list[tuple[dict, bytes]]) -> float:
    """CPU seconds of one more pass over the pages (crashes included, outputs ignored)."""
    started = time.process_time()
    for entry, raw in pages:
        try:
            extract(raw, entry.get("url") or "")
        except Exception:  # noqa: BLE001, S112 - scored in the first pass; here only time counts
            continue
    return time.process_time() - started


def trafilatura_extract() -> Callable[[bytes, str], str | None]:
    import trafilatura  # the bench extra; imported only when asked for

    def extract(raw: bytes, url: str) -> str | None:
        return trafilatura.extract(raw, url=url or None)

    return extract


def report(run: Run) -> None:
    speed = run.pages / run.seconds if run.seconds else 0.0
    print(
        f"== {run.name}: {run.pages} pages, {speed:.1f} pages/s on one core (CPU time), "
        f"{run.crashes} crashes, {run.empty} empty outputs"
    )
    print(f"  overall  {run.overall.figures()}")
    for language in ("en", "de", "zh", "other"):
        if language in run.by_language:
            print(f"  {language:<8} {run.by_language[language].figures()}")
    for source, counts in sorted(run.by_source.items()):
        print(f"  source {source}: {counts.figures()}")


def load(folder: Path) -> list[tuple[dict, bytes]]:
    pages = []
    with open(folder / "manifest.jsonl", encoding="utf-8") as manifest:
        for line in manifest:
            if line.strip():
                entry = json.loads(line)
                pages.append((entry, (folder / entry["file"]).read_bytes()))
    return pages


def check_wechat(folder: Path) -> int:
    """Every WeChat article page (kind `wechat`) must give non-empty text; returns the exit code."""
    failures = 0
    checked = 0
    with open(folder / "manifest.jsonl", encoding="utf-8") as manifest:
        for line in manifest:
            entry = json.loads(line)
            if entry.get("kind") != "wechat":
                continue
            checked += 1
            raw = (folder / entry["file"]).read_bytes()
            text = extract_text(raw, entry.get("url") or "https://mp.weixin.qq.com/s/x")
            length = len(text or "")
            if not length:
                failures += 1
            lead = squash(text or "")[:60]
            print(f"{'ok  ' if length else 'EMPTY'} {entry.get('variant', '?'):<14} {length:>6} chars  {entry['file']}  {lead}")
    print(f"{checked - failures} of {checked} WeChat article pages have text")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="the corpus folder (with manifest.jsonl)")
    parser.add_argument("--compare-trafilatura", action="store_true", help="score trafilatura's extract in the same run")
    parser.add_argument("--repeat", type=int, default=1, metavar="N", help="time N passes and keep the fastest")
    parser.add_argument("--failures", action="store_true", help="list each page's missed and wrongly kept snippets")
    parser.add_argument("--wechat", action="store_true", help="check the WeChat article pages of a Chinese-pages corpus")
    args = parser.parse_args()
    if args.wechat:
        return check_wechat(args.corpus)
    pages = load(args.corpus)
    extractors = [("extract_text", extract_text)]
    if args.compare_trafilatura:
        extractors.append(("trafilatura.extract", trafilatura_extract()))
    runs = [evaluate(name, extract, pages) for name, extract in extractors]
    for _ in range(args.repeat - 1):
        for run, (_name, extract) in zip(runs, extractors):
            run.seconds = min(run.seconds, time_pass(extract, pages))
    for run in runs:
        report(run)
    if len(runs) == 2 and runs[0].seconds and runs[1].seconds:
        ours, theirs = (run.pages / run.seconds for run in runs)
        print(f"speed ratio: {ours / theirs:.1f}x trafilatura's pages per second")
    if args.failures:
        for file, missed, kept in runs[0].misses:
            print(f"\n{file}")
            for snippet in missed:
                print(f"  missed: {squash(snippet)[:120]}")
            for snippet in kept:
                print(f"  kept:   {squash(snippet)[:120]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
