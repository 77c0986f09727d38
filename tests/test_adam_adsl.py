"""ADSL from SDTM by the rules of adsl.yaml: each rule on a small hand-made SDTM set, the
bundled spec checked against the raw export it ultimately comes from, the ADaMIG metadata
loader, and the written XPT (SAS dates with DATE9.)."""

from __future__ import annotations

import copy
import datetime as dt
import warnings
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from cdisc_map.adam import AdamWarning, adsl_dataset, build_adsl, load_adam_specs
from cdisc_map.core.problems import ProblemsError
from cdisc_map.io.package import write_package
from cdisc_map.mapping.sources import SourceCache
from cdisc_map.standards.adam_metadata import available_adamig_versions, load_adamig
from cdisc_map.standards.metadata import UnknownStandardError

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "cdisc_map" / "studies" / "nct06111625"
RAW = ROOT / "cdisc_map" / "studies" / "nct06111625" / "raw"
EPOCH = dt.date(1960, 1, 1)
ARM = "Blinatumomab bridge to allo-HSCT"


def sas(iso: str) -> float:
    return float((dt.date.fromisoformat(iso) - EPOCH).days)


def sdtm() -> dict[str, pd.DataFrame]:
    """Four subjects: S1 completed; S2 died (an AE end date after death); S3 screen failure;
    S4 enrolled but never dosed, aged exactly 40, ongoing, with a partial AE date."""
    ids = ["S1", "S2", "S3", "S4"]
    dm = pd.DataFrame({
        "STUDYID": "ST", "DOMAIN": "DM", "USUBJID": ids, "SUBJID": ["001", "002", "003", "004"], "SITEID": "01",
        "AGE": [35.0, 52.0, 61.0, 40.0], "AGEU": "YEARS", "SEX": ["F", "M", "M", "F"], "RACE": "ASIAN",
        "ETHNIC": "NOT HISPANIC OR LATINO",
        "ARMCD": ["BLINA", "BLINA", "", "BLINA"], "ARM": [ARM, ARM, "", ARM],
        "ACTARMCD": ["BLINA", "BLINA", "", ""], "ACTARM": [ARM, ARM, "", ""],
        "RFSTDTC": ["2024-01-10T08:00", "2024-02-01T09:30", "", ""],
        "RFENDTC": ["2024-01-18T08:00", "2024-02-07T10:00", "", ""],
        "RFXSTDTC": ["2024-01-10T07:00", "2024-02-01T08:30", "", ""],  # premedication first
        "RFXENDTC": ["2024-01-18T08:00", "2024-02-07T10:00", "", ""],
        "RFICDTC": ["2024-01-02", "2024-01-20", "2024-01-25", "2024-02-01"],
        "RFPENDTC": ["2025-12-01", "2024-06-10", "2024-01-28", "2025-03-01"],
        "DTHDTC": ["", "2024-06-10", "", ""], "DTHFL": ["", "Y", "", ""],
    })
    ex = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S2", "S4"], "EXSEQ": [1.0, 2.0, 1.0, 1.0],
        "EXTRT": ["BLINATUMOMAB", "DEXAMETHASONE", "BLINATUMOMAB", "BLINATUMOMAB"], "EXDOSE": [28.0, 20.0, 28.0, 0.0],
        "EXSTDTC": ["2024-01-10T08:00", "2024-01-09T20:00", "2024-02-01T09:30", "2024-02-10T08:00"],
        "EXENDTC": ["2024-01-18T08:00", "2024-01-09T20:00", "2024-02-07T10:00", "2024-02-10T08:00"],
    })
    pr = pd.DataFrame({"USUBJID": ["S1", "S2"], "PRSEQ": [1.0, 1.0], "PRCAT": "TRANSPLANT",
                       "PRSTDTC": ["2024-02-01T16:00", "2024-02-25T15:30"]})
    supppr = pd.DataFrame({"STUDYID": "ST", "RDOMAIN": "PR", "USUBJID": ["S1", "S1", "S2"], "IDVAR": "PRSEQ",
                           "IDVARVAL": "1", "QNAM": ["DONTYP", "GRAFTSRC", "DONTYP"], "QVAL": ["MSD", "PBSC", "HID"]})
    ds = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S2", "S2", "S3", "S3", "S4"], "DSSEQ": [1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0],
        "DSCAT": ["PROTOCOL MILESTONE", "DISPOSITION EVENT"] * 3 + ["PROTOCOL MILESTONE"],
        "DSDECOD": ["INFORMED CONSENT OBTAINED", "COMPLETED", "INFORMED CONSENT OBTAINED", "DEATH",
                    "INFORMED CONSENT OBTAINED", "SCREEN FAILURE", "INFORMED CONSENT OBTAINED"],
        "DSTERM": ["INFORMED CONSENT OBTAINED", "COMPLETED", "INFORMED CONSENT OBTAINED", "DEATH DUE TO RELAPSE",
                   "INFORMED CONSENT OBTAINED", "SEVERE ORGAN DYSFUNCTION", "INFORMED CONSENT OBTAINED"],
        "DSSTDTC": ["2024-01-02", "2025-12-01", "2024-01-20", "2024-06-10", "2024-01-25", "2024-01-28",
                    "2024-02-01"],
    })
    ae = pd.DataFrame({"USUBJID": ["S1", "S2", "S4"], "AESEQ": [1.0, 1.0, 1.0],
                       "AESTDTC": ["2024-03-01", "2024-05-01", "2025-12"],
                       "AEENDTC": ["2024-03-05", "2024-06-20", ""]})
    rs = pd.DataFrame({"USUBJID": ["S1", "S2", "S4"], "RSSEQ": 1.0,
                       "RSDTC": ["2025-11-15", "2024-04-01", "2024-04-02"]})
    return {"DM": dm, "EX": ex, "PR": pr, "SUPPPR": supppr, "DS": ds, "AE": ae, "RS": rs}


@pytest.fixture(scope="module")
def spec() -> dict:
    return load_adam_specs(STUDY).adsl


@pytest.fixture(scope="module")
def built(spec):
    dataset, problems = adsl_dataset(spec, sdtm())
    return dataset, problems


def row(frame: pd.DataFrame, usubjid: str) -> dict:
    return frame[frame["USUBJID"] == usubjid].iloc[0].to_dict()


def test_one_record_per_dm_subject_including_screen_failures(built):
    dataset, problems = built
    assert not [p for p in problems if p.severity == "error"], [str(p) for p in problems]
    assert list(dataset.frame["USUBJID"]) == ["S1", "S2", "S3", "S4"]


def test_population_flags_follow_the_spec_rules(built):
    frame = built[0].frame
    assert list(frame["ITTFL"]) == ["Y", "Y", "N", "Y"]   # enrolled: DM.ARMCD not null
    assert list(frame["SAFFL"]) == ["Y", "Y", "N", "N"]   # dosed: blinatumomab with EXDOSE > 0


def test_treatment_dates_duration_and_datetimes(built):
    s1 = row(built[0].frame, "S1")
    assert (s1["TRTSDT"], s1["TRTEDT"], s1["TRTDURD"]) == (sas("2024-01-10"), sas("2024-01-18"), 9.0)
    assert s1["TRTSDTM"] == sas("2024-01-10") * 86400 + 8 * 3600
    s3 = row(built[0].frame, "S3")
    assert pd.isna(s3["TRTSDT"]) and pd.isna(s3["TRTDURD"])
    assert (s1["TRT01P"], s1["TRT01A"], row(built[0].frame, "S4")["TRT01A"]) == (ARM, ARM, "")


def test_transplant_date_from_pr_and_donor_type_from_supppr(built):
    frame = built[0].frame
    assert row(frame, "S1")["HSCTDT"] == sas("2024-02-01") and row(frame, "S2")["HSCTDT"] == sas("2024-02-25")
    assert pd.isna(row(frame, "S4")["HSCTDT"])
    assert list(frame["DONTYP"]) == ["MSD", "HID", "", ""]


def test_death_variables(built):
    s2 = row(built[0].frame, "S2")
    assert (s2["DTHFL"], s2["DTHDT"], s2["DTHCAUS"]) == ("Y", sas("2024-06-10"), "DEATH DUE TO RELAPSE")
    assert pd.isna(row(built[0].frame, "S1")["DTHDT"]) and row(built[0].frame, "S1")["DTHCAUS"] == ""


def test_last_known_alive_uses_complete_dates_that_prove_life_and_never_passes_death(built):
    dataset, problems = built
    frame = dataset.frame
    assert row(frame, "S1")["LSTALVDT"] == sas("2025-12-01")     # RFPENDTC / DS COMPLETED
    assert row(frame, "S4")["LSTALVDT"] == sas("2025-03-01")     # the partial AE date 2025-12 does not count
    assert row(frame, "S3")["LSTALVDT"] == sas("2024-01-28")
    # S2's AE ended 2024-06-20, after the death on 2024-06-10: capped at death, and reported
    assert row(frame, "S2")["LSTALVDT"] == sas("2024-06-10")
    capped = [p for p in problems if p.column == "LSTALVDT"]
    assert [(p.value, p.severity) for p in capped] == [("S2", "warning")]


def test_end_of_study_status_and_reason(built):
    frame = built[0].frame
    assert list(frame["EOSSTT"]) == ["COMPLETED", "DISCONTINUED", "DISCONTINUED", "ONGOING"]
    assert list(frame["DCSREAS"]) == ["", "DEATH", "SCREEN FAILURE", ""]


def test_age_groups_are_data_in_the_spec(spec, built):
    assert list(built[0].frame["AGEGR1"]) == ["<40", ">=40", ">=40", ">=40"]
    assert list(built[0].frame["AGEGR1N"]) == [1.0, 2.0, 2.0, 2.0]
    changed = copy.deepcopy(spec)
    changed["variables"]["AGEGR1"] = {"when": [{"if": {"var": "AGE", "lt": 60}, "then": {"constant": "<60"}}],
                                      "else": {"constant": ">=60"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AdamWarning)
        frame = build_adsl(changed, sdtm())
    assert list(frame["AGEGR1"]) == ["<60", "<60", ">=60", "<60"]


def test_types_labels_formats_and_order_come_from_the_adamig_metadata(built):
    dataset = built[0]
    variables = {v.name: v for v in dataset.variables}
    assert [v.name for v in dataset.variables] == list(dataset.frame.columns)
    assert list(dataset.frame.columns[:4]) == ["STUDYID", "USUBJID", "SUBJID", "SITEID"]
    assert (variables["TRTSDT"].format, variables["TRTSDTM"].format, variables["LSTALVDT"].format) == (
        "DATE9.", "DATETIME20.", "DATE9.")
    assert (variables["HSCTDT"].label, variables["HSCTDT"].type, variables["HSCTDT"].format) == (
        "Date of Allogeneic Stem-Cell Transplant", "Num", "DATE9.")
    assert variables["LSTALVDT"].label == "Date Last Known Alive" and variables["SAFFL"].codelist == "NY"
    assert variables["USUBJID"].origin == "Predecessor" and variables["SAFFL"].origin == "Derived"
    assert variables["SAFFL"].method.startswith("Y if the subject received any blinatumomab")  # the spec's words
    assert variables["TRTDURD"].method == "TRTEDT - TRTSDT + 1"                                # generated from the rule
    assert variables["LSTALVDT"].method.startswith("Latest complete date of: DM.RFICDTC; DM.RFPENDTC where DTHFL <>")
    for name, var in variables.items():
        expected = "float64" if var.type == "Num" else "object"
        assert str(dataset.frame[name].dtype) == expected, name
        if var.type == "Char":
            assert var.length == max(1, int(dataset.frame[name].str.len().max()))
    assert (dataset.name, dataset.keys, dataset.cls) == ("ADSL", ["STUDYID", "USUBJID"],
                                                         "SUBJECT LEVEL ANALYSIS DATASET")


def test_written_xpt_carries_sas_dates_with_date9(built, tmp_path):
    dataset = built[0]
    write_package([dataset], tmp_path / "adam")
    frame, meta = pyreadstat.read_xport(str(tmp_path / "adam" / "adsl.xpt"))
    assert meta.original_variable_types["HSCTDT"].rstrip(".") == "DATE9"  # "DATE9." from pyreadstat 1.3.8
    assert meta.original_variable_types["TRTSDTM"].rstrip(".") == "DATETIME20"
    assert frame.loc[0, "HSCTDT"] == dt.date(2024, 2, 1)
    assert meta.column_names_to_labels["LSTALVDT"] == "Date Last Known Alive"


# --- errors ------------------------------------------------------------------------


def errors_of(spec: dict, data: dict) -> list[str]:
    with pytest.raises(ProblemsError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore", AdamWarning)
        build_adsl(spec, data)
    return [str(p) for p in caught.value.problems if p.severity == "error"]


def test_a_rule_naming_a_missing_variable_is_an_error_naming_it(spec):
    broken = copy.deepcopy(spec)
    broken["variables"]["HSCTDT"]["sources"][0]["var"] = "PRSTDT"
    assert any("HSCTDT" in e and "no variable PRSTDT" in e for e in errors_of(broken, sdtm()))


def test_a_missing_source_dataset_is_an_error(spec):
    data = sdtm()
    del data["PR"]
    assert any("HSCTDT" in e and "dataset PR is not among" in e for e in errors_of(spec, data))


def test_duplicate_dm_subject_is_an_error(spec):
    data = sdtm()
    data["DM"] = pd.concat([data["DM"], data["DM"].iloc[[0]]], ignore_index=True)
    assert any("more than one record" in e for e in errors_of(spec, data))


def test_a_value_without_a_recode_entry_is_an_error(spec):
    data = sdtm()
    data["DS"].loc[data["DS"]["DSDECOD"] == "COMPLETED", "DSDECOD"] = "PROTOCOL DEVIATION"
    assert any("EOSSTT" in e and "'PROTOCOL DEVIATION' has no entry" in e for e in errors_of(spec, data))


@pytest.mark.parametrize("rule, expected", [
    ({"copyy": "AGE"}, "did you mean 'copy'"),
    ({"copy": "AGE", "constant": 1}, "exactly one of"),
    ({"copy": "AGE", "lable": "x"}, "did you mean 'label'"),
    ({"derive": "exists", "where": {"var": "X", "eq": 1}}, "exists needs `dataset`"),
    ({"derive": "exits", "dataset": "EX"}, "'exits' is not one of"),
    ({"derive": "study_day", "of": "RFSTDTC"}, "not one of"),
])
def test_spec_shape_errors(spec, rule, expected):
    broken = copy.deepcopy(spec)
    broken["variables"]["AGE"] = rule
    assert any(expected in e for e in errors_of(broken, sdtm()))


def test_a_producer_variable_needs_a_label_and_type(spec):
    broken = copy.deepcopy(spec)
    broken["variables"]["GRAFTSRC"] = {"derive": "first_value", "var": "GRAFTSRC", "dataset": "PR"}
    assert any("GRAFTSRC is not an ADaMIG 1.3 ADSL variable" in e for e in errors_of(broken, sdtm()))


# --- the ADaMIG metadata -----------------------------------------------------------


def test_adamig_metadata_loader():
    assert "1.3" in available_adamig_versions()
    standard = load_adamig("1.3")
    assert standard.datasets() == ["ADSL", "ADTTE"]
    assert standard.dataset("adtte").keys == ("STUDYID", "USUBJID", "PARAMCD")
    adsl = standard.variables("ADSL")
    assert [v.order for v in adsl] == sorted(v.order for v in adsl)
    assert standard.variable("ADTTE", "cnsr").label == "Censor"
    assert {v.name for v in adsl if v.core == "Req"} >= {"STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "SEX",
                                                          "RACE", "ARM", "TRT01P"}
    for name in standard.datasets():
        for var in standard.variables(name):
            assert len(var.name) <= 8 and len(var.label) <= 40 and var.type in ("Char", "Num")
            assert var.core in ("Req", "Cond", "Perm")
            assert (var.format != "") == (var.type == "Num" and var.name.endswith(("DT", "DTM"))), var.name
    with pytest.raises(UnknownStandardError):
        load_adamig("9.9")
    with pytest.raises(UnknownStandardError):
        standard.variables("ADAE")


# --- the bundled study -------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled_adsl(spec, bundled_sdtm) -> pd.DataFrame:
    dataset, problems = adsl_dataset(spec, bundled_sdtm)
    assert not [p for p in problems if p.severity == "error"], [str(p) for p in problems]
    return dataset.frame


def raw(name: str) -> pd.DataFrame:
    return pd.read_csv(RAW / name, dtype=str, keep_default_na=False)


def raw_date(text: str) -> float:
    return sas(dt.datetime.strptime(text, "%d-%b-%Y").date().isoformat()) if text else float("nan")


def test_bundled_adsl_agrees_with_the_raw_export(bundled_adsl):
    frame = bundled_adsl.set_index("SUBJID")
    assert len(frame) == len(raw("dm.csv"))
    for record in raw("transplant.csv").to_dict("records"):
        assert frame.loc[record["Subject"], "HSCTDT"] == raw_date(record["Infusion Date"])
        assert frame.loc[record["Subject"], "DONTYP"] == record["Donor Type"]
    status = {"Completed": "COMPLETED", "Death": "DISCONTINUED", "Lost to follow-up": "DISCONTINUED",
              "Ongoing": "ONGOING"}
    for record in raw("survival.csv").to_dict("records"):
        subject = frame.loc[record["Subject"]]
        if record["Death Date"]:
            assert (subject["DTHDT"], subject["DTHFL"]) == (raw_date(record["Death Date"]), "Y")
            assert subject["LSTALVDT"] <= subject["DTHDT"]
        else:
            assert subject["LSTALVDT"] >= raw_date(record["Last Contact Date"])
        assert subject["EOSSTT"] == status[record["End of Study Status"]]
    screen_failures = set(raw("ie.csv").query("Eligible == 'No'")["Subject"])
    assert set(frame.index[frame["ITTFL"] == "N"]) == screen_failures
    assert set(frame.index[frame["SAFFL"] == "Y"]) == set(raw("transplant.csv")["Subject"])


def test_a_cache_shared_with_other_rules_changes_nothing(spec, built):
    dataset, problems = built
    frames = sdtm()
    cache = SourceCache()
    adsl_dataset(spec, frames, cache=cache)  # fills the cache: masks, subjects as text, parsed dates
    again, found = adsl_dataset(spec, frames, cache=cache)
    pd.testing.assert_frame_equal(again.frame, dataset.frame)
    assert [str(p) for p in found] == [str(p) for p in problems]
