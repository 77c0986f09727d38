"""Kaplan-Meier and Aalen-Johansen estimates: against cases worked by hand, and against lifelines
(every value, interval and median) on random data and on the bundled study's ADTTE.

lifelines cannot be the reference everywhere, for reasons these tests pin down:
* its Aalen-Johansen fitter jitters tied event times of different kinds at random; the
  comparisons break such ties on purpose (events of interest, then competing events, then
  censorings, a hair apart), which leaves every estimate the same (checked here);
* it drops an event at the smallest time when a time is 0 (the first row of its table
  has no lagged survival), so day-0 events are checked by hand only;
* on a plateau exactly at one half its median depends on rounding in exp(sum(log)).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from cdisc_map.io.xpt import read_xpt
from cdisc_map.report.endpoints import analyse_adtte
from cdisc_map.report.estimates import (
    INCIDENCE,
    SURVIVAL,
    aalen_johansen,
    kaplan_meier,
    number_at_risk,
    z_value,
)
from cdisc_map.report.settings import load_report_settings

BUNDLED_STUDY = Path(__file__).resolve().parent.parent / "cdisc_map" / "studies" / "nct06111625"
lifelines = pytest.importorskip("lifelines", reason="lifelines (a test extra) is the reference for the estimates")
Z = 1.959963984540054


def loglog_interval(value: float, greenwood: float) -> tuple[float, float]:
    """Kaplan-Meier's exponential Greenwood interval written out: S^exp(+-z sqrt(G) / |log S|)."""
    spread = Z * math.sqrt(greenwood) / abs(math.log(value))
    return value ** math.exp(spread), value ** math.exp(-spread)


# --- Kaplan-Meier by hand ---------------------------------------------------------------

KM_TIME = [1, 2, 2, 3, 4, 5, 6]
KM_EVENT = [1, 1, 0, 1, 0, 1, 0]


def test_kaplan_meier_matches_the_hand_computed_steps():
    """Seven subjects; the one censored on day 2 is still at risk on day 2 (events before censorings).

    S(1) = 6/7; S(2) = 6/7 * 5/6 = 5/7; S(3) = 5/7 * 3/4 = 15/28; day 4 is a censoring;
    S(5) = 15/28 * 1/2 = 15/56.
    """
    curve = kaplan_meier(KM_TIME, KM_EVENT)
    assert curve.kind == SURVIVAL
    assert list(curve.times) == [1, 2, 3, 5]
    assert list(curve.at_risk) == [7, 6, 4, 2]
    assert curve.values == pytest.approx([6 / 7, 5 / 7, 15 / 28, 15 / 56])
    assert curve.at(0.5).value == 1.0 and curve.at(4.9).value == pytest.approx(15 / 28)
    assert curve.at(6).value == pytest.approx(15 / 56)
    assert curve.at(6.5) is None, "no estimate after the last time observed"


def test_kaplan_meier_interval_is_the_exponential_greenwood_one():
    curve = kaplan_meier(KM_TIME, KM_EVENT)
    greenwood = 1 / (7 * 6) + 1 / (6 * 5) + 1 / (4 * 3)
    lower, upper = loglog_interval(15 / 28, greenwood)
    estimate = curve.at(3)
    assert (estimate.lower, estimate.upper) == pytest.approx((lower, upper), rel=1e-12)
    assert z_value() == pytest.approx(Z, rel=1e-12)


def test_kaplan_meier_median_and_its_interval():
    curve = kaplan_meier(KM_TIME, KM_EVENT)
    median = curve.median()
    assert median.value == 5.0, "S(3) = 0.536 > 1/2, S(5) = 0.268"
    assert curve.lower[0] < 0.5 < curve.upper[-1]
    assert median.lower == 1.0 and math.isinf(median.upper), "the lower band is below 1/2 from day 1, the upper never"


def test_a_curve_exactly_at_one_half_has_reached_its_median():
    curve = kaplan_meier([1, 2, 3, 4], [1, 1, 0, 0])
    assert curve.at(2).value == 0.5
    assert curve.median().value == 2.0


def test_an_event_on_day_0_moves_the_curve_at_the_origin():
    curve = kaplan_meier([0, 3, 5], [1, 0, 1])
    assert curve.at(0).value == pytest.approx(2 / 3)
    assert curve.at(5).value == 0.0
    assert (curve.at(5).lower, curve.at(5).upper) == (0.0, 0.0)


def test_numbers_at_risk_count_the_subjects_still_followed_at_each_tick():
    assert list(number_at_risk(KM_TIME, [0, 2, 3, 6, 7])) == [7, 6, 4, 1, 0]


def test_times_before_the_origin_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        kaplan_meier([-1, 2], [1, 0])


# --- Aalen-Johansen by hand -------------------------------------------------------------

AJ_TIME = [1, 2, 2, 3, 4, 5, 6]
AJ_STATUS = [1, 2, 1, 0, 1, 2, 0]  # 1 relapse, 2 death without relapse, 0 censored


def test_aalen_johansen_matches_the_hand_computed_steps():
    """All-cause survival S, cumulative incidence F of relapse:

    day 1: F = 1/7, S = 6/7; day 2 (a relapse and a death tie): F += 6/7 * 1/6 = 2/7, S = 4/7;
    day 3 censored; day 4: three at risk, F += 4/7 * 1/3 = 10/21, S = 8/21; day 5: a death.
    """
    curve = aalen_johansen(AJ_TIME, AJ_STATUS)
    assert curve.kind == INCIDENCE
    assert list(curve.times) == [1, 2, 4, 5]
    assert curve.values == pytest.approx([1 / 7, 2 / 7, 10 / 21, 10 / 21])
    assert curve.at(0.5).value == 0.0 and math.isnan(curve.at(0.5).lower)


def test_cumulative_incidences_and_survival_add_up_to_one():
    """F(relapse) + F(death without relapse) + all-cause S = 1 at every time."""
    status = np.array(AJ_STATUS)
    relapse = aalen_johansen(AJ_TIME, status)
    death = aalen_johansen(AJ_TIME, np.select([status == 1, status == 2], [2, 1], 0))
    alive = kaplan_meier(AJ_TIME, status > 0)
    for day in range(0, 7):
        total = relapse.at(day).value + death.at(day).value + alive.at(day).value
        assert total == pytest.approx(1.0), day


def collett_variance(times, status, at: float) -> float:
    """Collett's variance of F(at), summed term by term as printed (the module sums it in O(K))."""
    times, status = np.asarray(times, float), np.asarray(status)
    event_times = np.unique(times[status > 0])
    survival_before, incidence, rows = 1.0, 0.0, []
    for time in event_times:
        n = (times >= time).sum()
        d = ((times == time) & (status > 0)).sum()
        d1 = ((times == time) & (status == 1)).sum()
        incidence += survival_before * d1 / n
        rows.append((time, n, d, d1, survival_before, incidence))
        survival_before *= 1 - d / n
    final = [f for t, *_, f in rows if t <= at][-1]
    variance = 0.0
    for time, n, d, d1, s_before, f in rows:
        if time > at:
            break
        variance += (final - f) ** 2 * d / (n * (n - d)) if n > d else 0.0
        variance += s_before ** 2 * d1 * (n - d1) / n ** 3
        variance -= 2 * (final - f) * s_before * d1 / n ** 2
    return variance


def test_aalen_johansen_interval_is_collett_variance_on_the_log_log_scale():
    curve = aalen_johansen(AJ_TIME, AJ_STATUS)
    for day in (1, 2, 4):
        value = curve.at(day).value
        se = math.sqrt(collett_variance(AJ_TIME, AJ_STATUS, day)) / (value * abs(math.log(value)))
        centre = math.log(-math.log(value))
        lower, upper = math.exp(-math.exp(centre + Z * se)), math.exp(-math.exp(centre - Z * se))
        assert (curve.at(day).lower, curve.at(day).upper) == pytest.approx((lower, upper), rel=1e-10), day


def test_aalen_johansen_median_is_where_the_incidence_reaches_one_half():
    curve = aalen_johansen([1, 2, 3, 4, 5], [1, 1, 2, 1, 0])
    assert curve.median().value == 4.0  # F = 0.2, 0.4, 0.4, 0.4 + 0.4 * 1/2 = 0.6
    assert math.isinf(aalen_johansen(AJ_TIME, AJ_STATUS).median().value)


# --- lifelines, on random data ----------------------------------------------------------


def separated(time: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Ties broken the way the estimators treat them: events of interest, competing events, censorings."""
    return time + np.select([status == 2, status == 0], [1e-7, 2e-7], 0.0)


def lifelines_aalen_johansen(time, status):
    time = separated(np.asarray(time, float), np.asarray(status))
    assert not lifelines.AalenJohansenFitter._check_for_duplicates(time, status), "lifelines would jitter"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # its log(-log(0)) before the first event
        return lifelines.AalenJohansenFitter(calculate_variance=True).fit(time, status, event_of_interest=1)


def lifelines_value(frame, time: float) -> np.ndarray:
    return frame.loc[: time + 1e-6].iloc[-1].to_numpy()


def assert_same_as_lifelines(time, status, incidence: bool) -> None:
    time, status = np.asarray(time, float), np.asarray(status)
    if incidence:
        ours, theirs = aalen_johansen(time, status), lifelines_aalen_johansen(time, status)
        estimate, bands = theirs.cumulative_density_, theirs.confidence_interval_
    else:
        ours = kaplan_meier(time, status > 0)
        theirs = lifelines.KaplanMeierFitter().fit(time, status > 0)
        estimate, bands = theirs.survival_function_, theirs.confidence_interval_
    for day in np.unique(time):
        mine = ours.at(day)
        assert mine.value == pytest.approx(lifelines_value(estimate, day)[0], abs=1e-12), day
        low, high = sorted(lifelines_value(bands, day))
        if not math.isnan(mine.lower) and not math.isnan(low):
            assert (mine.lower, mine.upper) == pytest.approx((low, high), abs=1e-12), day
    if not incidence and not np.isclose(ours.values, 0.5, atol=1e-9).any():
        median = ours.median()
        assert median.value == theirs.median_survival_time_
        theirs_band = lifelines.utils.median_survival_times(bands)
        assert (median.lower, median.upper) == tuple(theirs_band.iloc[0])


@pytest.mark.parametrize("seed", range(12))
def test_every_estimate_matches_lifelines_on_random_daily_data(seed):
    rng = np.random.default_rng(seed)
    size = int(rng.integers(5, 120))
    time = rng.integers(1, 90, size).astype(float)  # days from 1: lifelines drops events at time 0
    status = rng.integers(0, 3, size)
    assert_same_as_lifelines(time, status, incidence=False)
    assert_same_as_lifelines(time, status, incidence=True)


def test_breaking_ties_changes_no_aalen_johansen_estimate():
    """The tie-breaking of the comparisons is harmless: our estimator on the separated times gives
    the same numbers as on the tied days."""
    rng = np.random.default_rng(7)
    time, status = rng.integers(1, 15, 60).astype(float), rng.integers(0, 3, 60)
    tied, apart = aalen_johansen(time, status), aalen_johansen(separated(time, status), status)
    for day in range(1, int(time.max())):
        assert (tied.at(day).value, tied.at(day).lower) == pytest.approx(
            (apart.at(day + 0.5).value, apart.at(day + 0.5).lower), nan_ok=True, abs=1e-12)


# --- lifelines, on the bundled study ---------------------------------------------------------


def assert_curve_is_lifelines(curve, time, status, incidence: bool) -> None:
    """Every value and band of one of the report's curves against lifelines fitted on `time`, `status`."""
    if incidence:
        theirs = lifelines_aalen_johansen(time, status)
        estimate, bands = theirs.cumulative_density_, theirs.confidence_interval_
    else:
        theirs = lifelines.KaplanMeierFitter().fit(time, status > 0)
        estimate, bands = theirs.survival_function_, theirs.confidence_interval_
        assert curve.median().value == theirs.median_survival_time_
        assert (curve.median().lower, curve.median().upper) == \
            tuple(lifelines.utils.median_survival_times(bands).iloc[0])
    for day in np.arange(0, time.max() + 1):
        mine = curve.at(day)
        assert mine.value == pytest.approx(lifelines_value(estimate, day)[0], abs=1e-12), day
        low, high = sorted(lifelines_value(bands, day))
        if not math.isnan(mine.lower) and not math.isnan(low):
            assert (mine.lower, mine.upper) == pytest.approx((low, high), abs=1e-12), day


def test_every_estimate_of_the_bundled_report_matches_lifelines(bundled_out):
    """The report's own curves (analyse_adtte on the bundled ADTTE) against lifelines fitted on times
    and statuses worked out here from ADT, STARTDT and the CNSR codes as the specs define them."""
    adtte, _ = read_xpt(next(bundled_out.glob("m5/datasets/*/analysis/adam/datasets/adtte.xpt")))
    settings = load_report_settings(BUNDLED_STUDY / "report.yaml")
    endpoints, problems = analyse_adtte(adtte, None, settings)
    assert problems == []
    competing = {"RELAPSE": {2}, "AGVHD": {2, 3}, "CGVHD": {2, 3}}  # the specs' competing sources
    assert [e.paramcd for e in endpoints] == ["PFS", "OS", "RELAPSE", "AGVHD", "CGVHD"]
    for endpoint in endpoints:
        records = adtte[adtte["PARAMCD"] == endpoint.paramcd]
        time = (records["ADT"] - records["STARTDT"]).to_numpy()
        assert (time > 0).all(), "no day-0 record: lifelines can be the reference for every value"
        cnsr = records["CNSR"].to_numpy()
        status = np.where(cnsr == 0, 1, np.where(np.isin(cnsr, list(competing.get(endpoint.paramcd, ()))), 2, 0))
        assert endpoint.incidence == (endpoint.paramcd in competing)
        (group,) = endpoint.groups
        assert sorted(group.time) == sorted(time)
        assert_curve_is_lifelines(group.curve, time, status, endpoint.incidence)


def test_lifelines_loses_an_event_at_time_0_which_is_why_day_0_is_checked_by_hand():
    """The claim of this module's docstring: lifelines' Aalen-Johansen drops the event at the first
    time when that time is 0; ours counts it (1 of 3 at risk on day 0)."""
    time, status = np.array([0.0, 1.0, 2.0]), np.array([1, 1, 0])
    theirs = lifelines.AalenJohansenFitter(calculate_variance=False).fit(time, status, event_of_interest=1)
    assert theirs.cumulative_density_.iloc[0, 0] == 0.0
    assert aalen_johansen(time, status).at(0).value == pytest.approx(1 / 3)
    assert aalen_johansen(time, status).at(1).value == pytest.approx(2 / 3)
