"""Time-to-event parameters (ADaM BDS-TTE) from declarative specs: sources, not code.

A parameter is a start date, event sources, optional competing-event sources and
censoring sources, in the spirit of admiral's event_source / censor_source. Each
source names a dataset, a filter (`where`, in the condition vocabulary of
`cdisc_map.spec.conditions`), a date variable and a description. Per subject:

* the subjects are the records of the start dataset (usually ADSL) in the spec's
  `population`; every one of them gets exactly one record, or an error says why not;
* each source offers its first (events) or last (censors) matching record; `first:` /
  `last:` override that, `from_start: true` ignores records dated before STARTDT;
* the earliest event or competing event wins (ties: the order of the spec, events
  before competing events); CNSR is 0 for an event, the source's positive code for a
  competing event, so that cumulative incidence (Aalen-Johansen) can be estimated
  from ADTTE alone;
* a subject with no event is censored at the latest censoring date (ties: spec order);
* with a `window` of N days, a record after STARTDT + N is censored at STARTDT + N
  with the window's code (its SRCDOM/SRCVAR point at the start date it is counted from);
* AVAL = ADT - STARTDT + 1 in days (the `aval` convention, stated in the spec).

Partial dates become dates only by the spec's `impute` rule (ADTF says what was
imputed); a date before STARTDT, a subject without a start date, a source naming a
missing dataset or variable are errors naming subject, parameter and source. All
problems are collected and raised together.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cdisc_map.adam.conform import conform_adam
from cdisc_map.core import sasdates as imputation
from cdisc_map.core.datasets import Dataset
from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.mapping.sources import (
    SUBJECT,
    SourceCache,
    SourceError,
    condition_vars,
    matching,
    matching_dates,
    matching_text,
    sequence_var,
    source_records,
    text,
)
from cdisc_map.spec import conditions
from cdisc_map.spec.check import check_tte_spec
from cdisc_map.spec.schemas import AVAL_CONVENTIONS as CONVENTIONS
from cdisc_map.standards.adam_metadata import load_adamig

EVENT, COMPETING, CENSOR = "event", "competing", "censor"
ROLE_KEYS = {EVENT: "events", COMPETING: "competing", CENSOR: "censors"}
#: AVAL conventions a spec may state, and the days added to ADT - STARTDT.
AVAL_CONVENTIONS = dict(zip(CONVENTIONS, (1.0, 0.0), strict=True))
DEFAULT_AVAL = "ADT - STARTDT + 1"
AVALU = "DAYS"
COLUMNS = ["STUDYID", "USUBJID", "PARAMCD", "PARAM", "PARAMN", "AVAL", "AVALU", "STARTDT", "STARTDTF", "ADT",
           "ADTF", "CNSR", "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "SRCSEQ"]
NUMERIC = {"PARAMN", "AVAL", "STARTDT", "ADT", "CNSR", "SRCSEQ"}
DATASET = "ADTTE"
CANDIDATE_COLUMNS = [SUBJECT, "ADT", "ADTF", "CNSR", "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "SRCSEQ", "ROLE",
                     "PRIORITY", "SOURCE"]


class AdamWarning(UserWarning):
    """Something in the data that did not stop the derivation but changes what was derived."""


def derive_tte(spec: dict, datasets: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One time-to-event parameter's ADTTE records from its spec and the datasets it names.

    `spec` is a dict as loaded from the parameter's YAML; `datasets` maps dataset names
    (ADSL, RS, DS, AE, ADRS, SUPPAE, ...) to DataFrames, from this tool or another.
    Returns one record per subject of the population with the columns of `COLUMNS`
    (numbers float64, text object with "" for missing). Raises ProblemsError with every
    problem when any is an error; warnings (records left out for a partial date, for
    example) are issued as AdamWarning.
    """
    records, problems = tte_records(spec, datasets)
    if any(p.severity == "error" for p in problems):
        raise ProblemsError(sorted(problems, key=lambda p: p.severity != "error"))
    for problem in problems:
        warnings.warn(str(problem), AdamWarning, stacklevel=2)
    return records


def tte_records(spec: dict, datasets: Mapping[str, pd.DataFrame], cache: SourceCache | None = None,
                ) -> tuple[pd.DataFrame, list[Problem]]:
    """As `derive_tte`, but returning the problems (errors and warnings) instead of raising.

    A `cache` shares work with the other parameters of one build (see `SourceCache`).
    """
    problems = check_tte_spec(spec)
    if any(p.severity == "error" for p in problems):
        return _empty(), problems
    report = _Report(spec["paramcd"], problems)
    cache = SourceCache() if cache is None else cache
    subjects = _subjects(spec, datasets, report, cache)
    ranks = None if subjects is None else pd.factorize(subjects[SUBJECT], sort=True)[1]  # the subjects, sorted
    candidates = [_candidates(spec, role, index, source, datasets, subjects, report, cache, ranks)
                  for role, index, source in _sources(spec)]
    if subjects is None or any(c is None for c in candidates):  # a source could not be read
        return _empty(), problems
    return _choose(spec, subjects, candidates, report, ranks), problems


# --- the spec ----------------------------------------------------------------------


def _sources(spec: dict):
    """(role, index, source) of every source, in priority order: events, competing, censors."""
    for role in (EVENT, COMPETING, CENSOR):
        for index, source in enumerate(spec.get(ROLE_KEYS[role]) or []):
            yield role, index, source


def _source_name(role: str, index: int, source: dict) -> str:
    return f"{role} source {index + 1} ({source.get('dataset')}.{source.get('var')})"


class _Report:
    """Problems of one parameter, each message starting with its PARAMCD."""

    def __init__(self, paramcd: str, problems: list[Problem]):
        self.paramcd = paramcd
        self.problems = problems
        self.failed = False

    def error(self, message: str, **where: Any) -> None:
        self.failed = True
        self.problems.append(Problem(f"{self.paramcd}: {message}", dataset=DATASET, **where))

    def warning(self, message: str, **where: Any) -> None:
        self.problems.append(Problem(f"{self.paramcd}: {message}", dataset=DATASET, severity="warning", **where))

    def per_record(self, rows: pd.DataFrame, message: str, severity: str = "error", column: str | None = None,
                   hint: str | None = None) -> None:
        """One problem per row of `rows`; `message` is formatted with the row's columns."""
        if rows.empty:
            return
        if severity == "error":
            self.failed = True
        for row in rows.to_dict("records"):
            self.problems.append(Problem(f"{self.paramcd}: {message.format(**row)}", dataset=DATASET,
                                         value=str(row[SUBJECT]), column=column, severity=severity, hint=hint))


def _impute_rule(spec: dict, source: dict | None = None) -> str:
    if source and "impute" in source:
        return source["impute"]
    return spec.get("impute", {}).get("partial", "none")


# --- subjects and their start dates --------------------------------------------------


def _subjects(spec: dict, datasets: Mapping[str, pd.DataFrame], report: _Report,
              cache: SourceCache) -> pd.DataFrame | None:
    """USUBJID, STUDYID, STARTDT, STARTDTF and the start's pointer, for the population."""
    start = spec["start"]
    name, var = start["dataset"], start["var"]
    population = spec.get("population")
    try:
        records = source_records(datasets, name, [var, *condition_vars(population)], cache)
        mask = matching(records, population, cache)
    except SourceError as exc:
        report.error(f"start ({name}.{var}) or population: {exc}")
        return None
    subjects = pd.DataFrame({SUBJECT: matching_text(records, SUBJECT, mask, cache)},
                            index=records.index[mask.to_numpy(bool)])
    doubled = subjects[subjects[SUBJECT].duplicated()]
    report.per_record(doubled.drop_duplicates(), f"start dataset {name} has more than one record for the subject",
                      hint="the start dataset must have one record per subject, such as ADSL")
    subjects["STUDYID"] = matching_text(records, "STUDYID", mask, cache) if "STUDYID" in records.columns else ""
    dates = matching_dates(records, var, mask, _impute_rule(spec), cache)
    subjects["STARTDT"] = dates["days"]
    subjects["STARTDTF"] = dates["flag"]
    subjects["STARTVAL"] = matching_text(records, var, mask, cache)
    seq = sequence_var(records, name)
    subjects["STARTSEQ"] = records[seq][mask].astype("float64") if seq else float("nan")
    without = subjects[subjects["STARTDT"].isna()]
    if spec.get("exclude_without_start"):
        if not without.empty:
            report.warning(f"{len(without)} subject(s) of the population have no start date {name}.{var} and are "
                           f"excluded as the spec says (exclude_without_start): "
                           f"{', '.join(without[SUBJECT])}")
    else:
        report.per_record(without, f"subject of the population has no usable start date {name}.{var} "
                                   f"(value {{STARTVAL!r}})", column=var,
                          hint="check the source data; or set exclude_without_start: true in the spec to leave "
                               "such subjects out with a warning")
    # subjects without a start were reported (error) or excluded (warning); the others are still checked
    subjects = subjects[subjects["STARTDT"].notna()]
    return subjects.drop_duplicates(SUBJECT).reset_index(drop=True)


# --- candidate records per source ----------------------------------------------------


def _candidates(spec: dict, role: str, index: int, source: dict, datasets: Mapping[str, pd.DataFrame],
                subjects: pd.DataFrame | None, report: _Report, cache: SourceCache,
                ranks: pd.Index | None = None) -> pd.DataFrame | None:
    """The record each subject's source offers: its first (or last) usable matching record."""
    name, var = source["dataset"], source["var"]
    label = _source_name(role, index, source)
    where = source.get("where")
    try:
        frame = source_records(datasets, name, [var, *condition_vars(where), source.get("srcseq")], cache)
        mask = matching(frame, where, cache)
    except SourceError as exc:
        report.error(f"{label}: {exc}", column=var)
        return None
    if subjects is None:
        return None
    seq = sequence_var(frame, name, source.get("srcseq"))
    impute = _impute_rule(spec, source)
    dates = matching_dates(frame, var, mask, impute, cache)
    subject = matching_text(frame, SUBJECT, mask, cache)
    rows = pd.DataFrame({
        SUBJECT: subject,
        "VALUE": matching_text(frame, var, mask, cache) if not pd.api.types.is_numeric_dtype(frame[var])
        else cache.get(frame, ("as str", var), lambda: frame[var].astype(str))[mask],
        "SRCSEQ": frame[seq][mask].astype("float64") if seq else float("nan"),
        "ORDER": range(len(subject)),
        **{f"PARSED_{column}": dates[column] for column in dates.columns},  # dates, parsed once per column
    })
    rows = rows.merge(subjects[[SUBJECT, "STARTDT"]], on=SUBJECT, how="inner")
    parsed = rows[[f"PARSED_{column}" for column in dates.columns]].set_axis(list(dates.columns), axis=1)
    dates = parsed[["days", "flag", "status"]] if impute == "none" else \
        imputation.raised_to_floor(parsed, rows["STARTDT"])
    rows["ADT"], rows["ADTF"], status = dates["days"], dates["flag"], dates["status"]
    report.per_record(_where(rows, status == imputation.PARTIAL),
                      f"{label}: partial date {{VALUE}} not used (the spec has no imputation rule)",
                      severity="warning", column=var,
                      hint="add impute: {partial: first|mid|last} to the spec to use partial dates")
    undated = _where(rows, status == imputation.MISSING)
    if not undated.empty:  # one warning for the source, not one per record
        subjects_ = sorted(set(undated[SUBJECT]))
        shown = ", ".join(subjects_[:5]) + (f" and {len(subjects_) - 5} more" if len(subjects_) > 5 else "")
        report.warning(f"{label}: {len(undated)} matching record(s) have no {var} and are not used ({shown})",
                       column=var, hint=f"add {{var: {var}, missing: false}} to the source's where: when such "
                                        "records are expected")
    report.per_record(_where(rows, status == imputation.INVALID),
                      f"{label}: {{VALUE!r}} is not an ISO 8601 date", column=var)
    rows = rows[rows["ADT"].notna()]
    if source.get("from_start"):
        rows = rows[rows["ADT"] >= rows["STARTDT"]]
    last = source.get("pick", "last" if role == CENSOR else "first") == "last"
    rows = _sorted_by_subject(rows, ["ADT", "SRCSEQ", "ORDER"], ranks=ranks)
    rows = rows.drop_duplicates(SUBJECT, keep="last" if last else "first")
    desc = source["desc"]
    return pd.DataFrame({
        SUBJECT: rows[SUBJECT], "ADT": rows["ADT"], "ADTF": rows["ADTF"],
        "CNSR": float(source.get("cnsr", 0)),
        "EVNTDESC": source.get("evntdesc", desc),
        "CNSDTDSC": "" if role == EVENT else desc,
        "SRCDOM": name.upper(), "SRCVAR": var, "SRCSEQ": rows["SRCSEQ"],
        "ROLE": role, "PRIORITY": _priority(spec, role, index), "SOURCE": label,
    })


def _where(rows: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """The rows of `mask`; no copy of the frame when there are none (the usual case for problems)."""
    return rows[mask] if mask.any() else rows.iloc[:0]


def _sorted_by_subject(frame: pd.DataFrame, by: list[str], descending: frozenset[str] = frozenset(),
                       ranks: pd.Index | None = None) -> pd.DataFrame:
    """`frame.sort_values([USUBJID, *by], kind="mergesort")`, missing values last and `descending` keys from the
    largest; the same stable order, found from numbers (the subjects' ranks) instead of comparing text.

    `ranks`, the sorted subjects (a superset of the frame's), saves sorting them again.
    """
    if ranks is None:
        subjects, _ = pd.factorize(frame[SUBJECT], sort=True)
    else:
        subjects = ranks.get_indexer(frame[SUBJECT])
    if (subjects < 0).any():  # a missing (or unranked) USUBJID: leave its place to pandas
        return frame.sort_values([SUBJECT, *by], ascending=[True, *(key not in descending for key in by)],
                                 kind="mergesort")
    keys: list[np.ndarray] = []
    for key in reversed(by):  # np.lexsort sorts by its last key first
        values = frame[key].to_numpy("float64")
        missing = np.isnan(values)
        filled = np.where(missing, 0.0, values)
        keys += [-filled if key in descending else filled, missing]
    keys.append(subjects)
    return frame.iloc[np.lexsort(keys)]


def _priority(spec: dict, role: str, index: int) -> int:
    """Tie-break rank: the source's position in the spec, events before competing events."""
    if role == COMPETING:
        return len(spec.get("events") or []) + index
    return index


# --- one record per subject ----------------------------------------------------------


def _choose(spec: dict, subjects: pd.DataFrame, candidates: list[pd.DataFrame], report: _Report,
            ranks: pd.Index | None = None) -> pd.DataFrame:
    offered = pd.concat([pd.DataFrame(columns=CANDIDATE_COLUMNS), *candidates], ignore_index=True)
    offered["ADT"] = offered["ADT"].astype("float64")
    is_event = offered["ROLE"].isin([EVENT, COMPETING])
    events = _sorted_by_subject(offered[is_event], ["ADT", "PRIORITY"], ranks=ranks)
    events = events.drop_duplicates(SUBJECT, keep="first")
    ties = frozenset({"ADT", "PRIORITY"}) if spec.get("censor_ties") == "last" else frozenset({"ADT"})
    censors = _sorted_by_subject(offered[~is_event], ["ADT", "PRIORITY"], descending=ties, ranks=ranks)
    censors = censors.drop_duplicates(SUBJECT, keep="first")
    chosen = pd.concat([events, censors[~censors[SUBJECT].isin(events[SUBJECT])]], ignore_index=True)
    records = subjects.merge(chosen, on=SUBJECT, how="left")

    report.per_record(_where(records, records["ADT"].isna()),
                      "subject has no event and no censoring date from any source",
                      hint="add a censoring source every subject has, e.g. the start date or LSTALVDT")
    if spec.get("clamp_to_start"):  # admiral's convention: a date before the start counts as the start
        records["ADT"] = records["ADT"].where(~(records["ADT"] < records["STARTDT"]), records["STARTDT"])
    early = _where(records, records["ADT"] < records["STARTDT"]).assign(
        ADTISO=lambda r: imputation.iso_of(r["ADT"]), STARTISO=lambda r: imputation.iso_of(r["STARTDT"]))
    start = spec["start"]
    report.per_record(early, "{SOURCE}: date {ADTISO} is before the start date {STARTISO} "
                             f"({start['dataset']}.{start['var']})",
                      hint="fix the data, filter the source (where:, from_start: true) if such records "
                           "must not count, or set clamp_to_start: true to count them at the start")
    if report.failed or records.empty:
        return _empty()

    window = spec.get("window")
    if window:
        end = records["STARTDT"] + window["days"]
        beyond = records["ADT"] > end
        replacements = {"ADT": end, "ADTF": "", "EVNTDESC": window["desc"], "CNSDTDSC": window["desc"],
                        "CNSR": float(window["cnsr"]), "SRCDOM": start["dataset"].upper(), "SRCVAR": start["var"],
                        "SRCSEQ": records["STARTSEQ"]}
        for column, value in replacements.items():
            records[column] = records[column].where(~beyond, value)

    offset = AVAL_CONVENTIONS[spec.get("aval", DEFAULT_AVAL)]
    records["AVAL"] = records["ADT"] - records["STARTDT"] + offset
    records["AVALU"] = AVALU
    records["PARAMCD"] = spec["paramcd"]
    records["PARAM"] = spec["param"]
    records["PARAMN"] = float(spec["paramn"]) if "paramn" in spec else float("nan")
    records = _sorted_by_subject(records, [], ranks=ranks).reset_index(drop=True)
    return _typed(records[COLUMNS])


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for column in COLUMNS:
        values = frame[column] if column in frame else pd.Series(index=frame.index, dtype=object)
        if column in NUMERIC:
            out[column] = pd.to_numeric(values, errors="coerce").astype("float64")
        else:
            out[column] = values.astype(object).where(values.notna(), "").astype(str).astype(object)
    return out


def _empty() -> pd.DataFrame:
    return _typed(pd.DataFrame(columns=COLUMNS))


# --- the ADTTE dataset ---------------------------------------------------------------


def tte_method(spec: dict) -> str:
    """The derivation of one parameter in words, from its spec (for define.xml and reviewers)."""

    def source_text(source: dict, role: str) -> str:
        pick = source.get("pick", "last" if role == CENSOR else "first")
        where = f" where {conditions.describe(source['where'])}" if source.get("where") else ""
        after = ", on or after STARTDT" if source.get("from_start") else ""
        code = f"CNSR={source.get('cnsr', 0)}"
        return f"{pick} {source['dataset']}.{source['var']}{where}{after} ({code}, {source['desc']})"

    start = spec["start"]
    parts = [f"{spec['paramcd']}: STARTDT = {start['dataset']}.{start['var']}"]
    if spec.get("population"):
        parts.append(f"population: {start['dataset']} records where {conditions.describe(spec['population'])}")
    parts.append("event = earliest of: " + "; ".join(source_text(s, EVENT) for s in spec["events"]))
    if spec.get("competing"):
        parts.append("competing events (earliest of events and competing events wins): "
                     + "; ".join(source_text(s, COMPETING) for s in spec["competing"]))
    if spec.get("censors"):
        parts.append("otherwise censored at the latest of: "
                     + "; ".join(source_text(s, CENSOR) for s in spec["censors"]))
    if spec.get("window"):
        window = spec["window"]
        parts.append(f"records after STARTDT + {window['days']} days are censored at STARTDT + {window['days']} "
                     f"(CNSR={window['cnsr']}, {window['desc']})")
    parts.append(f"partial dates: impute {_impute_rule(spec)}")
    parts.append(f"AVAL = {spec.get('aval', DEFAULT_AVAL)} (days)")
    return ". ".join(parts) + "."


def build_adtte(specs: list[dict], datasets: Mapping[str, pd.DataFrame], version: str = "1.3",
                cache: SourceCache | None = None) -> tuple[Dataset, list[Problem]]:
    """ADTTE from every parameter spec: records, ADSL variables, metadata; never raises for data problems.

    PARAMN is the spec's `paramn`, else the spec's position (1, 2, ...). ADSL variables
    of the ADaMIG ADTTE table that ADSL holds (SUBJID, SITEID, TRT01P, flags, ...) are
    joined on USUBJID.
    """
    problems: list[Problem] = []
    frames = []
    seen: dict[str, int] = {}
    cache = SourceCache() if cache is None else cache
    for position, spec in enumerate(specs, start=1):
        records, found = tte_records(spec, datasets, cache)
        problems += found
        if not isinstance(spec, dict):
            continue
        code = spec.get("paramcd")
        if code in seen:
            problems.append(Problem(f"PARAMCD {code} is defined by more than one spec", dataset=DATASET))
        seen[str(code)] = position
        if "paramn" not in spec:
            records["PARAMN"] = float(position)
        frames.append(records)
    frame = pd.concat(frames, ignore_index=True) if frames else _empty()
    if frame.groupby("PARAMN")["PARAMCD"].nunique().gt(1).any():
        problems.append(Problem("PARAMN must be one-to-one with PARAMCD", dataset=DATASET, column="PARAMN"))
    adsl = _adsl(datasets)
    wanted: list[str] = []  # the ADSL variables copied to every record
    if adsl is not None:
        wanted = adsl_variables(list(adsl.columns), version)
        copies = adsl[[SUBJECT, *wanted]].assign(**{SUBJECT: text(adsl[SUBJECT])}).drop_duplicates(SUBJECT)
        frame = frame.drop(columns=[c for c in wanted if c in frame.columns]).merge(copies, on=SUBJECT, how="left")
    frame = _sorted_by_subject(frame, ["PARAMN"]).reset_index(drop=True)
    dataset, found = _described(specs, frame, version, wanted)
    return dataset, problems + found


def adsl_variables(adsl_columns: list[str], version: str = "1.3") -> list[str]:
    """The ADSL variables ADTTE carries: those of the ADaMIG ADTTE table that ADSL holds (SUBJID, flags, ...)."""
    return [v.name for v in load_adamig(version).variables(DATASET)
            if v.name in adsl_columns and v.name not in COLUMNS[2:] and v.name != SUBJECT]


def adtte_metadata(specs: list[dict], adsl_columns: list[str], version: str = "1.3") -> Dataset:
    """ADTTE as its parameter specs describe it, without records: the variables (with those of ADSL it
    carries), their origins and methods (for the spec workbook)."""
    wanted = adsl_variables(adsl_columns, version)
    frame = pd.DataFrame(columns=COLUMNS + [v for v in wanted if v not in COLUMNS])
    dataset, _problems = _described(specs, frame, version, wanted)
    return dataset


def _described(specs: list[dict], frame: pd.DataFrame, version: str, wanted: list[str]
               ) -> tuple[Dataset, list[Problem]]:
    """The records conformed to ADaMIG, with the variables' origins and methods and the dataset's comment."""
    valid = [s for s in specs if isinstance(s, dict) and not check_tte_spec(s)]
    origins, methods, predecessors = _define_metadata(valid, wanted)
    dataset, found = conform_adam(DATASET, frame, version=version, methods=methods, origins=origins,
                                  predecessors=predecessors)
    parameters = "; ".join(f"{s['paramcd']} ({s['param']})" for s in valid)
    dataset.comment = (f"One record per subject and parameter: {parameters}. Each parameter's events, competing "
                       "events and censoring are the method of AVAL in its value-level metadata (by PARAMCD).")
    return dataset, found


def _define_metadata(specs: list[dict], copied: list[str]) -> tuple[dict, dict, dict]:
    """Origins, methods and predecessors of the ADTTE variables, for define.xml (reviewers read them there)."""
    starts = sorted({f"{s['start']['dataset']}.{s['start']['var']}" for s in specs})
    start_datasets = sorted({s["start"]["dataset"].upper() for s in specs})
    conventions = sorted({s.get("aval", DEFAULT_AVAL) for s in specs}) or [DEFAULT_AVAL]
    origins = {"PARAMCD": "Assigned", "PARAM": "Assigned", "PARAMN": "Assigned", "AVALU": "Assigned"}
    predecessors = {var: f"ADSL.{var}" for var in copied}
    if len(start_datasets) == 1:  # every parameter's subjects are the records of one dataset
        predecessors.update({var: f"{start_datasets[0]}.{var}" for var in ("STUDYID", "USUBJID")})
    if len(starts) == 1:
        predecessors["STARTDT"] = starts[0]
    origins.update({var: "Predecessor" for var in predecessors})
    methods = {
        "PARAMCD": "One code per time-to-event parameter; each parameter's derivation is in AVAL's value-level "
                   "metadata.",
        "PARAM": "The description of PARAMCD.",
        "PARAMN": "The number of PARAMCD, one-to-one with it.",
        "AVALU": "DAYS: AVAL is a number of days.",
        "STARTDT": "The parameter's start date: " + "; ".join(
            f"{s['start']['dataset']}.{s['start']['var']} for {s['paramcd']}" for s in specs) + ".",
        "STARTDTF": "The level of imputation of STARTDT (D, M or Y); null when the start date is complete.",
        "ADT": "The date of the event, competing event or censoring chosen for the subject and parameter (see "
               "AVAL's value-level metadata).",
        "ADTF": "The level of imputation of ADT (D, M or Y); null when the date is complete.",
        "AVAL": f"{' or '.join(conventions)}, in days.",
        "CNSR": "0 for an event; a positive code per censoring reason or competing event, the same within a "
                "parameter (EVNTDESC and CNSDTDSC describe each code).",
        "EVNTDESC": "The description of the event, competing event or censoring that gives ADT.",
        "CNSDTDSC": "For censored records, the description of the censoring date; null for events.",
        "SRCDOM": "The dataset of the record ADT is taken from.",
        "SRCVAR": "The variable of SRCDOM that ADT is taken from.",
        "SRCSEQ": "The --SEQ of the record ADT is taken from; null when the source dataset has one record per "
                  "subject (ADSL).",
    }
    return origins, {var: text for var, text in methods.items() if var not in predecessors}, predecessors


def _adsl(datasets: Mapping[str, pd.DataFrame]) -> pd.DataFrame | None:
    return next((frame for key, frame in datasets.items() if key.upper() == "ADSL"), None)
