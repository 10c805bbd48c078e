"""Measure the nightly `enrich` run against local servers with a fixed latency, and compare its
wall time with the least the politeness limits allow (and, optionally, with trafilatura).

    python bench/run_bench.py --all                  # the figures the project reports
    python bench/run_bench.py --web 1000 --hosts 20 --trafilatura
    python bench/run_bench.py --mixed 10000 --warm-only --json
    python bench/run_bench.py --github 1500 --token --cold-only
    python bench/run_bench.py --gather 50 --feed-items 100 --hosts 1   # enrich gather over 50 feeds

Every origin is a local asyncio server on 127.0.0.1 (one port per web host, one for the fake
GitHub and arXiv APIs) that answers after `--latency` seconds and counts requests by kind.
`enrich` runs as a child process (`python -m pipeline SOURCES --cache-dir ... --format md -q`),
cold (empty cache) and then warm (same cache), from the package's compiled bytecode as an installed
copy runs; its peak memory is the child's own VmHWM (bench/peak.py).

The ideal time is what the limits allow when nothing else costs anything: web pages x latency
/ connections (connections = min(total limit, hosts x per-host limit)); arXiv (batches - 1) x
spacing + latency; GitHub requests x max(latency, its pacing), one request at a time, where a
repository costs three REST requests (repository, latest release, README) without a token and
a hundredth of a GraphQL query with one (`--token` gives enrich a made-up token; the fake API only
checks that one is sent). The stages run at once, so the ideal of a run is the largest of the three.
For `enrich gather` (--gather N), the ideal is its politeness bound: the busiest host's feeds x
latency / per-host limit, in whole rounds (feeds on one host, a bridge serving every account, is
the case that bound matters for).
"""

from __future__ import annotations

import argparse
import inspect
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakes import LOOPBACK, Farm, LinkSet, make_links, write_sources  # noqa: E402

PROFILE = False  # --profile: run enrich under bench/sampler.py
RUN_TIMEOUT = 900.0  # one child process, seconds: a hung run is killed, not waited for
WECHAT_SHARE_OF_MIXED = 0.58
MIX = {"github": 0.15, "arxiv": 0.08}  # the rest is web, 58 points of it WeChat-like
BENCH_TOKEN = "bench-token-for-the-local-fake-api-only"


# ---------------------------------------------------------------------------------------------
# The limits enrich uses, read from its own code so the ideal follows any change there.


@dataclass
class Limits:
    total: int
    per_host: int
    arxiv_spacing: float
    arxiv_batch: int
    github_pacing: float
    github_batch: int

    @classmethod
    def from_pipeline(cls, total: int | None, per_host: int | None) -> Limits:
        from pipeline.fetchers.arxiv import MAX_IDS_PER_REQUEST, MIN_INTERVAL
        from pipeline.fetchers.github import GithubFetcher
        from pipeline.fetchers.github_graphql import MAX_BATCH
        from pipeline.http import HttpLimits

        defaults = HttpLimits()
        pacing = inspect.signature(GithubFetcher.__init__).parameters["seconds_between_requests"].default
        return cls(
            total or defaults.total,
            per_host or defaults.per_host,
            MIN_INTERVAL,
            MAX_IDS_PER_REQUEST,
            float(pacing or 0),
            MAX_BATCH,
        )

    def connections(self, hosts: int) -> int:
        return min(self.total, hosts * self.per_host)


def ideal_seconds(links: LinkSet, hosts: int, latency: float, limits: Limits, token: bool = False) -> dict[str, float]:
    """The least time each stage needs within the limits, on a cold cache."""
    web = len(links.web) * latency / limits.connections(hosts) if links.web else 0.0
    batches = math.ceil(len(links.arxiv) / limits.arxiv_batch)
    arxiv = (batches - 1) * limits.arxiv_spacing + latency if batches else 0.0
    # One request at a time: GraphQL queries of a batch each with a token, else three REST
    # requests a repository (the repository, its latest release, its README).
    requests = math.ceil(len(links.github) / limits.github_batch) if token else 3 * len(links.github)
    github = requests * max(latency, limits.github_pacing)
    return {"web": web, "arxiv": arxiv, "github": github, "total": max(web, arxiv, github)}


# ---------------------------------------------------------------------------------------------
# Running one child and measuring it.


@dataclass
class Measure:
    scenario: str
    phase: str  # cold | warm-first | warm | trafilatura
    links: int
    wall_s: float
    peak_mb: float
    requests: dict[str, int]
    exit_code: int
    summary: str = ""
    ideal_s: float | None = None
    ratio_to_ideal: float | None = None
    notes: list[str] = field(default_factory=list)


def wrapped(peak_file: Path) -> list[str]:
    """The start of a child's command line: Python under bench/peak.py, which records the
    child's own peak memory (see there why not ru_maxrss)."""
    return [sys.executable, str(Path(__file__).resolve().parent / "peak.py"), str(peak_file)]


def run_child(
    argv: list[str], env: dict[str, str], cwd: Path, stdout_path: Path, stderr_path: Path, peak_file: Path
) -> tuple[float, float, int]:
    """Runs one fresh child to its end (killed after RUN_TIMEOUT): wall seconds, its own peak
    resident memory in MB (written by bench/peak.py), exit code."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        killer = threading.Timer(RUN_TIMEOUT, child.kill)
        killer.start()
        try:
            _, status, _usage = os.wait4(child.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait for it again
    try:
        peak_mb = int(peak_file.read_text()) / 1024
    except (OSError, ValueError):
        peak_mb = 0.0
    return wall, peak_mb, child.returncode


def child_env(farm: Farm) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if "proxy" not in k.lower() and k not in ("GITHUB_TOKEN", "GH_TOKEN", "ENRICH_CONFIG", "ENRICH_CACHE_DIR")
    }
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT), str(Path(__file__).resolve().parent)]),  # pipeline, sampler
        NO_PROXY="127.0.0.1,localhost",
        ENRICH_ARXIV_API=f"{farm.api_base}/api/query",
        ENRICH_GITHUB_API=farm.api_base,
        ENRICH_ALLOW_PRIVATE_HOSTS="1",
    )
    return env


def compile_package() -> None:
    """Compiles the package's bytecode (its __pycache__ folders), as pip does when it installs
    a copy: the children then start as an installed enrich does, where with
    PYTHONDONTWRITEBYTECODE set (some machines set it) every timed run would compile it anew."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "pipeline")], check=True)


def run_enrich(farm: Farm, work: Path, scenario: str, phase: str, count: int, token: bool = False) -> Measure:
    farm.reset_counts()
    runner = ["-m", "sampler", str(work / f"{phase}.profile")] if PROFILE else []
    argv = [
        *wrapped(work / f"{phase}.peak"),
        *runner,
        "-m",
        "pipeline",
        str(work / "sources.txt"),
        "--cache-dir",
        str(work / "cache"),
        "--format",
        "md",
        "-q",
    ]
    env = child_env(farm) | ({"GITHUB_TOKEN": BENCH_TOKEN} if token else {})
    wall, peak, code = run_child(argv, env, work, work / f"{phase}.md", work / f"{phase}.err", work / f"{phase}.peak")
    stderr_lines = (work / f"{phase}.err").read_text(encoding="utf-8", errors="replace").strip().splitlines()
    summary = next(
        (line for line in reversed(stderr_lines) if re.match(r"\d+ entries:", line)), stderr_lines[-1] if stderr_lines else ""
    )
    measure = Measure(scenario, phase, count, wall, peak, dict(sorted(farm.counts.items())), code, summary)
    if PROFILE:
        measure.notes.append(f"profile: {work / (phase + '.profile')} (the folder is kept)")
    if code not in (0, 1):
        measure.notes.append(f"enrich exited {code}: " + " | ".join(stderr_lines[-3:]))
    failed = re.search(r"(\d+) failed", summary)
    if failed and int(failed.group(1)):
        measure.notes.append(f"{failed.group(1)} links failed, see {work / (phase + '.err')}")
    return measure


TRAFILATURA_SCRIPT = r"""
import json, sys
from trafilatura.downloads import add_to_compressed_dict, buffered_downloads, load_download_buffer
from trafilatura.settings import DEFAULT_CONFIG, Extractor, PARALLEL_CORES
from trafilatura import extract_metadata
urls = [l.strip() for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
threads = int(sys.argv[2]) or PARALLEL_CORES
sleep_time = float(sys.argv[3])
config = DEFAULT_CONFIG
config.set("DEFAULT", "SSRF_PROTECTION", "off")  # the pages are on 127.0.0.1
options = Extractor(config=config)
store = add_to_compressed_dict(urls)
pages = titled = 0
# The loop of trafilatura's own CLI (download_queue_processing): one buffer of URLs per round,
# drawn per domain after its back-off, downloaded by a thread pool, then parsed.
for _ in range(len(urls) + 1):
    if store.done:
        break
    buffer, store = load_download_buffer(store, sleep_time)
    for url, html in buffered_downloads(buffer, threads, options=options):
        if html:
            pages += 1
            meta = extract_metadata(html, default_url=url)
            titled += bool(meta and meta.title)
print(json.dumps({"pages": pages, "titled": titled, "threads": threads}))
"""


def run_trafilatura(farm: Farm, work: Path, links: LinkSet, scenario: str, threads: int, sleep_time: float) -> Measure:
    farm.reset_counts()
    url_file = work / "web-urls.txt"
    url_file.write_text("\n".join(links.web) + "\n", encoding="utf-8")
    script = work / "trafilatura_batch.py"
    script.write_text(TRAFILATURA_SCRIPT, encoding="utf-8")
    argv = [*wrapped(work / "trafilatura.peak"), str(script), str(url_file), str(threads), str(sleep_time)]
    wall, peak, code = run_child(
        argv, child_env(farm), work, work / "trafilatura.out", work / "trafilatura.err", work / "trafilatura.peak"
    )
    measure = Measure(scenario, "trafilatura", len(links.web), wall, peak, dict(sorted(farm.counts.items())), code)
    try:
        result = json.loads((work / "trafilatura.out").read_text().strip().splitlines()[-1])
        measure.summary = (
            f"{result['pages']} pages, {result['titled']} with a title, {result['threads']} threads, sleep {sleep_time:g} s"
        )
    except (IndexError, ValueError, KeyError):
        measure.notes.append(
            "trafilatura failed: " + " | ".join((work / "trafilatura.err").read_text(errors="replace").splitlines()[-3:])
        )
    return measure


def fill_cache_quickly(farm: Farm, work: Path) -> float:
    """Fills the cache as a cold run would, through the pipeline's own reading, fetchers and
    cache, page summaries drafted as they arrive and kept, but with no latency, the arXiv spacing
    and GitHub pacing switched off and no draft rendered: the warm figure needs a full cache, not
    the hour a polite cold run of thousands of links takes. Returns the seconds it took."""
    from pipeline.cache import Cache
    from pipeline.collect import fetch_links
    from pipeline.fetchers.arxiv import ArxivFetcher
    from pipeline.fetchers.github import GithubFetcher
    from pipeline.fetchers.web import WebFetcher
    from pipeline.run import WhileFetching, assemble, draft_page_summaries, read_sources
    from pipeline.secrets import Redactor

    saved, farm.latency = farm.latency, 0.0
    started = time.perf_counter()
    try:
        entries, _ = read_sources([str(work / "sources.txt")], io.BytesIO())
        links = {link.key: link for entry in entries for link in entry.links}
        fetchers = {
            "arxiv": ArxivFetcher(f"{farm.api_base}/api/query", min_interval=0),
            "github": GithubFetcher(farm.api_base, seconds_between_requests=0),
            "web": WebFetcher(allow_private_hosts=True),
        }
        cache = Cache(work / "cache")
        try:
            lookups = cache.lookup_many(links, {k: link.kind for k, link in links.items()})
            drafts = WhileFetching(load_template=False)
            outcomes = fetch_links(links, lookups, fetchers, cache, Redactor(), on_result=drafts.add)
            draft_page_summaries(assemble(entries, outcomes), outcomes, cache, drafts)
        finally:
            cache.close()
        failed = sum(o.status == "failed" for o in outcomes.values())
        if failed:
            raise RuntimeError(f"{failed} links failed while filling the cache")
        return time.perf_counter() - started
    finally:
        farm.latency = saved


# ---------------------------------------------------------------------------------------------
# Scenarios.


@dataclass
class Scenario:
    name: str
    web: int = 0
    github: int = 0
    arxiv: int = 0
    hosts: int = 20
    latency: float = 0.1
    wechat_share: float = 0.0
    cold: bool = True
    warm: bool = True
    quick_fill: bool = False  # fill the cache unpaced instead of timing a cold run
    feeds: int = 0  # `enrich gather` over this many feeds instead of a sources run
    feed_items: int = 100
    trafilatura: bool = False
    token: bool = False  # give enrich a GitHub token, so it reads GitHub through GraphQL
    targets: dict[str, float] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return self.web + self.github + self.arxiv


def mixed_counts(n: int) -> dict[str, int]:
    github, arxiv = round(n * MIX["github"]), round(n * MIX["arxiv"])
    return {"github": github, "arxiv": arxiv, "web": n - github - arxiv}


def preset_all(args) -> list[Scenario]:
    return [
        Scenario(
            "a: 1,000 web, 20 hosts",
            web=1000,
            hosts=20,
            latency=0.1,
            warm=False,
            trafilatura=True,
            targets={"ratio_to_ideal": 1.3, "faster_than_trafilatura": 3.0},
        ),
        Scenario(
            "b: 10,000 mixed, warm",
            **mixed_counts(10_000),
            hosts=20,
            latency=0.1,
            wechat_share=WECHAT_SHARE_OF_MIXED / 0.77,
            cold=False,
            quick_fill=True,
            targets={"warm_s": 1.5, "peak_mb": 200},
        ),
        Scenario("c: 250 arXiv", arxiv=250, latency=0.1, warm=False, targets={"arxiv_requests": 3}),
        Scenario("d: 1,500 GitHub, token", github=1500, latency=0.1, warm=False, token=True, targets={"github_requests": 20}),
        Scenario(
            "e: 10,000 mixed, token",
            **mixed_counts(10_000),
            hosts=20,
            latency=0.1,
            wechat_share=WECHAT_SHARE_OF_MIXED / 0.77,
            warm=False,
            token=True,
            targets={"ratio_to_ideal": 1.5},
        ),
        gather_scenario(50, 100, hosts=1, latency=0.1),
    ]


def gather_scenario(feeds: int, items: int, hosts: int, latency: float) -> Scenario:
    return Scenario(
        f"f: gather {feeds}x{items}, {hosts} host{'s' if hosts > 1 else ''}",
        hosts=hosts,
        latency=latency,
        feeds=feeds,
        feed_items=items,
        targets={"gather_ratio": 1.5},
    )


def gather_bound(feeds: int, hosts: int, latency: float, limits: Limits) -> float:
    """The least time the per-host limit allows: the busiest host's feeds in rounds of per_host."""
    busiest = math.ceil(feeds / hosts)
    return math.ceil(busiest / limits.per_host) * latency


def run_gather(farm: Farm, work: Path, sc: Scenario, phase: str, limits: Limits) -> Measure:
    """`enrich gather` as a child over feeds spread round-robin over the farm's hosts."""
    if not (work / "enrich.toml").exists():
        feeds = "".join(
            f'[[gather.feeds]]\nurl = "http://{LOOPBACK}:{farm.web_ports[n % len(farm.web_ports)]}/feed/{n}?items={sc.feed_items}"\n'
            f'name = "feed {n}"\n'
            for n in range(sc.feeds)
        )
        (work / "enrich.toml").write_text(
            f"[web]\nper_host = {limits.per_host}\ntotal = {limits.total}\n\n"
            f'[gather]\nkeywords = ["NPU", "量化", "inference"]\n\n{feeds}',
            encoding="utf-8",
        )
    farm.reset_counts()
    argv = [
        *wrapped(work / f"{phase}.peak"),
        "-m",
        "pipeline",
        "gather",
        "--config",
        str(work / "enrich.toml"),
        "--cache-dir",
        str(work / "cache"),
        "-q",
    ]
    wall, peak, code = run_child(
        argv, child_env(farm), work, work / f"{phase}.out", work / f"{phase}.err", work / f"{phase}.peak"
    )
    lines = (work / f"{phase}.err").read_text(encoding="utf-8", errors="replace").strip().splitlines()
    summary = next((line for line in reversed(lines) if line.startswith("gather:")), lines[-1] if lines else "")
    measure = Measure(
        sc.name, phase, sc.feeds * sc.feed_items, wall, peak, dict(sorted(farm.counts.items())), code, summary[:160]
    )
    if code != 0:
        measure.notes.append(f"enrich gather exited {code}: " + " | ".join(lines[-3:]))
    return measure


def run_scenario(sc: Scenario, args, limits: Limits) -> list[Measure]:
    measures: list[Measure] = []
    work = Path(tempfile.mkdtemp(prefix="enrich-bench-"))
    try:
        if sc.feeds:
            with Farm(max(1, sc.hosts), sc.latency, max_seconds=args.max_seconds) as farm:
                cold = run_gather(farm, work, sc, "cold", limits)
                cold.ideal_s = gather_bound(sc.feeds, sc.hosts, sc.latency, limits)
                cold.ratio_to_ideal = cold.wall_s / cold.ideal_s
                cold.notes.append(
                    f"politeness bound: {sc.feeds} feeds over {sc.hosts} host(s), {limits.per_host} per host "
                    f"at {sc.latency * 1000:g} ms = {cold.ideal_s:.2f} s"
                )
                measures.append(cold)
                if sc.warm:
                    measures.append(run_gather(farm, work, sc, "warm", limits))  # conditional: every feed a 304
            return measures
        with Farm(max(1, sc.hosts), sc.latency, max_seconds=args.max_seconds) as farm:
            links = make_links(sc.web, sc.github, sc.arxiv, farm.web_ports, sc.wechat_share)
            write_sources(work / "sources.txt", links)
            if args.per_host or args.connections:
                (work / "enrich.toml").write_text(f"[web]\nper_host = {limits.per_host}\ntotal = {limits.total}\n")
            ideal = ideal_seconds(links, sc.hosts, sc.latency, limits, sc.token)
            if sc.cold:
                m = run_enrich(farm, work, sc.name, "cold", sc.count, sc.token)
                m.ideal_s = ideal["total"]
                m.ratio_to_ideal = m.wall_s / m.ideal_s if m.ideal_s else None
                m.notes += ["ideal by stage: " + ", ".join(f"{k} {v:.2f} s" for k, v in ideal.items() if k != "total" and v)]
                measures.append(m)
            elif sc.quick_fill:
                seconds = fill_cache_quickly(farm, work)
                fill = Measure(
                    sc.name,
                    "fill",
                    sc.count,
                    seconds,
                    0.0,
                    dict(sorted(farm.counts.items())),
                    0,
                    "cache filled in-process, no latency, no pacing (not a cold figure)",
                )
                fill.notes.append(
                    f"a polite cold run would need at least {ideal['total']:.0f} s: "
                    + ", ".join(f"{k} {v:.0f} s" for k, v in ideal.items() if k != "total" and v)
                )
                measures.append(fill)
            if sc.warm:
                # The first run over a cache of freshly fetched records drafts their summaries and
                # keeps them; every later night takes them from the cache. Both are reported.
                measures.append(run_enrich(farm, work, sc.name, "warm-first", sc.count, sc.token))
                measures.append(run_enrich(farm, work, sc.name, "warm", sc.count, sc.token))
            if sc.trafilatura and links.web:
                measures.append(run_trafilatura(farm, work, links, sc.name, args.trafilatura_threads, args.trafilatura_sleep))
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return measures


# ---------------------------------------------------------------------------------------------
# Verdicts and output.


def verdicts(sc: Scenario, measures: list[Measure]) -> list[dict]:
    by_phase = {m.phase: m for m in measures}
    found = []
    t = sc.targets
    cold, warm, peer = by_phase.get("cold"), by_phase.get("warm"), by_phase.get("trafilatura")
    if "gather_ratio" in t and cold and cold.ratio_to_ideal:
        found.append(_verdict(sc, "gather time / politeness bound", cold.ratio_to_ideal, "<=", t["gather_ratio"], "x"))
    if "ratio_to_ideal" in t and cold and cold.ratio_to_ideal:
        found.append(_verdict(sc, "cold time / ideal", cold.ratio_to_ideal, "<=", t["ratio_to_ideal"], "x"))
    if "faster_than_trafilatura" in t and cold and peer:
        found.append(
            _verdict(sc, "trafilatura time / enrich time", peer.wall_s / cold.wall_s, ">=", t["faster_than_trafilatura"], "x")
        )
    if "warm_s" in t and warm:
        found.append(_verdict(sc, "warm wall time", warm.wall_s, "<", t["warm_s"], "s"))
    if "peak_mb" in t and warm:
        found.append(_verdict(sc, "warm peak memory", warm.peak_mb, "<", t["peak_mb"], "MB"))
    if "github_requests" in t and cold:
        github = sum(v for k, v in cold.requests.items() if k.startswith("github"))
        found.append(_verdict(sc, "GitHub requests", github, "<=", t["github_requests"], ""))
    if "arxiv_requests" in t and cold:
        found.append(_verdict(sc, "arXiv requests", cold.requests.get("arxiv", 0), "==", t["arxiv_requests"], ""))
        if cold.ratio_to_ideal:
            found.append(_verdict(sc, "cold time / batch spacing", cold.ratio_to_ideal, "<=", 1.3, "x"))
    return found


def _verdict(sc, what, value, op, target, unit) -> dict:
    ok = {"<=": value <= target, ">=": value >= target, "<": value < target, "==": value == target}[op]
    return {"scenario": sc.name, "measure": what, "value": round(value, 3), "target": f"{op} {target:g}{unit}", "met": ok}


def _requests_text(requests: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in requests.items()) or "none"


def print_table(measures: list[Measure], checks: list[dict], limits: Limits, out=sys.stdout) -> None:
    print(
        f"limits: web {limits.total} connections in total, {limits.per_host} per host; arXiv {limits.arxiv_batch} ids a request, "
        f"{limits.arxiv_spacing:g} s apart; GitHub {limits.github_pacing:g} s between requests, {limits.github_batch} repositories a GraphQL query",
        file=out,
    )
    head = f"{'scenario':<26} {'phase':<11} {'links':>6} {'wall s':>8} {'ideal s':>8} {'ratio':>6} {'peak MB':>8}  requests"
    print(head, file=out)
    print("-" * len(head), file=out)
    for m in measures:
        ideal = f"{m.ideal_s:.2f}" if m.ideal_s is not None else "-"
        ratio = f"{m.ratio_to_ideal:.2f}" if m.ratio_to_ideal is not None else "-"
        peak = f"{m.peak_mb:.0f}" if m.peak_mb else "-"
        print(
            f"{m.scenario[:26]:<26} {m.phase:<11} {m.links:>6} {m.wall_s:>8.2f} {ideal:>8} {ratio:>6} {peak:>8}  {_requests_text(m.requests)}",
            file=out,
        )
        for line in ([m.summary] if m.summary else []) + m.notes:
            print(f"{'':<26} {'':<11} {'':>6}   {line}", file=out)
    if checks:
        print(file=out)
        for c in checks:
            print(
                f"{'MET ' if c['met'] else 'MISS'} {c['scenario'][:26]:<26} {c['measure']:<32} {c['value']:>9} (target {c['target']})",
                file=out,
            )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = parser.add_argument_group("what to run")
    what.add_argument(
        "--all",
        action="store_true",
        help="the reported figures: (a) 1,000 web links over 20 hosts, cold, vs ideal and trafilatura; (b) 10,000 mixed links, warm; (c) 250 arXiv links; (d) 1,500 GitHub links, cold, with a token; (e) 10,000 mixed links, cold, with a token",
    )
    what.add_argument("--web", type=int, default=0, metavar="N", help="web links")
    what.add_argument("--github", type=int, default=0, metavar="N", help="GitHub repository links")
    what.add_argument("--arxiv", type=int, default=0, metavar="N", help="arXiv links")
    what.add_argument(
        "--mixed",
        type=int,
        default=0,
        metavar="N",
        help="N links in the digest's mix: 58%% WeChat-like web, 15%% GitHub, 8%% arXiv, the rest web",
    )
    what.add_argument(
        "--gather",
        type=int,
        default=0,
        metavar="N",
        help="time `enrich gather` over N feeds (cold, then warm: every feed answers 304)",
    )
    what.add_argument("--feed-items", type=int, default=100, metavar="M", help="items in each feed for --gather (default 100)")
    what.add_argument("--hosts", type=int, default=20, help="web hosts, one port each (default 20)")
    what.add_argument("--latency", type=float, default=0.1, help="seconds every server waits before answering (default 0.1)")
    what.add_argument(
        "--warm-only", action="store_true", help="fill the cache quickly (unpaced, in-process) and time only the warm run"
    )
    what.add_argument("--cold-only", action="store_true", help="time only the cold run")
    what.add_argument(
        "--token", action="store_true", help="give enrich a (made-up) GitHub token: GitHub is read through GraphQL batches"
    )
    what.add_argument(
        "--trafilatura",
        action="store_true",
        help="also run trafilatura's batch download and metadata extraction over the web links",
    )
    tune = parser.add_argument_group("limits (must match what enrich uses; written to an enrich.toml for the run when given)")
    tune.add_argument("--per-host", type=int, help="web requests in flight per host (default: enrich's own)")
    tune.add_argument("--connections", type=int, help="web connections in total (default: enrich's own)")
    tune.add_argument(
        "--trafilatura-threads",
        type=int,
        default=0,
        metavar="N",
        help="trafilatura's download threads (default: its CLI default, min(CPUs, 16))",
    )
    tune.add_argument(
        "--trafilatura-sleep",
        type=float,
        default=0.0,
        metavar="S",
        help="trafilatura's per-domain back-off between rounds (its default is 5 s; default here 0 so both tools are held only by concurrency)",
    )
    out = parser.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="machine-readable results on stdout")
    out.add_argument(
        "--profile",
        action="store_true",
        help="run enrich under a sampling profiler (all threads); the profiles stay in the kept folder",
    )
    out.add_argument("--keep", action="store_true", help="keep the temporary folder (sources, cache, drafts, logs)")
    out.add_argument(
        "--max-seconds", type=float, default=3600, help="the servers stop by themselves after this long (default 3600)"
    )
    args = parser.parse_args(argv)
    if not (args.all or args.web or args.github or args.arxiv or args.mixed or args.gather):
        parser.error("say what to run: --all, --mixed N, --gather N, or --web/--github/--arxiv counts")
    for name in ("web", "github", "arxiv", "mixed", "hosts"):
        if getattr(args, name) < 0 or getattr(args, name) > 1_000_000:
            parser.error(f"--{name} must be between 0 and 1,000,000")
    if not 0 <= args.latency <= 10:
        parser.error("--latency must be between 0 and 10 seconds")
    if args.hosts < 1:
        parser.error("--hosts must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    global PROFILE
    PROFILE = args.profile
    args.keep = args.keep or args.profile
    limits = Limits.from_pipeline(args.connections, args.per_host)
    if args.all:
        scenarios = preset_all(args)
    elif args.gather:
        scenarios = [gather_scenario(args.gather, args.feed_items, args.hosts, args.latency)]
    else:
        counts = mixed_counts(args.mixed) if args.mixed else {"web": args.web, "github": args.github, "arxiv": args.arxiv}
        if args.mixed:
            counts["web"] += args.web
            counts["github"] += args.github
            counts["arxiv"] += args.arxiv
        wechat = WECHAT_SHARE_OF_MIXED * args.mixed / counts["web"] if args.mixed and counts["web"] else 0.0
        scenarios = [
            Scenario(
                "custom",
                **counts,
                hosts=args.hosts,
                latency=args.latency,
                wechat_share=min(1.0, wechat),
                cold=not args.warm_only,
                warm=not args.cold_only,
                quick_fill=args.warm_only,
                trafilatura=args.trafilatura,
                token=args.token,
            )
        ]
    measures: list[Measure] = []
    checks: list[dict] = []
    compile_package()
    for sc in scenarios:
        if not args.json:
            print(
                f"running {sc.name}: {sc.web} web over {sc.hosts} hosts, {sc.github} GitHub, {sc.arxiv} arXiv, latency {sc.latency * 1000:g} ms",
                file=sys.stderr,
            )
        found = run_scenario(sc, args, limits)
        measures += found
        checks += verdicts(sc, found)
    if args.json:
        json.dump(
            {"limits": asdict(limits), "runs": [asdict(m) for m in measures], "targets": checks},
            sys.stdout,
            indent=2,
            ensure_ascii=False,
        )
        print()
    else:
        print_table(measures, checks, limits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
