"""The mapping's warnings as findings of the run's report: one meaning of "warning"."""

from __future__ import annotations

import json
from pathlib import Path

from cdisc_map.core.problems import Problem
from cdisc_map.validate import exit_code, render, validate_path
from cdisc_map.validate.mapping import MAPPING_RULE, with_mapping_problems


def test_warnings_become_located_findings_counted_with_the_others(root: Path, tmp_path: Path):
    raw = tmp_path / "export"
    clean = validate_path(root)
    problems = [
        Problem("AGE: cannot be derived exactly from a partial birth date", file=str(raw / "dm.csv"), row=17,
                value="1985-06", dataset="DM", severity="warning", hint="collect the complete birth date"),
        Problem("an event without a date", file=None, dataset="ADTTE", severity="warning"),
        Problem("never reaches a report: errors stop the run", file=str(raw / "ae.csv"), severity="error"),
    ]
    report = with_mapping_problems(clean, problems, roots=[raw])

    document = json.loads(render(report, "json"))
    assert document["summary"]["warnings"] == clean.severity_totals()["warning"] + 2
    added = [f for f in document["findings"] if f["rule"] == MAPPING_RULE]
    assert [(f["file"], f["row"], f["dataset"], f["value"]) for f in added] == [
        ("", None, "ADTTE", None), ("dm.csv", 17, "DM", "1985-06")]
    assert added[1]["severity"] == "warning" and "collect the complete birth date" in added[1]["message"]
    assert "dm.csv" in render(report, "html") and f"{MAPPING_RULE} warning" in render(report, "text")
    # the same fail level applies to them as to any finding
    assert exit_code(clean, fail_on="warning") == 0
    assert exit_code(report, fail_on="warning") == 1 and exit_code(report, fail_on="error") == 0
    assert with_mapping_problems(clean, [], roots=[raw]) is clean
