"""CDISC controlled terminology: codelists, terms, and loaders for CT packages.

Mapping raw values to CDISC submission values, checking them, and writing
define.xml codelists all need the same picture of a CT package. This module
reads packages in the layout NCI EVS publishes ("SDTM Terminology.txt": one
tab-delimited row per codelist and per term) and offers lookup by submission
value, synonym or NCI preferred term.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from os import PathLike
from pathlib import Path

from cdisc_map.core.problems import CdiscMapError

COLUMNS = (
    "Code",
    "Codelist Code",
    "Codelist Extensible (Yes/No)",
    "Codelist Name",
    "CDISC Submission Value",
    "CDISC Synonym(s)",
    "CDISC Definition",
    "NCI Preferred Term",
)
_BUNDLED_FILE = re.compile(r"^sdtm-ct-(?P<version>\d{4}-\d{2}-\d{2})\.txt$")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_AMBIGUOUS = object()


class TerminologyError(CdiscMapError, ValueError):
    """A CT package that cannot be read, or a version that is not bundled."""


class UnknownCodelistError(CdiscMapError, KeyError):
    """A codelist short name or C-code the package does not contain."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Term:
    """One term of a codelist."""

    code: str
    submission_value: str
    synonyms: tuple[str, ...]
    definition: str
    preferred_term: str


@dataclass(frozen=True)
class Codelist:
    """One codelist with its terms in package order."""

    code: str
    name: str
    short_name: str
    extensible: bool
    terms: tuple[Term, ...]
    _index: tuple[dict[str, object], ...] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        exact: dict[str, object] = {}
        by_value: dict[str, object] = {}
        by_synonym: dict[str, object] = {}
        by_preferred: dict[str, object] = {}
        for term in self.terms:
            _add(exact, term.submission_value, term)
            _add(by_value, _fold(term.submission_value), term)
            for synonym in term.synonyms:
                _add(by_synonym, _fold(synonym), term)
            _add(by_preferred, _fold(term.preferred_term), term)
        object.__setattr__(self, "_index", (exact, by_value, by_synonym, by_preferred))

    def lookup(self, raw: str | None) -> Term | None:
        """The term a raw value stands for, or None.

        Surrounding blanks and case are ignored. The submission value is tried
        first (exact case wins over folded case), then the synonyms, then the
        NCI preferred term. A key shared by two terms at the same level is
        ambiguous and never matches there: an unmapped value is reported, a
        guessed one would be passed on silently.
        """
        if raw is None:
            return None
        text = str(raw).strip()
        if not text:
            return None
        exact, by_value, by_synonym, by_preferred = self._index
        for index, key in (
            (exact, text),
            (by_value, _fold(text)),
            (by_synonym, _fold(text)),
            (by_preferred, _fold(text)),
        ):
            found = index.get(key)
            if isinstance(found, Term):
                return found
        return None

    def submission_values(self) -> list[str]:
        return [term.submission_value for term in self.terms]

    def __contains__(self, value: object) -> bool:
        """True when `value` is exactly one of the submission values."""
        return isinstance(value, str) and isinstance(self._index[0].get(value), Term)

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)


class Terminology(Mapping[str, Codelist]):
    """The codelists of one CT package, by short name and by C-code.

    Iteration yields short names; indexing accepts either a short name
    (e.g. "SEX", any case) or a codelist C-code (e.g. "C66731").
    """

    def __init__(
        self, codelists: list[Codelist], version: str | None = None, source: str = ""
    ):
        self.version = version
        self.source = source
        self._by_name: dict[str, Codelist] = {}
        self._by_code: dict[str, Codelist] = {}
        for codelist in codelists:
            self._by_name.setdefault(codelist.short_name.upper(), codelist)
            self._by_code.setdefault(codelist.code.upper(), codelist)

    def __repr__(self) -> str:
        return f"Terminology({self.version or self.source!r}, {len(self)} codelists)"

    def codelist(self, name_or_code: str) -> Codelist:
        """The codelist with this short name or C-code; KeyError if absent."""
        key = name_or_code.strip().upper()
        found = self._by_name.get(key) or self._by_code.get(key)
        if found is None:
            where = (
                f"CT {self.version}" if self.version else f"CT package {self.source}"
            )
            raise UnknownCodelistError(f"{where} has no codelist {name_or_code!r}")
        return found

    def __getitem__(self, key: str) -> Codelist:
        return self.codelist(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        key = key.strip().upper()
        return key in self._by_name or key in self._by_code


def load_ct_package(
    path: str | PathLike[str], version: str | None = None
) -> Terminology:
    """Read a CDISC CT package in NCI EVS tab-delimited form (any size).

    One pass over the file with the csv module; a UTF-8 byte-order mark is
    ignored and quoted fields are honoured. Files that are not UTF-8 (older
    EVS downloads) are read as Windows-1252. The version defaults to the
    first YYYY-MM-DD date in the file name.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TerminologyError(f"cannot read CT package {path}: {exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if version is None:
        match = _DATE.search(path.name)
        version = match.group(0) if match else None
    return Terminology(_parse(text, str(path)), version=version, source=str(path))


def available_ct_versions() -> list[str]:
    """Dates of the bundled CT packages, oldest first."""
    found = []
    for entry in _ct_dir().iterdir():
        match = _BUNDLED_FILE.match(entry.name)
        if match:
            found.append(match.group("version"))
    return sorted(found)


def load_ct(version: str | None = None) -> Terminology:
    """Load (once per version) a bundled CT package; None means the newest one."""
    versions = available_ct_versions()
    if not versions:
        raise TerminologyError("no CT package is bundled with cdisc-map")
    chosen = versions[-1] if version is None else version
    if chosen not in versions:
        raise TerminologyError(
            f"no bundled CT package {version!r}; available: {', '.join(versions)}"
        )
    return _load_bundled(chosen)


@functools.cache
def _load_bundled(chosen: str) -> Terminology:
    resource = _ct_dir().joinpath(f"sdtm-ct-{chosen}.txt")
    text = resource.read_text(encoding="utf-8-sig")
    return Terminology(
        _parse(text, resource.name), version=chosen, source=resource.name
    )


def _parse(text: str, source: str) -> list[Codelist]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", strict=False)
    header = next(reader, None)
    if header is None:
        raise TerminologyError(f"{source}: empty CT package")
    if "\t" not in text.partition("\n")[0] and "," in header[0]:
        # A CSV export of the same table: read it with commas instead.
        reader = csv.reader(io.StringIO(text, newline=""), strict=False)
        header = next(reader)
    position = {name.strip(): i for i, name in enumerate(header)}
    missing = [name for name in COLUMNS if name not in position]
    if missing:
        raise TerminologyError(
            f"{source}: not an NCI EVS CT table, missing column(s) {', '.join(missing)}"
        )
    (i_code, i_list, i_ext, i_name, i_value, i_syn, i_def, i_pt) = (
        position[name] for name in COLUMNS
    )
    width = max(position.values()) + 1
    headers: dict[str, tuple[str, str, str, bool]] = {}
    terms: dict[str, list[Term]] = {}
    for line_no, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            row = row + [""] * (width - len(row))
        code = row[i_code].strip()
        if not code:
            raise TerminologyError(f"{source}, row {line_no}: no Code")
        parent = row[i_list].strip()
        if parent:
            terms.setdefault(parent, []).append(
                Term(
                    code=code,
                    submission_value=row[i_value].strip(),
                    synonyms=_split_synonyms(row[i_syn]),
                    definition=row[i_def].strip(),
                    preferred_term=row[i_pt].strip(),
                )
            )
        else:
            extensible = row[i_ext].strip().lower()
            if extensible not in ("yes", "no"):
                raise TerminologyError(
                    f"{source}, row {line_no}: codelist {code} has extensible "
                    f"{row[i_ext]!r}, expected Yes or No"
                )
            headers[code] = (
                row[i_name].strip(),
                row[i_value].strip(),
                code,
                extensible == "yes",
            )
    orphans = sorted(set(terms) - set(headers))
    if orphans:
        raise TerminologyError(
            f"{source}: terms refer to codelist(s) with no header row: {', '.join(orphans[:10])}"
        )
    return [
        Codelist(
            code=code,
            name=name,
            short_name=short,
            extensible=ext,
            terms=tuple(terms.get(code, ())),
        )
        for name, short, code, ext in headers.values()
    ]


def _split_synonyms(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(";") if part.strip())


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _add(index: dict[str, object], key: str, term: Term) -> None:
    if not key:
        return
    current = index.get(key)
    if current is None:
        index[key] = term
    elif current is not term and current is not _AMBIGUOUS:
        if isinstance(current, Term) and current.code == term.code:
            return
        index[key] = _AMBIGUOUS


def _ct_dir() -> Traversable:
    return resources.files("cdisc_map.standards").joinpath("data", "ct")
