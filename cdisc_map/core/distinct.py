"""Column-wise work done once per distinct value, then spread back over the rows.

SDTM columns repeat heavily: 95,000 RS records hold a few hundred distinct dates, a
handful of test codes and one USUBJID per subject. Parsing, trimming or comparing
each distinct value (or combination of values) once and taking the results back by
position gives the same output as working on every row, at a fraction of the cost.
The functions given here must be element-wise (row i of the result depends only on
row i of the input) and treat every missing value (None, NaN, NA) alike, as they do
equal numbers (0.0 and -0.0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd

Result = TypeVar("Result", pd.Series, pd.DataFrame)


def per_distinct(values: pd.Series, func: Callable[[pd.Series], Result]) -> Result:
    """`func(values)`, computed on one row per distinct value; on `values`' index."""
    keys = distinct_keys([values])
    if keys is None:
        return func(values)
    rows, inverse = keys
    return _spread(func(values.iloc[rows]), inverse, values.index)


def per_distinct_rows(frame: pd.DataFrame, columns: list[str],
                      func: Callable[[pd.DataFrame], Result]) -> Result:
    """`func(frame)` for a func reading only `columns`, computed on one row per distinct combination."""
    keys = distinct_keys([frame[column] for column in columns])
    if keys is None:
        return func(frame)
    rows, inverse = keys
    return _spread(func(frame.iloc[rows]), inverse, frame.index)


def per_distinct_text(values: pd.Series, func: Callable[[pd.Series], tuple[np.ndarray, ...]]
                      ) -> tuple[np.ndarray, ...]:
    """`func` of the distinct texts of `values` (each value as str), its arrays spread back over the
    rows; NaN on rows with no value. For the --DTC readers of `core.dates`, which return arrays."""
    codes, distinct = pd.factorize(values.astype(str))
    if not len(distinct):
        return tuple(np.full(len(codes), np.nan) for _ in range(len(func(pd.Series([], dtype=object)))))
    return tuple(np.where(codes < 0, np.nan, part[codes]) for part in func(pd.Series(distinct, dtype=object)))


def distinct_keys(columns: list[pd.Series]) -> tuple[np.ndarray, np.ndarray] | None:
    """(one row of each combination of values, each row's combination number).

    None when grouping could merge values a function may tell apart (an object column
    mixing 1, 1.0 and True, say), or when there is little to gain (no rows, or about as
    many combinations as rows): the caller then works on every row.
    """
    if not columns or len(columns[0]) == 0:
        return None
    combined: np.ndarray | None = None
    for column in columns:
        codes = _codes(column)
        if codes is None:
            return None
        codes = codes.astype("int64") + 1  # missing (-1) becomes a group of its own
        combined = codes if combined is None else combined * (int(codes.max()) + 1) + codes
        if len(columns) > 1:
            combined, _ = pd.factorize(combined)  # keeps the numbers small
    count = int(combined.max()) + 1
    if count > len(combined) // 2:
        return None
    sample = np.zeros(count, dtype="int64")
    sample[combined] = np.arange(len(combined), dtype="int64")  # a row of each (row 0 for a number no row has)
    return sample, combined


def _codes(column: pd.Series) -> np.ndarray | None:
    """Factorize codes of a column whose equal values are truly interchangeable, else None."""
    if not isinstance(column, pd.Series):  # a name given to two columns
        return None
    dtype = column.dtype
    if pd.api.types.is_object_dtype(dtype):
        if pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty"):
            return None
    elif not (pd.api.types.is_string_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)
              or pd.api.types.is_datetime64_any_dtype(dtype)):
        return None
    codes, _uniques = pd.factorize(column, use_na_sentinel=True)
    return codes


def _spread(result: Result, inverse: np.ndarray, index: pd.Index) -> Result:
    spread = result.iloc[inverse]
    spread.index = index
    return spread
