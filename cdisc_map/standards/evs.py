"""Reading CT packages in the layout NCI EVS publishes, and checking what they say.

NCI EVS publishes each CDISC CT package ("SDTM Terminology.txt", "ADaM Terminology.txt",
"Define-XML Terminology.txt") as one table: a row per codelist (no "Codelist Code") and a
row per term (the "Codelist Code" of its codelist), tab-delimited text or the same table
as CSV, some with an extra "Standard and Date" column. A package that is read is also
checked: the columns are there, every term's codelist exists, codes are not duplicated
and every codelist says whether it is extensible. Each fault is a `Problem` naming the
file, row, column and value, so a damaged download is reported, all at once, before
anything is installed.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from cdisc_map.core.problems import Problem
from cdisc_map.standards.codelists import Codelist, Term

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
STANDARD_AND_DATE = "Standard and Date"
# The CT packages NCI EVS publishes for CDISC, as they spell them in file names and preferred terms.
PACKAGES = ("SDTM", "SEND", "ADaM", "Define-XML", "CDASH", "Protocol", "Glossary", "DDF", "MRCT", "TMF")
_DATE = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")
_PACKAGE_IN_TEXT = re.compile(r"\b(" + "|".join(re.escape(p) for p in PACKAGES) + r")\b", re.IGNORECASE)
_PREFERRED_PACKAGE = re.compile(r"^CDISC (" + "|".join(re.escape(p) for p in PACKAGES) + r")\b")
_CODE = re.compile(r"^C\d+$")


@dataclass
class CtTable:
    """A CT table as read: its codelists in file order, what it says about itself, its problems.

    `package` and `version` are what the table itself shows (the "Standard and Date"
    column, else the file name, else the codelists' NCI preferred terms); None when it
    does not say.
    """

    codelists: list[Codelist]
    package: str | None
    version: str | None
    rows: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def term_count(self) -> int:
        return sum(len(c.terms) for c in self.codelists)


def is_ct_header(header: list[str]) -> bool:
    """True when a table's header row is the NCI EVS CT layout (enough to tell it from IG exports)."""
    names = {name.strip() for name in header}
    return {"Code", "Codelist Code", "CDISC Submission Value"} <= names


def header_of(text: str) -> list[str]:
    """The header row of a tab-delimited or CSV table."""
    reader = _reader(text)
    return next(reader, [])


def read_ct_table(text: str, source: str, name: str = "") -> CtTable:
    """Read and check one CT table. `source` names it in messages; `name` is its file name,
    which may carry the package and release date ("SDTM Terminology 2025-03-28.txt")."""
    reader = _reader(text)
    header = [cell.strip() for cell in next(reader, [])]
    problems: list[Problem] = []
    if not header:
        return CtTable([], None, None, 0, [Problem("empty CT table", file=source,
                                                   hint="give the file NCI EVS publishes, e.g. SDTM Terminology.txt")])
    position = {column: i for i, column in enumerate(header)}
    missing = [column for column in COLUMNS if column not in position]
    if missing:
        return CtTable([], None, None, 0, [Problem(
            f"not an NCI EVS CT table, missing column(s) {', '.join(missing)}", file=source, row=1,
            hint="the first row must name the columns " + ", ".join(COLUMNS))])
    (i_code, i_list, i_ext, i_name, i_value, i_syn, i_def, i_pt) = (position[c] for c in COLUMNS)
    i_standard = position.get(STANDARD_AND_DATE)
    width = max(position.values()) + 1

    headers: dict[str, tuple[int, str, str, bool, str]] = {}  # code -> (row, name, short name, extensible, NCI PT)
    terms: dict[str, list[tuple[int, Term]]] = {}
    standards: Counter[str] = Counter()
    rows = 0
    for line_no, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        rows += 1
        if len(row) < width:
            row = row + [""] * (width - len(row))
        code = row[i_code].strip()
        if i_standard is not None and row[i_standard].strip():
            standards[row[i_standard].strip()] += 1
        if not code:
            problems.append(Problem("row has no Code", file=source, row=line_no, column="Code",
                                    hint="every codelist and term row carries its NCI C-code"))
            continue
        if not _CODE.match(code):
            problems.append(Problem("Code is not an NCI C-code", file=source, row=line_no, column="Code",
                                    value=code, severity="warning"))
        parent = row[i_list].strip()
        if parent:
            terms.setdefault(parent, []).append((line_no, Term(
                code=code, submission_value=row[i_value].strip(), synonyms=split_synonyms(row[i_syn]),
                definition=row[i_def].strip(), preferred_term=row[i_pt].strip())))
            continue
        extensible = row[i_ext].strip().lower()
        if extensible not in ("yes", "no"):
            problems.append(Problem(f"codelist {code} has extensible {row[i_ext]!r}, expected Yes or No",
                                    file=source, row=line_no, column=COLUMNS[2], value=row[i_ext],
                                    hint="a codelist row says Yes or No in Codelist Extensible (Yes/No)"))
        if code in headers:
            problems.append(Problem(f"codelist {code} appears twice (first in row {headers[code][0]})",
                                    file=source, row=line_no, column="Code", value=code))
            continue
        headers[code] = (line_no, row[i_name].strip(), row[i_value].strip(), extensible == "yes", row[i_pt].strip())

    for parent in sorted(set(terms) - set(headers)):
        first_row = terms[parent][0][0]
        problems.append(Problem(
            f"terms refer to codelist {parent}, which has no header row ({len(terms[parent])} term(s), "
            f"first in row {first_row})", file=source, row=first_row, column="Codelist Code", value=parent,
            hint="the table is incomplete or not a whole CT package"))
    codelists = []
    short_names: dict[str, str] = {}
    for code, (line_no, name_text, short, extensible, _pt) in headers.items():
        members = terms.get(code, [])
        problems += _duplicate_problems(code, members, source)
        if not members:
            problems.append(Problem(f"codelist {code} ({short}) has no terms", file=source, row=line_no,
                                    severity="warning"))
        if short.upper() in short_names:
            problems.append(Problem(f"codelists {short_names[short.upper()]} and {code} share the short name "
                                    f"{short}", file=source, row=line_no, column=COLUMNS[4], value=short,
                                    severity="warning", hint="lookups by short name find the first one"))
        short_names.setdefault(short.upper(), code)
        codelists.append(Codelist(code=code, name=name_text, short_name=short, extensible=extensible,
                                  terms=tuple(term for _row, term in members)))
    package, version = describe(standards, name, [pt for _row, _name, _short, _ext, pt in headers.values()])
    return CtTable(codelists, package, version, rows, problems)


def _duplicate_problems(code: str, members: list[tuple[int, Term]], source: str) -> list[Problem]:
    problems = []
    seen_codes: dict[str, int] = {}
    seen_values: dict[str, int] = {}
    for line_no, term in members:
        if term.code in seen_codes:
            problems.append(Problem(f"term {term.code} appears twice in codelist {code} "
                                    f"(first in row {seen_codes[term.code]})", file=source, row=line_no,
                                    column="Code", value=term.code))
        seen_codes.setdefault(term.code, line_no)
        if term.submission_value in seen_values:
            problems.append(Problem(f"submission value appears twice in codelist {code} "
                                    f"(first in row {seen_values[term.submission_value]})", file=source,
                                    row=line_no, column=COLUMNS[4], value=term.submission_value))
        seen_values.setdefault(term.submission_value, line_no)
    return problems


def describe(standards: Counter[str], name: str, preferred_terms: list[str]) -> tuple[str | None, str | None]:
    """(package, release date) as the table shows them: its "Standard and Date" column
    ("ADaM CT 2025-03-28"), else its file name, else its codelists' preferred terms
    ("CDISC SDTM Sex of Individual Terminology")."""
    package = version = None
    if standards:
        text = standards.most_common(1)[0][0]
        package = canonical_package(text)
        date = _DATE.search(text)
        version = date.group(1) if date else None
    if package is None:
        package = canonical_package(name)
    if version is None:
        date = _DATE.search(name)
        version = date.group(1) if date else None
    if package is None:
        votes = Counter(m.group(1) for text in preferred_terms if (m := _PREFERRED_PACKAGE.match(text)))
        if votes:
            package = canonical_package(votes.most_common(1)[0][0])
    return package, version


def canonical_package(text: str) -> str | None:
    """"sdtm", "SDTM Terminology", "define-xml-ct" -> "SDTM", "Define-XML"; None when no package is named."""
    match = _PACKAGE_IN_TEXT.search(text.replace("_", " "))
    if match is None:
        return None
    found = match.group(1).casefold()
    return next(p for p in PACKAGES if p.casefold() == found)


def split_synonyms(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(";") if part.strip())


def _reader(text: str):
    first_line = text.partition("\n")[0]
    delimiter = "\t" if "\t" in first_line or "," not in first_line else ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
