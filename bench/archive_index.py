"""Measure the archive index over a folder of published issues: entries, links, keys, and the time to
build it cold (every file parsed) and warm (every file taken from the cache).

    PYTHONPATH=. python bench/archive_index.py ARCHIVE_DIR [--runs N]

It also prints how many entries have no link, which kinds they are, and the source names learned
by domain, so a change to the parser can be judged on a whole archive, not on single pages.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.archive import load_archive  # noqa: E402
from pipeline.cache import Cache  # noqa: E402
from pipeline.sourcenames import learn_names  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", help="folder of published issues (*.md)")
    parser.add_argument("--runs", type=int, default=5, help="warm runs to time (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = Cache(cache_dir)
        started = time.perf_counter()
        index = load_archive(args.archive, cache)
        cold = time.perf_counter() - started
        warm = []
        for _ in range(args.runs):
            started = time.perf_counter()
            load_archive(args.archive, cache)
            warm.append(time.perf_counter() - started)
        cache.close()
    issues = {e.date for e in index.entries}
    links = {(e.date, u) for e in index.entries for u in e.urls}
    keys = {k for e in index.entries for k in e.keys}
    print(f"{len(issues)} issues, {len(index.entries)} entries, {len(links)} published links, {len(keys)} distinct keys")
    print(f"kinds: {dict(Counter(e.kind for e in index.entries))}; no link: {sum(not e.urls for e in index.entries)}")
    print(f"cold {cold * 1000:.0f} ms, warm median {statistics.median(warm) * 1000:.1f} ms over {len(warm)} runs")
    names = learn_names(index, {})
    print(f"source names learned by domain: {len(names.by_domain)}; names the editor printed: {len(names.printed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
