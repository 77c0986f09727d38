"""ADaM rules: ADSL is the subject spine; ADTTE records are analysable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from test_validate_sample import findings_of, rewrite, set_value, subject

from cdisc_map.validate import validate_path


def rows_of(report, rule: str) -> list[int | None]:
    return [f.row for f in findings_of(report, rule)]


def test_required_adsl_variable_missing(adam: Path):
    rewrite(adam, "ADSL", lambda f: f.drop(columns="ARM"))
    findings = findings_of(validate_path(adam), "CM0401")
    assert [(f.dataset, f.variable) for f in findings] == [("ADSL", "ARM")]


def test_required_tte_variable_missing(adam: Path):
    rewrite(adam, "ADTTE", lambda f: f.drop(columns="CNSR"))
    findings = findings_of(validate_path(adam), "CM0401")
    assert [(f.dataset, f.variable) for f in findings] == [("ADTTE", "CNSR")]


def test_adsl_with_two_records_for_a_subject(adam: Path):
    rewrite(adam, "ADSL", lambda f: pd.concat([f, f.iloc[[1]]], ignore_index=True))
    report = validate_path(adam)
    assert rows_of(report, "CM0402") == [5]
    assert findings_of(report, "CM0402")[0].usubjid == subject(2)


def test_adam_subject_not_in_adsl(adam: Path):
    rewrite(adam, "ADTTE", set_value(2, "USUBJID", subject(77)))
    findings = findings_of(validate_path(adam), "CM0403")
    assert [(f.dataset, f.row, f.value) for f in findings] == [("ADTTE", 3, subject(77))]


def test_cnsr_must_be_a_non_negative_integer(adam: Path):
    def change(frame):
        frame.loc[1, "CNSR"], frame.loc[2, "CNSR"], frame.loc[3, "CNSR"] = -1.0, 0.5, np.nan
    rewrite(adam, "ADTTE", change)
    findings = findings_of(validate_path(adam), "CM0404")
    assert [(f.row, f.value) for f in findings] == [(2, "-1"), (3, "0.5"), (4, None)]
    assert findings[2].message == "CNSR is missing"


def test_text_cnsr(adam: Path):
    rewrite(adam, "ADTTE", lambda f: f.assign(CNSR=f["CNSR"].map(lambda v: f"{v:.0f}")))
    findings = findings_of(validate_path(adam), "CM0404")
    assert len(findings) == 1 and "character" in findings[0].message


def test_aval_missing_or_negative(adam: Path):
    def change(frame):
        frame.loc[0, "AVAL"], frame.loc[4, "AVAL"] = -3.0, np.nan
    rewrite(adam, "ADTTE", change)
    assert rows_of(validate_path(adam), "CM0405") == [1, 5]


def test_event_date_before_the_start_date(adam: Path):
    rewrite(adam, "ADTTE", lambda f: f.assign(ADT=np.where(f.index == 3, f["STARTDT"] - 1,
                                                           f["ADT"])))
    findings = findings_of(validate_path(adam), "CM0406")
    assert [f.row for f in findings] == [4]
    assert "ADT 2024-05-21 is before STARTDT 2024-05-22" in findings[0].message


def test_paramcd_with_two_params(adam: Path):
    rewrite(adam, "ADTTE", set_value(2, "PARAM", "Overall survival"))
    findings = findings_of(validate_path(adam), "CM0407")
    assert [(f.row, f.variable, f.value) for f in findings] == [(3, "PARAMCD", "OS")]
    assert "'Overall Survival (days)' in an earlier record" in findings[0].message


def test_param_with_two_paramcds(adam: Path):
    rewrite(adam, "ADTTE", set_value(3, "PARAMCD", "EFS"))
    findings = findings_of(validate_path(adam), "CM0407")
    assert [(f.row, f.variable, f.value) for f in findings] == [(4, "PARAM",
                                                                  "Progression-Free Survival (days)")]


def test_adam_package_without_adsl(adam: Path):
    (adam / "adsl.xpt").unlink()
    findings = findings_of(validate_path(adam), "CM0408")
    assert len(findings) == 1 and findings[0].severity == "error"
