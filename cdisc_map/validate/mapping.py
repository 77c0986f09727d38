"""Problems the run reported, as findings of its validation report.

A run writes one report with one meaning of "warning": what the mapping met in the raw
export and could still write (a partial birth date, an unmapped value; rule CM0701),
and what the outcomes report left out (CM0702), are findings beside the conformance
findings of what was written, counted in the same totals and failing `--fail-on
warning` like any other. It is kept apart from the checks, which read packages on disk,
because these come from the run, not from the files; only `cdisc-map run` adds them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from cdisc_map.core.problems import Problem
from cdisc_map.validate.engine import Report
from cdisc_map.validate.rules import RULES, Finding

MAPPING_RULE = "CM0701"
OUTCOMES_RULE = "CM0702"


def with_mapping_problems(report: Report, problems: Iterable[Problem], roots: Sequence[Path] = (),
                          rule: str = MAPPING_RULE) -> Report:
    """`report` with every non-error problem added as a finding of `rule` (CM0701: the mapping's).

    A finding's `file` is the raw file relative to the first of `roots` (the raw export
    folder, the study folder) that holds it, so the report is the same wherever the
    study lives; `row` is the row as the raw file shows it.
    """
    added = [mapping_finding(problem, roots, rule) for problem in problems if problem.severity != "error"]
    if not added:
        return report
    totals = dict(report.totals)
    for finding in added:
        totals[(finding.rule, finding.file)] = totals.get((finding.rule, finding.file), 0) + 1
    return replace(report, findings=sorted([*report.findings, *added], key=Finding.sort_key), totals=totals)


def mapping_finding(problem: Problem, roots: Sequence[Path] = (), rule: str = MAPPING_RULE) -> Finding:
    """One problem of the run as a finding of `rule`."""
    message = problem.message if not problem.hint else f"{problem.message}. {problem.hint}"
    return Finding(
        rule=rule, severity=RULES[rule].severity, file=_relative(problem.file, roots),
        dataset=problem.dataset or "", variable=problem.column or "", row=problem.row,
        value=problem.value, message=message,
    )


def _relative(file: str | None, roots: Sequence[Path]) -> str:
    if not file:
        return ""
    path = Path(os.path.abspath(file))
    for root in roots:
        try:
            return path.relative_to(os.path.abspath(root)).as_posix()
        except ValueError:
            continue
    return path.name
