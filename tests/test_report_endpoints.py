"""ADTTE to endpoints: the competing-event rule, time from day 0, groups, and the records left out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc_map.core.problems import ProblemsError
from cdisc_map.io.xpt import read_xpt
from cdisc_map.report.endpoints import (
    AALEN_JOHANSEN,
    CENSORED,
    COMPETING,
    EVENT,
    KAPLAN_MEIER,
    analyse_adtte,
    describe_role,
)
from cdisc_map.report.settings import ReportSettings, settings_from

START = 23000.0  # a SAS date


def adtte(*rows, paramcd: str = "RELAPSE", **columns) -> pd.DataFrame:
    """Records (usubjid, days from STARTDT, CNSR, EVNTDESC); AVAL = ADT - STARTDT + 1 as cdisc-map writes it."""
    frame = pd.DataFrame(rows, columns=["USUBJID", "DAYS", "CNSR", "EVNTDESC"])
    frame["STUDYID"] = "S1"
    frame["PARAMCD"] = paramcd
    frame["PARAM"] = f"Time to {paramcd.title()} (days)"
    frame["STARTDT"] = START
    frame["ADT"] = START + frame["DAYS"]
    frame["AVAL"] = frame["DAYS"] + 1
    frame["AVALU"] = "DAYS"
    frame["CNSDTDSC"] = np.where(frame["CNSR"] > 0, frame["EVNTDESC"], "")
    for name, values in columns.items():
        frame[name] = values
    return frame.drop(columns="DAYS")


RELAPSE = adtte(("A", 10, 0, "RELAPSE"), ("B", 20, 2, "NON-RELAPSE MORTALITY"), ("C", 30, 1, "LAST ADEQUATE "
                "DISEASE ASSESSMENT"), ("D", 40, 0, "RELAPSE"), ("E", 50, 3, "NO ADEQUATE ASSESSMENT AFTER TRANSPLANT"))


@pytest.mark.parametrize("description, role", [
    ("NON-RELAPSE MORTALITY", COMPETING),
    ("DEATH WITHOUT ACUTE GVHD II-IV", COMPETING),
    ("RELAPSE WITHOUT CHRONIC GVHD", COMPETING),
    ("Death", COMPETING),
    ("PROGRESSIVE DISEASE", COMPETING),
    ("LAST KNOWN ALIVE DATE", CENSORED),
    ("LAST ADEQUATE DISEASE ASSESSMENT", CENSORED),
    ("DAY +100 AFTER TRANSPLANT", CENSORED),
    ("NO ADEQUATE ASSESSMENT AFTER TRANSPLANT", CENSORED),
    ("ALIVE WITHOUT RELAPSE", CENSORED),
    ("NO RELAPSE", CENSORED),
    ("LOST TO FOLLOW-UP", CENSORED),
    ("CENSORED AT DEATH", CENSORED),
    ("", CENSORED),
])
def test_the_competing_event_rule_reads_the_description(description, role):
    assert describe_role(description)[0] == role


def test_every_cnsr_code_of_the_bundled_adtte_gets_the_role_its_spec_gives_it(bundled_out):
    """The specs (cdisc_map/studies/nct06111625/adam/adtte/) list competing sources and censoring sources;
    the report, which reads only ADTTE, must find the same split from the descriptions."""
    frame, _ = read_xpt(next(bundled_out.glob("m5/datasets/*/analysis/adam/datasets/adtte.xpt")))
    endpoints, problems = analyse_adtte(frame, None, ReportSettings())
    roles = {(e.paramcd, code.cnsr): code.role for e in endpoints for code in e.codes}
    assert roles == {
        ("PFS", 0): EVENT, ("PFS", 1): CENSORED,
        ("OS", 0): EVENT, ("OS", 1): CENSORED,
        ("RELAPSE", 0): EVENT, ("RELAPSE", 1): CENSORED, ("RELAPSE", 2): COMPETING,
        ("AGVHD", 0): EVENT, ("AGVHD", 4): CENSORED,
        ("CGVHD", 0): EVENT, ("CGVHD", 1): CENSORED, ("CGVHD", 2): COMPETING, ("CGVHD", 3): COMPETING,
    }
    methods = {e.paramcd: e.method for e in endpoints}
    assert methods == {"PFS": KAPLAN_MEIER, "OS": KAPLAN_MEIER, "RELAPSE": AALEN_JOHANSEN,
                       "AGVHD": KAPLAN_MEIER, "CGVHD": AALEN_JOHANSEN}, \
        "AGVHD has no competing record in this data cut: Kaplan-Meier unless the settings say otherwise"


def test_a_parameter_with_a_competing_event_is_a_cumulative_incidence():
    (endpoint,), problems = analyse_adtte(RELAPSE, None, ReportSettings())
    assert problems == []
    assert endpoint.method == AALEN_JOHANSEN
    group = endpoint.groups[0]
    assert (group.subjects, group.count(EVENT), group.count(COMPETING), group.count(CENSORED)) == (5, 2, 1, 2)
    assert [(c.cnsr, c.role) for c in endpoint.codes] == [(0, EVENT), (1, CENSORED), (2, COMPETING), (3, CENSORED)]
    assert group.curve.at(10).value == pytest.approx(1 / 5)
    assert group.curve.at(40).value == pytest.approx(1 / 5 + 3 / 5 * 1 / 2)


def test_settings_can_name_the_competing_codes_or_ask_for_a_cumulative_incidence():
    overridden = settings_from({"competing": {"RELAPSE": [3]}}, source="report.yaml")
    (endpoint,), _ = analyse_adtte(RELAPSE, None, overridden)
    assert {c.cnsr: c.role for c in endpoint.codes} == {0: EVENT, 1: CENSORED, 2: CENSORED, 3: COMPETING}
    assert "report settings" in endpoint.codes[3].reason
    none = adtte(("A", 10, 0, "ACUTE GVHD"), ("B", 100, 4, "DAY +100 AFTER TRANSPLANT"), paramcd="AGVHD")
    (plain,), _ = analyse_adtte(none, None, ReportSettings())
    (incidence,), _ = analyse_adtte(none, None, settings_from({"cumulative_incidence": ["AGVHD"]}))
    assert (plain.method, incidence.method) == (KAPLAN_MEIER, AALEN_JOHANSEN)
    assert incidence.groups[0].curve.at(50).value == pytest.approx(1 - plain.groups[0].curve.at(50).value)
    assert any("No competing event in the data" in note for note in incidence.notes)
    assert not any("No competing event" in note for note in plain.notes)


def test_a_code_described_both_as_an_event_and_a_censoring_is_censored_with_a_warning():
    mixed = adtte(("A", 10, 0, "RELAPSE"), ("B", 20, 2, "DEATH"), ("C", 30, 2, "LAST KNOWN ALIVE DATE"))
    (endpoint,), problems = analyse_adtte(mixed, None, ReportSettings())
    assert endpoint.method == KAPLAN_MEIER
    assert "CNSR 2 has descriptions of a competing event and of a censoring" in problems[0].message
    assert problems[0].severity == "warning"


def test_time_is_adt_minus_startdt_from_day_0_whatever_aval_says():
    (endpoint,), _ = analyse_adtte(RELAPSE, None, ReportSettings())
    assert sorted(endpoint.groups[0].time) == [10, 20, 30, 40, 50]
    assert any("AVAL = ADT - STARTDT + 1" in note for note in endpoint.notes)


def test_without_dates_aval_is_used_in_its_unit():
    weeks = RELAPSE.drop(columns=["ADT", "STARTDT"]).assign(AVAL=[1, 2, 3, 4, 5], AVALU="WEEKS")
    (endpoint,), _ = analyse_adtte(weeks, None, ReportSettings())
    assert sorted(endpoint.groups[0].time) == [7, 14, 21, 28, 35]


def test_an_aval_that_disagrees_with_its_dates_is_a_warning_naming_the_record():
    frame = RELAPSE.copy()
    frame.loc[3, "AVAL"] = 99
    _, problems = analyse_adtte(frame, None, ReportSettings(), file="adtte.xpt")
    (problem,) = problems
    assert problem.row == 4 and problem.column == "AVAL" and problem.file == "adtte.xpt"


def test_records_that_cannot_be_estimated_are_left_out_with_warnings():
    frame = RELAPSE.copy()
    frame.loc[0, "ADT"] = START - 3          # ends before the origin
    frame.loc[1, "CNSR"] = np.nan            # no CNSR
    _, problems = analyse_adtte(frame, None, ReportSettings())
    messages = sorted(p.message for p in problems)
    assert any("end before the origin" in m for m in messages) and any("no CNSR" in m for m in messages)
    (endpoint,), _ = analyse_adtte(frame, None, ReportSettings())
    assert endpoint.groups[0].subjects == 3


def test_an_event_on_day_0_is_pointed_out():
    frame = adtte(("A", 0, 0, "DEATH"), ("B", 30, 1, "LAST KNOWN ALIVE DATE"), paramcd="OS")
    (endpoint,), _ = analyse_adtte(frame, None, ReportSettings())
    assert any("event(s) on day 0" in note for note in endpoint.notes)
    assert endpoint.groups[0].curve.at(0).value == 0.5


def test_missing_variables_stop_the_report_with_every_one_named():
    with pytest.raises(ProblemsError) as caught:
        analyse_adtte(RELAPSE.drop(columns=["CNSR", "ADT", "AVAL"]), None, ReportSettings(), file="adtte.xpt")
    columns = sorted(p.column for p in caught.value.problems)
    assert columns == ["AVAL", "CNSR"]


def test_groups_come_from_adtte_or_else_from_adsl_and_each_has_its_curve():
    adsl = pd.DataFrame({"USUBJID": list("ABCDE"), "TRT01P": ["X", "Y", "X", "Y", "X"]})
    (endpoint,), _ = analyse_adtte(RELAPSE, adsl, ReportSettings())
    assert endpoint.group_variable == "TRT01P"
    assert [(g.name, g.subjects) for g in endpoint.groups] == [("X", 3), ("Y", 2)]
    own = RELAPSE.assign(TRTP=["P", "P", "Q", "Q", "Q"])
    (endpoint,), _ = analyse_adtte(own, adsl, ReportSettings())
    assert endpoint.group_variable == "TRTP" and [g.name for g in endpoint.groups] == ["P", "Q"]
    (endpoint,), problems = analyse_adtte(RELAPSE, adsl, ReportSettings(group="ARMCD"))
    assert endpoint.group_variable is None and "ARMCD" in problems[0].message


def test_parameters_come_in_paramn_order():
    both = pd.concat([RELAPSE.assign(PARAMN=3.0), adtte(("A", 5, 0, "DEATH"), paramcd="OS").assign(PARAMN=2.0)])
    endpoints, _ = analyse_adtte(both, None, ReportSettings())
    assert [e.paramcd for e in endpoints] == ["OS", "RELAPSE"]
