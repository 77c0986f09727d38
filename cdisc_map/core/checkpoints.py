"""Named points of a run where a test can stop the process, to kill it there.

The promise that OUT is always one whole tree must hold whenever a run dies, so the
tests kill runs at every stage. Timed kills land at random; named points land where
they mean something (between two XPT files, after the manifest, between the swap
and the removal of the old tree). With `CDISC_MAP_PAUSE_AT=NAME` a run stops itself
(SIGSTOP) on reaching the point NAME, and the test, which waits for the stop, looks at
OUT and kills it. `CDISC_MAP_TRACE_CHECKPOINTS=FILE` appends the name of every point
reached to FILE, which is how a test learns them. A point reached again in the same
run (each package has its "write XPT: start") is named with its count: "write XPT:
start #2". Without these variables a checkpoint costs two look-ups.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

PAUSE_VARIABLE = "CDISC_MAP_PAUSE_AT"
TRACE_VARIABLE = "CDISC_MAP_TRACE_CHECKPOINTS"

_reached: Counter[str] = Counter()


def checkpoint(name: str) -> None:
    """Mark the point `name` of a run: traced, or paused at, when the environment asks."""
    trace, pause = os.environ.get(TRACE_VARIABLE), os.environ.get(PAUSE_VARIABLE)
    if not trace and not pause:
        return
    _reached[name] += 1
    if _reached[name] > 1:
        name = f"{name} #{_reached[name]}"
    if trace:
        with open(trace, "a", encoding="utf-8") as log:
            log.write(name + "\n")
    if pause == name and hasattr(signal, "SIGSTOP"):
        os.kill(os.getpid(), signal.SIGSTOP)
