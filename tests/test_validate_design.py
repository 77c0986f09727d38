"""The SDTM model, events, arms, epochs and the trial design: each defect injected into a
copy of the clean package fires its rule on exactly the injected records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from test_validate_sample import (
    ARM,
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


def where(report, rule: str) -> list[tuple]:
    return sorted((f.dataset, f.row, f.variable) for f in findings_of(report, rule))


# --- the SDTM model ------------------------------------------------------------------


def test_a_variable_neither_in_the_ig_nor_in_the_class(sdtm: Path):
    labels = {**labels_for("AE")[1], "AEXFLAG": "Sponsor Flag", "AELAT": "Laterality",
              "VISITNUM": "Visit Number"}
    rewrite(sdtm, "AE", lambda f: f.assign(AEXFLAG="Y", AELAT="LEFT", VISITNUM=1.0), column_labels=labels)
    finding = only(validate_path(sdtm), "CM0218")  # AELAT and VISITNUM are Events class variables
    assert (finding.dataset, finding.variable, finding.severity) == ("AE", "AEXFLAG", "warning")


def test_variables_out_of_ig_order_label_and_type(sdtm: Path):
    labels = {**labels_for("EX")[1], "EXTRT": "Treatment"}
    rewrite(sdtm, "EX", lambda f: f[["STUDYID", "DOMAIN", "USUBJID", "EXTRT", "EXSEQ", *f.columns[5:]]]
            .assign(EXDOSE=f["EXDOSE"].map(str)), column_labels=labels)
    report = validate_path(sdtm)
    assert where(report, "CM0219") == [("EX", None, "EXSEQ")]
    assert where(report, "CM0220") == [("EX", None, "EXTRT")]
    assert where(report, "CM0221") == [("EX", None, "EXDOSE")]


def test_a_custom_domain_needs_its_class_identifiers(sdtm: Path):
    frame = pd.DataFrame({"STUDYID": [STUDY], "DOMAIN": ["XB"], "USUBJID": [subject(1)],
                          "XBTESTCD": ["MRD"], "XBORRES": ["POSITIVE"]})
    write_dataset(sdtm, "XB", frame)
    write_define_for(sdtm, adam=False)
    finding = only(validate_path(sdtm), "CM0201")
    assert (finding.dataset, finding.variable) == ("XB", "XBSEQ")
    assert "findings domain" in finding.message


def test_ageu_without_age(sdtm: Path):
    rewrite(sdtm, "DM", set_value(1, "AGE", np.nan))
    finding = only(validate_path(sdtm), "CM0242")
    assert (finding.row, finding.usubjid, finding.value) == (2, subject(2), "YEARS")


# --- events ----------------------------------------------------------------------------


def test_an_ae_with_no_end_and_no_end_reference(sdtm: Path):
    rewrite(sdtm, "AE", set_value(2, "AEENRTPT", ""))  # row 3 is the ongoing event
    finding = only(validate_path(sdtm), "CM0228")
    assert (finding.row, finding.variable) == (3, "AEENDTC")


def test_seriousness_criteria_against_aeser(sdtm: Path):
    labels = {**labels_for("AE")[1], "AESHOSP": "Requires or Prolongs Hospitalization",
              "AESDTH": "Results in Death"}

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.assign(AESHOSP=["Y", "N", "N"], AESDTH=["N", "N", "N"])
        frame.loc[1, "AESER"] = "Y"  # serious with no criterion
        return frame
    rewrite(sdtm, "AE", change, column_labels=labels)
    findings = findings_of(validate_path(sdtm), "CM0229")
    assert [(f.row, f.message) for f in findings] == [
        (1, "AESHOSP is Y but AESER is 'N'"), (2, "AESER is Y but none of AESDTH, AESHOSP is Y")]


# --- arms --------------------------------------------------------------------------------


def test_arm_codes_against_ta(sdtm: Path):
    def change(frame: pd.DataFrame) -> None:
        frame.loc[0, ["ARMCD", "ARM", "ACTARMCD", "ACTARM"]] = ["PLACEBO", "Placebo"] * 2  # not TA's
        frame.loc[2, "ACTARMCD"] = "Scrnfail"              # SDTMIG's code is SCRNFAIL
    rewrite(sdtm, "DM", change)
    report = validate_path(sdtm)
    assert where(report, "CM0231") == [("DM", 1, "ACTARMCD"), ("DM", 1, "ARMCD"), ("DM", 3, "ACTARMCD")]
    assert "the SDTMIG code is SCRNFAIL" in findings_of(report, "CM0231")[2].message
    assert where(report, "CM0232") == [("DM", 3, "ACTARMCD")]  # treated, yet a screen failure


def test_an_arm_code_with_another_name_than_in_ta(sdtm: Path):
    rewrite(sdtm, "DM", set_value(1, "ARM", "Blinatumomab"))
    report = validate_path(sdtm)
    # the name differs from TA's, and BLINA now has two names in DM
    assert where(report, "CM0230") == [("DM", 2, "ARM"), ("DM", 2, "ARMCD")]


def test_an_actual_arm_without_exposure(sdtm: Path):
    rewrite(sdtm, "EX", lambda f: f[f["USUBJID"] != subject(3)].reset_index(drop=True))
    findings = findings_of(validate_path(sdtm), "CM0232")
    assert [(f.row, f.usubjid) for f in findings] == [(3, subject(3))]


# --- epochs ------------------------------------------------------------------------------


def subject_elements() -> pd.DataFrame:
    rows = []
    for n, (screening, first_dose) in {1: ("2024-02-20", "2024-03-05"), 2: ("2024-03-10", "2024-04-02"),
                                       3: ("2024-04-20", "2024-05-14")}.items():
        rows += [{"STUDYID": STUDY, "DOMAIN": "SE", "USUBJID": subject(n), "SESEQ": 1.0, "ETCD": "SCRN",
                  "ELEMENT": "Screening", "SESTDTC": screening, "SEENDTC": first_dose,
                  "EPOCH": "SCREENING"},
                 {"STUDYID": STUDY, "DOMAIN": "SE", "USUBJID": subject(n), "SESEQ": 2.0, "ETCD": "BLINA",
                  "ELEMENT": "Blinatumomab", "SESTDTC": first_dose, "SEENDTC": "",
                  "EPOCH": "TREATMENT"}]
    return pd.DataFrame(rows)


SE_LABELS = {"STUDYID": "Study Identifier", "DOMAIN": "Domain Abbreviation",
             "USUBJID": "Unique Subject Identifier", "SESEQ": "Sequence Number", "ETCD": "Element Code",
             "ELEMENT": "Description of Element", "SESTDTC": "Start Date/Time of Element",
             "SEENDTC": "End Date/Time of Element", "EPOCH": "Epoch"}


def write_se(sdtm: Path, frame: pd.DataFrame) -> None:
    write_dataset(sdtm, "SE", frame, label="Subject Elements", column_labels=SE_LABELS)
    write_define_for(sdtm, adam=False)


def test_a_dataset_without_epoch_whose_records_lie_in_se_elements(sdtm: Path):
    write_se(sdtm, subject_elements())
    findings = findings_of(validate_path(sdtm), "CM0234")
    # AE's and EX's records start after the first dose; DM is special purpose, not dated by SE
    assert [(f.dataset, f.row) for f in findings] == [("AE", None), ("EX", None)]
    assert "3 of its 3 records" in findings[0].message and "'TREATMENT'" in findings[0].message


def test_epoch_null_or_wrong_where_the_record_lies_in_one_element(sdtm: Path):
    write_se(sdtm, subject_elements())
    labels = {**labels_for("AE")[1]}

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.assign(EPOCH=["TREATMENT", "SCREENING", ""])
        frame.loc[2, "AESTDTC"] = "2024-06"   # a partial date wholly inside the treatment element
        return frame
    rewrite(sdtm, "AE", change, column_labels=labels)
    report = validate_path(sdtm)
    assert where(report, "CM0234") == [("AE", 3, "EPOCH"), ("EX", None, "EPOCH")]
    assert where(report, "CM0235") == [("AE", 2, "EPOCH")]
    assert "'2024-06' lies in the subject's TREATMENT element" in findings_of(report, "CM0234")[0].message


def test_a_partial_date_across_two_elements_has_no_epoch_to_claim(sdtm: Path):
    write_se(sdtm, subject_elements())
    rewrite(sdtm, "AE", lambda f: f.assign(EPOCH="", AESTDTC=["2024-03", "2024-03-10", "2024-06-01"]),
            column_labels=labels_for("AE")[1])
    # 2024-03 spans subject 1's screening (to 03-05) and treatment elements
    assert where(validate_path(sdtm), "CM0234") == [("AE", 2, "EPOCH"), ("AE", 3, "EPOCH"),
                                                     ("EX", None, "EPOCH")]


def test_without_se_the_epochs_are_dated_by_the_other_records(sdtm: Path):
    rewrite(sdtm, "AE", lambda f: f.assign(EPOCH=["TREATMENT", "TREATMENT", ""]),
            column_labels=labels_for("AE")[1])
    report = validate_path(sdtm)
    # subject 1's TREATMENT records date from 2024-03-06 to 2024-03-10: EX's record of
    # 2024-03-08 lies inside, so EX lacks an EPOCH it could have had
    [finding] = findings_of(report, "CM0234")
    assert (finding.dataset, finding.row) == ("EX", None)
    assert "1 of its 6 records" in finding.message and "no SE" in finding.message


def test_epoch_that_is_not_an_epoch_of_ta(sdtm: Path):
    rewrite(sdtm, "AE", lambda f: f.assign(EPOCH=["TREATMENT", "TREATMENT", "MAINTENANCE"]),
            column_labels=labels_for("AE")[1])
    assert where(validate_path(sdtm), "CM0233") == [("AE", 3, "EPOCH")]


# --- the trial design ---------------------------------------------------------------------


def test_missing_trial_design_datasets(sdtm: Path):
    for name in ("ta", "ti"):
        (sdtm / f"{name}.xpt").unlink()
    write_define_for(sdtm, adam=False)
    findings = findings_of(validate_path(sdtm), "CM0236")
    assert [(f.dataset, f.file) for f in findings] == [("TA", "."), ("TI", ".")]


def test_ts_without_pclas_or_sstdtc(sdtm: Path):
    rewrite(sdtm, "TS", lambda f: f.iloc[0:0])
    report = validate_path(sdtm)
    assert [f.rule for f in report.findings if f.rule in ("CM0237", "CM0238")] == ["CM0237", "CM0238"]
    assert "PCLAS" in only(report, "CM0237").message


def test_element_codes_visits_and_criteria_against_the_design(sdtm: Path):
    rewrite(sdtm, "TA", set_value(1, "ETCD", "BLIN"))
    elements = subject_elements()
    elements.loc[0, "ETCD"] = "SCREEN"
    elements.loc[1, "ETCD"] = "UNPLAN"  # an unplanned element needs no TE record
    write_se(sdtm, elements)
    ie = pd.DataFrame({"STUDYID": [STUDY] * 2, "DOMAIN": ["IE"] * 2, "USUBJID": [subject(4)] * 2,
                       "IESEQ": [1.0, 2.0], "IETESTCD": ["INCL01", "EXCL09"],
                       "IETEST": ["Relapsed or refractory B-ALL", "Active CNS disease"],
                       "IECAT": ["INCLUSION", "EXCLUSION"], "IEORRES": ["N", "Y"]})
    write_dataset(sdtm, "IE", ie)
    sv = pd.DataFrame({"STUDYID": [STUDY] * 2, "DOMAIN": ["SV"] * 2, "USUBJID": [subject(1)] * 2,
                       "VISITNUM": [1.0000000000000002, 2.0], "VISIT": ["SCREENING VISIT", "DAY 1"],
                       "SVSTDTC": ["2024-02-20", "2024-03-05"]})
    write_dataset(sdtm, "SV", sv)
    write_define_for(sdtm, adam=False)
    report = validate_path(sdtm)
    assert where(report, "CM0239") == [("SE", 1, "ETCD"), ("TA", 2, "ETCD")]
    assert where(report, "CM0241") == [("IE", 2, "IETESTCD")]
    # VISITNUM 1.0000000000000002 is TV's visit 1, named SCREENING there; visit 2 is unplanned
    [visit] = findings_of(report, "CM0240")
    assert (visit.dataset, visit.row, visit.value) == ("SV", 1, "SCREENING VISIT")
    assert "TV names the visit 'SCREENING'" in visit.message


def test_a_package_arm_is_named_as_in_ta(sdtm: Path):
    rewrite(sdtm, "TA", lambda f: f.assign(ARM=ARM + " (2 cycles)"))
    report = validate_path(sdtm)
    assert where(report, "CM0230") == [("DM", row, name) for row in (1, 2, 3) for name in ("ACTARM", "ARM")]
