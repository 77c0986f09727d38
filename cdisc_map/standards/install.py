"""Installing published standards into a standards home: `cdisc-map standards import` and `ct download`.

Everything given is read and checked first; if any file has an error nothing is
installed, so an import either installs all it was given or leaves the home as it was.
Installing what is already installed changes nothing and says so ("unchanged").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from os import PathLike

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.standards.home import Entry, InstallOutcome, StandardsHome
from cdisc_map.standards.published import Release, read_published


@dataclass
class ImportReport:
    """What an import installed (one outcome per standard and version), skipped and warned about."""

    home: StandardsHome
    outcomes: list[InstallOutcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def import_standards(paths: Iterable[str | PathLike[str]], *, home: StandardsHome | None = None,
                     version: str | None = None, urls: Mapping[str, str] | None = None) -> ImportReport:
    """Read, check and install every standards table in `paths` (files or folders).

    `version` is the CT release of a table that does not show it; `urls` maps a file
    name to where it was downloaded from, recorded with its checksum. Raises
    ProblemsError with every problem found (nothing installed) when any is an error.
    """
    paths = list(paths)
    home = home or StandardsHome.default()
    reading = read_published(paths, version)
    if not reading.releases and not reading.errors:
        given = ", ".join(str(p) for p in paths) or "(nothing given)"
        reading.problems.append(Problem(f"no standards table found in {given}", hint=(
            "give NCI EVS CT files (SDTM Terminology.txt, also .xz, .gz, .zip) or CDISC Library CSV exports "
            "(sdtmig-3.4-datasets.csv and sdtmig-3.4-variables.csv)")))
    if reading.errors:
        raise ProblemsError(reading.problems)
    report = ImportReport(home=home, skipped=reading.skipped, warnings=reading.problems)
    for release in reading.releases:
        report.outcomes.append(home.install(entry_for(release, urls or {}), release.document))
    return report


def entry_for(release: Release, urls: Mapping[str, str]) -> Entry:
    """The home entry of a release: what it is, its counts, and each source file with its SHA-256."""
    sources = []
    for source in release.sources:
        record = {"file": source.path.name, "sha256": source.sha256}
        if source.name != source.path.name:
            record["member"] = source.name
        if source.path.name in urls:
            record["url"] = urls[source.path.name]
        sources.append(record)
    return Entry(kind=release.kind, package=release.package, version=release.version, title=release.title,
                 counts=release.counts, sources=tuple(sources), data_file="", data_sha256="",
                 codelists=release.codelists)
