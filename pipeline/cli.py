"""Enrich a file of bare links into a drafted newsletter issue.

usage: enrich [OPTIONS] [SOURCE ...]
       enrich cache stats | show KEY_OR_URL | prune [--days N]
       enrich init [DIR] [--github-actions]
       enrich gather [SOURCES] [-o DRAFT] [--inbox FILE] [--format text|json]

A SOURCE is a sources file (one entry per line; see the README for the grammar), `-` for standard
input, or a URL. With no SOURCE, ./sources.txt is read. arXiv papers, GitHub repositories and web
pages are fetched (or taken from the cache when fresh) and drafted in the newsletter's format.

Without -o the draft goes to standard output. With -o FILE the draft is written atomically; an
existing FILE is merged: entries already in it are left exactly as the editor left them, new ones are
added to the end of their section, and the list of failed links at the end is regenerated.

Exit codes: 0 every link enriched; 1 the draft was written but some links failed; 2 usage error,
bad configuration or unreadable input (nothing written); 3 another run holds the lock on this cache
or output; 4 the run could not finish (an environment or internal error, named in one line; -v adds
the traceback).

Environment: GITHUB_TOKEN (or GH_TOKEN) for GitHub; ENRICH_ARXIV_API and ENRICH_GITHUB_API point the
API stages elsewhere; ENRICH_CACHE_DIR, ENRICH_ALLOW_PRIVATE_HOSTS=1 and ENRICH_CONFIG (a TOML file,
default ./enrich.toml) mirror the options; HTTP(S)_PROXY is honoured.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import math
import os
import sqlite3
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn

from pipeline import __version__

log = logging.getLogger("pipeline")

_CACHE_HELP = """Look inside the cache.

  enrich cache stats               records by kind and freshness, model summaries, and the database size
  enrich cache show KEY_OR_URL     the stored record as JSON (a URL is canonicalized to its key)
  enrich cache prune [--days N]    drop records and model summaries no run has used for N days (default 90)
"""


def seconds(text: str) -> float:
    """An argparse type: a finite number of seconds, 0 or more (`nan` would wait forever)."""
    return _finite_not_negative(text, "seconds")


def days(text: str) -> float:
    """An argparse type: a finite number of days, 0 or more (a negative age would match every record)."""
    return _finite_not_negative(text, "days")


def _finite_not_negative(text: str, unit: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of {unit}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a finite number of {unit}, 0 or more")
    return value


def _run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="enrich",
        description=__doc__.split("\n\n", 2)[2],
        usage=__doc__.split("\n\n")[1].removeprefix("usage: "),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sources", nargs="*", metavar="SOURCE", help="sources file, '-' for stdin, or a URL")
    parser.add_argument("-o", "--output", metavar="FILE", help="write (or merge into) FILE instead of stdout")
    parser.add_argument("--format", choices=("md", "json"), default="md", help="Markdown draft (default) or JSON")
    parser.add_argument("--offline", action="store_true", help="no network: cached records only, others fail as 'not cached'")
    parser.add_argument("--refresh", action="store_true", help="refetch every link even when its cached record is fresh")
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        default=os.environ.get("ENRICH_CACHE_DIR") or "cache",
        help="where the cache lives (env ENRICH_CACHE_DIR; default ./cache)",
    )
    parser.add_argument(
        "--allow-private-hosts",
        action="store_true",
        default=os.environ.get("ENRICH_ALLOW_PRIVATE_HOSTS", "") not in ("", "0", "false", "no"),
        help="allow web fetches to loopback, private and link-local addresses (env ENRICH_ALLOW_PRIVATE_HOSTS=1)",
    )
    parser.add_argument(
        "--template", metavar="NAME_OR_FILE", help="draft template: 'embedded-ai' (default), 'plain', or a Jinja2 file"
    )
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="the issue date in a new draft's heading (default: today)")
    parser.add_argument("--config", metavar="FILE", help="TOML config file (env ENRICH_CONFIG; default ./enrich.toml)")
    parser.add_argument(
        "--archive",
        metavar="DIR",
        help="folder of published issues: mark (or skip) links featured before, learn the editor's source names (config [archive] path)",
    )
    parser.add_argument("--readd", action="store_true", help="add again the entries the editor deleted from the -o draft")
    parser.add_argument(
        "--lock-wait",
        metavar="SECONDS",
        type=seconds,
        default=60.0,
        help="how long to wait for another run's lock before exit 3 (default 60)",
    )
    summarize = parser.add_mutually_exclusive_group()
    summarize.add_argument(
        "--summarize",
        action="store_true",
        default=None,
        help="draft summaries with the language model of [summarize] (needs its endpoint)",
    )
    summarize.add_argument(
        "--no-summarize",
        dest="summarize",
        action="store_false",
        help="extractive summaries only, even when [summarize] is configured",
    )
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="only errors and the summary line")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="log every link and request")
    parser.add_argument("--version", action="version", version=f"enrich {__version__}")
    return parser


def _cache_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="enrich cache", description=_CACHE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache-dir", metavar="DIR", default=os.environ.get("ENRICH_CACHE_DIR") or "cache")
    parser.add_argument("--config", metavar="FILE")
    # The same options are accepted after the action (`enrich cache stats --cache-dir X`); SUPPRESS
    # keeps an action's missing option from overwriting one given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--cache-dir", metavar="DIR", default=argparse.SUPPRESS, help="where the cache lives")
    common.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help="TOML config file")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("stats", parents=[common], help="records by kind and freshness, size")
    show = sub.add_parser("show", parents=[common], help="the stored record as JSON")
    show.add_argument("key", metavar="KEY_OR_URL")
    prune = sub.add_parser("prune", parents=[common], help="drop records unused for N days")
    prune.add_argument("--days", type=days, default=90.0, help="age in days, 0 or more (default 90)")
    return parser


_INIT_HELP = """Create what a new digest needs in DIR (default: here), never overwriting anything:
a commented enrich.toml listing every setting with its default, a sources.txt with its grammar
in comments, drafts/, and .gitignore lines for cache/. With --github-actions, also the nightly
workflow .github/workflows/enrich-nightly.yml. A second run changes nothing and says so.
"""


def _init_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="enrich init", description=_INIT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", nargs="?", default=".", metavar="DIR", help="where the digest lives (default: here)")
    parser.add_argument("--github-actions", action="store_true", help="also write the nightly GitHub Actions workflow")
    return parser


_GATHER_HELP = """Gather candidate links from the feeds of [[gather.feeds]] in enrich.toml into the inbox
(inbox.md): new items only, deduplicated against SOURCES, the draft and the inbox, ranked by the
beat's keywords, best first, each with why it was picked. Items ticked in the inbox (- [x]) are first
moved into SOURCES under their section, with the editor's note. One summary line on stderr; with
--format json, every feed's outcome and the candidates on stdout.

Exit codes: 0 every feed was read; 1 some feeds failed (the others were gathered); 2 bad
configuration or usage; 3 another run holds the lock on the cache or the inbox.
"""


def _gather_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="enrich gather", description=_GATHER_HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "sources",
        nargs="?",
        default="sources.txt",
        metavar="SOURCES",
        help="the sources file ticked items move into (default ./sources.txt)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="DRAFT",
        default="drafts/next.md",
        help="the draft whose links are not offered again (default drafts/next.md)",
    )
    parser.add_argument("--inbox", metavar="FILE", help="the inbox (default: [gather] inbox, inbox.md)")
    parser.add_argument(
        "--archive",
        metavar="DIR",
        help="published issues: their links are not offered, their titles rank candidates (default: [archive] path)",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="json: each feed's outcome and the candidates on stdout"
    )
    parser.add_argument("--cache-dir", metavar="DIR", default=os.environ.get("ENRICH_CACHE_DIR") or "cache")
    parser.add_argument("--config", metavar="FILE", help="TOML config file (env ENRICH_CONFIG; default ./enrich.toml)")
    parser.add_argument(
        "--allow-private-hosts",
        action="store_true",
        default=os.environ.get("ENRICH_ALLOW_PRIVATE_HOSTS", "") not in ("", "0", "false", "no"),
        help="allow feeds on loopback, private and link-local addresses (a bridge on this machine)",
    )
    parser.add_argument("--lock-wait", metavar="SECONDS", type=seconds, default=60.0)
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="only errors and the summary line")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="log every feed and request")
    return parser


def _gather_command(argv: list[str], stdout, stderr) -> int:
    from pipeline.config import load_config
    from pipeline.gather.run import GatherOptions, gather

    args = _gather_parser().parse_args(argv)
    _setup_logging(stderr, args.quiet, args.verbose)
    options = GatherOptions(
        sources=args.sources,
        draft=args.output,
        inbox=args.inbox,
        format=args.format,
        cache_dir=args.cache_dir,
        allow_private_hosts=args.allow_private_hosts,
        lock_wait=args.lock_wait,
        archive=args.archive,
    )
    try:
        return _refusals_said(lambda: gather(options, load_config(args.config), None, stdout=stdout, stderr=stderr), stderr)
    except KeyboardInterrupt:
        print("enrich: interrupted; the inbox and sources.txt are as they were or fully written", file=stderr)
        return 130


def _refusals_said(command: Callable[[], int], stderr) -> int:
    """Runs a command, saying a refusal in one line: bad usage or configuration is exit 2, another
    run's lock exit 3. Anything else is main's to report (exit 4)."""
    from pipeline.config import ConfigError
    from pipeline.lock import LockHeld
    from pipeline.run import EXIT_LOCKED, EXIT_USAGE, UsageError

    try:
        return command()
    except (UsageError, ConfigError) as exc:
        print(f"enrich: {exc}", file=stderr)
        return EXIT_USAGE
    except LockHeld as exc:
        print(f"enrich: {exc}", file=stderr)
        return EXIT_LOCKED


def _init_command(argv: list[str], stdout, stderr) -> int:
    from pathlib import Path

    from pipeline.scaffold import DRAFT, changed_anything, init

    args = _init_parser().parse_args(argv)
    directory = Path(args.directory)
    try:
        steps = init(directory, github_actions=args.github_actions)
    except OSError as exc:
        print(f"enrich: cannot set up {directory}: {exc.strerror or exc}", file=stderr)
        return 4
    for step in steps:
        print(f"  {step.path:<38} {step.done}", file=stdout)
    if not changed_anything(steps):
        print("Nothing to do: everything was already there.", file=stdout)
        return 0
    where = "" if args.directory == "." else f"cd {args.directory} && "
    print("\nNext: add links to sources.txt, then draft the issue:", file=stdout)
    print(f"  {where}$EDITOR sources.txt", file=stdout)
    print(f"  {where}enrich sources.txt -o {DRAFT}", file=stdout)
    return 0


def _setup_logging(stderr, quiet: bool, verbose: bool) -> None:
    from pipeline.secrets import RedactingFilter, Redactor

    handler = logging.StreamHandler(stderr)
    handler.setFormatter(logging.Formatter("enrich: %(message)s"))
    handler.addFilter(RedactingFilter(Redactor()))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.WARNING
    log.setLevel(level)
    if verbose:
        root.setLevel(logging.DEBUG)  # library chatter too (httpx, PyGithub, arxiv), redacted


def _model_summaries(cache_dir: str):
    """The cache's table of language-model answers (empty when no summarizer ever ran)."""
    from pipeline.summarize import AnswerStore

    return AnswerStore(cache_dir)


def _cache_command(argv: list[str], stdout, stderr) -> int:
    from pipeline.cache import Cache, Freshness
    from pipeline.config import ConfigError, load_config
    from pipeline.links import LinkError, canonicalize

    args = _cache_parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"enrich: {exc}", file=stderr)
        return 2
    cache = Cache(args.cache_dir, Freshness.from_settings(config.cache))
    try:
        if cache.read_only and args.action == "prune":
            print(f"enrich: could not finish: the cache {cache.path} is read-only; nothing pruned", file=stderr)
            return 4
        if cache.read_only:
            print(f"enrich: the cache {cache.path} is read-only; reading it as it is", file=stderr)
        if args.action == "stats":
            stats = cache.stats()
            lines = [f"{stats.path}: {stats.total} records, {stats.bytes / 1024:.0f} KiB"]
            for kind in sorted(stats.by_kind):
                counts = stats.by_kind[kind]
                lines.append(f"  {kind:7} {counts['fresh']:6} fresh {counts['stale']:6} stale {counts['failed']:6} failed")
            if not cache.read_only:
                answers = _model_summaries(args.cache_dir)
                count = answers.count()
                answers.close()
                if count:
                    lines.append(f"  model summaries {count}")
            _print_out(lines, stdout)
            return 0
        if args.action == "show":
            key = args.key
            if not key.startswith(("arxiv:", "github:", "web:")) or "://" in key.split(":", 1)[0]:
                try:
                    key = canonicalize(args.key).key
                except LinkError as exc:
                    print(f"enrich: {exc}", file=stderr)
                    return 2
            data = cache.show(key)
            if data is None:
                print(f"enrich: {key} is not in the cache", file=stderr)
                return 1
            _print_out([json.dumps(data, ensure_ascii=False, indent=2)], stdout)
            return 0
        removed = cache.prune(args.days)
        answers = _model_summaries(args.cache_dir)
        dropped = answers.prune(args.days)
        answers.close()
        also = f" and {dropped} model summaries" if dropped else ""
        _print_out([f"removed {removed} records{also} unused for {args.days:g} days"], stdout)
        return 0
    finally:
        cache.close()


def _print_out(lines: list[str], stdout) -> None:
    from pipeline.run import CouldNotFinish

    try:
        for line in lines:
            print(line, file=stdout)
        stdout.flush()
    except OSError as exc:
        raise CouldNotFinish(f"cannot write to standard output: {exc.strerror or exc}") from exc


def describe_failure(exc: BaseException) -> str:
    """One line naming what stopped the run (exit 4) and, when known, the path it concerns."""
    from pipeline.cache import CacheError
    from pipeline.run import CouldNotFinish

    if isinstance(exc, (CouldNotFinish, CacheError)):
        return f"could not finish: {exc}"
    if isinstance(exc, OSError):
        cause = exc.strerror or str(exc) or type(exc).__name__
        where = f": {exc.filename}" if exc.filename is not None else ""
        return f"could not finish: {cause}{where}"
    if isinstance(exc, sqlite3.Error):
        return f"could not finish: cache database error: {exc}"
    if isinstance(exc, MemoryError):
        return "could not finish: out of memory"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"internal error: {type(exc).__name__}{': ' + text if text else ''}"


def _could_not_finish(exc: BaseException, stderr, verbose: bool) -> int:
    from pipeline.secrets import Redactor

    redact = Redactor()
    message = describe_failure(exc)
    # Only an internal error needs its traceback; an environment error is said in full by its line.
    hint = " (-v shows the traceback)" if message.startswith("internal error") and not verbose else ""
    try:
        if verbose:
            stderr.write(redact("".join(traceback.format_exception(exc))))
        print(redact(f"enrich: {message}") + hint, file=stderr)
        stderr.flush()
    except (OSError, ValueError):
        pass  # stderr itself is gone: the exit code is all that is left to say it
    return 4


def _quiet_broken_stdout(stdout) -> None:
    """After stdout failed (closed pipe, full disk), point its descriptor at /dev/null so the
    interpreter's final flush does not print a second error."""
    if stdout is not sys.stdout:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None, stdin=None, stdout=None, stderr=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    verbose = any(arg in ("-v", "--verbose") for arg in argv)
    try:
        if argv[:1] == ["cache"]:
            return _cache_command(argv[1:], stdout, stderr)
        if argv[:1] == ["init"]:
            return _init_command(argv[1:], stdout, stderr)
        if argv[:1] == ["gather"]:
            return _gather_command(argv[1:], stdout, stderr)
        return _run_command(argv, stdin, stdout, stderr)
    except KeyboardInterrupt:
        print("enrich: interrupted; the cache keeps what was fetched, no draft was written", file=stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into exit 4
        _quiet_broken_stdout(stdout)
        return _could_not_finish(exc, stderr, verbose)


def command() -> NoReturn:
    """The `enrich` command (and `python -m pipeline`): `main`, with the cycle collector paced
    for a batch run, and no last sweep at the exit.

    A run makes objects by the hundred thousand and reference counting frees nearly all of them;
    collecting every 10,000 net allocations instead of every 700 took its pauses, each holding
    the interpreter while the event loop waits, from 50-70 ms to 20 ms in all over a cold run of
    1,000 pages. By the time `main` returns, everything the run keeps is written and closed; the
    last sweep took another 20 ms, and the operating system frees the memory anyway."""
    gc.set_threshold(10_000, 10, 10)
    code = main()
    gc.freeze()
    sys.exit(code)


def _run_command(argv: list[str], stdin, stdout, stderr) -> int:
    from pipeline.trust import check_trust_store_meanwhile

    parser = _run_parser()
    args = parser.parse_args(argv)
    # Begun before the run's modules are imported, which takes as long as reading the certificates.
    trust_check = None if args.offline else check_trust_store_meanwhile()
    from pipeline.config import load_config
    from pipeline.run import Options, execute

    _setup_logging(stderr, args.quiet, args.verbose)
    options = Options(
        sources=args.sources,
        output=args.output,
        format=args.format,
        offline=args.offline,
        refresh=args.refresh,
        cache_dir=args.cache_dir,
        allow_private_hosts=args.allow_private_hosts,
        template=args.template,
        date=args.date,
        lock_wait=args.lock_wait,
        summarize=args.summarize,
        archive=args.archive,
        readd=args.readd,
    )
    return _refusals_said(
        lambda: execute(options, load_config(args.config), stdin=stdin, stdout=stdout, stderr=stderr, trust_check=trust_check),
        stderr,
    )
