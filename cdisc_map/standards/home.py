"""The standards home: the folder where published standards are installed, and what it holds.

Users get CDISC CT from NCI EVS and IG metadata from the CDISC Library, the same files
for every tool; cdisc-map installs them once (`cdisc-map standards import`, `cdisc-map
ct download`) and every later run finds them here. The home is `$CDISC_MAP_HOME` when
set, otherwise the user data folder (platformdirs: ~/.local/share/cdisc-map on Linux,
~/Library/Application Support/cdisc-map on macOS, %LOCALAPPDATA%\\cdisc-map on Windows).

Layout (format 1)::

    HOME/ct/sdtm-ct-2025-03-28.json.gz       one CT package, in the compact store form
    HOME/ct/sdtm-ct-2025-03-28.entry.json    what it is: package, version, counts, sources
    HOME/ig/sdtmig-3.4.json.gz               IG metadata (datasets and variables)
    HOME/ig/sdtmig-3.4.entry.json
    HOME/downloads/                          files `ct download` fetched, as published

An installed standard is its data file plus its entry, written in that order, each
atomically: a standard is listed only once both are complete, so an interrupted import
leaves the previous install as it was. Nothing here parses a published file; see
`published` for that.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import Any

import platformdirs

from cdisc_map.core.problems import CdiscMapError
from cdisc_map.standards.store import StoreError, encode_json, read_json, write_bytes_atomically, write_json

HOME_VARIABLE = "CDISC_MAP_HOME"
ENTRY_KIND = "cdisc-map standards entry"
_SLUG = re.compile(r"[^a-z0-9.]+")


class NotInstalledError(CdiscMapError, LookupError):
    """A standard or release the standards home does not hold; the message says how to install it."""

    def __str__(self) -> str:  # LookupError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Entry:
    """One installed standard: a CT package of one release, or one IG version's metadata.

    `kind` is "ct" or "ig"; `package` is the CT package ("SDTM", "ADaM", "Define-XML")
    or the IG ("SDTMIG", "ADaMIG"). `codelists` (CT only) maps each codelist C-code to
    its short name, so IG metadata, which names codelists by code, can show short names
    without loading a whole CT package.
    """

    kind: str
    package: str
    version: str
    title: str
    counts: Mapping[str, int]
    sources: tuple[Mapping[str, Any], ...]
    data_file: str
    data_sha256: str
    codelists: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        """How listings and messages name it: "SDTM CT 2025-03-28", "SDTMIG 3.4"."""
        return f"{self.package} CT {self.version}" if self.kind == "ct" else f"{self.package} {self.version}"

    def document(self) -> dict[str, Any]:
        return {"kind": ENTRY_KIND, "format_version": 1, "type": self.kind, "package": self.package,
                "version": self.version, "title": self.title, "counts": dict(self.counts),
                "sources": [dict(source) for source in self.sources], "data_file": self.data_file,
                "data_sha256": self.data_sha256, "codelists": dict(self.codelists)}

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Entry:
        return cls(kind=document["type"], package=document["package"], version=document["version"],
                   title=document.get("title", ""), counts=document.get("counts", {}),
                   sources=tuple(document.get("sources", ())), data_file=document["data_file"],
                   data_sha256=document["data_sha256"], codelists=document.get("codelists", {}))


@dataclass(frozen=True)
class InstallOutcome:
    """What installing one standard did: "installed", "replaced" (another build of the
    same release was there) or "unchanged" (the same content was already installed)."""

    entry: Entry
    action: str
    path: Path


class StandardsHome:
    """A standards home folder. It need not exist: then nothing is installed."""

    def __init__(self, path: str | PathLike[str]):
        self.path = Path(path).expanduser()

    @classmethod
    def default(cls) -> StandardsHome:
        """`$CDISC_MAP_HOME` when set (and not empty), else the user data folder."""
        configured = os.environ.get(HOME_VARIABLE, "").strip()
        if configured:
            return cls(configured)
        return cls(platformdirs.user_data_dir("cdisc-map", appauthor=False))

    def __repr__(self) -> str:
        return f"StandardsHome({str(self.path)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StandardsHome) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    # --- what is installed ----------------------------------------------------------

    def entries(self) -> list[Entry]:
        """Every complete install, CT before IG, packages by name, versions oldest first.

        An entry file that cannot be read (damaged, or from a newer store format) is
        skipped here and reported by `problems()`.
        """
        found = []
        for kind in ("ct", "ig"):
            folder = self.path / kind
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.entry.json")):
                try:
                    entry = Entry.from_document(read_json(path, ENTRY_KIND))
                except (StoreError, KeyError, TypeError):
                    continue
                if (folder / entry.data_file).is_file():
                    found.append(entry)
        return sorted(found, key=lambda e: (e.kind, e.package.casefold(), version_key(e.version)))

    def problems(self) -> list[str]:
        """Entry files of this home that cannot be read, each with the reason."""
        found = []
        for kind in ("ct", "ig"):
            for path in sorted((self.path / kind).glob("*.entry.json")) if (self.path / kind).is_dir() else []:
                try:
                    Entry.from_document(read_json(path, ENTRY_KIND))
                except StoreError as exc:
                    found.append(str(exc))
                except (KeyError, TypeError) as exc:
                    found.append(f"{path} lacks {exc}; import the standard again")
        return found

    def find(self, kind: str, package: str, version: str | None = None) -> Entry | None:
        """The install of `package` at `version` (None: the newest), or None."""
        matches = [e for e in self.entries() if e.kind == kind and e.package.casefold() == package.casefold()]
        if version is None:
            return matches[-1] if matches else None
        return next((e for e in matches if e.version == version), None)

    def versions(self, kind: str, package: str) -> list[str]:
        return [e.version for e in self.entries() if e.kind == kind and e.package.casefold() == package.casefold()]

    def data_path(self, entry: Entry) -> Path:
        return self.path / entry.kind / entry.data_file

    def load(self, entry: Entry, kind: str) -> dict[str, Any]:
        """The stored document of an entry, checked to be a `kind` document."""
        return read_json(self.data_path(entry), kind)

    def downloads(self) -> Path:
        return self.path / "downloads"

    # --- installing -----------------------------------------------------------------

    def install(self, entry: Entry, document: dict[str, Any]) -> InstallOutcome:
        """Store `document` as the data of `entry`: data file first, then the entry, each atomically.

        Installing the same content again changes nothing ("unchanged"); another build
        of the same release replaces the old one ("replaced").
        """
        stem = file_stem(entry.kind, entry.package, entry.version)
        folder = self.path / entry.kind
        entry_path = folder / f"{stem}.entry.json"
        data_path = folder / f"{stem}.json.gz"
        data = encode_json(document, compress=True)
        complete = replace(entry, data_file=data_path.name, data_sha256=hashlib.sha256(data).hexdigest())
        previous = self._read_entry(entry_path)
        if previous is not None and previous.document() == complete.document() and data_path.is_file() \
                and hashlib.sha256(data_path.read_bytes()).hexdigest() == complete.data_sha256:
            return InstallOutcome(previous, "unchanged", data_path)
        write_bytes_atomically(data_path, data)
        write_json(entry_path, complete.document(), compress=False)
        return InstallOutcome(complete, "installed" if previous is None else "replaced", data_path)

    def _read_entry(self, path: Path) -> Entry | None:
        if not path.is_file():
            return None
        try:
            return Entry.from_document(read_json(path, ENTRY_KIND))
        except (StoreError, KeyError, TypeError):
            return None


def file_stem(kind: str, package: str, version: str) -> str:
    """"sdtm-ct-2025-03-28", "define-xml-ct-2025-03-28", "sdtmig-3.4": names that sort and never clash."""
    slug = _SLUG.sub("-", package.casefold()).strip("-")
    version_slug = _SLUG.sub("-", version.casefold()).strip("-")
    return f"{slug}-ct-{version_slug}" if kind == "ct" else f"{slug}-{version_slug}"


def version_key(version: str) -> tuple:
    """Sort key for "2025-03-28" and "3.4" alike: numbers as numbers, so 3.10 follows 3.4."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[.\-]", version))
