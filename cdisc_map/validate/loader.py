"""Find and read the packages under a path: a package folder or a whole OUT tree.

A package is one folder of dataset files with, usually, its define.xml (the SDTM folder
and the ADaM folder of an eCTD tree are two packages). Datasets are XPT files or
Dataset-JSON 1.1 files (.json, .ndjson; other JSON files, such as a validation report,
are not datasets); where a folder holds a dataset in several formats, the XPT file is the
one checked, then .json, then .ndjson. Every dataset file is read once, here, into the
same frame and metadata whatever its format, and the checks share them. A file that
cannot be read is kept with its error, so that the report says which file is broken and
the rest of the package is still checked; a path with no dataset file at all is not a
package and raises `NotAPackageError`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdisc_map.core.problems import CdiscMapError, ProblemsError
from cdisc_map.io.datasetjson import is_dataset_json, read_dataset_json
from cdisc_map.io.xpt import XptMeta, read_xpt
from cdisc_map.validate.columns import Factors, blank, factorize, is_text, per_value

ADAM_PREFIX = "AD"
#: Dataset file formats by suffix, in the order of preference when a folder has several.
DATASET_SUFFIXES = {".xpt": "xpt", ".json": "json", ".ndjson": "ndjson"}


class NotAPackageError(CdiscMapError):
    """The path cannot be validated: it does not exist or holds no dataset file."""


@dataclass
class Dataset:
    """One dataset file of a package, read (frame and meta) or not (error)."""

    name: str  # upper-case file stem: the dataset name the file claims to hold
    path: Path
    file: str  # path relative to the validated root, with forward slashes
    frame: pd.DataFrame | None = None
    meta: XptMeta | None = None  # for Dataset-JSON, the same facts in XPT terms (version 0)
    error: str | None = None
    cache: dict = field(default_factory=dict, repr=False)  # per-column results checks share
    format: str = "xpt"  # "xpt", "json" or "ndjson"

    @property
    def is_adam(self) -> bool:
        return self.name.startswith(ADAM_PREFIX)

    @property
    def is_supp(self) -> bool:
        return self.name.startswith("SUPP") and len(self.name) > 4

    @property
    def readable(self) -> bool:
        return self.frame is not None

    @property
    def records(self) -> int:
        return 0 if self.frame is None else len(self.frame)

    def has(self, *columns: str) -> bool:
        return self.frame is not None and all(c in self.frame.columns for c in columns)

    def factors(self, column: str) -> Factors:
        """The column's factorization, computed once and shared by the checks."""
        key = ("factors", column)
        if key not in self.cache:
            self.cache[key] = factorize(self.frame[column])
        return self.cache[key]

    def blank(self, column: str) -> np.ndarray:
        """Rows where the column is null (NaN, or empty text)."""
        series = self.frame[column]
        return blank(series, self.factors(column) if is_text(series) else None)

    def per_value(self, column: str, function: Callable[[Any], Any], missing: Any,
                  dtype: Any = object) -> np.ndarray:
        """function(value) per row of a column, once per distinct value."""
        return per_value(self.frame[column], function, missing, dtype, self.factors(column))

    @cached_property
    def seq_variable(self) -> str | None:
        """The variable that numbers a subject's records: --SEQ in SDTM, ASEQ in ADaM."""
        if self.frame is None:
            return None
        candidates = ["ASEQ"] if self.is_adam else [f"{self.name}SEQ", f"{self.name[:2]}SEQ"]
        return next((c for c in candidates if c in self.frame.columns), None)


@dataclass
class Package:
    """The datasets of one folder and its define.xml, if any."""

    folder: Path
    file: str  # folder relative to the validated root ("." for the root itself)
    datasets: dict[str, Dataset] = field(default_factory=dict)
    define: Path | None = None
    partial: bool = False  # one file of the folder was chosen: no whole-package rules
    cache: dict = field(default_factory=dict, repr=False)  # e.g. the parsed define.xml

    def get(self, name: str) -> Dataset | None:
        """A readable dataset by name, or None."""
        dataset = self.datasets.get(name)
        return dataset if dataset is not None and dataset.readable else None

    def readable(self) -> list[Dataset]:
        return [d for d in self.datasets.values() if d.readable]

    @property
    def sdtm(self) -> list[Dataset]:
        return [d for d in self.readable() if not d.is_adam]

    @property
    def adam(self) -> list[Dataset]:
        return [d for d in self.readable() if d.is_adam]

    def relative(self, path: Path) -> str:
        return f"{self.file}/{path.name}" if self.file != "." else path.name


def load_packages(path: str | os.PathLike, workers: int | None = None) -> list[Package]:
    """Every package under `path` (itself a package folder, an OUT tree or one dataset file).

    Folders whose name starts with a dot (staging folders of an interrupted run) are
    skipped. Files are read in a small thread pool: the reader spends most of its time
    outside the interpreter lock.
    """
    root = Path(path)
    if not root.exists():
        raise NotAPackageError(f"not a package: {root} does not exist")
    if root.is_file():
        if not _is_dataset_file(root):
            raise NotAPackageError(f"not a package: {root} is not a folder or an .xpt file "
                                   "(nor a Dataset-JSON .json or .ndjson file)")
        files, base = [root], root.parent
    else:
        files = _preferred(sorted(
            p for p in root.rglob("*")
            if p.suffix.lower() in DATASET_SUFFIXES and p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(root).parts)
            and _is_dataset_file(p)
        ))
        base = root
    if not files:
        raise NotAPackageError(f"not a package: no .xpt files in {root} (nor Dataset-JSON .json or .ndjson files)")

    packages: dict[Path, Package] = {}
    for file in files:
        folder = file.parent
        if folder not in packages:
            relative = folder.relative_to(base).as_posix()
            packages[folder] = Package(folder=folder, file=relative, define=_define_file(folder),
                                       partial=root.is_file())
        package = packages[folder]
        name = file.stem.upper()
        package.datasets[name] = Dataset(name=name, path=file, file=package.relative(file),
                                         format=DATASET_SUFFIXES[file.suffix.lower()])

    everything = [d for p in packages.values() for d in p.datasets.values()]
    workers = workers or min(4, os.cpu_count() or 1, len(everything))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for dataset, (frame, meta, error) in zip(everything, pool.map(_read, everything)):
            dataset.frame, dataset.meta, dataset.error = frame, meta, error
    return list(packages.values())


def _is_dataset_file(path: Path) -> bool:
    suffix = path.suffix.lower()
    return suffix == ".xpt" or (suffix in DATASET_SUFFIXES and is_dataset_json(path))


def _preferred(files: list[Path]) -> list[Path]:
    """One file per dataset and folder: the XPT where there is one, else .json, else .ndjson."""
    rank = {suffix: position for position, suffix in enumerate(DATASET_SUFFIXES)}
    chosen: dict[tuple[Path, str], Path] = {}
    for file in files:
        key = (file.parent, file.stem.upper())
        if key not in chosen or rank[file.suffix.lower()] < rank[chosen[key].suffix.lower()]:
            chosen[key] = file
    return sorted(chosen.values())


def _read(dataset: Dataset) -> tuple[pd.DataFrame | None, XptMeta | None, str | None]:
    try:
        if dataset.format == "xpt":
            frame, meta = read_xpt(dataset.path)
        else:
            frame, json_meta = read_dataset_json(dataset.path)
            meta = json_meta.transport_meta()
    except ProblemsError as error:
        return None, None, "; ".join(p.message for p in error.problems)
    return frame, meta, None


def _define_file(folder: Path) -> Path | None:
    for entry in sorted(folder.iterdir()):
        if entry.is_file() and entry.name.lower() == "define.xml":
            return entry
    return None
