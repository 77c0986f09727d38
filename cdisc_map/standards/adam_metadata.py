"""ADaMIG metadata: the datasets cdisc-map produces (ADSL, ADTTE) and, when installed, the IG's structures.

Two kinds of knowledge live here. The bundled tables describe the ADaM datasets
cdisc-map builds, variable by variable, with what the builders need and the guide does
not give (display formats, and who defines each variable, `defined_by`: the ADaMIG, an
SDTM variable copied with its SDTM name and label, or cdisc-map for a producer-defined
one); they are the same whether or not anything is installed, so the ADaM build does not
change with the machine. When the CDISC Library export of the ADaMIG is installed in the
standards home, `AdamStandard` also knows the guide's data structures (ADSL, BDS, TTE)
with every variable the guide defines, by name pattern (TRTxxP, AGEGRy, *DT):
`structure_variables`, `ig_variable`.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from cdisc_map.standards.home import StandardsHome
from cdisc_map.standards.metadata import IG_KIND, DatasetMeta, UnknownStandardError
from cdisc_map.standards.store import read_json
from cdisc_map.standards.terminology import bundled_ct

_VARIABLES_FILE = re.compile(r"^adamig-(?P<version>\d+(?:\.\d+)*)-variables\.csv$")
_PLACEHOLDERS = {"xx": r"\d{2}", "zz": r"\d{2}", "y": r"\d", "w": r"\d", "*": r"[A-Z][A-Z0-9]*"}
_PLACEHOLDER = re.compile(r"xx|zz|y|w|\*")


@dataclass(frozen=True)
class AdamVariableMeta:
    """One variable of an ADaM dataset as the implementation guide describes it."""

    dataset: str
    order: int
    name: str
    label: str
    type: str  # "Char" or "Num"
    core: str  # "Req", "Cond" or "Perm"
    codelist: str
    codelist_code: str
    format: str  # SAS display format, e.g. "DATE9." for numeric dates; "" for none
    defined_by: str  # "ADaMIG", "SDTMIG" (an SDTM variable copied as is) or "cdisc-map"
    description: str

    @property
    def codelists(self) -> tuple[str, ...]:
        return tuple(self.codelist.split())


@dataclass(frozen=True)
class AdamStructure:
    """One ADaMIG data structure (ADSL, BDS, TTE); `basis` is the structure whose variables a
    subclass uses (TTE: BDS), "" for one with variables of its own."""

    name: str
    description: str
    cls: str
    subclass: str
    notes: str
    basis: str


@dataclass(frozen=True)
class AdamIgVariable:
    """One variable of an ADaMIG structure as the CDISC Library export gives it; `name` may be a
    pattern: lower-case xx, zz (two digits), y, w (one digit), * (any prefix)."""

    structure: str
    order: int
    variable_set: str
    name: str
    label: str
    type: str
    core: str
    codelist_codes: tuple[str, ...]
    codelists: tuple[str, ...]
    notes: str

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + _PLACEHOLDER.sub(lambda m: _PLACEHOLDERS[m.group(0)], self.name) + "$")

    def matches(self, name: str) -> bool:
        return bool(self.pattern.match(name.upper()))


class AdamStandard:
    """The metadata of one ADaMIG version: the datasets cdisc-map builds (ADSL, ADTTE), queried by
    name, and, when the CDISC Library export is installed (`is_full`), the guide's structures."""

    def __init__(self, version: str, datasets: dict[str, DatasetMeta],
                 variables: dict[str, tuple[AdamVariableMeta, ...]], *,
                 structures: dict[str, AdamStructure] | None = None,
                 structure_variables: dict[str, tuple[AdamIgVariable, ...]] | None = None, source: str = ""):
        self.version = version
        self._datasets = datasets
        self._variables = variables
        self._structures = structures or {}
        self._structure_variables = structure_variables or {}
        self.source = source

    def __repr__(self) -> str:
        return f"AdamStandard({self.description}, {len(self._datasets)} datasets)"

    @property
    def is_full(self) -> bool:
        """True when the guide's own structures are installed (the CDISC Library export)."""
        return bool(self._structures)

    @property
    def description(self) -> str:
        return f"ADaMIG {self.version} ({'CDISC Library' if self.is_full else 'bundled subset'})"

    def with_structures(self, structures: dict[str, AdamStructure],
                        variables: dict[str, tuple[AdamIgVariable, ...]], source: str) -> AdamStandard:
        """The same dataset tables, with the guide's structures (from an installed export)."""
        return AdamStandard(self.version, self._datasets, self._variables, structures=structures,
                            structure_variables=variables, source=source)

    def structures(self) -> list[str]:
        """The guide's data structures (ADSL, BDS, TTE); [] when the export is not installed."""
        return list(self._structures)

    def structure(self, name: str) -> AdamStructure:
        key = name.upper()
        if key not in self._structures:
            known = ", ".join(self._structures) or "none: install the CDISC Library export of the ADaMIG"
            raise UnknownStandardError(f"ADaMIG {self.version} has no data structure {name!r}; known: {known}")
        return self._structures[key]

    def structure_variables(self, name: str) -> list[AdamIgVariable]:
        """The guide's variables of a structure, in the export's order (TTE: those of BDS)."""
        structure = self.structure(name)
        return list(self._structure_variables.get(structure.basis or structure.name, ()))

    def ig_variable(self, name: str, structure: str) -> AdamIgVariable | None:
        """The guide's definition of a variable in a structure, matching patterns (TRT01P is TRTxxP);
        None when the guide does not define it. An exact name wins over a pattern."""
        variables = self.structure_variables(structure)
        wanted = name.upper()
        exact = next((v for v in variables if v.name == wanted), None)
        return exact or next((v for v in variables if v.matches(wanted)), None)

    def datasets(self) -> list[str]:
        """Names of the datasets described, in the order of the data file."""
        return list(self._datasets)

    def dataset(self, name: str) -> DatasetMeta:
        return self._datasets[self._resolve(name)]

    def variables(self, name: str) -> list[AdamVariableMeta]:
        """Variables of a dataset in the guide's order."""
        return list(self._variables.get(self._resolve(name), ()))

    def variable(self, dataset: str, name: str) -> AdamVariableMeta:
        wanted = name.upper()
        for var in self.variables(dataset):
            if var.name == wanted:
                return var
        raise UnknownStandardError(f"ADaMIG {self.version} has no variable {wanted} in {dataset.upper()}")

    def _resolve(self, name: str) -> str:
        key = name.upper()
        if key not in self._datasets:
            raise UnknownStandardError(
                f"ADaMIG {self.version} metadata has no dataset {name!r}; known: {', '.join(self._datasets)}")
        return key


def available_adamig_versions() -> list[str]:
    """ADaMIG versions with bundled metadata, oldest first."""
    found = [m.group("version") for entry in _data_dir().iterdir() if (m := _VARIABLES_FILE.match(entry.name))]
    return sorted(found, key=lambda v: tuple(int(p) for p in v.split(".")))


def load_adamig(version: str = "1.3", *, home: StandardsHome | None = None) -> AdamStandard:
    """The ADaMIG metadata of a version: cdisc-map's dataset tables, with the guide's structures
    when the CDISC Library export of that version is installed in the home."""
    if version not in available_adamig_versions():
        raise UnknownStandardError(
            f"no bundled ADaMIG {version!r} metadata; available: {', '.join(available_adamig_versions())}")
    home = home or StandardsHome.default()
    entry = home.find("ig", "ADaMIG", version)
    if entry is None:
        return _load_adamig(version)
    ct = home.find("ct", "ADaM")
    return _load_installed(version, str(home.data_path(entry)), entry.data_sha256,
                           tuple(sorted((ct.codelists if ct else {}).items())))


@functools.cache
def _load_installed(version: str, path: str, sha256: str, short_names: tuple[tuple[str, str], ...]) -> AdamStandard:
    bundled = _load_adamig(version)
    document = read_json(Path(path), IG_KIND)
    names = dict(short_names)
    sdtm = bundled_ct()
    structures = {row[0]: AdamStructure(*row) for row in document["structures"]}
    grouped: dict[str, list[AdamIgVariable]] = {}
    for structure, order, variable_set, name, label, type_, core, codes, submission_values, notes in \
            document["variables"]:
        shorts = tuple(submission_values.replace(";", " ").split()) or tuple(
            names.get(code) or sdtm.short_name_of(code) or code for code in codes)
        grouped.setdefault(structure, []).append(AdamIgVariable(
            structure=structure, order=order, variable_set=variable_set, name=name, label=label, type=type_,
            core=core, codelist_codes=tuple(codes), codelists=shorts, notes=notes))
    return bundled.with_structures(structures, {k: tuple(v) for k, v in grouped.items()}, source=path)


@functools.cache
def _load_adamig(version: str) -> AdamStandard:
    datasets = {
        row["dataset"]: DatasetMeta(name=row["dataset"], label=row["label"], cls=row["class"],
                                    structure=row["structure"], keys=tuple(row["keys"].split()))
        for row in _read_csv(f"adamig-{version}-datasets.csv")
    }
    grouped: dict[str, list[AdamVariableMeta]] = {name: [] for name in datasets}
    for row in _read_csv(f"adamig-{version}-variables.csv"):
        var = AdamVariableMeta(
            dataset=row["dataset"], order=int(row["order"]), name=row["name"], label=row["label"],
            type=row["type"], core=row["core"], codelist=row["codelist"], codelist_code=row["codelist_code"],
            format=row["format"], defined_by=row["defined_by"], description=row["description"],
        )
        grouped.setdefault(var.dataset, []).append(var)
    variables = {name: tuple(sorted(rows, key=lambda v: v.order)) for name, rows in grouped.items()}
    return AdamStandard(version, datasets, variables)


def _read_csv(filename: str) -> list[dict[str, str]]:
    text = _data_dir().joinpath(filename).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _data_dir() -> Traversable:
    return resources.files("cdisc_map.standards").joinpath("data")
