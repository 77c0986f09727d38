"""Errors and problem reports.

A conversion meets many problems in one export; a data manager wants them all at
once, each naming where it is (file, row, column, value) and what to do about it,
not a traceback on the first. So the core collects `Problem`s and raises one
`ProblemsError` carrying all of them; only the CLI turns them into text.
"""

from __future__ import annotations

from dataclasses import dataclass


class CdiscMapError(Exception):
    """Base class for every error cdisc-map raises on purpose."""


class DateError(ValueError):
    """A raw date or date/time that cannot be an ISO 8601 value; the message says why."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as we know it.

    `row` is the row number as the user sees it in the file (header is row 1 in a
    CSV or XLSX, so the first data row is 2; observation number in SAS files).
    """

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    hint: str | None = None
    dataset: str | None = None
    severity: str = "error"

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = self.message
        if self.dataset:
            text = f"[{self.dataset}] {text}"
        if self.value is not None:
            text += f" (value {self.value!r})"
        where = self.where()
        if where:
            text = f"{where}: {text}"
        if self.hint:
            text += f". {self.hint}"
        return text


class ProblemsError(CdiscMapError):
    """Raised with every problem found, so they can be reported together."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        head = "\n".join(f"  - {p}" for p in self.problems[:20])
        more = f"\n  ... and {count - 20} more" if count > 20 else ""
        super().__init__(f"{count} problem(s):\n{head}{more}")


class InputError(ProblemsError):
    """Problems with what a command was given, not with what it read: a folder that does
    not exist, an output path that is a file, a folder that may not be written.

    Kept apart from problems in specs and data because a pipeline treats them apart: the
    commands exit with status 2 on these (usage, unreadable input), 1 on the others.
    """
