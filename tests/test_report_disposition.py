"""Disposition and exposure from SDTM: every number checked against DM, DS, EX, PR and RS by a
second, plainer route, and the dose rules on small cases worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from cdisc_map.io.xpt import read_xpt
from cdisc_map.report.disposition import percent, summarise_disposition


@pytest.fixture(scope="module")
def sdtm(bundled_out) -> dict[str, pd.DataFrame]:
    folder = next(bundled_out.glob("m5/datasets/*/tabulations/sdtm"))
    return {path.stem.upper(): read_xpt(path)[0] for path in folder.glob("*.xpt")}


def counts(summary) -> dict[str, int]:
    return {count.label: count.subjects for count in summary.counts}


def test_the_disposition_counts_are_those_of_dm_ds_ex_pr_and_rs(sdtm):
    dm, ds, ex, pr, rs = (sdtm[name] for name in ("DM", "DS", "EX", "PR", "RS"))
    expected = {
        "Screened": dm["USUBJID"].nunique(),
        "Screen failures": ds.loc[ds["DSDECOD"] == "SCREEN FAILURE", "USUBJID"].nunique(),
        "Treated with BLINATUMOMAB": ex.loc[(ex["EXTRT"] == "BLINATUMOMAB") & (ex["EXDOSE"] > 0), "USUBJID"].nunique(),
        "Transplanted": pr.loc[pr["PRDECOD"] == "HEMATOPOIETIC STEM CELL TRANSPLANT", "USUBJID"].nunique(),
        "Relapsed": rs.loc[rs["RSSTRESC"] == "RELAPSED DISEASE", "USUBJID"].nunique(),
        "Died": dm.loc[dm["DTHFL"] == "Y", "USUBJID"].nunique(),
    }
    assert counts(summarise_disposition(sdtm)) == expected
    assert expected == {"Screened": 28, "Screen failures": 4, "Treated with BLINATUMOMAB": 24, "Transplanted": 24,
                        "Relapsed": 5, "Died": 6}, "the bundled export: 28 screened, 4 screen failures, 6 deaths"


def test_the_status_at_the_data_cut_is_each_subjects_last_disposition_event(sdtm):
    ds, dm = sdtm["DS"], sdtm["DM"]
    events = ds[ds["DSCAT"] == "DISPOSITION EVENT"].sort_values(["USUBJID", "DSSTDTC", "DSSEQ"])
    last = events.groupby("USUBJID")["DSDECOD"].last().value_counts().to_dict()
    status = dict(summarise_disposition(sdtm).status)
    ongoing = status.pop("No disposition event yet (ongoing)")
    assert status == last
    assert ongoing == dm["USUBJID"].nunique() - events["USUBJID"].nunique()


def test_blinatumomab_days_and_total_dose_are_rate_times_infusion_time(sdtm):
    ex = sdtm["EX"]
    blina = ex[ex["EXTRT"] == "BLINATUMOMAB"].copy()
    hours = (pd.to_datetime(blina["EXENDTC"]) - pd.to_datetime(blina["EXSTDTC"])).dt.total_seconds() / 3600
    blina["DAYS"] = hours / 24
    blina["UG"] = blina["EXDOSE"] * blina["DAYS"]  # EXDOSE is ug/day
    per_subject = blina.groupby("USUBJID")[["DAYS", "UG"]].sum()
    exposure = {item.treatment: item for item in summarise_disposition(sdtm).exposure}
    item = exposure["BLINATUMOMAB"]
    assert item.investigational and item.subjects == blina["USUBJID"].nunique() and item.records == len(blina)
    assert (item.days.median, item.days.low, item.days.high) == pytest.approx(
        (per_subject["DAYS"].median(), per_subject["DAYS"].min(), per_subject["DAYS"].max()))
    assert (item.total_dose.median, item.total_dose.low, item.total_dose.high) == pytest.approx(
        (per_subject["UG"].median(), per_subject["UG"].min(), per_subject["UG"].max()))
    assert item.dose_unit == "ug" and item.doses == "8, 28 ug/day"
    assert 5 <= item.days.low and item.days.high <= 10, "the protocol: 5 to 10 days of infusion"
    dexamethasone = exposure["DEXAMETHASONE"]
    assert not dexamethasone.investigational
    assert (dexamethasone.total_dose.median, dexamethasone.dose_unit) == (20.0, "mg")


def ex_records(*rows) -> dict[str, pd.DataFrame]:
    frame = pd.DataFrame(rows, columns=["USUBJID", "EXTRT", "EXDOSE", "EXDOSU", "EXDOSFRQ", "EXSTDTC", "EXENDTC"])
    return {"EX": frame}


def test_dose_rules_for_rates_daily_doses_and_single_doses():
    """Per subject: a rate of 10 ug/day for 36 hours is 15 ug; 5 mg BID over 3 calendar days is 30 mg;
    a ONCE dose counts once; an infusion without times runs whole days (2 days at 4 mg/day = 8 mg)."""
    summary = summarise_disposition(ex_records(
        ("A", "DRUG X", 10, "ug/day", "CONTINUOUS", "2024-01-01T00:00", "2024-01-02T12:00"),
        ("A", "DRUG Y", 5, "mg", "BID", "2024-01-01", "2024-01-03"),
        ("A", "DRUG Z", 2, "g", "ONCE", "2024-01-01T08:00", "2024-01-01T08:00"),
        ("A", "DRUG W", 4, "mg/day", "CONTINUOUS", "2024-01-01", "2024-01-03"),
    ))
    totals = {item.treatment: (item.total_dose.median, item.dose_unit, item.days.median) for item in summary.exposure}
    assert totals == {"DRUG X": (15.0, "ug", 1.5), "DRUG Y": (30.0, "mg", 3.0), "DRUG Z": (2.0, "g", 1.0),
                      "DRUG W": (8.0, "mg", 2.0)}


def test_a_subject_with_a_record_of_unknown_length_has_no_total():
    summary = summarise_disposition(ex_records(
        ("A", "DRUG X", 10, "ug/day", "CONTINUOUS", "2024-01-01T00:00", "2024-01-02T00:00"),
        ("A", "DRUG X", 10, "ug/day", "CONTINUOUS", "2024-01", "2024-01-05"),
        ("B", "DRUG X", 10, "ug/day", "CONTINUOUS", "2024-01-01T00:00", "2024-01-03T00:00"),
    ))
    (item,) = summary.exposure
    assert (item.total_dose.low, item.total_dose.high) == (20.0, 20.0), "A's partial sum would understate A"
    assert any("without complete start and end dates" in note for note in summary.notes)


def test_deaths_in_dm_and_ds_are_compared():
    dm = pd.DataFrame({"USUBJID": ["A", "B"], "DTHFL": ["Y", ""]})
    ds = pd.DataFrame({"USUBJID": ["A", "B"], "DSDECOD": ["DEATH", "DEATH"], "DSCAT": ["DISPOSITION EVENT"] * 2})
    summary = summarise_disposition({"DM": dm, "DS": ds})
    assert counts(summary)["Died"] == 1
    assert any("DS has 2 subject(s) with DSDECOD DEATH, DM 1" in note for note in summary.notes)


def test_percentages():
    assert (percent(5, 24), percent(24, 24), percent(1, 3), percent(1, None)) == ("20.8%", "100%", "33.3%", "")
