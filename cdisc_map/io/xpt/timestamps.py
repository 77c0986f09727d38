"""The creation stamps in transport headers: ddMMMyy:hh:mm:ss, pinned by SOURCE_DATE_EPOCH.

Four stamps sit in a version 5 header: the library's created and modified stamps and the
member's. A run stamps all four with one moment, `build_timestamp()`, so that two runs with
SOURCE_DATE_EPOCH set give byte-identical files (the reproducible-builds convention).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

from cdisc_map.core.problems import Problem, ProblemsError

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
STAMP_LENGTH = 16
STAMP = re.compile(r"\d\d(?:" + "|".join(MONTHS) + r")\d\d:\d\d:\d\d:\d\d")
# Byte offsets of the four stamps in a version 5 file: library created (80 + 64) and
# modified (160), member created (400 + 64) and modified (480).
V5_STAMP_OFFSETS = (144, 160, 464, 480)


def build_timestamp() -> datetime:
    """The creation time to stamp on outputs: SOURCE_DATE_EPOCH (UTC) when set, else now.

    Reproducible-builds convention: with the variable set, every run gives the same
    bytes. Truncated to whole seconds, as XPT and Define-XML stamps carry no fraction.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None:
        return datetime.now(UTC).replace(microsecond=0)
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        raise ProblemsError(
            [
                Problem(
                    "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC",
                    value=raw,
                    hint="Set it to, for example, the last commit's time: git log -1 --format=%ct",
                )
            ]
        )
    try:
        return datetime.fromtimestamp(int(text), UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ProblemsError([Problem("SOURCE_DATE_EPOCH is out of the range of dates", value=raw)]) from exc


def sas_header_timestamp(moment: datetime) -> str:
    """`moment` as the 16 characters an XPT header holds: ddMMMyy:hh:mm:ss.

    An aware datetime is converted to UTC first; a naive one is taken as written.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return (
        f"{moment.day:02d}{MONTHS[moment.month - 1]}{moment.year % 100:02d}:"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )


def header_timestamps(path: Path) -> tuple[str, ...]:
    """The four v5 header timestamps of a file, in file order (for checks and tests)."""
    with open(path, "rb") as handle:
        head = handle.read(V5_STAMP_OFFSETS[-1] + STAMP_LENGTH)
    return tuple(head[offset : offset + STAMP_LENGTH].decode("ascii", "replace") for offset in V5_STAMP_OFFSETS)
