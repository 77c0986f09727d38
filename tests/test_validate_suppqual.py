"""SUPP-- rules: parents resolve to exactly one record; QNAM and QLABEL are sound."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_validate_sample import (
    STUDY,
    findings_of,
    labels_for,
    only,
    rewrite,
    set_value,
    subject,
    write_dataset,
    write_define_for,
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


# --- split datasets (SDTMIG 4.1.7) and split text (SDTMIG 4.5.3) ------------------------


def split_lab(sdtm: Path) -> None:
    """LBCH (DOMAIN LB) and its SUPPLBCH (RDOMAIN LB), as a split LB is submitted."""
    lbch = pd.DataFrame({"STUDYID": [STUDY] * 2, "DOMAIN": ["LB"] * 2, "USUBJID": [subject(1)] * 2,
                         "LBSEQ": [1.0, 2.0], "LBTESTCD": ["GLUC", "ALB"], "LBTEST": ["Glucose", "Albumin"],
                         "LBORRES": ["5.2", "40"], "LBDTC": ["2024-03-01", "2024-03-01"]})
    write_dataset(sdtm, "LBCH", lbch)
    supp = pd.DataFrame({"STUDYID": [STUDY] * 2, "RDOMAIN": ["LB"] * 2, "USUBJID": [subject(1)] * 2,
                         "IDVAR": ["LBSEQ"] * 2, "IDVARVAL": ["1", "2"], "QNAM": ["LBFAST"] * 2,
                         "QLABEL": ["Fasting Status"] * 2, "QVAL": ["Y", "N"], "QORIG": ["CRF"] * 2,
                         "QEVAL": [""] * 2})
    write_dataset(sdtm, "SUPPLBCH", supp, label="Supplemental Qualifiers for LBCH",
                  column_labels=labels_for("SUPPAE")[1])
    write_define_for(sdtm, adam=False)


def test_a_split_dataset_and_its_supplemental_qualifiers_are_understood(sdtm: Path):
    split_lab(sdtm)
    report = validate_path(sdtm)
    assert [f for f in report.findings if f.rule.startswith("CM03")] == []


def test_a_split_dataset_qualifier_pointing_nowhere(sdtm: Path):
    split_lab(sdtm)
    rewrite(sdtm, "SUPPLBCH", set_value(1, "IDVARVAL", "3"),
            label="Supplemental Qualifiers for LBCH", column_labels=labels_for("SUPPAE")[1])
    finding = only(validate_path(sdtm), "CM0301")
    assert (finding.dataset, finding.row) == ("SUPPLBCH", 2)
    assert "no LB record" in finding.message
    rewrite(sdtm, "SUPPLBCH", set_value(0, "RDOMAIN", "LBCH"),
            label="Supplemental Qualifiers for LBCH", column_labels=labels_for("SUPPAE")[1])
    finding = only(validate_path(sdtm), "CM0306")
    assert "RDOMAIN must be LB in SUPPLBCH" in finding.message


def test_a_piece_of_split_text_that_begins_with_a_blank(sdtm: Path):
    comment = ("Grade 2 cytokine release syndrome on day 2, treated with tocilizumab 8 mg/kg " * 4)[:260]

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        pieces = [comment[:200], comment[200:]]
        extra = frame.iloc[[0, 0]].copy()
        extra["QNAM"], extra["QLABEL"] = ["AECOMM", "AECOMM1"], ["Comment", "Comment, continued"]
        extra["QVAL"] = [pieces[0], " " + pieces[1].lstrip()]
        return pd.concat([frame, extra], ignore_index=True)
    rewrite(sdtm, "SUPPAE", change)
    finding = only(validate_path(sdtm), "CM0307")
    assert (finding.row, finding.variable, finding.severity) == (4, "QVAL", "warning")
    assert "AECOMM1 piece" in finding.message


def test_a_numeric_idvar_matches_its_idvarval_as_a_number(sdtm: Path):
    def change(frame: pd.DataFrame) -> None:
        frame.loc[0, "IDVAR"], frame.loc[0, "IDVARVAL"] = "AESTDY", "2"     # AESTDY 2.0 of subject 1
        frame.loc[1, "IDVAR"], frame.loc[1, "IDVARVAL"] = "AESEQ", "1.0"   # written with a decimal
    rewrite(sdtm, "SUPPAE", change)
    assert [f.rule for f in validate_path(sdtm).findings if f.rule.startswith("CM03")] == []
