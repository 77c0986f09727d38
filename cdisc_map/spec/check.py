"""check-spec: everything wrong with a study's specs that can be known before data is read.

The JSON Schemas check the shape of each file; this module checks what they cannot:
that a mapping names one entry of the registry and only the parameters that entry
takes, that formats parse and codelists exist, that every form, dataset and variable a
mapping reads is there (in the export's forms, in the study's other specs), that the
build has an order (no circle), and, for ADaM, that producer-defined variables are
declared. Whatever `run` would refuse because of a spec is found here first, each
problem with file, line and what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdisc_map.core.dates import validate_format
from cdisc_map.core.problems import CdiscMapError, Problem, ProblemsError
from cdisc_map.core.sasdates import IMPUTATION_RULES
from cdisc_map.core.text import did_you_mean
from cdisc_map.spec import conditions, templates
from cdisc_map.spec.plan import SUPP_PREFIX, PlanCycle, build_order, sdtm_stages, variable_order
from cdisc_map.spec.registry import (
    ADAM,
    DERIVATIONS,
    ENTRIES,
    KIND_NAMES,
    SDTM,
    Reads,
    entry_of,
    kinds_in,
    reads,
    result_type,
)
from cdisc_map.spec.study import AdamSpecs, DatasetSpec, StudySpec, read_study
from cdisc_map.spec.submission import submission_problems
from cdisc_map.spec.yamlfile import Lines, line_of, schema_problems
from cdisc_map.standards.adam_metadata import load_adamig
from cdisc_map.standards.codelists import Terminology
from cdisc_map.standards.metadata import Standard, UnknownStandardError
from cdisc_map.standards.selection import Standards

#: Variables a time-to-event parameter writes, for what reads ADTTE.
TTE_VARIABLES = ("STUDYID", "USUBJID", "PARAMCD", "PARAM", "PARAMN", "AVAL", "AVALU", "STARTDT", "STARTDTF", "ADT",
                 "ADTF", "CNSR", "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "SRCSEQ")
TTE_ROLES = ("events", "competing", "censors")


def load_study(study_dir: Path, standards: Standards | None = None) -> StudySpec:
    """Load every spec of a study folder; raise ProblemsError with every problem when there is any."""
    study, problems = check_study(study_dir, standards)
    errors = [p for p in problems if p.severity == "error"]
    if errors or study is None:
        raise ProblemsError(errors or problems)
    return study


def check_study(study_dir: Path, standards: Standards | None = None,
                raw_columns: dict[str, list[str]] | None = None) -> tuple[StudySpec | None, list[Problem]]:
    """Every problem of a study folder's specs, without raising (for `check-spec`).

    Codelists and IG metadata are those of the releases study.yaml names, from
    `standards` (default: the standards home, else the bundled subset). Given the raw
    forms' columns (form name -> column names, as an export has them), every column a
    spec reads is checked against them too.
    """
    study, problems = read_study(study_dir)
    if study is None:
        return None, problems
    standards = standards or Standards()
    sdtmig = _sdtmig(standards, study, problems)
    catalog = Catalog.of(study, sdtmig)
    problems += _study_problems(study)
    terminology = _terminology(standards, study, problems)
    for spec in study.sdtm:
        problems += check_sdtm_spec(spec, study, catalog, terminology, sdtmig)
    problems += _plan_problems(study)
    problems += check_adam_specs(study, catalog)
    problems += submission_problems(study, catalog.written)
    if raw_columns is not None:
        problems += raw_column_problems(study, raw_columns)
    return study, problems


def raw_column_problems(study: StudySpec, raw_columns: dict[str, list[str]]) -> list[Problem]:
    """Every raw column the specs read, checked against the columns the export's forms have."""
    problems: list[Problem] = []
    forms = study.forms

    def missing(form: str, column: str, path: str, row: int | None, dataset: str | None = None) -> None:
        present = raw_columns.get(form, [])
        problems.append(Problem(f"form {form!r} has no column {column!r}", file=path, row=row, dataset=dataset,
                                column=column, hint=did_you_mean(column, present) or (
                                    "its columns: " + ", ".join(present[:30]) + (" ..." if len(present) > 30
                                                                                 else ""))))

    for name, form in forms.items():
        if name in raw_columns and form.subject not in raw_columns[name]:
            missing(name, form.subject, str(study.path), study.line("raw", "forms", name, "subject"))
    block = study.data["subjects"]
    subjects_form = study.subjects_form
    if subjects_form in raw_columns:
        for key in ("site", "subjid", "usubjid"):
            value = block.get(key)
            columns = {value} if isinstance(value, str) else reads(value).columns if isinstance(value, dict) \
                else set()
            for column in sorted(columns - set(raw_columns[subjects_form])):
                missing(subjects_form, column, str(study.path), study.line("subjects", key))
    for spec in study.sdtm:
        common = {var: (m, ("variables", var)) for var, m in spec.data.get("variables", {}).items()}
        common.update({f"supp {q}": (m, ("supp", q)) for q, m in spec.data.get("supp", {}).items()})
        for index, source in enumerate(spec.data["sources"]):
            if "form" not in source or source["form"] not in raw_columns:
                continue
            available = set(raw_columns[source["form"]])
            for join in source.get("join", []):
                available |= set(raw_columns.get(join["form"], []))
            located = dict(common)
            for block_name in ("variables", "supp"):
                located.update({f"{block_name} {var}": (m, ("sources", index, block_name, var))
                                for var, m in source.get(block_name, {}).items()})
            wanted: list[tuple[str, tuple]] = []
            for mapping, trail in located.values():
                if isinstance(mapping, dict):
                    wanted += [(column, trail) for column in sorted(reads(mapping).columns)]
            for key in ("where",):
                if isinstance(source.get(key), dict):
                    wanted += [(name, ("sources", index, key)) for kind, name in conditions.fields(source[key])
                               if kind == "col"]
            for column, trail in wanted:
                if column not in available:
                    missing(source["form"], column, str(spec.path), spec.line(*trail), spec.name)
    return problems


# --- what each dataset of the study will hold --------------------------------------------------


@dataclass
class Catalog:
    """The variables each dataset of the study will hold, for checking what specs read of each other."""

    mapped: dict[str, set[str]] = field(default_factory=dict)  # as built, before conformance (SDTM reads)
    written: dict[str, set[str]] = field(default_factory=dict)  # as written (and readable by ADaM)
    unread: set[str] = field(default_factory=set)  # datasets of the study whose spec could not be read

    @classmethod
    def of(cls, study: StudySpec, standard: Standard | None) -> Catalog:
        catalog = cls(unread=set(study.adam.unread) | set(study.unread))
        for spec in study.sdtm:
            own = set(spec.mapped())
            catalog.mapped[spec.name] = own
            written = set(own) | set(spec.supp_mapped())  # ADaM reads SUPP-- qualifiers as variables
            if standard is not None:
                try:
                    written |= {v.name for v in standard.variables(spec.name, spec.cls) if v.core in ("Req", "Exp")}
                except UnknownStandardError:
                    pass
            catalog.written[spec.name] = written
        if study.adam.adsl is not None:
            catalog.written["ADSL"] = set(study.adam.adsl.get("variables", {}))
        if study.adam.tte:
            adtte = set(TTE_VARIABLES)
            if "ADSL" in catalog.written:
                adtte |= catalog.written["ADSL"]
            catalog.written["ADTTE"] = adtte
        return catalog


# --- one mapping -----------------------------------------------------------------------------


@dataclass
class MappingContext:
    """Where a mapping is checked: its standard, file, dataset, the study's catalog and CT."""

    standard: str
    path: str | None
    lines: Lines
    dataset: str
    catalog: Catalog | None  # None: a mapping on its own, outside a study (nothing to check its reads against)
    terminology: Any
    own: set[str]  # the variables of the mapping's own dataset
    source_variables: set[str] = field(default_factory=set)  # ADaM: the source dataset's variables
    problems: list[Problem] = field(default_factory=list)

    def problem(self, message: str, trail: tuple, hint: str | None = None, severity: str = "error") -> None:
        self.problems.append(Problem(message, file=self.path, row=line_of(self.lines, trail), dataset=self.dataset,
                                     hint=hint, severity=severity))


def check_mapping(mapping: Any, trail: tuple, context: MappingContext, variable: str) -> None:
    """What the registry says of one variable's mapping: one entry, its parameters, formats, codelists, reads."""
    if not isinstance(mapping, dict):
        context.problem(f"{variable}: a mapping must be a mapping such as {{copy: AE Term}}", trail)
        return
    found = kinds_in(mapping)
    names = ", ".join(n for n in KIND_NAMES)
    if len(found) != 1:
        what = " and ".join(found) if found else "none"
        context.problem(f"{variable}: a variable needs exactly one of {names}; found {what}", trail,
                        hint="split it into separate variables, or use `when` for a conditional value")
        return
    entry = entry_of(mapping)
    if entry is None:
        name = str(mapping["derive"])
        options = [e.name for e in DERIVATIONS if context.standard in e.standards]
        context.problem(f"{variable}: unknown derivation {name!r}", trail + ("derive",),
                        hint=did_you_mean(name, options, list_all=True))
        return
    if context.standard not in entry.standards:
        what = "kind" if entry.form == "kind" else "derivation"
        context.problem(f"{variable}: {entry.name} is a {what} of {' and '.join(entry.standards)} specs, not of "
                        f"{context.standard} specs", trail, hint=_standard_hint(entry.name, context.standard))
        return
    for key in mapping:
        if key not in entry.allowed:
            owners = sorted(e.name for e in ENTRIES.values() if key in {p.word for p in e.params})
            hint = did_you_mean(str(key), entry.allowed) or (
                f"`{key}` is a parameter of {', '.join(owners)}" if owners else None)
            context.problem(f"{variable}: {entry.name} takes no `{key}`", trail + (key,), hint=hint)
    for word in entry.required:
        if word not in mapping:
            param = entry.param(word)
            context.problem(f"{variable}: {entry.name} needs `{word}`", trail,
                            hint=f"add `{word}:` ({param.doc if param else ''})")
    _check_values(mapping, trail, context, variable)
    _check_formats(mapping, trail, context, variable)
    if entry.name == "ct" and context.terminology is not None:
        try:
            context.terminology.codelist(mapping["ct"])
        except (KeyError, LookupError, ValueError) as exc:
            terminology = context.terminology
            subset = "" if getattr(terminology, "is_full", True) else (
                f"; {terminology.description} holds only part of CDISC CT, the full CT may hold it "
                "(`cdisc-map ct download`)")
            context.problem(f"{variable}: codelist {mapping['ct']!r} is not in {terminology.description}: {exc}",
                            trail + ("ct",), hint="write the codelist's short name (e.g. SEX, NY, UNIT) or its "
                                                  "NCI C-code" + subset)
    if isinstance(mapping.get("extract"), str):
        problem = regex_problem(mapping["extract"])
        if problem:
            context.problem(f"{variable}: extract {mapping['extract']!r}: {problem}", trail + ("extract",))
    if entry.name == "template" and isinstance(mapping.get("template"), str):
        try:
            templates.parse(mapping["template"])
        except templates.TemplateError as exc:
            context.problem(f"{variable}: template {mapping['template']!r}: {exc}", trail + ("template",),
                            hint="a placeholder is {Column}, {col:Column} or {var:VARIABLE}")
    if entry.name == "coalesce":
        for index, inner in enumerate(mapping.get("coalesce", [])):
            check_mapping(inner, trail + ("coalesce", index), context, variable)
    if entry.name == "when":
        for index, branch in enumerate(mapping.get("when", [])):
            if isinstance(branch, dict):
                _check_condition(branch.get("if"), trail + ("when", index, "if"), context, None)
                check_mapping(branch.get("then"), trail + ("when", index, "then"), context, variable)
        if "else" in mapping:
            check_mapping(mapping["else"], trail + ("else",), context, variable)
    _check_reads(mapping, entry.name, trail, context, variable)


def _standard_hint(name: str, standard: str) -> str | None:
    if name == "date" and standard == ADAM:
        return "an ADaM date is a number: derive: sas_date, of: --DTC"
    if name == "sas_date" and standard == SDTM:
        return "an SDTM date is ISO 8601 text: date: <raw column>"
    return None


def _check_values(mapping: dict, trail: tuple, context: MappingContext, variable: str) -> None:
    values = mapping.get("values")
    if not isinstance(values, dict):
        return
    for key in values:
        if isinstance(key, bool) or key is None:
            context.problem(f"{variable}: a key of `values` was read as {key!r}, not as text", trail + ("values",),
                            hint="YAML reads unquoted Yes, No, On, Off, True, False and ~ as booleans or null: "
                                 "quote the key, e.g. \"Yes\": Y")


def _check_formats(mapping: dict, trail: tuple, context: MappingContext, variable: str) -> None:
    for word, time_only in (("format", False), ("time_format", True)):
        given = mapping.get(word)
        for fmt in [given] if isinstance(given, str) else given if isinstance(given, list) else []:
            try:
                validate_format(fmt, time_only=time_only)
            except ValueError as exc:
                context.problem(f"{variable}: {exc}", trail + (word,),
                                hint="a format is made of DD, MM, MON, YYYY (and HH, MM, SS for a time) with "
                                     "literal separators, e.g. DD-MON-YYYY, MM/DD/YYYY or HH:MM")


def _check_condition(condition: Any, trail: tuple, context: MappingContext, dataset: str | None) -> None:
    """The fields a condition reads: of `dataset` when given, else of the mapping's own records."""
    if not isinstance(condition, dict):
        return
    for pattern in conditions.patterns(condition):
        problem = regex_problem(pattern)
        if problem:
            context.problem(f"matches {pattern!r}: {problem}", trail)
    try:
        fields = conditions.fields(condition)
    except (KeyError, TypeError, AttributeError):
        return
    for kind, name in fields:
        if dataset is not None:
            _check_other(dataset, name, trail, context)
        elif kind == "var" and name not in context.own and name not in context.source_variables and \
                (context.standard == SDTM or context.source_variables):
            context.problem(f"a condition reads {name}, which {context.dataset} does not map", trail,
                            hint=did_you_mean(name, sorted(context.own | context.source_variables))
                            or (f"map {name} in {context.dataset}, or read the raw column with `col:`"
                                if context.standard == SDTM else None))
        elif kind == "col" and context.standard == ADAM and context.source_variables and \
                name not in context.source_variables:
            context.problem(f"a condition reads {name}, which the source dataset does not have", trail,
                            hint=did_you_mean(name, sorted(context.source_variables)))


def _check_other(dataset: str, variable: str, trail: tuple, context: MappingContext) -> None:
    """A variable of another dataset: the dataset must be in the study and hold it."""
    if context.catalog is None or dataset in context.catalog.unread:
        return
    known = context.catalog.written if context.standard == ADAM else context.catalog.mapped
    if dataset not in known:
        context.problem(f"{dataset} is not a dataset of this study", trail,
                        hint=did_you_mean(dataset, sorted(known), list_all=True))
    elif variable not in known[dataset]:
        context.problem(f"{dataset} has no variable {variable}", trail,
                        hint=did_you_mean(variable, sorted(known[dataset])) or f"map {variable} in the "
                        f"{dataset} spec")


def _check_reads(mapping: dict, name: str, trail: tuple, context: MappingContext, variable: str) -> None:
    entry = ENTRIES[name]
    if name in ("when", "coalesce"):  # their mappings are checked one by one
        found = Reads(variables={mapping["not_after"]} if isinstance(mapping.get("not_after"), str) else set())
    else:
        found = reads(mapping, context.own)
    for dataset, var in sorted(found.others):
        if dataset == context.dataset:
            continue
        key = next((k for k in ("var", "sources", "epochs", "ref", "where") if k in mapping), "derive")
        _check_other(dataset, var, trail + (key,), context)
    for dataset in sorted(found.datasets - {d for d, _ in found.others}):
        _check_other(dataset, "USUBJID", trail + ("dataset",), context)
    if context.standard == SDTM and context.catalog is not None:
        for var in sorted(found.variables - context.own):
            context.problem(f"{variable}: reads {var}, which {context.dataset} does not map", trail,
                            hint=did_you_mean(var, sorted(context.own)) or f"map {var} in {context.dataset}")
    if context.standard == ADAM and context.source_variables:
        for var in sorted(found.variables):
            if var not in context.own and var not in context.source_variables:
                context.problem(f"{variable}: reads {var}, which is neither an ADSL variable nor a variable of "
                                "the source dataset", trail,
                                hint=did_you_mean(var, sorted(context.own | context.source_variables)))
        for column in sorted(found.columns):
            if context.source_variables and column not in context.source_variables:
                context.problem(f"{variable}: the source dataset has no variable {column}", trail + (entry.key,),
                                hint=did_you_mean(column, sorted(context.source_variables)))


# --- SDTM specs ------------------------------------------------------------------------------


def _study_problems(study: StudySpec) -> list[Problem]:
    problems = []
    forms = study.forms
    if study.subjects_form not in forms:
        problems.append(Problem(
            f"subjects form {study.subjects_form!r} is not one of the raw forms",
            file=str(study.path), row=study.line("subjects", "form"),
            hint=did_you_mean(study.subjects_form, forms, list_all=True),
        ))
    block = study.data["subjects"]
    context = MappingContext(SDTM, str(study.path), study.lines, "subjects", None, None,
                             {"STUDYID", "SITEID", "SUBJID"})
    for key, var in (("site", "SITEID"), ("subjid", "SUBJID"), ("usubjid", "USUBJID")):
        if isinstance(block.get(key), dict):
            check_mapping(block[key], ("subjects", key), context, var)
    problems += context.problems
    pattern = study.data.get("visits", {}).get("unscheduled_pattern")
    if pattern is not None:
        problem = regex_problem(pattern, ("number",))
        if problem:
            problems.append(Problem(f"visits.unscheduled_pattern: {problem}", file=str(study.path),
                                    row=study.line("visits", "unscheduled_pattern"), value=pattern,
                                    hint="e.g. \"Unscheduled (?P<number>\\d+(?:\\.\\d+)?)\""))
    names = [spec.name for spec in study.sdtm]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem(f"dataset {name} is specified more than once", file=str(study.path)))
    return problems


def regex_problem(pattern: str, groups: tuple[str, ...] = ()) -> str | None:
    """Why a spec's regular expression cannot be used ("" or None when it can): it must compile, and have
    the named groups asked for (or, for one, a single unnamed group)."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return f"not a regular expression: {exc}"
    missing = [g for g in groups if g not in compiled.groupindex]
    if missing and not (len(groups) == 1 and compiled.groups == 1):
        return f"needs a group named {', '.join(missing)}, e.g. (?P<{missing[0]}>...)"
    return None


def _terminology(standards: Standards, study: StudySpec, problems: list[Problem]) -> Terminology | None:
    try:
        return standards.ct(study.ct_version)
    except (CdiscMapError, KeyError, ValueError) as exc:
        problems.append(Problem(f"controlled terminology {study.ct_version} cannot be loaded: {exc}",
                                file=str(study.path), row=study.line("standards", "ct")))
        return None


def _sdtmig(standards: Standards, study: StudySpec, problems: list[Problem]) -> Standard | None:
    try:
        return standards.sdtmig(study.sdtmig_version)
    except (CdiscMapError, KeyError, ValueError) as exc:
        problems.append(Problem(f"SDTMIG {study.sdtmig_version} metadata cannot be loaded: {exc}",
                                file=str(study.path), row=study.line("standards", "sdtmig")))
        return None


def check_sdtm_spec(spec: DatasetSpec, study: StudySpec, catalog: Catalog, terminology: Terminology | None,
                    sdtmig: Standard | None) -> list[Problem]:
    """What the JSON Schema cannot check of one SDTM dataset spec."""
    problems: list[Problem] = []
    path = str(spec.path)

    def problem(message: str, *trail: Any, hint: str | None = None) -> None:
        problems.append(Problem(message, file=path, row=spec.line(*trail), dataset=spec.name, hint=hint))

    if spec.name != spec.path.stem.upper():
        problem(f"file {spec.path.name} specifies dataset {spec.name}", "dataset",
                hint=f"name the file {spec.name.lower()}.yaml")
    forms = study.forms
    own = catalog.mapped.get(spec.name, set())
    context = MappingContext(SDTM, path, spec.lines, spec.name, catalog, terminology, own)
    for index, source in enumerate(spec.data["sources"]):
        if "form" in source:
            if source["form"] not in forms:
                problem(f"form {source['form']!r} is not in study.yaml", "sources", index, "form",
                        hint=did_you_mean(source["form"], forms, list_all=True))
            for j, join in enumerate(source.get("join", [])):
                if join["form"] not in forms:
                    problem(f"form {join['form']!r} is not in study.yaml", "sources", index, "join", j, "form",
                            hint=did_you_mean(join["form"], forms, list_all=True))
        for block in ("variables", "supp"):
            for var, mapping in source.get(block, {}).items():
                check_mapping(mapping, ("sources", index, block, var), context, var)
                if var in spec.data.get(block, {}):
                    problem(f"{var} is mapped both for all sources and for source {index + 1}",
                            "sources", index, block, var, hint="keep one of the two")
        for number, record in enumerate(source.get("records", [])):
            for var, value in record.items():
                if isinstance(value, dict):
                    check_mapping(value, ("sources", index, "records", number, var), context, var)
        collapse = source.get("collapse")
        if collapse:
            for var in [*collapse["by"], collapse["start"], collapse["end"]]:
                if var not in own:
                    problem(f"collapse reads {var}, which {spec.name} does not map", "sources", index, "collapse",
                            hint=did_you_mean(var, sorted(own)))
    for block in ("variables", "supp"):
        for var, mapping in spec.data.get(block, {}).items():
            check_mapping(mapping, (block, var), context, var)
    for key in spec.keys:
        if key not in own:
            problem(f"key {key} is not mapped", "keys", hint=did_you_mean(key, sorted(own)) or f"map {key}")
    for var, rules in spec.data.get("value_level", {}).items():
        if var not in own:
            problem(f"value_level names {var}, which {spec.name} does not map", "value_level", var,
                    hint=did_you_mean(var, sorted(own)))
        for index, rule in enumerate(rules):
            _check_condition(rule["where"], ("value_level", var, index, "where"), context, None)
            if any(kind == "col" for kind, _name in conditions.fields(rule["where"])):
                problem(f"value_level {var}: a rule's condition reads the dataset's variables (var:), not raw "
                        "columns (col:)", "value_level", var, index, "where")
            if terminology is not None:
                try:
                    terminology.codelist(rule["ct"])
                except (KeyError, LookupError, ValueError):
                    problem(f"value_level {var}: codelist {rule['ct']!r} is not in {terminology.description}",
                            "value_level", var, index, "ct", hint="write a codelist's short name or NCI C-code")
    for index, check in enumerate(spec.data.get("checks", [])):
        for var in check.get("start_before_end", []):
            if var not in own:
                problem(f"check start_before_end reads {var}, which {spec.name} does not map", "checks", index,
                        hint=did_you_mean(var, sorted(own)))
    problems += _ig_problems(spec, study, sdtmig)
    stages = sdtm_stages(spec)
    for var in stages.misplaced:
        name = var.removeprefix(SUPP_PREFIX)
        trail = spec.mapped().get(name, spec.supp_mapped().get(name, (None, ("variables",))))[1]
        problem(f"{name} needs the dataset's records in their final order (seq), but is mapped per source "
                "record", *trail, hint=f"map {name} under the dataset's `variables:`, for all sources at once")
    return context.problems + problems


def _ig_problems(spec: DatasetSpec, study: StudySpec, sdtmig: Standard | None) -> list[Problem]:
    """The IG's word on the dataset: every mapped variable is one of its variables, every Required one is
    mapped, and text is not mapped into a numeric variable."""
    if sdtmig is None:
        return []
    try:
        variables = {v.name: v for v in sdtmig.allowed_variables(spec.name, spec.cls)}
    except (UnknownStandardError, KeyError) as exc:
        return [Problem(str(exc), file=str(spec.path), row=spec.line("dataset"), dataset=spec.name,
                        hint="a sponsor-defined domain declares its general observation class with `class:`")]
    problems = []
    located = spec.mapped()
    for var, (mapping, trail) in located.items():
        meta = variables.get(var)
        if meta is None:
            problems.append(Problem(
                f"{var} is neither an SDTMIG {study.sdtmig_version} {spec.name} variable nor a variable of its "
                "class", file=str(spec.path),
                row=spec.line(*trail), dataset=spec.name,
                hint=did_you_mean(var, variables) or "non-standard variables go under `supp:` (SUPPQUAL)"))
            continue
        kind = result_type(mapping)
        if meta.type == "Num" and kind == "text":
            problems.append(Problem(f"{var} is numeric in SDTMIG but its mapping gives text", file=str(spec.path),
                                    row=spec.line(*trail), dataset=spec.name,
                                    hint="map it with `number`, a numeric constant, or a numeric derivation"))
    for meta in variables.values():
        if meta.core == "Req" and meta.name not in located:
            problems.append(Problem(f"Required variable {meta.name} is not mapped", file=str(spec.path),
                                    row=spec.line("variables"), dataset=spec.name,
                                    hint=f"add {meta.name} to the spec's variables"))
    return problems


def _plan_problems(study: StudySpec) -> list[Problem]:
    """The build order of the SDTM datasets: no circle, and every variable read of another dataset mapped."""
    plans = [sdtm_stages(spec).plan for spec in study.sdtm]
    try:
        _steps, unresolved = build_order(plans)
    except PlanCycle as exc:
        return [Problem(f"variables read each other in a circle: {exc}", file=str(study.path),
                        hint="one of them must be computed from something else")]
    problems = []
    for item in unresolved:
        if not item.known:
            continue  # reported where the mapping is checked
        spec = study.dataset(item.step.dataset)
        located = spec.mapped().get(item.step.variable)
        row = spec.line(*located[1]) if located else spec.line("sources")
        if item.variable in study.dataset(item.dataset).mapped():
            continue
        problems.append(Problem(
            f"{item.step}: reads {item.dataset}.{item.variable}, which the {item.dataset} spec does not map",
            file=str(spec.path), row=row, dataset=spec.name,
            hint=did_you_mean(item.variable, sorted(study.dataset(item.dataset).mapped()))
            or f"map {item.variable} in {item.dataset}"))
    return problems


# --- ADaM specs -----------------------------------------------------------------------------


def check_adam_specs(study: StudySpec, catalog: Catalog) -> list[Problem]:
    """Every problem of a study's ADaM specs before any data is read, each with its file and line."""
    specs: AdamSpecs = study.adam
    problems: list[Problem] = []
    if specs.adsl is not None:
        subjects = specs.adsl.get("subjects", "DM")
        problems += check_adsl_spec(specs.adsl, study.adamig_version, path=specs.file_of("ADSL"),
                                    lines=specs.lines.get("ADSL", {}), catalog=catalog,
                                    source_variables=catalog.written.get(subjects))
    for spec in specs.tte:
        key = str(spec.get("paramcd"))
        problems += check_tte_spec(spec, path=specs.file_of(key), lines=specs.lines.get(key, {}), catalog=catalog)
    return problems


def check_adsl_spec(spec: Any, version: str = "1.3", *, path: str | None = None, lines: Lines | None = None,
                    catalog: Catalog | None = None, source_variables: set[str] | None = None) -> list[Problem]:
    """Everything wrong with an ADSL spec before any data is read (a dict as loaded from YAML).

    Without `path` the spec is a dict given directly (its shape is checked here; a file's
    shape was checked when it was read).
    """
    if path is None:
        problems = [Problem(p.message, column=p.column, hint=p.hint, dataset="ADSL")
                    for p in schema_problems(spec, "adsl", Path("adsl"), {})]
        if problems:
            return problems
    variables = spec.get("variables", {})
    context = MappingContext(ADAM, path, lines or {}, "ADSL", catalog, None, set(variables),
                             set(source_variables or ()))
    metadata = load_adamig(version).variables("ADSL")
    standard = {v.name for v in metadata}
    for meta in metadata:
        if meta.core == "Req" and meta.name not in variables:
            context.problem(f"Required variable {meta.name} is not mapped", ("variables",),
                            hint=f"add {meta.name} to the ADSL spec's variables (e.g. {{copy: {meta.name}}})")
    for var, mapping in variables.items():
        check_mapping(mapping, ("variables", var), context, var)
        if isinstance(mapping, dict) and var not in standard:
            label, kind = mapping.get("label"), mapping.get("type")
            if not isinstance(label, str) or not 0 < len(label) <= 40 or kind not in ("Char", "Num"):
                context.problem(f"{var} is not an ADaMIG {version} ADSL variable: declare `label` (at most 40 "
                                "characters) and `type` (Char or Num)", ("variables", var))
    wanted = {var: reads(m, set(variables)) for var, m in variables.items() if isinstance(m, dict)}
    try:
        variable_order(wanted)
    except PlanCycle as exc:
        context.problem(f"variables read each other in a circle: {exc}", ("variables",))
    return context.problems


def check_tte_spec(spec: Any, *, path: str | None = None, lines: Lines | None = None,
                   catalog: Catalog | None = None) -> list[Problem]:
    """Everything wrong with a time-to-event parameter spec before any data is read (a dict as from YAML).

    Messages start with the PARAMCD. Given the study's `catalog`, the datasets and
    variables the sources read are checked against what the study's specs write.
    """
    lines = lines or {}
    located = path is not None
    if not isinstance(spec, dict):
        return [Problem("a time-to-event spec must be a mapping", file=path, dataset="ADTTE")]
    label = str(spec.get("paramcd") or "time-to-event spec")
    problems: list[Problem] = []

    def bad(message: str, *trail: Any, hint: str | None = None) -> None:
        problems.append(Problem(f"{label}: {message}", file=path, row=line_of(lines, trail) if located else None,
                                column=None if located else _trail_text(trail), dataset="ADTTE", hint=hint))

    if not located:  # a dict given to derive_tte: the schema is checked here (a file was checked on reading)
        for found in schema_problems(spec, "tte", Path("spec"), {}):
            problems.append(Problem(f"{label}: {found.message}", column=found.column, dataset="ADTTE",
                                    hint=found.hint))
        if problems:
            return problems
    competing: set[int] = set()
    for role in TTE_ROLES:
        for index, source in enumerate(spec.get(role) or []):
            cnsr = source.get("cnsr", 0 if role == "events" else None)
            if role == "events" and cnsr != 0:
                bad("an event source has CNSR 0; censoring and competing codes go under censors/competing", role,
                    index, "cnsr")
            elif role != "events":
                if not isinstance(cnsr, int) or isinstance(cnsr, bool) or cnsr < 1:
                    bad("a censoring or competing source needs `cnsr`, a positive whole number", role, index)
                    continue
                if role == "competing":
                    competing.add(cnsr)
            if catalog is not None:
                _check_tte_reads(source, (role, index), catalog, bad)
    window = spec.get("window")
    if window:
        if window["cnsr"] in competing:
            bad(f"CNSR {window['cnsr']} is used for a competing event and for the window", "window")
    for index, source in enumerate(spec.get("censors") or []):
        if source.get("cnsr") in competing:
            bad(f"CNSR {source['cnsr']} is used for a competing event and for censoring", "censors", index)
    if catalog is not None:
        start = spec["start"]
        _check_tte_reads({"dataset": start["dataset"], "var": start["var"], "where": spec.get("population")},
                         ("start",), catalog, bad)
    return problems


def _trail_text(trail: tuple) -> str | None:
    if not trail:
        return None
    head, *rest = trail
    return f"{head}[{rest[0]}]" if rest and isinstance(rest[0], int) else str(head)


def _check_tte_reads(source: dict, trail: tuple, catalog: Catalog, bad: Callable) -> None:
    dataset = source["dataset"]
    if dataset in catalog.unread:
        return
    if dataset not in catalog.written:
        bad(f"{dataset} is not a dataset of this study", *trail, "dataset",
            hint=did_you_mean(dataset, sorted(catalog.written), list_all=True))
        return
    known = catalog.written[dataset]
    names = [source["var"], *(name for _kind, name in conditions.fields(source["where"]))] if source.get("where") \
        else [source["var"]]
    for name in names:
        if name not in known:
            bad(f"{dataset} has no variable {name}", *trail,
                hint=did_you_mean(name, sorted(known)) or f"map {name} in the {dataset} spec")


__all__ = ["IMPUTATION_RULES", "Catalog", "check_adam_specs", "check_adsl_spec", "check_mapping", "check_study",
           "check_tte_spec", "load_study"]
