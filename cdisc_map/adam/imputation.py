"""SDTM dates to ADaM numeric dates, with partial dates imputed only by an explicit rule.

ADaM analyses on numbers: SAS dates (days since 1960-01-01) and datetimes (seconds
since 1960-01-01T00:00:00). SDTM keeps partial dates partial ("2024-03", "2024"),
and a partial date becomes a day only when a spec names the rule ("first", "mid" or
"last"), with the imputation flag saying how much was made up ("D": the day, "M":
the month and day), as ADaMIG's *DTF variables require. Everything is column-wise.
"""

from __future__ import annotations

import pandas as pd

SAS_EPOCH = pd.Timestamp("1960-01-01")
IMPUTATION_RULES = ("none", "first", "mid", "last")

#: Status of each value after conversion.
OK, IMPUTED, PARTIAL, MISSING, INVALID = "ok", "imputed", "partial", "missing", "invalid"

_ISO_DATE = r"^(?P<year>\d{4})(?:-(?P<month>\d{2}|-)(?:-(?P<day>\d{2}|-)(?:T.*)?)?)?$"
_ISO_DATETIME = r"^(?P<date>\d{4}-\d{2}-\d{2})T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?$"


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
    if impute not in IMPUTATION_RULES:
        raise ValueError(f"imputation rule must be one of {', '.join(IMPUTATION_RULES)}, not {impute!r}")
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        days = values.astype("float64")
        return _result(days, pd.Series("", index=values.index), days.notna().map({True: OK, False: MISSING}))
    if pd.api.types.is_datetime64_any_dtype(values):
        days = (values.dt.normalize() - SAS_EPOCH).dt.days.astype("float64")
        return _result(days, pd.Series("", index=values.index), days.notna().map({True: OK, False: MISSING}))
    return _from_iso(values.astype(object).where(values.notna(), "").astype(str).str.strip(), impute, floor)


def _from_iso(text: pd.Series, impute: str, floor: pd.Series | None) -> pd.DataFrame:
    parts = text.str.extract(_ISO_DATE)
    year = pd.to_numeric(parts["year"], errors="coerce")
    month = pd.to_numeric(parts["month"], errors="coerce")
    day = pd.to_numeric(parts["day"], errors="coerce").where(month.notna())  # a day without its month is no use
    empty = text == ""
    unknown_year = text.str.startswith("-")  # SDTM "-----T07:15": no date at all
    parsed = year.notna()
    complete = parsed & month.notna() & day.notna()

    exact = _days(year.where(complete), month, day)
    earliest = _days(year, month.fillna(1), day.fillna(1))
    month_end = _days(year, month.fillna(12), pd.Series(1, index=text.index))
    month_end = month_end + pd.Series((_timestamps(month_end) + pd.offsets.MonthEnd(0)).dt.day - 1,
                                      index=text.index).astype("float64")
    latest = exact.fillna(month_end)
    if impute == "first":
        guess = earliest
    elif impute == "last":
        guess = latest
    else:
        guess = _days(year, month.fillna(7), day.fillna(15).where(month.notna(), 1))

    status = pd.Series(INVALID, index=text.index, dtype=object)
    status[empty | unknown_year] = MISSING
    status[complete & exact.notna()] = OK
    partial = parsed & ~complete & earliest.notna()
    status[partial] = PARTIAL if impute == "none" else IMPUTED

    days = exact.where(status == OK)
    flag = pd.Series("", index=text.index, dtype=object)
    if impute != "none":
        imputed = status == IMPUTED
        if floor is not None:
            floor = floor.reindex(text.index)
            raise_to_floor = imputed & floor.notna() & (guess < floor) & (floor <= latest)
            guess = guess.where(~raise_to_floor, floor)
        days = days.where(~imputed, guess)
        flag[imputed & month.notna()] = "D"
        flag[imputed & month.isna()] = "M"
    return _result(days, flag, status)


def _days(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Days since 1960-01-01 of year/month/day columns; NaN where any is missing or the day does not exist."""
    known = year.notna() & month.notna() & day.notna()
    frame = pd.DataFrame({"year": year.where(known, 1960), "month": month.where(known, 1),
                          "day": day.where(known, 1)}).astype("int64")
    stamps = pd.to_datetime(frame, errors="coerce")
    days = (stamps - SAS_EPOCH).dt.days.astype("float64")
    return days.where(known)


def _timestamps(days: pd.Series) -> pd.Series:
    return SAS_EPOCH + pd.to_timedelta(days.fillna(0), unit="D")


def _result(days: pd.Series, flag: pd.Series, status: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"days": days.astype("float64"), "flag": flag.astype(object), "status": status.astype(object)})


def analysis_datetimes(values: pd.Series) -> pd.Series:
    """SAS datetime numbers (seconds since 1960-01-01T00:00) of ISO values with at least hours and minutes.

    Dates without a time, or with a partial time, give NaN: a time is never made up.
    Seconds not collected count as :00, which ADaMIG does not treat as imputation.
    """
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    parts = text.str.extract(_ISO_DATETIME)
    day = _from_iso(parts["date"].fillna(""), "none", None)["days"]
    hour, minute, second = (pd.to_numeric(parts[name], errors="coerce") for name in ("hour", "minute", "second"))
    valid = hour.le(23) & minute.le(59) & second.fillna(0).le(59)
    return (day * 86400 + hour * 3600 + minute * 60 + second.fillna(0)).where(valid).astype("float64")


def iso_of(days: pd.Series | float) -> pd.Series | str:
    """ISO 8601 text of SAS date numbers, for messages ("" where missing)."""
    if isinstance(days, pd.Series):
        return _timestamps(days).dt.strftime("%Y-%m-%d").where(days.notna(), "")
    if pd.isna(days):
        return ""
    return (SAS_EPOCH + pd.Timedelta(days=float(days))).strftime("%Y-%m-%d")
