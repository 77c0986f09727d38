"""Loading and checking mapping specs.

A spec is data: YAML, loaded safely, checked against a JSON Schema shipped in the
package, then against what the schema cannot know (that a form exists, that a
derivation has its parameters, that a codelist is in the terminology). Every problem
names the spec file and line, and says what to write instead, because the person
reading it is a statistical programmer editing YAML, not a Python developer.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from cdisc_map.core.problems import Problem, ProblemsError

#: The mapping kinds: every variable names exactly one of them.
MAPPING_KINDS = ("copy", "constant", "number", "ct", "recode", "date", "derive", "when")

Lines = dict[tuple, int]


@dataclass(frozen=True)
class FormSpec:
    """One raw CRF form of the export: its file and the column holding the subject id."""

    name: str
    file: str
    subject: str
    sheet: str | int | None = None
    label: str | None = None
    encoding: str = "utf-8"
    form: str | None = None  # ODM files: the FormOID to read
    item_group: str | None = None  # ODM files: the ItemGroupOID to read, instead of a form
    column_names: str | None = None  # ODM files: "oid" (default) or "name"


@dataclass
class DatasetSpec:
    """One target dataset's spec, as loaded, with the line of every element."""

    path: Path
    data: dict[str, Any]
    lines: Lines = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.data["dataset"]

    @property
    def keys(self) -> list[str]:
        return list(self.data["keys"])

    def line(self, *where: Any) -> int | None:
        """Line of the deepest element of `where` the file has (its parent's if absent)."""
        trail = tuple(where)
        while trail:
            if trail in self.lines:
                return self.lines[trail]
            trail = trail[:-1]
        return self.lines.get((), None)


@dataclass
class StudySpec:
    """The study file and every dataset spec of the study folder."""

    path: Path
    data: dict[str, Any]
    lines: Lines
    sdtm: list[DatasetSpec]

    @property
    def study_id(self) -> str:
        return self.data["study"]["id"]

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def forms(self) -> dict[str, FormSpec]:
        return {
            name: FormSpec(name=name, **form)
            for name, form in self.data["raw"]["forms"].items()
        }

    @property
    def subjects_form(self) -> str:
        return self.data["subjects"]["form"]

    @property
    def site_column(self) -> str:
        return self.data["subjects"]["site"]

    @property
    def ct_version(self) -> str:
        return self.data["standards"]["ct"]

    @property
    def sdtmig_version(self) -> str:
        return self.data["standards"]["sdtmig"]

    @property
    def adamig_version(self) -> str:
        return self.data["standards"].get("adamig", "1.3")

    def default_raw_dir(self) -> Path | None:
        raw_dir = self.data["raw"].get("dir")
        return (self.folder / raw_dir).resolve() if raw_dir else None

    def dataset(self, name: str) -> DatasetSpec:
        for spec in self.sdtm:
            if spec.name == name:
                return spec
        raise KeyError(f"no spec for dataset {name}")


@cache
def _schema(name: str) -> dict:
    text = resources.files("cdisc_map.spec.schemas").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


def load_yaml(path: Path) -> tuple[Any, Lines]:
    """Load YAML safely and record the 1-based line of every mapping key and list item."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProblemsError([Problem(f"cannot read spec: {exc}", file=str(path))]) from exc
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ProblemsError([
            Problem(
                f"not valid YAML: {getattr(exc, 'problem', exc)}",
                file=str(path),
                row=mark.line + 1 if mark else None,
                hint="check indentation and quote values that contain ': ' or start with a special character",
            )
        ]) from exc
    lines: Lines = {}
    if node is not None:
        _record_lines(node, (), lines)
    return data, lines


def _record_lines(node: yaml.Node, trail: tuple, lines: Lines) -> None:
    lines[trail] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = trail + (key_node.value,)
            _record_lines(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, trail + (index,), lines)


def _schema_problems(data: Any, schema_name: str, path: Path, lines: Lines) -> list[Problem]:
    validator = jsonschema.Draft202012Validator(_schema(schema_name))
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        trail = tuple(error.absolute_path)
        line = _line_of(lines, trail)
        problems.append(Problem(
            _schema_message(error),
            file=str(path),
            row=line,
            column="/".join(map(str, trail)) or None,
            hint=_schema_hint(error),
        ))
    return problems


def _line_of(lines: Lines, trail: tuple) -> int | None:
    while trail and trail not in lines:
        trail = trail[:-1]
    return lines.get(trail)


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        extra = [k for k in error.instance if k not in error.schema.get("properties", {})]
        return f"unknown key(s) {', '.join(map(repr, extra))}"
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        return "a condition needs exactly one of col, var, all, any, not"
    return error.message


def _schema_hint(error: jsonschema.ValidationError) -> str | None:
    if error.validator == "additionalProperties":
        known = list(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in known]
        guesses = [g for k in extra for g in _closest(str(k), known)]
        if guesses:
            return f"did you mean {', '.join(map(repr, guesses))}?"
        return f"allowed keys: {', '.join(known)}"
    if error.validator == "pattern" and error.path and str(error.path[-1]) == "dataset":
        return "write the dataset name in upper case, at most 8 characters, e.g. DM"
    if error.validator == "enum":
        return f"write one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "dependentRequired":
        return "add the missing key"
    if error.validator == "maxLength":
        return f"shorten it to at most {error.validator_value} characters"
    return None


def load_study(study_dir: Path) -> StudySpec:
    """Load study.yaml and the dataset specs of `study_dir`; raise ProblemsError on any problem."""
    study, problems = check_study(study_dir)
    if problems or study is None:
        raise ProblemsError(problems)
    return study


def check_study(study_dir: Path) -> tuple[StudySpec | None, list[Problem]]:
    """Every problem of a study folder's specs, without raising (for `check-spec`)."""
    study_dir = Path(study_dir)
    study_path = study_dir / "study.yaml"
    if not study_path.is_file():
        return None, [Problem(
            "no study.yaml in the study folder",
            file=str(study_dir),
            hint="a study folder holds study.yaml and one YAML spec per dataset in sdtm/",
        )]
    problems: list[Problem] = []
    try:
        data, lines = load_yaml(study_path)
    except ProblemsError as exc:
        return None, exc.problems
    problems += _schema_problems(data, "study.schema.json", study_path, lines)
    if problems:
        return None, problems

    dataset_specs: list[DatasetSpec] = []
    sdtm_dir = study_dir / "sdtm"
    wanted = data.get("sdtm")
    files = [sdtm_dir / f"{name}.yaml" for name in wanted] if wanted else sorted(sdtm_dir.glob("*.yaml"))
    for index, spec_path in enumerate(files):
        if not spec_path.is_file():
            problems.append(Problem(
                f"dataset spec {spec_path.name} named in study.yaml does not exist",
                file=str(study_path), row=_line_of(lines, ("sdtm", index)),
                hint=f"create {spec_path} or remove the name from the sdtm list",
            ))
            continue
        try:
            spec_data, spec_lines = load_yaml(spec_path)
        except ProblemsError as exc:
            problems += exc.problems
            continue
        found = _schema_problems(spec_data, "dataset.schema.json", spec_path, spec_lines)
        problems += found
        if not found:
            dataset_specs.append(DatasetSpec(spec_path, spec_data, spec_lines))

    study = StudySpec(study_path, data, lines, dataset_specs)
    problems += _check_study_semantics(study)
    for spec in dataset_specs:
        problems += check_dataset_semantics(spec, study)
    return study, problems


def _check_study_semantics(study: StudySpec) -> list[Problem]:
    problems = []
    forms = study.forms
    if study.subjects_form not in forms:
        problems.append(Problem(
            f"subjects form {study.subjects_form!r} is not one of the raw forms",
            file=str(study.path), row=_line_of(study.lines, ("subjects", "form")),
            hint=_choices(study.subjects_form, forms),
        ))
    names = [spec.name for spec in study.sdtm]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(Problem(f"dataset {name} is specified more than once", file=str(study.path)))
    return problems


def _closest(word: str, options: list[str]) -> list[str]:
    """The likeliest intended key: a transposition ("form" for "from") first, then difflib's guess."""
    anagrams = [o for o in options if sorted(o) == sorted(word)]
    return anagrams[:1] or difflib.get_close_matches(word, options, n=1)


def _choices(value: str, options: Any) -> str:
    options = list(options)
    close = _closest(str(value), options)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"write one of: {', '.join(options)}"


def mapping_kind(mapping: dict) -> str | None:
    """The one mapping kind a variable's mapping names (None when it names none or several)."""
    kinds = [k for k in MAPPING_KINDS if k in mapping]
    return kinds[0] if len(kinds) == 1 else None


def check_dataset_semantics(spec: DatasetSpec, study: StudySpec) -> list[Problem]:
    """What the JSON Schema cannot check: references to forms, derivations, codelists."""
    from cdisc_map.mapping.derivations import DERIVATIONS  # late import: derivations import specs' types

    problems: list[Problem] = []
    forms = study.forms
    path = str(spec.path)

    def problem(message: str, *trail: Any, hint: str | None = None) -> None:
        problems.append(Problem(message, file=path, row=spec.line(*trail), dataset=spec.name, hint=hint))

    expected_file = spec.path.stem.upper()
    if spec.name != expected_file:
        problem(f"file {spec.path.name} specifies dataset {spec.name}", "dataset",
                hint=f"name the file {spec.name.lower()}.yaml")

    def check_mapping(mapping: dict, trail: tuple) -> None:
        kinds = [k for k in MAPPING_KINDS if k in mapping]
        if len(kinds) != 1:
            found = f"{' and '.join(kinds)}" if kinds else "none"
            problem(f"a variable needs exactly one of {', '.join(MAPPING_KINDS)}; found {found}", *trail,
                    hint="split it into separate variables, or use `when` for a conditional value")
            return
        kind = kinds[0]
        if kind == "derive":
            name = mapping["derive"]
            derivation = DERIVATIONS.get(name)
            if derivation is None:
                problem(f"unknown derivation {name!r}", *trail, "derive", hint=_choices(name, DERIVATIONS))
                return
            for param in derivation.required:
                if param not in mapping:
                    problem(f"derivation {name!r} needs `{param}`", *trail,
                            hint=f"add `{param}:` ({derivation.params_help})")
            if "dataset" in mapping and mapping["dataset"] not in {s.name for s in study.sdtm}:
                problem(f"derivation {name!r} reads dataset {mapping['dataset']}, which has no spec", *trail,
                        "dataset", hint=_choices(mapping["dataset"], [s.name for s in study.sdtm]))
        if kind == "when":
            for index, branch in enumerate(mapping["when"]):
                check_mapping(branch["then"], trail + ("when", index, "then"))
            if "else" in mapping:
                check_mapping(mapping["else"], trail + ("else",))
        if kind == "ct":
            from cdisc_map.standards.terminology import load_ct

            try:
                load_ct(study.ct_version).codelist(mapping["ct"])
            except (KeyError, LookupError, ValueError) as exc:
                problem(f"codelist {mapping['ct']!r} is not in CDISC CT {study.ct_version}: {exc}", *trail, "ct",
                        hint="write the codelist's short name (e.g. SEX, NY, UNIT) or its NCI C-code")

    for index, source in enumerate(spec.data["sources"]):
        for number, record in enumerate(source.get("records", [])):
            for var, value in record.items():
                if isinstance(value, dict):
                    check_mapping(value, ("sources", index, "records", number, var))
        if "form" not in source:
            continue
        form = source["form"]
        if form not in forms:
            problem(f"form {form!r} is not in study.yaml", "sources", index, "form", hint=_choices(form, forms))
        for j, join in enumerate(source.get("join", [])):
            if join["form"] not in forms:
                problem(f"form {join['form']!r} is not in study.yaml", "sources", index, "join", j, "form",
                        hint=_choices(join["form"], forms))
        for block in ("variables", "supp"):
            for var, mapping in source.get(block, {}).items():
                check_mapping(mapping, ("sources", index, block, var))
                if var in spec.data.get(block, {}):
                    problem(f"{var} is mapped both for all sources and for source {index + 1}",
                            "sources", index, block, var, hint="keep one of the two")
    for block in ("variables", "supp"):
        for var, mapping in spec.data.get(block, {}).items():
            check_mapping(mapping, (block, var))
    return problems
