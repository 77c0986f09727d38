"""Who was screened, treated, transplanted, relapsed and died, and how much study drug each
subject had: counted from SDTM alone, each number naming the domain and variable it is
counted from, so that a reviewer can check it against DM, DS, EX, PR and RS.

* screened: subjects in DM; screen failures: DS records with DSDECOD SCREEN FAILURE;
* treated: subjects with an EX record of the investigational treatment (TS TRT; every
  EX treatment when TS names none) with a dose above 0;
* transplanted: subjects with a PR record whose PRDECOD, PRTRT or PRCAT names a
  transplant;
* relapsed: subjects with an RS record whose RSSTRESC names a relapse or progressive
  disease;
* died: DM DTHFL = Y (DS deaths are compared, and a difference is noted);
* status at the data cut: each subject's last DS disposition event (DSCAT DISPOSITION
  EVENT), or none yet.

Exposure, per EX treatment, summed per subject over its records:
* days: for a dose given as a rate per day (EXDOSU ug/day: an infusion), the time from
  EXSTDTC to EXENDTC (exact when both have a time, else whole days between the dates);
  for other doses the calendar days from start to end, both counted (1 for ONCE);
* dose: EXDOSE x those days for a rate per day; EXDOSE x doses per day x days for QD,
  BID, TID and QID; EXDOSE for ONCE (or no frequency); no total for other frequencies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdisc_map.core.dates import parse_iso
from cdisc_map.core.problems import DateError
from cdisc_map.core.text import number_text
from cdisc_map.report.columns import column_text, distinct_text

PER_DAY_SUFFIXES = ("/DAY", "/D")
DOSES_PER_DAY = {"QD": 1, "BID": 2, "TID": 3, "QID": 4}
ONCE = {"ONCE", ""}
TRANSPLANT = "TRANSPLANT"
RELAPSE_TERMS = ("RELAPSE", "PROGRESSIVE DISEASE")


@dataclass(frozen=True)
class Count:
    """One line of the disposition table."""

    label: str
    subjects: int
    denominator: int | None  # the percentage's base, None for none
    of: str                  # what the base counts: "screened", "treated"
    source: str


@dataclass(frozen=True)
class Spread:
    """Median and range of per-subject values."""

    median: float
    low: float
    high: float


@dataclass(frozen=True)
class Exposure:
    """One EX treatment: who had it, for how long and how much in all (per subject)."""

    treatment: str
    investigational: bool
    subjects: int
    records: int
    days: Spread | None
    total_dose: Spread | None
    dose_unit: str
    doses: str  # the dose levels given, with their unit


@dataclass
class Disposition:
    counts: list[Count] = field(default_factory=list)
    status: list[tuple[str, int]] = field(default_factory=list)  # (last DS disposition event, subjects)
    exposure: list[Exposure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def summarise_disposition(sdtm: Mapping[str, pd.DataFrame]) -> Disposition:
    """The disposition and exposure summary of an SDTM package (datasets by upper-case name)."""
    result = Disposition()
    dm, ds, ex, pr, rs, ts = (sdtm.get(name) for name in ("DM", "DS", "EX", "PR", "RS", "TS"))
    screened = _subjects(dm)
    if dm is None:
        result.notes.append("No DM: the number screened is not known.")
    else:
        result.counts.append(Count("Screened", len(screened), None, "", "DM: subjects"))
    if ds is not None and {"DSDECOD", "USUBJID"} <= set(ds.columns):
        failures = _subjects(ds[_text(ds, "DSDECOD") == "SCREEN FAILURE"])
        result.counts.append(Count("Screen failures", len(failures), len(screened) or None, "screened",
                                   "DS: DSDECOD = SCREEN FAILURE"))
    treatments = _investigational(ts, ex)
    treated: set[str] = set()
    if ex is not None and {"EXTRT", "USUBJID"} <= set(ex.columns):
        given = ex[_text(ex, "EXTRT").isin(treatments) & (_number(ex, "EXDOSE").fillna(1.0) > 0)]
        treated = _subjects(given)
        names = ", ".join(sorted(treatments)) or "any treatment"
        result.counts.append(Count(f"Treated with {names}", len(treated), len(screened) or None, "screened",
                                   "EX: subjects with a dose > 0"))
    if pr is not None and "USUBJID" in pr.columns:
        named = pd.Series(False, index=pr.index)
        for column in ("PRDECOD", "PRTRT", "PRCAT"):
            named |= _text(pr, column).str.contains(TRANSPLANT, regex=False)
        result.counts.append(Count("Transplanted", len(_subjects(pr[named])), len(treated) or None, "treated",
                                   "PR: a record naming a transplant"))
    if rs is not None and {"RSSTRESC", "USUBJID"} <= set(rs.columns):
        relapse = _text(rs, "RSSTRESC").str.contains("|".join(RELAPSE_TERMS), regex=True)
        result.counts.append(Count("Relapsed", len(_subjects(rs[relapse])), len(treated) or None, "treated",
                                   "RS: RSSTRESC names a relapse"))
    if dm is not None and "DTHFL" in dm.columns:
        died = _subjects(dm[_text(dm, "DTHFL") == "Y"])
        result.counts.append(Count("Died", len(died), len(treated) or None, "treated", "DM: DTHFL = Y"))
        if ds is not None and "DSDECOD" in ds.columns:
            ds_deaths = _subjects(ds[_text(ds, "DSDECOD") == "DEATH"])
            if ds_deaths != died:
                result.notes.append(f"DS has {len(ds_deaths)} subject(s) with DSDECOD DEATH, DM {len(died)} with "
                                    "DTHFL Y: the two should name the same subjects.")
    if ds is not None:
        result.status = _status(ds, screened)
    if ex is not None:
        result.exposure, notes = _exposure(ex, treatments)
        result.notes += notes
    return result


def _text(frame: pd.DataFrame, column: str, upper: bool = True) -> pd.Series:
    """A text column trimmed (and upper-cased, to compare), "" for missing or absent."""
    return column_text(frame, column, upper)


def _number(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index)
    return pd.to_numeric(frame[column], errors="coerce")


def _subjects(frame: pd.DataFrame | None) -> set[str]:
    if frame is None or "USUBJID" not in frame.columns:
        return set()
    return set(distinct_text(frame["USUBJID"]))


def _investigational(ts: pd.DataFrame | None, ex: pd.DataFrame | None) -> set[str]:
    """The investigational treatments: TS TRT values, else every EXTRT."""
    named: set[str] = set()
    if ts is not None and {"TSPARMCD", "TSVAL"} <= set(ts.columns):
        named = set(_text(ts, "TSVAL")[_text(ts, "TSPARMCD") == "TRT"]) - {""}
    if ex is None:
        return named
    given = set(_text(ex, "EXTRT")) - {""}
    return (named & given) or given


def _status(ds: pd.DataFrame, screened: set[str]) -> list[tuple[str, int]]:
    """Each subject's last disposition event (by DSSTDTC, then DSSEQ), counted by DSDECOD."""
    events = ds[_text(ds, "DSCAT") == "DISPOSITION EVENT"].assign(
        TERM=lambda frame: _text(frame, "DSDECOD"), WHEN=lambda frame: _text(frame, "DSSTDTC"),
        SEQ=lambda frame: _number(frame, "DSSEQ"))
    last = events.sort_values(["USUBJID", "WHEN", "SEQ"], kind="mergesort").drop_duplicates("USUBJID", keep="last")
    counts = last["TERM"].value_counts()
    rows = sorted(((str(term), int(n)) for term, n in counts.items()), key=lambda item: (-item[1], item[0]))
    without = len(screened - set(last["USUBJID"]))
    if without:
        rows.append(("No disposition event yet (ongoing)", without))
    return rows


def _moments(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(datetime64 of each complete --DTC value, whether it has a time); NaT for partial or bad values."""
    moments, timed = {}, {}
    for value in set(values):
        try:
            parts = parse_iso(value)
        except DateError:
            parts = None
        if parts is None or not parts.is_complete_date:
            moments[value], timed[value] = pd.NaT, False
            continue
        moments[value] = pd.Timestamp(parts.year, parts.month, parts.day, parts.hour or 0, parts.minute or 0,
                                      parts.second or 0)
        timed[value] = parts.hour is not None
    return pd.to_datetime(values.map(moments)), values.map(timed).astype(bool)


def _exposure(ex: pd.DataFrame, treatments: set[str]) -> tuple[list[Exposure], list[str]]:
    notes: list[str] = []
    records = ex.assign(TRT=_text(ex, "EXTRT"), UNIT=_text(ex, "EXDOSU"), FREQ=_text(ex, "EXDOSFRQ"),
                        DOSE=_number(ex, "EXDOSE"), UNIT_TEXT=_text(ex, "EXDOSU", upper=False))
    start, start_timed = _moments(_text(ex, "EXSTDTC"))
    end, end_timed = _moments(_text(ex, "EXENDTC").where(_text(ex, "EXENDTC") != "", _text(ex, "EXSTDTC")))
    both_timed = start_timed & end_timed
    elapsed = (end - start) / pd.Timedelta(days=1)
    calendar = (end.dt.normalize() - start.dt.normalize()) / pd.Timedelta(days=1)
    rate = records["UNIT"].str.endswith(PER_DAY_SUFFIXES)
    records["DAYS"] = np.where(rate, elapsed.where(both_timed, calendar), calendar + 1)
    per_day = records["FREQ"].map(DOSES_PER_DAY)
    records["TOTAL"] = np.where(rate, records["DOSE"] * records["DAYS"],
                                np.where(per_day.notna(), records["DOSE"] * per_day * records["DAYS"],
                                         np.where(records["FREQ"].isin(ONCE), records["DOSE"], np.nan)))
    exposures = []
    order = sorted(set(records["TRT"]) - {""}, key=lambda name: (name not in treatments, name))
    for name in order:
        rows = records[records["TRT"] == name]
        undated = int(rows["DAYS"].isna().sum())
        if undated:
            notes.append(f"{name}: {undated} EX record(s) without complete start and end dates are left out of "
                         "the days and doses.")
        per_subject = _sums_if_known(rows, ["DAYS", "TOTAL"])
        unknown_total = int(rows["TOTAL"].isna().sum()) - undated
        if unknown_total > 0:
            notes.append(f"{name}: {unknown_total} EX record(s) have a dose frequency with no rule for a total "
                         f"({', '.join(sorted(set(rows.loc[rows['TOTAL'].isna(), 'FREQ'])))}); their subjects have "
                         "no total dose.")
        units = sorted(set(rows["UNIT_TEXT"]) - {""})
        unit = units[0] if len(units) == 1 else ""
        suffix = next((s for s in PER_DAY_SUFFIXES if unit.upper().endswith(s)), "")
        dose_unit = unit[: len(unit) - len(suffix)]
        if len(units) > 1:
            notes.append(f"{name}: EX gives more than one dose unit ({', '.join(units)}); no total dose.")
        levels = sorted(set(rows["DOSE"].dropna()))
        doses = ", ".join(number_text(level) for level in levels) + (f" {unit}" if unit else "")
        exposures.append(Exposure(
            treatment=name, investigational=name in treatments, subjects=int(rows["USUBJID"].nunique()),
            records=len(rows), days=_spread(per_subject["DAYS"]),
            total_dose=_spread(per_subject["TOTAL"]) if len(units) <= 1 else None,
            dose_unit=dose_unit, doses=doses))
    return exposures, notes


def _sums_if_known(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Per-subject sums, unknown (NaN) for a subject with any unknown record: a partial sum would
    understate it."""
    by_subject = rows.groupby("USUBJID", sort=True)
    sums = by_subject[columns].sum()
    unknown = rows[columns].isna().groupby(rows["USUBJID"], sort=True).any()
    return sums.mask(unknown)


def _spread(values: pd.Series) -> Spread | None:
    values = values.dropna()
    if values.empty:
        return None
    return Spread(float(values.median()), float(values.min()), float(values.max()))


def percent(part: int, whole: int | None) -> str:
    """'12.5%' of the denominator, '' without one."""
    if not whole:
        return ""
    share = 100.0 * part / whole
    return f"{share:.0f}%" if math.isclose(share, round(share)) else f"{share:.1f}%"
