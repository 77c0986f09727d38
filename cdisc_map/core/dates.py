"""Raw dates and times to SDTM ISO 8601 --DTC values.

A wrong date is worse than a missing one: it moves study days, baseline flags and
time-to-event results without anyone noticing. So this module never guesses. It
reads ISO 8601 and DD-MON-YYYY on its own, any other layout only from an explicit
format, refuses two-digit years and day/month guesses, and raises `DateError` with
the reason for anything impossible.

Partial dates follow SDTMIG 3.4 section 4.4.2 (Date/Time Precision): unknown trailing
parts are right-truncated ("UN-MAR-2024" -> "2024-03"), an unknown part in the middle
is a single hyphen with its delimiters kept ("15-UNK-2024" -> "2024---15",
"05-MAR-2024 UN:30" -> "2024-03-05T-:30"). Unknown parts may be written UN, UK, UNK or
UNKN in any case. An entirely unknown date is a missing date (None): SDTMIG says a
completely missing date/time is null. A raw value that gives a time but not the day
("UN-MAR-2024 14:30") is an error to query; a value already in SDTM form, such as
SDTMIG's own "-----T07:15", is taken as written.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from cdisc_map.core.problems import DateError

__all__ = [
    "IsoParts",
    "calendar_days",
    "convert_column",
    "is_complete_date",
    "iso_complete_days",
    "iso_date_parts",
    "iso_datetime_parts",
    "iso_day_and_minute",
    "iso_day_span",
    "iso_to_date",
    "parse_iso",
    "to_iso8601",
    "validate_format",
]

UNKNOWN_WORDS = frozenset({"UN", "UK", "UNK", "UNKN"})
MONTH_ABBREVIATIONS = {
    name: number
    for number, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}
# Fixed English names: calendar.month_name follows the locale, messages must not.
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class IsoParts(NamedTuple):
    """The components of a date/time; None is unknown or not collected."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    hour: int | None = None
    minute: int | None = None
    second: int | None = None
    fraction: str = ""  # decimal fraction of the second as written, e.g. ".123"

    @property
    def has_time(self) -> bool:
        return any(part is not None for part in (self.hour, self.minute, self.second))

    @property
    def is_complete_date(self) -> bool:
        return None not in (self.year, self.month, self.day)

    def to_iso(self) -> str | None:
        """The SDTM --DTC text: right-truncated, '-' for an unknown middle part; None if all unknown."""
        parts = (self.year, self.month, self.day, self.hour, self.minute, self.second)
        known = [index for index, part in enumerate(parts) if part is not None]
        if not known:
            return None
        pieces = []
        for index in range(known[-1] + 1):
            pieces.append(("", "-", "-", "T", ":", ":")[index])
            part = parts[index]
            if part is None:
                pieces.append("-")
            else:
                pieces.append(f"{part:04d}" if index == 0 else f"{part:02d}")
        if known[-1] == 5:
            pieces.append(self.fraction)
        return "".join(pieces)


# --- validation of components ---------------------------------------------------------


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(month: int, year: int | None) -> int:
    if month == 2 and (year is None or _is_leap(year)):
        return 29  # with the year unknown, 29 February may exist
    return _DAYS_IN_MONTH[month - 1]


def _check_calendar(parts: IsoParts) -> None:
    """Raise DateError naming the first component that cannot exist."""
    if parts.year is not None and parts.year == 0:
        raise DateError("year 0000 is not a year")
    if parts.month is not None and not 1 <= parts.month <= 12:
        raise DateError(f"month {parts.month} is not a month")
    if parts.day is not None:
        if not 1 <= parts.day <= 31:
            raise DateError(f"day {parts.day} is not a day of any month")
        if parts.month is not None and parts.day > _days_in_month(parts.month, parts.year):
            where = MONTH_NAMES[parts.month - 1]
            if parts.year is not None:
                where += f" {parts.year:04d}"
            raise DateError(f"day {parts.day} does not exist in {where}")
    if parts.hour is not None and not 0 <= parts.hour <= 23:
        raise DateError(f"hour {parts.hour} is not an hour of the day (00 to 23)")
    if parts.minute is not None and not 0 <= parts.minute <= 59:
        raise DateError(f"minute {parts.minute} is not a minute (00 to 59)")
    if parts.second is not None and not 0 <= parts.second <= 59:
        raise DateError(f"second {parts.second} is not a second (00 to 59)")


# --- ISO 8601 -------------------------------------------------------------------------


def _iso_pattern(lenient: bool) -> re.Pattern[str]:
    """ISO 8601 extended form with SDTM placeholders; lenient also takes UNK words and a space before the time."""
    unknown = "-|UNKN|UNK|UN|UK" if lenient else "-"

    def part(name: str, digits: str) -> str:
        return rf"(?:(?P<{name}>{digits})|{unknown})"

    two, four = r"\d{2}", r"\d{4}"
    second = rf"(?:(?P<second>{two})(?P<fraction>\.\d+)?|{unknown})"
    time = rf"{part('hour', two)}(?::{part('minute', two)}(?::{second})?)?"
    separator = "[T ]" if lenient else "T"
    date = rf"{part('year', four)}(?:-{part('month', two)}(?:-{part('day', two)}(?:{separator}{time})?)?)?"
    # an SDTM value is ASCII: \d alone would also take other scripts' digits ("２０２４")
    return re.compile(date, re.IGNORECASE if lenient else re.ASCII)


_ISO_STRICT = _iso_pattern(lenient=False)
_ISO_LENIENT = _iso_pattern(lenient=True)


def _match_iso(text: str, pattern: re.Pattern[str]) -> IsoParts | None:
    match = pattern.fullmatch(text)
    if match is None:
        return None
    groups = match.groupdict()
    numbers = {name: int(groups[name]) if groups[name] is not None else None
               for name in ("year", "month", "day", "hour", "minute", "second")}
    parts = IsoParts(**numbers, fraction=groups["fraction"] or "")
    _check_calendar(parts)
    return parts


def parse_iso(value: str) -> IsoParts:
    """Components of an SDTM --DTC value (complete, right-truncated or with '-' placeholders).

    An empty value is the SDTM null: all components None. Raises DateError when the
    text is not an SDTM ISO 8601 date/time or names a day that does not exist.
    """
    text = value.strip()
    if not text:
        return IsoParts()
    parts = _match_iso(text, _ISO_STRICT)
    if parts is None:
        raise DateError(f"{text!r} is not an ISO 8601 date/time (YYYY-MM-DDThh:mm:ss)")
    return parts


def is_complete_date(value: Any) -> bool:
    """True when value is an SDTM --DTC value with year, month and day all known (and valid)."""
    if not isinstance(value, str):
        return False
    try:
        return parse_iso(value).is_complete_date
    except DateError:
        return False


def iso_to_date(series: pd.Series) -> pd.Series:
    """The date portion of SDTM --DTC values as datetime64, NaT where partial, missing or impossible.

    For study-day and age arithmetic, which only complete dates support. Each distinct
    value is parsed once: a study has far fewer distinct dates than records.
    """
    codes, distinct = pd.factorize(series.astype("str"), use_na_sentinel=True)
    days = iso_complete_days(pd.Series(distinct, dtype=object))
    dates = np.where(np.isnan(days), np.datetime64("NaT"), _EPOCH_DAY + np.nan_to_num(days).astype("int64")
                     ).astype("datetime64[ns]")
    values = dates[codes] if len(dates) else np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
    values = np.where(codes < 0, np.datetime64("NaT"), values)
    return pd.Series(values, index=series.index, name=series.name)


def iso_complete_days(text: pd.Series) -> np.ndarray:
    """SAS date numbers (days since 1960-01-01) of the complete dates among --DTC text values: NaN where the
    date is partial, missing, impossible or not ISO 8601. Only the date part of a date/time counts."""
    year, month, day, _missing = iso_date_parts(text)
    return calendar_days(year, month, np.where(np.isnan(month), np.nan, day))


def iso_day_and_minute(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """SAS day number of the complete date, and minute of the day when a time with hours and minutes is
    given (NaN otherwise), of --DTC text values: what comparing two record dates needs."""
    day = iso_complete_days(text)
    _day, hour, minute, _second = iso_datetime_parts(text)
    return day, np.where(np.isnan(_day), np.nan, hour * 60 + minute)


def iso_day_span(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """SAS day numbers of the first and the last calendar day a --DTC value may be: the same day for a
    complete date, the month's or the year's first and last days for a partial one (YYYY-MM, YYYY, or
    YYYY---DD, whose day means nothing without its month); NaN where there is no year."""
    year, month, day, _missing = iso_date_parts(text)
    has_month, has_day = ~np.isnan(month), ~np.isnan(month) & ~np.isnan(day)
    first = calendar_days(year, np.where(has_month, month, 1), np.where(has_day, day, 1))
    last = np.where(has_day, first, calendar_days(year, np.where(has_month, month, 12), np.ones(len(text)),
                                                  last=True))
    return first, last


# --- formats --------------------------------------------------------------------------

_TOKEN = re.compile(r"YYYY|MON|DD|MM|HH|SS")
_DATE_KINDS = ("year", "month", "day")
_TIME_KINDS = ("hour", "minute", "second")
_FIXED_WIDTH = {"year": 4, "month_abbr": 3}


@dataclass(frozen=True)
class _Format:
    text: str
    pattern: re.Pattern[str]
    has_date: bool


def _tokenize(fmt: str) -> list[tuple[str, str]]:
    """("token", kind) and ("literal", text) items; MM after HH is minutes, before it the month."""
    items: list[tuple[str, str]] = []
    position = 0
    seen_hour = False
    for match in _TOKEN.finditer(fmt):
        if match.start() > position:
            items.append(("literal", fmt[position:match.start()]))
        token = match.group()
        if token == "MM":
            kind = "minute" if seen_hour else "month"
        else:
            kind = {"YYYY": "year", "MON": "month_abbr", "DD": "day", "HH": "hour", "SS": "second"}[token]
        seen_hour = seen_hour or token == "HH"
        items.append(("token", kind))
        position = match.end()
    if position < len(fmt):
        items.append(("literal", fmt[position:]))
    return items


def _check_tokens(fmt: str, kinds: list[str]) -> None:
    named = ["month" if kind == "month_abbr" else kind for kind in kinds]
    if len(set(named)) != len(named):
        raise ValueError(f"date format {fmt!r} names a part twice")
    dates = [kind for kind in named if kind in _DATE_KINDS]
    times = [kind for kind in named if kind in _TIME_KINDS]
    if dates and times and named.index(times[0]) < named.index(dates[-1]):
        raise ValueError(f"date format {fmt!r}: the time must follow the date")
    for group, order in ((dates, _DATE_KINDS), (times, _TIME_KINDS)):
        if set(group) != set(order[: len(group)]):
            wanted = " and ".join(order[: len(group)])
            raise ValueError(f"date format {fmt!r} must have {wanted} (only the smallest parts may be left out)")


@lru_cache(maxsize=256)
def _compile(fmt: str) -> _Format:
    """Regex for a format hint; each part captures a run of letters/digits, checked afterwards."""
    items = _tokenize(fmt)
    kinds = [value for item, value in items if item == "token"]
    if not kinds:
        raise ValueError(f"date format {fmt!r} has none of YYYY, MM, MON, DD, HH, SS")
    _check_tokens(fmt, kinds)
    has_date = any(kind not in _TIME_KINDS for kind in kinds)
    pieces = []
    for index, (item, value) in enumerate(items):
        if item == "literal":
            pieces.append(r"\s+".join(re.escape(chunk) for chunk in re.split(r"\s+", value)))
            continue
        next_to_token = any(
            0 <= other < len(items) and items[other][0] == "token" for other in (index - 1, index + 1)
        )
        width = f"{{{_FIXED_WIDTH.get(value, 2)}}}" if next_to_token else "+"
        pieces.append(f"(?P<{value}>[A-Za-z0-9]{width}|-{{1,2}})")  # "--": an unknown part
    regex = "".join(pieces)
    if has_date and kinds[-1] in _TIME_KINDS:
        # the time, with the separators before it, may be absent: "DD-MON-YYYY HH:MM" reads "05-MAR-2024"
        last_date = max(i for i, (item, value) in enumerate(items) if item == "token" and value not in _TIME_KINDS)
        regex = "".join(pieces[: last_date + 1]) + "(?:" + "".join(pieces[last_date + 1:]) + ")?"
    return _Format(fmt, re.compile(regex, re.IGNORECASE), has_date)


def validate_format(fmt: str, time_only: bool = False) -> None:
    """Raise ValueError if fmt is not a usable date (or, with time_only, time) format; for spec checks."""
    compiled = _compile(fmt)
    if time_only and compiled.has_date:
        raise ValueError(f"time format {fmt!r} has date parts; use only HH, MM and SS")
    if not time_only and not compiled.has_date:
        raise ValueError(f"date format {fmt!r} has no date parts (YYYY, MM or MON, DD); a time alone is not a date")


_NOUNS = {"month": "month number", "day": "day", "hour": "hour", "minute": "minute", "second": "second"}


def _read_part(kind: str, piece: str) -> int | None:
    if piece.upper() in UNKNOWN_WORDS or set(piece) == {"-"}:
        return None
    if kind == "month_abbr":
        if piece.upper() not in MONTH_ABBREVIATIONS:
            raise DateError(f"{piece!r} is not a month abbreviation (JAN to DEC)")
        return MONTH_ABBREVIATIONS[piece.upper()]
    if kind == "year":
        if re.fullmatch(r"\d{4}", piece):
            return int(piece)
        if re.fullmatch(r"\d{2}", piece):
            raise DateError(f"two-digit year {piece!r}: the century cannot be guessed, write 4 digits")
        raise DateError(f"{piece!r} is not a year")
    digits = r"\d{2}" if kind in ("minute", "second") else r"\d{1,2}"
    if not re.fullmatch(digits, piece):
        raise DateError(f"{piece!r} is not a {_NOUNS[kind]}")
    return int(piece)


def _match_format(compiled: _Format, text: str) -> IsoParts | None:
    match = compiled.pattern.fullmatch(text)
    if match is None:
        return None
    fields = {}
    for kind, piece in match.groupdict().items():
        if piece is not None:
            fields["month" if kind == "month_abbr" else kind] = _read_part(kind, piece)
    parts = IsoParts(**fields)
    _check_calendar(parts)
    return parts


# --- one value ------------------------------------------------------------------------

_DEFAULT_RAW_FORMATS = ("DD-MON-YYYY HH:MM:SS", "DD-MON-YYYY HH:MM")
_DEFAULT_TIME_FORMATS = ("HH:MM:SS", "HH:MM")
_TIME_ONLY = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")
_DD_MON_SHAPE = re.compile(r"[A-Za-z0-9]{1,4}-[A-Za-z]{2,}-")
_NUMERIC_DAY_MONTH = re.compile(r"\d{1,2}([/.\-])\d{1,2}\1\d{2,4}(\s.*)?")


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating, np.datetime64)):
        return bool(pd.isna(value))
    return False


def _from_datetime(value: dt.date) -> IsoParts:
    """A date/datetime object a reader produced (XLSX, SAS); midnight counts as 'no time'.

    A reader cannot tell a date cell from a date-time at 00:00, and a date is far more
    common in CRF data, so midnight gives the date alone.
    """
    if not isinstance(value, dt.datetime):
        return IsoParts(value.year, value.month, value.day)
    if value.tzinfo is not None:
        raise DateError(f"{value} has a time zone; give local clock times")
    if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
        return IsoParts(value.year, value.month, value.day)
    with_seconds = value.second or value.microsecond
    fraction = f".{value.microsecond:06d}".rstrip("0") if value.microsecond else ""
    return IsoParts(value.year, value.month, value.day, value.hour, value.minute,
                    value.second if with_seconds else None, fraction)


def _text_of(value: Any) -> str | IsoParts | None:
    """The stripped text of a raw value, its parts if it is a date object, None if missing."""
    if _is_missing(value):
        return None
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, dt.time):
        raise DateError(f"{value} is a time without a date")
    if isinstance(value, dt.date):
        return _from_datetime(value)
    if isinstance(value, (bool, np.bool_, float, np.floating)):
        raise DateError(f"{value!r} is a number, not a date: read the column as text")
    if isinstance(value, (int, np.integer)):
        value = str(int(value))
    if not isinstance(value, str):
        raise DateError(f"{value!r} is not a date")
    text = value.strip()
    if not text or text.upper() in UNKNOWN_WORDS:
        return None
    return text


def _explain_unreadable(text: str) -> DateError:
    """Why a value without a format hint is refused, as specifically as we can tell."""
    if _TIME_ONLY.fullmatch(text):
        return DateError(f"{text!r} is a time without a date")
    if _NUMERIC_DAY_MONTH.fullmatch(text):
        return DateError(
            f"{text!r} could be day-first or month-first: a format must be given (DD/MM/YYYY or MM/DD/YYYY)"
        )
    return DateError(f"{text!r} is neither ISO 8601 (YYYY-MM-DD) nor DD-MON-YYYY: give its format")


def _unambiguous_parts(text: str) -> IsoParts | None:
    """ISO 8601 (SDTM placeholders included) or DD-MON-YYYY [HH:MM[:SS]]; None if in neither form."""
    parts = _match_iso(text, _ISO_STRICT)
    if parts is not None:
        return parts  # already an SDTM value: its placeholders are deliberate
    parts = _match_iso(text, _ISO_LENIENT)
    if parts is None and _DD_MON_SHAPE.match(text):
        for default in _DEFAULT_RAW_FORMATS:
            parts = _match_format(_compile(default), text)
            if parts is not None:
                break
    return None if parts is None else _reject_time_without_day(parts)


def _raw_parts(text: str, fmt: str | tuple[str, ...] | None, strict: bool = False) -> IsoParts:
    """Parse with the format(s) first, in order, then (unless `strict`) the forms that cannot be misread.

    Without `strict`, a value in ISO 8601 or DD-MON-YYYY is accepted even when the hint
    says otherwise (the API's hint). With `strict`, as a spec's `format:` is, a value in
    another layout than the ones given is an error.
    """
    if not fmt:
        parts = _unambiguous_parts(text)
        if parts is None:
            raise _explain_unreadable(text)
        return parts
    formats = (fmt,) if isinstance(fmt, str) else tuple(fmt)
    hint_error: DateError | None = None
    for one in formats:
        try:
            parts = _match_format(_compile(one), text)
        except DateError as exc:
            hint_error, parts = hint_error or exc, None
        if parts is not None:
            return _reject_time_without_day(parts)
    if strict:
        raise hint_error or DateError(f"{text!r} does not match {' or '.join(formats)}")
    fmt = " or ".join(formats)
    try:
        parts = _unambiguous_parts(text)
    except DateError as exc:
        raise hint_error or exc from None
    if parts is not None:
        return parts
    raise hint_error or DateError(f"{text!r} does not match {fmt}")


def _reject_time_without_day(parts: IsoParts) -> IsoParts:
    """A collected time on a day nobody knows is a data error to query, not a value to submit."""
    if parts.has_time and parts.day is None:
        raise DateError("time given but the day is unknown")
    return parts


def to_iso8601(value: Any, fmt: str | None = None) -> str | None:
    """One raw date or date-time to its SDTM --DTC form; None when missing or entirely unknown.

    fmt is a hint such as "DD/MM/YYYY HH:MM" (tokens DD, MM, MON, YYYY, HH, MM after HH,
    SS); its time part may be absent from a value. ISO 8601 and DD-MON-YYYY [HH:MM[:SS]]
    are read with or without a hint; nothing else is read without one. Raises DateError
    with the reason otherwise, and ValueError for an unusable fmt.
    """
    if fmt:
        validate_format(fmt)
    return _to_iso(value, fmt)


def _to_iso(value: Any, fmt: str | tuple[str, ...] | None, strict: bool = False) -> str | None:
    text = _text_of(value)
    if text is None:
        return None
    if isinstance(text, IsoParts):
        return text.to_iso()
    return _raw_parts(text, fmt, strict).to_iso()


def _time_parts(value: Any, time_fmt: str | None) -> IsoParts | None:
    """Hour, minute, second of a separate time value; None when missing or entirely unknown."""
    if _is_missing(value):
        return None
    if isinstance(value, dt.time):
        seconds = value.second if value.second or value.microsecond else None
        return IsoParts(hour=value.hour, minute=value.minute, second=seconds)
    if not isinstance(value, str):
        raise DateError(f"{value!r} is not a time")
    text = value.strip()
    if not text or text.upper() in UNKNOWN_WORDS:
        return None
    formats = (time_fmt,) if time_fmt else _DEFAULT_TIME_FORMATS
    for fmt in formats:
        parts = _match_format(_compile(fmt), text)
        if parts is not None:
            return parts if parts.has_time else None
    raise DateError(f"{text!r} does not match {time_fmt or 'HH:MM[:SS]'}")


def _distinct_dates(values: pd.Series, fmt: str | tuple[str, ...] | None,
                    strict: bool = False) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Row codes into per-distinct-value lookups; the last lookup entry stands for a missing value."""
    codes, uniques = pd.factorize(values)
    iso, error = [], []
    for value in uniques:
        try:
            iso.append(_to_iso(value, fmt, strict) or "")
            error.append("")
        except DateError as exc:
            iso.append("")
            error.append(str(exc))
    iso.append("")
    error.append("")
    has_time = [bool(text) and "T" in text for text in iso]
    day_known = [bool(text) and parse_iso(text).day is not None for text in iso]
    lookups = {"iso": iso, "error": error, "has_time": has_time, "day_known": day_known}
    return codes, {name: np.array(column, dtype=object if name in ("iso", "error") else bool)
                   for name, column in lookups.items()}


def _distinct_times(values: pd.Series, time_fmt: str | None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Like _distinct_dates for a time column: "text" is what follows the T, e.g. "14:30" or "-:30"."""
    codes, uniques = pd.factorize(values)
    text, error = [], []
    for value in uniques:
        try:
            parts = _time_parts(value, time_fmt)
            text.append(parts.to_iso().partition("T")[2] if parts is not None else "")  # type: ignore[union-attr]
            error.append("")
        except DateError as exc:
            text.append("")
            error.append(str(exc))
    text.append("")
    error.append("")
    return codes, {"text": np.array(text, dtype=object), "error": np.array(error, dtype=object)}


def convert_column(
    values: pd.Series,
    fmt: str | list[str] | tuple[str, ...] | None = None,
    time_values: pd.Series | None = None,
    time_fmt: str | None = None,
    strict: bool = False,
) -> tuple[pd.Series, pd.Series]:
    """A column of raw dates (and optionally a separate time column) to (iso, errors).

    iso holds the --DTC text, "" where missing or invalid; errors holds the DateError
    message where invalid, "" elsewhere. Each distinct date and each distinct time is
    parsed once, and the rest is array work, so a million rows with a few thousand
    distinct values cost a few thousand parses. A time never disappears silently: a
    time with no date, with a day-unknown date, or on a value that has a time already
    is an error. A bad format raises ValueError at once: a spec error, not a data error.

    `fmt` may be several formats, tried in order; with `strict`, a value in no given
    format is an error (a spec's `format:`), else ISO 8601 and DD-MON-YYYY are read too.
    """
    formats = (fmt,) if isinstance(fmt, str) else tuple(fmt or ())
    for one in formats:
        validate_format(one)
    if time_fmt:
        validate_format(time_fmt, time_only=True)
    date_codes, date = _distinct_dates(values, formats or None, strict)
    iso = date["iso"][date_codes]
    errors = date["error"][date_codes]
    if time_values is not None:
        if not time_values.index.equals(values.index):
            raise ValueError("time_values must have the same index as values")
        time_codes, time = _distinct_times(time_values, time_fmt)
        time_text = time["text"][time_codes]
        time_error = time["error"][time_codes]
        both = (errors != "") & (time_error != "")
        errors = np.where(both, errors + "; " + time_error, np.where(errors != "", errors, time_error))
        with_time = (errors == "") & (time_text != "")
        problems = [
            (iso == "", "time given without a date"),
            (date["has_time"][date_codes], "the date value already has a time, and a separate time is given too"),
            (~date["day_known"][date_codes], "time given but the day is unknown"),
        ]
        for condition, message in problems:
            hit = with_time & condition
            errors = np.where(hit, message, errors)
            with_time &= ~hit
        iso = np.where(errors != "", "", np.where(with_time, iso + "T" + time_text, iso))
    return (pd.Series(iso, index=values.index, dtype=object, name=values.name),
            pd.Series(errors, index=values.index, dtype=object, name=values.name))


# --- vectorised reading of --DTC values -------------------------------------------------

_ISO_DATE = r"^(?P<year>\d{4})(?:-(?P<month>\d{2}|-)(?:-(?P<day>\d{2}|-)(?:T.*)?)?)?$"
_ISO_DATETIME = r"^(?P<date>\d{4}-\d{2}-\d{2})T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?$"


def iso_date_parts(text: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day numbers of --DTC text (NaN where absent or "-"), and where the text is "" or starts
    with "-" (no date at all): the one reading of --DTC dates that study days, ADaM dates and the validator
    share. Values are read character by character where `_plain` allows, else by the regular expression."""
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


def calendar_days(year: np.ndarray, month: np.ndarray, day: np.ndarray, last: bool = False) -> np.ndarray:
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


def iso_datetime_parts(text: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """SAS date, hour, minute and second numbers of `_ISO_DATETIME` (NaN where absent); read character by
    character where `_plain` allows, else by the regular expression."""
    codes, lengths, plain = _plain(text)
    day, hour, minute, second = (np.full(len(text), np.nan) for _ in range(4))
    if not plain.all():
        parts = text[~plain].str.extract(_ISO_DATETIME)
        day[~plain] = iso_complete_days(parts["date"].fillna(""))
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
    day[plain] = np.where(matched, calendar_days(value(0, 4).astype("float64"), value(5, 2).astype("float64"),
                                         value(8, 2).astype("float64")), np.nan)
    hour[plain] = np.where(matched, value(11, 2), np.nan)
    minute[plain] = np.where(matched, value(14, 2), np.nan)
    second[plain] = np.where(matched & with_seconds, value(17, 2), np.nan)
    return day, hour, minute, second


