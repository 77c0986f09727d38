"""Build the SDTM datasets of a study from its specs and a raw export.

The order is the one the specs dictate, found by the build plan
(`cdisc_map.spec.plan`): each dataset's records are mapped (the variables that read
the raw forms), then every other variable when what it reads is ready, whatever
dataset that is, and the records are sorted by the dataset's keys before anything
that counts in their order (--SEQ). Then each dataset is conformed to its SDTMIG
metadata and its supplemental qualifiers are split off. Nothing here touches the disk
but the reads of the raw forms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cdisc_map.core.datasets import Dataset
from cdisc_map.core.problems import Problem
from cdisc_map.core.timing import StageTimes
from cdisc_map.io.readers import RawForm
from cdisc_map.mapping.engine import (
    FORM,
    HIDDEN,
    ORDER,
    ROW,
    SOURCE,
    Environment,
    MappingError,
    MissingColumn,
    MissingVariable,
    Records,
    VisitSchedule,
)
from cdisc_map.mapping.kinds import evaluate
from cdisc_map.sdtm import conform, supp
from cdisc_map.sdtm.forms import (
    join_forms,
    missing_column_problem,
    read_raw_forms,
    subject_identity,
    unknown_subject_problems,
)
from cdisc_map.spec.plan import ORDER as ORDER_STEP
from cdisc_map.spec.plan import (
    ROWS,
    SUPP_PREFIX,
    PlanCycle,
    Stages,
    build_order,
    sdtm_stages,
    source_mappings,
    variable_order,
)
from cdisc_map.spec.registry import reads
from cdisc_map.spec.study import DatasetSpec, StudySpec, as_mapping
from cdisc_map.spec.submission import qualifier_pages, variable_pages
from cdisc_map.standards.codelists import Terminology
from cdisc_map.standards.metadata import Standard, UnknownStandardError, load_sdtmig
from cdisc_map.standards.terminology import load_ct


@dataclass
class BuildResult:
    datasets: dict[str, Dataset] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def build_sdtm(study: StudySpec, raw_dir: Path, times: StageTimes | None = None,
               progress: Callable[[str], None] = lambda message: None, terminology: Terminology | None = None,
               sdtmig: Standard | None = None) -> BuildResult:
    """Every SDTM dataset of the study; problems collected, never raised one at a time.

    `terminology` and `sdtmig` default to `load_ct(study.ct_version)` and
    `load_sdtmig(study.sdtmig_version)` (the standards home, else the bundled subset).
    """
    times = times or StageTimes()
    result = BuildResult()
    with times.stage("read raw"):
        forms, problems = read_raw_forms(study, raw_dir)
    progress(f"  read {len(forms)} raw forms, {sum(len(f.frame) for f in forms.values()):,} rows")
    result.problems += problems
    if problems:
        return result
    with times.stage("map SDTM"):
        _map_all(study, forms, result, progress, terminology or load_ct(study.ct_version),
                 sdtmig or load_sdtmig(study.sdtmig_version))
    return result


def environment(study: StudySpec, forms: dict[str, RawForm], problems: list[Problem],
                terminology: Terminology) -> Environment:
    """What the mappings of one build read: the study, its forms and subjects, CT, the visit schedule."""
    env = Environment(study.study_id, terminology, study.forms, forms, problems=problems)
    env.subjects, found = subject_identity(study, forms, env)
    problems += found + unknown_subject_problems(study, forms, env.subjects)
    env.visits = VisitSchedule.of(study.data.get("visits"))
    return env


def _map_all(study: StudySpec, forms: dict[str, RawForm], result: BuildResult,
             progress: Callable[[str], None], terminology: Terminology, sdtmig: Standard) -> None:
    env = environment(study, forms, result.problems, terminology)
    specs = {spec.name: spec for spec in study.sdtm}
    stages = {name: sdtm_stages(spec) for name, spec in specs.items()}
    try:
        steps, _unresolved = build_order([stage.plan for stage in stages.values()])
    except PlanCycle as exc:
        result.problems.append(Problem(f"variables read each other in a circle: {exc}", file=str(study.path)))
        return
    for step in steps:
        spec = specs[step.dataset]
        if step.action == ROWS:
            frame = _map_rows(spec, stages[step.dataset], env)
            env.datasets[spec.name] = frame
            progress(f"  mapped {spec.name}: {len(frame):,} records")
        elif step.action == ORDER_STEP:
            env.datasets[spec.name] = _sort(env.datasets[spec.name], spec.keys)
        else:
            _map_variable(spec, step.variable, env)

    files = {**{name: str(form.path) for name, form in forms.items()}, **env.spec_files}
    for name, spec in specs.items():
        frame = env.datasets[name]
        result.problems += non_ascii_problems(frame, spec, env) + check_problems(frame, spec, env)
        per_subject = _one_record_per_subject(sdtmig, spec)
        if per_subject:
            result.problems += one_record_per_subject_problems(frame, spec, env)
        try:
            dataset, problems = conform.conform(spec, frame, study.sdtmig_version, files, env.terminology, sdtmig,
                                                pages=variable_pages(study, spec))
        except UnknownStandardError as exc:
            result.problems.append(Problem(str(exc), file=str(spec.path), row=spec.line("dataset"), dataset=name,
                                           hint="a sponsor-defined domain declares its `class:`"))
            continue
        result.problems += problems
        result.datasets[name] = dataset
        supp_frame = supp.supplemental(spec, frame, env, dataset.domain, per_subject)
        if supp_frame is not None:
            supp_dataset, problems = supp.conform_supp(spec, supp_frame, study.sdtmig_version, sdtmig,
                                                       pages=qualifier_pages(study, spec))
            result.problems += problems
            result.datasets[supp_dataset.name] = supp_dataset


def _map_variable(spec: DatasetSpec, var: str, env: Environment) -> None:
    """One variable of its own step, on the dataset's records: the dataset's mapping for all of them, or
    each source's own mapping for that source's records."""
    frame = env.datasets[spec.name]
    common = spec.data.get("variables", {})
    if var in common:
        records = Records(frame, frame, _first_form(spec), {}, spec.name)
        frame[var] = _evaluate(common[var], records, env, spec, var, ("variables", var))
        return
    parts = []
    for index, mapping in source_mappings(spec, var).items():
        mask = frame[SOURCE] == index
        if mask.any():
            records = Records(frame[mask], frame[mask], spec.data["sources"][index]["form"], {}, spec.name)
            parts.append(_evaluate(mapping, records, env, spec, var, ("sources", index, "variables", var)))
    numeric = any(pd.api.types.is_numeric_dtype(part) for part in parts)
    values = pd.Series(float("nan") if numeric else "", index=frame.index, dtype="float64" if numeric else object)
    for part in parts:
        values.loc[part.index] = part
    frame[var] = values


def _one_record_per_subject(sdtmig: Standard, spec: DatasetSpec) -> bool:
    try:
        structure = sdtmig.dataset(spec.name, spec.cls).structure
    except (UnknownStandardError, KeyError):
        return False
    return structure.strip().lower().startswith("one record per subject")


def _first_form(spec: DatasetSpec) -> str:
    return spec.data["sources"][0].get("form", f"{spec.name.lower()}.yaml records")


def _evaluate(mapping: dict, records: Records, env: Environment, spec: DatasetSpec, var: str,
              trail: tuple) -> pd.Series:
    """One variable's values; a fault of the spec becomes a Problem naming the spec file and line."""
    variable = var.removeprefix(SUPP_PREFIX)
    try:
        return evaluate(mapping, records, env, variable)
    except MissingColumn as exc:
        env.problems.append(missing_column_problem(env.raw[exc.form], exc.column, f"{spec.name}.{variable} reads it")
                            if exc.form in env.raw else Problem(exc.message, file=str(spec.path),
                                                                row=spec.line(*trail), dataset=spec.name))
    except MissingVariable as exc:
        env.problems.append(Problem(
            f"{variable} reads {exc.variable}, which is not mapped before it",
            file=str(spec.path), row=spec.line(*trail), dataset=spec.name,
            hint=f"map {exc.variable} in this dataset, or read the raw column with `col:`"))
    except MappingError as exc:
        env.problems.append(Problem(exc.message, file=str(spec.path), row=spec.line(*trail), dataset=spec.name,
                                    column=variable, hint=exc.hint))
    return pd.Series("", index=records.index, dtype=object)


def _map_rows(spec: DatasetSpec, stages: Stages, env: Environment) -> pd.DataFrame:
    """The records of every source with the variables of the rows step, collapsed, concatenated."""
    parts = [_map_source(spec, index, stages, env) for index in range(len(spec.data["sources"]))]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].fillna("").astype(object)
    frame[ORDER] = range(len(frame))
    return frame


def _map_source(spec: DatasetSpec, index: int, stages: Stages, env: Environment) -> pd.DataFrame:
    source = spec.data["sources"][index]
    if "records" in source:
        return _map_records(spec, index, stages, env)
    raw, columns = join_forms(source, env, spec.name)
    records = Records(raw, pd.DataFrame(index=raw.index), source["form"], columns, spec.name)
    common = spec.data.get("variables", {})
    wanted: dict[str, tuple[dict, tuple]] = {
        var: (mapping, ("variables", var)) for var, mapping in common.items() if var in stages.plan.record}
    wanted.update({var: (mapping, ("sources", index, "variables", var))
                   for var, mapping in source.get("variables", {}).items() if var in stages.plan.record})
    wanted.update({SUPP_PREFIX + qnam: (mapping, ("supp", qnam))
                   for qnam, mapping in spec.data.get("supp", {}).items()})
    wanted.update({SUPP_PREFIX + qnam: (mapping, ("sources", index, "supp", qnam))
                   for qnam, mapping in source.get("supp", {}).items()})
    _evaluate_all(records, wanted, env, spec)
    built = records.built
    built[ROW] = raw[ROW + source["form"]].to_numpy()
    built[FORM] = source["form"]
    built[SOURCE] = index
    if "collapse" in source:
        built = collapse_intervals(built, **source["collapse"])
    return built


def _map_records(spec: DatasetSpec, index: int, stages: Stages, env: Environment) -> pd.DataFrame:
    """Records written in the spec itself (trial summary, trial design): one row each."""
    name = f"{spec.name.lower()}.yaml records"
    env.spec_files[name] = str(spec.path)
    common = {var: (mapping, ("variables", var)) for var, mapping in spec.data.get("variables", {}).items()
              if var in stages.plan.record}
    parts = []
    for number, record in enumerate(spec.data["sources"][index]["records"]):
        line = spec.line("sources", index, "records", number) or 0
        raw = pd.DataFrame({ROW + name: [line]})
        records = Records(raw, pd.DataFrame(index=raw.index), name, {}, spec.name)
        own = {var: (as_mapping(value), ("sources", index, "records", number, var)) for var, value in record.items()}
        _evaluate_all(records, {**common, **own}, env, spec)
        built = records.built
        built[ROW] = line
        built[FORM] = name
        built[SOURCE] = index
        parts.append(built)
    return pd.concat(parts, ignore_index=True)


def _evaluate_all(records: Records, wanted: dict[str, tuple[dict, tuple]], env: Environment,
                  spec: DatasetSpec) -> None:
    """Evaluate mappings into records.built, each after the variables of the same records it reads."""
    own = set(wanted) | {name.removeprefix(SUPP_PREFIX) for name in wanted}
    try:
        order = variable_order({var: reads(mapping, own) for var, (mapping, _trail) in wanted.items()})
    except PlanCycle as exc:
        env.problems.append(Problem(f"variables depend on each other in a circle: {exc}", file=str(spec.path),
                                    dataset=spec.name))
        return
    for var in order:
        mapping, trail = wanted[var]
        records.built[var] = _evaluate(mapping, records, env, spec, var, trail)


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


def _record_location(frame: pd.DataFrame, position, env: Environment) -> dict:
    record = frame.loc[position]
    return {"file": env.file_of(record[FORM]) if FORM in frame else None,
            "row": int(record[ROW]) if ROW in frame and record[ROW] else None}


def non_ascii_problems(frame: pd.DataFrame, spec: DatasetSpec, env: Environment) -> list[Problem]:
    """XPT v5 holds ASCII only: non-ASCII text left after the spec's rules is an error, never dropped."""
    problems = []
    for column in frame.columns:
        if column in HIDDEN or pd.api.types.is_numeric_dtype(frame[column]):
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


def one_record_per_subject_problems(frame: pd.DataFrame, spec: DatasetSpec, env: Environment) -> list[Problem]:
    """A dataset whose IG structure is one record per subject (DM) must have no subject twice."""
    if "USUBJID" not in frame:
        return []
    problems = []
    duplicated = frame["USUBJID"].duplicated(keep=False) & (frame["USUBJID"] != "")
    for usubjid, group in frame[duplicated].groupby("USUBJID"):
        problems.append(Problem(
            f"{spec.name} must have one record per subject; {usubjid} has {len(group)}",
            file=env.file_of(group[FORM].iloc[0]), row=int(group[ROW].min()), dataset=spec.name, value=usubjid,
            hint=f"remove the duplicate rows of the {spec.name} source"))
    return problems
