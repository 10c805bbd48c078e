"""A parse worker for tests that misbehaves on purpose, by the last part of a page's path:
`stuck` never answers, `slow` waits for a file named `release` in FOLDER, `bad` raises and
`crash` ends the worker; every other page is parsed as the real worker parses it. Each parse
is noted in FOLDER/parses.log as "<monotonic time> <pid> <last part of the path>".

    python tests/misbehaving_parse_worker.py FOLDER
"""

import os
import sys
import time
from pathlib import Path

from pipeline.parseworker import ParseJob, parse_job, serve

FOLDER = Path(sys.argv[1])


def misbehave(job: ParseJob):
    name = job.url.rsplit("/", 1)[-1]
    with open(FOLDER / "parses.log", "a", encoding="utf-8") as log:
        log.write(f"{time.monotonic()} {os.getpid()} {name}\n")
    if name == "stuck":
        time.sleep(60)
    elif name == "slow":
        waited = time.monotonic() + 10
        while not (FOLDER / "release").exists() and time.monotonic() < waited:
            time.sleep(0.01)
    elif name == "bad":
        raise ValueError("boom")
    elif name == "crash":
        os._exit(3)
    return parse_job(job)


serve(misbehave)
