"""Runs a module or script and writes its peak resident memory (VmHWM, in kB) to a file at exit.

    python bench/peak.py OUT -m MODULE ARGS...  |  python bench/peak.py OUT SCRIPT ARGS...

Why not `ru_maxrss` from wait4: on Linux a child's maxrss starts at its parent's peak (the
forked copy counts before exec), so a benchmark that grew would inflate every later figure.
VmHWM belongs to the process image after exec alone.
"""

from __future__ import annotations

import atexit
import runpy
import sys


def _peak_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    out_path, target, *rest = sys.argv[1:]
    atexit.register(lambda: open(out_path, "w").write(str(_peak_kb())))
    if target == "-m":
        module, *args = rest
        sys.argv = [module, *args]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    else:
        sys.argv = [target, *rest]
        runpy.run_path(target, run_name="__main__")


if __name__ == "__main__":
    main()
