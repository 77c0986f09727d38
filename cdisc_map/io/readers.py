"""Read one raw EDC form (CSV, XLSX, SAS7BDAT, XPT or a form of an ODM-XML file) into an all-text frame.

Mapping specs decide what a raw value means, so the reader must not guess: every
cell comes back as the text the data manager sees in the export ("001" stays "001",
"NA" stays "NA", "2.50" stays "2.50"), missing cells as "", and every problem with
the file is reported as a `ProblemsError` naming the file (and row where known)
instead of a traceback.

Where the source stores typed values, they are rendered as text once, here:

- XLSX (read with python-calamine): number cells, integral values without a ".0"
  ("8"), others with Excel's 15 significant digits ("2.5", "0.1"); TRUE/FALSE for
  booleans; Excel date cells as ISO 8601 text, "2024-03-05" when the time is
  midnight, else "2024-03-05T14:30:00"; time-only cells as "14:30:00". Formulas
  give their cached value (none cached -> "").
- SAS7BDAT/XPT numerics: as every layer writes numbers (`core.text.number_text`): integral
  values without ".0" ("12"), others in the shortest positional form that reads back as the
  same double ("12.5", "0.0000001", never an exponent), missing (also .A-.Z) as "".
  Numerics carrying a SAS date, datetime or time format are rendered like Excel date
  cells (ISO 8601 text).
- ODM-XML 1.3 (.xml): one form or item group of the ClinicalData, values as written
  (see `cdisc_map.io.odm`), with the ODM metadata of each item column in
  `RawForm.items` (names, questions, codelists with decodes, units).

SAS7BDAT files are read with pyreadstat; XPT files with cdisc-map's own transport reader
(`cdisc_map.io.xpt`), which names the byte where a damaged file goes wrong.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
from openpyxl.utils import get_column_letter
from python_calamine import CalamineError, CalamineWorkbook

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.core.text import number_text, numbers_as_text
from cdisc_map.io.odm import OdmItem, odm_frame
from cdisc_map.io.xpt import XptMeta, read_xpt

SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".sas7bdat", ".xpt", ".xml")
_EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_ODM_SUFFIX = ".xml"
_SIGNIFICANT_DIGITS_EXCEL = 15
_LARGEST_PLAIN_INTEGER = 1e15
# SAS formats that show a number as a calendar date (days since 1960-01-01), a date-time
# (seconds since 1960-01-01T00:00) or a time of day (seconds), by format name.
_SAS_DATE_FORMATS = re.compile(
    r"DATE|(DDMMYY|MMDDYY|YYMMDD)[BCDNPS]?|(E|IS|B)8601DA|WEEKDATE|WEEKDATX|WORDDATE|WORDDATX"
)
_SAS_DATETIME_FORMATS = re.compile(r"DATETIME|(E|IS|B)8601D[TN]|DATEAMPM|MDYAMPM|DTDATE")
_SAS_TIME_FORMATS = re.compile(r"TIME|HHMM|TOD|TIMEAMPM|(E|IS|B)8601TM")
_SAS_EPOCH = datetime(1960, 1, 1)


@dataclass(frozen=True, eq=False)
class RawForm:
    """One raw form as read: its name, where it came from, and its all-text frame.

    `first_row` is the file row (as the user sees it) of frame index 0: 2 for CSV and
    XLSX (row 1 is the header), 1 for SAS files (observation numbers) and ODM files
    (record numbers). `items` describes the item columns of an ODM form (empty for
    other files) and `source_lines` gives the XML line of each ODM record.
    """

    name: str
    path: Path
    frame: pd.DataFrame
    first_row: int
    items: Mapping[str, OdmItem] = field(default_factory=dict)
    source_lines: np.ndarray | None = None

    def row_number(self, index: int) -> int:
        """The row number the user sees in the file for frame index `index`."""
        return self.first_row + int(index)

    def label(self, column: str) -> str | None:
        """What the export says a column is (an ODM item's question), if it says anything."""
        item = self.items.get(column)
        return item.label if item is not None else None


def read_form(
    path: Path,
    *,
    name: str | None = None,
    sheet: str | int | None = None,
    encoding: str = "utf-8",
    form: str | None = None,
    item_group: str | None = None,
    column_names: str | None = None,
) -> RawForm:
    """Read a raw export file; the format follows from the file suffix.

    `sheet` (XLSX only) is a sheet name or a 0-based position; default the first sheet.
    `encoding` applies to CSV and XPT (which records none); a SAS7BDAT file declares
    its own and `encoding` overrides it only when it is not UTF-8. `form` (a FormOID)
    or `item_group` (an ItemGroupOID) selects the records of an ODM file, and
    `column_names` ("oid", the default, or "name") how its item columns are named.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise _error(path, "file not found", hint="Check the path and the file name")
    if not path.is_file():
        raise _error(path, "is not a file", hint="Name one export file, not a folder")
    if suffix not in SUPPORTED_SUFFIXES:
        raise _error(
            path,
            f"unsupported file type {path.suffix!r}",
            hint=f"Export the form as one of {', '.join(SUPPORTED_SUFFIXES)}",
        )
    if sheet is not None and suffix not in _EXCEL_SUFFIXES:
        raise _error(path, "a sheet was given, but only XLSX workbooks have sheets")
    odm_options = {"form": form, "item_group": item_group, "column_names": column_names}
    given = [key for key, value in odm_options.items() if value is not None]
    if given and suffix != _ODM_SUFFIX:
        raise _error(path, f"{' and '.join(given)} given, but only ODM-XML files (.xml) have forms and item groups")

    if suffix == _ODM_SUFFIX:
        sliced = odm_frame(path, form=form, item_group=item_group, column_names=column_names or "oid")
        return RawForm(name=name or path.stem, path=path, frame=sliced.frame, first_row=1, items=sliced.items,
                       source_lines=sliced.lines)
    if suffix == ".csv":
        frame, first_row = _read_csv(path, encoding), 2
    elif suffix in _EXCEL_SUFFIXES:
        frame, first_row = _read_xlsx(path, sheet), 2
    elif suffix == ".sas7bdat":
        override = None if _is_utf8(path, encoding) else encoding
        frame, first_row = _read_sas(path, pyreadstat.read_sas7bdat, override), 1
    else:
        frame, first_row = _read_xpt(path, encoding), 1

    _check_unique_columns(path, list(frame.columns))
    return RawForm(name=name or path.stem, path=path, frame=frame, first_row=first_row)


# --- CSV -----------------------------------------------------------------------------


def _read_csv(path: Path, encoding: str) -> pd.DataFrame:
    """Parse with the csv module: exact field counts per record, no type guessing.

    The dialect is what EDCs write: comma separated, double-quote quoting with
    doubled quotes inside, CRLF or LF line ends, newlines allowed inside quotes.
    """
    data, codec = _decode(path, encoding)
    fast = _read_plain_csv(data, codec)
    if fast is not None:
        return fast
    text = data.decode(_python_codec(codec))
    del data
    records: list[list[str]] = []
    lines: list[int] = []  # physical line on which each record ends
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for record in reader:
            records.append(record)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise _error(
            path,
            f"cannot parse CSV: {exc}",
            row=len(records) + 1,
            hint="Check quoting near this row (a quote opened and never closed?)",
        ) from exc

    while records and not records[-1]:  # blank lines at the end of the file
        records.pop()
        lines.pop()
    if not records:
        raise _error(
            path, "the file is empty: no header row", hint="Export with a header row"
        )

    header, body = records[0], records[1:]
    width = len(header)
    problems = []
    for number, record in enumerate(body, start=2):
        if width == 1 and not record:  # one column: a blank line is an empty value
            record.append("")
        if len(record) != width:
            line = lines[number - 1]
            where = f" (line {line})" if line != number else ""
            problems.append(
                Problem(
                    f"row{where} has {len(record)} field(s) but the header has {width}",
                    file=str(path),
                    row=number,
                    hint="Fix the delimiters or quoting of this row and export again",
                )
            )
    if problems:
        raise ProblemsError(problems)
    return _text_frame(path, header, body, _csv_column_name)


def _read_plain_csv(data: bytes, codec: str) -> pd.DataFrame | None:
    """The frame of a well-formed CSV, parsed by pandas' C parser; None when in any doubt.

    Five times faster than the csv module on a large log, and a fifth of the memory: the
    parser shares one string object per distinct value of a column. It is used only where
    it gives exactly what the strict csv-module path gives: every record with the header's
    number of fields, no blank line, every quoted field closed right before a comma or a
    line end and holding no line break, and every column with a name or no value. In any
    other case the strict path reads the file and reports what is wrong, row by row.
    The checks work on the bytes, so only encodings in which a comma, quote or line end
    byte is always that character (UTF-8 and the single-byte ones) take this path.
    """
    if codec != "utf-8" and not _SINGLE_BYTE_CODEC.fullmatch(codec):
        return None
    if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if not data or b"\x00" in data:
        return None
    quoted = _quoted_fields(data)
    if quoted is None:
        return None
    try:
        frame = pd.read_csv(io.BytesIO(data), header=None, dtype=object, na_filter=False, keep_default_na=False,
                            skip_blank_lines=False, engine="c", low_memory=False, encoding=codec)
    except (ValueError, UnicodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    header = frame.iloc[0].tolist()
    if not _every_line_has_fields(data, quoted, len(header)):  # the parser fills short records silently
        return None
    body = frame.iloc[1:]
    unnamed = [position for position, name in enumerate(header) if name == ""]
    if len(unnamed) == len(header) or any((body.iloc[:, position] != "").any() for position in unnamed):
        return None
    keep = [position for position, name in enumerate(header) if name != ""]
    result = pd.DataFrame({i: body.iloc[:, position].to_numpy(dtype=object) for i, position in enumerate(keep)},
                          index=pd.RangeIndex(len(body)), dtype=object)
    result.columns = [header[position] for position in keep]
    return result


_SINGLE_BYTE_CODEC = re.compile(r"ascii|iso8859-\d+|cp125\d|latin-?1")
_QUOTED_FIELD = re.compile(rb'"(?:[^"]|"")*"')


def _quoted_fields(data: bytes) -> np.ndarray | None:
    """(start, end) of every quoted field, when each starts and ends a field and spans no line end; else None."""
    if b'"' not in data:
        return np.zeros((0, 2), dtype=np.int64)
    spans, quotes = [], 0
    for match in _QUOTED_FIELD.finditer(data):
        start, end = match.span()
        field = match.group()
        if (start and data[start - 1] not in b",\r\n") or (end < len(data) and data[end] not in b",\r\n"):
            return None
        if b"\n" in field or b"\r" in field:
            return None
        quotes += field.count(b'"')
        spans.append((start, end))
    if quotes != data.count(b'"'):  # a quote outside every quoted field
        return None
    return np.array(spans, dtype=np.int64).reshape(-1, 2)


def _every_line_has_fields(data: bytes, quoted: np.ndarray, width: int) -> bool:
    """Every line (a record: no quoted field spans lines here) has `width` fields; none is blank."""
    view = np.frombuffer(data, dtype=np.uint8)
    if len(view) and view[-1] == ord("\n"):
        view = view[:-1]
    returns = np.flatnonzero(view == ord("\r"))
    if len(returns) and (returns[-1] + 1 >= len(view) or (view[returns + 1] != ord("\n")).any()):
        return False  # a line ended by a lone carriage return: leave it to the csv module
    ends = np.append(np.flatnonzero(view == ord("\n")), len(view))
    starts = np.append(0, ends[:-1] + 1)
    commas = np.flatnonzero(view == ord(","))
    fields = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    if len(quoted):  # commas inside quoted fields separate nothing
        inside = np.searchsorted(commas, quoted[:, 1]) - np.searchsorted(commas, quoted[:, 0])
        np.subtract.at(fields, np.searchsorted(ends, quoted[:, 0]), inside)
    lengths = ends - starts - (view[np.maximum(ends - 1, 0)] == ord("\r")) * (ends > starts)
    return bool((lengths > 0).all() and (fields == width).all())


def _csv_column_name(position: int) -> str:
    return f"column {position + 1}"


def _decode(path: Path, encoding: str) -> tuple[bytes, str]:
    """The file's bytes and the codec's name, once every byte is known to decode; a byte the
    encoding cannot have is a problem. The text is checked a megabyte at a time and not kept:
    the fast CSV path parses the bytes, and a whole file's text would double the memory."""
    try:
        codec = codecs.lookup(encoding).name
    except LookupError as exc:
        raise _error(path, f"unknown text encoding {encoding!r}") from exc
    data = _read_bytes(path)
    decoder = codecs.getincrementaldecoder(_python_codec(codec))()
    view = memoryview(data)
    try:
        for start in range(0, len(data), DECODE_CHUNK):
            decoder.decode(view[start : start + DECODE_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        try:  # decode the whole file once more, for the exact place of the first bad byte
            data.decode(_python_codec(codec))
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            bad = " ".join(f"0x{byte:02X}" for byte in data[exc.start : exc.end])
            raise _error(
                path,
                f"not valid {encoding} text: byte(s) {bad} at line {line}, byte offset {exc.start}",
                hint=(
                    "Export the file as UTF-8, or give its real encoding "
                    "(for example 'cp1252' or 'gb18030')"
                ),
            ) from exc
        # the whole file decodes after all (a decoder may refuse a chunk's cut): it is valid
    return data, codec


DECODE_CHUNK = 1 << 20


def _python_codec(codec: str) -> str:
    return "utf-8-sig" if codec == "utf-8" else codec


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _error(path, f"cannot read the file: {exc.strerror or exc}") from exc


def _is_utf8(path: Path, encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError as exc:
        raise _error(path, f"unknown text encoding {encoding!r}") from exc


# --- XLSX ----------------------------------------------------------------------------


def _read_xlsx(path: Path, sheet: str | int | None) -> pd.DataFrame:
    """Read one sheet with python-calamine (Rust): ten times openpyxl's speed on big logs."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise _error(
            path,
            f"cannot open as an XLSX workbook ({type(exc).__name__}: {exc})",
            hint="Open it in Excel and save it again as .xlsx, or export the form as CSV",
        ) from exc
    name = _pick_sheet(path, workbook.sheet_names, sheet)
    try:
        found = workbook.get_sheet_by_name(name)
        start = found.start or (0, 0)  # iter_rows begins at the first used cell, not at A1
        columns = _sheet_columns(found.iter_rows(), skipped_rows=start[0], skipped_columns=start[1])
    except (CalamineError, OSError, ValueError) as exc:
        raise _error(
            path, f"cannot read the workbook ({type(exc).__name__}: {exc})"
        ) from exc

    filled = [np.flatnonzero(np.array(column, dtype=object) != "") for column in columns]
    rows = max((int(found[-1]) + 1 for found in filled if len(found)), default=0)  # formatted but empty rows
    if not rows:
        raise _error(
            path,
            "the sheet is empty: no header row",
            hint="Put the column names in row 1",
        )
    header = [column[0] for column in columns]
    return _columns_frame(path, header, [column[1:rows] for column in columns], _excel_column_name)


def _sheet_columns(rows: Iterable[list], skipped_rows: int = 0, skipped_columns: int = 0) -> list[list[str]]:
    """A sheet's cells as text, column by column, each distinct text of a column one string object.

    `rows` come one at a time (calamine's cell objects of one row live only while it is
    read), after `skipped_rows` empty rows and `skipped_columns` empty columns. Sharing
    the strings keeps a large log small in memory and makes every later hash of a value a
    cached one; the shared string is a copy made here, not the cell's own object, so that
    no cell object outlives its row and pins the memory around it.
    """
    columns: list[list[str]] = []
    shared: list[dict[str, str]] = []
    count = skipped_rows  # rows read so far, the skipped empty ones included
    for row in rows:
        width = skipped_columns + len(row)
        while len(columns) < width:  # a column first seen here: blank in every row before
            columns.append([""] * count)
            shared.append({})
        for position, column in enumerate(columns):
            at = position - skipped_columns
            value = row[at] if 0 <= at < len(row) else ""
            text = value if type(value) is str else _excel_value_text(value)
            known = shared[position].get(text)
            if known is None:
                known = shared[position][text] = "".join(("", text))  # a new object, not the cell's
            column.append(known)
        count += 1
    return columns


def _excel_column_name(position: int) -> str:
    return f"column {get_column_letter(position + 1)}"


def _pick_sheet(path: Path, names: list[str], sheet: str | int | None) -> str:
    if sheet is None:
        sheet = 0
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return names[sheet]
        raise _error(
            path,
            f"the workbook has no sheet number {sheet} (it has {len(names)}, counted from 0)",
            hint=f"Its sheets are: {', '.join(names)}",
        )
    if sheet in names:
        return sheet
    raise _error(
        path,
        f"the workbook has no sheet named {sheet!r}",
        hint=f"Its sheets are: {', '.join(repr(n) for n in names)}",
    )


def _excel_value_text(value) -> str:
    """A cell's value as text: integral numbers without ".0", date cells as ISO 8601.

    A date cell whose time is midnight is read as a date: a workbook cannot tell a
    date apart from a date-time at 00:00 without its number format.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _excel_number_text(value)
    if isinstance(value, datetime):
        return _datetime_text(value, False)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _time_text(value)
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _excel_number_text(value: float) -> str:
    if (
        math.isfinite(value)
        and value.is_integer()
        and abs(value) < _LARGEST_PLAIN_INTEGER
    ):
        return str(int(value))
    return f"{value:.{_SIGNIFICANT_DIGITS_EXCEL}g}"


def _round_to_second(value: datetime) -> datetime:
    if value.microsecond >= 500_000:
        value += timedelta(seconds=1)
    return value.replace(microsecond=0)


def _datetime_text(value: datetime, shows_time: bool) -> str:
    value = _round_to_second(value)
    if not shows_time and value.time() == time(0, 0):
        return value.date().isoformat()
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def _time_text(value: time) -> str:
    rounded = _round_to_second(datetime.combine(date(2000, 1, 1), value))
    return rounded.strftime("%H:%M:%S")


# --- SAS7BDAT / XPT ------------------------------------------------------------------


def _read_sas(path: Path, read: Callable, encoding: str | None) -> pd.DataFrame:
    kind = "SAS7BDAT" if read is pyreadstat.read_sas7bdat else "SAS transport (XPT)"
    options = {"dates_as_pandas_datetime": False}
    if encoding is not None:
        options["encoding"] = encoding
    try:
        data, _meta = read(str(path), **options)
    except (
        pyreadstat.ReadstatError,
        pyreadstat.PyreadstatError,
        OSError,
        UnicodeError,
    ) as exc:
        hint = f"Check that this is a {kind} file"
        if "encoding" in str(exc).lower() or isinstance(exc, UnicodeError):
            hint = "Give the file's text encoding (for example 'latin1' or 'cp1252')"
        raise _error(path, f"cannot read as {kind}: {exc}", hint=hint) from exc
    columns = {column: _sas_column_text(data[column]) for column in data.columns}
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(data)), dtype=object)
    frame.columns = list(data.columns)
    return frame


def _read_xpt(path: Path, encoding: str | None) -> pd.DataFrame:
    try:
        data, meta = read_xpt(path, encoding=encoding)
    except ProblemsError as exc:
        raise ProblemsError(
            [replace(p, message=f"cannot read as SAS transport (XPT): {p.message}") for p in exc.problems]
        ) from exc
    columns = {column: _xpt_column_text(data[column], meta, column) for column in data.columns}
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(data)), dtype=object)
    frame.columns = list(data.columns)
    return frame


def _xpt_column_text(series: pd.Series, meta: XptMeta, column: str) -> np.ndarray:
    """Text as read; numbers as text, or as ISO 8601 when their format shows a date or time."""
    if meta.column_types[column] == "text":
        return series.to_numpy(dtype=object)
    values = series.to_numpy(dtype=float)
    format_name = next((v.format for v in meta.layout.variables if v.name == column), "")
    for pattern, render in ((_SAS_DATE_FORMATS, _sas_date), (_SAS_DATETIME_FORMATS, _sas_datetime),
                            (_SAS_TIME_FORMATS, _sas_time)):
        if format_name and pattern.fullmatch(format_name):
            return _per_distinct_number(values, render)
    return _numbers_text(values)


def _per_distinct_number(values: np.ndarray, render: Callable[[float], str]) -> np.ndarray:
    """render(value) once per distinct value; "" for missing; numbers as text where render cannot."""
    out = np.full(values.shape, "", dtype=object)
    present = ~np.isnan(values)
    if present.any():
        distinct, inverse = np.unique(values[present], return_inverse=True)
        texts = np.empty(len(distinct), dtype=object)
        for index, value in enumerate(distinct.tolist()):
            try:
                texts[index] = render(value)
            except (OverflowError, ValueError):
                texts[index] = number_text(value)
        out[present] = texts[inverse]
    return out


def _sas_date(days: float) -> str:
    return (_SAS_EPOCH + timedelta(days=math.floor(days))).date().isoformat()


def _sas_datetime(seconds: float) -> str:
    return _datetime_text(_SAS_EPOCH + timedelta(seconds=seconds), shows_time=True)


def _sas_time(seconds: float) -> str:
    if not 0 <= seconds < 86_400:
        raise ValueError("not a time of day")
    return _time_text((_SAS_EPOCH + timedelta(seconds=seconds)).time())


def _sas_column_text(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    ):
        return _numbers_text(series.to_numpy(dtype=float, na_value=np.nan))
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        text = series.dt.strftime("%Y-%m-%dT%H:%M:%S")
        return text.astype(object).where(series.notna(), "").to_numpy(dtype=object)
    return np.array([_value_text(value) for value in series.tolist()], dtype=object)


def _numbers_text(values: np.ndarray) -> np.ndarray:
    """Numbers to text as every layer writes them (`core.text.number_text`), "" for NaN."""
    return numbers_as_text(pd.Series(values, dtype="float64")).to_numpy(dtype=object)


def _value_text(value: object) -> str:
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, datetime):
        return _datetime_text(value, shows_time=True)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _time_text(value)
    if pd.isna(value):
        return ""
    return str(value)


# --- shared --------------------------------------------------------------------------


def _text_frame(
    path: Path,
    header: list[str],
    body: list[list[str]],
    column_name: Callable[[int], str],
) -> pd.DataFrame:
    """The frame of a header and rows of text (see `_columns_frame`)."""
    columns = [list(column) for column in zip(*body, strict=True)] if body else [[] for _ in header]
    return _columns_frame(path, header, columns, column_name)


def _columns_frame(
    path: Path,
    header: list[str],
    columns: list[list[str]],
    column_name: Callable[[int], str],
) -> pd.DataFrame:
    """Build the frame; drop columns with neither a name nor any value (trailing
    delimiters, formatted-but-empty Excel columns) and refuse values without a name."""
    problems = []
    for position, name in enumerate(header):
        if name == "":
            filled = [number for number, value in enumerate(columns[position], start=2) if value != ""]
            if filled:
                problems.append(
                    Problem(
                        f"{column_name(position)} has values but no column name in the header",
                        file=str(path),
                        row=filled[0],
                        hint="Give the column a name in the header row",
                    )
                )
    if problems:
        raise ProblemsError(problems)
    keep = [position for position, name in enumerate(header) if name != ""]
    if not keep:
        raise _error(path, "the header row names no columns", row=1, hint="Put the column names in row 1")
    rows = len(columns[0]) if columns else 0
    frame = pd.DataFrame({i: np.array(columns[p], dtype=object) for i, p in enumerate(keep)},
                         index=pd.RangeIndex(rows), dtype=object)
    frame.columns = [header[p] for p in keep]
    return frame


def _check_unique_columns(path: Path, columns: Iterable[str]) -> None:
    repeated = [name for name, count in Counter(columns).items() if count > 1]
    if repeated:
        raise ProblemsError(
            [
                Problem(
                    "column name appears more than once in the header",
                    file=str(path),
                    row=1,
                    column=name,
                    hint="Rename the columns so that each name is unique",
                )
                for name in repeated
            ]
        )


def _error(
    path: Path, message: str, *, row: int | None = None, hint: str | None = None
) -> ProblemsError:
    return ProblemsError([Problem(message, file=str(path), row=row, hint=hint)])
