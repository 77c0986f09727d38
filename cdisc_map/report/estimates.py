"""Kaplan-Meier and Aalen-Johansen estimates with their 95% confidence intervals, in numpy.

Why not lifelines at run time: its Aalen-Johansen fitter breaks tied event times of
different kinds with random jitter (moving an event past a censoring on the same day,
which changes the risk set), seeds numpy's global generator to do it, and computes the
variance in a Python loop over every time. Daily ADTTE data ties all the time. The
estimators here are the textbook ones with ties handled the usual way (on a tied day,
events of every kind happen together, censorings after them) and the same variance and
interval formulas lifelines uses; tests/test_report_estimates.py checks every number
against lifelines and against cases worked by hand.

* Kaplan-Meier: S(t) = prod over event times t_j <= t of (1 - d_j / n_j), n_j the number
  still at risk (time >= t_j). Greenwood's variance; the interval is the exponential
  Greenwood ("log-log") one, S^exp(+-z sqrt(V) / log S), as lifelines and SAS (CONFTYPE
  =LOGLOG) give it.
* Aalen-Johansen: F(t) = sum over t_j <= t of S(t_j-) d1_j / n_j, S the all-cause
  Kaplan-Meier (the event of interest and the competing events together), d1_j the
  events of interest. Variance as Collett (Modelling Survival Data in Medical Research,
  3rd ed., p. 411) gives it, the interval on the log(-log F) scale (lifelines' method).
* Median: the first time the estimate reaches one half (S <= 0.5, or F >= 0.5); its
  interval is where the interval's bands reach one half (Brookmeyer-Crowley on the
  log-log scale, as lifelines' median_survival_times of the confidence bands).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

SURVIVAL, INCIDENCE = "survival", "incidence"
CONFIDENCE = 0.95
#: One half, and the rounding of a product of fractions: 10/20 * ... can come out as 0.5000000000000001,
#: and a curve that is exactly at one half has reached it.
HALF = 0.5 + 1e-12


@dataclass(frozen=True)
class Estimate:
    """One value of a curve with its interval; the bounds are NaN where they cannot be estimated."""

    value: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Curve:
    """A step function of time from its estimator: the value just after each event time.

    `times` are the distinct times with at least one event of any kind, ascending;
    `at_risk` the number with time >= t there; `events` the events of interest there.
    Before the first time the value is `start` (1 for survival, 0 for incidence).
    `last_time` is the largest time observed (event or censoring): beyond it there is no
    estimate.
    """

    kind: str
    times: np.ndarray
    values: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    last_time: float

    @property
    def start(self) -> float:
        return 1.0 if self.kind == SURVIVAL else 0.0

    def at(self, time: float) -> Estimate | None:
        """The estimate at `time` (right-continuous), None beyond the last time observed."""
        if math.isnan(time) or time > self.last_time or time < 0:
            return None
        index = int(np.searchsorted(self.times, time, side="right")) - 1
        if index < 0:
            return Estimate(self.start, math.nan, math.nan)
        return Estimate(float(self.values[index]), float(self.lower[index]), float(self.upper[index]))

    def values_at(self, times: np.ndarray) -> np.ndarray:
        """The estimate at each of `times` (no limit at the last time: for drawing marks on the curve)."""
        index = np.searchsorted(self.times, np.asarray(times, dtype="float64"), side="right") - 1
        padded = np.concatenate([[self.start], self.values])
        return padded[index + 1]

    def median(self) -> Estimate:
        """Time at which the estimate reaches one half, with its interval; inf where never reached."""
        if self.kind == SURVIVAL:
            return Estimate(_first(self.times, self.values <= HALF), _first(self.times, self.lower <= HALF),
                            _first(self.times, self.upper <= HALF))
        flipped = 1 - HALF  # the same tolerance, from below
        return Estimate(_first(self.times, self.values >= flipped), _first(self.times, self.upper >= flipped),
                        _first(self.times, self.lower >= flipped))


def _first(times: np.ndarray, reached: np.ndarray) -> float:
    hits = np.flatnonzero(reached)
    return float(times[hits[0]]) if hits.size else math.inf


def z_value(confidence: float = CONFIDENCE) -> float:
    """The two-sided normal quantile of a confidence level: 1.959964 for 95%."""
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def _risk_table(time: np.ndarray, status: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct event times, the number at risk there, all events and events of kind 1 there."""
    event_times, inverse = np.unique(time[status > 0], return_inverse=True)
    all_events = np.bincount(inverse, minlength=event_times.size).astype("float64")
    of_interest = np.bincount(inverse, weights=(status[status > 0] == 1), minlength=event_times.size)
    ordered = np.sort(time)
    at_risk = (time.size - np.searchsorted(ordered, event_times, side="left")).astype("float64")
    return event_times, at_risk, all_events, of_interest


def _checked(time, status) -> tuple[np.ndarray, np.ndarray]:
    time = np.asarray(time, dtype="float64")
    status = np.asarray(status, dtype="int64")
    if time.shape != status.shape or time.ndim != 1:
        raise ValueError("time and status must be one-dimensional and of the same length")
    if np.isnan(time).any() or (time < 0).any():
        raise ValueError("times must be non-negative numbers")
    return time, status


def kaplan_meier(time, event, confidence: float = CONFIDENCE) -> Curve:
    """Kaplan-Meier survival from times and event flags (True or 1 = event, False or 0 = censored)."""
    time, status = _checked(time, np.asarray(event).astype("int64") != 0)
    times, at_risk, events, _ = _risk_table(time, status)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.cumprod(1.0 - events / at_risk)
        greenwood = np.cumsum(np.where(at_risk > events, events / (at_risk * (at_risk - events)), 0.0))
        log_values = np.log(values)
        spread = z_value(confidence) * np.sqrt(greenwood) / log_values
        lower = np.exp(-np.exp(np.log(-log_values) - spread))
        upper = np.exp(-np.exp(np.log(-log_values) + spread))
    lower = np.where(np.isnan(lower), 1.0, lower)  # S = 1: no uncertainty yet (lifelines' convention)
    upper = np.where(np.isnan(upper), 1.0, upper)
    return Curve(SURVIVAL, times, values, lower, upper, at_risk, events, float(time.max(initial=0.0)))


def aalen_johansen(time, status, confidence: float = CONFIDENCE) -> Curve:
    """Cumulative incidence of the event of interest (status 1) with competing events (status 2, or
    any other positive code) and censoring (status 0)."""
    time, status = _checked(time, status)
    times, at_risk, events, of_interest = _risk_table(time, status)
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1.0 - events / at_risk)
        before = np.concatenate([[1.0], survival[:-1]])  # all-cause survival just before each time
        values = np.cumsum(before * of_interest / at_risk)
        variance = _collett_variance(values, before, at_risk, events, of_interest)
        log_values = np.log(values)
        centre = np.log(-log_values)
        spread = z_value(confidence) * np.sqrt(variance) / (values * np.abs(log_values))
        lower = np.exp(-np.exp(centre + spread))
        upper = np.exp(-np.exp(centre - spread))
    return Curve(INCIDENCE, times, values, lower, upper, at_risk, of_interest, float(time.max(initial=0.0)))


def _collett_variance(values, before, at_risk, events, of_interest) -> np.ndarray:
    """Var F(t_k) = sum_j<=k (F_k - F_j)^2 d_j / (n_j (n_j - d_j))
                  + sum_j<=k S_j-^2 d1_j (n_j - d1_j) / n_j^3
                  - 2 sum_j<=k (F_k - F_j) S_j- d1_j / n_j^2,
    the squares expanded into running sums so that it takes O(K) for K times, not O(K^2).
    A time where everyone left has an event (n_j = d_j) adds nothing to the first sum: the
    curve is flat from there, so F_k - F_j is 0 for every later k."""
    a = np.where(at_risk > events, events / (at_risk * (at_risk - events)), 0.0)
    b = before * of_interest / at_risk ** 2
    first = values ** 2 * np.cumsum(a) - 2 * values * np.cumsum(values * a) + np.cumsum(values ** 2 * a)
    second = np.cumsum(before ** 2 * of_interest * (at_risk - of_interest) / at_risk ** 3)
    third = values * np.cumsum(b) - np.cumsum(values * b)
    return np.maximum(first + second - 2 * third, 0.0)


def number_at_risk(time, at: np.ndarray) -> np.ndarray:
    """How many are still at risk (time >= t) at each of the times `at`."""
    ordered = np.sort(np.asarray(time, dtype="float64"))
    return ordered.size - np.searchsorted(ordered, np.asarray(at, dtype="float64"), side="left")
