"""Which controlled terminology a run uses: an installed CT release, a given file, or the bundled subset.

`load_ct(version)` returns the release the standards home holds (installed with
`cdisc-map standards import` or `cdisc-map ct download`) and, when the home lacks it,
the small subset cdisc-map ships so that the bundled study runs on a machine where
nothing is installed. The result says which it is (`Terminology.description`,
`is_full`), so every report and message can say it too. `load_ct_package(path)` reads
one published package file directly (`--ct FILE`).
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from importlib.resources.abc import Traversable
from os import PathLike
from pathlib import Path

from cdisc_map.core.problems import Problem
from cdisc_map.standards.codelists import (
    Codelist,
    Term,
    Terminology,
    TerminologyError,
    UnknownCodelistError,
)
from cdisc_map.standards.evs import COLUMNS, header_of, is_ct_header, read_ct_table
from cdisc_map.standards.home import NotInstalledError, StandardsHome
from cdisc_map.standards.sources import SourceError, read_tables
from cdisc_map.standards.store import read_json

__all__ = [
    "COLUMNS",
    "CT_KIND",
    "Codelist",
    "NotInstalledError",
    "Term",
    "Terminology",
    "TerminologyError",
    "UnknownCodelistError",
    "available_ct_versions",
    "bundled_ct",
    "installed_ct_versions",
    "load_ct",
    "load_ct_package",
]

CT_KIND = "cdisc-map controlled terminology"
_BUNDLED_FILE = re.compile(r"^sdtm-ct-(?P<version>\d{4}-\d{2}-\d{2})\.txt$")


def load_ct(version: str | None = None, package: str = "SDTM", *, home: StandardsHome | None = None,
            fallback: bool = True) -> Terminology:
    """The CT package `package` of release `version` (None: the newest installed).

    Looks in `home` (default: `StandardsHome.default()`). When the release is not
    installed, SDTM falls back to the bundled subset (its `requested` says what was
    asked for) unless `fallback` is False; otherwise NotInstalledError says what is
    installed and how to install the release.
    """
    home = home or StandardsHome.default()
    entry = home.find("ct", package, version)
    if entry is not None:
        return _load_installed(str(home.data_path(entry)), entry.data_sha256, entry.package, entry.version)
    if fallback and package.casefold() == "sdtm":
        return bundled_ct(version)
    raise NotInstalledError(not_installed_message(home, package, version))


def not_installed_message(home: StandardsHome, package: str, version: str | None) -> str:
    installed = home.versions("ct", package)
    release = f"{package} CT {version}" if version else f"any {package} CT release"
    have = f"installed {package} CT: {', '.join(installed)}" if installed else f"no {package} CT is installed"
    download = f"cdisc-map ct download {version}" if version else "cdisc-map ct download"
    return (f"{release} is not installed in the standards home {home.path} ({have}); "
            f"run `{download}`, or `cdisc-map standards import FILE` with the file NCI EVS publishes")


def installed_ct_versions(package: str = "SDTM", *, home: StandardsHome | None = None) -> list[str]:
    """Releases of a CT package the standards home holds, oldest first."""
    return (home or StandardsHome.default()).versions("ct", package)


@functools.cache
def _load_installed(path: str, sha256: str, package: str, version: str) -> Terminology:
    """One installed package, read once per process (the checksum in the key notices a reinstall)."""
    document = read_json(Path(path), CT_KIND)
    return Terminology.from_records(document["codelists"], version=version, source=path, package=package,
                                    origin="published")


def load_ct_package(path: str | PathLike[str], version: str | None = None) -> Terminology:
    """Read one CDISC CT package as NCI EVS publishes it (tab-delimited text or CSV, also
    inside .xz, .gz or .zip). The version defaults to the release date the table or its
    file name shows; the package (SDTM, ADaM, Define-XML) to what the table says.

    Raises TerminologyError, listing every fault found, when the file cannot be read or
    is not a sound CT package.
    """
    path = Path(path)
    try:
        every = read_tables(path)
    except SourceError as exc:
        raise TerminologyError(f"cannot read CT package {path}: {exc}") from exc
    # With no CT table, read the first table anyway: its problems say which columns it lacks.
    tables = [t for t in every if is_ct_header(header_of(t.text))] or every[:1]
    if len(tables) > 1:
        raise TerminologyError(f"{path} holds {len(tables)} CT tables; install them with "
                               f"`cdisc-map standards import {path}` and choose one by version")
    source = tables[0]
    table = read_ct_table(source.text, source.label, source.name)
    if table.errors:
        raise TerminologyError(problems_text(f"{source.label} is not a sound CT package", table.errors),
                               table.errors)
    return Terminology(table.codelists, version=version or table.version, source=str(path),
                       package=table.package or "SDTM", origin="published")


def problems_text(title: str, problems: list[Problem], limit: int = 10) -> str:
    lines = [f"  - {p}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more")
    return f"{title}:\n" + "\n".join(lines)


def available_ct_versions() -> list[str]:
    """Dates of the bundled CT subsets, oldest first."""
    found = []
    for entry in _ct_dir().iterdir():
        match = _BUNDLED_FILE.match(entry.name)
        if match:
            found.append(match.group("version"))
    return sorted(found)


def bundled_ct(requested: str | None = None) -> Terminology:
    """The bundled SDTM CT subset (the newest one shipped), standing in for release `requested`."""
    versions = available_ct_versions()
    if not versions:
        raise TerminologyError("no CT package is bundled with cdisc-map")
    chosen = requested if requested in versions else versions[-1]
    return _load_bundled(chosen, requested or chosen)


@functools.cache
def _load_bundled(chosen: str, requested: str) -> Terminology:
    resource = _ct_dir().joinpath(f"sdtm-ct-{chosen}.txt")
    table = read_ct_table(resource.read_text(encoding="utf-8-sig"), resource.name, resource.name)
    if table.errors:  # a packaging fault of ours, not the user's
        raise TerminologyError(problems_text(f"bundled {resource.name} is damaged", table.errors), table.errors)
    return Terminology(table.codelists, version=chosen, source=resource.name, package="SDTM", origin="bundled",
                       requested=requested)


def _ct_dir() -> Traversable:
    return resources.files("cdisc_map.standards").joinpath("data", "ct")
