"""SDTMIG dataset and variable metadata: the installed CDISC Library export, else the bundled subset.

Conforming a dataset (names, labels, types, order, core, codelists) and writing
define.xml both need the implementation guide's tables. `load_sdtmig(version)` returns
the metadata of every SDTMIG domain when the CDISC Library export of that version is
installed in the standards home (`cdisc-map standards import`), and otherwise the small
table cdisc-map ships for the domains of its bundled study.

A `Standard` also resolves the datasets the IG describes only by rule (`dataset_for`):
SUPP-- datasets use SUPPQUAL, split datasets (SDTMIG 4.1.7: LBCH and LBHE hold LB
records) use their domain's table, and a sponsor-defined domain of a general
observation class (XB, declared an Events domain) is built from the SDTM model's class
variables. `allowed_variables` adds to an IG domain the class variables its table does
not list, Permissible and in the model's order.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pandas as pd

from cdisc_map.core.distinct import per_distinct
from cdisc_map.core.problems import CdiscMapError
from cdisc_map.core.text import is_number_text
from cdisc_map.standards.home import StandardsHome, version_key
from cdisc_map.standards.sdtm_model import MODEL_VERSION, ClassVariable, class_variables, general_class
from cdisc_map.standards.store import read_json
from cdisc_map.standards.terminology import bundled_ct

IG_KIND = "cdisc-map implementation guide"
_VARIABLES_FILE = re.compile(r"^sdtmig-(?P<version>\d+(?:\.\d+)*)-variables\.csv$")
_SUPP = re.compile(r"^SUPP([A-Z][A-Z0-9]{1,3})$")
_SPLIT = re.compile(r"^([A-Z]{2})[A-Z0-9]{1,2}$")
_CUSTOM = re.compile(r"^[A-Z]{2}(?:[A-Z0-9]{1,2})?$")
_SUPPQUAL = "SUPPQUAL"
_SPONSOR_LETTERS = ("X", "Y", "Z")


class UnknownStandardError(CdiscMapError, KeyError):
    """A dataset, variable or standard version the metadata does not know."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class VariableMeta:
    """One variable row of an SDTMIG domain specification table (or of an SDTM model class)."""

    dataset: str
    order: int
    name: str
    label: str
    type: str  # "Char" or "Num"
    core: str  # "Req", "Exp" or "Perm"
    role: str
    # CT codelist short name(s) and their NCI C-codes, space-separated in the
    # same order when the IG names several (DSDECOD, RSCAT). A codelist whose short
    # name is not known (no CT installed that has it) is named by its C-code.
    codelist: str
    codelist_code: str
    description: str
    value_domain: str = ""  # "ISO 8601 datetime or interval", "MedDRA", ... (CDISC Library export)
    value_list: str = ""  # the values the IG fixes, e.g. DOMAIN's "LB"
    defined_by: str = "SDTMIG"  # or "SDTM 2.0" for a class variable the IG table does not list

    @property
    def codelists(self) -> tuple[str, ...]:
        """Codelist short names; DSDECOD, RSCAT and the like have more than one."""
        return tuple(self.codelist.split())

    @property
    def codelist_codes(self) -> tuple[str, ...]:
        return tuple(self.codelist_code.split())

    @property
    def codes_character_results(self) -> bool:
        """True for --STRESC: its codelist (LBSTRESC C102580, ...) lists character results, and a
        numeric result, which --STRESN carries as a number, is not one of its terms."""
        return codes_character_results(self.name)


def codes_character_results(name: str) -> bool:
    """Whether the codelist of variable `name` lists character results only (--STRESC)."""
    return name.endswith("STRESC")


def coded_values(name: str, values: pd.Series) -> pd.Series:
    """The values of variable `name` its codelist speaks for: all of them, except the numeric
    results of a --STRESC (see `VariableMeta.codes_character_results`)."""
    if not codes_character_results(name) or not len(values):
        return values
    return values[~per_distinct(values.astype(str), _numeric_mask)]


def codelist_holds_all(name: str, values: pd.Series) -> bool:
    """Whether every value of variable `name` is to be one of its codelist's terms; False for a
    --STRESC holding numeric results. define.xml attaches a codelist to a variable, or a
    value-level item, only where this holds, as a reader checks every value against it."""
    return len(coded_values(name, values)) == len(values)


def _numeric_mask(text: pd.Series) -> pd.Series:
    return text.map(is_number_text).astype(bool)


@dataclass(frozen=True)
class DatasetMeta:
    """One dataset of the implementation guide: label, class, structure, keys."""

    name: str
    label: str
    cls: str
    structure: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class DatasetDefinition:
    """What a dataset name resolves to, and through which rule.

    `kind` is "standard" (an IG dataset), "split" (LBCH: LB records, SDTMIG 4.1.7),
    "supplemental" (SUPPLBCH: SUPPQUAL with RDOMAIN LB) or "custom" (a sponsor-defined
    domain of a general class, built from the SDTM model). `domain` is the value of
    DOMAIN (RDOMAIN for a SUPP-- dataset), which is also the prefix of its variables;
    `basis` is the IG dataset whose table applies, or the class of a custom domain.
    """

    name: str
    domain: str
    kind: str
    basis: str
    meta: DatasetMeta
    variables: tuple[VariableMeta, ...]


class Standard:
    """The metadata of one SDTMIG version, queried by dataset name.

    `origin` is "published" (the CDISC Library export, every domain) or "bundled" (the
    subset shipped with cdisc-map). Every query by dataset name goes through
    `dataset_for`, so SUPP--, split and (with `cls`) custom datasets work everywhere.
    """

    def __init__(self, version: str, datasets: dict[str, DatasetMeta],
                 variables: dict[str, tuple[VariableMeta, ...]], *, origin: str = "bundled", source: str = ""):
        self.version = version
        self.origin = origin
        self.source = source
        self._datasets = datasets
        self._variables = variables

    def __repr__(self) -> str:
        return f"Standard({self.description}, {len(self._datasets)} datasets)"

    @property
    def is_full(self) -> bool:
        return self.origin == "published"

    @property
    def description(self) -> str:
        """"SDTMIG 3.4 (CDISC Library)" or "SDTMIG 3.4 (bundled subset)"."""
        return f"SDTMIG {self.version} ({'CDISC Library' if self.is_full else 'bundled subset'})"

    def datasets(self) -> list[str]:
        """Names of the datasets described, in the order of the data file."""
        return list(self._datasets)

    def dataset(self, name: str, cls: str | None = None) -> DatasetMeta:
        return self.dataset_for(name, cls).meta

    def variables(self, name: str, cls: str | None = None) -> list[VariableMeta]:
        """Variables of a dataset in IG order (a custom domain: its class's variables in model order)."""
        return list(self.dataset_for(name, cls).variables)

    def variable(self, dataset: str, name: str, cls: str | None = None) -> VariableMeta:
        """A variable of the dataset's table (IG order), else a class variable it may carry."""
        wanted = name.upper()
        for var in self.variables(dataset, cls):
            if var.name == wanted:
                return var
        for var in self.allowed_variables(dataset, cls):
            if var.name == wanted:
                return var
        raise UnknownStandardError(f"SDTMIG {self.version} has no variable {wanted} in {dataset.upper()}")

    def dataset_for(self, name: str, cls: str | None = None) -> DatasetDefinition:
        """Resolve a dataset name to the metadata it uses.

        - an IG dataset (LB, SUPPQUAL, RELREC): its own table;
        - SUPP + a dataset name (SUPPLB, SUPPLBCH, SUPPXB): SUPPQUAL, RDOMAIN the first two letters;
        - an IG domain code + 1 or 2 characters (LBCH, LBHE, FACM): a split dataset with that
          domain's table (DOMAIN stays LB);
        - two letters (or two letters + 1 or 2 characters) with `cls` a general observation
          class (Interventions, Events, Findings, Findings About): a sponsor-defined domain
          whose variables are the class's, with Req for its identifiers and topic.

        `cls`, when given for an IG dataset, must be that dataset's class.
        """
        key = name.strip().upper()
        if key in self._datasets:
            meta = self._datasets[key]
            self._check_class(key, meta.cls, cls)
            return DatasetDefinition(key, key, "standard", key, meta, self._variables.get(key, ()))
        supp = _SUPP.match(key)
        if supp and _SUPPQUAL in self._datasets:
            parent = supp.group(1)
            meta = replace(self._datasets[_SUPPQUAL], name=key, label=f"Supplemental Qualifiers for {parent}")
            variables = tuple(replace(v, dataset=key) for v in self._variables.get(_SUPPQUAL, ()))
            return DatasetDefinition(key, parent[:2], "supplemental", _SUPPQUAL, meta, variables)
        split = _SPLIT.match(key)
        if split and split.group(1) in self._datasets:
            domain = split.group(1)
            meta = self._datasets[domain]
            self._check_class(domain, meta.cls, cls)
            variables = tuple(replace(v, dataset=key) for v in self._variables.get(domain, ()))
            return DatasetDefinition(key, domain, "split", domain, replace(meta, name=key), variables)
        canonical = general_class(cls)
        if canonical is not None and _CUSTOM.match(key):
            if not self.is_full and not key.startswith(_SPONSOR_LETTERS):
                raise UnknownStandardError(
                    f"the bundled SDTMIG {self.version} subset has no dataset {key!r}, and SDTMIG may define it: "
                    "install the CDISC Library export (`cdisc-map standards import sdtmig-"
                    f"{self.version}-datasets.csv sdtmig-{self.version}-variables.csv`), or name a sponsor-defined "
                    "domain with a first letter X, Y or Z, which CDISC never uses")
            domain = key[:2]
            variables = tuple(self._class_meta(v, key, domain, canonical, v.custom_core)
                              for v in class_variables(canonical))
            meta = DatasetMeta(name=key, label="", cls=canonical, structure="", keys=())
            return DatasetDefinition(key, domain, "custom", canonical, meta, variables)
        known = ", ".join(self._datasets)
        hint = "" if cls else "; for a sponsor-defined domain give its class (Interventions, Events, Findings)"
        if not self.is_full:
            hint += (f"; this is the bundled subset of SDTMIG {self.version}: install the CDISC Library export for "
                     f"every domain (`cdisc-map standards import sdtmig-{self.version}-datasets.csv "
                     f"sdtmig-{self.version}-variables.csv`)")
        if cls and canonical is None:
            hint = f"; {cls!r} is not a general observation class (Interventions, Events, Findings, Findings About)"
        raise UnknownStandardError(f"SDTMIG {self.version} metadata has no dataset {name!r}; "
                                   f"known: {known} (and SUPP--, split datasets){hint}")

    def _check_class(self, name: str, actual: str, declared: str | None) -> None:
        if declared and general_class(declared) != general_class(actual) and declared.casefold() != actual.casefold():
            raise UnknownStandardError(f"{name} is an SDTMIG {self.version} {actual} dataset, not {declared}")

    def class_variables(self, name: str, cls: str | None = None) -> list[VariableMeta]:
        """The SDTM model variables of the dataset's class that its table does not list,
        each Permissible, with the dataset's prefix ([] for a dataset of no general class)."""
        definition = self.dataset_for(name, cls)
        canonical = general_class(definition.meta.cls)
        if canonical is None or definition.kind == "custom":
            return []
        listed = {v.name for v in definition.variables}
        return [self._class_meta(v, definition.name, definition.domain, canonical, "Perm")
                for v in class_variables(canonical) if v.name_for(definition.domain) not in listed]

    def allowed_variables(self, name: str, cls: str | None = None) -> list[VariableMeta]:
        """The IG table and the class variables it does not list, in the model's order.

        IG variables keep their IG order; each class variable is placed after the last
        IG variable that precedes it in the model (so VISITNUM, VISIT and VISITDY land
        before EPOCH in EX). `order` is renumbered 1, 2, ... over the result.
        """
        definition = self.dataset_for(name, cls)
        extras = self.class_variables(name, cls)
        if not extras:
            return list(definition.variables)
        canonical = general_class(definition.meta.cls) or ""
        position = {v.name_for(definition.domain): v.order for v in class_variables(canonical)}
        table = list(definition.variables)
        ranks: list[int] = []
        for var in table:  # an IG variable the model does not list ranks with the one before it
            ranks.append(position.get(var.name, ranks[-1] if ranks else 0))
        slots: dict[int, list[VariableMeta]] = {}
        for extra in extras:
            rank = position[extra.name]
            after = max((i for i, r in enumerate(ranks) if r < rank), default=-1)
            slots.setdefault(after, []).append(extra)
        merged = slots.get(-1, [])
        for i, var in enumerate(table):
            merged = merged + [var] + slots.get(i, [])
        return [replace(var, order=number) for number, var in enumerate(merged, start=1)]

    def _class_meta(self, var: ClassVariable, dataset: str, domain: str, cls: str, core: str) -> VariableMeta:
        codelist, code = self._class_codelists(cls).get(var.pattern, ("", ""))
        value_list = domain if var.pattern == "DOMAIN" else ""
        return VariableMeta(dataset=dataset, order=var.order, name=var.name_for(domain), label=var.label,
                            type=var.type, core=core, role=var.role, codelist=codelist, codelist_code=code,
                            description=f"SDTM v{MODEL_VERSION} {var.group.lower()} variable of the {cls} class",
                            value_list=value_list, defined_by=f"SDTM {MODEL_VERSION}")

    @functools.cached_property
    def _codelists_by_class(self) -> dict[str, dict[str, tuple[str, str]]]:
        """For each class, the codelist every IG domain of the class gives a pattern ("--OCCUR": NY),
        when they all agree: what a class variable that a table does not list is controlled by."""
        found: dict[str, dict[str, set[tuple[str, str]]]] = {}
        for name, meta in self._datasets.items():
            canonical = general_class(meta.cls)
            if canonical is None:
                continue
            for var in self._variables.get(name, ()):
                pattern = "--" + var.name[2:] if var.name.startswith(name[:2]) and len(var.name) > 2 else var.name
                found.setdefault(canonical, {}).setdefault(pattern, set()).add((var.codelist, var.codelist_code))
        return {cls: {pattern: next(iter(choices)) for pattern, choices in patterns.items() if len(choices) == 1}
                for cls, patterns in found.items()}

    def _class_codelists(self, cls: str) -> dict[str, tuple[str, str]]:
        return self._codelists_by_class.get(cls, {})


# --- loading ------------------------------------------------------------------------


def available_sdtmig_versions(*, home: StandardsHome | None = None) -> list[str]:
    """SDTMIG versions with metadata: installed in the home or bundled, oldest first."""
    home = home or StandardsHome.default()
    return sorted(set(home.versions("ig", "SDTMIG")) | set(bundled_sdtmig_versions()), key=version_key)


def bundled_sdtmig_versions() -> list[str]:
    found = [m.group("version") for entry in _data_dir().iterdir() if (m := _VARIABLES_FILE.match(entry.name))]
    return sorted(found, key=version_key)


def load_sdtmig(version: str = "3.4", *, home: StandardsHome | None = None) -> Standard:
    """The metadata of an SDTMIG version: the installed CDISC Library export, else the bundled subset."""
    home = home or StandardsHome.default()
    entry = home.find("ig", "SDTMIG", version)
    if entry is not None:
        ct = home.find("ct", "SDTM")
        return _load_installed(str(home.data_path(entry)), entry.data_sha256, tuple(sorted(
            (ct.codelists if ct else {}).items())))
    if version not in bundled_sdtmig_versions():
        raise UnknownStandardError(
            f"no SDTMIG {version!r} metadata; available: {', '.join(available_sdtmig_versions(home=home))}. "
            "Install the CDISC Library export with `cdisc-map standards import`")
    return _load_bundled(version)


@functools.cache
def _load_installed(path: str, sha256: str, short_names: tuple[tuple[str, str], ...]) -> Standard:
    document = read_json(Path(path), IG_KIND)
    names = dict(short_names)
    bundled = bundled_ct()
    datasets = {row[0]: DatasetMeta(name=row[0], label=row[1], cls=row[2], structure=row[3], keys=tuple(row[4]))
                for row in document["datasets"]}
    bundled_keys = {name: meta.keys for name, meta in _load_bundled_tables(document["version"])[0].items()} \
        if document["version"] in bundled_sdtmig_versions() else {}
    datasets = {name: meta if meta.keys else replace(meta, keys=bundled_keys.get(name, ()))
                for name, meta in datasets.items()}
    grouped: dict[str, list[VariableMeta]] = {name: [] for name in datasets}
    for row in document["variables"]:
        dataset, order, name, label, type_, core, role, codes, value_domain, value_list, notes = row
        grouped.setdefault(dataset, []).append(VariableMeta(
            dataset=dataset, order=order, name=name, label=label, type=type_, core=core, role=role,
            codelist=" ".join(names.get(code) or bundled.short_name_of(code) or code for code in codes),
            codelist_code=" ".join(codes),
            description=notes, value_domain=value_domain, value_list=value_list))
    variables = {name: tuple(sorted(rows, key=lambda v: v.order)) for name, rows in grouped.items()}
    return Standard(document["version"], datasets, variables, origin="published", source=path)


@functools.cache
def _load_bundled(version: str) -> Standard:
    datasets, variables = _load_bundled_tables(version)
    return Standard(version, datasets, variables, origin="bundled", source=f"sdtmig-{version}-variables.csv")


@functools.cache
def _load_bundled_tables(version: str) -> tuple[dict[str, DatasetMeta], dict[str, tuple[VariableMeta, ...]]]:
    datasets = {
        row["dataset"]: DatasetMeta(name=row["dataset"], label=row["label"], cls=row["class"],
                                    structure=row["structure"], keys=tuple(row["keys"].split()))
        for row in _read_csv(f"sdtmig-{version}-datasets.csv")
    }
    grouped: dict[str, list[VariableMeta]] = {name: [] for name in datasets}
    for row in _read_csv(f"sdtmig-{version}-variables.csv"):
        var = VariableMeta(
            dataset=row["dataset"], order=int(row["order"]), name=row["name"], label=row["label"],
            type=row["type"], core=row["core"], role=row["role"], codelist=row["codelist"],
            codelist_code=row["codelist_code"], description=row["description"])
        grouped.setdefault(var.dataset, []).append(var)
    variables = {name: tuple(sorted(rows, key=lambda v: v.order)) for name, rows in grouped.items()}
    return datasets, variables


def ig_document(version: str, datasets: list[DatasetMeta], variables: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The stored form of an SDTMIG version's metadata (what `standards import` installs)."""
    return {
        "kind": IG_KIND, "format_version": 1, "standard": "SDTMIG", "version": version,
        "datasets": [[d.name, d.label, d.cls, d.structure, list(d.keys)] for d in datasets],
        "variables": [[v["dataset"], v["order"], v["name"], v["label"], v["type"], v["core"], v["role"],
                       list(v["codes"]), v["value_domain"], v["value_list"], v["notes"]] for v in variables],
    }


def _read_csv(filename: str) -> list[dict[str, str]]:
    text = _data_dir().joinpath(filename).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _data_dir() -> Traversable:
    return resources.files("cdisc_map.standards").joinpath("data")
