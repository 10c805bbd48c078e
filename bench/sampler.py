"""A sampling profiler for a whole process, threads included (cProfile sees only the main
thread, and enrich fetches on worker threads): run a module under it and print where time went.

    python bench/sampler.py OUT.txt -m pipeline ARGS...
"""

from __future__ import annotations

import atexit
import collections
import runpy
import sys
import threading
import time

INTERVAL = 0.002  # seconds between samples
IDLE = {
    "wait",
    "get",
    "_wait_for_tstate_lock",
    "select",
    "poll",
    "acquire",
    "sleep",
    "run_forever",
    "_run_once",
    "join",
    "__call__",
}


def main() -> None:
    out_path, flag, module, *rest = sys.argv[1:]
    assert flag == "-m", "usage: sampler.py OUT -m MODULE ARGS..."
    leaf: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    samples = [0]
    stop = threading.Event()

    def sample() -> None:
        deadline = time.monotonic() + 3600  # bounded, whatever the profiled program does
        while not stop.is_set() and time.monotonic() < deadline:
            for ident, frame in sys._current_frames().items():
                if ident == sampler.ident:
                    continue
                top = f"{frame.f_code.co_filename.rsplit('/', 2)[-2:]!s} {frame.f_code.co_name}"
                if frame.f_code.co_name in IDLE:
                    continue  # a thread waiting is not time spent
                samples[0] += 1
                leaf[top] += 1
                seen = set()
                while frame is not None:
                    name = f"{'/'.join(frame.f_code.co_filename.rsplit('/', 2)[-2:])}:{frame.f_code.co_name}"
                    if name not in seen:
                        inclusive[name] += 1
                        seen.add(name)
                    frame = frame.f_back
            time.sleep(INTERVAL)

    def report() -> None:
        stop.set()
        total = max(1, samples[0])
        with open(out_path, "w", encoding="utf-8") as out:
            out.write(f"{samples[0]} busy samples every {INTERVAL * 1000:g} ms (all threads)\n\nleaf functions:\n")
            for name, n in leaf.most_common(25):
                out.write(f"{100 * n / total:6.1f}%  {name}\n")
            out.write("\ninclusive (function and what it calls):\n")
            for name, n in inclusive.most_common(45):
                out.write(f"{100 * n / total:6.1f}%  {name}\n")

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    atexit.register(report)
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
