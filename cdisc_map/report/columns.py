"""Text columns as the report compares them: trimmed, "" for missing, each distinct value worked once.

SDTM and ADaM columns repeat a handful of values over many records (95,000 RS records,
four RSSTRESC values), so the trimming and upper-casing are done per distinct value
(`cdisc_map.core.distinct`), and the distinct subjects are taken before any Python loop.
"""

from __future__ import annotations

import pandas as pd

from cdisc_map.core.distinct import per_distinct


def trimmed(values: pd.Series, upper: bool = False) -> pd.Series:
    """The column as text: blanks trimmed, "" for missing, upper case when asked (to compare)."""
    def work(part: pd.Series) -> pd.Series:
        text = part.astype(object).where(part.notna(), "").astype(str).str.strip()
        return (text.str.upper() if upper else text).astype(object)

    return per_distinct(values, work)


def column_text(frame: pd.DataFrame, column: str, upper: bool = False) -> pd.Series:
    """`trimmed(frame[column])`, or "" in every record when the frame has no such column."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return trimmed(frame[column], upper)


def distinct_text(values: pd.Series) -> list[str]:
    """The distinct non-blank values, trimmed, in order of first appearance."""
    texts = (str(value).strip() for value in pd.unique(values.dropna()))  # " S-1" and "S-1" are one subject
    return [text for text in dict.fromkeys(texts) if text]
