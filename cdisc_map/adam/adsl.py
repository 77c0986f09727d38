"""ADSL from SDTM: one record per subject of the source dataset (DM), every variable a mapping.

ADaMIG requires ADaM to come from SDTM, never from the raw export, so this module
only reads SDTM (or ADaM) DataFrames. The spec's mappings are in the same language
as SDTM specs, evaluated by the same engine (`cdisc_map.mapping`): a mapping reads
ADSL variables mapped in the spec and, for a name ADSL does not map, the variable of
the source dataset; derivations such as `sas_date`, `first_value`, `last_date` and
`exists` read other datasets per subject (docs/derivations/). Variables are derived
in the order of what they read; producer-defined variables (not in ADaMIG) declare
`label`, `type` and `display_format`; `method` and `comment` travel to define.xml.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import pandas as pd

from cdisc_map.adam.conform import conform_adam
from cdisc_map.adam.tte import AdamWarning
from cdisc_map.core.datasets import Dataset
from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.mapping.engine import Environment, MappingError, Records
from cdisc_map.mapping.kinds import evaluate
from cdisc_map.mapping.sources import SUBJECT, SourceCache, SourceError, source_records, text
from cdisc_map.spec.check import check_adsl_spec
from cdisc_map.spec.plan import PlanCycle, variable_order
from cdisc_map.spec.registry import ADAM, method_name, method_text, modifier_text, origin_of, reads
from cdisc_map.standards.adam_metadata import load_adamig

DATASET = "ADSL"


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
                 cache: SourceCache | None = None, checked: bool = False) -> tuple[Dataset, list[Problem]]:
    """ADSL with its variable metadata and every problem found (never raises for data problems).

    A `cache` shares work with the rest of one build (see `SourceCache`); `checked`
    says the spec was checked already (by check-spec, with its file and lines).
    """
    records, problems = adsl_records(spec, sdtm, version, cache, checked)
    if records.empty and any(p.severity == "error" for p in problems):
        dataset, _ = conform_adam(DATASET, pd.DataFrame(columns=["STUDYID", "USUBJID"]), version=version)
        return dataset, problems
    dataset, found = _described(spec, records, version)
    return dataset, problems + found


def adsl_metadata(spec: dict, version: str = "1.3") -> Dataset:
    """ADSL as the spec describes it, without records: the variables, labels, types, origins and
    methods a build gives (for the spec workbook, which describes a study before any data)."""
    columns = [var for var in spec.get("variables", {})]
    dataset, _problems = _described(spec, pd.DataFrame(columns=columns), version)
    return dataset


def _described(spec: dict, records: pd.DataFrame, version: str) -> tuple[Dataset, list[Problem]]:
    """The records conformed to ADaMIG with the spec's metadata: producer-defined variables, methods, origins."""
    standard = {v.name for v in load_adamig(version).variables(DATASET)}
    rules = spec["variables"]
    extra = {var: {key: rule[key] for key in ("label", "type", "display_format") if key in rule}
             for var, rule in rules.items() if var not in standard and "label" in rule}
    subjects = spec.get("subjects", "DM")

    def qualify(name: str) -> str:
        return f"{DATASET}.{name}" if name in rules else f"{subjects}.{name}"

    methods = {var: method_text(rule, qualify) + ("" if "method" in rule else modifier_text(rule))
               for var, rule in rules.items()}
    origins = {var: origin_of(rule, ADAM) for var, rule in rules.items()}
    # A copy names the variable it copies: define.xml's Predecessor origin says DM.AGE.
    predecessors = {var: f"{subjects}.{rule['copy']}" for var, rule in rules.items()
                    if origins[var] == "Predecessor" and isinstance(rule.get("copy"), str)}
    names = {var: method_name(rule) for var, rule in rules.items()}
    dataset, found = conform_adam(DATASET, records, extra=extra, version=version, methods=methods, origins=origins,
                                  method_names=names, predecessors=predecessors)
    dataset.label = spec.get("label") or dataset.label
    dataset.comment = spec.get("comment")
    return dataset, found


def adsl_records(spec: dict, sdtm: Mapping[str, pd.DataFrame], version: str = "1.3",
                 cache: SourceCache | None = None, checked: bool = False) -> tuple[pd.DataFrame, list[Problem]]:
    """The derived ADSL columns in spec order, untyped, and the problems found."""
    problems = [] if checked else check_adsl_spec(spec, version)
    if any(p.severity == "error" for p in problems):
        return pd.DataFrame(), problems
    name = spec.get("subjects", "DM")
    env = Environment("", datasets=dict(sdtm), problems=problems, cache=SourceCache() if cache is None else cache)
    try:
        subjects = source_records(sdtm, name, [])
    except SourceError as exc:
        problems.append(Problem(f"subjects: {exc}", dataset=DATASET))
        return pd.DataFrame(), problems
    source = subjects.reset_index(drop=True).copy()
    source[SUBJECT] = text(source[SUBJECT])
    for usubjid in source[source[SUBJECT].duplicated()][SUBJECT].unique():
        problems.append(Problem(f"{name} has more than one record for the subject", dataset=DATASET, value=usubjid))
    records = Records(source, pd.DataFrame(index=source.index), name, {}, DATASET, ADAM)
    rules = spec["variables"]
    try:
        order = variable_order({var: reads(rule, set(rules)) for var, rule in rules.items()})
    except PlanCycle as exc:
        problems.append(Problem(f"variables read each other in a circle: {exc}", dataset=DATASET))
        return pd.DataFrame(), problems
    for var in order:
        try:
            records.built[var] = evaluate(rules[var], records, env, var)
        except MappingError as exc:
            problems.append(Problem(f"{var}: {exc.message}", dataset=DATASET, column=var, hint=exc.hint))
    return records.built[[var for var in rules if var in records.built]], problems
