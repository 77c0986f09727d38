"""Run every registered check over the packages under a path and collect the findings.

A systematic defect in a million-record package would otherwise produce a million
findings: the collector keeps every count exact but stores only the first `limit`
findings of each rule in each file, which is what a person can read and what a report
can carry.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdisc_map.standards.metadata import Standard
from cdisc_map.standards.selection import Standards
from cdisc_map.standards.terminology import Terminology
from cdisc_map.validate import (  # noqa: F401  (imported to register their checks)
    checks_adam,
    checks_define,
    checks_sdtm,
    checks_suppqual,
    checks_xpt,
)
from cdisc_map.validate.columns import number_text
from cdisc_map.validate.loader import Dataset, Package, load_packages
from cdisc_map.validate.rules import CHECKS, RULES, SEVERITIES, Finding, severity_rank

DEFAULT_LIMIT = 200  # findings kept per rule and file; counts stay exact


class Collector:
    """Where checks put findings: exact totals, the first `limit` findings per rule and file."""

    def __init__(self, limit: int = DEFAULT_LIMIT):
        self.limit = limit
        self.findings: list[Finding] = []
        self.totals: Counter[tuple[str, str]] = Counter()
        self._kept: Counter[tuple[str, str]] = Counter()

    def add(self, rule_id: str, *, file: str = "", dataset: str = "", variable: str = "",
            row: int | None = None, usubjid: str | None = None, seq: str | None = None,
            value: Any = None, message: str | None = None) -> None:
        key = (rule_id, file)
        self.totals[key] += 1
        if self._kept[key] >= self.limit:
            return
        self._kept[key] += 1
        rule = RULES[rule_id]
        self.findings.append(Finding(
            rule=rule_id, severity=rule.severity, file=file, dataset=dataset,
            variable=variable, row=row, usubjid=usubjid, seq=seq,
            value=_value_text(value), message=message or rule.message,
        ))

    def add_rows(self, rule_id: str, dataset: Dataset, mask: np.ndarray, *,
                 variable: str = "", values: pd.Series | np.ndarray | None = None,
                 message: str | Sequence[str] | Callable[[int], str] | None = None) -> None:
        """One finding per masked row, with its row number and record keys.

        `values` (aligned with the frame) gives each finding's offending value;
        `message` is one text for all rows, a sequence aligned with the frame, or a
        function of the row position. Only the rows that fit under the limit are turned
        into findings; the others are only counted.
        """
        positions = np.flatnonzero(mask)
        key = (rule_id, dataset.file)
        room = max(0, self.limit - self._kept[key])
        self.totals[key] += len(positions) - min(room, len(positions))
        frame = dataset.frame
        usubjids = frame["USUBJID"] if "USUBJID" in frame.columns else None
        seqs = frame[dataset.seq_variable] if dataset.seq_variable else None
        for position in positions[:room].tolist():
            if callable(message):
                text = message(position)
            elif message is None or isinstance(message, str):
                text = message
            else:
                text = message[position]
            self.add(
                rule_id, file=dataset.file, dataset=dataset.name, variable=variable,
                row=position + 1,
                usubjid=None if usubjids is None else _value_text(usubjids.iat[position]),
                seq=None if seqs is None else _value_text(seqs.iat[position]),
                value=None if values is None else _at(values, position),
                message=text,
            )


def _at(values: pd.Series | np.ndarray, position: int) -> Any:
    return values.iat[position] if isinstance(values, pd.Series) else values[position]


def _value_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else number_text(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value)


@dataclass
class Context:
    """What every check receives besides the package: the collector and the standards."""

    out: Collector
    sdtmig: Standard
    ct: Terminology


@dataclass
class DatasetSummary:
    file: str
    name: str
    standard: str  # "SDTM" or "ADaM"
    records: int | None  # None when the file could not be read
    variables: int | None


@dataclass
class Report:
    """Findings of one validation run, with exact counts and what was validated."""

    path: str
    datasets: list[DatasetSummary]
    defines: list[str]
    findings: list[Finding]
    totals: dict[tuple[str, str], int]  # (rule id, file) -> findings, kept or not
    standard: str
    terminology: str
    limit: int = DEFAULT_LIMIT

    def rule_totals(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for (rule_id, _file), count in self.totals.items():
            counts[rule_id] += count
        return {rule_id: counts.get(rule_id, 0) for rule_id in RULES}

    def severity_totals(self) -> dict[str, int]:
        counts = {severity: 0 for severity in SEVERITIES}
        for rule_id, count in self.rule_totals().items():
            counts[RULES[rule_id].severity] += count
        return counts

    @property
    def truncated(self) -> list[tuple[str, str, int, int]]:
        """(rule, file, kept, total) wherever findings were left out of the report."""
        kept: Counter[tuple[str, str]] = Counter((f.rule, f.file) for f in self.findings)
        return [
            (rule_id, file, kept[(rule_id, file)], total)
            for (rule_id, file), total in sorted(self.totals.items())
            if total > kept[(rule_id, file)]
        ]


def validate_path(path: str | os.PathLike, *, ct: Terminology | None = None,
                  sdtmig_version: str = "3.4", limit: int = DEFAULT_LIMIT,
                  standards: Standards | None = None) -> Report:
    """Validate every package under `path` (a package folder, an OUT tree or one .xpt).

    `ct` defaults to the newest SDTM CT installed in the standards home (`standards`,
    default: `Standards()`), else the bundled subset, which is a part of the published
    package only. Raises NotAPackageError when the path holds no XPT file.
    """
    packages = load_packages(path)
    return validate_packages(packages, path=str(path), ct=ct,
                             sdtmig_version=sdtmig_version, limit=limit, standards=standards)


def validate_packages(packages: list[Package], *, path: str = "",
                      ct: Terminology | None = None, sdtmig_version: str = "3.4",
                      limit: int = DEFAULT_LIMIT, standards: Standards | None = None) -> Report:
    """Run every registered check on already loaded packages."""
    standards = standards or Standards()
    terminology = ct if ct is not None else standards.ct()
    sdtmig = standards.sdtmig(sdtmig_version)
    context = Context(out=Collector(limit), sdtmig=sdtmig, ct=terminology)
    for package in packages:
        for function, _rule_ids in CHECKS:
            function(package, context)
    datasets = [
        DatasetSummary(
            file=d.file, name=d.name, standard="ADaM" if d.is_adam else "SDTM",
            records=d.records if d.readable else None,
            variables=len(d.frame.columns) if d.readable else None,
        )
        for package in packages for d in package.datasets.values()
    ]
    defines = [package.relative(package.define) for package in packages if package.define]
    return Report(
        path=Path(path).as_posix() if path else "",
        datasets=sorted(datasets, key=lambda d: d.file),
        defines=sorted(defines),
        findings=sorted(context.out.findings, key=Finding.sort_key),
        totals=dict(context.out.totals),
        standard=sdtmig.description,
        terminology=terminology.description,
        limit=limit,
    )


def exit_code(findings: Report | Iterable[Finding], fail_on: str = "error") -> int:
    """0 when no finding is at or above `fail_on` (error, warning or notice), else 1."""
    threshold = severity_rank(fail_on)
    items = findings.findings if isinstance(findings, Report) else findings
    return int(any(severity_rank(f.severity) >= threshold for f in items))
