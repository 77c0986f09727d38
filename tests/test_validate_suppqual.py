"""SUPP-- rules: parents resolve to exactly one record; QNAM and QLABEL are sound."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_validate_sample import (
    findings_of,
    labels_for,
    only,
    rewrite,
    set_value,
    subject,
)

from cdisc_map.validate import validate_path


def test_qualifier_without_parent_record(sdtm: Path):
    rewrite(sdtm, "SUPPAE", set_value(0, "IDVARVAL", "9"))
    finding = only(validate_path(sdtm), "CM0301")
    assert (finding.dataset, finding.row, finding.usubjid, finding.value) == (
        "SUPPAE", 1, subject(1), "9")
    assert "AESEQ = '9'" in finding.message


def test_qualifier_of_an_unknown_subject(sdtm: Path):
    rewrite(sdtm, "SUPPAE", set_value(1, "USUBJID", subject(3)))
    finding = only(validate_path(sdtm), "CM0301")
    assert (finding.row, finding.usubjid) == (2, subject(3))


def test_qualifier_matching_two_parent_records(sdtm: Path):
    rewrite(sdtm, "AE", set_value(1, "AESEQ", 1.0))  # subject 1 now has AESEQ 1 twice
    report = validate_path(sdtm)
    finding = only(report, "CM0302")
    assert (finding.row, finding.value) == (1, "1")
    assert "2 AE records" in finding.message
    assert findings_of(report, "CM0207")  # the cause, reported on AE


def test_grpid_may_point_at_several_records(sdtm: Path):
    def group(frame):
        frame["AEGRPID"] = ["G1", "G1", ""]
    rewrite(sdtm, "AE", group, column_labels={**labels_for("AE")[1], "AEGRPID": "Group ID"})
    rewrite(sdtm, "SUPPAE", lambda f: f.assign(IDVAR=["AEGRPID", "AESEQ"],
                                               IDVARVAL=["G1", "1"]))
    report = validate_path(sdtm)
    assert findings_of(report, "CM0302") == [] and findings_of(report, "CM0301") == []


def test_repeated_qnam_for_one_parent(sdtm: Path):
    rewrite(sdtm, "SUPPAE", lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True))
    finding = only(validate_path(sdtm), "CM0303")
    assert (finding.row, finding.value) == (3, "AECRSGR")


@pytest.mark.parametrize("qnam", ["1CRSGR", "AE_CRS_GRADE", "aecrsgr", "AE-CRS"])
def test_malformed_qnam(sdtm: Path, qnam: str):
    rewrite(sdtm, "SUPPAE", set_value(0, "QNAM", qnam))
    finding = only(validate_path(sdtm), "CM0304")
    assert (finding.row, finding.value) == (1, qnam)


def test_qlabel_shared_by_two_qnams(sdtm: Path):
    rewrite(sdtm, "SUPPAE", set_value(1, "QLABEL", "CRS Grade (ASTCT)"))
    finding = only(validate_path(sdtm), "CM0305")
    assert (finding.row, finding.variable) == (2, "QLABEL")


def test_qnam_with_two_labels(sdtm: Path):
    def change(frame):
        extra = frame.iloc[[0]].copy()
        extra["USUBJID"], extra["QLABEL"] = subject(1), "CRS grade"
        extra["IDVARVAL"] = "2"
        return pd.concat([frame, extra], ignore_index=True)
    rewrite(sdtm, "SUPPAE", change)
    finding = only(validate_path(sdtm), "CM0305")
    assert (finding.row, finding.variable, finding.value) == (3, "QNAM", "AECRSGR")
    assert "'CRS grade'" in finding.message


def test_qlabel_longer_than_40_characters(sdtm: Path):
    rewrite(sdtm, "SUPPAE", set_value(0, "QLABEL", "C" * 41))
    finding = only(validate_path(sdtm), "CM0305")
    assert (finding.row, finding.variable) == (1, "QLABEL")


def test_rdomain_of_another_domain(sdtm: Path):
    rewrite(sdtm, "SUPPAE", set_value(0, "RDOMAIN", "EX"))
    findings = findings_of(validate_path(sdtm), "CM0306")
    # SUPPAE qualifies AE records whatever RDOMAIN says: IDVAR is checked against AE
    assert [(f.row, f.variable, f.value) for f in findings] == [(1, "RDOMAIN", "EX")]
    assert "RDOMAIN must be AE" in findings[0].message


def test_idvar_that_is_not_a_parent_variable(sdtm: Path):
    rewrite(sdtm, "SUPPAE", set_value(1, "IDVAR", "AENUM"))
    finding = only(validate_path(sdtm), "CM0306")
    assert (finding.row, finding.variable, finding.value) == (2, "IDVAR", "AENUM")
