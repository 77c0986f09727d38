"""The raw forms of a study: reading them, who the subjects are, and joining forms into one source.

Everything here reports problems with the raw file, row and column the data manager
will open, and never deduplicates or drops a record silently.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.core.text import closest, did_you_mean
from cdisc_map.io.readers import RawForm, read_form
from cdisc_map.mapping.engine import ROW, Environment, MappingError, MissingColumn, Records
from cdisc_map.mapping.kinds import condition_mask, evaluate
from cdisc_map.spec.study import StudySpec


def read_raw_forms(study: StudySpec, raw_dir: Path) -> tuple[dict[str, RawForm], list[Problem]]:
    """Read every form the study names; all unreadable files are reported together."""
    forms: dict[str, RawForm] = {}
    problems: list[Problem] = []
    for name, form in study.forms.items():
        try:
            forms[name] = read_form(raw_dir / form.file, name=name, sheet=form.sheet, encoding=form.encoding,
                                    form=form.form, item_group=form.item_group, column_names=form.column_names)
        except ProblemsError as exc:
            problems += exc.problems
    return forms, problems


def missing_column_problem(raw: RawForm, column: str, why: str) -> Problem:
    """A raw column the spec reads is not in the export: say which file, and what it may be called now."""
    close = closest(column, list(map(str, raw.frame.columns)))
    hint = f"did the export rename it to {close!r}?" if close else "columns present: " + ", ".join(
        map(str, raw.frame.columns))
    return Problem(f"form {raw.name!r} has no column {column!r} ({why})", file=str(raw.path), row=1,
                   column=column, hint=hint)


def subject_identity(study: StudySpec, forms: dict[str, RawForm],
                     env: Environment) -> tuple[pd.DataFrame, list[Problem]]:
    """Who the subjects are: subject key -> SITEID, SUBJID, USUBJID, from the subjects form.

    The key is the subjects form's subject column, blanks trimmed; the three variables
    are the mappings study.yaml gives in `subjects:` (a site column, or mappings over the
    form's columns: a combined site-subject key, no site column, a study prefix) or the
    defaults (SUBJID the key, USUBJID STUDYID-SITEID-SUBJID). An empty or repeated key, an
    empty site, or two subjects with one USUBJID is an error naming the row.
    """
    form_spec = study.forms[study.subjects_form]
    raw = forms[study.subjects_form]
    if form_spec.subject not in raw.frame.columns:
        return IDENTITY_EMPTY, [missing_column_problem(raw, form_spec.subject, "the subjects form")]
    frame = raw.frame.copy()
    frame[ROW + study.subjects_form] = raw.first_row + pd.RangeIndex(len(frame))
    records = Records(frame, pd.DataFrame(index=frame.index), study.subjects_form,
                      {c: study.subjects_form for c in raw.frame.columns}, "DM")
    block = study.data["subjects"]
    site = block["site"]
    mappings = {
        "STUDYID": {"constant": study.study_id},
        "SITEID": {"copy": site} if isinstance(site, str) else site,
        "SUBJID": block.get("subjid", {"copy": form_spec.subject}),
        "USUBJID": block.get("usubjid", {"template": "{var:STUDYID}-{var:SITEID}-{var:SUBJID}"}),
    }
    before = len(env.problems)
    for var, mapping in mappings.items():
        try:
            records.built[var] = evaluate(mapping, records, env, var)
        except MappingError as exc:
            where = {"SITEID": "site", "SUBJID": "subjid", "USUBJID": "usubjid"}.get(var, "form")
            message = exc.message if not isinstance(exc, MissingColumn) else \
                f"the subjects form has no column {exc.column!r} (subjects.{where} reads it)"
            return IDENTITY_EMPTY, env.problems[before:] + [Problem(
                message, file=str(study.path), row=study.line("subjects", where), hint=exc.hint or
                did_you_mean(getattr(exc, "column", ""), map(str, raw.frame.columns)))]
    problems = env.problems[before:]
    del env.problems[before:]
    key = frame[form_spec.subject].astype(str).str.strip()
    for label, values, column in (("subject id", key, form_spec.subject),
                                  ("site id", records.built["SITEID"], site if isinstance(site, str) else None)):
        for index in values.index[values.astype(str) == ""]:
            problems.append(Problem(f"empty {label} in the subjects form", file=str(raw.path),
                                    row=raw.row_number(index), column=column,
                                    hint="every row of the subjects form needs a subject and a site id"))
    for values, what, column in ((key, "subject", form_spec.subject), (records.built["USUBJID"], "USUBJID", None)):
        duplicated = values.duplicated(keep=False) & (values != "")
        for value, group in values[duplicated].groupby(values[duplicated]):
            rows = ", ".join(str(raw.row_number(i)) for i in group.index)
            problems.append(Problem(f"duplicate {what}: the subjects form has it in rows {rows}",
                                    file=str(raw.path), row=raw.row_number(group.index[0]), column=column, value=value,
                                    hint="each subject must appear once in the subjects form, with a USUBJID of "
                                         "its own; remove or correct the duplicate"))
    keep = ~key.duplicated(keep="first") & (key != "")
    table = records.built.loc[keep, ["SITEID", "SUBJID", "USUBJID"]].astype(str)
    table.index = key[keep].to_numpy()
    return table, problems


IDENTITY_EMPTY = pd.DataFrame(columns=["SITEID", "SUBJID", "USUBJID"], dtype=object)


def unknown_subject_problems(study: StudySpec, forms: dict[str, RawForm], subjects: pd.DataFrame) -> list[Problem]:
    """Every form's subject column checked against the subjects form: an unknown subject is an error
    naming form, file, row and value (once per distinct value)."""
    problems = []
    for name, raw in forms.items():
        if name == study.subjects_form:
            continue
        column = study.forms[name].subject
        if column not in raw.frame.columns:
            problems.append(missing_column_problem(raw, column, f"the subject column of form {name!r}"))
            continue
        key = raw.frame[column].astype(str).str.strip()
        unknown = ~key.isin(subjects.index) & (key != "")
        for value, group in key[unknown].groupby(key[unknown], sort=True):
            more = f" ({len(group)} rows)" if len(group) > 1 else ""
            problems.append(Problem(
                f"subject is not in the subjects form ({study.subjects_form}){more}", file=str(raw.path),
                row=raw.row_number(group.index[0]), column=column, value=value,
                hint="every record must belong to a subject of the subjects form; correct the subject id "
                     "or add the subject's demographics"))
    return problems


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
        records = Records(frame, pd.DataFrame(index=frame.index), name, columns, dataset)
        frame = frame[condition_mask(source["where"], records)]
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
