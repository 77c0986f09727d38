"""How a run allocates: fewer garbage-collector passes, and large blocks given back when freed.

A run builds frames of millions of small strings and numpy arrays of tens of megabytes,
most of them short-lived (the raw forms, a column before it is conformed). Two defaults
of the platform cost time and memory with such work:

- the garbage collector's thresholds make it rescan the live strings over and over,
  though they hold no reference cycles worth collecting mid-run (a third of read time
  on a 50,000-subject export);
- glibc's malloc raises its mmap threshold each time a large block is freed, so later
  large arrays come from the heap, where freed space is kept rather than given back:
  peak memory then grows with every stage. A fixed threshold keeps arrays over 128 KiB
  in their own mappings, returned to the system when freed (a 10,000-subject run peaks
  at 315 MiB instead of 404 MiB, at the same CPU time).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Iterator
from contextlib import contextmanager

_M_MMAP_THRESHOLD = -3  # mallopt parameter of glibc's malloc.h
MMAP_THRESHOLD = 128 * 1024  # glibc's initial value, kept fixed


@contextmanager
def batch_allocation() -> Iterator[None]:
    """Within: full collector passes rarely, and large blocks mapped on their own (where the C
    library allows it; elsewhere nothing changes). The collector's thresholds are restored after;
    the fixed mmap threshold stays, as glibc cannot go back to adjusting it."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    fix_mmap_threshold()
    try:
        yield
    finally:
        gc.set_threshold(*before)


def fix_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold at MMAP_THRESHOLD; False where the C library has no mallopt."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):
        return False
