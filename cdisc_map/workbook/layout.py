"""The spec workbook's layout, and reading and writing it: the sheets Pinnacle 21 and metacore read.

A statistical programmer's mapping spec lives in Excel, one sheet per kind of
metadata, in the layout of Pinnacle 21 Community's Define-XML specification
template: Study, Datasets, Variables, ValueLevel, WhereClauses, Codelists,
Dictionaries, Methods, Comments, Documents (and Standards, which the Define-XML 2.1
template adds). metacore (`spec_to_metacore`) reads the same layout: it finds each
table by a sheet whose columns match its patterns, so every sheet here has exactly
the columns one of its readers looks for.

A workbook is read by its header row, whoever wrote it: column names are matched
ignoring case and spacing (and a few names older templates use), columns we do not
know are ignored, a sheet that is not there is empty. Every value is text; numbers
come back as `number_text` writes them.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.packaging.core import DocumentProperties
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.xml.functions import tostring

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.core.text import number_text

#: Every sheet and its columns, in the order written.
SHEETS: dict[str, tuple[str, ...]] = {
    "Study": ("Attribute", "Value"),
    "Standards": ("Name", "Type", "Publishing Set", "Version", "Status", "Comment"),
    "Datasets": ("Dataset", "Label", "Class", "SubClass", "Structure", "Key Variables", "Standard", "Has No Data",
                 "Repeating", "Reference Data", "Comment", "Developer Notes"),
    "Variables": ("Order", "Dataset", "Variable", "Label", "Data Type", "Length", "Significant Digits", "Format",
                  "Mandatory", "Assigned Value", "Codelist", "Common", "Origin", "Source", "Pages", "Method",
                  "Predecessor", "Role", "Has No Data", "Comment", "Developer Notes"),
    "ValueLevel": ("Order", "Dataset", "Variable", "Where Clause", "Label", "Data Type", "Length",
                   "Significant Digits", "Format", "Mandatory", "Assigned Value", "Codelist", "Origin", "Source",
                   "Pages", "Method", "Predecessor", "Comment", "Developer Notes"),
    "WhereClauses": ("ID", "Dataset", "Variable", "Comparator", "Value", "Comment"),
    "Codelists": ("ID", "Name", "NCI Codelist Code", "Data Type", "Terminology", "Comment", "Order", "Term",
                  "NCI Term Code", "Decoded Value"),
    "Dictionaries": ("ID", "Name", "Data Type", "Dictionary", "Version"),
    "Methods": ("ID", "Name", "Type", "Description", "Expression Context", "Expression Code", "Document", "Pages"),
    "Comments": ("ID", "Description", "Document", "Pages"),
    "Documents": ("ID", "Title", "Href"),
}

#: Columns whose values are whole numbers (written as numbers, so Excel sorts them as such).
NUMBER_COLUMNS = {"Order", "Length", "Significant Digits"}

#: Names other templates give a column (Define-XML 2.0 templates, hand-made sheets), by sheet.
ALIASES: dict[str, dict[str, str]] = {
    "Datasets": {"description": "Label", "keys": "Key Variables", "domain": "Dataset"},
    "Variables": {"variable name": "Variable", "name": "Variable", "type": "Data Type", "controlled terms": "Codelist",
                  "codelist id": "Codelist", "domain": "Dataset", "description": "Label", "derivation": "Method"},
    "ValueLevel": {"where clause id": "Where Clause", "whereclause": "Where Clause", "type": "Data Type",
                   "description": "Label", "domain": "Dataset", "controlled terms": "Codelist"},
    "WhereClauses": {"domain": "Dataset", "operator": "Comparator", "values": "Value"},
    "Codelists": {"codelist code": "NCI Codelist Code", "term code": "NCI Term Code", "decode": "Decoded Value",
                  "coded value": "Term"},
    "Methods": {"expression": "Expression Code", "context": "Expression Context"},
    "Comments": {"comment": "Description"},
    "Documents": {"name": "Title", "file": "Href"},
}

#: The one required column of each sheet that describes something per row.
KEY_COLUMNS = {"Datasets": "Dataset", "Variables": "Variable", "ValueLevel": "Variable", "WhereClauses": "ID",
               "Codelists": "ID", "Dictionaries": "ID", "Methods": "ID", "Comments": "ID", "Documents": "ID"}


@dataclass
class Row:
    """One row of a sheet as read: its row number in the workbook and its values by column."""

    number: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class Book:
    """A spec workbook: each sheet's rows (values by column, "" for an empty cell) and where it came from."""

    sheets: dict[str, list[Row]] = field(default_factory=dict)
    path: str = ""

    def rows(self, sheet: str) -> list[Row]:
        return self.sheets.get(sheet, [])

    def add(self, sheet: str, **values: object) -> None:
        """Append a row; keyword names are the columns with blanks as underscores (Key_Variables)."""
        rows = self.sheets.setdefault(sheet, [])
        text = {name.replace("_", " "): _cell_text(value) for name, value in values.items()}
        unknown = set(text) - set(SHEETS[sheet])
        if unknown:
            raise KeyError(f"{sheet} has no column(s) {', '.join(sorted(unknown))}")
        rows.append(Row(len(rows) + 2, text))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return number_text(value).strip() if not isinstance(value, str) else value


# --- writing ---------------------------------------------------------------------------


def write_book(book: Book, path: Path, created: datetime) -> Path:
    """Write every sheet of the layout (empty ones with their header), atomically and reproducibly.

    The file's dates (document properties and zip entries) are `created`, so the same
    book and time give the same bytes (SOURCE_DATE_EPOCH).
    """
    workbook = openpyxl.Workbook(write_only=True)
    bold = Font(bold=True)
    for name, columns in SHEETS.items():
        sheet = workbook.create_sheet(name)
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=column)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in book.rows(name):
            sheet.append([_cell_value(column, row[column]) for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = _pinned(buffer.getvalue(), created)
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ProblemsError([Problem(f"cannot write the workbook: {exc.strerror or exc}", file=str(path))]) from exc
    return path


def _cell_value(column: str, text: str) -> str | int | None:
    if text == "":
        return None
    if column in NUMBER_COLUMNS and text.isdigit():
        return int(text)
    return text


def _pinned(data: bytes, created: datetime) -> bytes:
    """The xlsx zip rewritten with `created` as every entry's time and the document's dates."""
    moment = created.replace(tzinfo=None)
    properties = DocumentProperties(creator="cdisc-map", created=moment, modified=moment)
    stamp = max(moment, datetime(1980, 1, 1)).timetuple()[:6]  # zip times start in 1980
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                content = tostring(properties.to_tree())
            pinned = zipfile.ZipInfo(entry.filename, date_time=stamp)
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = 0o644 << 16
            target.writestr(pinned, content)
    return out.getvalue()


# --- reading ---------------------------------------------------------------------------


def read_book(path: Path) -> Book:
    """Every sheet of the layout a workbook has, by its header row; ProblemsError when it cannot be read.

    Sheet names match ignoring case and blanks ("Value Level", "valuelevel"); a sheet
    the workbook lacks reads as empty. A sheet without its key column (Variables
    without Variable) is a problem naming the sheet and the columns it has.
    """
    path = Path(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ProblemsError([Problem(f"cannot read the workbook: {exc}", file=str(path),
                                     hint="give an .xlsx file in the layout of a Pinnacle 21 define.xml spec")]) \
            from exc
    book = Book(path=str(path))
    problems: list[Problem] = []
    try:
        names = {_folded(name): name for name in workbook.sheetnames}
        for sheet in SHEETS:
            actual = names.get(_folded(sheet))
            if actual is None:
                continue
            rows, found = _read_sheet(workbook[actual], sheet, str(path))
            book.sheets[sheet] = rows
            problems += found
    finally:
        workbook.close()
    if not any(book.sheets.get(sheet) for sheet in ("Datasets", "Variables")):
        problems.append(Problem("the workbook has no Datasets or Variables sheet with rows", file=str(path),
                                hint=f"its sheets: {', '.join(names.values()) or 'none'}; a spec workbook has "
                                     f"the sheets {', '.join(SHEETS)}"))
    if problems:
        raise ProblemsError(problems)
    return book


def _folded(name: str) -> str:
    return re.sub(r"[\s_-]+", "", str(name)).casefold()


def _read_sheet(worksheet, sheet: str, path: str) -> tuple[list[Row], list[Problem]]:
    lines = worksheet.iter_rows(values_only=True)
    header = next(lines, None) or ()
    known = {_folded(column): column for column in SHEETS[sheet]}
    known.update({_folded(alias): column for alias, column in ALIASES.get(sheet, {}).items()})
    columns: list[str | None] = []
    for cell in header:
        column = known.get(_folded(cell)) if cell is not None else None
        columns.append(column if column not in columns else None)  # a column named twice: the first counts
    key = KEY_COLUMNS.get(sheet)
    if key and key not in columns:
        present = [str(cell) for cell in header if cell is not None]
        return [], [Problem(f"sheet {worksheet.title!r} has no column {key!r}", file=path, row=1,
                            hint=f"its columns: {', '.join(present) or 'none'}; the layout's: "
                                 f"{', '.join(SHEETS[sheet])}")]
    rows = []
    for number, line in enumerate(lines, start=2):
        values = {column: _read_cell(cell) for column, cell in zip(columns, line, strict=False) if column}
        if any(values.values()):
            rows.append(Row(number, values))
    return rows, []


def _read_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return number_text(value).strip() if not isinstance(value, str) else value.strip()
