"""Find and read the packages under a path: a package folder or a whole OUT tree.

A package is one folder of dataset files with, usually, its define.xml (the SDTM folder
and the ADaM folder of an eCTD tree are two packages). Datasets are XPT files or
Dataset-JSON 1.1 files (.json, .ndjson; other JSON files, such as a validation report,
are not datasets); where a folder holds a dataset in several formats, the XPT file is the
one checked, then .json, then .ndjson. Its define.xml is whichever XML file
of the folder is an ODM document with define metadata, whatever it is called
(define_cdiscpilot01.xml is as good as define.xml), unless one is named. Every dataset
file and the define.xml are read once, here, into the same frame and metadata whatever
the format, and the checks share what was read. A file
that cannot be read is kept with its error, so that the report names it and the rest of
the package is still checked; a file of the folder that is not a dataset is named as
skipped; a path with no dataset file at all is not a package and raises `NotAPackageError`.
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

import define_xml
from cdisc_map.core.problems import CdiscMapError, ProblemsError
from cdisc_map.io.datasetjson import is_dataset_json, read_dataset_json
from cdisc_map.io.xpt import XptMeta, read_xpt
from cdisc_map.validate.columns import Factors, blank, factorize, is_text, per_value
from cdisc_map.validate.model import split_domain
from define_xml import Define, DefineError

ADAM_PREFIX = "AD"
# Files a package folder holds beside its datasets that are no data: documents, the
# define.xml's stylesheet and rendering.
COMPANION_SUFFIXES = {".pdf", ".xsl", ".html", ".htm", ".css", ".txt", ".md", ".doc", ".docx"}
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

    @cached_property
    def domain(self) -> str:
        """The domain the dataset holds: its DOMAIN (RDOMAIN for SUPP--) where populated and
        single-valued, else what the name says (LBCH holds LB)."""
        column = "RDOMAIN" if self.is_supp else "DOMAIN"
        if self.is_supp:
            return split_domain(self.name[4:], self._single_value(column))
        return split_domain(self.name, self._single_value(column))

    def _single_value(self, column: str) -> str | None:
        if self.frame is None or column not in self.frame.columns or not is_text(self.frame[column]):
            return None
        values = [v for v in self.frame[column].unique().tolist() if isinstance(v, str) and v]
        return values[0] if len(values) == 1 else None

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
        candidates = ["ASEQ"] if self.is_adam else [f"{self.name}SEQ", f"{self.domain[:2]}SEQ",
                                                     f"{self.name[:2]}SEQ"]
        return next((c for c in candidates if c in self.frame.columns), None)


@dataclass
class Package:
    """The datasets of one folder and its define.xml, if any, as read."""

    folder: Path
    file: str  # folder relative to the validated root ("." for the root itself)
    datasets: dict[str, Dataset] = field(default_factory=dict)
    define: Path | None = None
    define_version: str | None = None  # "1.0", "2.0" or "2.1"
    define_model: Define | None = None  # the define.xml as read; None when absent or unreadable
    define_error: str | None = None  # why the define.xml could not be read
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why) not validated
    partial: bool = False  # one file of the folder was chosen: no whole-package rules
    cache: dict = field(default_factory=dict, repr=False)

    def get(self, name: str) -> Dataset | None:
        """A readable dataset by name, or None."""
        dataset = self.datasets.get(name)
        return dataset if dataset is not None and dataset.readable else None

    def of_domain(self, domain: str) -> list[Dataset]:
        """The readable datasets holding `domain`: the domain's own and its split pieces."""
        return [d for d in self.readable() if not d.is_supp and not d.is_adam and d.domain == domain]

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

    def define_dataset(self, name: str) -> Any | None:
        """define.xml's description of a dataset (ItemGroupDef) by name, or None."""
        if self.define_model is None:
            return None
        if "define datasets" not in self.cache:
            self.cache["define datasets"] = {d.name.upper(): d for d in self.define_model.datasets}
        return self.cache["define datasets"].get(name.upper())


def load_packages(path: str | os.PathLike, workers: int | None = None, *,
                  encoding: str | None = None, define: str | os.PathLike | None = None
                  ) -> list[Package]:
    """Every package under `path` (itself a package folder, an OUT tree or one dataset file).

    Folders whose name starts with a dot (staging folders of an interrupted run) are
    skipped. Files are read in a small thread pool: the reader spends most of its time
    outside the interpreter lock. `encoding` is the text encoding of the XPT files
    (default: detected per file); `define` names the define.xml of the package, for a
    package whose define.xml is elsewhere.
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
            packages[folder] = Package(folder=folder, file=folder.relative_to(base).as_posix(),
                                       partial=root.is_file())
        package = packages[folder]
        name = file.stem.upper()
        package.datasets[name] = Dataset(name=name, path=file, file=package.relative(file),
                                         format=DATASET_SUFFIXES[file.suffix.lower()])
    _attach_defines(list(packages.values()), define)

    everything = [d for p in packages.values() for d in p.datasets.values()]
    workers = workers or min(4, os.cpu_count() or 1, len(everything))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        readings = pool.map(lambda d: _read(d, encoding), everything)
        for dataset, (frame, meta, error) in zip(everything, readings):
            dataset.frame, dataset.meta, dataset.error = frame, meta, error
    for package in packages.values():
        _read_define(package)
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


def _attach_defines(packages: list[Package], define: str | os.PathLike | None) -> None:
    """Each package's define.xml (the named one, else the folder's) and its skipped files."""
    chosen = Path(define) if define is not None else None
    if chosen is not None:
        if not chosen.is_file():
            raise NotAPackageError(f"--define {chosen}: no such file")
        owners = [p for p in packages if p.folder.resolve() == chosen.parent.resolve()]
        if not owners and len(packages) == 1:
            owners = packages
        if not owners:
            raise NotAPackageError(f"--define {chosen}: the path holds {len(packages)} packages "
                                   "and the file is in none of their folders; validate one "
                                   "package folder with it")
    for package in packages:
        candidates = []
        broken = []  # define*.xml files that are no readable define.xml
        for entry in sorted(package.folder.iterdir()):
            if not entry.is_file() or entry.name.startswith(".") or entry.suffix.lower() == ".xpt" \
                    or any(d.path == entry for d in package.datasets.values()):
                continue
            version = define_xml.detect(entry) if entry.suffix.lower() == ".xml" else None
            if version is not None:
                candidates.append((entry, version))
            elif entry.suffix.lower() == ".xml" and entry.name.lower().startswith("define"):
                broken.append(entry)
            elif entry.suffix.lower() not in COMPANION_SUFFIXES and not package.partial:
                package.skipped.append((package.relative(entry), _why_skipped(entry)))
        if not candidates and broken:  # named as the define.xml: report it as unreadable
            candidates.append((broken.pop(0), None))
        for entry in broken:
            package.skipped.append((package.relative(entry), _why_skipped(entry)))
        if chosen is not None and package in owners:
            package.define, package.define_version = chosen, define_xml.detect(chosen)
            others = [entry for entry, _version in candidates if entry.resolve() != chosen.resolve()]
        elif candidates:
            candidates.sort(key=lambda c: (c[1] is None, c[0].name.lower() != "define.xml", c[0].name))
            (package.define, package.define_version), others = candidates[0], [c[0] for c in candidates[1:]]
        else:
            others = []
        for entry in others:
            package.skipped.append((package.relative(entry), f"another define.xml; {package.define.name} "
                                                             "was used"))


def _why_skipped(entry: Path) -> str:
    suffix = entry.suffix.lower()
    if suffix == ".sas7bdat":
        return "a SAS dataset, not a transport file: submissions take XPT"
    if suffix in (".json", ".ndjson"):
        return ("JSON that is not a Dataset-JSON 1.1 dataset" if not is_dataset_json(entry)
                else "the same dataset as an .xpt file of the folder, which was validated")
    if suffix == ".xml":
        return "XML that is not a define.xml (no ODM root with define metadata)"
    return "not a dataset"


XPT_RECORD = 80  # a transport file is a run of 80-byte records, the last one padded


def _read(dataset: Dataset, encoding: str | None) -> tuple[pd.DataFrame | None, XptMeta | None, str | None]:
    if dataset.format != "xpt":
        try:
            frame, json_meta = read_dataset_json(dataset.path)
        except ProblemsError as error:
            return None, None, "; ".join(p.message for p in error.problems)
        return frame, json_meta.transport_meta(), None
    try:
        size = dataset.path.stat().st_size
    except OSError as error:
        return None, None, f"cannot read the file: {error}"
    if size % XPT_RECORD:
        # a reader would give the records before the cut and say nothing
        return None, None, (f"the file has {size:,} bytes, not a whole number of {XPT_RECORD}-byte "
                            "records: it is truncated or damaged")
    try:
        frame, meta = read_xpt(dataset.path, encoding=encoding)
    except ProblemsError as error:
        return None, None, "; ".join(p.message for p in error.problems)
    return frame, meta, None


def _read_define(package: Package) -> None:
    if package.define is None:
        return
    if package.define_version is None:
        package.define_error = _why_not_a_define(package.define)
        return
    try:
        package.define_model = define_xml.load(package.define)
    except (DefineError, OSError, ValueError) as error:
        package.define_error = str(error).replace(str(package.define), package.define.name)


def _why_not_a_define(path: Path) -> str:
    """Why a file named as the define.xml is none: not XML at all, or XML of another kind."""
    try:
        define_xml.load(path)
    except (DefineError, OSError, ValueError) as error:
        return str(error).replace(str(path), path.name)
    return "the root is not an ODM element with Define-XML metadata"
