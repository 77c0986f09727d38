"""ADaMIG dataset and variable metadata (ADSL, BDS time-to-event), read from bundled CSV files.

The same idea as the SDTMIG loader in `metadata.py`: the guide's tables are data,
reviewed in one place, and both the ADaM builders (names, labels, types, order,
display formats) and define.xml read them from here. Each variable row says who
defines it (`defined_by`): the ADaMIG itself, an SDTM variable copied with its SDTM
name and label (which ADaM allows), or cdisc-map for a producer-defined variable.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from cdisc_map.standards.metadata import DatasetMeta, UnknownStandardError

_VARIABLES_FILE = re.compile(r"^adamig-(?P<version>\d+(?:\.\d+)*)-variables\.csv$")


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


class AdamStandard:
    """The metadata of one ADaMIG version, queried by dataset name (ADSL, ADTTE)."""

    def __init__(self, version: str, datasets: dict[str, DatasetMeta],
                 variables: dict[str, tuple[AdamVariableMeta, ...]]):
        self.version = version
        self._datasets = datasets
        self._variables = variables

    def __repr__(self) -> str:
        return f"AdamStandard(ADaMIG {self.version}, {len(self._datasets)} datasets)"

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


def load_adamig(version: str = "1.3") -> AdamStandard:
    """Load (once per version) the bundled metadata of an ADaMIG version."""
    if version not in available_adamig_versions():
        raise UnknownStandardError(
            f"no bundled ADaMIG {version!r} metadata; available: {', '.join(available_adamig_versions())}")
    return _load_adamig(version)


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
