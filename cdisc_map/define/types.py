"""Define-XML data types, lengths and significant digits, from the values themselves."""

from __future__ import annotations

import pandas as pd


def data_type(variable, values: pd.Series, subset: bool = False) -> tuple[str, int | None, int | None]:
    """Define-XML DataType, Length and SignificantDigits of one variable, or of the `subset` of its
    values under one condition (value-level metadata: the length is theirs, not the variable's)."""
    if variable.type == "Char":
        if variable.name.endswith("DTC"):
            return "datetime", None, None
        return "text", text_length(values) if subset else variable.length, None
    numbers = pd.Series(pd.unique(pd.to_numeric(values, errors="coerce").dropna().to_numpy()))  # per distinct value
    if numbers.empty or (numbers == numbers.round()).all():
        digits = int(numbers.abs().astype("int64").astype(str).str.len().max()) if not numbers.empty else 1
        return "integer", max(1, digits + int((numbers < 0).any())), None
    text = numbers.map(lambda v: repr(float(v)))
    decimals = int(text.str.split(".").str[-1].str.len().max())
    return "float", int(text.str.len().max()), decimals


def text_length(values: pd.Series) -> int:
    """The longest value in bytes (at least 1)."""
    if values.empty:
        return 1
    return max(1, max(len(str(v).encode("utf-8")) for v in pd.unique(values)))
