"""What the model summarizer costs for one issue, in requests and tokens, measured against a local fake endpoint; and the archive's median 摘要 length.

    python bench/summarize_cost.py --archive ARCHIVE_DIR
    python bench/summarize_cost.py --pages CORPUS_PAGES_DIR [--pages ...] --arxiv ARXIV_ATOM_DIR [--links 25]

With `--archive`, prints how long the 摘要 of past issues are (a folder of the digest's Markdown
issues; continuation lines count). With `--pages` and `--arxiv`, builds the inputs of a typical
issue from real material (paper abstracts from arXiv API Atom responses; page titles, descriptions
and leads from saved pages with a `manifest.jsonl`), runs the real summarizer and client against a
local OpenAI-compatible endpoint that answers with a summary of the configured length, and prints
requests and the tokens the endpoint reports, for a cold run and for a second run.

The fake endpoint counts one token per CJK character and one per four other characters (about
what GPT-4o-class tokenizers give for English; they give somewhat fewer for Chinese), so the
figures are an estimate of a hosted model's bill, not a quote.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.answer_checks import check_answer
from pipeline.config import SummarizeSettings
from pipeline.extract import PageUnavailable, extract_page
from pipeline.llm import ChatClient
from pipeline.models import ArxivRecord, GithubRecord, WebRecord
from pipeline.prompts import SummaryInput, summary_input
from pipeline.summarize import AnswerStore, Summarizer
from tests.fake_llm import PATH, FakeChat, count_tokens, field_of
from tests.localserver import LocalServer

ATOM = "{http://www.w3.org/2005/Atom}"
_SUMMARY = re.compile(r"^摘要\s*[:：]\s*(.*)$")
_NEXT_ITEM = re.compile(r"^(- |#|>|\S{1,6}[:：]\s*https?://)")


# -- the archive's summary length ------------------------------------------------------------------
def archive_summaries(folder: Path) -> list[str]:
    """Every 摘要 in the issues of `folder`, continuation lines joined to it."""
    summaries = []
    for path in sorted(folder.glob("*.md")):
        lines = path.read_text(encoding="utf-8").split("\n")
        for number, line in enumerate(lines):
            match = _SUMMARY.match(line.strip())
            if not match:
                continue
            text = match.group(1).strip()
            for following in lines[number + 1 :]:
                if not following.strip() or _NEXT_ITEM.match(following.strip()):
                    break
                text += following.strip()
            summaries.append(text)
    return summaries


def check_archive(summaries: list[str], language: str) -> Counter[str]:
    """Why the answer checks would refuse the editor's own summaries (their first line, the part
    that is one paragraph), if they were a model's answers: a measure of false alarms."""
    refused: Counter[str] = Counter()
    for summary in summaries:
        first = summary.split("\n")[0]
        verdict = check_answer(first, source_text=first, language=language, length=10**6)
        for problem in verdict.problems:
            refused[re.sub(r"\d+", "N", problem)] += 1
    return refused


# -- the inputs of a typical issue ---------------------------------------------------------------
def arxiv_inputs(folder: Path) -> list[SummaryInput]:
    items: list[SummaryInput] = []
    for path in sorted(folder.glob("*.xml")):
        for entry in ET.parse(path).getroot().iter(f"{ATOM}entry"):
            record = ArxivRecord(
                id=str(len(items)), title=entry.findtext(f"{ATOM}title"), abstract=entry.findtext(f"{ATOM}summary")
            )
            item = summary_input(f"arxiv:{len(items)}", "arxiv", record, None)
            if item is not None and record.title and record.title != "Error":
                items.append(item)
    return items


def lead(html: bytes, limit: int) -> str:
    """Whole paragraphs from the start of a page's body, up to `limit` characters: a stand-in for
    the article lead of the web record."""
    from selectolax.lexbor import LexborHTMLParser

    paragraphs: list[str] = []
    size = 0
    for node in LexborHTMLParser(html).css("p"):
        text = " ".join(node.text().split())
        if len(text) < 40:
            continue
        if size + len(text) > limit and paragraphs:
            break
        paragraphs.append(text)
        size += len(text)
    return "\n".join(paragraphs)[:limit]


def page_records(folders: list[Path], lead_chars: int) -> list[tuple[WebRecord, str]]:
    """(web record, lead) of every saved page that is an article with a title."""
    found = []
    for folder in folders:
        for line in (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
            meta = json.loads(line)
            html = (folder / meta["file"]).read_bytes()
            try:
                record = extract_page(html, meta.get("url") or "https://example.com/")
            except PageUnavailable:
                continue
            if record.title:
                found.append((record, lead(html, lead_chars)))
    return found


def issue_inputs(papers: list[SummaryInput], pages: list[tuple[WebRecord, str]], links: int) -> list[SummaryInput]:
    """A quarter papers, a quarter repositories, half pages, as in the digest's issues. A
    repository's input is a description and a README lead; saved pages stand in for both."""
    n_papers = n_repos = links // 4
    items: list[SummaryInput] = []
    for n in range(n_papers):
        paper = papers[n % len(papers)]
        items.append(SummaryInput(f"arxiv:{n}", "arxiv", paper.title, paper.source, None, paper.text))
    for n in range(n_repos):
        record, page_lead = pages[(n * 7) % len(pages)]
        repo = GithubRecord(full_name=f"owner/repo{n}", description=record.description or record.title, readme=page_lead[:600])
        item = summary_input(f"github:owner/repo{n}", "github", repo, None)
        if item is not None:
            items.append(item)
    n = 0
    while len(items) < links:
        record, page_lead = pages[(n * 3 + 1) % len(pages)]
        item = summary_input(f"web:{n}", "web", replace(record, text=page_lead), None)
        n += 1
        if item is not None:
            items.append(item)
    return items


def answer_of_length(length: int):
    """An answer of about `length` characters in the digest's style, with no number in it."""

    def answer(messages: list[dict]) -> str:
        title = field_of(messages[1]["content"], "标题")[:40]
        text = f"{title}：本文介绍了一种面向端侧部署的方法，"
        while len(text) < length - 30:
            text += "在保持精度的同时降低了推理开销，并给出了在移动设备上的实测对比，"
        return text.rstrip("，") + "。"

    return answer


def measure(items: list[SummaryInput], settings: SummarizeSettings) -> None:
    server = LocalServer().start()
    chat = FakeChat(answer=answer_of_length(settings.length))
    server.route(PATH, chat)
    with tempfile.TemporaryDirectory() as cache_dir:
        for run in ("cold run", "second run"):
            before = chat.asked
            client = ChatClient(server.url("/v1"), "fake-model", timeout=30)
            summarizer = Summarizer(settings, client)
            store = AnswerStore(cache_dir)
            outcomes = summarizer.run(items, store)
            store.close()
            client.close()
            report = summarizer.report
            bodies = chat.bodies[before:]
            print(
                f"{run}: {len(items)} links, {chat.asked - before} requests, {report.tokens} tokens, "
                f"{report.by_model} by the model ({report.from_cache} cached), "
                f"{sum(o.summary is None for o in outcomes.values())} extractive"
            )
            if bodies:
                prompts = [sum(len(m["content"]) for m in b["messages"]) for b in bodies]
                prompt_tokens = sum(sum(count_tokens(m["content"]) for m in b["messages"]) + 8 for b in bodies)
                print(
                    f"  {prompt_tokens} prompt + {report.tokens - prompt_tokens} answer tokens; "
                    f"{report.tokens / len(items):.0f} tokens per link; prompt characters per request: "
                    f"median {statistics.median(prompts):.0f}, max {max(prompts)}"
                )
    server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, help="folder of past issues (Markdown)")
    parser.add_argument("--pages", type=Path, action="append", default=[], help="folder of saved pages with manifest.jsonl")
    parser.add_argument("--arxiv", type=Path, help="folder of arXiv API Atom responses")
    parser.add_argument("--links", type=int, default=25)
    parser.add_argument("--lead-chars", type=int, default=1500, help="article lead cap (characters)")
    args = parser.parse_args()
    if args.archive:
        summaries = archive_summaries(args.archive)
        lengths = [len(s) for s in summaries]
        quartiles = statistics.quantiles(lengths, n=4)
        print(
            f"{len(lengths)} summaries: median {statistics.median(lengths):.0f} characters, "
            f"quartiles {quartiles[0]:.0f}–{quartiles[2]:.0f}"
        )
        refused = check_archive(summaries, "简体中文")
        print(
            f"the answer checks would refuse {sum(refused.values())} of them: "
            + ", ".join(f"{n} {why}" for why, n in refused.most_common())
        )
    if args.pages and args.arxiv:
        items = issue_inputs(arxiv_inputs(args.arxiv), page_records(args.pages, args.lead_chars), args.links)
        measure(items, SummarizeSettings(endpoint="http://127.0.0.1", model="fake-model"))
    elif not args.archive:
        parser.error("give --archive, or --pages and --arxiv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
