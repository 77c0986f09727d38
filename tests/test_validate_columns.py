"""Column helpers of the validator: the fast paths give the same answers as the slow ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc_map.validate.columns import (
    blank,
    compare_at_common_precision,
    date_days,
    dtc_parts,
    iso_problem,
    number_text,
    one_to_one_breaks,
    per_value,
)

VALUES = ["2024-03-05", "2024-03-05T14:30", "2024-03-05T14:30:15.25", "2024-02-30",
          "2023-02-29T10:00", "2024-02-29", "2024-03", "2024", "2024---15", "2024-03-05T-:30",
          "05MAR2024", "2024-03-05T24:00", "", " 2024-03-05", None]


def test_dtc_parts_fast_path_agrees_with_the_full_parser():
    problems, prefixes = dtc_parts(pd.Series(VALUES, dtype=object))
    for value, problem in zip(VALUES, problems):
        expected = iso_problem(value) if value is not None else ""
        assert bool(problem) == bool(expected), value
    assert list(prefixes[:3]) == ["2024-03-05", "2024-03-05T14:30", "2024-03-05T14:30:15"]
    assert "day 30 does not exist" in problems[3]
    assert "day 29 does not exist in February 2023" in problems[4]
    assert list(prefixes[6:10]) == ["2024-03", "2024", "2024", "2024-03-05"]
    assert problems[13] == "surrounding blanks"


@pytest.mark.parametrize("left, right, sign", [
    ("2024-03-10", "2024-03", 0),
    ("2024-04", "2024-03-31", 1),
    ("2024-03-10T10:00", "2024-03-10T09:59", 1),
    ("2024-03-09", "2024-03-10T00:00", -1),
    ("", "2024-03-10", None),
])
def test_compare_at_common_precision(left, right, sign):
    result = compare_at_common_precision(np.array([left], dtype=object),
                                         np.array([right], dtype=object))
    assert (np.isnan(result[0]) if sign is None else result[0] == sign)


def test_per_value_calls_the_function_once_per_distinct_value():
    calls = []
    result = per_value(pd.Series(["a", "b", "a", None, "a"]),
                       lambda v: calls.append(v) or v.upper(), "-")
    assert list(result) == ["A", "B", "A", "-", "A"] and calls == ["a", "b"]


def test_blank_for_text_and_numbers():
    assert list(blank(pd.Series(["x", "", None]))) == [False, True, True]
    assert list(blank(pd.Series([1.0, np.nan]))) == [False, True]


def test_date_days_only_for_complete_dates():
    days = date_days(pd.Series(["1970-01-02T10:00", "2024-03", "2024-02-30", ""]))
    assert days[0] == 1.0 and np.isnan(days[1:]).all()


def test_number_text():
    assert [number_text(v) for v in (3.0, 2.5, -1.0, np.nan)] == ["3", "2.5", "-1", ""]


def test_one_to_one_breaks_on_both_sides():
    codes = pd.Series(["OS", "OS", "PFS", "OS", "EFS"])
    names = pd.Series(["Overall", "Overall", "PFS", "overall", "PFS"])
    breaks = {side: (list(np.flatnonzero(mask)), dict(earlier))
              for side, mask, earlier in one_to_one_breaks(codes, names)}
    assert breaks[0][0] == [3] and breaks[0][1]["OS"] == "Overall"
    assert breaks[1][0] == [4] and breaks[1][1]["PFS"] == "PFS"
