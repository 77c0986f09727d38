"""XPT structure rules, on files written with pyreadstat directly (cdisc-map's own
writer refuses to write most of these defects)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
from test_validate_sample import findings_of, labels_for

from cdisc_map.io.xpt import read_xpt
from cdisc_map.validate import validate_path


def write_raw(path: Path, frame: pd.DataFrame, table: str, version: int = 5,
              label: str | None = None, labels: dict[str, str] | None = None) -> None:
    """Write with pyreadstat, bypassing every check of cdisc_map.xpt.write_xpt."""
    standard_label, standard_labels = labels_for(table[:6] if table != "EXPO" else "EX")
    labels = {**standard_labels, **(labels or {})}
    pyreadstat.write_xport(frame, str(path), file_format_version=version, table_name=table,
                           file_label=label or standard_label,
                           column_labels=[labels.get(c, c) for c in frame.columns])


def test_unreadable_file_is_reported_and_the_rest_still_checked(sdtm: Path):
    (sdtm / "ae.xpt").write_bytes(b"this is not a transport file" * 10)
    report = validate_path(sdtm)
    findings = findings_of(report, "CM0101")
    assert [(f.file, f.dataset) for f in findings] == [("ae.xpt", "AE")]
    assert findings_of(report, "CM0301") == []  # SUPPAE's parent is unreadable, not absent
    assert {d.name: d.records for d in report.datasets}["AE"] is None
    assert {d.name: d.records for d in report.datasets}["DM"] == 4


def test_version_8_file_with_long_name_label_and_value(sdtm: Path):
    frame, _ = read_xpt(sdtm / "ae.xpt")
    frame["AETERMLONG"] = ["x" * 250, "short", "short"]
    write_raw(sdtm / "ae.xpt", frame, "AE", version=8,
              labels={"AETERMLONG": "Reported Term for the Adverse Event, in full"})
    report = validate_path(sdtm)
    assert [f.value for f in findings_of(report, "CM0102")] == ["version 8"]
    assert [f.variable for f in findings_of(report, "CM0104")] == ["AETERMLONG"]
    assert [(f.variable, f.row) for f in findings_of(report, "CM0106")] == [("AETERMLONG", 1)]
    long_labels = findings_of(report, "CM0105")
    assert [f.variable for f in long_labels] == ["AETERMLONG"]
    assert "44 characters" in long_labels[0].message


def test_file_named_differently_from_its_dataset(sdtm: Path):
    frame, _ = read_xpt(sdtm / "ex.xpt")
    write_raw(sdtm / "ex.xpt", frame, "EXPO")
    findings = findings_of(validate_path(sdtm), "CM0103")
    assert [(f.file, f.value) for f in findings] == [("ex.xpt", "ex.xpt")]
    assert "expo.xpt" in findings[0].message


def test_lower_case_variable_name(sdtm: Path):
    frame, _ = read_xpt(sdtm / "ex.xpt")
    write_raw(sdtm / "ex.xpt", frame.rename(columns={"EXCAT": "excat"}), "EX",
              labels={"excat": "Category of Treatment"})
    findings = findings_of(validate_path(sdtm), "CM0104")
    assert [(f.variable, f.value) for f in findings] == [("excat", "excat")]


def test_non_ascii_value_and_label(sdtm: Path):
    frame, _ = read_xpt(sdtm / "ex.xpt")
    frame.loc[2, "EXDOSU"] = "μg/day"
    write_raw(sdtm / "ex.xpt", frame, "EX", labels={"EXCAT": "Catégorie"})
    findings = findings_of(validate_path(sdtm), "CM0107")
    assert sorted((f.variable, f.row, f.value) for f in findings) == [
        ("EXCAT", None, "Catégorie"), ("EXDOSU", 3, "μg/day")]


def test_value_of_exactly_200_bytes_is_fine(sdtm: Path):
    frame, _ = read_xpt(sdtm / "ae.xpt")
    frame.loc[0, "AETERM"] = "x" * 200
    write_raw(sdtm / "ae.xpt", frame, "AE")
    assert findings_of(validate_path(sdtm), "CM0106") == []


def test_length_longer_than_the_longest_value(sdtm: Path):
    frame, _ = read_xpt(sdtm / "ae.xpt")
    frame["AESER"] = ["N" + " " * 19, "N", "N"]  # the writer sizes by the padded text
    write_raw(sdtm / "ae.xpt", frame, "AE")
    findings = findings_of(validate_path(sdtm), "CM0108")
    assert [(f.variable, f.value, f.severity) for f in findings] == [("AESER", "20", "warning")]


def test_lengths_set_to_the_longest_value_pass(sdtm: Path):
    assert findings_of(validate_path(sdtm), "CM0108") == []
