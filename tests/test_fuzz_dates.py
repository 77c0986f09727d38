"""Property-based tests of the date parser (core.dates): every raw value is mapped to the
right --DTC value, or refused with a DateError that says why, and never guessed.

The oracle is Python's own calendar (datetime): a random moment is written the way a
format says, and must come back as its ISO 8601 text; unknown parts must follow SDTMIG
4.4.2's right truncation; day-first/month-first and two-digit years must be refused
without a format. Arbitrary text, in any of the formats, must give a --DTC value that
Python reads as a real calendar date, or a DateError, and nothing else.

The examples are drawn from a fixed seed (derandomized) so the suite gives the same
result every run; CDISC_MAP_FUZZ_EXAMPLES raises their number for a longer search.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdisc_map.core.dates import convert_column, parse_iso, to_iso8601
from cdisc_map.core.problems import DateError

EXAMPLES = int(os.environ.get("CDISC_MAP_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
FORMATS = ["DD/MM/YYYY", "MM/DD/YYYY", "YYYY-MM-DD", "DD-MON-YYYY", "DD-MON-YYYY HH:MM", "DD/MM/YYYY HH:MM:SS",
           "YYYYMMDD", "DD.MM.YYYY", "MON-YYYY", "MM/YYYY", "YYYY", "YYYY/MM/DD HH:MM", "DD MON YYYY"]
UNKNOWN = st.sampled_from(["UN", "UK", "UNK", "UNKN", "un", "Unk"])
#: An SDTM --DTC value: a date right-truncated, or with "-" for an unknown middle part, and a time.
DTC = re.compile(r"\d{4}(-(\d{2}|-)(-(\d{2}|-)(T(\d{2}|-)(:(\d{2}|-)(:\d{2}(\.\d+)?)?)?)?)?)?")
TOKEN = re.compile(r"YYYY|MON|MM|DD|HH|SS")

moments = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2099, 12, 31, 23, 59, 59))


def render(moment: dt.datetime, fmt: str, unknown: dict[str, str] | None = None) -> str:
    """`moment` written as `fmt` says (MM after HH is minutes), some parts replaced by unknown words."""
    unknown = unknown or {}
    seen_hour = False
    out, position = [], 0
    for match in TOKEN.finditer(fmt):
        out.append(fmt[position:match.start()])
        token = match.group()
        kind = {"YYYY": "year", "MON": "month", "DD": "day", "HH": "hour", "SS": "second"}.get(token)
        if token == "MM":
            kind = "minute" if seen_hour else "month"
        seen_hour = seen_hour or token == "HH"
        value = {"year": f"{moment.year:04d}", "day": f"{moment.day:02d}", "hour": f"{moment.hour:02d}",
                 "minute": f"{moment.minute:02d}", "second": f"{moment.second:02d}",
                 "month": MONTHS[moment.month - 1] if token == "MON" else f"{moment.month:02d}"}[kind]
        out.append(unknown.get(kind, value))
        position = match.end()
    out.append(fmt[position:])
    return "".join(out)


def expected_iso(moment: dt.datetime, fmt: str) -> str:
    """What SDTM asks for: as many parts as the format carries, in ISO 8601."""
    has = {kind for kind in ("YYYY", "DD", "HH", "SS") if kind in fmt}
    text = f"{moment.year:04d}"
    if "MON" in fmt or "MM" in fmt.split("HH")[0]:
        text += f"-{moment.month:02d}"
        if "DD" in has:
            text += f"-{moment.day:02d}"
            if "HH" in has:
                text += f"T{moment.hour:02d}:{moment.minute:02d}" + (f":{moment.second:02d}" if "SS" in has else "")
    return text


def is_real_calendar_value(text: str) -> bool:
    """A --DTC value whose known parts Python accepts as a date and time."""
    if not DTC.fullmatch(text):
        return False
    date, _, time = text.partition("T")
    year, month, day = (date.split("-") + ["", ""])[:3] if "--" not in date else (date[:4], "", "")
    if month and month != "" and not 1 <= int(month) <= 12:
        return False
    if day and month:
        dt.date(int(year), int(month), int(day))  # raises on 31-APR or 29-FEB of a common year
    hour, minute = (time.split(":") + ["", ""])[:2] if time else ("", "")
    return (not hour or hour == "-" or int(hour) < 24) and (not minute or minute == "-" or int(minute) < 60)


@FUZZ
@given(moment=moments, fmt=st.sampled_from(FORMATS))
def test_a_value_written_as_its_format_says_is_read_back_exactly(moment, fmt):
    assert to_iso8601(render(moment, fmt), fmt) == expected_iso(moment, fmt)


@FUZZ
@given(moment=moments, word=UNKNOWN, time=st.booleans())
def test_an_unknown_day_truncates_and_an_unknown_month_is_a_hyphen(moment, word, time):
    fmt = "DD-MON-YYYY HH:MM" if time else "DD-MON-YYYY"
    month = f"{moment.year:04d}-{moment.month:02d}"
    if time:  # a time on a day nobody knows is a query, not a value
        try:
            to_iso8601(render(moment, fmt, {"day": word}), fmt)
        except DateError as exc:
            assert "day is unknown" in str(exc)
        else:
            raise AssertionError("a time on an unknown day was accepted")
    else:
        assert to_iso8601(render(moment, fmt, {"day": word}), fmt) == month
    assert to_iso8601(render(moment, "DD-MON-YYYY", {"month": word}), "DD-MON-YYYY") == (
        f"{moment.year:04d}---{moment.day:02d}")
    assert to_iso8601(render(moment, "DD-MON-YYYY", {"month": word, "day": word})) == f"{moment.year:04d}"


@FUZZ
@given(day=st.integers(1, 12), month=st.integers(1, 12), year=st.integers(1900, 2099),
       separator=st.sampled_from("/.-"))
def test_without_a_format_day_first_or_month_first_is_refused_not_guessed(day, month, year, separator):
    for text in (f"{day:02d}{separator}{month:02d}{separator}{year}", f"{day}{separator}{month}{separator}{year}"):
        try:
            result = to_iso8601(text)
        except DateError:
            continue
        raise AssertionError(f"{text!r} was read as {result!r} without a format")


@FUZZ
@given(moment=moments, fmt=st.sampled_from(["DD/MM/YYYY", "DD-MON-YYYY", "MM/DD/YYYY", None]))
def test_a_two_digit_year_is_refused(moment, fmt):
    text = render(moment, fmt or "DD-MON-YYYY").replace(f"{moment.year:04d}", f"{moment.year % 100:02d}")
    try:
        result = to_iso8601(text, fmt)
    except DateError:
        return
    raise AssertionError(f"{text!r} ({fmt}) was read as {result!r}")


@FUZZ
@given(year=st.integers(1900, 2099), month=st.integers(1, 12), day=st.integers(29, 31),
       fmt=st.sampled_from(["DD/MM/YYYY", "YYYY-MM-DD", "DD-MON-YYYY"]))
def test_a_day_the_month_does_not_have_is_refused(year, month, day, fmt):
    try:
        real = dt.date(year, month, day)
    except ValueError:
        real = None
    moment = dt.datetime(year, month, 28)
    text = render(moment, fmt).replace("28", f"{day}", 1) if fmt != "YYYY-MM-DD" else f"{year:04d}-{month:02d}-{day}"
    try:
        result = to_iso8601(text, fmt)
    except DateError:
        assert real is None, f"{text!r} is a real date"
        return
    assert real is not None and result == real.isoformat(), (text, result)


dateish = st.one_of(
    st.text(max_size=24),
    st.from_regex(r"[0-9UNKunk]{1,4}[-/. :T][0-9A-Za-z]{1,4}[-/. ][0-9]{1,5}( [0-9UNK]{1,2}:[0-9]{1,2}(:[0-9]{2})?)?",
                  fullmatch=True),
    st.from_regex(r"[0-9]{4}(-[0-9-]{1,2}(-[0-9-]{1,2}(T[0-9-]{1,2}(:[0-9-]{1,2}(:[0-9]{1,2})?)?)?)?)?",
                  fullmatch=True),
)


@FUZZ
@given(text=dateish, fmt=st.sampled_from([None, *FORMATS]))
def test_any_text_is_a_real_dtc_value_missing_or_a_date_error(text, fmt):
    try:
        result = to_iso8601(text, fmt)
    except DateError as exc:
        assert str(exc)  # the reason, for the data manager
        return
    assert result is None or is_real_calendar_value(result), (text, fmt, result)
    if result is not None:
        parse_iso(result)  # the one reader of --DTC values accepts it


@FUZZ
@given(dates=st.lists(dateish, min_size=1, max_size=12), times=st.lists(
    st.one_of(st.just(""), st.from_regex(r"[0-9UNK]{1,2}:[0-9]{1,2}", fullmatch=True), st.text(max_size=5)),
    min_size=12, max_size=12), fmt=st.sampled_from([None, "DD/MM/YYYY", "DD-MON-YYYY"]))
def test_a_column_is_each_value_mapped_or_reported_and_a_time_never_vanishes(dates, times, fmt):
    values = pd.Series(dates, dtype=object)
    iso, errors = convert_column(values, fmt)
    for value, mapped, error in zip(dates, iso, errors):
        try:
            alone = to_iso8601(value, fmt) or ""
        except DateError as exc:
            assert (mapped, error) == ("", str(exc))
        else:
            assert (mapped, error) == (alone, "")
    with_time = pd.Series(times[: len(dates)], dtype=object)
    iso, errors = convert_column(values, fmt, with_time, "HH:MM")
    for mapped, error, time in zip(iso, errors, with_time):
        assert (mapped == "") or (error == ""), (mapped, error)
        known_time = time.strip() and time.strip().upper() not in ("UN", "UK", "UNK", "UNKN")
        if known_time and mapped:
            assert "T" in mapped, (mapped, time)  # a time is in the value, or the row is reported
