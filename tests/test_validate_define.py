"""define.xml rules: presence, schema validity, and agreement with the datasets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from test_validate_sample import (
    STUDY,
    findings_of,
    labels_for,
    rewrite,
    subject,
    write_dataset,
)

import define_xml
from cdisc_map.validate import validate_path


def rules_fired(report) -> set[str]:
    return {f.rule for f in report.findings}


def test_package_without_define_is_a_warning(sdtm: Path):
    (sdtm / "define.xml").unlink()
    report = validate_path(sdtm)
    assert [(f.rule, f.severity) for f in report.findings] == [("CM0501", "warning")]


def test_schema_invalid_define(sdtm: Path):
    path = sdtm / "define.xml"
    path.write_text(path.read_text().replace('Repeating="No"', 'Repeating="Maybe"', 1))
    findings = findings_of(validate_path(sdtm), "CM0502")
    assert findings and findings[0].file == "define.xml"
    assert "Repeating" in findings[0].message and findings[0].message.startswith("line ")


def test_define_that_is_not_xml(sdtm: Path):
    (sdtm / "define.xml").write_text("<ODM><unclosed>")
    report = validate_path(sdtm)
    [finding] = findings_of(report, "CM0503")
    assert finding.file == "define.xml" and "not well-formed XML" in finding.message
    assert not rules_fired(report) & {"CM0501", "CM0504", "CM0506", "CM0511"}


def test_schema_check_unavailable_is_a_notice(sdtm: Path, monkeypatch):
    def no_schema(path):
        raise RuntimeError("the odmlib package is not installed")
    monkeypatch.setattr(define_xml, "validate", no_schema)
    report = validate_path(sdtm)
    assert [(f.rule, f.severity) for f in report.findings] == [("CM0512", "notice")]


def test_dataset_missing_from_define(sdtm: Path):
    write_dataset(sdtm, "CM", pd.DataFrame({
        "STUDYID": [STUDY], "DOMAIN": ["CM"], "USUBJID": [subject(1)], "CMSEQ": [1.0],
        "CMTRT": ["FLUDARABINE"]}))
    findings = findings_of(validate_path(sdtm), "CM0504")
    assert [(f.file, f.dataset) for f in findings] == [("cm.xpt", "CM")]


def test_define_describing_a_missing_dataset(sdtm: Path):
    (sdtm / "ex.xpt").unlink()
    findings = findings_of(validate_path(sdtm), "CM0505")
    assert [(f.file, f.dataset) for f in findings] == [("define.xml", "EX")]


def test_variable_not_in_define(sdtm: Path):
    rewrite(sdtm, "AE", lambda f: f.assign(AESPID="X"), refresh_define=False,
            column_labels={**labels_for("AE")[1], "AESPID": "Sponsor-Defined Identifier"})
    findings = findings_of(validate_path(sdtm), "CM0506")
    assert [(f.dataset, f.variable) for f in findings] == [("AE", "AESPID")]


def test_variable_in_define_but_not_in_data(sdtm: Path):
    rewrite(sdtm, "EX", lambda f: f.drop(columns="EXCAT"), refresh_define=False)
    report = validate_path(sdtm)
    assert [(f.dataset, f.variable) for f in findings_of(report, "CM0507")] == [("EX", "EXCAT")]
    assert rules_fired(report) == {"CM0507"}


def test_labels_that_differ(sdtm: Path):
    rewrite(sdtm, "AE", lambda f: None, refresh_define=False,
            column_labels={**labels_for("AE")[1], "AETERM": "Verbatim term"},
            label="Adverse events")
    findings = findings_of(validate_path(sdtm), "CM0508")
    assert sorted((f.variable, f.value) for f in findings) == [
        ("", "Adverse events"), ("AETERM", "Verbatim term")]


def test_data_type_that_differs(sdtm: Path):
    rewrite(sdtm, "DM", lambda f: f.assign(AGE=f["AGE"].map(lambda v: f"{v:.0f}")),
            refresh_define=False)
    findings = findings_of(validate_path(sdtm), "CM0509")
    assert [(f.dataset, f.variable, f.value) for f in findings] == [("DM", "AGE", "integer")]


def test_length_that_differs(sdtm: Path):
    rewrite(sdtm, "AE", lambda f: f.assign(AETERM=f["AETERM"] + " (SEVERE)"),
            refresh_define=False)
    findings = findings_of(validate_path(sdtm), "CM0510")
    assert [(f.variable, f.value) for f in findings] == [("AETERM", "34")]
    assert "25 in define.xml" in findings[0].message


def test_value_outside_the_define_codelist(sdtm: Path):
    rewrite(sdtm, "DM", lambda f: f.assign(SEX=["M", "F", "U", "F"]), refresh_define=False)
    report = validate_path(sdtm)
    findings = findings_of(report, "CM0511")
    assert [(f.variable, f.row, f.value) for f in findings] == [("SEX", 3, "U")]
    assert findings_of(report, "CM0204") == []  # U is a CDISC SEX term
