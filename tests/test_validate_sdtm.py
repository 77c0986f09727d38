"""SDTM rules: each defect injected into a copy of the clean package fires its rule on
the right record, with the offending value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_validate_sample import (
    findings_of,
    only,
    published_stand_in,
    rewrite,
    set_value,
    subject,
)

from cdisc_map.validate import exit_code, validate_path


def test_required_variable_missing(sdtm: Path):
    rewrite(sdtm, "AE", lambda f: f.drop(columns="AETERM"))
    finding = only(validate_path(sdtm), "CM0201")
    assert (finding.dataset, finding.variable, finding.severity) == ("AE", "AETERM", "error")


def test_required_variable_null_names_the_record(sdtm: Path):
    rewrite(sdtm, "AE", set_value(1, "AEDECOD", ""))
    report = validate_path(sdtm)
    finding = only(report, "CM0202")
    assert (finding.variable, finding.row, finding.usubjid, finding.seq) == (
        "AEDECOD", 2, subject(1), "2")
    assert exit_code(report) == 1


def test_expected_variable_missing_is_a_warning(sdtm: Path):
    rewrite(sdtm, "AE", lambda f: f.drop(columns="AESER"))
    report = validate_path(sdtm)
    finding = only(report, "CM0203")
    assert (finding.variable, finding.severity) == ("AESER", "warning")
    assert exit_code(report, "error") == 0
    assert exit_code(report, "warning") == 1


# The bundled CT subset stands in for the published package the user would give (--ct).
FULL_CT = published_stand_in()


def test_value_outside_a_non_extensible_codelist_is_an_error(sdtm: Path):
    rewrite(sdtm, "DM", set_value(2, "SEX", "X"))
    finding = only(validate_path(sdtm, ct=FULL_CT), "CM0204")
    assert (finding.variable, finding.row, finding.value, finding.usubjid, finding.severity) == (
        "SEX", 3, "X", subject(3), "error")
    assert "SEX" in finding.message


def test_value_outside_an_extensible_codelist_is_a_warning(sdtm: Path):
    rewrite(sdtm, "EX", set_value(0, "EXDOSU", "mcg/day"))
    finding = only(validate_path(sdtm, ct=FULL_CT), "CM0205")
    assert (finding.severity, finding.row, finding.value) == ("warning", 1, "mcg/day")


def test_without_a_full_ct_package_terminology_findings_are_notices_said_once(sdtm: Path):
    rewrite(sdtm, "DM", set_value(2, "SEX", "X"))
    rewrite(sdtm, "EX", set_value(0, "EXDOSU", "mcg/day"))
    report = validate_path(sdtm)
    assert [(f.rule, f.severity) for f in report.findings if f.rule in ("CM0204", "CM0205")] == [
        ("CM0204", "notice"), ("CM0205", "notice")]
    note = only(report, "CM0602")
    assert "bundled subset" in note.message and "--ct" in note.message
    # only define.xml's own codelist (F, M) still makes X an error
    assert {f.rule for f in report.findings if f.severity == "error"} == {"CM0511"}


@pytest.mark.parametrize("bad, reason", [
    ("2024-02-30", "day 30 does not exist"),
    ("05MAR2024", "not an ISO 8601"),
    ("2024-13-01", "month 13"),
    ("2024-03-06T25:00", "hour 25"),
])
def test_invalid_iso8601_dates(sdtm: Path, bad: str, reason: str):
    rewrite(sdtm, "AE", set_value(2, "AEENDTC", bad))
    finding = only(validate_path(sdtm), "CM0206")
    assert (finding.variable, finding.row, finding.value) == ("AEENDTC", 3, bad)
    assert reason in finding.message


def test_partial_and_placeholder_dates_are_valid(sdtm: Path):
    rewrite(sdtm, "AE", set_value(2, "AEENDTC", "2024---15"))
    assert findings_of(validate_path(sdtm), "CM0206") == []


def test_repeated_seq_within_a_subject(sdtm: Path):
    rewrite(sdtm, "EX", set_value(1, "EXSEQ", 1.0))
    finding = only(validate_path(sdtm), "CM0207")
    assert (finding.dataset, finding.row, finding.seq, finding.usubjid) == (
        "EX", 2, "1", subject(1))
    assert "row 1" in finding.message


def test_same_seq_in_different_subjects_is_fine(sdtm: Path):
    report = validate_path(sdtm)  # every subject's EXSEQ starts at 1
    assert findings_of(report, "CM0207") == []


def test_subject_missing_from_dm_reported_once_with_its_record_count(sdtm: Path):
    def change(frame):
        frame.loc[0:1, "USUBJID"] = subject(99)
    rewrite(sdtm, "EX", change)
    report = validate_path(sdtm)
    finding = only(report, "CM0208")
    assert (finding.dataset, finding.row, finding.value) == ("EX", 1, subject(99))
    assert "2 EX record(s)" in finding.message
    assert report.rule_totals()["CM0208"] == 1  # one finding per subject


def test_duplicate_subject_in_dm(sdtm: Path):
    rewrite(sdtm, "DM", lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True))
    finding = only(validate_path(sdtm), "CM0209")
    assert (finding.row, finding.value) == (5, subject(1))


def test_study_day_zero(sdtm: Path):
    rewrite(sdtm, "AE", set_value(0, "AESTDY", 0.0))
    report = validate_path(sdtm)
    finding = only(report, "CM0210")
    assert (finding.variable, finding.row, finding.value) == ("AESTDY", 1, "0")
    assert findings_of(report, "CM0211") == []


def test_study_day_that_does_not_match_the_dates(sdtm: Path):
    rewrite(sdtm, "EX", set_value(1, "EXSTDY", 5.0))
    finding = only(validate_path(sdtm), "CM0211")
    assert (finding.variable, finding.row, finding.value) == ("EXSTDY", 2, "5")
    assert "should be 4" in finding.message


def test_study_day_before_the_reference_date_has_no_plus_one(sdtm: Path):
    # DM.DMDY is -14 for a collection 14 days before RFSTDTC: clean, so no finding
    assert findings_of(validate_path(sdtm), "CM0211") == []
    rewrite(sdtm, "DM", set_value(0, "DMDY", -13.0))
    assert "should be -14" in only(validate_path(sdtm), "CM0211").message


def test_study_day_on_a_partial_date(sdtm: Path):
    rewrite(sdtm, "AE", set_value(1, "AESTDTC", "2024-03"))
    finding = only(validate_path(sdtm), "CM0211")
    assert finding.row == 2 and "complete" in finding.message


def test_start_after_end(sdtm: Path):
    rewrite(sdtm, "AE", set_value(0, "AEENDTC", "2024-03-01"))
    finding = only(validate_path(sdtm), "CM0212")
    assert (finding.variable, finding.row, finding.value) == ("AESTDTC", 1, "2024-03-06")
    assert "AEENDTC '2024-03-01'" in finding.message


@pytest.mark.parametrize("start, end, fires", [
    ("2024-03-10", "2024-03", False),            # same month: no conflict at common precision
    ("2024-03-10T10:00", "2024-03-10", False),   # same day
    ("2024-03-10T10:00", "2024-03-10T09:59", True),
    ("2024-04", "2024-03-31", True),
])
def test_start_and_end_are_compared_at_their_common_precision(sdtm, start, end, fires):
    def change(frame):
        frame.loc[1, "AESTDTC"], frame.loc[1, "AEENDTC"] = start, end
        frame.loc[1, "AESTDY"] = np.nan
    rewrite(sdtm, "AE", change)
    assert bool(findings_of(validate_path(sdtm), "CM0212")) is fires


def test_rfxstdtc_that_matches_no_exposure(sdtm: Path):
    rewrite(sdtm, "DM", set_value(0, "RFXSTDTC", "2024-03-04T10:00"))
    finding = only(validate_path(sdtm), "CM0213")
    assert (finding.variable, finding.row, finding.usubjid) == ("RFXSTDTC", 1, subject(1))


def test_reference_dates_for_a_subject_without_exposure(sdtm: Path):
    rewrite(sdtm, "DM", set_value(3, "RFXSTDTC", "2024-04-01"))
    finding = only(validate_path(sdtm), "CM0213")
    assert finding.row == 4 and "no EX records" in finding.message


def test_exposure_before_rfxstdtc_is_a_warning_naming_the_record(sdtm: Path):
    def add_premedication(frame):
        extra = frame.iloc[[0]].copy()
        extra["EXSEQ"], extra["EXTRT"], extra["EXCAT"] = 3.0, "DEXAMETHASONE", "PREMEDICATION"
        extra["EXDOSE"], extra["EXDOSU"] = 20.0, "mg"
        extra["EXSTDTC"], extra["EXENDTC"] = "2024-03-05T08:00", "2024-03-05T08:00"
        extra["EXSTDY"], extra["EXENDY"] = 1.0, 1.0
        return pd.concat([frame, extra], ignore_index=True)
    rewrite(sdtm, "EX", add_premedication)
    report = validate_path(sdtm)
    finding = only(report, "CM0214")
    assert (finding.severity, finding.row, finding.variable) == ("warning", 1, "RFXSTDTC")
    assert "DEXAMETHASONE" in finding.message and "EX row 7" in finding.message
    assert exit_code(report) == 0


def test_exposure_ending_after_rfxendtc(sdtm: Path):
    def add_record(frame):
        extra = frame.iloc[[1]].copy()
        extra["EXSEQ"] = 3.0
        extra["EXSTDTC"], extra["EXENDTC"] = "2024-03-12T10:00", "2024-03-13T10:00"
        extra["EXSTDY"], extra["EXENDY"] = 8.0, 9.0
        return pd.concat([frame, extra], ignore_index=True)
    rewrite(sdtm, "EX", add_record)
    finding = only(validate_path(sdtm), "CM0215")
    assert (finding.row, finding.variable, finding.severity) == (1, "RFXENDTC", "warning")


def test_exposed_subject_without_rfstdtc(sdtm: Path):
    rewrite(sdtm, "DM", set_value(1, "RFSTDTC", ""))
    finding = only(validate_path(sdtm), "CM0216")
    assert (finding.row, finding.usubjid) == (2, subject(2))


def test_sdtm_package_without_dm(sdtm: Path):
    (sdtm / "dm.xpt").unlink()
    finding = only(validate_path(sdtm.parent.parent.parent.parent.parent), "CM0217")
    assert finding.file == "m5/datasets/nct06111625/tabulations/sdtm"
