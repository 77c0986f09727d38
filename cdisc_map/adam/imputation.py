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

from cdisc_map.core.distinct import per_distinct

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
    year, month, day, missing = _date_parts(text)  # missing: "" or "-----T07:15" (no date at all)
    day = np.where(np.isnan(month), np.nan, day)
    has_month, has_day = ~np.isnan(month), ~np.isnan(day)  # a day without its month is no use
    parsed = ~np.isnan(year)
    complete = parsed & has_month & has_day

    exact = _days(np.where(complete, year, np.nan), month, day)
    earliest = _days(year, np.where(has_month, month, 1), np.where(has_day, day, 1))
    month_end = _days(year, np.where(has_month, month, 12), np.ones(len(text)), last=True)
    latest = np.where(np.isnan(exact), month_end, exact)
    if impute == "first":
        guess = earliest
    elif impute == "last":
        guess = latest
    else:
        guess = _days(year, np.where(has_month, month, 7), np.where(has_day, day, np.where(has_month, 15, 1)))

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


def _date_parts(text: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day numbers of `_ISO_DATE` (NaN where absent or "-"), and where the text is "" or starts
    with "-"; read character by character where `_plain` allows, else by the regular expression."""
    codes, lengths, plain = _plain(text)
    year, month, day = (np.full(len(text), np.nan) for _ in range(3))
    missing = np.zeros(len(text), dtype=bool)
    if not plain.all():
        other = text[~plain]
        parts = other.str.extract(_ISO_DATE)
        for target, name in ((year, "year"), (month, "month"), (day, "day")):
            target[~plain] = pd.to_numeric(parts[name], errors="coerce").to_numpy("float64")
        missing[~plain] = ((other == "") | other.str.startswith("-")).to_numpy(bool)
    chars, lengths = codes[plain], lengths[plain]
    rows = np.arange(len(chars))
    digit = (chars >= ord("0")) & (chars <= ord("9"))
    number = chars.astype("int64") - ord("0")

    def two_digits(at: np.ndarray) -> np.ndarray:
        return digit[rows, at] & digit[rows, at + 1]

    def is_char(at: np.ndarray | int, char: str) -> np.ndarray:
        return chars[rows, at] == ord(char)

    # YYYY, then -MM or --, then -DD or --, then the end or T and anything
    month_at = np.full(len(chars), 5)
    month_digits = is_char(4, "-") & two_digits(month_at)
    month_part = month_digits | (is_char(4, "-") & is_char(5, "-"))
    day_at = np.where(month_digits, 8, 7)
    day_digits = is_char(day_at - 1, "-") & two_digits(day_at)
    day_part = day_digits | (is_char(day_at - 1, "-") & is_char(day_at, "-"))
    after_day = np.where(day_digits, day_at + 2, day_at + 1)
    matched = digit[:, :4].all(axis=1) & (
        (lengths == 4)
        | month_part & (lengths == day_at - 1)
        | month_part & day_part & ((lengths == after_day) | is_char(after_day, "T")))
    year[plain] = np.where(matched, number[:, 0] * 1000 + number[:, 1] * 100 + number[:, 2] * 10 + number[:, 3],
                           np.nan)
    month[plain] = np.where(matched & month_digits, number[:, 5] * 10 + number[:, 6], np.nan)
    day[plain] = np.where(matched & month_part & day_digits,
                          number[rows, day_at] * 10 + number[rows, day_at + 1], np.nan)
    missing[plain] = (lengths == 0) | is_char(0, "-")
    return year, month, day, missing


_PLAIN_WIDTH = 32


def _plain(text: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Character codes (one row per value, 0 past its end) and lengths of `text`, and which values are plain:
    short, ASCII and on one line, so that reading them by position is the same as by regular expression."""
    values = text.to_numpy(dtype=object)
    lengths = text.str.len().to_numpy("int64") if len(values) else np.zeros(0, dtype="int64")
    codes = np.zeros((len(values), _PLAIN_WIDTH + 3), dtype=np.uint32)  # 0 columns: room to look past the end
    plain = lengths <= _PLAIN_WIDTH
    if plain.any():
        short = values[plain].astype(f"<U{_PLAIN_WIDTH}")
        codes[plain, :_PLAIN_WIDTH] = short.view(np.uint32).reshape(-1, _PLAIN_WIDTH)
        plain[plain] = np.char.str_len(short) == lengths[plain]  # the conversion drops trailing NULs
    plain &= (codes < 128).all(axis=1) & ~(codes == ord("\n")).any(axis=1)
    return codes, lengths, plain


_EPOCH_DAY = np.datetime64("1960-01-01", "D")


def _days(year: np.ndarray, month: np.ndarray, day: np.ndarray, last: bool = False) -> np.ndarray:
    """Days since 1960-01-01 (proleptic Gregorian) of year/month/day numbers; NaN where any is missing or the
    day does not exist. With `last`, the last day of the month instead of `day`."""
    known = ~(np.isnan(year) | np.isnan(month) | np.isnan(day))
    year_, month_, day_ = (np.where(known, part, 1).astype("int64") for part in (year, month, day))
    valid = known & (month_ >= 1) & (month_ <= 12) & (day_ >= 1)
    months = ((year_ - 1970) * 12 + np.clip(month_, 1, 12) - 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype("int64")
    if last:
        day_ = length
    valid &= day_ <= length
    return np.where(valid, (first - _EPOCH_DAY).astype("int64") + day_ - 1, np.nan)


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
    day, hour, minute, second = _datetime_parts(text)
    second = np.where(np.isnan(second), 0, second)
    valid = (hour <= 23) & (minute <= 59) & (second <= 59)
    seconds = np.where(valid, day * 86400 + hour * 3600 + minute * 60 + second, np.nan)
    return pd.Series(seconds, index=values.index, dtype="float64")


def _datetime_parts(text: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """SAS date, hour, minute and second numbers of `_ISO_DATETIME` (NaN where absent); read character by
    character where `_plain` allows, else by the regular expression."""
    codes, lengths, plain = _plain(text)
    day, hour, minute, second = (np.full(len(text), np.nan) for _ in range(4))
    if not plain.all():
        parts = text[~plain].str.extract(_ISO_DATETIME)
        day[~plain] = _from_iso(parts["date"].fillna(""), "none")["days"].to_numpy("float64")
        for target, name in ((hour, "hour"), (minute, "minute"), (second, "second")):
            target[~plain] = pd.to_numeric(parts[name], errors="coerce").to_numpy("float64")
    chars, lengths = codes[plain], lengths[plain]
    digit = (chars >= ord("0")) & (chars <= ord("9"))
    number = chars.astype("int64") - ord("0")

    def digits(*at: int) -> np.ndarray:
        return digit[:, list(at)].all(axis=1)

    def value(first: int, count: int) -> np.ndarray:
        return sum(number[:, first + i] * 10 ** (count - 1 - i) for i in range(count))

    # YYYY-MM-DDTHH:MM, then the end, or :SS then the end or a decimal point and at least one digit
    position = np.arange(chars.shape[1])
    fraction = (chars[:, 19] == ord(".")) & (lengths >= 21) & (digit | (position < 20) | (position >= lengths[:, None])
                                                                ).all(axis=1)
    with_seconds = (chars[:, 16] == ord(":")) & digits(17, 18) & ((lengths == 19) | fraction)
    matched = digits(0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15) & (chars[:, [4, 7]] == ord("-")).all(axis=1) & \
        (chars[:, 10] == ord("T")) & (chars[:, 13] == ord(":")) & ((lengths == 16) | with_seconds)
    day[plain] = np.where(matched, _days(value(0, 4).astype("float64"), value(5, 2).astype("float64"),
                                         value(8, 2).astype("float64")), np.nan)
    hour[plain] = np.where(matched, value(11, 2), np.nan)
    minute[plain] = np.where(matched, value(14, 2), np.nan)
    second[plain] = np.where(matched & with_seconds, value(17, 2), np.nan)
    return day, hour, minute, second


def iso_of(days: pd.Series | float) -> pd.Series | str:
    """ISO 8601 text of SAS date numbers, for messages ("" where missing)."""
    if isinstance(days, pd.Series):
        return _timestamps(days).dt.strftime("%Y-%m-%d").where(days.notna(), "")
    if pd.isna(days):
        return ""
    return (SAS_EPOCH + pd.Timedelta(days=float(days))).strftime("%Y-%m-%d")
