"""ADSL from SDTM: one record per DM subject, every derived variable a rule in the spec.

ADaMIG requires ADaM to come from SDTM, never from the raw export, so this module
only reads SDTM (or ADaM) DataFrames. What a variable is, which dataset gives the
transplant date, how the population flags are decided and how ages are grouped are
rules in `adsl.yaml`, not constants in code. The rules, one per variable, evaluated
in spec order (a rule may use the variables derived before it):

* `copy: VAR`: the subjects dataset's (DM's) variable, or an ADSL variable derived earlier;
* `constant: VALUE`;
* `date: VAR` / `datetime: VAR`: an ISO 8601 --DTC as a SAS date / datetime number
  (partial dates give a missing value, reported);
* `first: VAR` / `last: VAR` with `dataset`, `where`, `by`: the value of VAR on the
  subject's first / last matching record, ordered by the date `by` (then --SEQ);
* `first_date: [sources]` / `last_date: [sources]`: the earliest / latest complete
  date over sources `{dataset, var, where}` (LSTALVDT: every date proving the subject alive);
* `exists: {dataset, where}`: "Y" when the subject has a matching record, else "N";
* `when: [{if: condition, then: rule}]` with `else: rule`: the first branch whose
  condition holds on the subject's ADSL-so-far / DM values;
* `duration: {from: A, to: B}`: B - A + 1 days.

Options on any rule: `values` (a recode map; a value not in it is an error),
`otherwise` (the value where the result is missing), `not_after: VAR` (a date capped
at another date, reported), and for producer-defined variables `label`, `type`,
`format`; `method` and `comment` travel to define.xml.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cdisc_map.adam import imputation
from cdisc_map.adam.conform import AdamDataset, conform_adam
from cdisc_map.adam.sources import (
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
from cdisc_map.adam.tte import AdamWarning
from cdisc_map.core.distinct import per_distinct_rows
from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.spec import conditions
from cdisc_map.standards.adam_metadata import load_adamig

DATASET = "ADSL"
KINDS = ("copy", "constant", "date", "datetime", "first", "last", "first_date", "last_date", "exists", "when",
         "duration")
KIND_PARAMS = {"first": {"dataset", "where", "by"}, "last": {"dataset", "where", "by"}, "when": {"else"}}
OPTIONS = {"values", "otherwise", "not_after", "label", "type", "format", "method", "comment"}
SPEC_KEYS = {"dataset", "label", "subjects", "variables", "comment"}
_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,7}")


def build_adsl(spec: dict, sdtm: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """ADSL records (one per subject of DM) from the ADSL spec and SDTM DataFrames.

    Raises ProblemsError with every problem when any is an error; warnings are issued
    as AdamWarning. Columns are typed as ADaMIG says (numbers float64, text object
    with "" for missing); SAS dates are days since 1960-01-01 (display format DATE9.).
    """
    dataset, problems = adsl_dataset(spec, sdtm)
    if any(p.severity == "error" for p in problems):
        raise ProblemsError(sorted(problems, key=lambda p: p.severity != "error"))
    for problem in problems:
        warnings.warn(str(problem), AdamWarning, stacklevel=2)
    return dataset.frame


def adsl_dataset(spec: dict, sdtm: Mapping[str, pd.DataFrame], version: str = "1.3",
                 cache: SourceCache | None = None) -> tuple[AdamDataset, list[Problem]]:
    """ADSL with its variable metadata and every problem found (never raises for data problems).

    A `cache` shares work with the rest of one build (see `SourceCache`).
    """
    records, problems = adsl_records(spec, sdtm, version, cache)
    if records.empty and any(p.severity == "error" for p in problems):
        dataset, _ = conform_adam(DATASET, pd.DataFrame(columns=["STUDYID", "USUBJID"]), version=version)
        return dataset, problems
    standard = {v.name for v in load_adamig(version).variables(DATASET)}
    rules = spec["variables"]
    extra = {var: {key: rule[key] for key in ("label", "type", "format") if key in rule}
             for var, rule in rules.items() if isinstance(rule, dict) and var not in standard and "label" in rule}
    subjects, derived, methods = spec.get("subjects", "DM"), set(), {}
    for var, rule in rules.items():
        methods[var] = rule_method(rule, subjects, derived)
        derived.add(var)
    origins = {var: _origin(rule) for var, rule in rules.items() if isinstance(rule, dict)}
    dataset, found = conform_adam(DATASET, records, extra=extra, version=version, methods=methods, origins=origins)
    dataset.label = spec.get("label") or dataset.label
    dataset.comment = spec.get("comment")
    return dataset, problems + found


def adsl_records(spec: dict, sdtm: Mapping[str, pd.DataFrame], version: str = "1.3",
                 cache: SourceCache | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """The derived ADSL columns in spec order, untyped, and the problems found."""
    problems = check_adsl_spec(spec, version)
    if any(p.severity == "error" for p in problems):
        return pd.DataFrame(), problems
    report = _Report(problems, SourceCache() if cache is None else cache)
    name = spec.get("subjects", "DM")
    try:
        subjects = source_records(sdtm, name, [])
    except SourceError as exc:
        report.error(f"subjects: {exc}")
        return pd.DataFrame(), problems
    context = subjects.reset_index(drop=True).copy()
    context[SUBJECT] = text(context[SUBJECT])
    doubled = context[context[SUBJECT].duplicated()][SUBJECT].unique()
    for usubjid in doubled:
        report.error(f"{name} has more than one record for the subject", value=usubjid)
    out = pd.DataFrame(index=context.index)
    for var, rule in spec["variables"].items():
        try:
            values = _options(var, rule, _evaluate(var, rule, context, sdtm, report), context, report)
        except SourceError as exc:
            report.error(f"{var}: {exc}", column=var)
            continue
        out[var] = values
        context[var] = values
    return out, problems


# --- the spec ----------------------------------------------------------------------


def check_adsl_spec(spec: Any, version: str = "1.3") -> list[Problem]:
    """Everything wrong with the ADSL spec's shape, before any data is read."""
    problems: list[Problem] = []

    def bad(message: str, column: str | None = None, hint: str | None = None) -> None:
        problems.append(Problem(message, dataset=DATASET, column=column, hint=hint))

    if not isinstance(spec, dict) or not isinstance(spec.get("variables"), dict) or not spec["variables"]:
        bad("the ADSL spec must be a mapping with `variables:`, one rule per variable")
        return problems
    for key in spec.keys() - SPEC_KEYS:
        bad(f"unknown key {key!r}", key, hint=_suggest(key, SPEC_KEYS))
    standard = {v.name for v in load_adamig(version).variables(DATASET)}
    for var, rule in spec["variables"].items():
        if not isinstance(var, str) or not _NAME.fullmatch(var):
            bad(f"{var!r} is not a variable name (1 to 8 upper-case letters, digits or _)", str(var))
        _check_rule(str(var), rule, bad)
        if isinstance(rule, dict) and var not in standard:
            label, kind = rule.get("label"), rule.get("type")
            if not isinstance(label, str) or not 0 < len(label) <= 40 or kind not in ("Char", "Num"):
                bad(f"{var} is not an ADaMIG {version} ADSL variable: declare `label` (at most 40 characters) "
                    "and `type` (Char or Num)", str(var))
    return problems


def _check_rule(var: str, rule: Any, bad, nested: bool = False) -> None:
    if not isinstance(rule, dict):
        bad(f"{var}: a rule must be a mapping such as {{copy: AGE}}", var)
        return
    kinds = [k for k in KINDS if k in rule]
    if len(kinds) != 1:
        bad(f"{var}: a rule needs exactly one of {', '.join(KINDS)}; found {', '.join(kinds) or 'none'}", var)
        return
    kind = kinds[0]
    allowed = {kind} | KIND_PARAMS.get(kind, set()) | (set() if nested else OPTIONS)
    for key in rule.keys() - allowed:
        bad(f"{var}: unknown key {key!r} for a {kind} rule", var, hint=_suggest(key, allowed))
    if kind in ("first", "last") and not isinstance(rule.get("dataset"), str):
        bad(f"{var}: a {kind} rule needs `dataset`", var)
    if kind in ("first_date", "last_date"):
        sources = rule[kind]
        if not isinstance(sources, list) or not sources or not all(
                isinstance(s, dict) and {"dataset", "var"} <= s.keys() <= {"dataset", "var", "where"}
                for s in sources):
            bad(f"{var}: {kind} takes a list of {{dataset, var, where}}", var)
    if kind == "exists" and (not isinstance(rule["exists"], dict) or not {"dataset"} <= rule["exists"].keys()
                             <= {"dataset", "where"}):
        bad(f"{var}: exists takes {{dataset, where}}", var)
    if kind == "duration" and (not isinstance(rule["duration"], dict) or rule["duration"].keys() != {"from", "to"}):
        bad(f"{var}: duration takes {{from: VAR, to: VAR}}", var)
    if kind == "when":
        branches = rule["when"]
        if not isinstance(branches, list) or not all(isinstance(b, dict) and b.keys() == {"if", "then"}
                                                      for b in branches):
            bad(f"{var}: when takes a list of {{if: condition, then: rule}}", var)
            return
        for branch in branches:
            _check_rule(var, branch["then"], bad, nested=True)
        if "else" in rule:
            _check_rule(var, rule["else"], bad, nested=True)
    if "values" in rule and not isinstance(rule["values"], dict):
        bad(f"{var}: values must map each result to its recoded value", var)


def _suggest(word: str, options: set[str]) -> str | None:
    close = difflib.get_close_matches(word, sorted(options), n=1)
    return f"did you mean {close[0]!r}?" if close else None


class _Report:
    """The problems found, and the cache shared by the rules of one build."""

    def __init__(self, problems: list[Problem], cache: SourceCache):
        self.problems = problems
        self.cache = cache

    def error(self, message: str, **where: Any) -> None:
        self.problems.append(Problem(message, dataset=DATASET, **where))

    def warning(self, message: str, **where: Any) -> None:
        self.problems.append(Problem(message, dataset=DATASET, severity="warning", **where))


# --- rules ---------------------------------------------------------------------------


def _missing(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.isna()
    return values.isna() | (values.astype(object).where(values.notna(), "").astype(str).str.strip() == "")


def _column(context: pd.DataFrame, var: str) -> pd.Series:
    if var not in context.columns:
        raise SourceError(f"no variable {var} in the subjects dataset or among the ADSL variables derived before")
    return context[var]


def _evaluate(var: str, rule: dict, context: pd.DataFrame, sdtm: Mapping[str, pd.DataFrame],
              report: _Report) -> pd.Series:
    kind = next(k for k in KINDS if k in rule)
    index = context.index
    if kind == "copy":
        return _column(context, rule["copy"]).copy()
    if kind == "constant":
        value = rule["constant"]
        return pd.Series(value, index=index, dtype="float64" if isinstance(value, (int, float)) else object)
    if kind == "date":
        source = _column(context, rule["date"])
        dates = imputation.analysis_dates(source)
        _report_subjects(report, context[dates["status"] == imputation.PARTIAL],
                         f"{var}: partial date in {rule['date']} gives no {var} (ADSL imputes no dates)", var)
        _report_subjects(report, context[dates["status"] == imputation.INVALID],
                         f"{var}: {rule['date']} is not an ISO 8601 date", var, severity="error")
        return dates["days"]
    if kind == "datetime":
        return imputation.analysis_datetimes(_column(context, rule["datetime"]))
    if kind in ("first", "last"):
        return _first_or_last(kind, rule, context, sdtm, report.cache)
    if kind in ("first_date", "last_date"):
        return _extreme_date(var, kind, rule[kind], context, sdtm, report)
    if kind == "exists":
        found = _Matching(sdtm, rule["exists"]["dataset"], rule["exists"].get("where"), [], report.cache)
        return pd.Series("N", index=index, dtype=object).where(~context[SUBJECT].isin(set(found.subjects)), "Y")
    if kind == "when":
        return _when(var, rule, context, sdtm, report)
    duration = rule["duration"]
    start, end = _column(context, duration["from"]), _column(context, duration["to"])
    if not (pd.api.types.is_numeric_dtype(start) and pd.api.types.is_numeric_dtype(end)):
        raise SourceError(f"duration needs numeric dates; derive {duration['from']} and {duration['to']} "
                          "with date rules first")
    return (end - start + 1).astype("float64")


class _Matching:
    """The records of a dataset where a condition holds: the dataset, the mask, the subjects as text."""

    def __init__(self, sdtm: Mapping[str, pd.DataFrame], name: str, where: dict | None, needed: list[str],
                 cache: SourceCache):
        self.frame = source_records(sdtm, name, [*needed, *condition_vars(where)], cache)
        self.mask = matching(self.frame, where, cache)
        self.subjects = matching_text(self.frame, SUBJECT, self.mask, cache)
        self.cache = cache

    def values(self, var: str) -> pd.Series:
        """`var` on the matching records."""
        return self.frame[var][self.mask]

    def dates(self, var: str, impute: str = "none") -> pd.DataFrame:
        """`imputation.analysis_dates` of `var` on the matching records (each distinct value parsed once)."""
        return matching_dates(self.frame, var, self.mask, impute, self.cache)


def _first_or_last(kind: str, rule: dict, context: pd.DataFrame, sdtm: Mapping[str, pd.DataFrame],
                   cache: SourceCache) -> pd.Series:
    name, var, by = rule["dataset"], rule[kind], rule.get("by")
    found = _Matching(sdtm, name, rule.get("where"), [var, *([by] if by else [])], cache)
    seq = sequence_var(found.frame, name)
    order = pd.DataFrame({
        SUBJECT: found.subjects,
        "BY": found.dates(by, "first")["days"] if by else 0.0,
        "SEQ": found.values(seq).astype("float64") if seq else 0.0,
        "POSITION": range(len(found.subjects)),
        "VALUE": found.values(var),
    }).sort_values([SUBJECT, "BY", "SEQ", "POSITION"], na_position="first" if kind == "last" else "last",
                   kind="mergesort")
    picked = order.drop_duplicates(SUBJECT, keep="first" if kind == "first" else "last").set_index(SUBJECT)["VALUE"]
    values = picked.reindex(context[SUBJECT])
    values.index = context.index
    return values if pd.api.types.is_numeric_dtype(values) else values.astype(object).where(values.notna(), "")


def _extreme_date(var: str, kind: str, sources: list[dict], context: pd.DataFrame,
                  sdtm: Mapping[str, pd.DataFrame], report: _Report) -> pd.Series:
    """Earliest / latest complete date per subject over several sources; partial dates do not count."""
    found, partial = [], []
    for source in sources:
        rows = _Matching(sdtm, source["dataset"], source.get("where"), [source["var"]], report.cache)
        dates = rows.dates(source["var"])
        found.append(pd.DataFrame({SUBJECT: rows.subjects, "DAYS": dates["days"]}))
        partial.append(rows.subjects[dates["status"] == imputation.PARTIAL])
    days = pd.concat(found, ignore_index=True).dropna(subset=["DAYS"])
    grouped = days.groupby(SUBJECT)["DAYS"]
    result = (grouped.min() if kind == "first_date" else grouped.max()).reindex(context[SUBJECT])
    result.index = context.index
    if kind == "first_date":
        only_partial = context[result.isna() & context[SUBJECT].isin(set(pd.concat(partial)))]
        _report_subjects(report, only_partial, f"{var}: only partial dates found; {var} is left missing", var)
    return result.astype("float64")


def _when(var: str, rule: dict, context: pd.DataFrame, sdtm: Mapping[str, pd.DataFrame],
          report: _Report) -> pd.Series:
    result: pd.Series | None = None
    decided = pd.Series(False, index=context.index)
    branches = [(b["if"], b["then"]) for b in rule["when"]]
    if "else" in rule:
        branches.append((None, rule["else"]))
    for condition, then in branches:
        if condition is None:
            holds = ~decided
        else:
            fields = list(dict.fromkeys(condition_vars(condition)))
            for field in fields:
                _column(context, field)
            holds = per_distinct_rows(context, fields, lambda rows, condition=condition: conditions.evaluate(
                condition, lambda _kind, name: rows[name], rows.index)) & ~decided
        values = _evaluate(var, then, context, sdtm, report)
        if result is None:
            result = values.where(holds) if pd.api.types.is_numeric_dtype(values) else \
                values.astype(object).where(holds, "")
        else:
            result = result.where(~holds, values)
        decided |= holds
    return result


def _options(var: str, rule: dict, values: pd.Series, context: pd.DataFrame, report: _Report) -> pd.Series:
    if "values" in rule:
        mapping = {_key(k): v for k, v in rule["values"].items()}
        keys = text(values)
        unmapped = sorted(set(keys[(keys != "") & ~keys.isin(set(mapping))]))
        for value in unmapped:
            report.error(f"{var}: value {value!r} has no entry under `values`", column=var,
                         hint="add it to the rule's values map")
        recoded = keys.map(mapping)
        numeric = all(isinstance(v, (int, float)) for v in mapping.values()) and mapping
        values = recoded.astype("float64") if numeric else recoded.astype(object).where(recoded.notna(), "")
    if "otherwise" in rule:
        values = values.where(~_missing(values), rule["otherwise"])
    if "not_after" in rule:
        cap = _column(context, rule["not_after"])
        later = values.notna() & cap.notna() & (values > cap)
        _report_subjects(report, context[later], f"{var}: later than {rule['not_after']}; set to "
                                                 f"{rule['not_after']}", var)
        values = values.where(~later, cap)
    return values


def _key(value: Any) -> str:
    if isinstance(value, bool):
        return "Y" if value else "N"  # YAML reads a bare Y/N as text, but yes/no as booleans
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _report_subjects(report: _Report, rows: pd.DataFrame, message: str, var: str, severity: str = "warning") -> None:
    for usubjid in rows[SUBJECT]:
        (report.error if severity == "error" else report.warning)(message, column=var, value=str(usubjid))


def rule_method(rule: dict, subjects: str = "DM", derived: set[str] | frozenset[str] = frozenset()) -> str:
    """A variable's derivation in words, from its rule (for define.xml); the rule's `method` wins.

    `derived` names the ADSL variables derived before this one (the others come from `subjects`).
    """
    if "method" in rule:
        return str(rule["method"]).strip()

    def qualified(name: str) -> str:
        return f"ADSL.{name}" if name in derived else f"{subjects}.{name}"

    kind = next((k for k in KINDS if k in rule), None)
    where = f" where {conditions.describe(rule['where'])}" if rule.get("where") else ""
    if kind == "copy":
        text_ = qualified(rule["copy"])
    elif kind == "constant":
        text_ = f"Set to {rule['constant']!r}"
    elif kind in ("date", "datetime"):
        text_ = f"{qualified(rule[kind])} as a SAS {kind} (complete dates only)"
    elif kind in ("first", "last"):
        by = f" ordered by {rule['by']}" if rule.get("by") else ""
        text_ = f"{rule[kind]} of the subject's {kind} {rule['dataset']} record{where}{by}"
    elif kind in ("first_date", "last_date"):
        which = "Earliest" if kind == "first_date" else "Latest"
        parts = [f"{s['dataset']}.{s['var']}" + (f" where {conditions.describe(s['where'])}" if s.get("where") else "")
                 for s in rule[kind]]
        text_ = f"{which} complete date of: " + "; ".join(parts)
    elif kind == "exists":
        exists = rule["exists"]
        cond = f" where {conditions.describe(exists['where'])}" if exists.get("where") else ""
        text_ = f"Y if the subject has a {exists['dataset']} record{cond}, else N"
    elif kind == "when":
        branches = [f"if {conditions.describe(b['if'])}: {rule_method(b['then'], subjects, derived)}"
                    for b in rule["when"]]
        if "else" in rule:
            branches.append(f"otherwise {rule_method(rule['else'], subjects, derived)}")
        text_ = "; ".join(branches)
    elif kind == "duration":
        text_ = f"{rule['duration']['to']} - {rule['duration']['from']} + 1"
    else:
        text_ = ""
    if "values" in rule:
        text_ += f", recoded {rule['values']}"
    if "otherwise" in rule:
        text_ += f"; {rule['otherwise']!r} when missing"
    if "not_after" in rule:
        text_ += f"; never after {rule['not_after']}"
    return text_


def _origin(rule: dict) -> str:
    if "copy" in rule:
        return "Predecessor"
    if "constant" in rule:
        return "Assigned"
    return "Derived"
