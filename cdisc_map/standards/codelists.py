"""Controlled terminology as objects: terms, codelists, and one CT package's codelists.

Mapping raw values to CDISC submission values, checking them, and writing define.xml
codelists all need the same picture of a CT package, whichever file it came from (a
published NCI EVS package, the compact installed form, the bundled subset). A
`Terminology` also says what it is (`description`, `is_full`), so a message about a
value it lacks can say whether the full published package may hold it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdisc_map.core.problems import CdiscMapError, Problem

_AMBIGUOUS = object()
ORIGINS = ("published", "bundled", "custom")


class TerminologyError(CdiscMapError, ValueError):
    """A CT package that cannot be read or is not sound; `problems` holds each fault found."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()):
        super().__init__(message)
        self.problems = list(problems)


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
            _add(by_value, fold(term.submission_value), term)
            for synonym in term.synonyms:
                _add(by_synonym, fold(synonym), term)
            _add(by_preferred, fold(term.preferred_term), term)
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
            (by_value, fold(text)),
            (by_synonym, fold(text)),
            (by_preferred, fold(text)),
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

    Iteration yields short names; indexing accepts either a short name (e.g. "SEX",
    any case) or a codelist C-code (e.g. "C66731"). Codelists built from stored records
    (`from_records`) are made into objects on first use: a package of 1,158 codelists
    loads without building the 40,000 terms a run never looks at.

    `origin` says what the package is: "published" (a CT release as NCI EVS publishes
    it), "bundled" (the subset shipped with cdisc-map as a fallback) or "custom" (built
    in code). `package` is the CT package ("SDTM", "ADaM", "Define-XML"); `requested`
    is the release a caller asked for when this one stands in for it.
    """

    def __init__(self, codelists: Sequence[Codelist] = (), version: str | None = None, source: str = "", *,
                 package: str = "SDTM", origin: str = "custom", requested: str | None = None,
                 records: Sequence[Sequence[Any]] = ()):
        if origin not in ORIGINS:
            raise ValueError(f"origin must be one of {', '.join(ORIGINS)}, not {origin!r}")
        self.version = version
        self.source = source
        self.package = package
        self.origin = origin
        self.requested = requested
        self._built: dict[str, Codelist] = {}
        self._records: dict[str, Sequence[Any]] = {}
        self._by_name: dict[str, str] = {}  # upper-case short name -> codelist code
        self._order: list[str] = []  # codes in package order
        for codelist in codelists:
            code = codelist.code.upper()
            if code not in self._built and code not in self._records:
                self._built[code] = codelist
                self._order.append(code)
            self._by_name.setdefault(codelist.short_name.upper(), code)
        for record in records:
            code = str(record[0]).upper()
            if code not in self._built and code not in self._records:
                self._records[code] = record
                self._order.append(code)
            self._by_name.setdefault(str(record[2]).upper(), code)

    @classmethod
    def from_records(cls, records: Sequence[Sequence[Any]], **info: Any) -> Terminology:
        """A package from `to_records()` rows; the codelists are built when first used."""
        return cls(records=records, **info)

    def to_records(self) -> list[list[Any]]:
        """Each codelist as [code, name, short name, extensible, terms], each term as
        [code, submission value, synonyms, definition, NCI preferred term]: the form the
        standards home stores."""
        return [codelist_record(self._codelist(code)) for code in self._order]

    @property
    def is_full(self) -> bool:
        """True for a CT package as published; False for the bundled subset or one built in code."""
        return self.origin == "published"

    @property
    def description(self) -> str:
        """What reports and define.xml say was used: "CDISC CT 2025-03-28 (NCI EVS)",
        "bundled subset 2024-09-27"."""
        if self.origin == "published":
            name = "CDISC CT" if self.package.upper() == "SDTM" else f"CDISC {self.package} CT"
            return f"{name} {self.version or self.source} (NCI EVS)"
        if self.origin == "bundled":
            text = f"bundled subset {self.version}"
            if self.requested and self.requested != self.version:
                text += f" (CT {self.requested} is not installed)"
            return text
        return f"CT {self.version or self.source}"

    def __repr__(self) -> str:
        return f"Terminology({self.description!r}, {len(self)} codelists)"

    def codelist(self, name_or_code: str) -> Codelist:
        """The codelist with this short name or C-code; KeyError if absent."""
        key = name_or_code.strip().upper()
        code = self._by_name.get(key) or (key if key in self._built or key in self._records else None)
        if code is None:
            where = f"CT {self.version}" if self.version else f"CT package {self.source}"
            raise UnknownCodelistError(f"{where} has no codelist {name_or_code!r}")
        return self._codelist(code)

    def _codelist(self, code: str) -> Codelist:
        found = self._built.get(code)
        if found is None:
            found = codelist_from_record(self._records[code])
            self._built[code] = found
        return found

    def short_name_of(self, code: str) -> str | None:
        """The short name of the codelist with this C-code, without building the codelist."""
        key = code.strip().upper()
        if key in self._built:
            return self._built[key].short_name
        record = self._records.get(key)
        return None if record is None else str(record[2])

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
        return key in self._by_name or key in self._built or key in self._records

    def term_count(self) -> int:
        """Number of terms over all codelists (counted from the records, nothing is built)."""
        return sum(len(self._built[code].terms) if code in self._built else len(self._records[code][4])
                   for code in self._order)


def codelist_record(codelist: Codelist) -> list[Any]:
    return [codelist.code, codelist.name, codelist.short_name, codelist.extensible,
            [[t.code, t.submission_value, list(t.synonyms), t.definition, t.preferred_term] for t in codelist.terms]]


def codelist_from_record(record: Sequence[Any]) -> Codelist:
    code, name, short_name, extensible, terms = record
    return Codelist(code=code, name=name, short_name=short_name, extensible=bool(extensible), terms=tuple(
        Term(code=t[0], submission_value=t[1], synonyms=tuple(t[2]), definition=t[3], preferred_term=t[4])
        for t in terms))


def fold(text: str) -> str:
    """The form lookups compare: blanks collapsed, case folded."""
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
