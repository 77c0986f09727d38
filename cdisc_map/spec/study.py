"""A study folder as specs: study.yaml, one SDTM spec per dataset, the ADaM specs.

    study.yaml            the study, its standards, raw forms and subjects
    sdtm/<dataset>.yaml   one SDTM dataset spec each
    adam/adsl.yaml        the ADSL spec
    adam/adtte/*.yaml     one time-to-event parameter each (a new parameter is a new file)

This module reads them (YAML with lines, each checked by its JSON Schema) into spec
objects; `cdisc_map.spec.check` adds what a schema cannot know. A spec is data: YAML
loaded safely, never code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.spec.yamlfile import Lines, line_of, load_yaml, schema_problems


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
    crf_pages: int | list[int] | None = None  # the form's pages in the annotated CRF


@dataclass
class SpecFile:
    """A spec as loaded, with the line of every element."""

    path: Path
    data: dict[str, Any]
    lines: Lines = field(default_factory=dict, repr=False)

    def line(self, *where: Any) -> int | None:
        """Line of the deepest element of `where` the file has (its parent's if absent)."""
        return line_of(self.lines, tuple(where))


@dataclass
class DatasetSpec(SpecFile):
    """One SDTM dataset's spec."""

    @property
    def name(self) -> str:
        return self.data["dataset"]

    @property
    def keys(self) -> list[str]:
        return list(self.data["keys"])

    @property
    def cls(self) -> str | None:
        """The general observation class a sponsor-defined domain declares (`class:`), else None."""
        return self.data.get("class")

    def mapped(self) -> dict[str, tuple[dict, tuple]]:
        """Every variable the spec maps, with its mapping and where it is written: the dataset's own
        `variables:` first, then each source's and each record's (the first mapping wins)."""
        found = {var: (mapping, ("variables", var)) for var, mapping in self.data.get("variables", {}).items()}
        for index, source in enumerate(self.data["sources"]):
            for var, mapping in source.get("variables", {}).items():
                found.setdefault(var, (mapping, ("sources", index, "variables", var)))
            for number, record in enumerate(source.get("records", [])):
                for var, value in record.items():
                    found.setdefault(var, (as_mapping(value), ("sources", index, "records", number, var)))
        return found

    def supp_mapped(self) -> dict[str, tuple[dict, tuple]]:
        """Every supplemental qualifier the spec maps (QNAM -> mapping, where)."""
        found = {qnam: (mapping, ("supp", qnam)) for qnam, mapping in self.data.get("supp", {}).items()}
        for index, source in enumerate(self.data["sources"]):
            for qnam, mapping in source.get("supp", {}).items():
                found.setdefault(qnam, (mapping, ("sources", index, "supp", qnam)))
        return found


def as_mapping(value: Any) -> dict:
    """A record's value as a mapping: a scalar is a constant."""
    return value if isinstance(value, dict) else {"constant": value}


@dataclass
class AdamSpecs:
    """A study's ADaM specs as loaded: the ADSL spec and the parameter specs, with their files and lines."""

    adsl: dict | None = None
    tte: list[dict] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)  # "ADSL" or a PARAMCD -> its spec file
    lines: dict[str, Lines] = field(default_factory=dict)  # the same keys -> lines of the file
    unread: set[str] = field(default_factory=set)  # datasets whose spec could not be read (ADSL)

    def file_of(self, key: str) -> str | None:
        path = self.files.get(key)
        return str(path) if path else None


@dataclass
class StudySpec(SpecFile):
    """The study file and every spec of the study folder."""

    sdtm: list[DatasetSpec] = field(default_factory=list)
    adam: AdamSpecs = field(default_factory=AdamSpecs)
    unread: set[str] = field(default_factory=set)  # SDTM datasets whose spec could not be read

    @property
    def study_id(self) -> str:
        return self.data["study"]["id"]

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def forms(self) -> dict[str, FormSpec]:
        return {name: FormSpec(name=name, **form) for name, form in self.data["raw"]["forms"].items()}

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


def read_study(study_dir: Path) -> tuple[StudySpec | None, list[Problem]]:
    """Every spec of a study folder, each checked by its JSON Schema (specs with problems are left out)."""
    study_dir = Path(study_dir)
    study_path = study_dir / "study.yaml"
    if not study_path.is_file():
        return None, [Problem(
            "no study.yaml in the study folder", file=str(study_dir),
            hint="a study folder holds study.yaml and one YAML spec per dataset in sdtm/",
        )]
    try:
        data, lines = load_yaml(study_path)
    except ProblemsError as exc:
        return None, exc.problems
    problems = schema_problems(data, "study", study_path, lines)
    if problems:
        return None, problems
    study = StudySpec(study_path, data, lines)
    sdtm_dir = study_dir / "sdtm"
    wanted = data.get("sdtm")
    files = [sdtm_dir / f"{name}.yaml" for name in wanted] if wanted else sorted(sdtm_dir.glob("*.yaml"))
    for index, spec_path in enumerate(files):
        if not spec_path.is_file():
            problems.append(Problem(
                f"dataset spec {spec_path.name} named in study.yaml does not exist",
                file=str(study_path), row=line_of(lines, ("sdtm", index)),
                hint=f"create {spec_path} or remove the name from the sdtm list",
            ))
            continue
        spec = _read(spec_path, "dataset", problems)
        if spec is not None:
            study.sdtm.append(DatasetSpec(spec_path, *spec))
        else:
            study.unread.add(spec_path.stem.upper())
    study.adam = read_adam_specs(study_dir, problems)
    return study, problems


def _read(path: Path, schema_name: str, problems: list[Problem]) -> tuple[Any, Lines] | None:
    try:
        data, lines = load_yaml(path)
    except ProblemsError as exc:
        problems += exc.problems
        return None
    found = schema_problems(data, schema_name, path, lines)
    problems += found
    return None if found else (data, lines)


def read_adam_specs(study_dir: Path, problems: list[Problem]) -> AdamSpecs:
    """`adam/adsl.yaml` and `adam/adtte/*.yaml` (ordered by `paramn`, then file name); none without adam/."""
    folder = Path(study_dir) / "adam"
    specs = AdamSpecs()
    if not folder.is_dir():
        return specs
    adsl_file = folder / "adsl.yaml"
    if adsl_file.is_file():
        found = _read(adsl_file, "adsl", problems)
        if found is not None:
            specs.adsl, specs.lines["ADSL"] = found
            specs.files["ADSL"] = adsl_file
        else:
            specs.unread.add("ADSL")
    loaded = []
    for path in sorted((folder / "adtte").glob("*.yaml")):
        found = _read(path, "tte", problems)
        if found is not None:
            data, lines = found
            loaded.append((data.get("paramn", float("inf")), path.name, data, lines, path))
    for _paramn, _name, data, lines, path in sorted(loaded, key=lambda item: (item[0], item[1])):
        specs.tte.append(data)
        specs.files[str(data["paramcd"])] = path
        specs.lines[str(data["paramcd"])] = lines
    return specs
