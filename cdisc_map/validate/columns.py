"""Column helpers for checks that must stay fast on a million records.

Most clinical columns repeat a few values many times (codes, dates, subject ids), so a
value-level test runs once per distinct value and is spread back to the rows through
`pandas.factorize` codes: the Python work grows with the distinct values, the rest is
array indexing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from cdisc_map.core.dates import parse_iso
from cdisc_map.core.problems import DateError

# The part of an ISO 8601 value before its first unknown component, without fractions.
_KNOWN_PREFIX = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}(?::\d{2}(?::\d{2})?)?)?)?)?")
_COMPLETE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:T|$)")
# A complete date, optionally with a time whose parts are all in range.
_COMMON_FORM = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?)?")
PRECISIONS = (4, 7, 10, 13, 16, 19)  # year, month, day, hour, minute, second
_EPOCH = dt.date(1970, 1, 1).toordinal()


def is_text(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series.dtype)


Factors = tuple[np.ndarray, Any]  # pandas.factorize's (codes, uniques); code -1 is missing


def factorize(series: pd.Series) -> Factors:
    return pd.factorize(series, use_na_sentinel=True)


def _as_list(uniques: Any) -> list:
    """Distinct values as plain Python objects (iterating a pandas array is slow)."""
    return uniques.tolist() if hasattr(uniques, "tolist") else list(uniques)


def per_value(series: pd.Series, function: Callable[[Any], Any], missing: Any,
              dtype: Any = object, factors: Factors | None = None) -> np.ndarray:
    """function(value) for every row, computed once per distinct value; `missing` for NaN.

    `factors` is the column's factorization when the caller has it already (a dataset
    keeps one per column, so several checks of a column factorize it once).
    """
    codes, uniques = factors if factors is not None else factorize(series)
    results = np.empty(len(uniques) + 1, dtype=dtype)
    for index, value in enumerate(_as_list(uniques)):
        results[index] = function(value)
    results[-1] = missing
    return results[codes]  # code -1 (missing) picks the last entry


def blank(series: pd.Series, factors: Factors | None = None) -> np.ndarray:
    """True where the value is null: NaN for numbers, empty text for characters."""
    if not is_text(series):
        return series.isna().to_numpy()
    codes, uniques = factors if factors is not None else factorize(series)
    empty = [index for index, value in enumerate(_as_list(uniques)) if value == ""]
    missing = codes == -1
    return missing | (codes == empty[0]) if empty else missing


def text(series: pd.Series) -> pd.Series:
    """The column as str with "" for missing (numbers formatted without a trailing .0)."""
    if is_text(series):
        return series.fillna("").astype(str)
    return pd.Series(per_value(series, number_text, ""), index=series.index)


def number_text(value: Any) -> str:
    """3.0 -> "3", 2.5 -> "2.5": numbers as a reader of the data writes them."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    number = float(value)
    if number.is_integer():
        return str(int(number))
    return np.format_float_positional(number, trim="-")


def iso_problem(value: Any) -> str:
    """Why `value` is not an SDTM ISO 8601 date/time, or "" when it is (or is empty)."""
    if not isinstance(value, str):
        return f"{value!r} is not text"
    try:
        parse_iso(value)
    except DateError as error:
        return str(error)
    if value != value.strip():
        return "surrounding blanks"
    return ""


def known_prefixes(series: pd.Series) -> np.ndarray:
    return dtc_parts(series)[1]


def dtc_parts(series: pd.Series, factors: Factors | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """(problem, known prefix) of every --DTC value, each distinct value parsed once.

    Complete dates with an optional valid time (the bulk of real data) take a fast path
    that checks each distinct calendar date once; everything else is parsed in full.
    """
    codes, uniques = factors if factors is not None else factorize(series)
    problems = np.empty(len(uniques) + 1, dtype=object)
    prefixes = np.empty(len(uniques) + 1, dtype=object)
    date_problems: dict[str, str] = {}
    for index, value in enumerate(_as_list(uniques)):
        fast = _COMMON_FORM.fullmatch(value) if isinstance(value, str) else None
        if fast is not None:
            day = fast.group(1)
            if day not in date_problems:
                date_problems[day] = iso_problem(day)
            problems[index] = date_problems[day]
            prefixes[index] = "" if problems[index] else value[:19]
            continue
        problems[index] = iso_problem(value)
        match = None if problems[index] else _KNOWN_PREFIX.match(value)
        prefixes[index] = match.group(0) if match else ""
    problems[-1] = prefixes[-1] = ""
    return problems[codes], prefixes[codes]


def compare_at_common_precision(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Sign of left - right (-1, 0, 1) comparing known prefixes at the precision both have.

    NaN where either side has no known year. ISO 8601 extended values of one precision
    order as text, so each precision is one vectorised string comparison.
    """
    left = np.asarray(left, dtype=object)
    right = np.asarray(right, dtype=object)
    left_length = np.fromiter(map(len, left), dtype=np.int64, count=len(left))
    right_length = np.fromiter(map(len, right), dtype=np.int64, count=len(right))
    common = np.minimum(left_length, right_length)
    result = np.full(len(left), np.nan)
    for precision in PRECISIONS:
        rows = np.flatnonzero(common == precision)
        if not len(rows):
            continue
        a = pd.Series(left[rows], dtype=object).str.slice(0, precision)
        b = pd.Series(right[rows], dtype=object).str.slice(0, precision)
        result[rows] = np.where(a > b, 1.0, np.where(a < b, -1.0, 0.0))
    return result


def _date_ordinal(value: Any) -> float:
    if not isinstance(value, str):
        return np.nan
    match = _COMPLETE_DATE.match(value)
    if match is None:
        return np.nan
    try:
        return float(dt.date.fromisoformat(match.group(1)).toordinal() - _EPOCH)
    except ValueError:
        return np.nan


def date_days(series: pd.Series, factors: Factors | None = None) -> np.ndarray:
    """Days since 1970-01-01 of the date portion of --DTC values; NaN unless a complete date."""
    return per_value(series, _date_ordinal, np.nan, dtype=float, factors=factors)


def first_rows(keys: pd.Series, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Among masked rows, the first row of each distinct key and how many rows share it."""
    selected = keys[mask]
    first = ~selected.duplicated(keep="first").to_numpy()
    counts = selected.map(selected.value_counts()).to_numpy()
    positions = np.flatnonzero(mask)
    return positions[first], counts[first]


def one_to_one_breaks(first: pd.Series, second: pd.Series, skip: np.ndarray | None = None
                      ) -> list[tuple[int, np.ndarray, pd.Series]]:
    """Where two columns stop being one-to-one (QNAM/QLABEL, PARAMCD/PARAM).

    For each side (0: a `first` value with a second partner, 1: a `second` value with a
    second partner) gives the mask of the rows where such a new pair first appears and
    each value's earlier partner. Rows in `skip` are ignored.
    """
    pairs = pd.DataFrame({0: first.to_numpy(), 1: second.to_numpy()})
    new_pair = ~pairs.duplicated(keep="first").to_numpy()
    if skip is not None:
        new_pair &= ~skip
    distinct = pairs[new_pair]
    breaks = []
    for own in (0, 1):
        later = distinct.duplicated(subset=[own], keep="first").to_numpy()
        if not later.any():
            continue
        mask = np.zeros(len(pairs), dtype=bool)
        mask[distinct.index[later]] = True
        earlier = distinct.drop_duplicates(subset=[own]).set_index(own)[1 - own]
        breaks.append((own, mask, earlier))
    return breaks
