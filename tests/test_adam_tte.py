"""ADTTE from declarative specs: every rule of `cdisc_map.adam.tte` on small hand-made data,
traceability followed back to the source records, Kaplan-Meier and Aalen-Johansen estimates
checked with lifelines against hand-computed values, and PFS/OS recomputed by a different
route (plain loops over the SDTM records) for a hand-made set and for the bundled study."""

from __future__ import annotations

import copy
import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc_map.adam import AdamWarning, build_adtte, check_tte_spec, derive_tte, tte_records
from cdisc_map.adam.build import build_adam, load_adam_specs
from cdisc_map.adam.tte import _sorted_by_subject
from cdisc_map.core import sasdates as imputation
from cdisc_map.core.distinct import per_distinct, per_distinct_rows
from cdisc_map.core.problems import ProblemsError
from cdisc_map.mapping.sources import SourceCache
from cdisc_map.spec import conditions

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "cdisc_map" / "studies" / "nct06111625"
EPOCH = dt.date(1960, 1, 1)
NAN = float("nan")


def sas(iso: str) -> float:
    """SAS date number of an ISO date."""
    return float((dt.date.fromisoformat(iso) - EPOCH).days)


def iso(days: float) -> str:
    return (EPOCH + dt.timedelta(days=int(days))).isoformat()


def adsl(*rows: tuple) -> pd.DataFrame:
    """ADSL from (usubjid, hsct, death or None, last alive, saffl) with ISO dates, stored as SAS numbers."""
    return pd.DataFrame({
        "STUDYID": "S1",
        "USUBJID": [r[0] for r in rows],
        "HSCTDT": [sas(r[1]) if r[1] else NAN for r in rows],
        "DTHFL": ["Y" if r[2] else "" for r in rows],
        "DTHDT": [sas(r[2]) if r[2] else NAN for r in rows],
        "LSTALVDT": [sas(r[3]) if r[3] else NAN for r in rows],
        "SAFFL": [r[4] if len(r) > 4 else "Y" for r in rows],
    })


def rs(*rows: tuple) -> pd.DataFrame:
    """RS from (usubjid, rsdtc, rsstresc); RSSEQ numbered per subject."""
    frame = pd.DataFrame(rows, columns=["USUBJID", "RSDTC", "RSSTRESC"])
    frame.insert(0, "STUDYID", "S1")
    frame["RSTESTCD"] = "OVRLRESP"
    frame["RSSEQ"] = frame.groupby("USUBJID").cumcount().astype("float64") + 1
    return frame


REL = "RELAPSED DISEASE"  # the ONCRSR term for a relapse
RELAPSE = {"all": [{"var": "RSTESTCD", "eq": "OVRLRESP"}, {"var": "RSSTRESC", "eq": REL}]}
ADEQUATE = {"all": [{"var": "RSTESTCD", "eq": "OVRLRESP"}, {"var": "RSSTRESC", "in": ["CR", "CR MRD-NEGATIVE"]}]}
DEATH = {"dataset": "ADSL", "where": {"var": "DTHFL", "eq": "Y"}, "var": "DTHDT", "desc": "DEATH"}

PFS = {
    "paramcd": "PFS", "param": "Progression-Free Survival (days)", "paramn": 1,
    "population": {"var": "SAFFL", "eq": "Y"},
    "start": {"dataset": "ADSL", "var": "HSCTDT"},
    "aval": "ADT - STARTDT + 1",
    "events": [{"dataset": "RS", "where": RELAPSE, "var": "RSDTC", "from_start": True, "desc": "RELAPSE"}, DEATH],
    "censors": [
        {"dataset": "RS", "where": ADEQUATE, "var": "RSDTC", "from_start": True, "pick": "last", "cnsr": 1,
         "desc": "LAST ADEQUATE DISEASE ASSESSMENT"},
        {"dataset": "ADSL", "var": "HSCTDT", "cnsr": 2, "desc": "NO ASSESSMENT AFTER TRANSPLANT"},
    ],
}
OS = {
    "paramcd": "OS", "param": "Overall Survival (days)", "paramn": 2,
    "population": {"var": "SAFFL", "eq": "Y"},
    "start": {"dataset": "ADSL", "var": "HSCTDT"},
    "events": [DEATH],
    "censors": [{"dataset": "ADSL", "var": "LSTALVDT", "cnsr": 1, "desc": "LAST KNOWN ALIVE DATE"}],
}
RELAPSE_CI = {
    "paramcd": "RELAPSE", "param": "Time to Relapse (days)",
    "start": {"dataset": "ADSL", "var": "HSCTDT"},
    "events": [{"dataset": "RS", "where": RELAPSE, "var": "RSDTC", "from_start": True, "desc": "RELAPSE"}],
    "competing": [{"dataset": "ADSL", "where": {"var": "DTHFL", "eq": "Y"}, "var": "DTHDT", "cnsr": 2,
                   "desc": "NON-RELAPSE MORTALITY"}],
    "censors": [{"dataset": "ADSL", "var": "LSTALVDT", "cnsr": 1, "desc": "LAST KNOWN ALIVE DATE"}],
}


def one(records: pd.DataFrame, usubjid: str) -> dict:
    found = records[records["USUBJID"] == usubjid]
    assert len(found) == 1, found
    return found.iloc[0].to_dict()


def quiet_derive(spec: dict, datasets: dict) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error", AdamWarning)  # a warning here would be a test defect
        return derive_tte(spec, datasets)


# --- which record wins ---------------------------------------------------------------


def test_event_wins_over_later_censoring_and_censoring_takes_the_latest_adequate_assessment():
    data = {
        "ADSL": adsl(("A", "2024-01-10", None, "2025-06-01"), ("B", "2024-01-10", None, "2025-06-01")),
        "RS": rs(("A", "2024-01-05", "CR"), ("A", "2024-03-01", "CR"), ("A", "2024-05-02", REL),
                 ("A", "2024-09-01", "CR"),
                 ("B", "2024-01-05", "CR"), ("B", "2024-03-01", "CR MRD-NEGATIVE"), ("B", "2024-06-01", "CR")),
    }
    records = quiet_derive(PFS, data)
    a, b = one(records, "A"), one(records, "B")
    assert (iso(a["ADT"]), a["CNSR"], a["EVNTDESC"], a["CNSDTDSC"]) == ("2024-05-02", 0, "RELAPSE", "")
    assert (a["SRCDOM"], a["SRCVAR"], a["SRCSEQ"]) == ("RS", "RSDTC", 3)
    assert (iso(b["ADT"]), b["CNSR"], b["CNSDTDSC"]) == ("2024-06-01", 1, "LAST ADEQUATE DISEASE ASSESSMENT")
    assert b["SRCSEQ"] == 3


def test_subject_without_assessment_after_start_is_censored_at_the_start():
    data = {"ADSL": adsl(("A", "2024-01-10", None, "2025-06-01")), "RS": rs(("A", "2024-01-05", "CR"))}
    a = one(quiet_derive(PFS, data), "A")
    assert (iso(a["ADT"]), a["CNSR"], a["AVAL"], a["SRCVAR"]) == ("2024-01-10", 2, 1, "HSCTDT")


def test_same_day_events_follow_the_order_of_the_spec():
    data = {"ADSL": adsl(("A", "2024-01-10", "2024-04-01", "2024-04-01")),
            "RS": rs(("A", "2024-04-01", REL))}
    assert one(quiet_derive(PFS, data), "A")["EVNTDESC"] == "RELAPSE"
    death_first = copy.deepcopy(PFS)
    death_first["events"].reverse()
    assert one(quiet_derive(death_first, data), "A")["EVNTDESC"] == "DEATH"


def test_first_and_last_pick_within_a_source():
    data = {"ADSL": adsl(("A", "2024-01-10", None, "2025-06-01")),
            "RS": rs(("A", "2024-04-01", REL), ("A", "2024-05-01", REL))}
    assert iso(one(quiet_derive(PFS, data), "A")["ADT"]) == "2024-04-01"
    last = copy.deepcopy(PFS)
    last["events"][0]["pick"] = "last"
    assert iso(one(quiet_derive(last, data), "A")["ADT"]) == "2024-05-01"


def test_competing_event_gets_its_own_code_and_loses_to_an_earlier_or_same_day_event():
    data = {
        "ADSL": adsl(("NRM", "2024-01-10", "2024-03-01", "2024-03-01"),      # death without relapse
                     ("REL", "2024-01-10", "2024-06-01", "2024-06-01"),      # relapse, then death
                     ("TIE", "2024-01-10", "2024-04-01", "2024-04-01"),      # both on one day
                     ("ALIVE", "2024-01-10", None, "2024-12-31")),
        "RS": rs(("REL", "2024-02-15", REL), ("TIE", "2024-04-01", REL)),
    }
    records = quiet_derive(RELAPSE_CI, data)
    assert (one(records, "NRM")["CNSR"], one(records, "NRM")["EVNTDESC"]) == (2, "NON-RELAPSE MORTALITY")
    assert (one(records, "REL")["CNSR"], iso(one(records, "REL")["ADT"])) == (0, "2024-02-15")
    assert one(records, "TIE")["CNSR"] == 0
    assert (one(records, "ALIVE")["CNSR"], one(records, "ALIVE")["SRCVAR"]) == (1, "LSTALVDT")


def test_window_censors_everything_after_day_100_at_day_100():
    spec = copy.deepcopy(RELAPSE_CI)
    spec["window"] = {"days": 100, "cnsr": 4, "desc": "DAY +100 AFTER TRANSPLANT"}
    start = "2024-01-01"
    data = {
        "ADSL": adsl(("LATE", start, None, "2025-01-01"),
                     ("ON100", start, None, "2025-01-01"),
                     ("DIESLATE", start, "2024-06-01", "2024-06-01"),
                     ("SHORT", start, None, "2024-02-01")),
        "RS": rs(("LATE", "2024-05-01", REL), ("ON100", "2024-04-10", REL)),  # day +130, day +100
    }
    records = quiet_derive(spec, data)
    late = one(records, "LATE")
    assert (iso(late["ADT"]), late["CNSR"], late["AVAL"]) == ("2024-04-10", 4, 101)
    assert (late["SRCDOM"], late["SRCVAR"], late["EVNTDESC"]) == ("ADSL", "HSCTDT", "DAY +100 AFTER TRANSPLANT")
    assert (one(records, "ON100")["CNSR"], one(records, "ON100")["AVAL"]) == (0, 101)
    assert one(records, "DIESLATE")["CNSR"] == 4
    assert (one(records, "SHORT")["CNSR"], iso(one(records, "SHORT")["ADT"])) == (1, "2024-02-01")


# --- partial dates -----------------------------------------------------------------


def _ae_spec(rule: str) -> dict:
    return {
        "paramcd": "CGVHD", "param": "Time to Chronic GVHD (days)",
        "start": {"dataset": "ADSL", "var": "HSCTDT"},
        "impute": {"partial": rule},
        "events": [{"dataset": "AE", "where": {"var": "AEDECOD", "eq": "Chronic graft versus host disease"},
                    "var": "AESTDTC", "desc": "CHRONIC GVHD"}],
        "censors": [{"dataset": "ADSL", "var": "LSTALVDT", "cnsr": 1, "desc": "LAST KNOWN ALIVE DATE"}],
    }


def _ae_data() -> dict:
    ae = pd.DataFrame({
        "USUBJID": ["MONTH", "YEAR", "SAMEMONTH"],
        "AESEQ": [4.0, 7.0, 2.0],
        "AEDECOD": "Chronic graft versus host disease",
        "AESTDTC": ["2024-10", "2025", "2024-01"],
    })
    return {"ADSL": adsl(("MONTH", "2024-01-10", None, "2026-01-01"), ("YEAR", "2024-01-10", None, "2026-01-01"),
                         ("SAMEMONTH", "2024-01-10", None, "2026-01-01")), "AE": ae}


def test_partial_dates_are_imputed_only_by_the_spec_rule_and_flagged():
    first = quiet_derive(_ae_spec("first"), _ae_data())
    assert (iso(one(first, "MONTH")["ADT"]), one(first, "MONTH")["ADTF"]) == ("2024-10-01", "D")
    assert (iso(one(first, "YEAR")["ADT"]), one(first, "YEAR")["ADTF"]) == ("2025-01-01", "M")
    # the 1st of January 2024 would fall before the transplant on the 10th: the start date is used
    assert (iso(one(first, "SAMEMONTH")["ADT"]), one(first, "SAMEMONTH")["ADTF"]) == ("2024-01-10", "D")
    last = quiet_derive(_ae_spec("last"), _ae_data())
    assert (iso(one(last, "MONTH")["ADT"]), iso(one(last, "YEAR")["ADT"])) == ("2024-10-31", "2025-12-31")
    mid = quiet_derive(_ae_spec("mid"), _ae_data())
    assert (iso(one(mid, "MONTH")["ADT"]), iso(one(mid, "YEAR")["ADT"])) == ("2024-10-15", "2025-07-01")
    assert set(first["CNSR"]) == {0}


def test_without_an_imputation_rule_a_partial_date_is_not_used_and_is_reported():
    with pytest.warns(AdamWarning) as caught:
        records = derive_tte(_ae_spec("none"), _ae_data())
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 3
    assert "CGVHD: event source 1 (AE.AESTDTC): partial date 2024-10 not used" in messages[1]
    month = one(records, "MONTH")
    assert (month["CNSR"], month["ADTF"], month["SRCVAR"]) == (1, "", "LSTALVDT")


# --- errors ------------------------------------------------------------------------


def problems_of(spec: dict, data: dict) -> list:
    with pytest.raises(ProblemsError) as caught:
        derive_tte(spec, data)
    return caught.value.problems


def test_death_before_transplant_is_an_error_naming_subject_parameter_and_source():
    data = {"ADSL": adsl(("EARLY", "2024-03-01", "2024-02-20", "2024-02-20"), ("FINE", "2024-03-01", None,
                                                                                 "2024-09-01"))}
    problems = problems_of(OS, data)
    assert [p.value for p in problems] == ["EARLY"]
    message = str(problems[0])
    assert "OS" in message and "ADSL.DTHDT" in message and "2024-02-20" in message and "before the start" in message


def test_subject_without_transplant_is_an_error_unless_the_spec_excludes_them_with_a_warning():
    data = {"ADSL": adsl(("NOHSCT", None, None, "2024-09-01"), ("X", "2024-03-01", None, "2024-09-01"))}
    problems = problems_of(OS, data)
    assert [(p.value, p.severity) for p in problems] == [("NOHSCT", "error")]
    assert "OS" in str(problems[0]) and "HSCTDT" in str(problems[0])
    excluding = dict(OS, exclude_without_start=True)
    with pytest.warns(AdamWarning, match="1 subject"):
        records = derive_tte(excluding, data)
    assert list(records["USUBJID"]) == ["X"]


def test_a_source_naming_a_missing_variable_or_dataset_is_an_error_naming_parameter_and_source():
    data = {"ADSL": adsl(("A", "2024-03-01", None, "2024-09-01")), "RS": rs(("A", "2024-05-01", "CR"))}
    spec = copy.deepcopy(PFS)
    spec["events"][0]["var"] = "RSENDTC"
    messages = [str(p) for p in problems_of(spec, data)]
    assert any("PFS" in m and "event source 1 (RS.RSENDTC)" in m and "no variable RSENDTC" in m for m in messages)
    spec = copy.deepcopy(PFS)
    spec["censors"][0]["where"] = {"var": "RSSTATUS", "eq": "DONE"}
    assert any("censor source 1" in str(p) and "RSSTATUS" in str(p) for p in problems_of(spec, data))
    messages = [str(p) for p in problems_of(PFS, {"ADSL": data["ADSL"]})]
    assert any("dataset RS is not among the datasets given" in m for m in messages)


def test_all_problems_are_reported_together():
    data = {"ADSL": adsl(("E1", "2024-03-01", "2024-02-01", "2024-02-01"), ("E2", None, None, "2024-02-01"),
                         ("E3", "2024-03-01", "2024-01-01", "2024-01-01"))}
    assert sorted(p.value for p in problems_of(OS, data)) == ["E1", "E2", "E3"]


def test_subject_with_no_event_and_no_censoring_date_is_an_error_not_dropped():
    data = {"ADSL": adsl(("LOST", "2024-03-01", None, None))}
    errors = [p for p in problems_of(OS, data) if p.severity == "error"]
    assert [p.value for p in errors] == ["LOST"] and "no event and no censoring date" in str(errors[0])


@pytest.mark.parametrize("change, expected", [
    ({"paramcd": "PROGFREESURV"}, "does not match"),
    ({"param": "Progression-free survival from transplant (days)"}, "is too long"),
    ({"censors": [{"dataset": "ADSL", "var": "LSTALVDT", "desc": "X"}]}, "needs `cnsr`"),
    ({"competing": [{"dataset": "ADSL", "var": "DTHDT", "cnsr": 1, "desc": "DEATH"}]}, "CNSR 1 is used for a"),
    ({"evnts": []}, "did you mean 'events'"),
    ({"aval": "ADT - STARTDT + 2"}, "write one of: ADT - STARTDT + 1, ADT - STARTDT"),
    ({"impute": {"partial": "guess"}}, "write one of: none, first, mid, last"),
])
def test_spec_shape_errors_are_reported_before_any_data_is_read(change, expected):
    spec = dict(OS, **change)
    records, problems = tte_records(spec, {})
    assert records.empty
    assert any(expected in str(p) for p in problems), [str(p) for p in problems]


# --- conventions and traceability -------------------------------------------------


def test_aval_convention_is_the_spec_s_and_units_are_days():
    data = {"ADSL": adsl(("D1", "2024-03-01", "2024-03-01", "2024-03-01"), ("D31", "2024-03-01", "2024-03-31",
                                                                               "2024-03-31"))}
    plus_one = quiet_derive(OS, data)
    assert list(plus_one["AVAL"]) == [1.0, 31.0]
    assert set(plus_one["AVALU"]) == {"DAYS"}
    zero = quiet_derive(dict(OS, aval="ADT - STARTDT"), data)
    assert list(zero["AVAL"]) == [0.0, 30.0]


def test_one_record_per_subject_of_the_population_and_typed_columns():
    data = {
        "ADSL": adsl(("A", "2024-01-10", None, "2025-01-01"), ("B", "2024-01-10", "2024-08-01", "2024-08-01"),
                     ("SF", None, None, "2024-01-01", "N")),
        "RS": rs(("A", "2024-03-01", REL), ("A", "2024-04-01", REL), ("A", "2024-06-01", "CR"),
                 ("B", "2024-03-01", "CR")),
    }
    records = quiet_derive(PFS, data)
    assert list(records["USUBJID"]) == ["A", "B"]          # the screen failure is not in the population
    numeric = {"PARAMN", "AVAL", "STARTDT", "ADT", "CNSR", "SRCSEQ"}
    for column in records.columns:
        expected = "float64" if column in numeric else "object"
        assert str(records[column].dtype) == expected, column
    assert (records["PARAMCD"] == "PFS").all() and (records["ADT"] >= records["STARTDT"]).all()


def follow_pointer(record: dict, datasets: dict, window_days: int | None) -> float:
    """The date at the record SRCDOM/SRCVAR/SRCSEQ point to, found independently of the engine."""
    source = datasets[record["SRCDOM"]]
    rows = source[source["USUBJID"] == record["USUBJID"]]
    if not pd.isna(record["SRCSEQ"]):
        seq = "ASEQ" if record["SRCDOM"].startswith("AD") else record["SRCDOM"][:2] + "SEQ"
        rows = rows[rows[seq] == record["SRCSEQ"]]
    assert len(rows) == 1, (record, rows)
    value = rows.iloc[0][record["SRCVAR"]]
    date = value if isinstance(value, float) else sas(str(value)[:10])
    if record["EVNTDESC"] == "DAY +100 AFTER TRANSPLANT":
        return date + window_days
    return date


def test_every_pointer_leads_back_to_the_record_whose_date_is_adt():
    data = {
        "ADSL": adsl(("A", "2024-01-10", None, "2025-01-01"), ("B", "2024-01-10", "2024-08-01", "2024-08-01"),
                     ("C", "2024-01-10", None, "2024-12-01"), ("D", "2024-01-10", None, "2025-02-01")),
        "RS": rs(("A", "2024-03-01", "CR"), ("A", "2024-04-01", REL), ("B", "2024-03-01", "CR"),
                 ("C", "2024-05-01", "CR MRD-NEGATIVE"), ("C", "2024-07-01", "CR"), ("D", "2024-02-01", "CR")),
        "AE": pd.DataFrame({"USUBJID": ["C", "D"], "AESEQ": [3.0, 1.0], "AEDECOD": "GVHD",
                            "AESTDTC": ["2024-02-01T10:00", "2024-09-01"]}),
    }
    gvhd = {"paramcd": "GVHD", "param": "Time to GVHD (days)", "start": {"dataset": "ADSL", "var": "HSCTDT"},
            "window": {"days": 100, "cnsr": 4, "desc": "DAY +100 AFTER TRANSPLANT"},
            "events": [{"dataset": "AE", "var": "AESTDTC", "desc": "GVHD"}],
            "competing": [dict(DEATH, cnsr=2)],
            "censors": [{"dataset": "ADSL", "var": "LSTALVDT", "cnsr": 1, "desc": "LAST KNOWN ALIVE DATE"}]}
    adtte, problems = build_adtte([PFS, OS, RELAPSE_CI, gvhd], data)
    assert not problems
    records = adtte.frame
    assert len(records) == 16 and set(records["SRCDOM"]) == {"ADSL", "RS", "AE"}
    for record in records.to_dict("records"):
        assert follow_pointer(record, data, 100) == record["ADT"], record


def test_supplemental_qualifiers_can_be_filtered_on_like_variables():
    ae = pd.DataFrame({"USUBJID": ["A", "A", "B"], "AESEQ": [1.0, 2.0, 1.0],
                       "AEDECOD": "Acute graft versus host disease",
                       "AESTDTC": ["2024-02-01", "2024-02-20", "2024-02-05"]})
    suppae = pd.DataFrame({"STUDYID": "S1", "RDOMAIN": "AE", "USUBJID": ["A", "A", "B"], "IDVAR": "AESEQ",
                           "IDVARVAL": ["1", "2", "1"], "QNAM": "AEAGVHGR", "QVAL": ["I", "II", "I"]})
    spec = {"paramcd": "AGVHD", "param": "Time to aGVHD II-IV (days)", "start": {"dataset": "ADSL", "var": "HSCTDT"},
            "events": [{"dataset": "AE", "where": {"var": "AEAGVHGR", "in": ["II", "III", "IV"]},
                        "var": "AESTDTC", "desc": "ACUTE GVHD GRADE II-IV"}],
            "censors": [{"dataset": "ADSL", "var": "LSTALVDT", "cnsr": 1, "desc": "LAST KNOWN ALIVE DATE"}]}
    data = {"ADSL": adsl(("A", "2024-01-10", None, "2024-12-01"), ("B", "2024-01-10", None, "2024-12-01")),
            "AE": ae, "SUPPAE": suppae}
    records = quiet_derive(spec, data)
    assert (iso(one(records, "A")["ADT"]), one(records, "A")["SRCSEQ"]) == ("2024-02-20", 2)
    assert one(records, "B")["CNSR"] == 1


# --- estimates from ADTTE alone ---------------------------------------------------


def test_kaplan_meier_two_year_estimate_matches_the_hand_computed_value():
    """OS for five subjects, transplant 2024-01-01 (AVAL = ADT - STARTDT + 1):

    K1 dies on day 100, K2 censored day 200, K3 dies day 300, K4 dies day 800, K5 censored day 900.
    S(100) = 4/5; K2 leaves the risk set; S(300) = 4/5 * (1 - 1/3) = 8/15; no event until day 800,
    so the 2-year (day 730) estimate is 8/15 = 0.5333.
    """
    lifelines = pytest.importorskip("lifelines")
    start = dt.date(2024, 1, 1)

    def day(n: int) -> str:
        return (start + dt.timedelta(days=n - 1)).isoformat()

    data = {"ADSL": adsl(("K1", "2024-01-01", day(100), day(100)), ("K2", "2024-01-01", None, day(200)),
                         ("K3", "2024-01-01", day(300), day(300)), ("K4", "2024-01-01", day(800), day(800)),
                         ("K5", "2024-01-01", None, day(900)))}
    records = quiet_derive(OS, data)
    assert list(records["AVAL"]) == [100, 200, 300, 800, 900]
    fitter = lifelines.KaplanMeierFitter().fit(records["AVAL"], event_observed=records["CNSR"] == 0)
    assert fitter.survival_function_at_times(730).iloc[0] == pytest.approx(8 / 15)


def test_aalen_johansen_relapse_incidence_from_adtte_alone_matches_the_hand_computed_value():
    """Relapse with non-relapse mortality competing, five subjects from 2024-01-01:

    R1 relapses day 100, R2 dies without relapse day 150 (CNSR 2), R3 censored day 200,
    R4 relapses day 300, R5 censored day 400. CIF(100) = 1/5; overall survival 4/5, then 3/5
    after the death; at day 300 two are at risk: CIF += 3/5 * 1/2, so CIF(365) = 0.5
    (1 - Kaplan-Meier, which treats the death as censoring, would say 0.6).
    """
    lifelines = pytest.importorskip("lifelines")
    start = dt.date(2024, 1, 1)

    def day(n: int) -> str:
        return (start + dt.timedelta(days=n - 1)).isoformat()

    data = {"ADSL": adsl(("R1", "2024-01-01", None, day(500)), ("R2", "2024-01-01", day(150), day(150)),
                         ("R3", "2024-01-01", None, day(200)), ("R4", "2024-01-01", None, day(500)),
                         ("R5", "2024-01-01", None, day(400))),
            "RS": rs(("R1", day(100), REL), ("R4", day(300), REL))}
    records = quiet_derive(RELAPSE_CI, data)
    status = records["CNSR"].map({0.0: 1, 2.0: 2}).fillna(0).astype(int)   # 1 relapse, 2 competing, 0 censored
    fitter = lifelines.AalenJohansenFitter(calculate_variance=False).fit(records["AVAL"], status,
                                                                         event_of_interest=1)
    assert fitter.cumulative_density_.loc[:365].iloc[-1, 0] == pytest.approx(0.5)


# --- PFS and OS by a different route ---------------------------------------------


def independent_pfs_os(dm: pd.DataFrame, pr: pd.DataFrame, rs_: pd.DataFrame, ae: pd.DataFrame,
                       ds: pd.DataFrame) -> dict:
    """PFS and OS per subject straight from SDTM records with plain loops and datetime.date.

    Start: the transplant (PR, PRCAT TRANSPLANT). Death: DM.DTHDTC. PFS event: the first
    relapse on or after the transplant, or death; else censored at the last CR assessment on
    or after the transplant, else at the transplant. OS censoring: the last complete date
    proving the subject alive (RFICDTC; RFPENDTC when alive; EX, AE, RS, PR, non-death DS dates).
    Returns {usubjid: {"PFS": (days, cnsr), "OS": (days, cnsr)}} with days = date - start + 1.
    """

    def date_of(value) -> dt.date | None:
        text_ = str(value).strip() if value is not None and not (isinstance(value, float) and pd.isna(value)) else ""
        return dt.date.fromisoformat(text_[:10]) if len(text_) >= 10 and text_[4] == "-" else None

    starts, deaths, alive = {}, {}, {}
    for row in pr.to_dict("records"):
        if row["PRCAT"] == "TRANSPLANT" and date_of(row["PRSTDTC"]):
            starts.setdefault(row["USUBJID"], date_of(row["PRSTDTC"]))
    for row in dm.to_dict("records"):
        if date_of(row["DTHDTC"]):
            deaths[row["USUBJID"]] = date_of(row["DTHDTC"])
    proofs = [(row["USUBJID"], row["RFICDTC"]) for row in dm.to_dict("records")]
    proofs += [(row["USUBJID"], row["RFPENDTC"]) for row in dm.to_dict("records") if row["DTHFL"] != "Y"]
    proofs += [(row["USUBJID"], row[var]) for frame, variables in ((rs_, ["RSDTC"]), (pr, ["PRSTDTC"]),
                                                                      (ae, ["AESTDTC", "AEENDTC"]))
               for row in frame.to_dict("records") for var in variables]
    proofs += [(row["USUBJID"], row["DSSTDTC"]) for row in ds.to_dict("records") if row["DSDECOD"] != "DEATH"]
    for usubjid, value in proofs:
        day = date_of(value)
        if day and (usubjid not in deaths or day <= deaths[usubjid]):
            alive[usubjid] = max(alive.get(usubjid, day), day)
    result = {}
    for usubjid, start in starts.items():
        relapses = sorted(date_of(r["RSDTC"]) for r in rs_.to_dict("records")
                          if r["USUBJID"] == usubjid and r["RSSTRESC"] == REL and date_of(r["RSDTC"]) >= start)
        adequate = sorted(date_of(r["RSDTC"]) for r in rs_.to_dict("records")
                          if r["USUBJID"] == usubjid and r["RSSTRESC"].startswith("CR")
                          and date_of(r["RSDTC"]) >= start)
        events = relapses[:1] + ([deaths[usubjid]] if usubjid in deaths else [])
        if events:
            pfs = (min(events), 0)
        else:
            pfs = (adequate[-1] if adequate else start, 1 if adequate else 2)
        os_ = (deaths[usubjid], 0) if usubjid in deaths else (alive[usubjid], 1)
        result[usubjid] = {name: ((day - start).days + 1, cnsr) for name, (day, cnsr) in (("PFS", pfs), ("OS", os_))}
    return result


def engine_pfs_os(records: pd.DataFrame) -> dict:
    result: dict = {}
    for row in records[records["PARAMCD"].isin(["PFS", "OS"])].to_dict("records"):
        result.setdefault(row["USUBJID"], {})[row["PARAMCD"]] = (int(row["AVAL"]), int(row["CNSR"]))
    return result


def hand_made_sdtm() -> dict:
    """Six transplanted subjects and a screen failure, covering each PFS/OS path."""
    subjects = ["P1", "P2", "P3", "P4", "P5", "P6", "SF"]
    dm = pd.DataFrame({
        "STUDYID": "S1", "USUBJID": subjects, "SUBJID": subjects, "SITEID": "01",
        "RFICDTC": ["2024-01-02"] * 6 + ["2024-01-03"],
        "RFPENDTC": ["2025-12-01", "2024-09-30", "2025-03-01", "2024-06-15", "2025-11-20", "2025-10-01",
                     "2024-01-05"],
        "DTHDTC": ["", "2024-09-30", "", "2024-06-15", "", "", ""],
        "DTHFL": ["", "Y", "", "Y", "", "", ""],
    })
    pr = pd.DataFrame({"USUBJID": subjects[:6], "PRSEQ": 1.0, "PRCAT": "TRANSPLANT",
                       "PRSTDTC": ["2024-02-01T10:00", "2024-02-03T09:00", "2024-02-05", "2024-02-07",
                                   "2024-02-09", "2024-02-11"]})
    rs_ = rs(
        ("P1", "2024-01-20", "CR"), ("P1", "2024-03-01", "CR MRD-NEGATIVE"), ("P1", "2025-02-01", "CR"),
        ("P2", "2024-03-03", "CR"), ("P2", "2024-06-01", REL),                  # relapse, then death
        ("P3", "2024-01-25", "CR"), ("P3", "2024-08-05", REL), ("P3", "2024-09-05", REL),
        ("P4", "2024-01-25", "CR"),                                                     # dies, no assessment after
        ("P5", "2024-01-25", "CR"),                                                     # alive, none after either
        ("P6", "2024-03-11", "CR"), ("P6", "2024-08-11", "CR MRD-NEGATIVE"),
    )
    ae = pd.DataFrame({"USUBJID": ["P1", "P6", "P6"], "AESEQ": [1.0, 1.0, 2.0], "AEDECOD": "Pyrexia",
                       "AESTDTC": ["2024-02-10", "2025-10-20", "2024-05"], "AEENDTC": ["2024-02-12", "", ""]})
    ds = pd.DataFrame({"USUBJID": ["P2", "P4", "P5"], "DSSEQ": 1.0, "DSCAT": "DISPOSITION EVENT",
                       "DSDECOD": ["DEATH", "DEATH", "LOST TO FOLLOW-UP"],
                       "DSTERM": ["DEATH DUE TO RELAPSE", "DEATH DUE TO INFECTION", "LOST TO FOLLOW-UP"],
                       "DSSTDTC": ["2024-09-30", "2024-06-15", "2025-11-20"]})
    ex = pd.DataFrame({"USUBJID": subjects[:6], "EXSEQ": 1.0, "EXTRT": "BLINATUMOMAB", "EXDOSE": 28.0,
                       "EXSTDTC": "2024-01-10T08:00", "EXENDTC": "2024-01-18T08:00"})
    dm["RFXSTDTC"] = ["2024-01-10T08:00"] * 6 + [""]
    dm["RFXENDTC"] = ["2024-01-18T08:00"] * 6 + [""]
    dm["RFSTDTC"], dm["RFENDTC"] = dm["RFXSTDTC"], dm["RFXENDTC"]
    dm["ARMCD"] = ["BLINA"] * 6 + [""]
    dm["ARM"] = ["Blinatumomab bridge to allo-HSCT"] * 6 + [""]
    dm = dm.assign(AGE=40.0, AGEU="YEARS", SEX="F", RACE="ASIAN")
    return {"DM": dm, "PR": pr, "RS": rs_, "AE": ae, "DS": ds, "EX": ex}


MINIMAL_ADSL = {
    "variables": {
        "STUDYID": {"copy": "STUDYID"}, "USUBJID": {"copy": "USUBJID"}, "SUBJID": {"copy": "SUBJID"},
        "SITEID": {"copy": "SITEID"}, "AGE": {"copy": "AGE"}, "AGEU": {"copy": "AGEU"}, "SEX": {"copy": "SEX"},
        "RACE": {"copy": "RACE"}, "ARM": {"copy": "ARM"}, "TRT01P": {"copy": "ARM"},
        "SAFFL": {"derive": "exists", "dataset": "EX", "where": {"var": "EXDOSE", "gt": 0}},
        "HSCTDT": {"derive": "first_date",
                   "sources": [{"dataset": "PR", "var": "PRSTDTC", "where": {"var": "PRCAT", "eq": "TRANSPLANT"}}],
                   "label": "Date of Allogeneic Stem-Cell Transplant", "type": "Num", "display_format": "DATE9."},
        "DTHFL": {"copy": "DTHFL"},
        "DTHDT": {"derive": "sas_date", "of": "DTHDTC"},
        "LSTALVDT": {"derive": "last_date", "sources": [
            {"dataset": "DM", "var": "RFICDTC"},
            {"dataset": "DM", "var": "RFPENDTC", "where": {"var": "DTHFL", "ne": "Y"}},
            {"dataset": "EX", "var": "EXSTDTC"}, {"dataset": "EX", "var": "EXENDTC"},
            {"dataset": "AE", "var": "AESTDTC"}, {"dataset": "AE", "var": "AEENDTC"},
            {"dataset": "RS", "var": "RSDTC"}, {"dataset": "PR", "var": "PRSTDTC"},
            {"dataset": "DS", "var": "DSSTDTC", "where": {"var": "DSDECOD", "ne": "DEATH"}}],
            "not_after": "DTHDT"},
    },
}


def test_pfs_and_os_agree_with_an_independent_computation_on_a_hand_made_sdtm_set():
    sdtm = hand_made_sdtm()
    specs = load_adam_specs(STUDY)
    pfs, os_ = (next(s for s in specs.tte if s["paramcd"] == code) for code in ("PFS", "OS"))
    datasets, problems = build_adam(type(specs)(adsl=MINIMAL_ADSL, tte=[pfs, os_]), sdtm)
    assert not [p for p in problems if p.severity == "error"], [str(p) for p in problems]
    expected = independent_pfs_os(sdtm["DM"], sdtm["PR"], sdtm["RS"], sdtm["AE"], sdtm["DS"])
    assert engine_pfs_os(datasets[1].frame) == expected
    # the hand-made set does exercise every path
    assert {v["PFS"][1] for v in expected.values()} == {0, 1, 2} and {v["OS"][1] for v in expected.values()} == {0, 1}


def test_bundled_study_pfs_and_os_agree_with_an_independent_computation(bundled_sdtm):
    datasets, problems = build_adam(load_adam_specs(STUDY), bundled_sdtm)
    assert not [p for p in problems if p.severity == "error"], [str(p) for p in problems]
    adtte = datasets[1].frame
    expected = independent_pfs_os(*(bundled_sdtm[name] for name in ("DM", "PR", "RS", "AE", "DS")))
    assert engine_pfs_os(adtte) == expected
    assert len(expected) == 24
    # one record per treated subject per parameter, and every pointer leads back to ADT
    assert adtte.groupby(["USUBJID", "PARAMCD"]).size().eq(1).all()
    assert set(adtte["PARAMCD"]) == {"PFS", "OS", "RELAPSE", "AGVHD", "CGVHD"}
    frames = dict(bundled_sdtm, ADSL=datasets[0].frame)
    for record in adtte.to_dict("records"):
        if record["SRCDOM"] == "AE" and record["ADTF"]:
            continue  # an imputed onset: the pointer leads to the partial AESTDTC it was imputed from
        assert follow_pointer(record, frames, 100) == record["ADT"], record


# --- the same results, faster: dates read by position, work done per distinct value --------


@pytest.mark.parametrize("value, days, flag, status", [
    ("2024-01-05T10:00", sas("2024-01-05"), "", "ok"),
    ("2024-01-05T", sas("2024-01-05"), "", "ok"),  # "T" and anything on the same line
    ("2024-01-05T" + "x" * 40, sas("2024-01-05"), "", "ok"),  # too long to read by position
    (" 2024-02 ", sas("2024-02-01"), "D", "imputed"),
    ("2024---05T10", sas("2024-01-01"), "M", "imputed"),  # an unknown month: the day is no use
    ("2024-01--T", sas("2024-01-01"), "D", "imputed"),
    ("2024-01-05T10:00\nx", NAN, "", "invalid"),  # a line break after the "T"
    ("2024-01T10:00", NAN, "", "invalid"),  # a time needs the whole date
    ("2024\x00", NAN, "", "invalid"),
    ("2024-1-05", NAN, "", "invalid"),
    ("2023-02-29", NAN, "", "invalid"),
    ("\u0662\u0660\u0662\u0664-\u0660\u0661-\u0660\u0665", NAN, "", "invalid"),  # non-ASCII digits
    ("-----T07:15", NAN, "", "missing"),
    ("", NAN, "", "missing"),
])
def test_dates_read_by_position_agree_with_the_iso_8601_pattern(value, days, flag, status):
    # each value alone, and repeated among others (then it is parsed once per distinct value)
    for values in (pd.Series([value], dtype=object), pd.Series([value, "2024-06-01", value] * 5, dtype=object)):
        result = imputation.analysis_dates(values, "first")[values == value]
        assert result["status"].eq(status).all() and result["flag"].eq(flag).all()
        assert result["days"].fillna(-1).eq(-1 if pd.isna(days) else days).all()


@pytest.mark.parametrize("value, expected", [
    ("2024-01-05T10:00", (sas("2024-01-05") * 86400 + 36000)),
    ("2024-01-05T10:00:30.25", (sas("2024-01-05") * 86400 + 36030)),
    ("2024-01-05T10:00:30.", NAN), ("2024-01-05T24:00", NAN), ("2024-01-05T23:60", NAN),
    ("2024-02-30T10:00", NAN), ("2024-01-05", NAN), ("2024-01-05T10", NAN),
])
def test_datetimes_read_by_position_agree_with_the_iso_8601_pattern(value, expected):
    result = imputation.analysis_datetimes(pd.Series([value, value, "2024-01-05T10:00"], dtype=object))
    assert result.iloc[:2].fillna(-1).eq(-1 if pd.isna(expected) else expected).all()


def test_a_repeated_partial_date_is_floored_row_by_row():
    values = pd.Series(["2024-03"] * 4 + ["2024-03-20"], index=[10, 11, 12, 13, 14], dtype=object)
    floor = pd.Series([sas("2024-03-10"), sas("2024-02-10"), NAN, sas("2024-04-10"), sas("2024-03-25")],
                      index=values.index)
    result = imputation.analysis_dates(values, "first", floor=floor)
    assert [iso(d) for d in result["days"]] == ["2024-03-10", "2024-03-01", "2024-03-01", "2024-03-01",
                                               "2024-03-20"]
    assert result["flag"].tolist() == ["D", "D", "D", "D", ""]
    assert list(result.index) == [10, 11, 12, 13, 14]


def test_work_per_distinct_value_equals_work_on_every_row():
    mixed = pd.Series([1, 1.0, True, "1", None] * 20, dtype=object)  # equal to pandas, not to repr
    assert per_distinct(mixed, lambda v: v.map(repr)).tolist() == mixed.map(repr).tolist()
    codes = pd.Series(["A", " A", None, "B"] * 50, index=range(400, 200, -1), dtype=object)
    stripped = per_distinct(codes, lambda v: v.str.strip())
    pd.testing.assert_series_equal(stripped, codes.str.strip())
    frame = pd.DataFrame({"X": ["a", "b"] * 100, "Y": [1.0, 2.0, 2.0, float("nan")] * 50, "Z": range(200)})
    pd.testing.assert_series_equal(per_distinct_rows(frame, ["X", "Y"], lambda f: f["X"] + f["Y"].astype(str)),
                                   frame["X"] + frame["Y"].astype(str))


def test_subject_order_is_that_of_sort_values():
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"USUBJID": rng.choice(["S-10", "S-9", "s-1", "S-1", "é", ""], 300),
                          "ADT": rng.choice([1.0, 2.0, NAN, -0.0, 0.0], 300),
                          "PRIORITY": rng.integers(0, 3, 300)})
    for descending in (frozenset(), frozenset({"ADT"})):
        expected = frame.sort_values(["USUBJID", "ADT", "PRIORITY"], kind="mergesort", na_position="last",
                                     ascending=[True, "ADT" not in descending, True])
        for ranks in (None, pd.factorize(frame["USUBJID"], sort=True)[1]):
            got = _sorted_by_subject(frame, ["ADT", "PRIORITY"], descending, ranks=ranks)
            assert got.index.tolist() == expected.index.tolist()


def test_parameters_sharing_a_cache_get_what_they_get_alone(monkeypatch):
    datasets = {
        "ADSL": adsl(("P1", "2024-01-01", None, "2024-12-01"), ("P2", "2024-02-01", "2024-09-01", "2024-09-01"),
                     ("P3", "2024-03-01", None, "2024-05-01")),
        "RS": rs(("P1", "2024-03-01", "CR"), ("P1", "2024-06-01", REL), ("P2", "2024-04-01", "CR"),
                 ("P3", "2024-04-15", "CR MRD-NEGATIVE")),
    }
    pfs = {"paramcd": "PFS", "param": "PFS (days)", "start": {"dataset": "ADSL", "var": "HSCTDT"},
           "events": [{"dataset": "RS", "where": RELAPSE, "var": "RSDTC", "desc": "RELAPSE"}, DEATH],
           "censors": [{"dataset": "RS", "where": ADEQUATE, "var": "RSDTC", "cnsr": 1, "desc": "LAST ASSESSMENT"}]}
    relapse = dict(copy.deepcopy(pfs), paramcd="RELAPSE", events=pfs["events"][:1])
    alone = [tte_records(spec, datasets)[0] for spec in (pfs, relapse)]
    evaluated = []
    evaluate = conditions.evaluate
    monkeypatch.setattr(conditions, "evaluate", lambda c, *a: evaluated.append(c) or evaluate(c, *a))
    cache = SourceCache()
    shared = [tte_records(spec, datasets, cache)[0] for spec in (pfs, relapse)]
    for one, other in zip(alone, shared, strict=True):
        pd.testing.assert_frame_equal(one, other)
    assert evaluated.count(RELAPSE) == 1  # the condition, on the same RS records, is evaluated once


# --- as admiral users write them -------------------------------------------------------------


def test_several_censoring_reasons_may_share_one_code_with_their_own_descriptions():
    spec = copy.deepcopy(OS)
    spec["censors"] = [{"dataset": "ADSL", "var": "LSTALVDT", "cnsr": 1, "desc": "LAST KNOWN ALIVE DATE",
                        "where": {"var": "LSTALVDT", "missing": False}},
                       {"dataset": "ADSL", "var": "HSCTDT", "cnsr": 1, "desc": "TRANSPLANT DATE"}]
    assert check_tte_spec(spec) == []
    data = {"ADSL": adsl(("A", "2024-01-10", None, "2025-06-01"), ("B", "2024-01-10", None, None))}
    records = quiet_derive(spec, data)
    assert (one(records, "A")["CNSR"], one(records, "A")["CNSDTDSC"]) == (1.0, "LAST KNOWN ALIVE DATE")
    assert (one(records, "B")["CNSR"], one(records, "B")["CNSDTDSC"]) == (1.0, "TRANSPLANT DATE")


def test_the_spec_says_which_censoring_source_wins_a_tie():
    spec = copy.deepcopy(OS)
    spec["censors"] = [{"dataset": "ADSL", "var": "LSTALVDT", "cnsr": 1, "desc": "LAST KNOWN ALIVE DATE"},
                       {"dataset": "ADSL", "var": "HSCTDT", "cnsr": 2, "desc": "TRANSPLANT DATE"}]
    data = {"ADSL": adsl(("A", "2024-01-10", None, "2024-01-10"))}
    assert one(quiet_derive(spec, data), "A")["CNSDTDSC"] == "LAST KNOWN ALIVE DATE"
    spec["censor_ties"] = "last"
    assert one(quiet_derive(spec, data), "A")["CNSDTDSC"] == "TRANSPLANT DATE"


def test_a_date_before_the_start_is_clamped_only_where_the_spec_says_so():
    data = {"ADSL": adsl(("A", "2024-01-10", "2024-01-05", "2024-01-05"))}
    assert any("before the start date" in str(p) for p in problems_of(OS, data) if p.severity == "error")
    clamped = quiet_derive(dict(OS, clamp_to_start=True), data)
    assert (iso(one(clamped, "A")["ADT"]), one(clamped, "A")["AVAL"]) == ("2024-01-10", 1.0)


def test_records_without_a_date_are_counted_once_in_one_warning():
    data = {"ADSL": adsl(("A", "2024-01-10", None, "2025-06-01"), ("B", "2024-01-10", None, "2025-06-01")),
            "RS": rs(("A", "", REL), ("B", "", REL), ("B", "", REL))}
    _records, problems = tte_records(PFS, data)
    warnings_ = [p for p in problems if p.severity == "warning" and "no RSDTC" in p.message]
    assert len(warnings_) == 1 and "3 matching record(s)" in warnings_[0].message
