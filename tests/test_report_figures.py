"""The SVG figures: deterministic, grey only, ids unique per figure, numbers at risk under the ticks."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from cdisc_map.report.endpoints import analyse_adtte
from cdisc_map.report.figures import axis_limit, day_ticks, endpoint_svg
from cdisc_map.report.settings import ReportSettings, settings_from


def endpoint(days, cnsr, groups=None, paramcd="OS", settings=None):
    frame = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(len(days))], "PARAMCD": paramcd, "CNSR": cnsr,
                          "STARTDT": 0.0, "ADT": np.asarray(days, float), "EVNTDESC": "DEATH"})
    frame.loc[frame["CNSR"] > 0, "EVNTDESC"] = "LAST KNOWN ALIVE DATE"
    if groups is not None:
        frame["TRTP"] = groups
    (result,), _ = analyse_adtte(frame, None, settings or ReportSettings())
    return result


OS = endpoint([30, 90, 90, 200, 400, 500, 700, 760], [0, 1, 0, 1, 0, 1, 1, 1])


def test_the_same_endpoint_gives_the_same_bytes():
    assert endpoint_svg(OS, "os") == endpoint_svg(OS, "os")


def test_the_svg_is_an_element_for_html_with_every_id_prefixed():
    svg = endpoint_svg(OS, "param-os")
    assert svg.startswith("<svg") and "<?xml" not in svg and "DOCTYPE" not in svg
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert ids and all(name.startswith("param-os-") for name in ids)
    references = re.findall(r'(?:url\(#|href="#)([^)"]+)', svg)
    assert references and all(name in ids for name in references), "every reference resolves inside the figure"
    other = set(re.findall(r'\bid="([^"]+)"', endpoint_svg(OS, "param-pfs")))
    assert not other & set(ids)


def test_only_greys_are_used_so_that_a_black_and_white_print_reads_the_same():
    two_groups = endpoint([10, 20, 30, 40, 50, 60], [0, 1, 0, 0, 1, 0], groups=list("AABBBA"))
    for svg in (endpoint_svg(OS, "a"), endpoint_svg(two_groups, "b")):
        colours = set(re.findall(r"#([0-9a-fA-F]{6})\b", svg))
        assert colours
        assert all(c[0:2] == c[2:4] == c[4:6] for c in colours), sorted(colours)


def test_groups_differ_by_line_style():
    two_groups = endpoint([10, 20, 30, 40, 50, 60], [0, 1, 0, 0, 1, 0], groups=list("AABBBA"))
    svg = endpoint_svg(two_groups, "g")
    assert "stroke-dasharray" in svg, "the second group is dashed"
    assert "A (N=3)" in svg and "B (N=3)" in svg


def test_numbers_at_risk_are_written_under_each_day_tick():
    svg = endpoint_svg(OS, "os")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    at_risk = [t for t in texts if t.strip().isdigit()]
    # times 30 90 90 200 400 500 700 760; at risk (time >= tick) at 0, 100, ..., 800:
    assert "Number at risk" in texts
    assert [int(t) for t in at_risk[-9:]] == [8, 5, 5, 4, 4, 3, 2, 2, 0]


def test_the_axis_spans_the_follow_up_in_days_and_months():
    assert axis_limit(OS) == 800 and list(day_ticks(800)) == [0, 100, 200, 300, 400, 500, 600, 700, 800]
    short = endpoint([20, 60, 100], [0, 1, 1], paramcd="AGVHD", settings=settings_from({"timepoints": {"AGVHD": [
        "day 100"]}}))
    assert axis_limit(short) == 100 and list(day_ticks(100)) == [0, 20, 40, 60, 80, 100]
    six_months = endpoint([20, 60, 210], [0, 1, 1])  # the default time points, 1 and 2 years, are after it
    assert axis_limit(six_months) == 250
    svg = endpoint_svg(OS, "os")
    assert "Days from the origin (day 0)" in svg and "Months from the origin" in svg


@pytest.mark.parametrize("incidence", [False, True])
def test_axis_labels_say_what_is_estimated(incidence):
    settings = settings_from({"cumulative_incidence": ["OS"]}) if incidence else ReportSettings()
    svg = endpoint_svg(endpoint([10, 20], [0, 1], settings=settings), "x")
    assert ("Cumulative incidence" in svg) == incidence and ("Event-free probability" in svg) != incidence
