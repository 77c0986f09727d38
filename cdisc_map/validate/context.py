"""What every check receives: the collector of findings and the standards of the package.

Every finding is kept: a report can shorten what it shows, but the JSON and the counts
hold all of them, so nothing a pipeline or a reviewer acts on is silently dropped. A
rule whose answer depends on the IG version or the CT release (`Rule.depends_on`)
reports notices instead of its own severity in a package whose declared version is not
the one the checks ran with: the finding is still shown, but it cannot fail a build on
metadata the package never claimed to follow.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cdisc_map.core.text import number_text
from cdisc_map.standards.metadata import Standard
from cdisc_map.standards.terminology import Terminology
from cdisc_map.validate.loader import Dataset
from cdisc_map.validate.rules import NOTICE, RULES, Finding
from cdisc_map.validate.standards import PackageStandards


class Collector:
    """Where checks put findings, all of them, with their counts per rule and file."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.totals: Counter[tuple[str, str]] = Counter()
        self.downgraded: frozenset[str] = frozenset()  # rule ids reported as notices here

    def add(self, rule_id: str, *, file: str = "", dataset: str = "", variable: str = "",
            row: int | None = None, usubjid: str | None = None, seq: str | None = None,
            value: Any = None, message: str | None = None) -> None:
        rule = RULES[rule_id]
        self.totals[(rule_id, file)] += 1
        severity = NOTICE if rule_id in self.downgraded else rule.severity
        self.findings.append(Finding(
            rule=rule_id, severity=severity, file=file, dataset=dataset,
            variable=variable, row=row, usubjid=usubjid, seq=seq,
            value=value_text(value), message=message or rule.message,
        ))

    def add_rows(self, rule_id: str, dataset: Dataset, mask: np.ndarray, *,
                 variable: str = "", values: pd.Series | np.ndarray | None = None,
                 message: str | Sequence[str] | Callable[[int], str] | None = None) -> None:
        """One finding per masked row, with its row number and record keys.

        `values` (aligned with the frame) gives each finding's offending value;
        `message` is one text for all rows, a sequence aligned with the frame, or a
        function of the row position.
        """
        positions = np.flatnonzero(mask)
        if not len(positions):
            return
        frame = dataset.frame
        usubjids = frame["USUBJID"].to_numpy() if "USUBJID" in frame.columns else None
        seqs = frame[dataset.seq_variable].to_numpy() if dataset.seq_variable else None
        shown = values.to_numpy() if isinstance(values, pd.Series) else values
        for position in positions.tolist():
            if callable(message):
                text = message(position)
            elif message is None or isinstance(message, str):
                text = message
            else:
                text = message[position]
            self.add(
                rule_id, file=dataset.file, dataset=dataset.name, variable=variable,
                row=position + 1,
                usubjid=None if usubjids is None else value_text(usubjids[position]),
                seq=None if seqs is None else value_text(seqs[position]),
                value=None if shown is None else shown[position],
                message=text,
            )


def value_text(value: Any) -> str | None:
    """A finding's value as text: None for a missing number, numbers by `number_text`."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float | np.floating) and np.isnan(value):
        return None
    return number_text(value)


@dataclass
class Context:
    """The collector and the standards the package is checked against."""

    out: Collector
    standards: PackageStandards
    first_finding: int = 0  # where this package's findings start in `out.findings`

    @property
    def sdtmig(self) -> Standard:
        return self.standards.sdtmig

    @property
    def ct(self) -> Terminology:
        return self.standards.ct
