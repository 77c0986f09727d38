"""Reading the files users download, as published: NCI EVS CT packages and CDISC Library IG exports.

Each table is recognised by its header row, whatever its file is called: the NCI EVS CT
layout (Code, Codelist Code, ...), the CDISC Library CSV exports of SDTMIG datasets and
variables (Version, Class, Dataset Name, ...) and of ADaMIG data structures and
variables. Everything read is checked (columns, codes, values of Type and Core, that
every variable's dataset exists, no duplicates), and each fault is a `Problem` naming
file, row, column and value. The result is a `Release`: one standard of one version,
with what it counts and the document the standards home stores. Nothing is written here.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from cdisc_map.core.problems import Problem
from cdisc_map.standards.codelists import Terminology
from cdisc_map.standards.evs import header_of, is_ct_header, read_ct_table
from cdisc_map.standards.metadata import IG_KIND, DatasetMeta, ig_document
from cdisc_map.standards.sources import SourceError, SourceText, read_tables
from cdisc_map.standards.terminology import CT_KIND

SDTMIG_DATASETS = ("Version", "Class", "Dataset Name", "Dataset Label", "Structure")
SDTMIG_VARIABLES = ("Version", "Variable Order", "Dataset Name", "Variable Name", "Variable Label", "Type",
                    "CDISC CT Codelist Code(s)", "Role", "CDISC Notes", "Core")
ADAMIG_STRUCTURES = ("Version", "Data Structure Name", "Data Structure Description", "Class")
ADAMIG_VARIABLES = ("Version", "Data Structure Name", "Variable Set", "Variable Name", "Variable Label", "Type",
                    "CDISC CT Codelist Code(s)", "Core", "CDISC Notes")
TABLE_KINDS = {
    "sdtmig-datasets": SDTMIG_DATASETS, "sdtmig-variables": SDTMIG_VARIABLES,
    "adamig-structures": ADAMIG_STRUCTURES, "adamig-variables": ADAMIG_VARIABLES,
}
_VERSION = re.compile(r"^(SDTMIG|ADaMIG)\s+v?(\d+(?:\.\d+)*)$", re.IGNORECASE)
_CODE = re.compile(r"^C\d+$")
_NAME = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")
_ADAM_NAME = re.compile(r"^[A-Z*][A-Za-z0-9*]{0,7}$")  # placeholders in lower case (TRTxxP, AGEGRy), * (*DT)
TYPES = ("Char", "Num")
SDTM_CORES = ("Req", "Exp", "Perm")
ADAM_CORES = ("Req", "Cond", "Perm")


@dataclass
class Release:
    """One standard of one version as read from published files, ready to install.

    `kind` is "ct" or "ig", `package` the CT package (SDTM, ADaM, Define-XML) or the IG
    (SDTMIG, ADaMIG); `counts` is what a listing shows ("codelists", "terms";
    "datasets", "variables"); `document` is what the standards home stores.
    """

    kind: str
    package: str
    version: str
    title: str
    counts: dict[str, int]
    sources: list[SourceText]
    document: dict[str, Any]
    codelists: dict[str, str] = field(default_factory=dict)  # CT: code -> short name

    @property
    def name(self) -> str:
        return f"{self.package} CT {self.version}" if self.kind == "ct" else f"{self.package} {self.version}"


@dataclass
class Reading:
    """What reading some files gave: the releases found, files skipped, and every problem."""

    releases: list[Release] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def read_published(paths: Iterable[str | PathLike[str]], version: str | None = None) -> Reading:
    """Read and check every standards table in `paths` (files, or folders of files).

    A folder contributes the tables it holds and skips other files; a file named
    explicitly that is not a standards table is an error. `version` is the CT release
    date for a table that does not show it (NCI EVS's current "SDTM Terminology.txt").
    """
    reading = Reading()
    ig_tables: dict[tuple[str, str], dict[str, tuple[SourceText, list[dict[str, str]]]]] = {}
    for path, explicit in _files(paths, reading):
        try:
            tables = read_tables(path)
        except SourceError as exc:
            reading.problems.append(Problem(str(exc), file=str(path)))
            continue
        for table in tables:
            header = [cell.strip() for cell in header_of(table.text)]
            if is_ct_header(header):
                release = _ct_release(table, version, reading.problems)
                if release is not None:
                    reading.releases.append(release)
                continue
            kind = table_kind(header)
            if kind is None:
                if explicit:
                    reading.problems.append(Problem(
                        "not a standards table this tool reads", file=table.label, row=1,
                        hint="give an NCI EVS CT package (SDTM Terminology.txt) or a CDISC Library CSV export "
                             "of SDTMIG or ADaMIG datasets and variables"))
                else:
                    reading.skipped.append(table.label)
                continue
            rows = _rows(table)
            standard_version = _table_version(table, rows, reading.problems)
            if standard_version is None:
                continue
            slot = ig_tables.setdefault(standard_version, {})
            if kind in slot:
                reading.problems.append(Problem(f"a second {kind} table for {' '.join(standard_version)}",
                                                file=table.label, hint="give each table once"))
                continue
            slot[kind] = (table, rows)
    for (standard, ig_version), tables in sorted(ig_tables.items()):
        builder = _sdtmig_release if standard == "SDTMIG" else _adamig_release
        release = builder(ig_version, tables, reading.problems)
        if release is not None:
            reading.releases.append(release)
    _no_duplicate_releases(reading)
    return reading


def _files(paths: Iterable[str | PathLike[str]], reading: Reading) -> list[tuple[Path, bool]]:
    found = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found += [(child, False) for child in sorted(path.iterdir()) if child.is_file()
                      and not child.name.startswith(".")]
        elif path.exists():
            found.append((path, True))
        else:
            reading.problems.append(Problem("file does not exist", file=str(path),
                                            hint="give the downloaded file or the folder that holds it"))
    return found


def table_kind(header: list[str]) -> str | None:
    """Which CDISC Library export a header row is, or None."""
    names = set(header)
    for kind, columns in TABLE_KINDS.items():
        if set(columns) <= names:
            return kind
    return None


def _rows(table: SourceText) -> list[dict[str, str]]:
    delimiter = "\t" if "\t" in table.text.partition("\n")[0] else ","
    reader = csv.DictReader(io.StringIO(table.text, newline=""), delimiter=delimiter, strict=False)
    reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
    return [{key: (value or "").strip() for key, value in row.items() if key is not None} for row in reader]


def _table_version(table: SourceText, rows: list[dict[str, str]], problems: list[Problem]) -> tuple[str, str] | None:
    versions = Counter(row["Version"] for row in rows if row.get("Version"))
    if not versions:
        problems.append(Problem("no Version in any row", file=table.label, column="Version",
                                hint='a CDISC Library export names its standard in each row, e.g. "SDTMIG v3.4"'))
        return None
    if len(versions) > 1:
        problems.append(Problem(f"rows of several versions: {', '.join(sorted(versions))}", file=table.label,
                                column="Version", hint="export one version per file"))
        return None
    text = next(iter(versions))
    match = _VERSION.match(text)
    if match is None:
        problems.append(Problem("Version is not an SDTMIG or ADaMIG version", file=table.label, column="Version",
                                value=text, hint='expected e.g. "SDTMIG v3.4" or "ADaMIG v1.3"'))
        return None
    standard = "SDTMIG" if match.group(1).upper() == "SDTMIG" else "ADaMIG"
    return standard, match.group(2)


# --- controlled terminology -----------------------------------------------------------


def _ct_release(table: SourceText, version: str | None, problems: list[Problem]) -> Release | None:
    parsed = read_ct_table(table.text, table.label, table.name)
    problems += parsed.problems
    if parsed.errors:
        return None
    release_version = parsed.version or version
    if release_version is None:
        problems.append(Problem("the table does not say which CT release it is", file=table.label,
                                hint="give the release date: `cdisc-map standards import FILE --version 2025-03-28`"))
        return None
    if version and parsed.version and version != parsed.version:
        problems.append(Problem(f"the table says it is release {parsed.version}, not {version}",
                                file=table.label, severity="warning", hint="the release the table shows is used"))
    package = parsed.package or "SDTM"
    terminology = Terminology(parsed.codelists, version=release_version, package=package, origin="published")
    document = {"kind": CT_KIND, "format_version": 1, "package": package, "version": release_version,
                "codelists": terminology.to_records()}
    return Release(kind="ct", package=package, version=release_version,
                   title=f"CDISC {package} Controlled Terminology {release_version} (NCI EVS)",
                   counts={"codelists": len(parsed.codelists), "terms": parsed.term_count},
                   sources=[table], document=document,
                   codelists={c.code: c.short_name for c in parsed.codelists})


# --- SDTMIG ---------------------------------------------------------------------------


def _lacks_a_table(standard: str, tables: dict[str, tuple[SourceText, list[dict[str, str]]]],
                   wanted: dict[str, str], files: str, problems: list[Problem]) -> bool:
    """An IG comes as two CDISC Library tables (`wanted`: kind -> what it holds): one alone is a problem."""
    if set(tables) == set(wanted):
        return False
    lacking = next((what for kind, what in wanted.items() if kind not in tables), "other")
    given = next(iter(tables.values()))[0]
    problems.append(Problem(f"{standard}: the {lacking} table is missing", file=given.label,
                            hint=f"import both CDISC Library exports together: {files}"))
    return True


def _sdtmig_release(version: str, tables: dict[str, tuple[SourceText, list[dict[str, str]]]],
                    problems: list[Problem]) -> Release | None:
    if _lacks_a_table(f"SDTMIG {version}", tables, {"sdtmig-datasets": "datasets", "sdtmig-variables": "variables"},
                      f"sdtmig-{version}-datasets.csv and sdtmig-{version}-variables.csv", problems):
        return None
    datasets_source, dataset_rows = tables["sdtmig-datasets"]
    variables_source, variable_rows = tables["sdtmig-variables"]
    before = len([p for p in problems if p.severity == "error"])
    datasets: dict[str, DatasetMeta] = {}
    for line_no, row in enumerate(dataset_rows, start=2):
        name = row["Dataset Name"].upper()
        where = {"file": datasets_source.label, "row": line_no}
        if not name:
            problems.append(Problem("row has no Dataset Name", **where, column="Dataset Name"))
            continue
        if name in datasets:
            problems.append(Problem("dataset appears twice", **where, column="Dataset Name", value=name))
            continue
        datasets[name] = DatasetMeta(name=name, label=row["Dataset Label"], cls=row["Class"],
                                     structure=row["Structure"], keys=tuple(row.get("Keys", "").split()))
    variables: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for line_no, row in enumerate(variable_rows, start=2):
        variable = _sdtmig_variable(row, line_no, variables_source.label, datasets, seen, problems)
        if variable is not None:
            variables.append(variable)
    for name in datasets:
        if not any(v["dataset"] == name for v in variables):
            problems.append(Problem(f"dataset {name} has no variables", file=variables_source.label,
                                    severity="warning"))
    if len([p for p in problems if p.severity == "error"]) > before:
        return None
    variables.sort(key=lambda v: (list(datasets).index(v["dataset"]), v["order"]))
    document = ig_document(version, list(datasets.values()), variables)
    return Release(kind="ig", package="SDTMIG", version=version, title=f"SDTMIG v{version} (CDISC Library export)",
                   counts={"datasets": len(datasets), "variables": len(variables)},
                   sources=[datasets_source, variables_source], document=document)


def _sdtmig_variable(row: dict[str, str], line_no: int, source: str, datasets: dict[str, DatasetMeta],
                     seen: dict[tuple[str, str], int], problems: list[Problem]) -> dict[str, Any] | None:
    def problem(message: str, column: str, value: str | None = None, severity: str = "error",
                hint: str | None = None) -> None:
        problems.append(Problem(message, file=source, row=line_no, column=column, value=value,
                                severity=severity, hint=hint))

    dataset, name = row["Dataset Name"].upper(), row["Variable Name"].upper()
    if dataset not in datasets:
        problem("variable of a dataset the datasets table does not list", "Dataset Name", dataset,
                hint="export the datasets and variables of the same SDTMIG version")
        return None
    if not name:
        problem("row has no Variable Name", "Variable Name")
        return None
    if (dataset, name) in seen:
        problem(f"{dataset}.{name} appears twice (first in row {seen[(dataset, name)]})", "Variable Name", name)
        return None
    seen[(dataset, name)] = line_no
    if not _NAME.match(name):
        problem("not a valid SDTM variable name (upper case, at most 8 characters)", "Variable Name", name,
                severity="warning")
    if not row["Variable Order"].isdigit():
        problem("Variable Order is not a whole number", "Variable Order", row["Variable Order"])
        return None
    if row["Type"] not in TYPES:
        problem("Type is not Char or Num", "Type", row["Type"])
        return None
    if row["Core"] not in SDTM_CORES:
        problem("Core is not Req, Exp or Perm", "Core", row["Core"])
        return None
    if len(row["Variable Label"]) > 40:
        problem("label is longer than 40 characters", "Variable Label", row["Variable Label"], severity="warning")
    codes = split_codes(row["CDISC CT Codelist Code(s)"])
    for code in codes:
        if not _CODE.match(code):
            problem("codelist code is not an NCI C-code", "CDISC CT Codelist Code(s)", code, severity="warning")
    return {"dataset": dataset, "order": int(row["Variable Order"]), "name": name, "label": row["Variable Label"],
            "type": row["Type"], "core": row["Core"], "role": row["Role"], "codes": codes,
            "value_domain": row.get("Described Value Domain(s)", ""), "value_list": row.get("Value List", ""),
            "notes": row["CDISC Notes"]}


def split_codes(cell: str) -> list[str]:
    """"C66727; C114118" -> ["C66727", "C114118"]."""
    return [part for part in re.split(r"[;,\s]+", cell) if part]


# --- ADaMIG ---------------------------------------------------------------------------


def _adamig_release(version: str, tables: dict[str, tuple[SourceText, list[dict[str, str]]]],
                    problems: list[Problem]) -> Release | None:
    if _lacks_a_table(f"ADaMIG {version}", tables, {"adamig-structures": "data structures",
                                                    "adamig-variables": "variables"},
                      f"adamig-{version}-datastructures.csv and adamig-{version}-variables.csv", problems):
        return None
    structures_source, structure_rows = tables["adamig-structures"]
    variables_source, variable_rows = tables["adamig-variables"]
    before = len([p for p in problems if p.severity == "error"])
    structures: dict[str, dict[str, str]] = {}
    for line_no, row in enumerate(structure_rows, start=2):
        name = row["Data Structure Name"].upper()
        if not name or name in structures:
            problems.append(Problem("Data Structure Name is empty or appears twice", file=structures_source.label,
                                    row=line_no, column="Data Structure Name", value=name))
            continue
        structures[name] = row
    # The variables name their structure by its description ("Basic Data Structure",
    # "Subject-Level Analysis Dataset"), the structures table by its short name (BDS, ADSL).
    by_description = {}
    for name, row in structures.items():
        description = row["Data Structure Description"]
        by_description[description.casefold()] = name
        by_description[re.sub(r"\s+structure$", "", description, flags=re.IGNORECASE).casefold()] = name
        by_description[name.casefold()] = name
    variables: list[list[Any]] = []
    order: Counter[str] = Counter()
    seen: dict[tuple[str, str], int] = {}
    for line_no, row in enumerate(variable_rows, start=2):
        structure = by_description.get(row["Data Structure Name"].casefold())
        where = {"file": variables_source.label, "row": line_no}
        if structure is None:
            problems.append(Problem("variable of a data structure the structures table does not list", **where,
                                    column="Data Structure Name", value=row["Data Structure Name"]))
            continue
        name = row["Variable Name"]
        if (structure, name) in seen:
            problems.append(Problem(f"{structure}.{name} appears twice (first in row {seen[(structure, name)]})",
                                    **where, column="Variable Name", value=name))
            continue
        seen[(structure, name)] = line_no
        if not _ADAM_NAME.match(name):
            problems.append(Problem("not a valid ADaM variable name", **where, column="Variable Name", value=name,
                                    severity="warning"))
        if row["Type"] not in TYPES:
            problems.append(Problem("Type is not Char or Num", **where, column="Type", value=row["Type"]))
            continue
        if row["Core"] not in ADAM_CORES:
            problems.append(Problem("Core is not Req, Cond or Perm", **where, column="Core", value=row["Core"]))
            continue
        order[structure] += 1
        variables.append([structure, order[structure], row["Variable Set"], name, row["Variable Label"],
                          row["Type"], row["Core"], split_codes(row["CDISC CT Codelist Code(s)"]),
                          row.get("CDISC CT Codelist Submission Value(s)", ""), row["CDISC Notes"]])
    # A structure with no variables of its own (TTE) is a subclass of the structure of its class (BDS).
    inherits = {}
    for name, row in structures.items():
        if order[name]:
            continue
        parent = next((other for other, other_row in structures.items()
                       if order[other] and other_row["Class"].casefold() == row["Class"].casefold()), None)
        if parent is None:
            problems.append(Problem(f"data structure {name} has no variables", file=variables_source.label,
                                    severity="warning"))
        else:
            inherits[name] = parent
    if len([p for p in problems if p.severity == "error"]) > before:
        return None
    document = {
        "kind": IG_KIND, "format_version": 1, "standard": "ADaMIG", "version": version,
        "structures": [[name, row["Data Structure Description"], row["Class"], row.get("Subclass", ""),
                        row.get("CDISC Notes", ""), inherits.get(name, "")] for name, row in structures.items()],
        "variables": variables,
    }
    return Release(kind="ig", package="ADaMIG", version=version, title=f"ADaMIG v{version} (CDISC Library export)",
                   counts={"structures": len(structures), "variables": len(variables)},
                   sources=[structures_source, variables_source], document=document)


def _no_duplicate_releases(reading: Reading) -> None:
    seen: dict[tuple[str, str, str], Release] = {}
    unique = []
    for release in reading.releases:
        key = (release.kind, release.package.casefold(), release.version)
        if key in seen:
            reading.problems.append(Problem(f"{release.name} is given twice", file=release.sources[0].label,
                                            hint=f"the first one, {seen[key].sources[0].label}, is installed",
                                            severity="warning"))
            continue
        seen[key] = release
        unique.append(release)
    reading.releases = unique
