"""The mapping engine: one dataset spec applied to raw forms, column by column.

Every mapping kind works on whole columns (pandas), never row by row, so a
10,000-subject export costs what its distinct values cost. Problems are reported
once per distinct offending value with the first row it occurs in and how many rows
share it, so a bad code list value in a million rows is one readable line.

Character results use "" for missing (as XPT stores them); numeric results NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cdisc_map.core import dates
from cdisc_map.core.problems import Problem
from cdisc_map.io.readers import RawForm
from cdisc_map.spec import conditions
from cdisc_map.spec.study import DatasetSpec, FormSpec, mapping_kind

#: Hidden columns carried with records for provenance; never written.
ROW = "__row__"
FORM = "__form__"
ORDER = "__order__"


@dataclass
class Environment:
    """What every mapping may read: the study, its subjects, terminology, built datasets."""

    study_id: str
    forms: dict[str, FormSpec]
    raw: dict[str, RawForm]
    sites: pd.Series  # subject id -> site id, from the subjects form
    terminology: Any
    datasets: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    visits: dict = field(default_factory=dict)  # casefolded raw visit name -> (VISITNUM, VISIT)
    unscheduled: set = field(default_factory=set)  # casefolded raw names of unscheduled visits
    spec_files: dict[str, str] = field(default_factory=dict)  # records source name -> spec file
    cache: dict = field(default_factory=dict)  # derived lookups shared by derivations within a run

    def file_of(self, form: str) -> str:
        if form in self.raw:
            return str(self.raw[form].path)
        return self.spec_files.get(form, form)


@dataclass
class Rows:
    """A set of source records being mapped: raw columns, and target variables built so far.

    `columns` tells, for each raw column, which form it came from, so a problem in a
    joined column names that form's file and row.
    """

    raw: pd.DataFrame
    built: pd.DataFrame
    form: str
    columns: dict[str, str]
    dataset: str
    spec: DatasetSpec

    def subset(self, mask: pd.Series) -> Rows:
        return Rows(self.raw[mask], self.built[mask], self.form, self.columns, self.dataset, self.spec)

    @property
    def index(self) -> pd.Index:
        return self.raw.index

    def column(self, name: str) -> pd.Series:
        if name not in self.raw.columns or name.startswith("__"):
            raise MissingColumn(name, self.form)
        return self.raw[name]

    def variable(self, name: str) -> pd.Series:
        if name not in self.built.columns:
            raise MissingVariable(name)
        return self.built[name]

    def rows_of(self, column: str | None) -> pd.Series:
        """File row numbers for the form a raw column belongs to (the record's own row if none)."""
        name = ROW + self.columns.get(column, self.form) if column else ROW + self.form
        if name in self.raw:
            return self.raw[name]
        return self.raw[ROW] if ROW in self.raw else pd.Series(0, index=self.raw.index)


class MissingColumn(LookupError):
    def __init__(self, column: str, form: str):
        super().__init__(column)
        self.column, self.form = column, form


class MissingVariable(LookupError):
    def __init__(self, variable: str):
        super().__init__(variable)
        self.variable = variable


def report(
    env: Environment,
    rows: Rows,
    bad: pd.Series,
    message: str,
    *,
    column: str | None,
    values: pd.Series | None = None,
    hint: str | None = None,
    severity: str = "error",
    messages: pd.Series | None = None,
) -> None:
    """One problem per distinct offending value (or per distinct message), located at its first row."""
    if not bad.any():
        return
    row_numbers = rows.rows_of(column)
    form = rows.columns.get(column, rows.form) if column else rows.form
    shown = values if values is not None else (rows.raw[column] if column in rows.raw else None)
    frame = pd.DataFrame({
        "row": row_numbers[bad],
        "value": shown[bad].astype(str) if shown is not None else "",
        "message": messages[bad] if messages is not None else message,
    })
    for (value, text), group in frame.groupby(["value", "message"], sort=True):
        count = len(group)
        more = f" ({count} rows)" if count > 1 else ""
        env.problems.append(Problem(
            f"{text}{more}",
            file=env.file_of(form),
            row=int(group["row"].min()),
            column=column,
            value=value if shown is not None else None,
            hint=hint,
            dataset=rows.dataset,
            severity=severity,
        ))


def evaluate(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    """The values of one target variable for `rows`, by the mapping's kind."""
    kind = mapping_kind(mapping)
    handler = _KINDS[kind]
    values = handler(mapping, rows, env, variable)
    if ("replace" in mapping or mapping.get("transliterate")) and not pd.api.types.is_numeric_dtype(values):
        values = to_ascii(values, mapping.get("replace", {}), mapping.get("transliterate", False))
    return values


def to_ascii(values: pd.Series, replace: dict[str, str], transliterate: bool) -> pd.Series:
    """Apply a spec's explicit ASCII rules: substring replacements, then transliteration if asked.

    Whatever is still non-ASCII afterwards is left as it is, for conform to report:
    text is never silently dropped or mangled.
    """
    from anyascii import anyascii

    def fix(text: str) -> str:
        if text.isascii():
            return text
        for old, new in replace.items():
            text = text.replace(old, new)
        if transliterate and not text.isascii():
            text = " ".join(anyascii(text).split())
        return text

    return _map_distinct(values.astype(str), fix).astype(object)


def _text(series: pd.Series) -> pd.Series:
    return series.astype(str).str.strip()


def _apply_case(values: pd.Series, mapping: dict) -> pd.Series:
    case = mapping.get("case", "asis")
    if case == "upper":
        return values.str.upper()
    if case == "lower":
        return values.str.lower()
    return values


def _copy(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    return _apply_case(_text(rows.column(mapping["copy"])), mapping)


def _constant(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    value = mapping["constant"]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return pd.Series(float(value), index=rows.index, dtype="float64")
    return pd.Series(str(value), index=rows.index, dtype=object)


def _number(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    column = mapping["number"]
    text = _text(rows.column(column))
    numbers = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    bad = numbers.isna() & (text != "")
    report(env, rows, bad, f"{variable}: not a number", column=column,
           hint="correct the value in the export, or map the column with `recode`/`when` instead of `number`")
    return numbers


def _lookup_table(values: dict) -> tuple[dict[str, str], dict[str, str]]:
    exact = {str(k).strip(): v for k, v in values.items()}
    folded = {str(k).strip().casefold(): v for k, v in values.items()}
    return exact, folded


def _map_distinct(text: pd.Series, translate) -> pd.Series:
    """Apply `translate` once per distinct value and map the results back."""
    distinct = pd.unique(text)
    table = {value: translate(value) for value in distinct}
    return text.map(table)


def _ct(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    column = mapping["from"]
    codelist = env.terminology.codelist(mapping["ct"])
    exact, folded = _lookup_table(mapping.get("values", {}))
    extensions = {str(v).casefold(): str(v) for v in mapping.get("extend", [])}
    allowed = {t.submission_value for t in codelist.terms} | set(extensions.values())

    def translate(raw: str) -> str | None:
        if raw == "":
            return ""
        if raw in exact:
            return str(exact[raw])
        if raw.casefold() in folded:
            return str(folded[raw.casefold()])
        term = codelist.lookup(raw)
        if term is not None:
            return term.submission_value
        return extensions.get(raw.casefold())

    text = _text(rows.column(column))
    result = _map_distinct(text, translate)
    unmapped = result.isna()
    examples = ", ".join(sorted(allowed)[:12]) + (" ..." if len(allowed) > 12 else "")
    report(env, rows, unmapped, f"{variable}: value not in codelist {codelist.short_name} ({codelist.code})",
           column=column,
           hint=f"add it to `values:` of {variable} mapped to one of: {examples}"
           + ("; or, as the codelist is extensible, to `extend:`" if codelist.extensible else ""))
    result = result.fillna("")
    wrong = ~result.isin(allowed) & (result != "") & ~unmapped
    report(env, rows, wrong, f"{variable}: study value map gives a value that is not in codelist "
           f"{codelist.short_name}", column=column, values=result,
           hint="map to a submission value of the codelist"
           + (", or list the value under `extend:`" if codelist.extensible else " (it is not extensible)"))
    return result.astype(object)


def _recode(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    column = mapping["recode"]
    exact, folded = _lookup_table(mapping["values"])

    def translate(raw: str):
        if raw == "":
            return None if "" in exact else ""
        if raw in exact:
            return exact[raw]
        return folded.get(raw.casefold())

    text = _text(rows.column(column))
    result = _map_distinct(text, translate)
    unmapped = result.isna() & (text != "")
    report(env, rows, unmapped, f"{variable}: value has no entry in `values`", column=column,
           hint=f"add the value to `values:` of {variable}")
    numeric = all(isinstance(v, (int, float)) for v in mapping["values"].values())
    if numeric:
        return pd.to_numeric(result.where(result != ""), errors="coerce").astype("float64")
    return result.fillna("").astype(str).astype(object)


def _date(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    column = mapping["date"]
    raw = rows.column(column)
    time_column = mapping.get("time")
    times = rows.column(time_column) if time_column else None
    iso, errors = dates.convert_column(raw, mapping.get("format"), times, mapping.get("time_format"))
    bad = errors != ""
    shown = raw.astype(str)
    if times is not None:
        shown = shown.str.cat(times.astype(str), sep=" ").str.strip()
    report(env, rows, bad, f"{variable}: invalid date", column=column, values=shown, messages=variable + ": " + errors,
           hint="correct the date in the export; the spec reads it as "
           + (mapping.get("format") or "ISO 8601 or DD-MON-YYYY"))
    return iso.astype(object)


def _derive(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    from cdisc_map.mapping.derivations import DERIVATIONS

    return DERIVATIONS[mapping["derive"]].func(mapping, rows, env, variable)


def _when(mapping: dict, rows: Rows, env: Environment, variable: str) -> pd.Series:
    result: pd.Series | None = None
    pending = pd.Series(True, index=rows.index)
    parts = []
    for branch in mapping["when"]:
        hit = pending & condition_mask(branch["if"], rows)
        if hit.any():
            parts.append(evaluate(branch["then"], rows.subset(hit), env, variable))
        pending &= ~hit
    if "else" in mapping and pending.any():
        parts.append(evaluate(mapping["else"], rows.subset(pending), env, variable))
    numeric = any(pd.api.types.is_numeric_dtype(p) for p in parts)
    filler = float("nan") if numeric else ""
    result = pd.Series(filler, index=rows.index, dtype="float64" if numeric else object)
    for part in parts:
        result.loc[part.index] = part
    return result


def condition_mask(condition: dict, rows: Rows) -> pd.Series:
    def lookup(kind: str, name: str) -> pd.Series:
        return rows.column(name) if kind == "col" else rows.variable(name)

    return conditions.evaluate(condition, lookup, rows.index)


_KINDS = {
    "copy": _copy,
    "constant": _constant,
    "number": _number,
    "ct": _ct,
    "recode": _recode,
    "date": _date,
    "derive": _derive,
    "when": _when,
}


def references(mapping: dict) -> set[str]:
    """Target variables a mapping reads, so variables can be built in dependency order."""
    found: set[str] = set()
    for key in ("of", "ref", "birth"):
        if isinstance(mapping.get(key), str):
            found.add(mapping[key])
    for branch in mapping.get("when", []):
        found |= {name for kind, name in conditions.fields(branch["if"]) if kind == "var"}
        found |= references(branch["then"])
    if "else" in mapping:
        found |= references(mapping["else"])
    return found


def join_forms(source: dict, env: Environment, dataset: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """The source form with its joined forms, one row per source record.

    Joins are on the subject id; a joined form must have at most one row per subject
    (checked, never silently deduplicated), and columns must not collide.
    """
    name = source["form"]
    base = env.raw[name]
    subject = env.forms[name].subject
    frame = base.frame.copy()
    frame[ROW + name] = base.first_row + pd.RangeIndex(len(frame))
    columns = {c: name for c in base.frame.columns}
    if "where" in source:
        rows = Rows(frame, pd.DataFrame(index=frame.index), name, columns, dataset, None)  # type: ignore[arg-type]
        frame = frame[condition_mask(source["where"], rows)]
    for join in source.get("join", []):
        other = env.raw[join["form"]]
        other_subject = env.forms[join["form"]].subject
        right = other.frame.copy()
        right[ROW + join["form"]] = other.first_row + pd.RangeIndex(len(right))
        key = "__subject__"
        right[key] = right[other_subject].astype(str).str.strip()
        duplicated = right[key].duplicated(keep=False) & (right[key] != "")
        if duplicated.any():
            first = right[duplicated].iloc[0]
            env.problems.append(Problem(
                f"{int(duplicated.sum())} rows share a subject id, but form {join['form']!r} is joined "
                f"one row per subject", file=str(other.path), row=int(first[ROW + join["form"]]),
                column=other_subject, value=str(first[other_subject]), dataset=dataset,
                hint="remove the duplicate rows from the export, or map this form as a source of its own"))
            right = right[~right[key].duplicated(keep="first")]
        right = right.drop(columns=[other_subject])
        for column in sorted(set(other.frame.columns) & set(frame.columns) - {other_subject}):
            env.problems.append(Problem(
                f"column {column!r} is in both form {name!r} and joined form {join['form']!r}; "
                f"the spec reads the one of {name!r}", file=str(other.path), column=column,
                dataset=dataset, severity="warning",
                hint="rename the column in one export, or map the joined form as a source of its own"))
            right = right.drop(columns=[column])
        for column in right.columns:
            columns.setdefault(column, join["form"])
        frame["__subject__"] = frame[subject].astype(str).str.strip()
        merged = frame.merge(right, on=key, how="left", indicator=True, suffixes=("", "__dup"))
        missing = merged["_merge"] == "left_only"
        if missing.any() and not join.get("optional", False):
            first = merged[missing].iloc[0]
            env.problems.append(Problem(
                f"{int(missing.sum())} subject(s) have no row in form {join['form']!r}",
                file=str(base.path), row=int(first[ROW + name]), column=subject, value=str(first[subject]),
                dataset=dataset, hint="add the missing rows to the export, or mark the join `optional: true`"))
        merged = merged.drop(columns=["_merge", key])
        for column in right.columns:
            if column != key and not column.startswith(ROW):
                merged[column] = merged[column].fillna("").astype(object)
        merged[ROW + join["form"]] = merged[ROW + join["form"]].fillna(0).astype(int)
        merged.index = frame.index
        frame = merged
    return frame, columns
