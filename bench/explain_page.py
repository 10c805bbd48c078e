"""Show the title and site-name candidates of a saved page, their votes and which one won.

    PYTHONPATH=. python bench/explain_page.py FILE [URL]

URL is the address the page was saved from (its host takes part in the site-name vote); without
it the page is read as having no address.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.decode import decode_html
from pipeline.extract import extract_page, generic_fields
from pipeline.sites.common import PageUnavailable, ParsedPage
from pipeline.sites.rules import rules_for
from pipeline.webarchive import original_url, without_chrome


def explain(body: bytes, url: str | None) -> list[str]:
    """Lines describing every candidate and the choice, as extract_page makes it."""
    archived_from = original_url(url, body)
    bare = without_chrome(body, url) if archived_from else body
    page = ParsedPage(decode_html(bare, None), archived_from or url or "")
    notes: list[str] = [f"host: {page.host or '(none)'}" + (f"  (archived copy of {archived_from})" if archived_from else "")]
    site = rules_for(page)
    if site is not None:
        notes.append(f"site rule: {site.__name__.rsplit('.', 1)[-1]} (its values win over the generic ones below)")
    generic_fields(page, notes)
    try:
        record = extract_page(body, url)
        notes.append(f"record: title={record.title!r} site_name={record.site_name!r}")
    except PageUnavailable as exc:
        notes.append(f"unavailable: {exc.reason}")
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, help="a saved HTML page")
    parser.add_argument("url", nargs="?", default=None, help="the address the page was saved from")
    args = parser.parse_args(argv)
    print("\n".join(explain(args.file.read_bytes(), args.url)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
