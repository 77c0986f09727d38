"""Report settings: time points in words, and every mistake in report.yaml named with its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdisc_map.core.problems import ProblemsError
from cdisc_map.report.settings import DEFAULT_TIMEPOINTS, load_report_settings, parse_timepoint, settings_from

BUNDLED_STUDY = Path(__file__).resolve().parent.parent / "cdisc_map" / "studies" / "nct06111625"


@pytest.mark.parametrize("text, days, label", [
    ("day 100", 100, "day 100"), ("Day +100", 100, "day 100"), ("100 days", 100, "day 100"),
    ("1 year", 365.25, "1 year"), ("2 years", 730.5, "2 years"), ("year 2", 730.5, "2 years"),
    ("6 months", 182.625, "6 months"), ("1 week", 7, "1 week"),
])
def test_time_points_are_read_from_words(text, days, label):
    point = parse_timepoint(text)
    assert (point.days, point.label) == (pytest.approx(days), label)


@pytest.mark.parametrize("text", ["100", "two years", "2 decades", ""])
def test_anything_else_is_not_a_time_point(text):
    with pytest.raises(ValueError):
        parse_timepoint(text)


def test_the_bundled_study_settings_are_the_protocol_time_points():
    settings = load_report_settings(BUNDLED_STUDY / "report.yaml")
    assert settings.studyid == "NCT06111625"
    labels = {code: [p.label for p in settings.timepoints_for(code)] for code in ("PFS", "OS", "RELAPSE", "AGVHD",
                                                                                   "CGVHD")}
    assert labels == {"PFS": ["1 year", "2 years"], "OS": ["1 year", "2 years"], "RELAPSE": ["2 years"],
                      "AGVHD": ["day 100"], "CGVHD": ["2 years"]}
    assert settings.cumulative_incidence == {"RELAPSE", "AGVHD", "CGVHD"}
    assert settings.timepoints_for("EFS") == DEFAULT_TIMEPOINTS


def test_every_mistake_is_reported_with_its_key_and_a_hint(tmp_path):
    path = tmp_path / "report.yaml"
    path.write_text("timepoint: {PFS: [2 years]}\ntimepoints: {PFS: [2 yrs], os: [1 year]}\n"
                    "competing: {RELAPSE: [two]}\ngroup: 12\n", encoding="utf-8")
    with pytest.raises(ProblemsError) as caught:
        load_report_settings(path)
    found = {(p.column, p.hint) for p in caught.value.problems}
    assert ("timepoint", "did you mean 'timepoints'?") in found
    columns = {column for column, _ in found}
    assert {"timepoints.PFS", "timepoints.os", "competing.RELAPSE", "group"} <= columns
    assert all(p.file == str(path) for p in caught.value.problems)


def test_yaml_that_does_not_parse_names_its_line(tmp_path):
    path = tmp_path / "report.yaml"
    path.write_text("timepoints:\n  PFS: [1 year\n", encoding="utf-8")
    with pytest.raises(ProblemsError) as caught:
        load_report_settings(path)
    assert caught.value.problems[0].row is not None


def test_settings_must_be_a_mapping():
    with pytest.raises(ProblemsError, match="mapping"):
        settings_from(["PFS"])
