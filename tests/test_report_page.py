"""The HTML page: self-contained, escaped, and showing the numbers the estimators give."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc_map.io.xpt import read_xpt
from cdisc_map.report import ReportInputs, build_page, study_report_settings
from cdisc_map.report.endpoints import analyse_adtte
from cdisc_map.report.page import Page, render_page
from cdisc_map.report.settings import ReportSettings

BUNDLED_STUDY = Path(__file__).resolve().parent.parent / "cdisc_map" / "studies" / "nct06111625"


@pytest.fixture(scope="module")
def page(bundled_out) -> str:
    text, problems = build_page(ReportInputs.of_tree(bundled_out), study_report_settings(BUNDLED_STUDY))
    assert problems == []
    return text


def test_the_page_needs_nothing_from_outside(page):
    assert "<script" not in page.lower() and "<link" not in page.lower() and "<img" not in page.lower()
    addresses = set(re.findall(r'(?:src|href)="([^"#][^"]*)"', page))
    assert addresses == set(), addresses  # links are in-page anchors only
    namespaces = set(re.findall(r"https?://[^\s\"'<)]+", page))
    assert all(url.startswith(("http://www.w3.org/", "http://purl.org/", "http://creativecommons.org/",
                               "https://matplotlib.org/")) for url in namespaces), namespaces


def test_the_page_has_a_figure_and_a_table_for_every_parameter(page):
    for paramcd in ("PFS", "OS", "RELAPSE", "AGVHD", "CGVHD"):
        section = page.split(f'id="param-{paramcd.lower()}"')[1].split("<h2")[0]
        assert section.count("<svg") == 1 and "Number at risk" in section and "median, days" in section, paramcd
    assert page.count("<svg") == 5
    assert 'id="disposition"' in page and 'id="exposure"' in page and 'id="methods"' in page


def test_the_table_shows_the_estimates_lifelines_gives(page, bundled_out):
    """PFS at 1 and 2 years, relapse at 2 years and aGVHD at day 100, from lifelines, as the page prints them."""
    lifelines = pytest.importorskip("lifelines")
    adtte, _ = read_xpt(next(bundled_out.glob("m5/datasets/*/analysis/adam/datasets/adtte.xpt")))
    pfs = adtte[adtte["PARAMCD"] == "PFS"]
    fitter = lifelines.KaplanMeierFitter().fit(pfs["ADT"] - pfs["STARTDT"], pfs["CNSR"] == 0)
    for day, label in ((365.25, "1 year"), (730.5, "2 years")):
        value = fitter.survival_function_.loc[:day].iloc[-1, 0]
        low, high = fitter.confidence_interval_.loc[:day].iloc[-1]
        text = f"{100 * value:.1f}% ({100 * low:.1f}-{100 * high:.1f})"
        assert text in page.split('id="param-pfs"')[1].split("<h2")[0], (label, text)
    relapse = adtte[adtte["PARAMCD"] == "RELAPSE"]
    status = np.select([relapse["CNSR"] == 0, relapse["CNSR"] == 2], [1, 2], 0)
    time = (relapse["ADT"] - relapse["STARTDT"]).to_numpy() + np.select([status == 2, status == 0], [1e-7, 2e-7], 0)
    aj = lifelines.AalenJohansenFitter().fit(time, status, event_of_interest=1)
    value = aj.cumulative_density_.loc[:730.5].iloc[-1, 0]
    low, high = sorted(aj.confidence_interval_.loc[:730.5].iloc[-1])
    assert f"{100 * value:.1f}% ({100 * low:.1f}-{100 * high:.1f})" in page.split('id="param-relapse"')[1]


def test_the_disposition_table_shows_the_counts(page):
    section = page.split('id="disposition"')[1].split('id="exposure"')[0]
    for label, count in (("Screened", 28), ("Screen failures", 4), ("Treated with BLINATUMOMAB", 24),
                         ("Transplanted", 24), ("Relapsed", 5), ("Died", 6)):
        assert f"<td>{label}</td><td class=\"n\">{count}</td>" in section, label


def test_values_from_the_data_are_escaped():
    frame = pd.DataFrame({"USUBJID": ["A", "B"], "PARAMCD": "OS", "PARAM": "<b>Survival</b> & more", "CNSR": [0, 1],
                          "STARTDT": 0.0, "ADT": [5.0, 9.0], "EVNTDESC": ["DEATH", "<script>x</script>"],
                          "TRTP": ["<i>arm</i>", "<i>arm</i>"]})
    endpoints, _ = analyse_adtte(frame, None, ReportSettings())
    text = render_page(Page("S<1>", "", [], endpoints, None, ReportSettings()))
    assert "<script>x" not in text and "&lt;script&gt;x" in text
    assert "<b>Survival" not in text and "&lt;b&gt;Survival&lt;/b&gt; &amp; more" in text
    assert "<i>arm" not in text and "S&lt;1&gt;" in text


def test_the_page_names_the_files_relative_to_out(page, bundled_out):
    assert "<code>m5/datasets/nct06111625/analysis/adam/datasets/adtte.xpt</code>" in page
    assert str(bundled_out) not in page, "the same package elsewhere gives the same page"
