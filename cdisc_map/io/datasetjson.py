"""CDISC Dataset-JSON 1.1: write a dataset as `.json` or `.ndjson`, and read one back.

Dataset-JSON is the format FDA pilots as the successor of XPT. A dataset written here
holds the same values as its XPT file and says what define.xml says about its columns
(itemOID `IT.<DATASET>.<VARIABLE>`, itemGroupOID `IG.<DATASET>`), so a reviewer's tool
can join the two. How SAS values become JSON values follows the specification's table
of data type combinations:

- text: dataType "string" (blank text is ""); an ISO 8601 `--DTC` column is "date"
  when no value has a time part, else "datetime" (the JSON value is the text itself);
- a numeric column with a SAS date, datetime or time display format (ADaM's numeric
  dates: TRTSDT with DATE9.) is "date"/"datetime"/"time" with targetDataType "integer":
  the JSON value is the ISO 8601 text ("2024-03-05") and the receiver turns it back
  into the SAS number (days since 1960-01-01, or seconds). The format is kept as
  displayFormat. A column whose values such text cannot hold exactly (fractions of a
  day, out of range) stays a plain number, so nothing is ever rounded away;
- other numbers: "integer" when every value is whole, else "float" (a JSON number
  written as the shortest text that reads back as the same double);
- a missing number is null.

Reading gives the frame `read_xpt` gives for the same data (text as str with "" for
blank, numbers as float64, numeric dates as SAS day or second counts), so the
validator and `cdisc-map convert` treat both formats alike. Files are written to a
temporary file and renamed, and the same input gives the same bytes: the creation
time comes from `created` (SOURCE_DATE_EPOCH through `build_timestamp`).
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.io.xpt import XptMeta, build_timestamp

VERSION = "1.1.0"
SUFFIXES = (".json", ".ndjson")
DATA_TYPES = ("string", "integer", "decimal", "float", "double", "boolean", "datetime", "date", "time", "URI")
TARGET_DATA_TYPES = ("integer", "decimal")
MAX_PROBLEMS_PER_COLUMN = 10
#: How many bytes of a .json file `is_dataset_json` looks at for the version attribute.
SNIFF_BYTES = 65536

# SAS display formats by the kind of number they show (the name, without width and
# decimals). Every date format shows a count of days, whatever part of the date it
# prints, so all of them turn into an ISO date exactly.
DATE_FORMATS = frozenset(
    "DATE DAY DDMMYY DDMMYYB DDMMYYC DDMMYYD DDMMYYN DDMMYYP DDMMYYS DOWNAME E8601DA B8601DA IS8601DA "
    "JULDAY JULIAN MMDDYY MMDDYYB MMDDYYC MMDDYYD MMDDYYN MMDDYYP MMDDYYS MMYY MMYYC MMYYD MMYYN MMYYP "
    "MMYYS MONNAME MONTH MONYY NLDATE QTR WEEKDATE WEEKDATX WEEKDAY WORDDATE WORDDATX YEAR YYMM YYMMC "
    "YYMMD YYMMN YYMMP YYMMS YYMMDD YYMMDDB YYMMDDC YYMMDDD YYMMDDN YYMMDDP YYMMDDS YYMON YYQ YYQC YYQD "
    "YYQN YYQP YYQS".split()
)
DATETIME_FORMATS = frozenset(
    "DATETIME DATEAMPM DTDATE DTMONYY DTWKDATX DTYEAR DTYYQC E8601DT B8601DT IS8601DT E8601DN B8601DN "
    "MDYAMPM NLDATM".split()
)
TIME_FORMATS = frozenset("TIME TIMEAMPM HHMM HOUR MMSS TOD E8601TM B8601TM IS8601TM NLTIME".split())
#: The display format given to a numeric date column that arrives without one.
DEFAULT_FORMATS = {"date": "DATE9.", "datetime": "DATETIME20.", "time": "TIME8."}

_FORMAT_NAME = re.compile(r"\$?([A-Z_](?:[A-Z0-9_]*[A-Z_])?)?\d*\.?\d*", re.IGNORECASE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?")
_ISO_TIME = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?")
_SAS_EPOCH_DAY = np.datetime64("1960-01-01", "D")
_SAS_EPOCH_SECOND = np.datetime64("1960-01-01T00:00:00", "s")
# SAS dates an ISO 8601 calendar date can show: years 0001 to 9999.
_FIRST_DAY = float((np.datetime64("0001-01-01", "D") - _SAS_EPOCH_DAY).astype(int))
_LAST_DAY = float((np.datetime64("9999-12-31", "D") - _SAS_EPOCH_DAY).astype(int))
_SECONDS_PER_DAY = 86400
_LARGEST_EXACT_INTEGER = 2**53
_REQUIRED = ("datasetJSONCreationDateTime", "datasetJSONVersion", "itemGroupOID", "records", "name", "label",
             "columns")
_TOP_LEVEL_ORDER = ("datasetJSONCreationDateTime", "datasetJSONVersion", "fileOID", "dbLastModifiedDateTime",
                    "originator", "sourceSystem", "studyOID", "metaDataVersionOID", "metaDataRef", "itemGroupOID",
                    "records", "name", "label", "columns")


@dataclass(frozen=True)
class Column:
    """One column's metadata, as the `columns` array of Dataset-JSON holds it."""

    item_oid: str
    name: str
    label: str
    data_type: str
    target_data_type: str | None = None
    length: int | None = None
    display_format: str | None = None
    key_sequence: int | None = None

    @property
    def numeric(self) -> bool:
        """Whether the column is a number in SAS (XPT) terms."""
        if self.target_data_type is not None:
            return True
        return self.data_type in ("integer", "decimal", "float", "double", "boolean")

    def as_json(self) -> dict[str, Any]:
        """The column object, attributes in the order the specification lists them."""
        found = {"itemOID": self.item_oid, "name": self.name, "label": self.label, "dataType": self.data_type,
                 "targetDataType": self.target_data_type, "length": self.length,
                 "displayFormat": self.display_format, "keySequence": self.key_sequence}
        return {key: value for key, value in found.items() if value is not None}


@dataclass(frozen=True)
class Context:
    """What every dataset of one package says about where it belongs: the study, the
    define.xml (its metadata version and file), who wrote it and with what."""

    study_oid: str | None = None
    metadata_version_oid: str | None = None
    metadata_ref: str | None = None
    originator: str | None = None
    source_system: tuple[str, str] | None = None  # (name, version)


@dataclass(frozen=True)
class DatasetJsonMeta:
    """A Dataset-JSON file's metadata: the top-level attributes and the columns."""

    name: str
    label: str
    item_group_oid: str
    records: int
    columns: tuple[Column, ...]
    created: str
    version: str = VERSION
    context: Context = field(default_factory=Context)
    file_oid: str | None = None
    db_last_modified: str | None = None
    layout: str = "json"  # "json" or "ndjson"

    def transport_meta(self) -> XptMeta:
        """The same metadata in the terms `read_xpt` reports, for checks shared with XPT.

        `version` is 0: the file is not SAS transport at all.
        """
        return XptMeta(
            dataset=self.name,
            label=self.label,
            version=0,
            created=self.created,
            column_labels={c.name: c.label for c in self.columns},
            column_types={c.name: "numeric" if c.numeric else "text" for c in self.columns},
            character_lengths={c.name: c.length or 1 for c in self.columns if not c.numeric},
            formats=transport_formats(self.columns),
        )


def transport_formats(columns: Sequence[Column]) -> dict[str, str]:
    """The SAS display formats of columns as an XPT file would carry them.

    A numeric date column without a displayFormat gets a default one (DATE9.,
    DATETIME20., TIME8.), so that it still shows as a date once it is a SAS number.
    """
    formats = {}
    for column in columns:
        fmt = column.display_format
        if not fmt and column.target_data_type is not None:
            fmt = DEFAULT_FORMATS.get(column.data_type)
        if fmt:
            formats[column.name] = fmt if "." in fmt else fmt + "."
    return formats


# --- writing -------------------------------------------------------------------------


def write_dataset_json(
    frame: pd.DataFrame,
    path: Path,
    *,
    dataset: str,
    label: str,
    column_labels: dict[str, str],
    formats: dict[str, str] | None = None,
    lengths: dict[str, int] | None = None,
    keys: Sequence[str] = (),
    created: datetime | None = None,
    context: Context | None = None,
) -> DatasetJsonMeta:
    """Write `frame` as one Dataset-JSON 1.1 dataset at `path`, atomically.

    The layout follows the suffix: `.json` (one object, one row per line) or `.ndjson`
    (the metadata object on the first line, then one array per row). Columns are text
    (str, missing as "") or numbers, as for `write_xpt`; `formats` gives SAS display
    formats, `lengths` text lengths (default: the longest value in bytes, as XPT),
    `keys` the key variables in order (keySequence). Returns the metadata written.
    Raises ProblemsError naming every column that cannot be written.
    """
    path = Path(path)
    layout = _layout(path)
    created = created if created is not None else build_timestamp()
    context = context or Context()
    problems: list[Problem] = []
    if not path.parent.is_dir():
        problems.append(Problem("the output folder does not exist", file=str(path.parent), dataset=dataset))
    planned, values, found = _plan_columns(frame, dataset, column_labels, formats or {}, lengths or {}, keys)
    problems += found
    if problems:
        raise ProblemsError(problems)
    meta = DatasetJsonMeta(
        name=dataset, label=label, item_group_oid=f"IG.{dataset}", records=len(frame), columns=tuple(planned),
        created=creation_time(created), context=context,
        file_oid=f"{context.study_oid}.{dataset}" if context.study_oid else None, layout=layout,
    )
    header = {**_header(meta), "columns": [column.as_json() for column in meta.columns]}
    rows = map(_row_text, zip(*values)) if values else ("[]" for _ in range(len(frame)))
    _write_atomically(path, _lines(header, rows, layout), dataset)
    return meta


def creation_time(moment: datetime) -> str:
    """`moment` as datasetJSONCreationDateTime: ISO 8601 to the second, in UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
        return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    return moment.replace(microsecond=0).isoformat()


def _layout(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ProblemsError([Problem(f"a Dataset-JSON file ends in .json or .ndjson, not {path.suffix!r}",
                                     file=str(path))])
    return suffix[1:]


def _header(meta: DatasetJsonMeta) -> dict[str, Any]:
    context = meta.context
    found = {
        "datasetJSONCreationDateTime": meta.created,
        "datasetJSONVersion": meta.version,
        "fileOID": meta.file_oid,
        "dbLastModifiedDateTime": meta.db_last_modified,
        "originator": context.originator,
        "sourceSystem": ({"name": context.source_system[0], "version": context.source_system[1]}
                         if context.source_system else None),
        "studyOID": context.study_oid,
        "metaDataVersionOID": context.metadata_version_oid,
        "metaDataRef": context.metadata_ref,
        "itemGroupOID": meta.item_group_oid,
        "records": meta.records,
        "name": meta.name,
        "label": meta.label,
    }
    return {key: value for key, value in found.items() if value is not None}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def _row_text(row: tuple) -> str:
    return json.dumps(row, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _lines(header: dict, rows: Iterator[str], layout: str) -> Iterator[str]:
    """The file's text, line by line: diff-friendly JSON (a line per column and per row)
    or NDJSON (the metadata line, then a line per row). `header` ends with columns."""
    if layout == "ndjson":
        yield _dumps(header) + "\n"
        for row in rows:
            yield row + "\n"
        return
    rest = {key: value for key, value in header.items() if key != "columns"}
    opening = _dumps(rest)[:-1] + ", " if rest else "{"
    yield opening + '"columns": [\n'
    yield ",\n".join(_dumps(column) for column in header.get("columns", [])) + "\n"
    yield '], "rows": ['
    first = True
    for row in rows:
        yield ("\n" if first else ",\n") + row
        first = False
    yield ("\n" if not first else "") + "]}\n"


def _write_atomically(path: Path, lines: Iterator[str], dataset: str) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
            handle.writelines(lines)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        raise ProblemsError([Problem(f"could not write the Dataset-JSON file: {exc.strerror or exc}",
                                     file=str(path), dataset=dataset)]) from exc
    finally:
        temporary.unlink(missing_ok=True)


def _plan_columns(
    frame: pd.DataFrame,
    dataset: str,
    column_labels: dict[str, str],
    formats: dict[str, str],
    lengths: dict[str, int],
    keys: Sequence[str],
) -> tuple[list[Column], list[list], list[Problem]]:
    """Each column's metadata and its JSON values, or the problems that stop the write."""
    problems: list[Problem] = []
    names = list(frame.columns)
    for name in sorted({str(n) for n in names if names.count(n) > 1}):
        problems.append(Problem("column name appears more than once", dataset=dataset, column=name))
    planned: list[Column] = []
    values: list[list] = []
    for position, name in enumerate(names):
        if not isinstance(name, str) or not name:
            problems.append(Problem(f"column name {name!r} is not text", dataset=dataset, column=str(name)))
            continue
        key_sequence = list(keys).index(name) + 1 if name in keys else None
        column, column_values, found = _column(frame.iloc[:, position], name, dataset, column_labels.get(name, ""),
                                               formats.get(name), lengths.get(name), key_sequence)
        problems += found
        if column is not None and not found:
            planned.append(column)
            values.append(column_values)
    return planned, values, problems


def _column(series: pd.Series, name: str, dataset: str, label: str, fmt: str | None, length: int | None,
            key_sequence: int | None) -> tuple[Column | None, list, list[Problem]]:
    oid = f"IT.{dataset}.{name}"
    where = {"dataset": dataset, "column": name}
    if pd.api.types.is_bool_dtype(series.dtype) or not (
            pd.api.types.is_numeric_dtype(series.dtype) or _is_text_dtype(series.dtype)):
        return None, [], [Problem(f"the column has type {series.dtype}; Dataset-JSON columns here are numbers or "
                                  "text, as in XPT", hint="Write dates as ISO 8601 text, or as SAS numbers with a "
                                  "date format", **where)]
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series.to_numpy(dtype="float64", na_value=np.nan)
        infinite = np.flatnonzero(np.isinf(numbers))
        if len(infinite):
            return None, [], [Problem("infinite number; Dataset-JSON cannot hold it", row=int(i) + 1,
                                      value=str(numbers[i]), **where) for i in infinite[:MAX_PROBLEMS_PER_COLUMN]]
        data_type, target, json_values = _number_values(numbers, fmt)
        return Column(oid, name, label, data_type, target, None, fmt or None, key_sequence), json_values, []
    text, problems = _text_values(series, dataset, name)
    if problems:
        return None, [], problems
    longest = max((len(value.encode("utf-8")) for value in set(text)), default=0)
    declared = max(1, longest) if length is None else length
    if declared < longest:
        problems.append(Problem(f"a value is {longest} bytes long but the declared length is {declared}", **where))
    data_type = _dtc_type(text) if name.upper().endswith("DTC") else "string"
    return Column(oid, name, label, data_type, None, declared, fmt or None, key_sequence), text, problems


def _is_text_dtype(dtype) -> bool:
    return isinstance(dtype, pd.StringDtype) or dtype == object  # noqa: E721 (a numpy dtype, not a type)


def _text_values(series: pd.Series, dataset: str, name: str) -> tuple[list[str], list[Problem]]:
    raw = series.to_numpy(dtype=object)
    missing = series.isna().to_numpy()
    bad = [i for i, value in enumerate(raw) if not missing[i] and not isinstance(value, str)]
    if bad:
        return [], [Problem(f"a {type(raw[i]).__name__} value in a text column", dataset=dataset, column=name,
                            row=i + 1, value=str(raw[i]), hint="Make every value of the column text")
                    for i in bad[:MAX_PROBLEMS_PER_COLUMN]]
    values = raw.copy()
    values[missing] = ""
    return values.tolist(), []


def _dtc_type(values: list[str]) -> str:
    """ISO 8601 --DTC text: "date" when no value carries a time, else "datetime"."""
    present = [value for value in set(values) if value]
    return "date" if present and not any("T" in value for value in present) else "datetime"


def format_kind(fmt: str | None) -> str | None:
    """"date", "datetime" or "time" for a SAS date/time display format, else None."""
    if not fmt:
        return None
    match = _FORMAT_NAME.fullmatch(fmt.strip())
    name = (match.group(1) or "").upper() if match else ""
    if fmt.strip().startswith("$"):
        return None
    if name in DATE_FORMATS:
        return "date"
    if name in DATETIME_FORMATS:
        return "datetime"
    if name in TIME_FORMATS:
        return "time"
    return None


def _number_values(numbers: np.ndarray, fmt: str | None) -> tuple[str, str | None, list]:
    finite = ~np.isnan(numbers)
    present = numbers[finite]
    whole = bool((np.floor(present) == present).all()) if len(present) else True
    kind = format_kind(fmt)
    if kind is not None and whole and _in_range(present, kind):
        return kind, "integer", _iso_values(numbers, finite, kind)
    if whole and (np.abs(present) < _LARGEST_EXACT_INTEGER).all():
        out: list = [None] * len(numbers)
        for index, value in zip(np.flatnonzero(finite).tolist(), present.astype(np.int64).tolist()):
            out[index] = value
        return "integer", None, out
    return "float", None, [None if math.isnan(v) else v for v in numbers.tolist()]


def _in_range(values: np.ndarray, kind: str) -> bool:
    if kind == "date":
        return bool(((values >= _FIRST_DAY) & (values <= _LAST_DAY)).all())
    if kind == "datetime":
        return bool(((values >= _FIRST_DAY * _SECONDS_PER_DAY) & (values < (_LAST_DAY + 1) * _SECONDS_PER_DAY)).all())
    return bool(((values >= 0) & (values < _SECONDS_PER_DAY)).all())


def _iso_values(numbers: np.ndarray, finite: np.ndarray, kind: str) -> list:
    out = np.full(len(numbers), None, dtype=object)
    whole = numbers[finite].astype(np.int64)
    if kind == "date":
        text = np.datetime_as_string(_SAS_EPOCH_DAY + whole.astype("timedelta64[D]"), unit="D")
    elif kind == "datetime":
        text = np.datetime_as_string(_SAS_EPOCH_SECOND + whole.astype("timedelta64[s]"), unit="s")
    else:
        text = np.array([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in whole.tolist()], dtype=object)
    out[finite] = text
    return out.tolist()


# --- reading -------------------------------------------------------------------------


def is_dataset_json(path: Path) -> bool:
    """Whether a .json/.ndjson file is a Dataset-JSON dataset (and not, say, a report).

    Looks for the datasetJSONVersion attribute near the start of the file, where the
    specification's attribute order puts it.
    """
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return False
    return b'"datasetJSONVersion"' in head


def read_dataset_json(path: Path) -> tuple[pd.DataFrame, DatasetJsonMeta]:
    """Read a Dataset-JSON 1.1 dataset (.json or .ndjson) with its metadata.

    Values come back as `read_xpt` gives them: text as str ("" for null), numbers as
    float64 (NaN for null), numeric dates (targetDataType integer) as SAS day counts,
    datetimes and times as seconds. Raises ProblemsError naming every problem found:
    a missing attribute, a row of the wrong width, a value that does not fit its
    column's dataType.
    """
    path = Path(path)
    layout = _layout(path)
    header, rows = _load(path, layout)
    metadata_only = rows is None  # "rows" is optional: a file may carry the metadata alone
    rows = rows or []
    problems: list[Problem] = []
    columns = _read_columns(path, header, problems)
    if problems:
        raise ProblemsError(problems)
    width = len(columns)
    line_of = (lambda index: index + 2) if layout == "ndjson" else (lambda index: index + 1)
    for index, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            size = len(row) if isinstance(row, list) else type(row).__name__
            problems.append(Problem(f"row has {size} value(s) but there are {width} columns", file=str(path),
                                    row=line_of(index), hint="The file is damaged or was cut short"))
            if len(problems) >= MAX_PROBLEMS_PER_COLUMN:
                break
    records = header.get("records")
    if isinstance(records, int) and records != len(rows) and not metadata_only:
        problems.append(Problem(f"the file says it holds {records} records but it has {len(rows)} rows",
                                file=str(path), hint="The file is damaged or was cut short"))
    if problems:
        raise ProblemsError(problems)
    data = {}
    for position, column in enumerate(columns):
        values, found = _frame_values([row[position] for row in rows], column, path, line_of)
        problems += found
        data[column.name] = values
        if not found and not column.numeric and column.length is None:  # XPT needs one: the longest value
            longest = max((len(value.encode("utf-8")) for value in set(values.tolist())), default=0)
            columns[position] = replace(column, length=max(1, longest))
    if problems:
        raise ProblemsError(problems)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    if not columns:
        frame = pd.DataFrame(index=pd.RangeIndex(len(rows)))
    source = header.get("sourceSystem")
    context = Context(
        study_oid=header.get("studyOID"), metadata_version_oid=header.get("metaDataVersionOID"),
        metadata_ref=header.get("metaDataRef"), originator=header.get("originator"),
        source_system=(str(source.get("name", "")), str(source.get("version", "")))
        if isinstance(source, dict) else None,
    )
    meta = DatasetJsonMeta(
        name=str(header.get("name", "")), label=str(header.get("label", "") or ""),
        item_group_oid=str(header.get("itemGroupOID", "")),
        records=header["records"] if metadata_only and isinstance(header.get("records"), int) else len(rows),
        columns=tuple(columns),
        created=str(header.get("datasetJSONCreationDateTime", "")),
        version=str(header.get("datasetJSONVersion", "")), context=context,
        file_oid=header.get("fileOID"), db_last_modified=header.get("dbLastModifiedDateTime"), layout=layout,
    )
    return frame, meta


def load_document(path: Path) -> tuple[dict[str, Any], list | None]:
    """The metadata object and the rows (None when the file has none) of a Dataset-JSON
    file, as JSON values, untouched."""
    path = Path(path)
    return _load(path, _layout(path))


def write_document(header: dict[str, Any], rows: list | None, path: Path) -> None:
    """Write metadata and rows as they are, in the layout `path`'s suffix names.

    For converting between .json and .ndjson without touching a value: attributes
    keep their order (the specification's order first), rows are written verbatim.
    """
    path = Path(path)
    layout = _layout(path)
    if not path.parent.is_dir():
        raise ProblemsError([Problem("the output folder does not exist", file=str(path.parent))])
    rows = rows or []
    ordered = {key: header[key] for key in _TOP_LEVEL_ORDER if key in header}
    ordered.update({key: value for key, value in header.items() if key not in ordered and key != "rows"})
    try:
        ordered["columns"] = ordered.pop("columns", [])
        lines = list(_lines(ordered, map(_row_text, map(tuple, rows)), layout))
    except ValueError as exc:  # NaN or infinity in a row: not JSON
        raise ProblemsError([Problem(f"a value cannot be written as JSON: {exc}", file=str(path))]) from exc
    _write_atomically(path, iter(lines), str(header.get("name", "")))


def _load(path: Path, layout: str) -> tuple[dict[str, Any], list]:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            if layout == "json":
                document = json.load(handle)
                if not isinstance(document, dict):
                    raise _error(path, "not a Dataset-JSON file: the top level is not an object")
                rows = document.pop("rows", None)
                return document, rows if isinstance(rows, list) or rows is None else [rows]
            return _load_ndjson(path, handle)
    except OSError as exc:
        raise _error(path, f"cannot read the file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise _error(path, f"not UTF-8 text (byte offset {exc.start})",
                     hint="Dataset-JSON files are UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise _error(path, f"not valid JSON: {exc.msg}", row=exc.lineno,
                     hint="The file is damaged or was cut short") from exc


def _load_ndjson(path: Path, handle) -> tuple[dict[str, Any], list]:
    header = None
    rows = []
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _error(path, f"line {number} is not valid JSON: {exc.msg}", row=number,
                         hint="Each line of an NDJSON file is one JSON value") from exc
        if header is None:
            if not isinstance(value, dict):
                raise _error(path, "not a Dataset-JSON NDJSON file: the first line is not the metadata object",
                             row=number)
            header = value
        else:
            rows.append(value)
    if header is None:
        raise _error(path, "the file is empty")
    return header, rows


def _read_columns(path: Path, header: dict[str, Any], problems: list[Problem]) -> list[Column]:
    missing = [key for key in _REQUIRED if key not in header]
    if missing:
        problems.append(Problem(f"not a Dataset-JSON 1.1 file: missing {', '.join(missing)}", file=str(path),
                                hint="Write it with a Dataset-JSON 1.1 writer (cdisc-map convert)"))
    raw = header.get("columns", [])
    if not isinstance(raw, list):
        problems.append(Problem("columns is not an array", file=str(path)))
        return []
    columns = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item.get("name"):
            problems.append(Problem(f"column {number} has no name", file=str(path)))
            continue
        name = item["name"]
        data_type = item.get("dataType")
        target = item.get("targetDataType")
        if data_type not in DATA_TYPES:
            problems.append(Problem(f"unknown dataType {data_type!r}", file=str(path), column=name,
                                    hint=f"Dataset-JSON 1.1 allows {', '.join(DATA_TYPES)}"))
            continue
        if target is not None and target not in TARGET_DATA_TYPES:
            problems.append(Problem(f"unknown targetDataType {target!r}", file=str(path), column=name,
                                    hint="Dataset-JSON 1.1 allows integer and decimal"))
            continue
        length = item.get("length")
        key_sequence = item.get("keySequence")
        columns.append(Column(
            item_oid=str(item.get("itemOID", "")), name=name, label=str(item.get("label", "") or ""),
            data_type=data_type, target_data_type=target,
            length=length if isinstance(length, int) and not isinstance(length, bool) else None,
            display_format=item.get("displayFormat") or None,
            key_sequence=key_sequence if isinstance(key_sequence, int) else None,
        ))
    names = [c.name for c in columns]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem("column name appears more than once", file=str(path), column=name))
    return columns


def _frame_values(values: list, column: Column, path: Path, line_of) -> tuple[np.ndarray, list[Problem]]:
    """One column's JSON values as a frame column: str ("" for null) or float64."""
    bad: list[int] = []
    if not column.numeric:
        out = np.empty(len(values), dtype=object)
        for index, value in enumerate(values):
            if value is None:
                out[index] = ""
            elif isinstance(value, str):
                out[index] = value
            else:
                bad.append(index)
        return out, _value_problems(bad, values, column, path, line_of, "text")
    if column.target_data_type == "integer" and column.data_type in ("date", "datetime", "time"):
        return _iso_numbers(values, column, path, line_of)
    out = np.full(len(values), np.nan)
    for index, value in enumerate(values):
        if value is None:
            continue
        if column.data_type == "boolean" and isinstance(value, bool):
            out[index] = float(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[index] = float(value)
        elif isinstance(value, str) and column.data_type == "decimal":
            try:
                out[index] = float(value.replace(",", ""))
            except ValueError:
                bad.append(index)
        else:
            bad.append(index)
    return out, _value_problems(bad, values, column, path, line_of, column.data_type)


def _iso_numbers(values: list, column: Column, path: Path, line_of) -> tuple[np.ndarray, list[Problem]]:
    pattern = {"date": _ISO_DATE, "datetime": _ISO_DATETIME, "time": _ISO_TIME}[column.data_type]
    out = np.full(len(values), np.nan)
    bad: list[int] = []
    converted: dict[str, float | None] = {}
    for index, value in enumerate(values):
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            bad.append(index)
            continue
        if value not in converted:
            converted[value] = _iso_number(value, column.data_type) if pattern.fullmatch(value) else None
        number = converted[value]
        if number is None:
            bad.append(index)
        else:
            out[index] = number
    return out, _value_problems(bad, values, column, path, line_of, f"complete ISO 8601 {column.data_type}")


def _iso_number(text: str, kind: str) -> float | None:
    """ISO 8601 text as the SAS number it stands for, or None if it is no real date or time."""
    try:
        if kind == "time":
            hours, minutes, *rest = text.split(":")
            seconds = float(rest[0]) if rest else 0.0
            if int(hours) > 23 or int(minutes) > 59 or seconds >= 60:
                return None
            return int(hours) * 3600 + int(minutes) * 60 + seconds
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    days = (moment.date() - datetime(1960, 1, 1).date()).days
    if kind == "date":
        return float(days)
    return days * float(_SECONDS_PER_DAY) + moment.hour * 3600 + moment.minute * 60 + moment.second \
        + moment.microsecond / 1e6


def _value_problems(bad: list[int], values: list, column: Column, path: Path, line_of, wanted: str) -> list[Problem]:
    problems = [Problem(f"value does not fit the column's dataType {column.data_type!r} ({wanted} expected)",
                        file=str(path), row=line_of(i), column=column.name, value=_shorten(values[i]))
                for i in bad[:MAX_PROBLEMS_PER_COLUMN]]
    if len(bad) > MAX_PROBLEMS_PER_COLUMN:
        problems.append(Problem(f"... and {len(bad) - MAX_PROBLEMS_PER_COLUMN} more rows with the same problem",
                                file=str(path), column=column.name))
    return problems


def _shorten(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + "..."


def _error(path: Path, message: str, *, row: int | None = None, hint: str | None = None) -> ProblemsError:
    return ProblemsError([Problem(message, file=str(path), row=row, hint=hint)])
