"""Findings, test codes and split datasets: each defect injected into a copy of the clean
package fires its rule on exactly the injected records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from test_validate_sample import STUDY, findings_of, only, published_stand_in, subject, write_dataset, write_define_for

from cdisc_map.validate import validate_path

FULL_CT = published_stand_in()  # the bundled CT standing in for the published package (--ct)


def lab_records() -> pd.DataFrame:
    """A small LB: glucose and albumin for subjects 1 and 2, all consistent."""
    rows = []
    for n in (1, 2):
        for seq, (code, name, result, unit, flag) in enumerate(
                [("GLUC", "Glucose", "5.2", "mmol/L", "Y"), ("GLUC", "Glucose", "6.1", "mmol/L", ""),
                 ("ALB", "Albumin", "40", "g/L", "Y")], start=1):
            rows.append({"STUDYID": STUDY, "DOMAIN": "LB", "USUBJID": subject(n), "LBSEQ": float(seq),
                         "LBTESTCD": code, "LBTEST": name, "LBCAT": "CHEMISTRY", "LBORRES": result,
                         "LBORRESU": unit, "LBSTRESC": result, "LBSTRESN": float(result),
                         "LBSTRESU": unit, "LBBLFL": flag, "LBDTC": f"2024-03-0{seq}"})
    return pd.DataFrame(rows)


def write_lab(sdtm: Path, frame: pd.DataFrame, name: str = "LB") -> None:
    write_dataset(sdtm, name, frame)
    write_define_for(sdtm, adam=False)


def rows_of(report, rule: str, dataset: str = "LB") -> list[tuple]:
    return sorted((f.row, f.variable) for f in findings_of(report, rule) if f.dataset == dataset)


def test_the_lab_records_are_clean(sdtm: Path):
    write_lab(sdtm, lab_records())
    assert [f.rule for f in validate_path(sdtm).findings if f.dataset == "LB"] == []


def test_a_numeric_result_without_the_unit_its_test_has_elsewhere(sdtm: Path):
    frame = lab_records()
    frame.loc[[1, 4], "LBORRESU"] = ""
    frame.loc[4, "LBSTRESU"] = ""
    write_lab(sdtm, frame)
    report = validate_path(sdtm)
    assert rows_of(report, "CM0225") == [(2, "LBORRESU"), (5, "LBORRESU"), (5, "LBSTRESU")]
    assert "other GLUC results are in 'mmol/L'" in findings_of(report, "CM0225")[0].message


def test_a_text_result_needs_no_unit(sdtm: Path):
    frame = lab_records()
    frame.loc[1, ["LBORRES", "LBSTRESC", "LBORRESU", "LBSTRESU"]] = ["NEGATIVE", "NEGATIVE", "", ""]
    frame.loc[1, "LBSTRESN"] = np.nan
    write_lab(sdtm, frame)
    assert findings_of(validate_path(sdtm), "CM0225") == []


def test_stresn_that_is_not_the_number_in_stresc(sdtm: Path):
    frame = lab_records()
    frame.loc[0, "LBSTRESN"] = 5.3                           # another number
    frame.loc[1, ["LBSTRESC", "LBSTRESN"]] = ["<5", 5.0]     # a number where the text is none
    frame.loc[2, "LBSTRESN"] = np.nan                        # no number where the text is one
    frame.loc[3, ["LBSTRESC", "LBSTRESN"]] = ["5.20", 5.2000000000000002]  # the same number
    write_lab(sdtm, frame)
    report = validate_path(sdtm)
    assert rows_of(report, "CM0226") == [(1, "LBSTRESN"), (2, "LBSTRESN"), (3, "LBSTRESN")]
    assert "'<5' is not a number" in findings_of(report, "CM0226")[1].message


def test_baseline_flags(sdtm: Path):
    frame = lab_records()
    frame.loc[1, "LBBLFL"] = "Y"   # a second GLUC baseline for subject 1
    frame.loc[5, "LBBLFL"] = "N"   # not Y or null
    write_lab(sdtm, frame)
    report = validate_path(sdtm)
    assert rows_of(report, "CM0227") == [(2, "LBBLFL"), (6, "LBBLFL")]


def test_a_baseline_per_category_is_not_a_second_baseline(sdtm: Path):
    frame = lab_records()
    frame.loc[1, ["LBBLFL", "LBCAT"]] = ["Y", "URINALYSIS"]
    write_lab(sdtm, frame)
    assert findings_of(validate_path(sdtm), "CM0227") == []


def test_test_codes_and_names(sdtm: Path):
    frame = lab_records()
    frame.loc[0, ["LBTESTCD", "LBTEST"]] = ["GLUCOSE_FASTING", "Glucose, fasting"]  # longer than 8
    frame.loc[3, ["LBTESTCD", "LBTEST"]] = ["1GLUC", "Glucose 1"]   # starts with a digit
    frame.loc[[2, 5], "LBTEST"] = "Albumin " + "x" * 40            # longer than 40
    frame.loc[4, "LBTEST"] = "Blood glucose"                       # a second name of GLUC
    write_lab(sdtm, frame)
    report = validate_path(sdtm)
    assert rows_of(report, "CM0222") == [(1, "LBTESTCD"), (3, "LBTEST"), (4, "LBTESTCD"), (6, "LBTEST")]
    assert rows_of(report, "CM0223") == [(5, "LBTESTCD")]  # GLUC has a second name


def test_a_test_name_that_is_not_the_ct_partner_of_its_code(sdtm: Path):
    ts = sdtm / "ts.xpt"
    frame = pd.read_sas(ts, format="xport", encoding="utf-8")
    frame.loc[0, "TSPARM"] = "Start Date of the Study"
    write_dataset(sdtm, "TS", frame)
    write_define_for(sdtm, adam=False)
    finding = only(validate_path(sdtm, ct=FULL_CT), "CM0224")
    assert (finding.dataset, finding.row, finding.value, finding.severity) == (
        "TS", 1, "Start Date of the Study", "warning")
    assert "names it 'Study Start Date'" in finding.message


def test_a_split_dataset_is_checked_as_its_domain(sdtm: Path):
    frame = lab_records()
    frame.loc[0, "LBSTRESN"] = 9.9
    write_lab(sdtm, frame, name="LBCH")
    report = validate_path(sdtm)
    assert rows_of(report, "CM0226", dataset="LBCH") == [(1, "LBSTRESN")]
    assert findings_of(report, "CM0207") == []  # LBSEQ is found as the --SEQ of LBCH


def test_seq_is_unique_across_the_split_datasets_of_a_domain(sdtm: Path):
    frame = lab_records()
    write_dataset(sdtm, "LBCH", frame.iloc[:3].reset_index(drop=True))
    hematology = frame.iloc[3:].reset_index(drop=True)
    hematology.loc[0, "USUBJID"] = subject(1)  # subject 1's LBSEQ 1 is already in LBCH
    write_dataset(sdtm, "LBHE", hematology)
    write_define_for(sdtm, adam=False)
    finding = only(validate_path(sdtm), "CM0207")
    assert (finding.dataset, finding.row, finding.usubjid) == ("LBHE", 1, subject(1))
    assert "row 1 of LBCH" in finding.message


def test_domain_must_be_the_datasets_domain_code(sdtm: Path):
    frame = lab_records()
    frame.loc[2, "DOMAIN"] = "LBCH"   # a split dataset's records carry the domain's code
    write_lab(sdtm, frame, name="LBCH")
    rewrite_ae = pd.read_sas(sdtm / "ae.xpt", format="xport", encoding="utf-8")
    rewrite_ae.loc[1, "DOMAIN"] = "XE"
    write_dataset(sdtm, "AE", rewrite_ae)
    write_define_for(sdtm, adam=False)
    report = validate_path(sdtm)
    assert sorted((f.dataset, f.row, f.value) for f in findings_of(report, "CM0243")) == [
        ("AE", 2, "XE"), ("LBCH", 3, "LBCH")]
