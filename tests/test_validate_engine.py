"""Running the validator: finding packages, exit codes, unreadable input, truncation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_validate_sample import adam_folder, rewrite, sdtm_folder

from cdisc_map.validate import (
    Finding,
    NotAPackageError,
    exit_code,
    load_packages,
    render,
    validate_path,
)


def finding(severity: str) -> Finding:
    return Finding(rule="CM0000", severity=severity)


@pytest.mark.parametrize("severities, fail_on, expected", [
    ([], "error", 0),
    (["warning", "notice"], "error", 0),
    (["warning"], "warning", 1),
    (["notice"], "warning", 0),
    (["notice"], "notice", 1),
    (["error"], "error", 1),
    (["error"], "warning", 1),
])
def test_exit_code(severities, fail_on, expected):
    assert exit_code([finding(s) for s in severities], fail_on) == expected


def test_exit_code_refuses_an_unknown_level():
    with pytest.raises(ValueError, match="unknown severity"):
        exit_code([], "fatal")


def test_missing_path_is_not_a_package(tmp_path: Path):
    with pytest.raises(NotAPackageError, match="does not exist"):
        validate_path(tmp_path / "nowhere")


def test_folder_without_xpt_files_is_not_a_package(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(NotAPackageError, match=f"not a package: no .xpt files in {tmp_path}"):
        validate_path(tmp_path)


def test_a_file_that_is_not_xpt_is_not_a_package(tmp_path: Path):
    path = tmp_path / "define.xml"
    path.write_text("<ODM/>")
    with pytest.raises(NotAPackageError, match="not a folder or an .xpt file"):
        validate_path(path)


def test_an_out_tree_holds_one_package_per_folder(root: Path):
    packages = load_packages(root)
    assert [p.file for p in packages] == [
        "m5/datasets/nct06111625/analysis/adam/datasets",
        "m5/datasets/nct06111625/tabulations/sdtm",
    ]
    assert sorted(packages[1].datasets) == ["AE", "DM", "EX", "SUPPAE", "TA", "TE", "TI", "TS", "TV"]
    assert all(p.define is not None for p in packages)


def test_staging_folders_of_an_interrupted_run_are_skipped(root: Path):
    shutil.copytree(sdtm_folder(root), sdtm_folder(root).parent / ".sdtm.staging-123")
    assert len(load_packages(root)) == 2


def test_a_single_xpt_file_is_checked_against_its_folder_define(root: Path):
    report = validate_path(sdtm_folder(root) / "ae.xpt")
    assert [d.name for d in report.datasets] == ["AE"]
    assert report.findings == []  # the other datasets are not missing: they were not chosen
    rewrite(sdtm_folder(root), "AE", lambda f: f.drop(columns="AEREL"), refresh_define=False)
    report = validate_path(sdtm_folder(root) / "ae.xpt")
    assert {f.rule for f in report.findings} == {"CM0203", "CM0507"}


def test_no_finding_is_dropped_and_the_text_view_says_what_it_leaves_out(root: Path):
    sdtm = sdtm_folder(root)
    rewrite(sdtm, "AE", lambda f: pd.concat([f] * 200, ignore_index=True).assign(AESER="X"))
    report = validate_path(sdtm)
    assert [f.row for f in report.findings if f.rule == "CM0204"] == list(range(1, 601))
    assert report.rule_totals()["CM0204"] == 600
    document = json.loads(render(report, "json"))
    assert sum(f["rule"] == "CM0204" for f in document["findings"]) == 600
    text = render(report, "text", max_per_rule=5)
    assert text.count("CM0204 notice  AESER, row") == 5
    assert "CM0204: 595 more findings not shown (600 in all; --max-per-rule 0 shows every one)" in text
    assert render(report, "text", max_per_rule=0).count("CM0204 notice  AESER, row") == 600


def test_findings_are_sorted_by_file_dataset_rule_and_row(root: Path):
    rewrite(sdtm_folder(root), "DM", lambda f: f.assign(SEX=["X", "M", "X", "F"]))
    rewrite(adam_folder(root), "ADTTE", lambda f: f.assign(CNSR=-1.0))
    report = validate_path(root)
    keys = [(f.file, f.rule, f.row) for f in report.findings]
    assert keys == sorted(keys, key=lambda k: (k[0], k[1], k[2] or 0))
    assert keys[0][0].startswith("m5/datasets/nct06111625/analysis")
