"""Build the SDTM datasets of a study from its specs and a raw export.

The order is the one the data dictates: every dataset's records are mapped first,
in dependency order (DM after EX, because RFSTDTC is EX's first dose); then the
`late` derivations that need DM or the whole dataset (study days, --SEQ) run on
sorted records; then each dataset is conformed to its SDTMIG metadata; then the
supplemental qualifiers are split off. Nothing here touches the disk but the reads.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pandas as pd

from cdisc_map.sdtm import conform, supp
from cdisc_map.mapping.derivations import DERIVATIONS
from cdisc_map.mapping.engine import (
    FORM,
    ORDER,
    ROW,
    Environment,
    MissingColumn,
    MissingVariable,
    Rows,
    evaluate,
    join_forms,
    references,
)
from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.io.readers import RawForm, read_form
from cdisc_map.spec.study import DatasetSpec, StudySpec, mapping_kind
from cdisc_map.standards.terminology import load_ct
from cdisc_map.core.timing import StageTimes

SUPP_PREFIX = "__supp__"


@dataclass
class Dataset:
    """One finished dataset: its records and what define.xml and the writer need to know."""

    name: str
    label: str
    frame: pd.DataFrame
    variables: list[conform.Variable]
    keys: list[str]
    spec: DatasetSpec | None = None
    comment: str | None = None


@dataclass
class BuildResult:
    datasets: dict[str, Dataset] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


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


def subject_sites(study: StudySpec, forms: dict[str, RawForm]) -> tuple[pd.Series, list[Problem]]:
    """Subject id -> site id from the subjects form; a subject listed twice is an error."""
    form_spec = study.forms[study.subjects_form]
    raw = forms[study.subjects_form]
    problems = []
    for column in (form_spec.subject, study.site_column):
        if column not in raw.frame.columns:
            return pd.Series(dtype=object), [_missing_column_problem(raw, column, "the subjects form")]
    subject = raw.frame[form_spec.subject].astype(str).str.strip()
    site = raw.frame[study.site_column].astype(str).str.strip()
    for label, values, column in (("subject id", subject, form_spec.subject), ("site id", site, study.site_column)):
        for index in values.index[values == ""]:
            problems.append(Problem(f"empty {label} in the subjects form", file=str(raw.path),
                                    row=raw.row_number(index), column=column,
                                    hint="every row of the subjects form needs a subject and a site id"))
    duplicated = subject.duplicated(keep=False) & (subject != "")
    for value, group in subject[duplicated].groupby(subject[duplicated]):
        rows = ", ".join(str(raw.row_number(i)) for i in group.index)
        problems.append(Problem(f"duplicate subject: the subjects form has it in rows {rows}",
                                file=str(raw.path), row=raw.row_number(group.index[0]),
                                column=form_spec.subject, value=value,
                                hint="each subject must appear once in the subjects form; "
                                "remove or correct the duplicate"))
    keep = ~subject.duplicated(keep="first") & (subject != "")
    return pd.Series(site[keep].values, index=subject[keep].values), problems


def _missing_column_problem(raw: RawForm, column: str, why: str) -> Problem:
    close = difflib.get_close_matches(column, list(raw.frame.columns), n=1)
    hint = f"did the export rename it to {close[0]!r}?" if close else "columns present: " + ", ".join(
        map(str, raw.frame.columns))
    return Problem(f"required raw column {column!r} is missing ({why})", file=str(raw.path), row=1,
                   column=column, hint=hint)


def dataset_order(study: StudySpec) -> list[DatasetSpec]:
    """Datasets in dependency order: a dataset comes after those its derivations read."""
    graph: dict[str, set[str]] = {}
    for spec in study.sdtm:
        needs = set()
        for _, mapping in _all_mappings(spec):
            for inner in _nested(mapping):
                if mapping_kind(inner) == "derive" and not DERIVATIONS[inner["derive"]].late and "dataset" in inner:
                    needs.add(inner["dataset"])
        graph[spec.name] = needs - {spec.name}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise ProblemsError([Problem(f"datasets depend on each other in a cycle: {' -> '.join(exc.args[1])}",
                                     file=str(study.path))]) from exc
    by_name = {spec.name: spec for spec in study.sdtm}
    return [by_name[name] for name in order if name in by_name]


def _all_mappings(spec: DatasetSpec):
    for block in ("variables", "supp"):
        for var, mapping in spec.data.get(block, {}).items():
            yield var, mapping
    for source in spec.data["sources"]:
        for block in ("variables", "supp"):
            for var, mapping in source.get(block, {}).items():
                yield var, mapping
        for record in source.get("records", []):
            for var, value in record.items():
                yield var, value if isinstance(value, dict) else {"constant": value}


def _nested(mapping: dict):
    yield mapping
    for branch in mapping.get("when", []):
        yield from _nested(branch["then"])
    if "else" in mapping:
        yield from _nested(mapping["else"])


def _is_late(mapping: dict) -> bool:
    return any(mapping_kind(m) == "derive" and DERIVATIONS[m["derive"]].late for m in _nested(mapping))


def _map_source(spec: DatasetSpec, index: int, env: Environment) -> pd.DataFrame:
    """The early variables of one source's records (late ones are added after sorting)."""
    source = spec.data["sources"][index]
    if "records" in source:
        return _map_records(spec, index, env)
    raw, columns = join_forms(source, env, spec.name)
    rows = Rows(raw, pd.DataFrame(index=raw.index), source["form"], columns, spec.name, spec)
    mappings = {**spec.data.get("variables", {}), **source.get("variables", {})}
    supp_mappings = {**spec.data.get("supp", {}), **source.get("supp", {})}
    wanted = {var: m for var, m in mappings.items() if not _is_late(m)}
    wanted.update({SUPP_PREFIX + qnam: m for qnam, m in supp_mappings.items()})
    _evaluate_all(rows, wanted, env, spec)
    built = rows.built
    built[ROW] = raw[ROW + source["form"]].to_numpy()
    built[FORM] = source["form"]
    if "collapse" in source:
        built = collapse_intervals(built, **source["collapse"])
    return built


def _map_records(spec: DatasetSpec, index: int, env: Environment) -> pd.DataFrame:
    """Records written in the spec itself (trial summary, trial design): one row each."""
    name = f"{spec.name.lower()}.yaml records"
    env.spec_files[name] = str(spec.path)
    common = {var: m for var, m in spec.data.get("variables", {}).items() if not _is_late(m)}
    parts = []
    for number, record in enumerate(spec.data["sources"][index]["records"]):
        line = spec.line("sources", index, "records", number) or 0
        raw = pd.DataFrame({ROW + name: [line]})
        rows = Rows(raw, pd.DataFrame(index=raw.index), name, {}, spec.name, spec)
        own = {var: value if isinstance(value, dict) else {"constant": value} for var, value in record.items()}
        _evaluate_all(rows, {**common, **own}, env, spec)
        built = rows.built
        built[ROW] = line
        built[FORM] = name
        parts.append(built)
    return pd.concat(parts, ignore_index=True)


def _evaluate_all(rows: Rows, wanted: dict[str, dict], env: Environment, spec: DatasetSpec) -> None:
    """Evaluate mappings into rows.built, each after the variables it reads."""
    pending = dict(wanted)
    while pending:
        progressed = False
        for var, mapping in list(pending.items()):
            if references(mapping) & set(pending):
                continue
            progressed = True
            del pending[var]
            try:
                rows.built[var] = evaluate(mapping, rows, env, var.removeprefix(SUPP_PREFIX))
            except MissingColumn as exc:
                env.problems.append(_missing_column_problem(env.raw[exc.form], exc.column,
                                                            f"{spec.name}.{var.removeprefix(SUPP_PREFIX)} reads it"))
                rows.built[var] = ""
            except MissingVariable as exc:
                env.problems.append(Problem(
                    f"{var} reads {exc.variable}, which is not mapped before it",
                    file=str(spec.path), row=spec.line("variables", var), dataset=spec.name,
                    hint=f"map {exc.variable} in this dataset, or read the raw column with `col:`"))
                rows.built[var] = ""
        if not progressed:
            names = ", ".join(sorted(pending))
            raise ProblemsError([Problem(f"variables depend on each other in a cycle: {names}",
                                         file=str(spec.path), dataset=spec.name)])


def collapse_intervals(frame: pd.DataFrame, by: list[str], start: str, end: str) -> pd.DataFrame:
    """Merge contiguous records that agree on `by` into one interval (first start, last end).

    Two records are contiguous when one ends exactly when the next starts; a gap, or
    any change in a `by` variable (a new dose), starts a new interval.
    """
    if frame.empty:
        return frame
    ordered = frame.sort_values(["USUBJID", start, ROW], kind="stable") if "USUBJID" in frame else frame
    keys = ["USUBJID", *by] if "USUBJID" in frame and "USUBJID" not in by else list(by)
    same_keys = (ordered[keys] == ordered[keys].shift()).all(axis=1)
    contiguous = ordered[start] == ordered[end].shift()
    interval = (~(same_keys & contiguous)).cumsum()
    last_end = ordered.groupby(interval, sort=False)[end].last()
    merged = ordered.groupby(interval, sort=False).first()
    merged[end] = last_end
    return merged.reset_index(drop=True)


def build_sdtm(study: StudySpec, raw_dir: Path, times: StageTimes | None = None,
               progress: Callable[[str], None] = lambda message: None) -> BuildResult:
    """Every SDTM dataset of the study; problems collected, never raised one at a time."""
    times = times or StageTimes()
    result = BuildResult()
    with times.stage("read raw"):
        forms, problems = read_raw_forms(study, raw_dir)
    progress(f"  read {len(forms)} raw forms, {sum(len(f.frame) for f in forms.values()):,} rows")
    result.problems += problems
    if problems:
        return result
    with times.stage("map SDTM"):
        _map_all(study, forms, result, progress)
    return result


def _map_all(study: StudySpec, forms: dict[str, RawForm], result: BuildResult,
             progress: Callable[[str], None]) -> None:
    sites, problems = subject_sites(study, forms)
    result.problems += problems
    env = Environment(study.study_id, study.forms, forms, sites, load_ct(study.ct_version))
    env.problems = result.problems
    visits = study.data.get("visits", {})
    for visit in visits.get("schedule", []):
        for raw_name in visit["raw"]:
            env.visits[raw_name.strip().casefold()] = (float(visit["visitnum"]), visit["visit"])
    env.unscheduled = {name.strip().casefold() for name in visits.get("unscheduled", [])}

    ordered = dataset_order(study)
    for spec in ordered:
        parts = [_map_source(spec, i, env) for i in range(len(spec.data["sources"]))]
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        for column in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[column]):
                frame[column] = frame[column].fillna("").astype(object)
        frame[ORDER] = range(len(frame))
        env.datasets[spec.name] = frame
        env.problems += non_ascii_problems(frame, spec, env) + check_problems(frame, spec, env)
        if "DM" == spec.name:
            _check_one_record_per_subject(frame, spec, env)
        progress(f"  mapped {spec.name}: {len(frame):,} records")

    for spec in sorted(ordered, key=lambda s: s.name != "DM"):  # DM's late variables first: others read it
        frame = _sort(env.datasets[spec.name], spec.keys)
        first_form = spec.data["sources"][0].get("form", f"{spec.name.lower()}.yaml records")
        rows = Rows(frame, frame, first_form, {}, spec.name, spec)
        for var, mapping in {**spec.data.get("variables", {})}.items():
            if _is_late(mapping):
                frame[var] = evaluate(mapping, rows, env, var)
        env.datasets[spec.name] = frame

    files = {**{name: str(form.path) for name, form in forms.items()}, **env.spec_files}
    for spec in ordered:
        frame = env.datasets[spec.name]
        dataset, problems = conform.conform(spec, frame, study.sdtmig_version, files, env.terminology)
        result.problems += problems
        result.datasets[spec.name] = dataset
        supp_frame = supp.supplemental(spec, frame, env)
        if supp_frame is not None:
            supp_dataset, problems = supp.conform_supp(spec, supp_frame, study.sdtmig_version)
            result.problems += problems
            result.datasets[supp_dataset.name] = supp_dataset


def _record_location(frame: pd.DataFrame, position, env: Environment) -> dict:
    record = frame.loc[position]
    return {"file": env.file_of(record[FORM]) if FORM in frame else None,
            "row": int(record[ROW]) if ROW in frame and record[ROW] else None}


def non_ascii_problems(frame: pd.DataFrame, spec: DatasetSpec, env: Environment) -> list[Problem]:
    """XPT v5 holds ASCII only: non-ASCII text left after the spec's rules is an error, never dropped."""
    problems = []
    for column in frame.columns:
        if column in (ROW, FORM, ORDER) or pd.api.types.is_numeric_dtype(frame[column]):
            continue
        values = frame[column].astype(str)
        distinct = pd.unique(values)
        bad_values = {v for v in distinct if not v.isascii()}
        if not bad_values:
            continue
        bad = values.isin(bad_values)
        for value, group in values[bad].groupby(values[bad], sort=True):
            variable = column.removeprefix(SUPP_PREFIX)
            where = _record_location(frame, group.index[0], env)
            char = next(c for c in value if not c.isascii())
            more = f" ({len(group)} records)" if len(group) > 1 else ""
            problems.append(Problem(
                f"{variable}: non-ASCII character {char!r} (U+{ord(char):04X}) cannot go into an XPT v5 file{more}",
                column=variable, value=value, dataset=spec.name, **where,
                hint=f"add a rule to {variable}'s mapping: `replace: {{{char!r}: ...}}` or `transliterate: true`"))
    return problems


def check_problems(frame: pd.DataFrame, spec: DatasetSpec, env: Environment) -> list[Problem]:
    """The spec's record checks, e.g. start_before_end: [AESTDTC, AEENDTC]."""
    problems = []
    for check in spec.data.get("checks", []):
        start_var, end_var = check["start_before_end"]
        if start_var not in frame or end_var not in frame:
            continue
        start, end = frame[start_var].astype(str), frame[end_var].astype(str)
        precision = pd.concat([start.str.len(), end.str.len()], axis=1).min(axis=1)
        after = pd.Series(False, index=frame.index)
        for width in (19, 16, 10, 7, 4):
            at = (precision >= width) & ~after & ~start.str.contains("--") & ~end.str.contains("--")
            after |= at & (start.str.slice(0, width) > end.str.slice(0, width))
            precision = precision.where(~at, 0)
        for position in frame.index[after]:
            problems.append(Problem(
                f"{end_var} is before {start_var}", column=end_var, dataset=spec.name,
                value=f"{start_var}={start[position]} {end_var}={end[position]}",
                **_record_location(frame, position, env),
                hint="correct the dates in the export"))
    return problems


def _sort(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    present = [k for k in keys if k in frame.columns]
    return frame.sort_values([*present, ORDER], kind="stable").reset_index(drop=True)


def _check_one_record_per_subject(frame: pd.DataFrame, spec: DatasetSpec, env: Environment) -> None:
    if "USUBJID" not in frame:
        return
    duplicated = frame["USUBJID"].duplicated(keep=False) & (frame["USUBJID"] != "")
    for usubjid, group in frame[duplicated].groupby("USUBJID"):
        env.problems.append(Problem(
            f"DM must have one record per subject; {usubjid} has {len(group)}",
            file=env.file_of(group[FORM].iloc[0]), row=int(group[ROW].min()), dataset="DM", value=usubjid,
            hint="remove the duplicate demographics rows"))
