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

from cdisc_map import dates
from cdisc_map.engine import ROW, Environment, Rows, condition_mask, report


@dataclass(frozen=True)
class Derivation:
    name: str
    func: Callable[[dict, Rows, Environment, str], pd.Series]
    required: tuple[str, ...] = ()
    late: bool = False
    params_help: str = ""
    method: str = ""


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
    usubjid = env.study_id + "-" + site + "-" + subject
    return usubjid.where(site != "", "").astype(object)


def _reference_dates(mapping: dict, env: Environment, pick: str) -> pd.Series:
    source = env.datasets[mapping["dataset"]]
    var = mapping["var"]
    if var not in source.columns:
        raise KeyError(f"dataset {mapping['dataset']} has no variable {var}")
    if "where" in mapping:
        rows = Rows(source, source, "", {}, mapping["dataset"], None)  # type: ignore[arg-type]
        source = source[condition_mask(mapping["where"], rows)]
    values = source[["USUBJID", var]]
    values = values[values[var] != ""]
    grouped = values.groupby("USUBJID")[var]
    return grouped.min() if pick == "first" else grouped.max()


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
    """--SEQ: 1, 2, ... within subject, in the dataset's key order (records arrive sorted)."""
    return (rows.variable("USUBJID").groupby(rows.variable("USUBJID"), sort=False).cumcount() + 1).astype("float64")


DERIVATIONS: dict[str, Derivation] = {
    d.name: d
    for d in (
        Derivation("studyid", derive_studyid, method="The study identifier from study.yaml."),
        Derivation("siteid", derive_siteid, method="The subject's site, from the subjects form."),
        Derivation("subjid", derive_subjid, method="The subject id as collected, blanks trimmed."),
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
    )
}

__all__ = ["DERIVATIONS", "Derivation", "ROW"]
