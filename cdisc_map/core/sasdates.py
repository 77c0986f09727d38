"""SDTM dates to ADaM numeric dates, with partial dates imputed only by an explicit rule.

ADaM analyses on numbers: SAS dates (days since 1960-01-01) and datetimes (seconds
since 1960-01-01T00:00:00). SDTM keeps partial dates partial ("2024-03", "2024"),
and a partial date becomes a day only when a spec names the rule ("first", "mid" or
"last"), with the imputation flag saying how much was made up ("D": the day, "M":
the month and day), as ADaMIG's *DTF variables require. Everything is column-wise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_map.core.dates import calendar_days, iso_date_parts, iso_datetime_parts
from cdisc_map.core.distinct import per_distinct

SAS_EPOCH = pd.Timestamp("1960-01-01")
IMPUTATION_RULES = ("none", "first", "mid", "last")

#: Status of each value after conversion.
OK, IMPUTED, PARTIAL, MISSING, INVALID = "ok", "imputed", "partial", "missing", "invalid"

def analysis_dates(values: pd.Series, impute: str = "none", floor: pd.Series | None = None) -> pd.DataFrame:
    """SAS date numbers of `values` (ISO 8601 text, SAS date numbers or datetime64).

    Returns a frame on the same index with `days` (float, NaN when unusable), `flag`
    ("", "D" or "M") and `status` (ok, imputed, partial, missing, invalid). Only the
    date part of a date/time counts. With a rule other than "none", a partial date is
    imputed (first: the 1st / 1 January; mid: the 15th / 1 July; last: the month's or
    the year's last day); when `floor` (SAS dates) is given and falls inside the
    partial date's possible range, an imputed date earlier than the floor is raised
    to it, so that an imputation never puts an event before the start of the risk.
    """
    parsed = parse_dates(values, impute)
    if floor is None or impute == "none":
        return parsed[["days", "flag", "status"]]
    return raised_to_floor(parsed, floor.reindex(values.index))


def parse_dates(values: pd.Series, impute: str = "none") -> pd.DataFrame:
    """`analysis_dates` without a floor, with the `latest` day each imputed date allows, for `raised_to_floor`.

    Each distinct value is parsed once.
    """
    if impute not in IMPUTATION_RULES:
        raise ValueError(f"imputation rule must be one of {', '.join(IMPUTATION_RULES)}, not {impute!r}")
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        days = values.astype("float64")
        return _result(days, pd.Series("", index=values.index), days.notna().map({True: OK, False: MISSING}),
                       pd.Series(float("nan"), index=values.index))
    if pd.api.types.is_datetime64_any_dtype(values):
        days = (values.dt.normalize() - SAS_EPOCH).dt.days.astype("float64")
        return _result(days, pd.Series("", index=values.index), days.notna().map({True: OK, False: MISSING}),
                       pd.Series(float("nan"), index=values.index))
    return per_distinct(values, lambda distinct: _from_iso(_iso_text(distinct), impute))


def raised_to_floor(parsed: pd.DataFrame, floor: pd.Series) -> pd.DataFrame:
    """Dates of `parse_dates` where an imputed date earlier than `floor` (on the same index) is raised to it,
    if the floor is a day the partial date allows."""
    days = parsed["days"]
    raise_to_floor = (parsed["status"] == IMPUTED) & floor.notna() & (days < floor) & (floor <= parsed["latest"])
    return _result(days.where(~raise_to_floor, floor), parsed["flag"], parsed["status"])


def _iso_text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def _from_iso(text: pd.Series, impute: str) -> pd.DataFrame:
    """`days`, `flag` and `status` of ISO text, with the partial date's `latest` possible day (for the floor)."""
    year, month, day, missing = iso_date_parts(text)  # missing: "" or "-----T07:15" (no date at all)
    day = np.where(np.isnan(month), np.nan, day)
    has_month, has_day = ~np.isnan(month), ~np.isnan(day)  # a day without its month is no use
    parsed = ~np.isnan(year)
    complete = parsed & has_month & has_day

    exact = calendar_days(np.where(complete, year, np.nan), month, day)
    earliest = calendar_days(year, np.where(has_month, month, 1), np.where(has_day, day, 1))
    month_end = calendar_days(year, np.where(has_month, month, 12), np.ones(len(text)), last=True)
    latest = np.where(np.isnan(exact), month_end, exact)
    if impute == "first":
        guess = earliest
    elif impute == "last":
        guess = latest
    else:
        guess = calendar_days(year, np.where(has_month, month, 7), np.where(has_day, day, np.where(has_month, 15, 1)))

    ok = complete & ~np.isnan(exact)
    partial = parsed & ~complete & ~np.isnan(earliest)
    status = np.select([partial, ok, missing], [PARTIAL if impute == "none" else IMPUTED, OK, MISSING],
                       INVALID).astype(object)
    days = np.where(ok, exact, np.nan)
    flag = np.full(len(text), "", dtype=object)
    if impute != "none":
        days = np.where(partial, guess, days)
        flag[partial] = np.where(has_month[partial], "D", "M")
    return _result(pd.Series(days, index=text.index), pd.Series(flag, index=text.index),
                   pd.Series(status, index=text.index), pd.Series(latest, index=text.index))


def _timestamps(days: pd.Series) -> pd.Series:
    return SAS_EPOCH + pd.to_timedelta(days.fillna(0), unit="D")


def _result(days: pd.Series, flag: pd.Series, status: pd.Series, latest: pd.Series | None = None) -> pd.DataFrame:
    result = pd.DataFrame({"days": days.astype("float64"), "flag": flag.astype(object),
                           "status": status.astype(object)})
    if latest is not None:
        result["latest"] = latest  # the last day a partial date allows, for the floor
    return result


def analysis_datetimes(values: pd.Series) -> pd.Series:
    """SAS datetime numbers (seconds since 1960-01-01T00:00) of ISO values with at least hours and minutes.

    Dates without a time, or with a partial time, give NaN: a time is never made up.
    Seconds not collected count as :00, which ADaMIG does not treat as imputation.
    """
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    return per_distinct(values, _datetimes_from_iso)


def _datetimes_from_iso(values: pd.Series) -> pd.Series:
    text = _iso_text(values)
    day, hour, minute, second = iso_datetime_parts(text)
    second = np.where(np.isnan(second), 0, second)
    valid = (hour <= 23) & (minute <= 59) & (second <= 59)
    seconds = np.where(valid, day * 86400 + hour * 3600 + minute * 60 + second, np.nan)
    return pd.Series(seconds, index=values.index, dtype="float64")


def iso_of(days: pd.Series | float) -> pd.Series | str:
    """ISO 8601 text of SAS date numbers, for messages ("" where missing)."""
    if isinstance(days, pd.Series):
        return _timestamps(days).dt.strftime("%Y-%m-%d").where(days.notna(), "")
    if pd.isna(days):
        return ""
    return (SAS_EPOCH + pd.Timedelta(days=float(days))).strftime("%Y-%m-%d")
