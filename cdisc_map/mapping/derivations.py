"""The derivations a spec names with `derive: NAME`, one well-named function each.

What each takes, reads and says in define.xml is declared in `cdisc_map.spec.registry`;
here is only how it is computed, over whole columns. A derivation reads the records'
variables (`records.variable`), raw columns (`records.column`) and, per subject, other
datasets already built (`env.datasets`); the build plan guarantees that whatever it
reads is complete when it runs.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc_map.core import dates, sasdates
from cdisc_map.core.distinct import per_distinct, per_distinct_text
from cdisc_map.mapping.engine import Environment, Implementation, MappingError, Records, report
from cdisc_map.mapping.sources import (
    SUBJECT,
    Matching,
    SourceError,
    condition_vars,
    matching,
    sequence_var,
    source_records,
)
from cdisc_map.spec.registry import ADAM, SUBJECTS_DATASET

# --- subject identity (SDTM) ------------------------------------------------------------------


def subject_ids(records: Records, env: Environment) -> pd.Series:
    """The subject id of each record, from the form's declared subject column."""
    form = env.forms.get(records.form)
    if form is None:
        raise MappingError(f"records of {records.form} have no subject column",
                           hint="subject identifiers are derived from raw forms; write them as constants here")
    return records.column(form.subject).astype(str).str.strip()


def _identity(records: Records, env: Environment, variable: str) -> pd.Series:
    """`variable` (SITEID, SUBJID, USUBJID) of each record's subject; "" for a subject the subjects form
    lacks (reported once for every form by the build)."""
    found = subject_ids(records, env).map(env.subjects[variable]).astype(object)
    return found.where(found.notna(), "")


def derive_studyid(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    return pd.Series(env.study_id, index=records.index, dtype=object)


def derive_siteid(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    return _identity(records, env, "SITEID")


def derive_subjid(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    return _identity(records, env, "SUBJID")


def derive_usubjid(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """USUBJID as the study defines it (default STUDYID-SITEID-SUBJID): unique across the submission."""
    return _identity(records, env, "USUBJID")


# --- reading other datasets -------------------------------------------------------------------


def _records_of(env: Environment, dataset: str, needed: list[str], where: dict | None) -> pd.DataFrame:
    """The records of another dataset where a condition holds, with the variables needed."""
    try:
        frame = source_records(env.datasets, dataset, needed + condition_vars(where))
        return frame[matching(frame, where)]
    except SourceError as exc:
        raise MappingError(str(exc), hint=f"check the variable names against the {dataset} spec") from exc


def _sources(mapping: dict) -> list[dict]:
    """The sources of a date derivation: `sources:`, or the one source `dataset`/`var`/`where`."""
    if "sources" in mapping:
        return list(mapping["sources"])
    if "dataset" not in mapping or "var" not in mapping:
        raise MappingError("the derivation needs `dataset` and `var`, or `sources`")
    return [{key: mapping[key] for key in ("dataset", "var", "where", "fallback") if key in mapping}]


def _with_fallback(frame: pd.DataFrame, source: dict) -> pd.Series:
    """The source's date variable, or its `fallback` where the variable is empty."""
    values = frame[source["var"]]
    if "fallback" in source:
        values = values.where(values.astype(str) != "", frame[source["fallback"]])
    return values


def _text_dates_per_subject(env: Environment, sources: list[dict], pick: str) -> pd.Series:
    """Per subject, the first or last non-empty --DTC text over the sources (ISO 8601 orders as text).

    Kept for the build: reference dates and epochs ask for the same ones often.
    """
    key = ("text dates", repr(sources), pick)
    if key not in env.lookups:
        parts = []
        for source in sources:
            needed = [source["var"]] + ([source["fallback"]] if "fallback" in source else [])
            frame = _records_of(env, source["dataset"], needed, source.get("where"))
            values = pd.DataFrame({SUBJECT: frame[SUBJECT], "VALUE": _with_fallback(frame, source)})
            parts.append(values[values["VALUE"] != ""])
        values = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        ordered = values.sort_values([SUBJECT, "VALUE"], kind="stable")
        chosen = ordered.drop_duplicates(SUBJECT, keep="first" if pick == "first" else "last")
        env.lookups[key] = pd.Series(chosen["VALUE"].to_numpy(), index=chosen[SUBJECT].to_numpy())
    return env.lookups[key]


def _numeric_dates_per_subject(records: Records, env: Environment, sources: list[dict], pick: str,
                               variable: str) -> pd.Series:
    """Per record's subject, the earliest / latest complete date over the sources, as a SAS date."""
    found, partial = [], []
    for source in sources:
        needed = [source["var"]] + ([source["fallback"]] if "fallback" in source else [])
        try:
            rows = Matching(env.datasets, source["dataset"], source.get("where"), needed, env.cache)
        except SourceError as exc:
            raise MappingError(str(exc)) from exc
        parsed = rows.dates(source["var"])
        if "fallback" in source:
            instead = rows.dates(source["fallback"])
            parsed = parsed.where(parsed["status"] != sasdates.MISSING, instead)
        found.append(pd.DataFrame({SUBJECT: rows.subjects, "DAYS": parsed["days"]}))
        partial.append(rows.subjects[parsed["status"] == sasdates.PARTIAL])
    days = pd.concat(found, ignore_index=True).dropna(subset=["DAYS"])
    grouped = days.groupby(SUBJECT)["DAYS"]
    subjects = records.variable("USUBJID")
    result = (grouped.min() if pick == "first" else grouped.max()).reindex(subjects)
    result.index = records.index
    if pick == "first":
        only_partial = result.isna() & subjects.isin(set(pd.concat(partial)))
        report(env, records, only_partial, f"{variable}: only partial dates found; {variable} is left missing",
               column=variable, severity="warning")
    return result.astype("float64")


def _date_per_subject(mapping: dict, records: Records, env: Environment, variable: str, pick: str) -> pd.Series:
    sources = _sources(mapping)
    if records.standard == ADAM:
        return _numeric_dates_per_subject(records, env, sources, pick, variable)
    per_subject = _text_dates_per_subject(env, sources, pick)
    found = records.variable("USUBJID").map(per_subject).astype(object)
    return found.where(found.notna(), "")


def derive_first_date(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """Earliest date of a subject's records in another dataset (e.g. RFSTDTC from EX)."""
    return _date_per_subject(mapping, records, env, variable, "first")


def derive_last_date(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """Latest date of a subject's records in another dataset (e.g. RFXENDTC from EX)."""
    return _date_per_subject(mapping, records, env, variable, "last")


def _study_values(mapping: dict, env: Environment) -> pd.Series:
    frame = _records_of(env, mapping["dataset"], [mapping["var"]], mapping.get("where"))
    values = frame[mapping["var"]]
    return values[values != ""]


def derive_study_first_date(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """The earliest {var} over the whole study (e.g. TS SSTDTC: the first informed consent)."""
    values = _study_values(mapping, env)
    return pd.Series(values.min() if len(values) else "", index=records.index, dtype=object)


def derive_study_last_date(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """The latest {var} over the whole study."""
    values = _study_values(mapping, env)
    return pd.Series(values.max() if len(values) else "", index=records.index, dtype=object)


def derive_study_count(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """How many distinct non-empty {var} values a dataset holds (e.g. TS ACTSUB: treated subjects in DM).

    The count is text, because its one use is a trial-summary value (TSVAL is character).
    """
    values = _study_values(mapping, env)
    return pd.Series(str(values.nunique()), index=records.index, dtype=object)


def _subject_value(records: Records, env: Environment, var: str) -> pd.Series:
    """`var` of each record's subject in the subjects dataset (DM)."""
    frame = _records_of(env, SUBJECTS_DATASET, [var], None)
    per_subject = frame.drop_duplicates(SUBJECT).set_index(SUBJECT)[var]
    found = records.variable("USUBJID").map(per_subject).astype(object)
    return found.where(found.notna(), "")


# --- dates and days -------------------------------------------------------------------------


def derive_age(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """Age in completed years at the reference date.

    A partial birth date still gives an age when every date it could stand for gives the
    same age (born "1985-06", reference 2024-03-10: 38 either way); otherwise the age is
    left missing and reported, never guessed.
    """
    birth = records.variable(mapping["of"])
    ref = records.variable(mapping["ref"])
    youngest = _years_between(latest_possible(birth), ref)
    oldest = _years_between(earliest_possible(birth), ref)
    age = youngest.where(youngest == oldest)
    unknown = age.isna() & (birth != "") & (ref != "")
    report(env, records, unknown, f"{variable}: cannot be derived exactly from a partial birth date",
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


def derive_study_day(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """SDTM study day: date - reference + 1 on or after the reference day, date - reference before; never 0.

    Only complete dates have a study day (SDTMIG 3.4 4.4.4). The reference is the
    dataset's own variable when it maps it, otherwise the subject's DM value.
    """
    ref_var = mapping.get("ref", "RFSTDTC")
    own = records.variable(mapping["of"])
    ref = records.variable(ref_var) if records.has_variable(ref_var) else _subject_value(records, env, ref_var)
    day = dates.iso_to_date(own.str.slice(0, 10))
    ref_day = dates.iso_to_date(ref.str.slice(0, 10))
    delta = (day - ref_day).dt.days.astype("float64")
    return pd.Series(np.where(delta >= 0, delta + 1, delta), index=records.index, dtype="float64")


def derive_seq(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """--SEQ: 1, 2, ... within subject (or `by`), in the dataset's key order (records arrive sorted), or in
    `order` (ties keep the key order)."""
    by = mapping.get("by", ["USUBJID"])
    frame = pd.DataFrame({f"by{i}": records.variable(name) for i, name in enumerate(by)}, index=records.index)
    order = mapping.get("order", [])
    for i, name in enumerate(order):
        frame[f"order{i}"] = records.variable(name)
    if order:
        frame = frame.sort_values([f"by{i}" for i in range(len(by))] + [f"order{i}" for i in range(len(order))],
                                  kind="stable")
    numbers = frame.groupby([f"by{i}" for i in range(len(by))], sort=False).cumcount() + 1
    return numbers.reindex(records.index).astype("float64")


def derive_last_before_exposure(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """--LOBXFL: "Y" on the last record per subject (and `by`) with a result on or before the first exposure.

    Dates compare to the minute when both have a time, else by day (a record on the day of
    the first exposure without a time counts as before it, as admiral's baseline flags
    do); a partial date never counts. Ties at the same date and time go to the later
    record in the dataset's key order, so each subject and test has one flag at most.
    """
    ref_var = mapping.get("ref", "RFXSTDTC")
    own = records.variable(mapping["of"])
    ref = records.variable(ref_var) if records.has_variable(ref_var) else _subject_value(records, env, ref_var)
    own_day, own_minute = _day_and_minute(own)
    ref_day, ref_minute = _day_and_minute(ref)
    both_timed = ~np.isnan(own_minute) & ~np.isnan(ref_minute)
    before = np.where(both_timed, (own_day < ref_day) | ((own_day == ref_day) & (own_minute <= ref_minute)),
                      own_day <= ref_day)  # NaN (partial, or no exposure) compares False
    has_result = np.zeros(len(own), dtype=bool)
    for name in mapping["results"]:
        has_result |= (records.variable(name).astype(str).str.strip() != "").to_numpy()
    by = ["USUBJID", *mapping.get("by", [])]
    frame = pd.DataFrame({f"by{i}": records.variable(name).to_numpy() for i, name in enumerate(by)})
    frame["day"], frame["minute"], frame["position"] = own_day, np.nan_to_num(own_minute, nan=-1.0), np.arange(len(own))
    candidates = frame[before & has_result].sort_values(
        [*(f"by{i}" for i in range(len(by))), "day", "minute", "position"], kind="stable")
    last = candidates.drop_duplicates([f"by{i}" for i in range(len(by))], keep="last")["position"].to_numpy()
    result = np.full(len(own), "", dtype=object)
    result[last] = "Y"
    return pd.Series(result, index=records.index, dtype=object)


def derive_epoch(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """EPOCH of a record from its date and the subject's epoch start dates, in the spec's order.

    A record belongs to the last epoch that started on or before it. Dates are compared
    to the minute when both have a time, else by calendar day. A partial record date
    (2024-10) belongs to an epoch only when all of its days do, as SDTM asks EPOCH where
    the start lies wholly inside one; a date before the first epoch, or a partial one
    that spans an epoch's start, has no epoch (null) rather than a guessed one.
    """
    own = records.variable(mapping["of"])
    own_day, own_minute = _day_and_minute(own)
    first_day, last_day = _day_span(own)
    usubjid = records.variable("USUBJID")
    result = np.full(len(usubjid), "", dtype=object)
    at_first, at_last = result.copy(), result.copy()  # the epochs of a partial date's first and last day
    for step in mapping["epochs"]:
        start = step["start"]
        if isinstance(start, str):
            boundary = _subject_value(records, env, start)
        else:
            boundary = usubjid.map(_text_dates_per_subject(env, [start], "first")).astype(object)
            boundary = boundary.where(boundary.notna(), "")
        day, minute = _day_and_minute(boundary)
        both_timed = ~np.isnan(own_minute) & ~np.isnan(minute)
        by_minute = (own_day > day) | ((own_day == day) & (own_minute >= minute))
        started = np.where(both_timed, by_minute, own_day >= day)  # NaN (partial) compares False
        result[started] = step["epoch"]
        at_first[first_day >= day] = step["epoch"]
        at_last[last_day >= day] = step["epoch"]
    partial = np.isnan(own_day) & (at_first != "") & (at_first == at_last)
    result[partial] = at_first[partial]
    return pd.Series(result, index=records.index, dtype=object)


def _day_span(iso: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """First and last day of ISO 8601 values (`dates.iso_day_span`), each distinct value parsed once."""
    return per_distinct_text(iso, dates.iso_day_span)


def _day_and_minute(iso: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Day number and minute of the day of ISO 8601 values, each distinct value parsed once."""
    return per_distinct_text(iso, dates.iso_day_and_minute)


# --- the visit schedule -----------------------------------------------------------------------


def _schedule_position(records: Records, env: Environment, mapping: dict,
                       variable: str) -> tuple[pd.Series, pd.Series]:
    """VISITNUM and VISIT of each record from the study's visit schedule.

    An unscheduled visit whose name carries its number (study.yaml `unscheduled_pattern`,
    e.g. "Unscheduled 6.1") takes it: VISITNUM 6.1, VISIT "UNSCHEDULED 6.1". Another is
    numbered after the subject's previous visit by date: previous VISITNUM + 0.01, + 0.02,
    ... and named "UNSCHEDULED 5.01" (SDTMIG 3.4 4.4.5).
    """
    column = mapping["col"]
    raw = per_distinct(records.column(column), _stripped_text)
    folded = per_distinct(raw, _casefolded)
    schedule = env.visits
    number = folded.map({k: v.number for k, v in schedule.visits.items()}).astype("float64")
    name = folded.map({k: v.name for k, v in schedule.visits.items()}).fillna("").astype(object)
    if schedule.numbered is not None:
        named = raw.str.extract(f"^(?:{schedule.numbered.pattern})$", flags=re.IGNORECASE)
        found = named["number"] if "number" in named else named.iloc[:, 0]
        from_name = pd.to_numeric(found, errors="coerce")
        taken = number.isna() & from_name.notna()
        number = number.where(~taken, from_name)
        name = name.where(~taken, "UNSCHEDULED " + found.fillna(""))
    unscheduled = folded.isin(schedule.unscheduled) & number.isna()
    unknown = number.isna() & ~unscheduled & (raw != "")
    report(env, records, unknown, f"{variable}: visit is not in the study's visit schedule", column=column,
           hint="add it to visits.schedule in study.yaml (or to visits.unscheduled, or match "
                "visits.unscheduled_pattern)")
    if unscheduled.any():
        when = records.variable(mapping["of"]) if "of" in mapping else pd.Series("", index=records.index)
        frame = pd.DataFrame({"usubjid": records.variable("USUBJID"), "when": when, "number": number,
                              "unscheduled": unscheduled})
        frame = frame.sort_values(["usubjid", "when"], kind="stable")
        previous = frame["number"].groupby(frame["usubjid"]).ffill().fillna(0.0)
        run = (~frame["unscheduled"]).groupby(frame["usubjid"]).cumsum()
        count = frame["unscheduled"].groupby([frame["usubjid"], run]).cumsum()
        filled = (previous + count * 0.01).round(2)
        number = number.where(~unscheduled, filled.reindex(records.index))
        name = name.where(~unscheduled, number.map(lambda n: f"UNSCHEDULED {n:.2f}"))
    return number, name


def _stripped_text(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip()


def _casefolded(values: pd.Series) -> pd.Series:
    return values.str.casefold()


def derive_visitnum(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    return _schedule_position(records, env, mapping, variable)[0]


def derive_visit(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    return _schedule_position(records, env, mapping, variable)[1]


def derive_visitdy(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """The planned study day of the record's visit, from the schedule's `day` (none for unscheduled visits)."""
    folded = records.column(mapping["col"]).astype(str).str.strip().str.casefold()
    days = {k: v.day for k, v in env.visits.visits.items() if v.day is not None}
    return folded.map(days).astype("float64")


# --- ADaM ------------------------------------------------------------------------------------


def derive_sas_date(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """An ISO 8601 --DTC as a SAS date; a partial date gives none (reported), an invalid one is an error."""
    of = mapping["of"]
    parsed = sasdates.analysis_dates(records.variable(of))
    report(env, records, parsed["status"] == sasdates.PARTIAL,
           f"{variable}: partial date in {of} gives no {variable} (ADSL imputes no dates)", column=variable,
           severity="warning")
    report(env, records, parsed["status"] == sasdates.INVALID, f"{variable}: {of} is not an ISO 8601 date",
           column=variable)
    return parsed["days"]


def derive_sas_datetime(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """An ISO 8601 --DTC with hours and minutes as a SAS datetime; none without a time."""
    return sasdates.analysis_datetimes(records.variable(mapping["of"]))


def _matching(env: Environment, dataset: str, where: dict | None, needed: list[str]) -> Matching:
    try:
        return Matching(env.datasets, dataset, where, needed, env.cache)
    except SourceError as exc:
        raise MappingError(str(exc), hint=f"check the variable names against the {dataset} spec") from exc


def _value_per_subject(mapping: dict, records: Records, env: Environment, pick: str) -> pd.Series:
    """`var` on the subject's first / last matching record, in `order` (dates by their first day), then --SEQ."""
    name, var, order = mapping["dataset"], mapping["var"], list(mapping.get("order", []))
    found = _matching(env, name, mapping.get("where"), [var, *order])
    seq = sequence_var(found.frame, name)
    keys = {SUBJECT: found.subjects}
    for position, by in enumerate(order):
        values = found.values(by)
        keys[f"ORDER{position}"] = values.astype("float64") if pd.api.types.is_numeric_dtype(values) \
            else found.dates(by, "first")["days"]
    keys["SEQ"] = found.values(seq).astype("float64") if seq else 0.0
    keys["POSITION"] = range(len(found.subjects))
    keys["VALUE"] = found.values(var)
    frame = pd.DataFrame(keys)
    columns = [SUBJECT, *[f"ORDER{i}" for i in range(len(order))], "SEQ", "POSITION"]
    frame = frame.sort_values(columns, na_position="first" if pick == "last" else "last", kind="mergesort")
    picked = frame.drop_duplicates(SUBJECT, keep="first" if pick == "first" else "last").set_index(SUBJECT)["VALUE"]
    values = picked.reindex(records.variable("USUBJID"))
    values.index = records.index
    return values if pd.api.types.is_numeric_dtype(values) else values.astype(object).where(values.notna(), "")


def derive_first_value(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    return _value_per_subject(mapping, records, env, "first")


def derive_last_value(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    return _value_per_subject(mapping, records, env, "last")


def derive_exists(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """Y when the subject has a matching record in the dataset, else N."""
    found = _matching(env, mapping["dataset"], mapping.get("where"), [])
    subjects = set(found.subjects)
    return pd.Series("N", index=records.index, dtype=object).where(~records.variable("USUBJID").isin(subjects), "Y")


def derive_duration(mapping: dict, records: Records, env: Environment, variable: str) -> pd.Series:
    """end - start + 1 days of two SAS date variables."""
    start, end = records.variable(mapping["start"]), records.variable(mapping["end"])
    if not (pd.api.types.is_numeric_dtype(start) and pd.api.types.is_numeric_dtype(end)):
        raise MappingError(f"duration needs numeric dates; derive {mapping['start']} and {mapping['end']} "
                           "with sas_date first")
    return (end - start + 1).astype("float64")


DERIVATIONS: dict[str, Implementation] = {
    "studyid": derive_studyid,
    "siteid": derive_siteid,
    "subjid": derive_subjid,
    "usubjid": derive_usubjid,
    "first_date": derive_first_date,
    "last_date": derive_last_date,
    "age": derive_age,
    "study_day": derive_study_day,
    "seq": derive_seq,
    "study_first_date": derive_study_first_date,
    "study_last_date": derive_study_last_date,
    "study_count": derive_study_count,
    "epoch": derive_epoch,
    "last_before_exposure": derive_last_before_exposure,
    "visitnum": derive_visitnum,
    "visit": derive_visit,
    "visitdy": derive_visitdy,
    "sas_date": derive_sas_date,
    "sas_datetime": derive_sas_datetime,
    "first_value": derive_first_value,
    "last_value": derive_last_value,
    "exists": derive_exists,
    "duration": derive_duration,
}
