"""The parse worker: a process of its own that turns downloaded HTML pages into web records, one
page at a time, read from its standard input and answered on its standard output.

    python -m pipeline.parseworker

A page is a frame of two lengths, the job's JSON and the page's bytes; an answer, a length and
its JSON: the record, or why there is none. JSON both ways, never pickle: the worker reads
hostile pages, so nothing it says may be able to run code in the run that reads its answers.
"""

from __future__ import annotations

import dataclasses
import json
import struct
import sys
from collections.abc import Callable
from typing import BinaryIO

from pipeline.config import MB
from pipeline.errors import PageTooComplex, PageUnavailable
from pipeline.models import WebRecord

_JOB_HEAD = struct.Struct("<II")  # the job's JSON, then the page's bytes
_ANSWER_HEAD = struct.Struct("<I")


@dataclasses.dataclass(frozen=True)
class ParseJob:
    """A downloaded HTML page, with what its record needs from the exchange."""

    url: str
    body: bytes
    raw_type: str | None = None  # the Content-Type header as sent: its charset helps decoding
    content_type: str | None = None  # the media type only, lower case
    truncated: bool = False  # the body was cut at the download cap


def join_notes(*notes: str | None) -> str | None:
    return "; ".join(n for n in notes if n) or None


def truncated_note(cap: int) -> str:
    return f"page larger than {cap / MB:g} MB; only its first {cap / MB:g} MB were read"


def parse_job(job: ParseJob) -> WebRecord:
    """The record of a page, for the part of it the parser may be given (pagebounds.py)."""
    # Imported here: the run that starts the workers reads their answers, never a page.
    from pipeline.extract import extract_page
    from pipeline.pagebounds import bound_page

    body, cut_note = bound_page(job.body)
    record = extract_page(body, job.url, content_type=job.raw_type, with_text=True)
    record.url = job.url
    record.content_type = record.content_type or job.content_type
    if job.truncated and cut_note is None:
        record.note = join_notes(record.note, truncated_note(len(job.body)))
    record.note = join_notes(record.note, cut_note)
    return record


# -- frames ------------------------------------------------------------------------------------


def job_frame(job: ParseJob) -> bytes:
    head = json.dumps({"url": job.url, "raw_type": job.raw_type, "content_type": job.content_type, "truncated": job.truncated})
    meta = head.encode()
    return _JOB_HEAD.pack(len(meta), len(job.body)) + meta + job.body


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    return data if len(data) == size else None


def read_job(stream: BinaryIO) -> ParseJob | None:
    """The next job, or None at the end of the input."""
    head = _read_exactly(stream, _JOB_HEAD.size)
    if head is None:
        return None
    meta_size, body_size = _JOB_HEAD.unpack(head)
    meta, body = _read_exactly(stream, meta_size), _read_exactly(stream, body_size)
    if meta is None or body is None:
        return None
    return ParseJob(body=body, **json.loads(meta))


def answer_frame(work: Callable[[ParseJob], WebRecord], job: ParseJob) -> bytes:
    """The answer to a job: whatever the page does to the parser, an answer, never a crash."""
    try:
        answer: dict[str, object] = {"record": work(job).to_dict()}
    except PageUnavailable as exc:
        answer = {"unavailable": exc.reason, "permanent": exc.permanent}
    except PageTooComplex as exc:
        answer = {"too_complex": exc.reason}
    except Exception as exc:  # noqa: BLE001 - reported for this page; the worker goes on
        answer = {"failed": f"internal error: {type(exc).__name__}: {exc}"}
    # ASCII JSON: a lone surrogate from a broken page travels as an escape, not as an error.
    data = json.dumps(answer).encode()
    return _ANSWER_HEAD.pack(len(data)) + data


ANSWER_HEAD_SIZE = _ANSWER_HEAD.size


def answer_size(head: bytes) -> int:
    return _ANSWER_HEAD.unpack(head)[0]


# -- the worker ----------------------------------------------------------------------------------


def serve(
    work: Callable[[ParseJob], WebRecord] = parse_job, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
) -> None:
    """Answers jobs until the input ends. Anything else that writes to standard output (a stray
    print in a library) goes to standard error instead, so it cannot break a frame."""
    answers = stdout or sys.stdout.buffer
    jobs = stdin or sys.stdin.buffer
    sys.stdout = sys.stderr
    while (job := read_job(jobs)) is not None:
        answers.write(answer_frame(work, job))
        answers.flush()


if __name__ == "__main__":
    serve()
