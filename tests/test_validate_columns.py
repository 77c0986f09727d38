"""Column helpers of the validator: dates through core.dates, numbers compared as numbers."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

import cdisc_map.validate.columns as columns
from cdisc_map.validate.columns import (
    blank,
    compare_at_common_precision,
    date_days,
    day_bounds,
    dtc_parts,
    number_key,
    number_keys,
    one_to_one_breaks,
    per_value,
)

VALUES = ["2024-03-05", "2024-03-05T14:30", "2024-03-05T14:30:15.25", "2024-02-30",
          "2023-02-29T10:00", "2024-02-29", "2024-03", "2024", "2024---15", "2024-03-05T-:30",
          "05MAR2024", "2024-03-05T24:00", "", " 2024-03-05", None]


def test_dtc_parts_gives_each_value_its_problem_and_known_prefix():
    problems, prefixes = dtc_parts(pd.Series(VALUES, dtype=object))
    invalid = {"2024-02-30", "2023-02-29T10:00", "05MAR2024", "2024-03-05T24:00", " 2024-03-05"}
    assert [bool(p) for p in problems] == [v in invalid for v in VALUES]
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


def test_numbers_are_compared_as_numbers():
    # SAS's IBM floats read back a few units in the last place away from the decimal value
    assert number_key(1.2000000000000002) == number_key("1.2") == number_key(" 1.20 ")
    assert number_key(3.0) == number_key("3") and number_key(0.1 + 0.2) == number_key(0.3)
    assert number_key(1.2) != number_key(1.21)
    assert all(np.isnan(number_key(v)) for v in ("<5", "NEGATIVE", "", "inf", "1e", None, np.nan))
    keys = number_keys(pd.Series(["5", "5.0", "x", None]))
    assert keys[0] == keys[1] == 5.0 and np.isnan(keys[2:]).all()


def test_day_bounds_span_what_a_partial_date_can_mean():
    _problems, prefixes = dtc_parts(pd.Series(["2024-02", "2024---15", "2024-03-05T10:00", "", "2023-02-30"]))
    first, last = day_bounds(prefixes)
    day = (pd.Timestamp("2024-02-01") - pd.Timestamp("1970-01-01")).days
    assert (first[0], last[0]) == (day, day + 28)  # 2024 is a leap year
    assert last[1] - first[1] == 365
    assert first[2] == last[2]
    assert np.isnan(first[3:]).all() and np.isnan(last[3:]).all()


def test_one_to_one_breaks_on_both_sides():
    codes = pd.Series(["OS", "OS", "PFS", "OS", "EFS"])
    names = pd.Series(["Overall", "Overall", "PFS", "overall", "PFS"])
    breaks = {side: (list(np.flatnonzero(mask)), dict(earlier))
              for side, mask, earlier in one_to_one_breaks(codes, names)}
    assert breaks[0][0] == [3] and breaks[0][1]["OS"] == "Overall"
    assert breaks[1][0] == [4] and breaks[1][1]["PFS"] == "PFS"


def test_the_numpy_path_of_dtc_parts_agrees_with_parse_iso_value_by_value(monkeypatch):
    """Complete dates and date-times are judged with numpy, the rest by parse_iso: on values
    near every boundary (month 0 and 13, day 0 and 32, 29 February, hour 24, minute and second
    60, leading blanks, years 999 and 9999) the two give the same problems and prefixes."""
    rng = random.Random(3)
    values: list = ["", "2024", "2024-02-29", "2023-02-29", "2024-03-05T14:30:15.5", "2024---05", 5.0]
    for _ in range(5000):
        year = rng.choice([999, 1000, 1900, 2000, 2023, 2024, 9999])
        value = f"{year:04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
        kind = rng.randint(0, 4)
        if kind >= 1:
            value += f"T{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}"
        if kind >= 2:
            value += f":{rng.randint(0, 61):02d}"
        values.append(" " + value if kind == 3 else value[:7] if kind == 4 else value)
    series = pd.Series(values, dtype=object)
    fast = columns.dtc_parts(series)
    monkeypatch.setattr(columns, "_plain_complete", lambda found: np.zeros(len(found), dtype=bool))
    slow = columns.dtc_parts(series)
    assert [list(part) for part in fast] == [list(part) for part in slow]
    assert 1000 < sum(problem == "" for problem in fast[0]) < len(values)  # both kinds were met
