"""SDTMIG dataset and variable metadata, read from the bundled CSV files.

Conforming a dataset (names, labels, types, order, core, codelists) and writing
define.xml both need the implementation guide's tables; keeping them as data
files means one reviewed source instead of literals spread over the code.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass, replace
from importlib import resources
from importlib.resources.abc import Traversable

from cdisc_map.core.problems import CdiscMapError

_VARIABLES_FILE = re.compile(r"^sdtmig-(?P<version>\d+(?:\.\d+)*)-variables\.csv$")
_SUPP = re.compile(r"^SUPP([A-Z][A-Z0-9]{1,3})$")
_SUPPQUAL = "SUPPQUAL"


class UnknownStandardError(CdiscMapError, KeyError):
    """A dataset, variable or standard version the bundled metadata does not know."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class VariableMeta:
    """One variable row of an SDTMIG domain specification table."""

    dataset: str
    order: int
    name: str
    label: str
    type: str  # "Char" or "Num"
    core: str  # "Req", "Exp" or "Perm"
    role: str
    # CT codelist short name(s) and their NCI C-codes, space-separated in the
    # same order when the IG names several (DSDECOD, RSCAT).
    codelist: str
    codelist_code: str
    description: str

    @property
    def codelists(self) -> tuple[str, ...]:
        """Codelist short names; DSDECOD, RSCAT and the like have more than one."""
        return tuple(self.codelist.split())

    @property
    def codelist_codes(self) -> tuple[str, ...]:
        return tuple(self.codelist_code.split())


@dataclass(frozen=True)
class DatasetMeta:
    """One dataset of the implementation guide: label, class, structure, keys."""

    name: str
    label: str
    cls: str
    structure: str
    keys: tuple[str, ...]


class Standard:
    """The metadata of one SDTMIG version, queried by dataset name.

    SUPP-- datasets (SUPPDM, SUPPAE, ...) resolve to the SUPPQUAL structure,
    renamed to the requested dataset so each can be described on its own.
    """

    def __init__(
        self,
        version: str,
        datasets: dict[str, DatasetMeta],
        variables: dict[str, tuple[VariableMeta, ...]],
    ):
        self.version = version
        self._datasets = datasets
        self._variables = variables

    def __repr__(self) -> str:
        return f"Standard(SDTMIG {self.version}, {len(self._datasets)} datasets)"

    def datasets(self) -> list[str]:
        """Names of the datasets described, in the order of the data file."""
        return list(self._datasets)

    def dataset(self, name: str) -> DatasetMeta:
        key, parent = self._resolve(name)
        meta = self._datasets[key]
        if parent is None:
            return meta
        return replace(
            meta, name=name.upper(), label=f"Supplemental Qualifiers for {parent}"
        )

    def variables(self, name: str) -> list[VariableMeta]:
        """Variables of a dataset in IG order."""
        key, parent = self._resolve(name)
        rows = self._variables[key]
        if parent is None:
            return list(rows)
        return [replace(v, dataset=name.upper()) for v in rows]

    def variable(self, dataset: str, name: str) -> VariableMeta:
        wanted = name.upper()
        for var in self.variables(dataset):
            if var.name == wanted:
                return var
        raise UnknownStandardError(
            f"SDTMIG {self.version} has no variable {wanted} in {dataset.upper()}"
        )

    def _resolve(self, name: str) -> tuple[str, str | None]:
        key = name.upper()
        if key in self._datasets:
            return key, None
        match = _SUPP.match(key)
        if match and _SUPPQUAL in self._datasets:
            return _SUPPQUAL, match.group(1)
        known = ", ".join(self._datasets)
        raise UnknownStandardError(
            f"SDTMIG {self.version} metadata has no dataset {name!r}; "
            f"known: {known} (and SUPP-- datasets)"
        )


def available_sdtmig_versions() -> list[str]:
    """SDTMIG versions with bundled metadata, oldest first."""
    found = []
    for entry in _data_dir().iterdir():
        match = _VARIABLES_FILE.match(entry.name)
        if match:
            found.append(match.group("version"))
    return sorted(found, key=_version_key)


def load_sdtmig(version: str = "3.4") -> Standard:
    """Load (once per version) the bundled metadata of an SDTMIG version."""
    if version not in available_sdtmig_versions():
        raise UnknownStandardError(
            f"no bundled SDTMIG {version!r} metadata; available: "
            + ", ".join(available_sdtmig_versions())
        )
    return _load_sdtmig(version)


@functools.cache
def _load_sdtmig(version: str) -> Standard:
    datasets = {
        row["dataset"]: DatasetMeta(
            name=row["dataset"],
            label=row["label"],
            cls=row["class"],
            structure=row["structure"],
            keys=tuple(row["keys"].split()),
        )
        for row in _read_csv(f"sdtmig-{version}-datasets.csv")
    }
    grouped: dict[str, list[VariableMeta]] = {name: [] for name in datasets}
    for row in _read_csv(f"sdtmig-{version}-variables.csv"):
        var = VariableMeta(
            dataset=row["dataset"],
            order=int(row["order"]),
            name=row["name"],
            label=row["label"],
            type=row["type"],
            core=row["core"],
            role=row["role"],
            codelist=row["codelist"],
            codelist_code=row["codelist_code"],
            description=row["description"],
        )
        grouped.setdefault(var.dataset, []).append(var)
    variables = {
        name: tuple(sorted(rows, key=lambda v: v.order))
        for name, rows in grouped.items()
    }
    return Standard(version, datasets, variables)


def _read_csv(filename: str) -> list[dict[str, str]]:
    text = _data_dir().joinpath(filename).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _data_dir() -> Traversable:
    return resources.files("cdisc_map.standards").joinpath("data")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
