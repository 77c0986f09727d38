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

from cdisc_map.core.dates import IsoParts, iso_datetime_parts, iso_day_span, iso_to_date, parse_iso
from cdisc_map.core.distinct import per_distinct_text
from cdisc_map.core.problems import DateError
from cdisc_map.core.text import numbers_as_text

PRECISIONS = (4, 7, 10, 13, 16, 19)  # year, month, day, hour, minute, second
# A decimal number as --STRESC or a codelist value writes one (no "inf", "nan" or "1_000").
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
SIGNIFICANT_DIGITS = 15  # what a double holds exactly in decimal; IBM-float noise lies beyond


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
        return series.isna().to_numpy(copy=True)  # the caller may combine it in place
    codes, uniques = factors if factors is not None else factorize(series)
    empty = [index for index, value in enumerate(_as_list(uniques)) if value == ""]
    missing = codes == -1
    return missing | (codes == empty[0]) if empty else missing


def text(series: pd.Series) -> pd.Series:
    """The column as str with "" for missing (numbers as `core.text.number_text` writes them)."""
    return numbers_as_text(series)


def number_key(value: Any) -> float:
    """A number rounded to 15 significant digits, NaN for anything else: equal keys are the
    same number as a person reads it.

    SAS stores numbers as IBM floats, which read back as IEEE doubles a few units in the
    last place away (1.2 becomes 1.2000000000000002), so values from a transport file
    and from define.xml or another dataset are compared by key, never as text.
    """
    if isinstance(value, str):
        text_value = value.strip()
        if not _DECIMAL.fullmatch(text_value):
            return np.nan
        value = float(text_value)
    if value is None or isinstance(value, bool):
        return np.nan
    try:
        number = float(value)
    except (TypeError, ValueError):
        return np.nan
    if not np.isfinite(number):
        return np.nan
    return float(f"{number:.{SIGNIFICANT_DIGITS}g}")


def number_keys(series: pd.Series) -> np.ndarray:
    """`number_key` of every row (text parsed as a decimal number), once per distinct value."""
    if is_text(series):
        return per_value(series, number_key, np.nan, dtype=float)
    values = series.to_numpy(dtype=float)
    keys = np.full(len(values), np.nan)
    finite = np.isfinite(values)
    if finite.any():
        keys[finite] = per_value(pd.Series(values[finite]), number_key, np.nan, dtype=float)
    return keys


def known_prefixes(series: pd.Series) -> np.ndarray:
    return dtc_parts(series)[1]


def known_prefix(value: str, parts: IsoParts) -> str:
    """The text of a valid --DTC value before its first unknown component, without fractions:
    a valid value is laid out YYYY-MM-DDThh:mm:ss up to there, so it is a slice of it."""
    known = 0
    for component in (parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second):
        if component is None:
            break
        known += 1
    return value.strip()[:PRECISIONS[known - 1]] if known else ""


def dtc_parts(series: pd.Series, factors: Factors | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """(problem, known prefix) of every --DTC value, each distinct value parsed once by
    `core.dates.parse_iso`: the problem is "" for a valid (or empty) value."""
    codes, uniques = factors if factors is not None else factorize(series)
    problems = np.empty(len(uniques) + 1, dtype=object)
    prefixes = np.empty(len(uniques) + 1, dtype=object)
    values = _as_list(uniques)
    plain = _plain_complete(values)  # most values: complete dates or date-times, checked with numpy
    problems[:-1][plain] = ""
    prefixes[:-1][plain] = np.array(values, dtype=object)[plain] if len(values) else []
    for index in np.flatnonzero(~plain):
        value = values[index]
        if not isinstance(value, str):
            problems[index], prefixes[index] = f"{value!r} is not text", ""
            continue
        try:
            parts = parse_iso(value)
        except DateError as error:
            problems[index], prefixes[index] = str(error), ""
            continue
        problems[index] = "surrounding blanks" if value != value.strip() else ""
        prefixes[index] = known_prefix(value, parts)
    problems[-1] = prefixes[-1] = ""
    return problems[codes], prefixes[codes]


_PLAIN_DTC = r"[1-9]\d{3}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?)?"


def _plain_complete(values: list) -> np.ndarray:
    """Which values are valid complete dates or date-times without fractions or zones
    (2024-03-05, 2024-03-05T14:30, 2024-03-05T14:30:15): what `parse_iso` accepts whole,
    decided with numpy for all at once; anything else goes through `parse_iso`."""
    if not values:
        return np.zeros(0, dtype=bool)
    text = pd.Series(values, dtype=object)
    shaped = text.map(lambda v: isinstance(v, str)).to_numpy(bool).copy()
    shaped[shaped] = text[shaped].astype(str).str.fullmatch(_PLAIN_DTC).to_numpy(bool)
    if not shaped.any():
        return shaped
    candidates = text[shaped].astype(str).reset_index(drop=True)
    day, hour, minute, second = iso_datetime_parts(candidates)
    timed = candidates.str.len().to_numpy() > 10
    seconds = candidates.str.len().to_numpy() > 16
    valid = ~np.isnan(day) & (~timed | ((hour <= 23) & (minute <= 59))) & (~seconds | (second <= 59))
    shaped[shaped] = valid
    return shaped


_SAS_TO_UNIX_DAYS = (dt.date(1970, 1, 1) - dt.date(1960, 1, 1)).days


def day_bounds(prefixes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the first and last day a --DTC value can mean (a partial date spans its month
    or year), as days since 1970-01-01, from the known prefixes `dtc_parts` gives; NaN where
    there is no known year. Each distinct prefix is read once, by `core.dates.iso_day_span`."""
    first, last = per_distinct_text(pd.Series(prefixes, dtype=object), _prefix_span)
    return first - _SAS_TO_UNIX_DAYS, last - _SAS_TO_UNIX_DAYS


def _prefix_span(prefixes: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    return iso_day_span(prefixes.str.slice(0, 10))


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


def date_days(series: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 of the date portion of --DTC values; NaN unless a complete date."""
    dates = iso_to_date(series.astype(object).where(series.notna(), ""))
    days = (dates.to_numpy(dtype="datetime64[ns]") - np.datetime64("1970-01-01", "ns")) \
        / np.timedelta64(1, "D")
    return np.where(pd.isna(dates).to_numpy(), np.nan, np.floor(days))


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
