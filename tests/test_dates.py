"""Raw dates to SDTM --DTC: partial dates, impossible dates, formats, whole columns."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cdisc_map.core import dates
from cdisc_map.core.dates import (
    IsoParts,
    convert_column,
    is_complete_date,
    iso_day_span,
    iso_to_date,
    parse_iso,
    to_iso8601,
    validate_format,
)
from cdisc_map.core.distinct import per_distinct_text
from cdisc_map.core.problems import DateError

# SDTMIG 3.4 section 4.4.2, table of complete and right-truncated values.
SDTMIG_PRECISION = [
    "2003-12-15T13:14:17.123",
    "2003-12-15T13:14:17",
    "2003-12-15T13:14",
    "2003-12-15T13",
    "2003-12-15",
    "2003-12",
    "2003",
]
# SDTMIG 3.4 section 4.4.2, table of omitted middle components.
SDTMIG_OMITTED = [
    "2003-12-15T13:15:17",
    "2003-12-15T-:15",
    "2003-12-15T13:-:17",
    "2003---15",
    "--12-15",
    "-----T07:15",
]


@pytest.mark.parametrize("iso", SDTMIG_PRECISION + SDTMIG_OMITTED)
def test_sdtmig_examples_are_read_as_written(iso):
    assert to_iso8601(iso) == iso
    assert parse_iso(iso).to_iso() == iso


@pytest.mark.parametrize(
    "raw, expected",
    [
        # the same SDTMIG rows, as a CRF records them
        ("15-DEC-2003 13:15:17", "2003-12-15T13:15:17"),
        ("15-DEC-2003 UN:15", "2003-12-15T-:15"),
        ("15-DEC-2003 13:UN:17", "2003-12-15T13:-:17"),
        ("15-UNK-2003", "2003---15"),
        ("15-DEC-UNKN", "--12-15"),
        ("15-DEC-2003 13:14", "2003-12-15T13:14"),
        ("15-DEC-2003", "2003-12-15"),
        ("UN-DEC-2003", "2003-12"),
        ("UN-UNK-2003", "2003"),
        # unknown trailing time parts are right-truncated
        ("15-DEC-2003 13:UN", "2003-12-15T13"),
        ("15-DEC-2003 UN:UN", "2003-12-15"),
        ("15-DEC-2003 13:14:UN", "2003-12-15T13:14"),
    ],
)
def test_crf_values_with_unknown_parts(raw, expected):
    assert to_iso8601(raw) == expected


@pytest.mark.parametrize("unknown", ["UN", "UK", "UNK", "UNKN", "un", "Uk", "unk", "Unkn"])
def test_every_unknown_spelling_in_every_position(unknown):
    assert to_iso8601(f"{unknown}-MAR-2024") == "2024-03"
    assert to_iso8601(f"15-{unknown}-2024") == "2024---15"
    assert to_iso8601(f"15-MAR-{unknown}") == "--03-15"
    assert to_iso8601(f"{unknown}/03/2024", "DD/MM/YYYY") == "2024-03"
    assert to_iso8601(f"05-MAR-2024 {unknown}:30") == "2024-03-05T-:30"


@pytest.mark.parametrize(
    "value",
    [None, float("nan"), np.nan, pd.NA, pd.NaT, np.datetime64("NaT"), "", "   ", "\t",
     "UNK", "unkn", "UN-UNK-UNKN", "uk-uk-uk", "UN-UNK-UNKN UN:UN"],
)
def test_missing_or_entirely_unknown_is_none(value):
    assert to_iso8601(value) is None
    assert to_iso8601(value, "DD-MON-YYYY HH:MM") is None


@pytest.mark.parametrize(
    "raw, fmt, expected",
    [
        ("05/03/2024", "DD/MM/YYYY", "2024-03-05"),
        ("03/05/2024", "MM/DD/YYYY", "2024-03-05"),
        ("5/3/2024", "DD/MM/YYYY", "2024-03-05"),
        ("05.03.2024", "DD.MM.YYYY", "2024-03-05"),
        ("2024/03/05", "YYYY/MM/DD", "2024-03-05"),
        ("05 mar 2024", "DD MON YYYY", "2024-03-05"),
        ("05  Mar  2024", "DD MON YYYY", "2024-03-05"),
        ("20240305", "YYYYMMDD", "2024-03-05"),
        ("05MAR2024", "DDMONYYYY", "2024-03-05"),
        ("03/2024", "MM/YYYY", "2024-03"),
        ("05/03/2024 14:30", "DD/MM/YYYY HH:MM", "2024-03-05T14:30"),
        ("05/03/2024 14:30:15", "DD/MM/YYYY HH:MM:SS", "2024-03-05T14:30:15"),
        ("05/03/2024 00:00", "DD/MM/YYYY HH:MM", "2024-03-05T00:00"),
        ("05/03/2024", "DD/MM/YYYY HH:MM", "2024-03-05"),  # the time may be absent
        ("05-Mar-2024 14:30:15", "DD-MON-YYYY HH:MM:SS", "2024-03-05T14:30:15"),
        ("2024-03-05T14:30", "YYYY-MM-DDTHH:MM", "2024-03-05T14:30"),
        ("  05/03/2024  ", "DD/MM/YYYY", "2024-03-05"),
    ],
)
def test_format_hints(raw, fmt, expected):
    assert to_iso8601(raw, fmt) == expected


def test_the_hint_decides_day_or_month_first():
    assert to_iso8601("03/04/2024", "DD/MM/YYYY") == "2024-04-03"
    assert to_iso8601("03/04/2024", "MM/DD/YYYY") == "2024-03-04"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2024-03-05", "2024-03-05"),
        ("05-MAR-2024", "2024-03-05"),
        ("05-MAR-2024 14:30:15", "2024-03-05T14:30:15"),
    ],
)
def test_unambiguous_forms_are_read_whatever_the_hint(raw, expected):
    assert to_iso8601(raw, "DD/MM/YYYY") == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2024", "2024"),
        ("2024-03", "2024-03"),
        ("2024-03-05", "2024-03-05"),
        ("2024-03-05T14:30", "2024-03-05T14:30"),
        ("2024-03-05T14:30:15", "2024-03-05T14:30:15"),
        ("2024-03-05t14:30", "2024-03-05T14:30"),
        ("2024-03-05 14:30:15", "2024-03-05T14:30:15"),
        ("2024-UNK-05", "2024---05"),
        ("2024-03-UN", "2024-03"),
        ("2003-12--", "2003-12"),  # trailing placeholders are right-truncated
        ("05-MAR-2024", "2024-03-05"),
        ("5-mar-2024", "2024-03-05"),
        (" 05-MAR-2024 14:30 ", "2024-03-05T14:30"),
    ],
)
def test_without_hint_iso_and_dd_mon_yyyy(raw, expected):
    assert to_iso8601(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("29-FEB-2024", "2024-02-29"),
        ("29-FEB-2000", "2000-02-29"),  # divisible by 400
        ("2024-02-29", "2024-02-29"),
        ("29-FEB-UNKN", "--02-29"),  # possible in some year
    ],
)
def test_leap_days_that_exist(raw, expected):
    assert to_iso8601(raw) == expected


@pytest.mark.parametrize(
    "raw, fmt, reason",
    [
        ("29-FEB-2023", None, "day 29 does not exist in February 2023"),
        ("29-FEB-1900", None, "day 29 does not exist in February 1900"),  # divisible by 100
        ("2023-02-29", None, "day 29 does not exist in February 2023"),
        ("31-FEB-2023", None, "day 31 does not exist in February 2023"),
        ("30-FEB-UNKN", None, "day 30 does not exist in February"),
        ("31-APR-2024", None, "day 31 does not exist in April 2024"),
        ("31/02/2023", "DD/MM/YYYY", "day 31 does not exist in February 2023"),
        ("32-UNK-2024", None, "day 32 is not a day"),
        ("00-MAR-2024", None, "day 0 is not a day"),
        ("2024-13-01", None, "month 13 is not a month"),
        ("01/13/2024", "DD/MM/YYYY", "month 13 is not a month"),
        ("2024-00", None, "month 0 is not a month"),
        ("05-MAR-2024 25:00", None, "hour 25 is not an hour"),
        ("05-MAR-2024 24:00", None, "hour 24 is not an hour"),
        ("2024-03-05T14:60", None, "minute 60 is not a minute"),
        ("05/03/2024 14:30:61", "DD/MM/YYYY HH:MM:SS", "second 61 is not a second"),
        ("05-XYZ-2024", None, "'XYZ' is not a month abbreviation"),
        ("abc", "DD-MON-YYYY", "'abc' does not match DD-MON-YYYY"),
        ("abc", None, "'abc' is neither ISO 8601"),
        ("2024-3-5", None, "is neither ISO 8601"),
        ("03/04/2024", None, "a format must be given"),
        ("13/04/2024", None, "a format must be given"),  # never guessed, even when it could be
        ("03-04-2024", None, "a format must be given"),
        ("15-MAR-24", None, "two-digit year '24'"),
        ("15/03/24", "DD/MM/YYYY", "two-digit year '24'"),
        ("14:30", None, "time without a date"),
        ("UN-MAR-2024 14:30", None, "time given but the day is unknown"),
        ("UN/03/2024 14:30", "DD/MM/YYYY HH:MM", "time given but the day is unknown"),
        ("05/03/2024 14h30", "DD/MM/YYYY HH:MM", "does not match DD/MM/YYYY HH:MM"),
        (20240305.0, None, "is a number, not a date"),
        (dt.time(14, 30), None, "time without a date"),
    ],
)
def test_impossible_and_garbage_values_say_why(raw, fmt, reason):
    with pytest.raises(DateError) as caught:
        to_iso8601(raw, fmt)
    assert reason in str(caught.value)


def test_date_error_is_a_value_error():
    assert issubclass(DateError, ValueError)


@pytest.mark.parametrize("fmt", ["DD/YYYY", "HH:MM", "nonsense", "DD/MM/YYYY/YYYY", "HH:MM DD/MM/YYYY", "YYYY MM SS"])
def test_unusable_formats_are_spec_errors_not_date_errors(fmt):
    with pytest.raises(ValueError) as caught:
        to_iso8601("05/03/2024", fmt)
    assert not isinstance(caught.value, DateError)
    with pytest.raises(ValueError):
        validate_format(fmt)


def test_time_formats_are_checked_as_times():
    validate_format("HH:MM", time_only=True)
    with pytest.raises(ValueError, match="has date parts"):
        validate_format("DD/MM/YYYY", time_only=True)


@pytest.mark.parametrize(
    "value, expected",
    [
        (dt.date(2024, 3, 5), "2024-03-05"),
        (pd.Timestamp("2024-03-05"), "2024-03-05"),  # a date cell reads as midnight
        (pd.Timestamp("2024-03-05 14:30"), "2024-03-05T14:30"),
        (dt.datetime(2024, 3, 5, 14, 30, 15), "2024-03-05T14:30:15"),
        (np.datetime64("2024-03-05T14:30"), "2024-03-05T14:30"),
        (2024, "2024"),
    ],
)
def test_values_a_reader_already_typed(value, expected):
    assert to_iso8601(value) == expected


def test_parse_iso_gives_the_components():
    assert parse_iso("2003---15") == IsoParts(2003, None, 15)
    assert parse_iso("2003-12-15T-:15") == IsoParts(2003, 12, 15, None, 15)
    assert parse_iso("2003-12-15T13:14:17.123") == IsoParts(2003, 12, 15, 13, 14, 17, ".123")
    assert parse_iso("") == IsoParts()
    with pytest.raises(DateError):
        parse_iso("05-MAR-2024")  # raw, not SDTM
    with pytest.raises(DateError, match="day 30 does not exist in February 2024"):
        parse_iso("2024-02-30")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-03-05", True),
        ("2024-03-05T14:30", True),
        ("2024-03", False),
        ("2024---05", False),
        ("--03-05", False),
        ("2023-02-29", False),
        ("", False),
        (None, False),
        ("05-MAR-2024", False),
    ],
)
def test_is_complete_date(value, expected):
    assert is_complete_date(value) is expected


def test_iso_to_date_keeps_only_complete_dates():
    iso = pd.Series(["2024-03-05T14:30", "2024-03", "", None, "2024---05", "2023-02-29", "2024-03-06"],
                    index=list("abcdefg"), name="AESTDTC")
    result = iso_to_date(iso)
    assert result.name == "AESTDTC"
    assert list(result.index) == list("abcdefg")
    assert pd.api.types.is_datetime64_dtype(result)
    assert result["a"] == pd.Timestamp("2024-03-05")
    assert result[["b", "c", "d", "e", "f"]].isna().all()
    assert (result["g"] - result["a"]).days == 1


# --- convert_column ---------------------------------------------------------------------


def test_convert_column_with_repeats_missing_and_errors():
    raw = pd.Series(["05-MAR-2024", "31-FEB-2023", None, "05-MAR-2024", "UN-MAR-2024", "", "31-FEB-2023", "UNK"],
                    index=[10, 11, 12, 13, 14, 15, 16, 17], dtype=object)
    iso, errors = convert_column(raw)
    assert list(iso.index) == list(raw.index)
    assert list(errors.index) == list(raw.index)
    assert iso.dtype == object and errors.dtype == object
    assert iso.tolist() == ["2024-03-05", "", "", "2024-03-05", "2024-03", "", "", ""]
    assert errors.tolist() == ["", "day 31 does not exist in February 2023", "", "",
                               "", "", "day 31 does not exist in February 2023", ""]


def test_convert_column_on_pandas_str_dtype():
    raw = pd.Series(["05/03/2024", None, "06/03/2024"], dtype="str")
    iso, errors = convert_column(raw, "DD/MM/YYYY")
    assert iso.tolist() == ["2024-03-05", "", "2024-03-06"]
    assert errors.tolist() == ["", "", ""]


def test_convert_column_parses_each_distinct_value_once(monkeypatch):
    calls = []
    real = dates._to_iso

    def counting(value, fmt=None, strict=False):
        calls.append(value)
        return real(value, fmt, strict)

    monkeypatch.setattr(dates, "_to_iso", counting)
    distinct = ["05-MAR-2024", "06-MAR-2024", "bad", "UN-MAR-2024"]
    raw = pd.Series((distinct + [None]) * 1000, dtype=object)
    iso, errors = convert_column(raw)
    assert sorted(calls) == sorted(distinct)
    assert (iso[:5].tolist() * 1000) == iso.tolist()
    assert (errors != "").sum() == 1000


def test_convert_column_with_a_time_column():
    date = pd.Series(["05-MAR-2024", "05-MAR-2024", "06-MAR-2024", "UN-MAR-2024", "UN-MAR-2024", None, None,
                      "05-MAR-2024", "31-FEB-2023"])
    time = pd.Series(["14:30", "14:30:15", None, "09:00", "", "09:00", None, "UN:30", "25:00"])
    iso, errors = convert_column(date, "DD-MON-YYYY", time, "HH:MM")
    assert iso.tolist() == ["2024-03-05T14:30", "", "2024-03-06", "", "2024-03", "", "", "2024-03-05T-:30", ""]
    assert errors[0] == ""
    assert "'14:30:15' does not match HH:MM" in errors[1]
    assert errors[2] == ""  # a missing time just gives the date
    assert errors[3] == "time given but the day is unknown"
    assert errors[4] == ""
    assert errors[5] == "time given without a date"
    assert errors[6] == ""
    assert errors[7] == ""
    assert "day 31 does not exist in February 2023" in errors[8]
    assert "hour 25 is not an hour" in errors[8]


def test_convert_column_time_without_format_takes_seconds():
    iso, errors = convert_column(pd.Series(["2024-03-05", "2024-03-05"]), None, pd.Series(["14:30:15", "7:05"]))
    assert iso.tolist() == ["2024-03-05T14:30:15", "2024-03-05T07:05"]
    assert errors.tolist() == ["", ""]


def test_convert_column_refuses_a_time_twice():
    iso, errors = convert_column(pd.Series(["05-MAR-2024 10:00"]), "DD-MON-YYYY HH:MM", pd.Series(["14:30"]))
    assert iso.tolist() == [""]
    assert "already has a time" in errors[0]


def test_convert_column_with_time_parses_each_distinct_date_once(monkeypatch):
    calls = []
    real = dates._to_iso
    monkeypatch.setattr(dates, "_to_iso", lambda value, fmt=None, strict=False: calls.append(value) or
                        real(value, fmt, strict))
    date = pd.Series(["05-MAR-2024", "06-MAR-2024"] * 50)
    time = pd.Series([f"{hour:02d}:00" for hour in range(20)] * 5)
    iso, errors = convert_column(date, None, time)
    assert sorted(calls) == ["05-MAR-2024", "06-MAR-2024"]
    assert iso[3] == "2024-03-06T03:00"
    assert (errors == "").all()


def test_convert_column_rejects_a_bad_format_before_reading_rows():
    with pytest.raises(ValueError, match="names a part twice"):
        convert_column(pd.Series(["05/03/2024"]), "DD/MM/MM/YYYY")
    with pytest.raises(ValueError, match="has date parts"):
        convert_column(pd.Series(["05/03/2024"]), "DD/MM/YYYY", pd.Series(["14:30"]), "DD/MM/YYYY HH:MM")


def test_convert_column_needs_aligned_time_values():
    with pytest.raises(ValueError, match="same index"):
        convert_column(pd.Series(["2024-03-05"], index=[1]), None, pd.Series(["14:30"], index=[2]))


def test_convert_column_on_empty_and_all_missing_columns():
    iso, errors = convert_column(pd.Series([], dtype="str"), None, pd.Series([], dtype="str"))
    assert len(iso) == len(errors) == 0
    iso, errors = convert_column(pd.Series([None, np.nan], dtype=object))
    assert iso.tolist() == ["", ""] and errors.tolist() == ["", ""]


# --- the one reading of --DTC values ------------------------------------------------------------

DTC_VALUES = ["2024-03-05", "2024-03-05T14:30", "2024-03-05T14:30:15", "2024-03-05T14:30:15.5", "2024-03",
              "2024", "2024---05", "2024-03-05T-:30", "-----T07:15", "", "2024-02-30", "2024-13-01", "24-03-05",
              "2024-03-05 14:30", "2024-03-05T25:00", "garbage", "2024-03-05T14", "２０２４-03-05", "2024-3-5",
              "2023-02-29", "2024-02-29", "2024-03-05T14:30:15.", "1960-01-01", "1959-12-31"]


def test_the_vectorised_reading_agrees_with_the_strict_parser_value_by_value():
    """iso_date_parts (study days, ADaM dates, the validator) and parse_iso (one value) read alike."""
    text = pd.Series(DTC_VALUES + [value + " " for value in DTC_VALUES[:3]], dtype=object)
    days = dates.iso_complete_days(text)
    for value, day in zip(text, days):
        try:
            parts = dates.parse_iso(value) if value == value.strip() else None
        except DateError:
            parts = None
        if parts is not None and parts.is_complete_date:
            expected = (dt.date(parts.year, parts.month, parts.day) - dt.date(1960, 1, 1)).days
            assert day == expected, value
        elif value.strip() and value[:10] not in ("2024-03-05", "2024-02-29"):  # a date with a bad time keeps its day
            assert np.isnan(day), value


def test_day_and_minute_for_comparing_record_dates():
    day, minute = dates.iso_day_and_minute(pd.Series(["2024-03-05T14:30", "2024-03-05", "2024-03", "1960-01-02T00:01"]))
    assert np.isnan(day[2]) and day[3] == 1.0
    assert minute[0] == 14 * 60 + 30 and np.isnan(minute[1]) and minute[3] == 1.0


def test_iso_to_date_gives_datetime64_of_complete_dates_only():
    result = dates.iso_to_date(pd.Series(["2024-03-05T14:30", "2024-03", None, "2024-02-30"]))
    assert result.iloc[0] == pd.Timestamp("2024-03-05") and result.iloc[1:].isna().all()


def test_iso_day_span_gives_the_days_a_partial_date_can_stand_for():
    first, last = per_distinct_text(pd.Series(["2024-03-05T10:00", "2024-02", "2023", "2024---15", "", "2024-13"]),
                                    iso_day_span)
    as_dates = [[None if np.isnan(d) else str(np.datetime64("1960-01-01") + int(d)) for d in part]
                for part in (first, last)]
    assert as_dates == [["2024-03-05", "2024-02-01", "2023-01-01", "2024-01-01", None, None],
                        ["2024-03-05", "2024-02-29", "2023-12-31", "2024-12-31", None, None]]
