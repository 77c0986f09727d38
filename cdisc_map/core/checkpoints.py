"""Named points of a run where a test can stop the process, to kill it there.

The promise that OUT is always one whole tree must hold whenever a run dies, so the
tests kill runs at every stage. Timed kills land at random; named points land where
they mean something (between two XPT files, after the manifest, between the swap
and the removal of the old tree). With `CDISC_MAP_PAUSE_AT=NAME` a run stops itself
(SIGSTOP) on reaching the point NAME, and the test, which waits for the stop, looks at
OUT and kills it. `CDISC_MAP_TRACE_CHECKPOINTS=FILE` appends the name of every point
reached to FILE, which is how a test learns them. Without these variables a
checkpoint costs two dictionary look-ups.
"""

from __future__ import annotations

import os
import signal

PAUSE_VARIABLE = "CDISC_MAP_PAUSE_AT"
TRACE_VARIABLE = "CDISC_MAP_TRACE_CHECKPOINTS"


def checkpoint(name: str) -> None:
    """Mark the point `name` of a run: traced, or paused at, when the environment asks."""
    trace = os.environ.get(TRACE_VARIABLE)
    if trace:
        with open(trace, "a", encoding="utf-8") as log:
            log.write(name + "\n")
    if os.environ.get(PAUSE_VARIABLE) == name and hasattr(signal, "SIGSTOP"):
        os.kill(os.getpid(), signal.SIGSTOP)
