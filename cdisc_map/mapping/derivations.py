"""Named derivations a spec can ask for with `derive: NAME`.

Each derivation is one well-named function over whole columns, registered with the
parameters it needs, so `check-spec` can say what is missing before anything runs.
Derivations marked `late` need the whole dataset and DM (study day, sequence
numbers) and run after every dataset's records exist, which is what lets DM take
its reference dates from EX while EX takes its study days from DM.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc_map.core import dates
from cdisc_map.mapping.engine import Environment, Rows, condition_mask, report


@dataclass(frozen=True)
class Derivation:
    name: str
    func: Callable[[dict, Rows, Environment, str], pd.Series]
    required: tuple[str, ...] = ()
    late: bool = False
    params_help: str = ""
    method: str = ""
    origin: str = "Derived"


def subject_ids(rows: Rows, env: Environment) -> pd.Series:
    """The subject id of each record, from the form's declared subject column."""
    column = env.forms[rows.form].subject
    return rows.column(column).astype(str).str.strip()


def _sites(rows: Rows, env: Environment) -> pd.Series:
    subject = subject_ids(rows, env)
    site = subject.map(env.sites)
    orphan = site.isna()
    column = env.forms[rows.form].subject
    report(env, rows, orphan, "subject is not in the subjects form (demographics)", column=column,
           hint="every record must belong to a subject of the subjects form; correct the subject id "
           "or add the subject's demographics")
    return site.fillna("")


def derive_studyid(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    return pd.Series(env.study_id, index=rows.index, dtype=object)


def derive_siteid(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    return _sites(rows, env).astype(object)


def derive_subjid(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    return subject_ids(rows, env).astype(object)


def derive_usubjid(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    """USUBJID = STUDYID-SITEID-SUBJID: unique across the submission, stable across data cuts."""
    site = _sites(rows, env)
    subject = subject_ids(rows, env)
    known = {s: f"{env.study_id}-{env.sites[s]}-{s}" for s in pd.unique(subject) if s in env.sites.index}
    return subject.map(known).where(site != "", "").fillna("").astype(object)


def _reference_dates(mapping: dict, env: Environment, pick: str) -> pd.Series:
    """Per subject, the first or last non-missing {var} of {dataset} records matching {where}.

    Cached for the run: EPOCH and the DM reference dates ask for the same ones often.
    """
    key = (mapping["dataset"], mapping["var"], repr(mapping.get("where")), pick)
    cached = env.cache.get(key)
    if cached is None:
        cached = env.cache[key] = _compute_reference_dates(mapping, env, pick)
    return cached


def _compute_reference_dates(mapping: dict, env: Environment, pick: str) -> pd.Series:
    source = env.datasets[mapping["dataset"]]
    var = mapping["var"]
    if var not in source.columns:
        raise KeyError(f"dataset {mapping['dataset']} has no variable {var}")
    if "where" in mapping:
        rows = Rows(source, source, "", {}, mapping["dataset"], None)  # type: ignore[arg-type]
        source = source[condition_mask(mapping["where"], rows)]
    values = source[["USUBJID", var]]
    values = values[values[var] != ""]
    ordered = values.sort_values(["USUBJID", var], kind="stable")
    chosen = ordered.drop_duplicates("USUBJID", keep="first" if pick == "first" else "last")
    return pd.Series(chosen[var].to_numpy(), index=chosen["USUBJID"].to_numpy())


def derive_first_date(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    """Earliest --DTC of a subject's records in another dataset (e.g. RFSTDTC from EX)."""
    per_subject = _reference_dates(mapping, env, "first")
    return rows.variable("USUBJID").map(per_subject).fillna("").astype(object)


def derive_last_date(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    """Latest --DTC of a subject's records in another dataset (e.g. RFXENDTC from EX)."""
    per_subject = _reference_dates(mapping, env, "last")
    return rows.variable("USUBJID").map(per_subject).fillna("").astype(object)


def derive_age(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    """Age in completed years at the reference date.

    A partial birth date still gives an age when every date it could stand for gives
    the same age (born "1985-06", reference 2024-03-10: 38 either way); otherwise the
    age is left missing and reported, never guessed.
    """
    birth = rows.variable(mapping["birth"])
    ref = rows.variable(mapping["ref"])
    youngest = _years_between(latest_possible(birth), ref)
    oldest = _years_between(earliest_possible(birth), ref)
    age = youngest.where(youngest == oldest)
    unknown = age.isna() & (birth != "") & (ref != "")
    report(env, rows, unknown, f"{variable}: cannot be derived exactly from a partial birth date",
           column=None, values=birth, severity="warning",
           hint="collect the complete birth date, or accept a missing age")
    return age.astype("float64")


def earliest_possible(iso: pd.Series) -> pd.Series:
    """The first calendar day a complete or right-truncated ISO date can stand for (NaT otherwise)."""
    day = iso.str.slice(0, 10)
    padded = day.where(day.str.len() != 7, day + "-01").where(day.str.len() != 4, day + "-01-01")
    return dates.iso_to_date(padded)


def latest_possible(iso: pd.Series) -> pd.Series:
    """The last calendar day a complete or right-truncated ISO date can stand for (NaT otherwise)."""
    day = iso.str.slice(0, 10)
    month_start = dates.iso_to_date(day.where(day.str.len() == 7, "") + "-01")
    month_end = month_start + pd.offsets.MonthEnd(0)
    year_end = dates.iso_to_date(day.where(day.str.len() == 4, "") + "-12-31")
    full = dates.iso_to_date(day.where(day.str.len() == 10, ""))
    return full.fillna(month_end).fillna(year_end)


def _years_between(birth: pd.Series, ref_iso: pd.Series) -> pd.Series:
    ref = dates.iso_to_date(ref_iso.str.slice(0, 10))
    years = ref.dt.year - birth.dt.year
    before_birthday = (ref.dt.month < birth.dt.month) | (
        (ref.dt.month == birth.dt.month) & (ref.dt.day < birth.dt.day))
    return (years - before_birthday.astype("float64")).astype("float64")


def derive_study_day(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    """SDTM study day: date - reference + 1 on or after the reference day, date - reference before; never 0.

    Only complete dates have a study day; partial ones get none (SDTMIG 3.4 4.4.4).
    """
    ref_var = mapping.get("ref", "RFSTDTC")
    own = rows.variable(mapping["of"])
    if ref_var in rows.built.columns:
        ref = rows.variable(ref_var)
    else:
        dm = env.datasets["DM"].drop_duplicates("USUBJID").set_index("USUBJID")[ref_var]
        ref = rows.variable("USUBJID").map(dm).fillna("")
    day = dates.iso_to_date(own.str.slice(0, 10))
    ref_day = dates.iso_to_date(ref.str.slice(0, 10))
    delta = (day - ref_day).dt.days.astype("float64")
    return pd.Series(np.where(delta >= 0, delta + 1, delta), index=rows.index, dtype="float64")


def derive_seq(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    """--SEQ: 1, 2, ... within subject (or `by`), in the dataset's key order (records arrive sorted)."""
    by = mapping.get("by", ["USUBJID"])
    keys = [rows.variable(name) for name in by]
    return (rows.built.groupby(keys, sort=False).cumcount() + 1).astype("float64")


def derive_study_first_date(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    """The earliest {var} over the whole study (e.g. TS SSTDTC: the first informed consent)."""
    values = _study_values(mapping, env)
    return pd.Series(values.min() if len(values) else "", index=rows.index, dtype=object)


def derive_study_last_date(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    """The latest {var} over the whole study."""
    values = _study_values(mapping, env)
    return pd.Series(values.max() if len(values) else "", index=rows.index, dtype=object)


def _study_values(mapping: dict, env: Environment) -> pd.Series:
    source = env.datasets[mapping["dataset"]]
    if "where" in mapping:
        rows = Rows(source, source, "", {}, mapping["dataset"], None)  # type: ignore[arg-type]
        source = source[condition_mask(mapping["where"], rows)]
    values = source[mapping["var"]]
    return values[values != ""]


def derive_epoch(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    """EPOCH of a record from its date and the subject's epoch start dates, in the spec's order.

    A record belongs to the last epoch that started on or before it. Dates are compared
    to the minute when both have a time, else by calendar day; a partial record date, or
    one before the first epoch, has no epoch (null) rather than a guessed one.
    """
    own_day, own_minute = day_and_minute(rows.variable(mapping["of"]))
    usubjid = rows.variable("USUBJID")
    result = np.full(len(usubjid), "", dtype=object)
    for step in mapping["epochs"]:
        start = step["start"]
        if isinstance(start, str):
            dm = env.datasets["DM"].drop_duplicates("USUBJID").set_index("USUBJID")[start]
            boundary = usubjid.map(dm).fillna("")
        else:
            boundary = usubjid.map(_reference_dates(start, env, "first")).fillna("")
        day, minute = day_and_minute(boundary)
        both_timed = ~np.isnan(own_minute) & ~np.isnan(minute)
        by_minute = (own_day > day) | ((own_day == day) & (own_minute >= minute))
        started = np.where(both_timed, by_minute, own_day >= day)  # NaN (partial) compares False
        result[started] = step["epoch"]
    return pd.Series(result, index=rows.index, dtype=object)


def day_and_minute(iso: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Day number and minute of the day of ISO 8601 values (NaN where partial or without time).

    Parsed once per distinct value, so comparing a million record dates costs what the
    study's distinct dates cost.
    """
    codes, distinct = pd.factorize(iso.astype(str))
    text = pd.Series(distinct, dtype=object)
    days = dates.iso_to_date(text)
    day = ((days - pd.Timestamp("1960-01-01")).dt.days).to_numpy(dtype="float64")
    timed = text.str.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
    minute = (pd.to_numeric(text.str.slice(11, 13), errors="coerce") * 60
              + pd.to_numeric(text.str.slice(14, 16), errors="coerce")).where(timed).to_numpy(dtype="float64")
    if not len(distinct):
        return np.full(len(codes), np.nan), np.full(len(codes), np.nan)
    return np.where(codes < 0, np.nan, day[codes]), np.where(codes < 0, np.nan, minute[codes])


def _schedule_position(rows: Rows, env: Environment, mapping: dict, variable: str) -> tuple[pd.Series, pd.Series]:
    """VISITNUM and VISIT of each record from the study's visit schedule.

    An unscheduled visit is numbered after the subject's previous visit by date:
    previous VISITNUM + 0.01, + 0.02, ... and named "UNSCHEDULED 5.01" (SDTMIG 3.4 4.4.5).
    """
    column = mapping["visit"]
    raw = rows.column(column).astype(str).str.strip()
    folded = raw.str.casefold()
    number = folded.map({k: v[0] for k, v in env.visits.items()}).astype("float64")
    name = folded.map({k: v[1] for k, v in env.visits.items()}).fillna("").astype(object)
    unscheduled = folded.isin(env.unscheduled)
    unknown = number.isna() & ~unscheduled & (raw != "")
    report(env, rows, unknown, f"{variable}: visit is not in the study's visit schedule", column=column,
           hint="add it to visits.schedule in study.yaml (or to visits.unscheduled)")
    if unscheduled.any():
        when = rows.variable(mapping["of"]) if "of" in mapping else pd.Series("", index=rows.index)
        frame = pd.DataFrame({"usubjid": rows.variable("USUBJID"), "when": when, "number": number,
                              "unscheduled": unscheduled})
        frame = frame.sort_values(["usubjid", "when"], kind="stable")
        previous = frame["number"].groupby(frame["usubjid"]).ffill().fillna(0.0)
        run = (~frame["unscheduled"]).groupby(frame["usubjid"]).cumsum()
        count = frame["unscheduled"].groupby([frame["usubjid"], run]).cumsum()
        filled = (previous + count * 0.01).round(2)
        number = number.where(~unscheduled, filled.reindex(rows.index))
        name = name.where(~unscheduled, number.map(lambda n: f"UNSCHEDULED {n:.2f}"))
    return number, name


def derive_visitnum(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    return _schedule_position(rows, env, mapping, variable)[0]


def derive_visit(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    return _schedule_position(rows, env, mapping, variable)[1]


DERIVATIONS: dict[str, Derivation] = {
    d.name: d
    for d in (
        Derivation("studyid", derive_studyid, method="The study identifier from study.yaml.", origin="Assigned"),
        Derivation("siteid", derive_siteid, method="The subject's site, from the subjects form.",
                   origin="Collected"),
        Derivation("subjid", derive_subjid, method="The subject id as collected, blanks trimmed.",
                   origin="Collected"),
        Derivation("usubjid", derive_usubjid, method="STUDYID, SITEID and SUBJID joined by hyphens."),
        Derivation("first_date", derive_first_date, required=("dataset", "var"),
                   params_help="dataset: EX, var: EXSTDTC, and an optional where:",
                   method="Earliest {var} of the subject's {dataset} records{where}."),
        Derivation("last_date", derive_last_date, required=("dataset", "var"),
                   params_help="dataset: EX, var: EXENDTC, and an optional where:",
                   method="Latest {var} of the subject's {dataset} records{where}."),
        Derivation("age", derive_age, required=("birth", "ref"), params_help="birth: BRTHDTC, ref: RFICDTC",
                   method="Completed years from {birth} to {ref}."),
        Derivation("study_day", derive_study_day, required=("of",), late=True,
                   params_help="of: the --DTC variable; ref: defaults to DM.RFSTDTC",
                   method="{of} minus {ref}, plus 1 on or after {ref} (no day 0); complete dates only."),
        Derivation("seq", derive_seq, late=True,
                   method="Sequential number within subject in the dataset's key order."),
        Derivation("study_first_date", derive_study_first_date, required=("dataset", "var"),
                   params_help="dataset: DM, var: RFICDTC", method="Earliest {var} in {dataset} over all subjects."),
        Derivation("study_last_date", derive_study_last_date, required=("dataset", "var"),
                   params_help="dataset: DM, var: RFPENDTC", method="Latest {var} in {dataset} over all subjects."),
        Derivation("epoch", derive_epoch, required=("of", "epochs"), late=True,
                   params_help="of: the record's --DTC; epochs: [{epoch: SCREENING, start: RFICDTC}, ...]",
                   method="The last epoch whose start (per subject) is on or before {of}; null for partial dates."),
        Derivation("visitnum", derive_visitnum, required=("visit",),
                   params_help="visit: the raw visit column; of: the --DTC ordering unscheduled visits",
                   method="From the protocol visit schedule; unscheduled visits numbered previous VISITNUM + 0.01."),
        Derivation("visit", derive_visit, required=("visit",),
                   params_help="visit: the raw visit column; of: the --DTC ordering unscheduled visits",
                   method="From the protocol visit schedule; unscheduled visits named UNSCHEDULED n.nn."),
    )
}

__all__ = ["DERIVATIONS", "Derivation"]


def derive_study_count(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    """How many distinct non-empty {var} values a dataset holds (e.g. TS ACTSUB: treated subjects in DM).

    The count is text, because its one use is a trial-summary value (TSVAL is character);
    the same number on every record, like study_first_date.
    """
    values = _study_values(mapping, env)
    return pd.Series(str(values.nunique()), index=rows.index, dtype=object)


DERIVATIONS["study_count"] = Derivation(
    "study_count", derive_study_count, required=("dataset", "var"),
    params_help="dataset: DM, var: USUBJID, and an optional where: (e.g. {var: ACTARMCD, ne: ''})",
    method="Number of distinct {var} in {dataset}{where}.")
